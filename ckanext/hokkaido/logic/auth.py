"""Who may call the hokkaido_* actions."""
from __future__ import annotations

from ckan import authz
from ckan.plugins import toolkit

__all__ = [
    "hokkaido_municipality_list",
    "hokkaido_municipality_show",
    "hokkaido_publishing_summary",
    "hokkaido_publishing_history",
    "hokkaido_municipality_set_elsewhere",
    "hokkaido_search_suggest",
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
    user = context.get("user")
    code = (data_dict or {}).get("id")
    if user and code and authz.users_role_for_group_or_org(code, user) in (
            "editor", "admin"):
        return {"success": True}
    return {"success": False,
            "msg": toolkit._("Only editors of the municipality's organization may set this")}
