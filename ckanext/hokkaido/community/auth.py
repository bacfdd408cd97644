"""Who may call the use-case and data-request actions. Sysadmins pass every
one without calling it (CKAN's rule)."""
from __future__ import annotations

import re

from ckan import authz
from ckan.plugins import toolkit

__all__ = [
    "hokkaido_use_case_list", "hokkaido_use_case_show", "hokkaido_use_case_create",
    "hokkaido_use_case_update", "hokkaido_use_case_delete",
    "hokkaido_data_request_list", "hokkaido_data_request_show", "hokkaido_data_request_create",
    "hokkaido_data_request_answer", "hokkaido_data_request_moderate",
]


@toolkit.auth_allow_anonymous_access
def hokkaido_use_case_list(context, data_dict):
    return {"success": True}


@toolkit.auth_allow_anonymous_access
def hokkaido_use_case_show(context, data_dict):
    return {"success": True}


def hokkaido_use_case_create(context, data_dict):
    """Any registered user (CKAN refuses a visitor who is not logged in
    before this is called)."""
    return {"success": True}


def _creator(context, data_dict, refusal):
    from ckanext.hokkaido.community import use_cases
    user = context.get("auth_user_obj")
    use_case = use_cases.get((data_dict or {}).get("id") or "") or {}
    if user is not None and user.id == use_case.get("creator_user_id"):
        return {"success": True}
    return {"success": False, "msg": refusal}


def hokkaido_use_case_update(context, data_dict):
    """Its author and sysadmins."""
    return _creator(context, data_dict, toolkit._("Only the author of a use case may edit it"))


def hokkaido_use_case_delete(context, data_dict):
    """Its author and sysadmins."""
    return _creator(context, data_dict, toolkit._("Only the author of a use case may delete it"))


@toolkit.auth_allow_anonymous_access
def hokkaido_data_request_list(context, data_dict):
    return {"success": True}


@toolkit.auth_allow_anonymous_access
def hokkaido_data_request_show(context, data_dict):
    """Anyone; a request hidden by a sysadmin is refused in the action to
    all but sysadmins."""
    return {"success": True}


def hokkaido_data_request_create(context, data_dict):
    """Any registered user, within the limit per day (checked by the action)."""
    return {"success": True}


def hokkaido_data_request_answer(context, data_dict):
    """Editors and admins of the organization the request is addressed to."""
    from ckanext.hokkaido.community import data_requests
    user = context.get("user")
    request_id = str((data_dict or {}).get("id") or "")
    request = data_requests.get(int(request_id)) if re.fullmatch(r"[0-9]{1,18}", request_id) else None
    organization = (request or {}).get("organization_id")
    if user and organization and authz.users_role_for_group_or_org(organization, user) in ("editor", "admin"):
        return {"success": True}
    return {"success": False, "msg": toolkit._("Only editors of the organization may answer its requests")}


def hokkaido_data_request_moderate(context, data_dict):
    """Sysadmins only."""
    return {"success": False, "msg": toolkit._("Only sysadmins may moderate requests")}
