"""The portal's maps of Hokkaido: one frame, one projection, one outline.

Every map of the portal (the tracker's, the front page's, each merged
standard dataset's) is an SVG drawn on the server: the coastline and the
179 municipal boundaries from ``data/hokkaido_boundaries.json`` (国土数値情報
N03 of 2021-01-01, MLIT, simplified; built by ``scripts/build_boundaries.py``,
source and licence inside the file and in README), nothing fetched at run
time, with points (town halls, facilities) on top. It needs no JavaScript.

The boundaries are a topology: each border is one arc, shared by the two
municipalities on its sides; an arc used by one municipality only is coast.
The outline is drawn from the arcs once each: the land (the coast arcs
chained into rings, filled) and the borders (the shared arcs, a thin line),
so no border is drawn twice and the page carries each point once.
"""
from __future__ import annotations

import collections
import functools
import json
import math
import os
from typing import Any, NamedTuple

from ckanext.hokkaido.tracker import rules as tracker

__all__ = ["MAP_WIDTH", "MAP_HEIGHT", "STATUS_COLORS", "Outline", "map_points",
           "outline", "project"]

BOUNDARIES = os.path.join(os.path.dirname(__file__), "data", "hokkaido_boundaries.json")

# the frame: Hokkaido's extent in degrees, with a margin
_LNG = (139.2, 146.0)
_LAT = (41.3, 45.65)
_COS = math.cos(math.radians(43.4))
MAP_WIDTH = 640
_SCALE = MAP_WIDTH / ((_LNG[1] - _LNG[0]) * _COS)
MAP_HEIGHT = int((_LAT[1] - _LAT[0]) * _SCALE)


def project(lat: float, lng: float) -> tuple[float, float]:
    """A point of Hokkaido on the portal's maps (equirectangular, scaled by
    the cosine of the middle latitude so the island keeps its shape)."""
    return (round((lng - _LNG[0]) * _COS * _SCALE, 1),
            round((_LAT[1] - lat) * _SCALE, 1))


# a municipality's publishing status on the maps and the tracker's pages,
# each readable in white on it (WCAG AA, checked by axe)
STATUS_COLORS = {
    tracker.PUBLISHING: "#2e7d32",
    tracker.STALE: "#946000",
    tracker.ELSEWHERE: "#1565c0",
    tracker.HARVEST_ERROR: "#c62828",
    tracker.UNKNOWN: "#6e6e6e",
}


def map_points(rows: list[dict[str, Any]]) -> tuple[list[dict], int]:
    """The tracker's rows with a town hall, projected (:func:`project`) and
    coloured by status; and the map's height."""
    points = []
    for r in rows:
        if r["lat"] is None or r["lng"] is None:
            continue
        x, y = project(r["lat"], r["lng"])
        points.append(dict(r, x=x, y=y, color=STATUS_COLORS[r["status"]]))
    return points, MAP_HEIGHT


class Outline(NamedTuple):
    """SVG path data (``d``) in the frame of :func:`project`."""
    land: str       # the coast, closed rings: fill it, stroke it as the coastline
    borders: str    # the borders between two municipalities, open lines
    municipalities: int
    points: int


def _path(lines: list[list[tuple[float, float]]], close: bool) -> str:
    """``M x y`` then relative moves (one decimal), one subpath per line."""
    parts = []
    for line in lines:
        xy = [project(lat, lng) for lng, lat in line]
        out = [f"M{xy[0][0]:g} {xy[0][1]:g}"]
        for (x0, y0), (x1, y1) in zip(xy, xy[1:]):
            dx, dy = round(x1 - x0, 1), round(y1 - y0, 1)
            if dx or dy:
                out.append(f"l{dx:g} {dy:g}")
        if close:
            out.append("z")
        parts.append("".join(out))
    return "".join(parts).replace(" -", "-")


def _oriented(arcs: list, index: int) -> list:
    return arcs[index] if index >= 0 else arcs[~index][::-1]


def _rings(arcs: list, pieces: list[int]) -> list[list]:
    """Chain the coast arcs (each as its municipality uses it, so all run
    the same way round the land) into closed rings."""
    starting = collections.defaultdict(list)
    for a in pieces:
        starting[tuple(_oriented(arcs, a)[0])].append(a)
    rings, left = [], set(pieces)
    for first in pieces:
        if first not in left:
            continue
        left.discard(first)
        ring = list(_oriented(arcs, first))
        while tuple(ring[-1]) != tuple(ring[0]):
            following = [a for a in starting[tuple(ring[-1])] if a in left]
            if not following:
                raise ValueError(f"{BOUNDARIES}: the coast does not close at {ring[-1]}")
            left.discard(following[0])
            ring += _oriented(arcs, following[0])[1:]
        rings.append(ring)
    return rings


@functools.lru_cache(maxsize=1)
def outline() -> Outline:
    """Hokkaido's land and municipal borders, read once per process."""
    with open(BOUNDARIES, encoding="utf-8") as f:
        data = json.load(f)
    arcs = data["arcs"]
    users: dict[int, set[str]] = collections.defaultdict(set)
    times: collections.Counter = collections.Counter()
    used_as: dict[int, int] = {}   # the arc as its (last) municipality runs it, for the coast's direction
    for code, polygons in data["municipalities"].items():
        for polygon in polygons:
            for ring in polygon:
                for a in ring:
                    i = a if a >= 0 else ~a
                    users[i].add(code)
                    times[i] += 1
                    used_as[i] = a
    # used once: coast; by two municipalities: a border; twice by one (札幌市's wards): inside
    coast = [used_as[i] for i in sorted(users) if times[i] == 1]
    borders = [arcs[i] for i in sorted(users) if len(users[i]) == 2]
    return Outline(land=_path(_rings(arcs, coast), close=True),
                   borders=_path(borders, close=False),
                   municipalities=len(data["municipalities"]),
                   points=sum(len(a) for a in arcs))

