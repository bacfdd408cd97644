"""The one helper every room's actions share: a data dict validated by a
navl schema, or :class:`toolkit.ValidationError` — below the rooms (the
hokkaido plugin's ``logic``, ``community``, ``standard``), which import it
and never each other for it."""
from __future__ import annotations

from ckan.plugins import toolkit

__all__ = ["validate"]


def validate(data_dict: dict, schema: dict, context: dict) -> dict:
    """``data_dict`` validated by ``schema``; :class:`toolkit.ValidationError` if not."""
    data, errors = toolkit.navl_validate(data_dict, schema, context)
    if errors:
        raise toolkit.ValidationError(errors)
    return data
