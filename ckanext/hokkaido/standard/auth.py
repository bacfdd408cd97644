"""Who may call the standard-dataset actions: everyone reads; the exclusion
is checked in its action (``package_update`` on the table's dataset)."""
from __future__ import annotations

from ckan.plugins import toolkit

__all__ = ["hokkaido_standard_list", "hokkaido_standard_show", "hokkaido_standard_near",
           "hokkaido_standard_exclude"]


@toolkit.auth_allow_anonymous_access
def hokkaido_standard_list(context, data_dict):
    return {"success": True}


@toolkit.auth_allow_anonymous_access
def hokkaido_standard_show(context, data_dict):
    return {"success": True}


@toolkit.auth_allow_anonymous_access
def hokkaido_standard_near(context, data_dict):
    return {"success": True}


def hokkaido_standard_exclude(context, data_dict):
    """Any registered user may ask; the action checks ``package_update``."""
    return {"success": True}
