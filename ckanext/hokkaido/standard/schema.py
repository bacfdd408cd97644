"""Validation schemas of the standard-dataset actions."""
from __future__ import annotations

from ckan.logic.schema import validator_args
from ckan.plugins import toolkit

from ckanext.hokkaido.standard.columns import definitions


def standard_no(value):
    """A standard dataset's number, ``8`` or ``08``; one that is merged."""
    text = str(value or "").strip().zfill(2)
    if text not in definitions():
        raise toolkit.Invalid(toolkit._("Not a merged standard dataset: %r") % str(value)[:20])
    return text


def _float_between(low: float, high: float):
    def check(value):
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise toolkit.Invalid(toolkit._("A number is needed"))
        if not low <= number <= high:
            raise toolkit.Invalid(toolkit._("Between {low} and {high}").format(low=low, high=high))
        return number
    return check


@validator_args
def standard_show(not_empty, unicode_safe):
    return {"id": [not_empty, unicode_safe, standard_no]}


@validator_args
def standard_near(not_empty, ignore_missing, unicode_safe, natural_number_validator):
    return {"id": [not_empty, unicode_safe, standard_no],
            "lat": [not_empty, _float_between(-90, 90)],
            "lng": [not_empty, _float_between(-180, 180)],
            "radius": [ignore_missing, _float_between(1, 50_000)],
            "limit": [ignore_missing, natural_number_validator]}


@validator_args
def standard_exclude(not_empty, ignore_missing, unicode_safe, strip_value, boolean_validator):
    return {"resource_id": [not_empty, unicode_safe],
            "exclude": [not_empty, boolean_validator],
            "reason": [ignore_missing, unicode_safe, strip_value]}
