"""Pages of the publishing tracker: /municipalities and its CSV, and
/municipalities/<code> (with the form that records 他サイトで公開). They read
and write through the same actions as the API, so the numbers on the page
are the API's numbers. ``account`` sends a visitor who is not logged in to
the login page (and back) instead of showing a 403 page."""
from __future__ import annotations

import csv
import io
import os
from typing import Any

from flask import Blueprint, Response, redirect

from ckan.plugins import toolkit

from ckanext.hokkaido import tracker
from ckanext.hokkaido.maps import MAP_WIDTH, STATUS_COLORS, map_points
from ckanext.hokkaido.inventory import file as inventory

__all__ = ["municipalities", "account", "pages"]

municipalities = Blueprint("hokkaido_municipalities", __name__)
account = Blueprint("hokkaido_account", __name__)
pages = Blueprint("hokkaido_pages", __name__)


def _context() -> dict[str, Any]:
    return {"user": toolkit.current_user.name
            if toolkit.current_user.is_authenticated else ""}


def _filtered(rows: list[dict[str, Any]], args: Any) -> list[dict[str, Any]]:
    sub = args.get("subprefecture") or ""
    status = args.get("status") or ""
    q = (args.get("q") or "").strip()
    return [r for r in rows
            if (not sub or r["subprefecture"] == sub)
            and (not status or r["status"] == status)
            and (not q or q in r["name"] or q in r["name_kana"] or q == r["code"])]


@municipalities.route("/municipalities")
def index() -> str:
    everything = toolkit.get_action("hokkaido_municipality_list")(_context(), {})
    prefecture = next((r for r in everything if r["is_prefecture"]), None)
    rows = [r for r in everything if not r["is_prefecture"]]
    summary = tracker.summarize(rows)
    history = toolkit.get_action("hokkaido_publishing_history")(
        _context(), {})["series"]
    points, height = map_points(rows)
    args = toolkit.request.args
    table = _filtered(rows, args)
    return toolkit.render("hokkaido/municipalities.html", {
        "rows": rows, "table": table, "summary": summary, "prefecture": prefecture,
        "history": history, "points": points, "map_width": MAP_WIDTH,
        "map_height": height, "colors": STATUS_COLORS,
        "statuses": list(tracker.STATUSES),
        "subprefectures": sorted({r["subprefecture"] for r in rows}),
        "filters": {"subprefecture": args.get("subprefecture", ""),
                    "status": args.get("status", ""), "q": args.get("q", "")},
    })


@municipalities.route("/municipalities.csv")
def as_csv() -> Response:
    rows = toolkit.get_action("hokkaido_municipality_list")(_context(), {})
    out = io.StringIO()
    out.write("\ufeff")       # BOM: Excel opens the file as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    columns = ["code", "name", "name_kana", "type", "subprefecture", "status",
               "status_en", "dataset_count", "resource_count",
               "newest_modified", "standard_count", "source_count",
               "last_harvest_ok", "is_prefecture"]
    writer.writerow(columns + ["warnings", "elsewhere_url", "elsewhere_date"])
    for r in rows:  # 北海道's own row first, outside the 179
        values = ["" if r[c] is None else str(r[c]) for c in columns]
        values.append(str(len(r["warnings"])))
        values.append((r["elsewhere"] or {}).get("url", ""))
        values.append((r["elsewhere"] or {}).get("date", ""))
        writer.writerow([inventory.escape_cell(v) for v in values])
    return Response(out.getvalue().encode("utf-8"),
                    mimetype="text/csv; charset=utf-8", headers={
                        "Content-Disposition":
                            "attachment; filename=hokkaido_municipalities.csv"})


@municipalities.route("/municipalities/<code>")
def read(code: str, errors: Any = None, values: Any = None) -> str:
    try:
        row = toolkit.get_action("hokkaido_municipality_show")(
            _context(), {"id": code})
    except (toolkit.ObjectNotFound, toolkit.ValidationError):
        return toolkit.abort(404, toolkit._("Municipality not found") +
                             f": {code}")
    try:
        toolkit.check_access("hokkaido_municipality_set_elsewhere", _context(), {"id": code})
        may_record = True
    except toolkit.NotAuthorized:
        may_record = False
    return toolkit.render("hokkaido/municipality.html", {
        "m": row, "colors": STATUS_COLORS, "may_record": may_record,
        "errors": errors or {}, "values": values or {}})


@municipalities.route("/municipalities/<code>/elsewhere", methods=["POST"])
def record_elsewhere(code: str) -> Any:
    """The 他サイトで公開 form of the municipality page (its organization's
    members and sysadmins; CKAN's CSRF token checked)."""
    form = toolkit.request.form
    values = {"id": code, "url": form.get("url", "").strip(),
              "date": form.get("date", "").strip(), "note": form.get("note", "").strip()}
    try:
        toolkit.get_action("hokkaido_municipality_set_elsewhere")(
            _context(), {k: v for k, v in values.items() if v or k in ("id", "url")})
    except toolkit.NotAuthorized:
        return toolkit.abort(403, toolkit._("Only members of the municipality's organization may record this"))
    except toolkit.ObjectNotFound as exc:
        return toolkit.abort(404, str(exc))
    except toolkit.ValidationError as exc:
        return read(code, errors=exc.error_dict, values=values)
    toolkit.h.flash_success(toolkit._("Publication elsewhere recorded") if values["url"]
                            else toolkit._("Record of publication elsewhere cleared"))
    return toolkit.redirect_to("hokkaido_municipalities.read", code=code)


@pages.route("/webassets/ckanext-datatablesview/vendor/FontAwesome/images/<name>")
def datatables_icon(name: str) -> Response:
    """The search box's clear icon of CKAN's datatables_view: its CSS bundle
    names it relative to the bundle, where CKAN does not put it (a 404 on
    every table preview otherwise)."""
    import ckanext.datatablesview
    from flask import send_from_directory
    folder = os.path.join(os.path.dirname(ckanext.datatablesview.__file__), "assets", "vendor", "FontAwesome", "images")
    return send_from_directory(folder, name)


@pages.route("/terms")
def terms() -> str:
    """The terms of use, with the portal's licence list."""
    licences = toolkit.get_action("license_list")(_context(), {})
    return toolkit.render("hokkaido/terms.html", {"licences": licences})


@pages.route("/api-guide")
def api_guide() -> str:
    """A guide to the portal's APIs for developers, in Japanese and English:
    the action API, the DataStore API, the tracker's actions, tokens,
    ckanapi, limits (their values read from the running configuration)."""
    config = toolkit.config
    return toolkit.render("hokkaido/api_guide.html", {
        "search_rows_max": config.get("ckan.search.rows_max"),
        "datastore_rows_max": config.get("ckan.datastore.search.rows_max"),
        "sql_enabled": toolkit.asbool(config.get("ckan.datastore.sqlsearch.enabled")),
        "suggest_limit": 20,
    })


@account.after_app_request
def login_instead_of_forbidden(response: Response) -> Response:
    """A page refused to a visitor who is not logged in (an edit link
    followed from a bookmark, say) sends them to log in, then back."""
    request = toolkit.request
    if (response.status_code == 403 and request.method == "GET" and not request.path.startswith("/api/")
            and not toolkit.current_user.is_authenticated):
        toolkit.h.flash_notice(toolkit._("Please log in"))
        target = request.full_path if request.query_string else request.path
        return redirect(toolkit.url_for("user.login", next=target))
    return response
