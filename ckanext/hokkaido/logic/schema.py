"""Validation schemas of the hokkaido_* actions."""
from __future__ import annotations

from ckan.logic.schema import validator_args

from ckanext.hokkaido import tracker


def _status_choice(value):
    from ckan.plugins.toolkit import Invalid, _
    if value and value not in tracker.STATUSES:
        english = {known.en: ja for ja, known in tracker.STATUSES.items()}
        if value in english:
            return english[value]
        raise Invalid(_("status must be one of {statuses}").format(statuses=", ".join(tracker.STATUSES)))
    return value


@validator_args
def municipality_list(ignore_missing, unicode_safe, strip_value):
    return {"subprefecture": [ignore_missing, unicode_safe, strip_value],
            "status": [ignore_missing, unicode_safe, strip_value, _status_choice]}


@validator_args
def municipality_show(not_empty, unicode_safe, strip_value,
                      hokkaido_municipality_code):
    return {"id": [not_empty, unicode_safe, strip_value,
                   hokkaido_municipality_code]}


@validator_args
def publishing_history(ignore_missing, natural_number_validator):
    return {"days": [ignore_missing, natural_number_validator]}


@validator_args
def set_elsewhere(not_empty, ignore_missing, unicode_safe, strip_value,
                  hokkaido_municipality_code, hokkaido_http_url,
                  isodate):
    return {"id": [not_empty, unicode_safe, strip_value,
                   hokkaido_municipality_code],
            "url": [ignore_missing, unicode_safe, hokkaido_http_url],
            "date": [ignore_missing, isodate],
            "note": [ignore_missing, unicode_safe, strip_value]}


@validator_args
def search_suggest(ignore_missing, unicode_safe, strip_value, natural_number_validator):
    return {"q": [ignore_missing, unicode_safe, strip_value],
            "limit": [ignore_missing, natural_number_validator]}
