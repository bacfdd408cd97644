"""The sources room's actions: the proposals ``ckan hokkaido discover``
made, listed and decided by a municipality's stewards."""
from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit

from ckanext.hokkaido import tracker
from ckanext.hokkaido.sources import proposals, registration, schema
from ckanext.hokkaido.validation import validate

__all__ = ["hokkaido_source_proposal_decide", "hokkaido_source_proposal_list"]


def hokkaido_source_proposal_list(context, data_dict) -> list[dict[str, Any]]:
    """The sources ``ckan hokkaido discover`` proposed, for a steward.

    :param id: a municipality code (required for those who are not sysadmins)
    :type id: string
    :param status: ``proposed``, ``accepted`` or ``rejected`` (default: all)
    :type status: string
    :returns: each with ``id``, ``code``, ``url``, ``kind``, ``confidence``,
        ``datasets``, ``evidence`` (the pages and link texts that led there),
        ``status``, ``source_name`` (when accepted), ``decided_by``, ``decided_at``
    """
    toolkit.check_access("hokkaido_source_proposal_list", context, data_dict)
    data = validate(data_dict, schema.source_proposal_list(), context)
    return proposals.proposals(data.get("id"), data.get("status"))


def hokkaido_source_proposal_decide(context, data_dict) -> dict[str, Any]:
    """Accept a proposal (its harvest source is registered in the
    municipality's organization, never a second one for the same URL and
    municipality) or reject it.

    :param id: the proposal's id
    :type id: int
    :param decision: ``accept`` or ``reject``
    :type decision: string
    :returns: the proposal as decided
    """
    data = validate(data_dict, schema.source_proposal_decide(), context)
    proposal = proposals.get(int(data["id"]))
    if proposal is None:
        raise toolkit.ObjectNotFound(toolkit._("No such proposal"))
    toolkit.check_access("hokkaido_source_proposal_decide", context, data_dict)
    site_user = toolkit.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    try:
        decided = proposals.decide(proposal, data["decision"] == "accept", context.get("user") or "", site_user)
    except registration.RegistrationRefused as exc:
        raise toolkit.ValidationError({"decision": [str(exc)]})
    except ValueError as exc:
        raise toolkit.ValidationError({"id": [str(exc)]})
    tracker.invalidate()
    return decided
