"""The table preview's server side, where searching works in Japanese.

ckanext-datatablesview's preview (``datatables_view``) asks its server for
each page of rows. Its own server side turns every character of a search
that is not a Latin letter or a digit into a wildcard, so 医療機関 searched
for ``_:*``. These two addresses replace it (the plugin's blueprints are
registered before the view's): the same DataTables protocol, the search
text passed as it was typed to ``datastore_search``'s plain ``q``, which
finds any part of a value (:mod:`ckanext.hokkaido.tables.search`).
"""
from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response
from markupsafe import escape

from ckan.plugins import toolkit

__all__ = ["table_preview"]

table_preview = Blueprint("hokkaido_table_preview", __name__)

#: rows a page of the preview may ask for
PAGE_MAX = 1000


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _view_and_filters(resource_view_id: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The resource view, its own filters, and those with the visitor's
    added (which may only narrow the view's)."""
    from ckanext.datatablesview.blueprint import merge_filters
    view = toolkit.get_action("resource_view_show")({}, {"id": resource_view_id})
    view_filters = view.get("filters", {})
    return view, view_filters, merge_filters(view_filters, toolkit.h.decode_view_request_filters())


def _columns(view: dict[str, Any], fields: list[dict[str, Any]]) -> list[str]:
    columns = [f["id"] for f in fields]
    if "show_fields" in view:
        columns = [c for c in columns if c in view["show_fields"]]
    return columns


def _query(search_text: str, column_searches: dict[str, str]) -> Any:
    """``q`` as typed: per column when the column boxes are used, else the
    search box's text."""
    column_searches = {k: v.strip() for k, v in column_searches.items() if v and v.strip()}
    return column_searches or search_text.strip()


@table_preview.route("/datatables/ajax/<resource_view_id>", methods=["POST"])
def rows(resource_view_id: str) -> Any:
    """One page of the preview (DataTables' server-side protocol)."""
    from ckanext.datatablesview import blueprint as datatables
    # CKAN 2.12's preview counts past this many rows by estimate; 2.11's always exactly
    threshold = getattr(datatables, "ESTIMATION_THRESHOLD", None)
    estimate = {"total_estimation_threshold": threshold} if threshold else {}
    form = toolkit.request.form
    search = toolkit.get_action("datastore_search")
    try:
        view, view_filters, filters = _view_and_filters(resource_view_id)
        everything = search({}, {"resource_id": view["resource_id"], "limit": 0, "filters": view_filters,
                                 **estimate})
    except toolkit.ObjectNotFound:
        return Response(json.dumps({"error": "Object not found"}), 404, mimetype="application/json")
    except toolkit.NotAuthorized:
        return Response(json.dumps({"error": "Not Authorized"}), 403, mimetype="application/json")
    columns = _columns(view, everything["fields"])
    sort, n = [], 0
    while f"order[{n}][column]" in form:
        index = _int(form.get(f"order[{n}][column]"), 0)
        if 0 <= index < len(columns):
            sort.append(f'"{columns[index]}" {"desc" if form.get(f"order[{n}][dir]") == "desc" else "asc"}')
        n += 1
    column_searches, n = {}, 0
    while f"columns[{n}][name]" in form:
        column_searches[form[f"columns[{n}][name]"]] = form.get(f"columns[{n}][search][value]", "")
        n += 1
    params = {"resource_id": view["resource_id"], "filters": filters, "sort": ", ".join(sort),
              "offset": max(0, _int(form.get("start"), 0)),
              "limit": min(max(1, _int(form.get("length"), 10)), PAGE_MAX), **estimate}
    q = _query(form.get("search[value]", ""), column_searches)
    if q:
        params["q"] = q
    draw = _int(form.get("draw"), 0)
    try:
        found = search({}, params)
    except toolkit.ValidationError as exc:
        return Response(json.dumps({"draw": draw, "error": str(exc.error_dict)}), 400, mimetype="application/json")
    null = toolkit.h.datatablesview_null_label()
    data = [dict({c: str(escape(null if row.get(c) is None else row.get(c))) for c in columns},
                 DT_RowId=f"row{row.get('_id', '')}") for row in found["records"]]
    return Response(json.dumps({
        "draw": draw, "recordsTotal": everything.get("total", 0), "recordsFiltered": found.get("total", 0),
        "data": data, "total_was_estimated": everything.get("total_was_estimated", False)}),
        mimetype="application/json")


@table_preview.route("/datatables/filtered-download/<resource_view_id>", methods=["POST"])
def filtered_download(resource_view_id: str) -> Any:
    """The preview's download of the rows shown: the DataStore's dump with
    the same search, sort and visible columns."""
    try:
        wanted = json.loads(toolkit.request.form.get("params") or "{}")
    except ValueError:
        return toolkit.abort(400, toolkit._("The download's parameters are not JSON"))
    try:
        view, _view_filters, filters = _view_and_filters(resource_view_id)
        fields = toolkit.get_action("datastore_search")({}, {"resource_id": view["resource_id"], "limit": 0})["fields"]
    except toolkit.ObjectNotFound:
        return toolkit.abort(404, toolkit._("Resource view not found"))
    except toolkit.NotAuthorized:
        return toolkit.abort(403, toolkit._("Not authorized to see this page"))
    columns = _columns(view, fields)
    sort = [f'"{columns[_int(o.get("column"), 0)]}" {"desc" if o.get("dir") == "desc" else "asc"}'
            for o in wanted.get("order", []) if 0 <= _int(o.get("column"), -1) < len(columns)]
    visible = wanted.get("visible") or [True] * len(columns)
    q = _query((wanted.get("search") or {}).get("value", ""),
               {c.get("name", ""): (c.get("search") or {}).get("value", "") for c in wanted.get("columns", [])})
    params = {"sort": ",".join(sort), "filters": json.dumps(filters),
              "format": toolkit.request.form.get("format", "csv"),
              "fields": ",".join(c for c, shown in zip(columns, visible) if shown)}
    if q:
        params["q"] = json.dumps(q, ensure_ascii=False) if isinstance(q, dict) else q
    return toolkit.redirect_to(toolkit.url_for("datastore.dump", resource_id=view["resource_id"]) + "?" + urlencode(params))
