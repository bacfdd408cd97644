"""ckanext-harvest's state-changing links, made safe against CSRF.

ckanext-harvest runs a harvest (``/harvest/refresh/<id>``), deletes every
dataset of a source (``/harvest/clear/<id>``), deletes a source
(``/harvest/delete/<id>``) and aborts a job
(``/harvest/<source>/job/<id>/abort``) on a plain GET, which CKAN's CSRF
protection does not check: any page a logged-in steward opens could do it
with an ``<img>``. Here a GET of those addresses does nothing but show a
confirmation page whose form POSTs, with CKAN's CSRF token, to this
blueprint; the POST then calls ckanext-harvest's own view. The buttons of
ckanext-harvest's pages that use CKAN's ``confirm-action`` module already
POST with the token and keep working.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import Blueprint

from ckan.plugins import toolkit

from ckanext.harvest import utils as harvest_views

__all__ = ["harvest_actions"]

harvest_actions = Blueprint("hokkaido_harvest_actions", __name__)

#: ckanext-harvest's endpoint → (our action, what it does: a message id of
#: the portal's catalogue)
ACTIONS: dict[str, tuple[str, str]] = {
    "harvester.refresh": ("refresh", "Start a harvest job of this source now."),
    "harvester.clear": ("clear", "Delete every dataset and harvest record of this source."),
    "harvester.delete": ("delete", "Delete this harvest source."),
    "harvester.job_abort": ("abort", "Abort the running harvest job."),
}


@harvest_actions.before_app_request
def confirm_before_acting() -> Optional[str]:
    """A GET of a state-changing ckanext-harvest address shows a confirmation."""
    request = toolkit.request
    if request.method not in ("GET", "HEAD") or request.endpoint not in ACTIONS:
        return None
    action, text = ACTIONS[request.endpoint]
    args: dict[str, Any] = dict(request.view_args or {})
    if action == "delete" and request.args.get("clear"):
        args["clear"] = request.args["clear"]
    source = args.get("source") or args.get("id")
    return toolkit.render("hokkaido/harvest/confirm_action.html", {
        "action_url": toolkit.url_for(f"hokkaido_harvest_actions.{action}", **args),
        "cancel_url": toolkit.url_for("harvest.read", id=source) if source else "/harvest",
        "text": text,
        "clear": action == "delete" and str(args.get("clear", "")).lower() in ("true", "1"),
    })


@harvest_actions.route("/harvest/confirmed/refresh/<id>", methods=["POST"])
def refresh(id: str) -> Any:
    return harvest_views.refresh_view(id)


@harvest_actions.route("/harvest/confirmed/clear/<id>", methods=["POST"])
def clear(id: str) -> Any:
    return harvest_views.clear_view(id)


@harvest_actions.route("/harvest/confirmed/delete/<id>", methods=["POST"])
def delete(id: str) -> Any:
    """Delete a source, then go to the list of sources: ckanext-harvest's own
    view returns to the deleted source's admin page, which looks active and
    says 「データセットはすでに削除されています」."""
    clear = str(toolkit.request.args.get("clear", "")).lower() in ("true", "1")
    context = {"user": toolkit.current_user.name, "clear_source": clear}
    try:
        source = toolkit.get_action("harvest_source_show")(context.copy(), {"id": id})
        toolkit.get_action("harvest_source_delete")(context, {"id": id})
    except toolkit.ObjectNotFound:
        return toolkit.abort(404, toolkit._("Harvest source not found"))
    except toolkit.NotAuthorized:
        return toolkit.abort(403, toolkit._("Not allowed to delete this harvest source"))
    title = source.get("title") or source["name"]
    if clear:
        toolkit.h.flash_success(toolkit._("Harvest source {title} and its datasets deleted").format(title=title))
    else:
        toolkit.h.flash_success(toolkit._("Harvest source {title} deleted; its datasets stay").format(title=title))
    return toolkit.redirect_to("harvest.search")


@harvest_actions.route("/harvest/confirmed/abort/<source>/<id>", methods=["POST"])
def abort(source: str, id: str) -> Any:
    return harvest_views.job_abort_view(source, id)
