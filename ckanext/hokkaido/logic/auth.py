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
    "hokkaido_source_proposal_list",
    "hokkaido_source_proposal_decide",
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


def _municipality_editor(context, code, refusal):
    """Editors and admins of the municipality's organization (sysadmins pass
    every auth function without calling it)."""
    user = context.get("user")
    if user and code and authz.users_role_for_group_or_org(code, user) in ("editor", "admin"):
        return {"success": True}
    return {"success": False, "msg": refusal}


def hokkaido_municipality_set_elsewhere(context, data_dict):
    """Sysadmins, and editors or admins of the municipality's organization."""
    return _municipality_editor(context, (data_dict or {}).get("id"),
                                toolkit._("Only editors of the municipality's organization may set this"))


def hokkaido_source_proposal_list(context, data_dict):
    """Sysadmins (every municipality), and editors or admins of the
    municipality's organization (its own: ``id`` is required)."""
    return _municipality_editor(context, (data_dict or {}).get("id"),
                                toolkit._("Only editors of the municipality's organization may see its proposals"))


def hokkaido_source_proposal_decide(context, data_dict):
    """Sysadmins, and editors or admins of the proposal's municipality."""
    from ckanext.hokkaido import proposals
    raw = str((data_dict or {}).get("id") or "")
    proposal = proposals.get(int(raw)) if raw.isdigit() else None
    return _municipality_editor(context, proposal["code"] if proposal else None,
                                toolkit._("Only editors of the municipality's organization may decide its proposals"))
