"""The sources room's page: what ``ckan hokkaido discover`` proposed for a
municipality, for its stewards to accept or reject."""
from __future__ import annotations

from typing import Any

from flask import Blueprint

from ckan.plugins import toolkit

__all__ = ["sources"]

sources = Blueprint("hokkaido_sources", __name__)


def _context() -> dict[str, Any]:
    return {"user": toolkit.current_user.name
            if toolkit.current_user.is_authenticated else ""}


@sources.route("/municipalities/<code>/proposals", methods=["GET", "POST"])
def proposals(code: str) -> Any:
    """Sources ``ckan hokkaido discover`` proposed for the municipality, with
    accept (the harvest source is registered) and reject: its organization's
    editors and sysadmins; CKAN's CSRF token checked on POST."""
    try:
        row = toolkit.get_action("hokkaido_municipality_show")(_context(), {"id": code})
    except (toolkit.ObjectNotFound, toolkit.ValidationError):
        return toolkit.abort(404, toolkit._("Municipality not found") + f": {code}")
    errors: dict[str, Any] = {}
    if toolkit.request.method == "POST":
        form = toolkit.request.form
        try:
            decided = toolkit.get_action("hokkaido_source_proposal_decide")(
                _context(), {"id": form.get("id", ""), "decision": form.get("decision", "")})
        except toolkit.NotAuthorized:
            return toolkit.abort(403, toolkit._("Only editors of the municipality's organization may decide its proposals"))
        except toolkit.ObjectNotFound as exc:
            return toolkit.abort(404, str(exc))
        except toolkit.ValidationError as exc:
            errors = exc.error_dict
        else:
            if decided["status"] == "accepted":
                toolkit.h.flash_success(toolkit._("Harvest source {name} registered").format(name=decided["source_name"]))
            else:
                toolkit.h.flash_notice(toolkit._("Proposal rejected"))
            return toolkit.redirect_to("hokkaido_sources.proposals", code=code)
    try:
        found = toolkit.get_action("hokkaido_source_proposal_list")(_context(), {"id": code})
    except toolkit.NotAuthorized:
        return toolkit.abort(403, toolkit._("Only editors of the municipality's organization may see its proposals"))
    return toolkit.render("hokkaido/proposals.html", {"m": row, "proposals": found, "errors": errors})
