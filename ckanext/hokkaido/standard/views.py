"""Pages of the merged standard datasets: ``/standard`` (each dataset with
how many municipalities contribute and its rows), ``/standard/<no>`` (the
contributors with their reports, a map of the points, the table) and the
downloads ``/standard/<no>.csv`` (UTF-8 with BOM: Excel opens it) and
``/standard/<no>.geojson``."""
from __future__ import annotations

import json
from typing import Any, Iterator

import sqlalchemy as sa
from flask import Blueprint, Response

from ckan.plugins import toolkit

from ckanext.hokkaido.maps import MAP_HEIGHT, MAP_WIDTH, project
from ckanext.hokkaido.standard.columns import LAT, LNG

__all__ = ["standard"]

standard = Blueprint("hokkaido_standard", __name__)

#: points drawn on a page's map (the table and the downloads have them all)
MAP_POINTS = 3000


def _context() -> dict[str, Any]:
    return {"user": toolkit.current_user.name if toolkit.current_user.is_authenticated else ""}


@standard.route("/standard")
def index() -> str:
    found = toolkit.get_action("hokkaido_standard_list")(_context(), {})
    return toolkit.render("hokkaido/standard_list.html", {"datasets": found})


def _show(no: str) -> dict[str, Any]:
    try:
        return toolkit.get_action("hokkaido_standard_show")(_context(), {"id": no})
    except toolkit.ValidationError:
        return toolkit.abort(404, toolkit._("Not a merged standard dataset"))


def _points(resource_id: str) -> list[dict[str, Any]]:
    from ckanext.datastore.backend.postgres import get_read_engine
    sql = (f'SELECT "{LAT}" AS lat, "{LNG}" AS lng, "名称" AS name, municipality_code FROM "{resource_id}" '
           f'WHERE "{LAT}" IS NOT NULL LIMIT {MAP_POINTS}')
    with get_read_engine().connect() as connection:
        rows = connection.execute(sa.text(sql)).mappings().all()
    return [dict(r, xy=project(r["lat"], r["lng"])) for r in rows]


@standard.route("/standard/<no>")
def read(no: str) -> str:
    shown = _show(no)
    points = _points(shown["resource_id"]) if shown["resource_id"] else []
    return toolkit.render("hokkaido/standard.html", {"d": shown, "points": points,
                                                      "map_width": MAP_WIDTH, "map_height": MAP_HEIGHT})


@standard.route("/standard/<no>.csv")
def download_csv(no: str) -> Any:
    shown = _show(no)
    if not shown["resource_id"]:
        return toolkit.abort(404, toolkit._("This standard dataset has not been merged yet"))
    return toolkit.redirect_to(toolkit.url_for("datastore.dump", resource_id=shown["resource_id"], bom=True,
                                               format="csv"))


@standard.route("/standard/<no>.geojson")
def download_geojson(no: str) -> Any:
    shown = _show(no)
    if not shown["resource_id"]:
        return toolkit.abort(404, toolkit._("This standard dataset has not been merged yet"))
    from ckanext.datastore.backend.postgres import get_read_engine
    resource_id = shown["resource_id"]

    def features() -> Iterator[str]:
        yield '{"type": "FeatureCollection", "features": ['
        first = True
        with get_read_engine().connect() as connection:
            result = connection.execution_options(stream_results=True).execute(sa.text(
                f'SELECT * FROM "{resource_id}" WHERE "{LAT}" IS NOT NULL ORDER BY _id'))
            for row in result.mappings():
                properties = {k: v for k, v in row.items() if not k.startswith("_") and k not in (LAT, LNG)}
                feature = {"type": "Feature", "properties": properties,
                           "geometry": {"type": "Point", "coordinates": [row[LNG], row[LAT]]}}
                yield ("" if first else ",") + json.dumps(feature, ensure_ascii=False, default=str)
                first = False
        yield "]}"

    return Response(features(), mimetype="application/geo+json",
                    headers={"Content-Disposition": f'attachment; filename="hokkaido-standard-{shown["no"]}.geojson"'})
