"""Who may see and decide the sources proposed to a municipality."""
from __future__ import annotations

from ckan.plugins import toolkit

from ckanext.hokkaido import authority
from ckanext.hokkaido.sources import proposals

__all__ = ["hokkaido_source_proposal_decide", "hokkaido_source_proposal_list"]


def hokkaido_source_proposal_list(context, data_dict):
    """Sysadmins (every municipality), and editors or admins of the
    municipality's organization (its own: ``id`` is required)."""
    return authority.municipality_editor(
        context, (data_dict or {}).get("id"),
        toolkit._("Only editors of the municipality's organization may see its proposals"))


def hokkaido_source_proposal_decide(context, data_dict):
    """Sysadmins, and editors or admins of the proposal's municipality."""
    raw = str((data_dict or {}).get("id") or "")
    proposal = proposals.get(int(raw)) if raw.isdigit() else None
    return authority.municipality_editor(
        context, proposal["code"] if proposal else None,
        toolkit._("Only editors of the municipality's organization may decide its proposals"))
