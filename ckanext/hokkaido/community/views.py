"""Pages of use cases (/usecases) and data requests (/datarequests). They
read and write through the actions, as the API does; forms are POSTed
with CKAN's CSRF token, errors shown beside the fields."""
from __future__ import annotations

import math
from typing import Any

from flask import Blueprint

from ckan.plugins import toolkit

from ckanext.hokkaido.community import data_requests

__all__ = ["use_cases", "requests"]

use_cases = Blueprint("hokkaido_use_cases", __name__)
requests = Blueprint("hokkaido_data_requests", __name__)

PAGE_SIZE = 20


def _context() -> dict[str, Any]:
    return {"user": toolkit.current_user.name if toolkit.current_user.is_authenticated else "",
            "auth_user_obj": toolkit.current_user if toolkit.current_user.is_authenticated else None}


def _allowed(action: str, data_dict: dict[str, Any]) -> bool:
    try:
        toolkit.check_access(action, _context(), data_dict)
    except toolkit.NotAuthorized:
        return False
    return True


def _page() -> int:
    page = toolkit.request.args.get("page", "1")
    return max(int(page), 1) if page.isdigit() else 1


def _summary(errors: dict[str, Any], labels: dict[str, str]) -> dict[str, str]:
    """The errors above a form, each under its field's label."""
    return {labels.get(field, field): " ".join(str(m) for m in (messages if isinstance(messages, list) else [messages]))
            for field, messages in errors.items()}


def _use_case_labels() -> dict[str, str]:
    _ = toolkit._
    return {"title": _("Title"), "name": _("URL name"), "description": _("Description"), "url": _("Link"),
            "image_url": _("Image URL"), "datasets": _("Datasets used")}


def _request_labels() -> dict[str, str]:
    _ = toolkit._
    return {"organization": _("Organization asked"), "title": _("Data wanted"),
            "description": _("What the data is (contents, area, period)"), "reason": _("What it would be used for"),
            "status": _("Status"), "message": _("Answer"), "dataset": _("Dataset published (name or address)")}


def _dataset_names(text: str) -> list[str]:
    """The form's datasets: one name or URL a line (or comma-separated)."""
    names = []
    for part in text.replace(",", "\n").splitlines():
        part = part.strip().rstrip("/")
        if part:
            names.append(part.rsplit("/dataset/", 1)[-1])
    return names


# -- use cases ----------------------------------------------------------------

@use_cases.route("/usecases")
def index() -> str:
    q = toolkit.request.args.get("q", "").strip()
    page = _page()
    found = toolkit.get_action("hokkaido_use_case_list")(
        _context(), {"q": q, "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE})
    return toolkit.render("hokkaido/use_cases.html", {
        "q": q, "found": found, "page": page, "pages": max(1, math.ceil(found["count"] / PAGE_SIZE)),
        "may_create": toolkit.current_user.is_authenticated})


def _use_case_form(use_case: dict[str, Any] | None) -> Any:
    form = toolkit.request.form
    values = {k: form.get(k, "").strip() for k in ("name", "title", "description", "url", "image_url")}
    values["datasets_text"] = form.get("datasets", "")
    if toolkit.request.method == "POST":
        data = {k: v for k, v in values.items() if k != "datasets_text"}
        data["datasets"] = _dataset_names(values["datasets_text"])
        try:
            if use_case is None:
                saved = toolkit.get_action("hokkaido_use_case_create")(_context(), data)
            else:
                data.pop("name")
                saved = toolkit.get_action("hokkaido_use_case_update")(_context(), {**data, "id": use_case["name"]})
        except toolkit.NotAuthorized:
            return toolkit.abort(403, toolkit._("Only the author of a use case may edit it"))
        except toolkit.ValidationError as exc:
            return toolkit.render("hokkaido/use_case_form.html", {
                "use_case": use_case, "values": values, "errors": exc.error_dict,
                "error_summary": _summary(exc.error_dict, _use_case_labels())})
        toolkit.h.flash_success(toolkit._("Use case saved"))
        return toolkit.redirect_to("hokkaido_use_cases.read", id=saved["name"])
    if use_case is not None:
        values = {**use_case, "datasets_text": "\n".join(d["name"] for d in use_case["datasets"])}
    else:
        values["datasets_text"] = toolkit.request.args.get("dataset", "")
    return toolkit.render("hokkaido/use_case_form.html", {"use_case": use_case, "values": values, "errors": {},
                                                          "error_summary": {}})


@use_cases.route("/usecases/new", methods=["GET", "POST"])
def new() -> Any:
    if not toolkit.current_user.is_authenticated:
        return toolkit.abort(403, toolkit._("Please log in to publish a use case"))
    return _use_case_form(None)


def _show(id: str) -> dict[str, Any]:
    try:
        return toolkit.get_action("hokkaido_use_case_show")(_context(), {"id": id})
    except toolkit.ObjectNotFound:
        return toolkit.abort(404, toolkit._("Use case not found"))


@use_cases.route("/usecases/<id>")
def read(id: str) -> str:
    use_case = _show(id)
    return toolkit.render("hokkaido/use_case.html", {
        "use_case": use_case,
        "may_edit": _allowed("hokkaido_use_case_update", {"id": use_case["name"]})})


@use_cases.route("/usecases/<id>/edit", methods=["GET", "POST"])
def edit(id: str) -> Any:
    use_case = _show(id)
    if not _allowed("hokkaido_use_case_update", {"id": use_case["name"]}):
        return toolkit.abort(403, toolkit._("Only the author of a use case may edit it"))
    return _use_case_form(use_case)


@use_cases.route("/usecases/<id>/delete", methods=["POST"])
def delete(id: str) -> Any:
    use_case = _show(id)
    try:
        toolkit.get_action("hokkaido_use_case_delete")(_context(), {"id": use_case["name"]})
    except toolkit.NotAuthorized:
        return toolkit.abort(403, toolkit._("Only the author of a use case may delete it"))
    toolkit.h.flash_notice(toolkit._("Use case deleted"))
    return toolkit.redirect_to("hokkaido_use_cases.index")


# -- data requests ------------------------------------------------------------

@requests.route("/datarequests", endpoint="index")
def request_index() -> str:
    args = toolkit.request.args
    filters = {k: args.get(k, "").strip() for k in ("q", "status", "organization")}
    page = _page()
    try:
        found = toolkit.get_action("hokkaido_data_request_list")(
            _context(), {**{k: v for k, v in filters.items() if v},
                         "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE})
    except toolkit.ValidationError as exc:
        found = {"count": 0, "results": []}
        toolkit.h.flash_error(" ".join(m for ms in exc.error_dict.values() for m in ms))
    return toolkit.render("hokkaido/data_requests.html", {
        "filters": filters, "found": found, "page": page,
        "pages": max(1, math.ceil(found["count"] / PAGE_SIZE)), "statuses": data_requests.STATUSES})


@requests.route("/datarequests/new", methods=["GET", "POST"], endpoint="new")
def request_new() -> Any:
    if not toolkit.current_user.is_authenticated:
        return toolkit.abort(403, toolkit._("Please log in to request data"))
    form = toolkit.request.form
    values = {k: form.get(k, "").strip() for k in ("title", "description", "reason", "organization")}
    if toolkit.request.method == "GET":
        values["organization"] = toolkit.request.args.get("organization", "")
    errors: dict[str, Any] = {}
    if toolkit.request.method == "POST":
        try:
            created = toolkit.get_action("hokkaido_data_request_create")(_context(), values)
        except toolkit.ValidationError as exc:
            errors = exc.error_dict
        else:
            toolkit.h.flash_success(toolkit._("Your request was sent to {organization}").format(
                organization=created["organization_title"]))
            return toolkit.redirect_to("hokkaido_data_requests.read", id=created["id"])
    return toolkit.render("hokkaido/data_request_form.html", {
        "values": values, "errors": errors, "error_summary": _summary(errors, _request_labels())})


@requests.route("/datarequests/<int:id>", methods=["GET", "POST"], endpoint="read")
def request_read(id: int) -> Any:
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if toolkit.request.method == "POST":
        form = toolkit.request.form
        try:
            if form.get("form") == "moderate":
                toolkit.get_action("hokkaido_data_request_moderate")(
                    _context(), {"id": id, "hidden": form.get("hidden", ""), "reason": form.get("reason", "")})
                toolkit.h.flash_notice(toolkit._("Request hidden") if toolkit.asbool(form.get("hidden"))
                                       else toolkit._("Request shown again"))
            else:
                values = {k: form.get(k, "").strip() for k in ("status", "message", "dataset")}
                dataset = (_dataset_names(values["dataset"]) or [""])[0]  # a name or the dataset's address
                toolkit.get_action("hokkaido_data_request_answer")(_context(), {"id": id, **values, "dataset": dataset})
                toolkit.h.flash_success(toolkit._("Answer saved"))
        except toolkit.NotAuthorized as exc:
            return toolkit.abort(403, str(exc) or toolkit._("Not authorized"))
        except toolkit.ObjectNotFound:
            return toolkit.abort(404, toolkit._("Data request not found"))
        except toolkit.ValidationError as exc:
            errors = exc.error_dict
        else:
            return toolkit.redirect_to("hokkaido_data_requests.read", id=id)
    try:
        shown = toolkit.get_action("hokkaido_data_request_show")(_context(), {"id": id})
    except toolkit.ObjectNotFound:
        return toolkit.abort(404, toolkit._("Data request not found"))
    # not "request": the templates read Flask's request (the header does)
    return toolkit.render("hokkaido/data_request.html", {
        "data_request": shown, "statuses": data_requests.STATUSES, "errors": errors,
        "error_summary": _summary(errors, _request_labels()),
        "values": values or {"status": shown["status"]},
        "may_answer": _allowed("hokkaido_data_request_answer", {"id": id}),
        "may_moderate": _allowed("hokkaido_data_request_moderate", {"id": id})})
