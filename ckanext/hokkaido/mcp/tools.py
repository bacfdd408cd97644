"""What each tool does, as plain functions of a CKAN context.

Each function calls CKAN's actions (and, for aggregations, :mod:`.query`)
with the caller's context and returns a JSON-able dictionary that carries
the portal links of what it came from (``link``). The MCP layer
(:mod:`.server`) adds the descriptions, the input schemas, the caller and
the limits; these functions are what the tests call through it.
"""
from __future__ import annotations

import json
from typing import Any, Optional
from urllib.parse import urlencode

from ckan.plugins import toolkit

from ckanext.hokkaido import registry
from ckanext.hokkaido.settings import site_address
from ckanext.hokkaido.mcp import query
from ckanext.hokkaido.mcp.caller import refuse

__all__ = [
    "search_datasets", "get_dataset", "municipality_status", "describe_table", "query_table",
    "list_standard_datasets", "query_standard_dataset", "nearest_standard_points",
    "list_data_requests", "list_use_cases", "create_data_request", "capped", "settings",
]


def settings() -> dict[str, int]:
    get = toolkit.config.get
    return {"max_rows": get("ckanext.hokkaido.mcp.max_rows"), "max_bytes": get("ckanext.hokkaido.mcp.max_bytes"),
            "timeout_ms": get("ckanext.hokkaido.mcp.statement_timeout")}


def _action(name: str, context: dict[str, Any], data: dict[str, Any]) -> Any:
    return toolkit.get_action(name)(dict(context), data)


def capped(result: dict[str, Any], key: str = "rows") -> dict[str, Any]:
    """At most ``max_bytes`` of JSON: rows dropped from the end, and said."""
    limit = settings()["max_bytes"]
    size = len(json.dumps(result, ensure_ascii=False, default=str).encode("utf-8"))
    if size <= limit or not result.get(key):
        return result
    rows = result[key]
    while rows and size > limit:
        rows = rows[: max(0, len(rows) - max(1, len(rows) // 4))]
        size = len(json.dumps(dict(result, **{key: rows}), ensure_ascii=False, default=str).encode("utf-8"))
    return dict(result, **{key: rows, "truncated": True,
                           "note": f"結果が {limit:,} バイトを超えるため {len(rows)} 行に切り詰めました / "
                                   f"cut to {len(rows)} rows to stay under {limit:,} bytes"})


def _municipality_code(value: str) -> str:
    """A code (6 or 5 digits) or a name (札幌市, 札幌) → the 6-digit code."""
    value = (value or "").strip()
    if not value:
        return ""
    if value == registry.PREFECTURE_NAME or value == registry.PREFECTURE_CODE:
        return registry.PREFECTURE_CODE
    for m in registry.municipalities():
        if value in (m.code, m.code5, m.name, m.name_kana, m.name_hiragana) or \
                (len(value) >= 2 and m.name[:-1] == value):
            return m.code
    raise refuse(f"北海道の市町村ではありません: {value}", f"not a municipality of Hokkaido: {value}")


def _standard_no(value: str) -> str:
    value = (value or "").strip()
    for s in registry.standard_datasets():
        if value in (s.no, s.no.lstrip("0"), s.name) or (value and value in s.name):
            return s.no
    names = ", ".join(f"{s.no} {s.name}" for s in registry.standard_datasets())
    raise refuse(f"標準データセットではありません: {value}（{names}）",
                 f"not a standard dataset: {value} ({names})")


def _solr_phrase(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dataset_brief(d: dict[str, Any]) -> dict[str, Any]:
    tables = [r["id"] for r in d.get("resources", []) if r.get("datastore_active")]
    return {"name": d["name"], "title": d.get("title"),
            "organization": (d.get("organization") or {}).get("title"),
            "municipality_code": d.get("municipality_code"),
            "standard_dataset": d.get("standard_dataset") or None,
            "formats": sorted({r.get("format") for r in d.get("resources", []) if r.get("format")}),
            "modified": d.get("metadata_modified"), "private": d.get("private", False),
            "table_resource_ids": tables, "link": site_address(f"/dataset/{d['name']}")}


def search_datasets(context: dict[str, Any], query_text: str = "", municipality: str = "",
                    category: str = "", standard_dataset: str = "", file_format: str = "",
                    updated_within_days: int = 0, sort: str = "", rows: int = 10,
                    start: int = 0) -> dict[str, Any]:
    fq = []
    if municipality:
        fq.append(f"municipality_code:{_municipality_code(municipality)}")
    if category:
        fq.append(f"category:{_solr_phrase(category)}")
    if standard_dataset:
        fq.append(f"standard_dataset:{_standard_no(standard_dataset)}")
    if file_format:
        fq.append(f"res_format:{_solr_phrase(file_format.upper())}")
    if updated_within_days:
        fq.append(f"metadata_modified:[NOW-{int(updated_within_days)}DAYS TO *]")
    sorts = {"": "score desc, metadata_modified desc", "newest": "metadata_modified desc",
             "title": "title_string asc"}
    if sort not in sorts:
        raise refuse(f"並べ方は newest か title です: {sort}", f"sort is newest or title: {sort}")
    found = _action("package_search", context, {
        "q": query_text or "", "fq": " ".join(fq), "rows": query.positive(rows, 10, 50),
        "start": max(0, int(start or 0)), "sort": sorts[sort], "include_private": True,
        "facet.field": ["municipality_code", "category", "standard_dataset", "res_format"],
        "facet.limit": 10})
    facets = {name: {item["name"]: item["count"] for item in facet["items"]}
              for name, facet in found.get("search_facets", {}).items()
              if name in ("municipality_code", "category", "standard_dataset", "res_format")}
    if "municipality_code" in facets:
        facets["municipality_code"] = {f"{code} {registry.name_of(code) or ''}".strip(): n
                                       for code, n in facets["municipality_code"].items()}
    return capped({"count": found["count"], "results": [_dataset_brief(d) for d in found["results"]],
                   "facets": facets,
                   "link": site_address("/dataset/" + (f"?{urlencode({'q': query_text})}" if query_text else ""))},
                  key="results")


def get_dataset(context: dict[str, Any], dataset: str) -> dict[str, Any]:
    d = _action("package_show", context, {"id": dataset})
    resources = []
    for r in d.get("resources", []):
        table = None
        if r.get("datastore_active"):
            profile = _action("hokkaido_table_profile", context, {"resource_id": r["id"]})
            table = {"status": profile.get("status"), "rows": profile.get("rows"),
                     "columns": [c["name"] for c in profile.get("columns") or []]}
        resources.append({"id": r["id"], "name": r.get("name"), "format": r.get("format"),
                          "url": r.get("url"), "table": table, "table_loaded": bool(r.get("datastore_active")),
                          "link": site_address(f"/dataset/{d['name']}/resource/{r['id']}")})
    fields = {k: d.get(k) for k in ("title", "notes", "license_title", "municipality_code", "department",
                                    "section", "category", "standard_dataset", "update_frequency",
                                    "source_url", "metadata_created", "metadata_modified") if d.get(k)}
    return dict(fields, name=d["name"], organization=(d.get("organization") or {}).get("title"),
                tags=[t["name"] for t in d.get("tags", [])], resources=resources,
                link=site_address(f"/dataset/{d['name']}"))


def municipality_status(context: dict[str, Any], municipality: str = "",
                        subprefecture: str = "") -> dict[str, Any]:
    if municipality:
        code = _municipality_code(municipality)
        shown = _action("hokkaido_municipality_show", context, {"id": code})
        keep = ("code", "name", "subprefecture", "status", "status_en", "dataset_count", "resource_count",
                "newest_modified", "standard_coverage", "sources", "data_requests")
        result = {k: shown[k] for k in keep if k in shown}
        result["newest_datasets"] = [{"name": d.get("name"), "title": d.get("title"),
                                      "link": site_address(f"/dataset/{d.get('name')}")}
                                     for d in shown.get("datasets", [])[:10]]
        result["link"] = site_address(f"/municipalities/{code}")
        return capped(result, key="newest_datasets")
    summary = _action("hokkaido_publishing_summary", context, {})
    rows = _action("hokkaido_municipality_list", context,
                   {"subprefecture": subprefecture} if subprefecture else {})
    history = _action("hokkaido_publishing_history", context, {"days": 365})
    keep = ("code", "name", "subprefecture", "status", "dataset_count", "newest_modified", "standard_datasets")
    return {"summary": {k: summary.get(k) for k in ("municipalities", "publishing", "rate", "by_status",
                                                     "datasets", "definition")},
            "by_subprefecture": [{k: b.get(k) for k in ("subprefecture", "municipalities", "publishing",
                                                        "rate", "datasets")}
                                 for b in summary.get("by_subprefecture", [])],
            "municipalities": [{k: r.get(k) for k in keep} for r in rows if not r.get("is_prefecture")],
            "history": history.get("series", [])[-12:],
            "link": site_address("/municipalities")}


def describe_table(context: dict[str, Any], resource_id: str) -> dict[str, Any]:
    columns = query.columns_of(context, resource_id)
    profile = _action("hokkaido_table_profile", context, {"resource_id": resource_id})
    resource = _action("resource_show", context, {"id": resource_id})
    described = []
    for c in profile.get("columns") or [{"name": n, "type": t} for n, t in columns.items()]:
        described.append({k: c.get(k) for k in ("name", "type", "count", "missing", "distinct", "min", "max",
                                                 "mean", "median") if c.get(k) is not None}
                         | ({"top": c["top"][:5]} if c.get("top") else {}))
    return {"resource_id": resource_id, "name": resource.get("name"), "status": profile.get("status"),
            "rows": profile.get("rows"), "columns": described, "datastore_types": columns,
            "link": site_address(f"/dataset/{resource['package_id']}/resource/{resource_id}")}


def query_table(context: dict[str, Any], resource_id: str, filters: Optional[dict[str, Any]] = None,
                q: str = "", fields: Optional[list[str]] = None, sort: str = "", limit: int = 20,
                offset: int = 0, group_by: Optional[list[str]] = None,
                aggregates: Optional[list[dict[str, str]]] = None) -> dict[str, Any]:
    limits = settings()
    limit = query.positive(limit, 20, limits["max_rows"])
    filters = dict(filters or {})
    if group_by or aggregates:
        if q:
            raise refuse("集計では q は使えません。filters で絞り込んでください。",
                         "q cannot be combined with an aggregation; use filters.")
        result = query.aggregate(context, resource_id, list(group_by or []), list(aggregates or []),
                                 filters, limit, limits["timeout_ms"])
    else:
        data: dict[str, Any] = {"resource_id": resource_id, "limit": limit, "offset": max(0, int(offset or 0)),
                                "filters": filters, "include_total": True}
        if q:
            data["q"] = q
        if fields:
            data["fields"] = list(fields)
        if sort:
            data["sort"] = sort
        found = _action("datastore_search", context, data)
        names = [f["id"] for f in found["fields"] if f["id"] != "_id"]
        result = {"columns": names, "rows": [[r.get(n) for n in names] for r in found["records"]],
                  "total": found.get("total"), "limit": limit,
                  "truncated": (found.get("total") or 0) > data["offset"] + len(found["records"])}
    resource = _action("resource_show", context, {"id": resource_id})
    result["link"] = site_address(f"/dataset/{resource['package_id']}/resource/{resource_id}")
    return capped(result)


def list_standard_datasets(context: dict[str, Any]) -> dict[str, Any]:
    found = _action("hokkaido_standard_list", context, {})
    return {"standard_datasets": [dict({k: d[k] for k in ("no", "name", "resource_id", "municipalities", "of",
                                                          "rows", "last_rebuild", "columns")},
                                       link=site_address(f"/standard/{d['no']}")) for d in found],
            "link": site_address("/standard")}


def _merged(context: dict[str, Any], standard_dataset: str) -> tuple[str, str]:
    no = _standard_no(standard_dataset)
    shown = _action("hokkaido_standard_show", context, {"id": no})
    if not shown.get("resource_id"):
        raise refuse(f"{no} {shown.get('name')} はまだ統合されていません。",
                     f"{no} {shown.get('name')} is not merged yet.")
    return no, shown["resource_id"]


def query_standard_dataset(context: dict[str, Any], standard_dataset: str, municipality: str = "",
                           filters: Optional[dict[str, Any]] = None, q: str = "",
                           fields: Optional[list[str]] = None, limit: int = 20, offset: int = 0,
                           group_by: Optional[list[str]] = None,
                           aggregates: Optional[list[dict[str, str]]] = None) -> dict[str, Any]:
    no, resource_id = _merged(context, standard_dataset)
    filters = dict(filters or {})
    if municipality:
        filters["municipality_code"] = _municipality_code(municipality)
    result = query_table(context, resource_id, filters=filters, q=q, fields=fields, limit=limit,
                         offset=offset, group_by=group_by, aggregates=aggregates)
    if "municipality_code" in (group_by or []):
        at = result["columns"].index("municipality_code")
        result["municipality_names"] = {r[at]: registry.name_of(r[at]) for r in result["rows"]}
    return dict(result, standard_dataset=no, link=site_address(f"/standard/{no}"))


def nearest_standard_points(context: dict[str, Any], standard_dataset: str, lat: float, lng: float,
                            radius_m: int = 2000, limit: int = 20) -> dict[str, Any]:
    no = _standard_no(standard_dataset)
    found = _action("hokkaido_standard_near", context, {"id": no, "lat": lat, "lng": lng, "radius": radius_m,
                                                        "limit": query.positive(limit, 20, 100)})
    return capped(dict(found, standard_dataset=no, link=site_address(f"/standard/{no}")), key="results")


def list_data_requests(context: dict[str, Any], query_text: str = "", status: str = "",
                       limit: int = 20) -> dict[str, Any]:
    found = _action("hokkaido_data_request_list", context,
                    {k: v for k, v in (("q", query_text), ("status", status),
                                       ("limit", query.positive(limit, 20, 100))) if v})
    results = [dict({k: r.get(k) for k in ("id", "title", "description", "status", "status_note",
                                           "organization_name", "organization_title", "package_name",
                                           "created")}, link=site_address(f"/datarequests/{r['id']}"))
               for r in found["results"]]
    return capped({"count": found["count"], "results": results, "link": site_address("/datarequests")}, key="results")


def list_use_cases(context: dict[str, Any], query_text: str = "", dataset: str = "",
                   limit: int = 20) -> dict[str, Any]:
    found = _action("hokkaido_use_case_list", context,
                    {k: v for k, v in (("q", query_text), ("dataset", dataset),
                                       ("limit", query.positive(limit, 20, 100))) if v})
    results = [dict({k: r.get(k) for k in ("name", "title", "description", "url")},
                    link=site_address(f"/usecases/{r['name']}")) for r in found["results"]]
    return capped({"count": found["count"], "results": results, "link": site_address("/usecases")}, key="results")


def create_data_request(context: dict[str, Any], title: str, description: str, organization: str = "",
                        reason: str = "") -> dict[str, Any]:
    data = {"title": title, "description": description}
    if organization:
        data["organization"] = _municipality_code(organization) if not organization.isascii() \
            or organization.isdigit() else organization
    if reason:
        data["reason"] = reason
    made = _action("hokkaido_data_request_create", context, data)
    return {"id": made["id"], "title": made["title"], "status": made.get("status"),
            "link": site_address(f"/datarequests/{made['id']}")}
