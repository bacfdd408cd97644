"""Actions of the merged standard datasets: ``hokkaido_standard_list``,
``hokkaido_standard_show``, ``hokkaido_standard_near`` (read by anyone)
and ``hokkaido_standard_exclude`` (the dataset's editors)."""
from __future__ import annotations

import json
import math
from typing import Any

import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit

from ckanext.hokkaido import registry
from ckanext.hokkaido.validation import validate as _validate
from ckanext.hokkaido.standard import merge, schema
from ckanext.hokkaido.standard.columns import LAT, LNG, definitions

__all__ = ["hokkaido_standard_list", "hokkaido_standard_show", "hokkaido_standard_near",
           "hokkaido_standard_exclude"]

#: the most points hokkaido_standard_near returns
NEAR_LIMIT = 100


def _rebuilt(no: str) -> str | None:
    from ckan.model.system_info import get_system_info
    return get_system_info(f"hokkaido_standard_rebuilt_{no}")


def _summary(no: str) -> dict[str, Any]:
    spec = definitions()[no]
    rows = model.Session.execute(sa.text("""
        SELECT count(DISTINCT municipality_code) FILTER (WHERE status = 'merged' AND rows > 0) AS municipalities,
               coalesce(sum(rows) FILTER (WHERE status = 'merged'), 0) AS rows,
               count(*) AS tables
          FROM hokkaido_standard_source WHERE standard_no = :no"""), {"no": no}).first()
    resource_id = merge.merged_resource_id(no)
    return {"no": no, "name": spec.name, "resource_id": resource_id,
            "dataset": merge.dataset_name(no) if resource_id else None,
            "municipalities": int(rows.municipalities), "of": len(registry.municipalities()),
            "rows": int(rows.rows), "tables": int(rows.tables), "last_rebuild": _rebuilt(no),
            "columns": list(spec.columns)}


@toolkit.side_effect_free
def hokkaido_standard_list(context, data_dict) -> list[dict[str, Any]]:
    """The standard datasets merged across Hokkaido: for each, its number
    and name, the merged table's resource (query it with
    ``datastore_search``), how many municipalities contribute (of 179),
    the rows, the tables read and the last rebuild.

    :rtype: list of dictionaries
    """
    toolkit.check_access("hokkaido_standard_list", context, data_dict)
    return [_summary(no) for no in definitions()]


@toolkit.side_effect_free
def hokkaido_standard_show(context, data_dict) -> dict[str, Any]:
    """One merged standard dataset, with its contributors: each table's
    dataset, resource, municipality, rows merged and rejected, status
    (``merged``, ``not_standard``: the file is not that dataset,
    ``excluded`` by a steward) and report (columns matched, unmatched,
    missing; the first rejected rows with their line and reason); and the
    rows per municipality.

    :param id: the standard dataset's number, e.g. ``08`` (AED)
    :type id: string
    """
    toolkit.check_access("hokkaido_standard_show", context, data_dict)
    data = _validate(data_dict, schema.standard_show(), context)
    no = data["id"]
    result = _summary(no)
    rows = model.Session.execute(sa.text("""
        SELECT s.*, p.name AS package_name, p.title AS package_title
          FROM hokkaido_standard_source s JOIN package p ON p.id = s.package_id
         WHERE s.standard_no = :no ORDER BY s.municipality_code, p.name"""), {"no": no})
    contributors = []
    for r in rows:
        contributors.append({
            "resource_id": r.resource_id, "dataset": r.package_name, "dataset_title": r.package_title,
            "municipality_code": r.municipality_code, "municipality": registry.name_of(r.municipality_code),
            "status": r.status, "rows": r.rows, "rejected": r.rejected, "excluded": r.excluded,
            "excluded_reason": r.excluded_reason, "merged_at": r.merged_at.isoformat() if r.merged_at else None,
            "report": json.loads(r.report or "{}")})
    result["contributors"] = contributors
    per: dict[str, int] = {}
    for c in contributors:
        if c["status"] == "merged":
            per[c["municipality_code"]] = per.get(c["municipality_code"], 0) + c["rows"]
    result["rows_per_municipality"] = [{"code": code, "name": registry.name_of(code), "rows": n}
                                       for code, n in sorted(per.items())]
    return result


@toolkit.side_effect_free
def hokkaido_standard_near(context, data_dict) -> dict[str, Any]:
    """The rows of a merged standard dataset nearest a point, with their
    distance: "AEDs within 2 km of here".

    :param id: the standard dataset's number, e.g. ``08``
    :type id: string
    :param lat: latitude (degrees, WGS84)
    :type lat: float
    :param lng: longitude
    :type lng: float
    :param radius: metres (default 2000, at most 50000)
    :type radius: int
    :param limit: how many (default 20, at most 100)
    :type limit: int
    :returns: ``results`` (each row with ``distance_m``), ``count``
    """
    toolkit.check_access("hokkaido_standard_near", context, data_dict)
    data = _validate(data_dict, schema.standard_near(), context)
    no, lat, lng = data["id"], float(data["lat"]), float(data["lng"])
    radius = min(float(data.get("radius") or 2000), 50_000)
    limit = min(int(data.get("limit") or 20), NEAR_LIMIT)
    resource_id = merge.merged_resource_id(no)
    if resource_id is None:
        raise toolkit.ObjectNotFound(toolkit._("This standard dataset has not been merged yet"))
    dlat = radius / 111_320.0
    dlng = radius / (111_320.0 * max(math.cos(math.radians(lat)), 0.01))
    table, la, ln = f'"{resource_id}"', f'"{LAT}"', f'"{LNG}"'
    sql = f"""
        SELECT * FROM (
            SELECT t.*, 2 * 6371000 * asin(sqrt(
                       power(sin(radians({la} - :lat) / 2), 2) +
                       cos(radians(:lat)) * cos(radians({la})) * power(sin(radians({ln} - :lng) / 2), 2))) AS distance_m
              FROM {table} t
             WHERE {la} BETWEEN :lat - :dlat AND :lat + :dlat AND {ln} BETWEEN :lng - :dlng AND :lng + :dlng) near
         WHERE distance_m <= :radius ORDER BY distance_m LIMIT :limit"""
    from ckanext.datastore.backend.postgres import get_read_engine
    with get_read_engine().connect() as connection:
        found = connection.execute(sa.text(sql), {"lat": lat, "lng": lng, "dlat": dlat, "dlng": dlng,
                                                  "radius": radius, "limit": limit}).mappings().all()
    results = []
    for row in found:
        item = {k: v for k, v in row.items() if not k.startswith("_")}
        item["distance_m"] = round(float(item["distance_m"]), 1)
        results.append(item)
    return {"count": len(results), "results": results, "resource_id": resource_id}


def hokkaido_standard_exclude(context, data_dict) -> dict[str, Any]:
    """Leave a table out of its merged standard dataset (or take it back),
    with a reason: the editors of the table's dataset.

    :param resource_id: the table's resource
    :type resource_id: string
    :param exclude: true to leave it out, false to take it back
    :type exclude: bool
    :param reason: why (kept and shown with the contributors)
    :type reason: string
    """
    data = _validate(data_dict, schema.standard_exclude(), context)
    resource = model.Resource.get(data["resource_id"])
    if resource is None:
        raise toolkit.ObjectNotFound(toolkit._("Resource not found"))
    toolkit.check_access("package_update", context, {"id": resource.package_id})
    exclude = bool(data["exclude"])
    if exclude and not data.get("reason"):
        raise toolkit.ValidationError({"reason": [toolkit._("Say why the table is left out")]})
    merge.set_excluded(resource.id, exclude, data.get("reason") or "")
    no = merge.rebuild_for_resource(resource.id)
    return {"resource_id": resource.id, "standard_no": no, "excluded": exclude}
