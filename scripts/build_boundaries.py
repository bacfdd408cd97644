"""Build ``ckanext/hokkaido/data/hokkaido_boundaries.json``: the coastline and
the 179 municipal boundaries the portal's maps draw.

A maintainer's tool, run once when the boundaries change (a merger), never by
the setup or at run time; the portal reads only the file it writes.

Input: a TopoJSON topology of Hokkaido's 行政区域 from 国土数値情報 (N03),
e.g. ``data/municipality/topojson/s0010/N03-21_01_210101.json`` of
https://github.com/smartnews-smri/japan-topography (the MLIT data of
2021-01-01 simplified to 1 %, with shared borders as shared arcs)::

    python scripts/build_boundaries.py N03-21_01_210101.json \\
        ckanext/hokkaido/data/hokkaido_boundaries.json

What it does: decodes the arcs, keeps the 179 municipalities of the registry
(札幌市's ten wards become one municipality; the six villages of the Northern
Territories, outside the portal's map frame and not in the registry, are
left out), simplifies each arc on its own (Douglas-Peucker, so a border
shared by two municipalities stays one line) and rounds to 4 decimals
(about 10 m). Fails when a municipality of the registry has no shape.
"""
from __future__ import annotations

import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from harvesters.municipalities import municipalities  # noqa: E402

# about 0.2 px on the portal's 640 px wide map
TOLERANCE = 0.0016
COS = math.cos(math.radians(43.4))
SOURCE = ("国土数値情報（行政区域データ）N03, 2021-01-01（国土交通省）を加工して作成 / "
          "National Land Numerical Information (administrative areas, MLIT), "
          "simplified by SmartNews Media Research Institute (japan-topography, "
          "s0010) and by scripts/build_boundaries.py")
LICENCE = ("国土数値情報ダウンロードサイト利用約款 (CC BY 4.0 互換: 出典の記載) / "
           "MLIT National Land Numerical Information terms (CC BY 4.0 compatible, "
           "attribution required)")


def _decode(topology: dict) -> list[list[tuple[float, float]]]:
    sx, sy = topology["transform"]["scale"]
    tx, ty = topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _distance(p, a, b) -> float:
    """Distance of p from the segment a–b, in degrees of latitude."""
    px, py, ax, ay, bx, by = p[0] * COS, p[1], a[0] * COS, a[1], b[0] * COS, b[1]
    dx, dy = bx - ax, by - ay
    if dx == dy == 0:
        return math.hypot(px - ax, py - ay)
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def _simplify(points: list) -> list:
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        far, index = 0.0, None
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > far:
                far, index = d, i
        if index is not None and far > TOLERANCE:
            keep[index] = True
            stack += [(first, index), (index, last)]
    kept = [p for p, k in zip(points, keep) if k]
    # a closed arc (an island) keeps at least a triangle
    if kept[0] == kept[-1] and len(kept) < 4:
        step = max(1, len(points) // 3)
        kept = [points[0], points[step], points[2 * step], points[-1]]
    return kept


def build(topology: dict) -> dict:
    arcs = _decode(topology)
    geometries = next(iter(topology["objects"].values()))["geometries"]
    five_digit = {m.code[:5]: m.code for m in municipalities()}
    shapes: dict[str, list] = {}
    for g in geometries:
        n03 = g["properties"]["N03_007"]
        code = five_digit.get(n03) or (five_digit.get("01100") if n03.startswith("011") else None)
        if code is None:
            continue
        polygons = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]
        shapes.setdefault(code, []).extend(polygons)
    missing = sorted(set(five_digit.values()) - set(shapes))
    if missing:
        raise SystemExit(f"no shape for {', '.join(missing)}")
    used = sorted({a if a >= 0 else ~a for polys in shapes.values()
                   for poly in polys for ring in poly for a in ring})
    renumber = {old: new for new, old in enumerate(used)}
    out_arcs = [[[round(x, 4), round(y, 4)] for x, y in _simplify(arcs[old])] for old in used]
    out_shapes = {
        code: [[[renumber[a] if a >= 0 else ~renumber[~a] for a in ring] for ring in poly]
               for poly in polys]
        for code, polys in sorted(shapes.items())}
    return {"source": SOURCE, "licence": LICENCE, "arcs": out_arcs, "municipalities": out_shapes}


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        data = build(json.load(f))
    with open(argv[2], "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
    points = sum(len(a) for a in data["arcs"])
    print(f"{len(data['municipalities'])} municipalities, {len(data['arcs'])} arcs, "
          f"{points} points, {os.path.getsize(argv[2]):,} bytes → {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
