"""Who may call the hokkaido_* actions."""
from __future__ import annotations

from typing import Any, Optional

from ckan import authz, model
from ckan.plugins import toolkit

from ckanext.hokkaido import authority

__all__ = [
    "hokkaido_municipality_list",
    "hokkaido_municipality_show",
    "hokkaido_publishing_summary",
    "hokkaido_publishing_history",
    "hokkaido_municipality_set_elsewhere",
    "hokkaido_search_suggest",
    "organization_create",
    "organization_update",
    "group_update",
]


@toolkit.auth_allow_anonymous_access
def hokkaido_municipality_list(context, data_dict):
    return {"success": True}


@toolkit.auth_allow_anonymous_access
def hokkaido_municipality_show(context, data_dict):
    return {"success": True}


@toolkit.auth_allow_anonymous_access
def hokkaido_publishing_summary(context, data_dict):
    return {"success": True}


@toolkit.auth_allow_anonymous_access
def hokkaido_publishing_history(context, data_dict):
    return {"success": True}


@toolkit.auth_allow_anonymous_access
def hokkaido_search_suggest(context, data_dict):
    """Anyone: the datasets suggested are those package_search shows the caller."""
    return {"success": True}


def hokkaido_municipality_set_elsewhere(context, data_dict):
    """Sysadmins, and editors or admins of the municipality's organization."""
    return authority.municipality_editor(context, (data_dict or {}).get("id"),
                                         toolkit._("Only editors of the municipality's organization may set this"))


# -- official organizations (ckanext/hokkaido/authority.py) --------------------

def _given_parent(data_dict: dict) -> str:
    """The ``parent`` extra the call leaves: CKAN's update replaces the
    extras, so a call that sends none leaves none."""
    extras = data_dict.get("extras")
    if not isinstance(extras, list):
        return ""
    values = [e.get("value") for e in extras if isinstance(e, dict) and e.get("key") == "parent"
              and e.get("deleted") not in ("on", True)]
    return str(values[-1] or "") if values else ""


def _claims_refused(context: Any, data_dict: dict, group: Optional[model.Group]) -> Optional[dict]:
    """Refuse a user who is not a sysadmin naming an organization by a code of
    the registry or setting its ``parent``: only a sysadmin makes an
    organization official."""
    if authz.is_sysadmin(context.get("user")):
        return None
    name = data_dict.get("name")
    if name and (group is None or name != group.name) and authority.is_reserved_name(name):
        return {"success": False, "msg": toolkit._(
            "Only a sysadmin may name an organization by a municipality's or the prefecture's code")}
    parent = _given_parent(data_dict)
    stored = ((group.extras or {}).get("parent") or "") if group is not None else ""
    if parent != stored:
        return {"success": False, "msg": toolkit._(
            "Only a sysadmin may set the parent of an organization (which municipality it speaks for)")}
    return None


@toolkit.chained_auth_function
def organization_create(next_auth, context, data_dict):
    """CKAN's rule, and only a sysadmin makes an official organization."""
    return _claims_refused(context, data_dict or {}, None) or next_auth(context, data_dict)


@toolkit.chained_auth_function
def organization_update(next_auth, context, data_dict):
    """CKAN's rule, and only a sysadmin changes what an organization speaks for."""
    data_dict = data_dict or {}
    group = model.Group.get(data_dict.get("id") or "") if data_dict.get("id") else context.get("group")
    return _claims_refused(context, data_dict, group) or next_auth(context, data_dict)


@toolkit.chained_auth_function
def group_update(next_auth, context, data_dict):
    """As :func:`organization_update` when the group is an organization."""
    data_dict = data_dict or {}
    group = model.Group.get(data_dict.get("id") or "") if data_dict.get("id") else context.get("group")
    if group is not None and group.is_organization:
        refused = _claims_refused(context, data_dict, group)
        if refused:
            return refused
    return next_auth(context, data_dict)
