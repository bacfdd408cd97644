"""The portal's maps (issue 30, 4): the coastline and the 179 municipal
boundaries come from the file in the repository (国土数値情報 N03,
simplified by scripts/build_boundaries.py), nothing from the internet.
Checked against the registry: every municipality has a shape and its own
town hall lies inside it (which also proves the codes were mapped right,
札幌市's ten wards included); the coast closes into rings; each border is
drawn once. Bad input tried: a topology missing a municipality (the build
stops and names it) and a boundaries file whose coast does not close (the
map says which file)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ckanext.hokkaido import maps
from harvesters.municipalities import municipalities

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _boundaries():
    with open(maps.BOUNDARIES, encoding="utf-8") as f:
        return json.load(f)


def _ring(arcs, ring):
    points = []
    for a in ring:
        piece = arcs[a] if a >= 0 else arcs[~a][::-1]
        points += piece if not points else piece[1:]
    return points


def _inside(point, ring):
    x, y = point
    inside = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]):
        if (y0 > y) != (y1 > y) and x < (x1 - x0) * (y - y0) / (y1 - y0) + x0:
            inside = not inside
    return inside


def test_the_file_names_its_source_and_licence():
    data = _boundaries()
    assert "国土数値情報" in data["source"] and "CC BY 4.0" in data["licence"]


def test_every_municipality_has_a_shape_holding_its_own_town_hall():
    data = _boundaries()
    assert sorted(data["municipalities"]) == sorted(m.code for m in municipalities())
    wrong = []
    for m in municipalities():
        rings = [_ring(data["arcs"], r) for polygon in data["municipalities"][m.code] for r in polygon]
        holding = sum(_inside((m.lng, m.lat), r) for r in rings)
        if holding % 2 != 1:
            wrong.append(f"{m.code} {m.name}")
    assert wrong == []


def test_the_outline_is_the_coast_in_closed_rings_and_each_border_once():
    outline = maps.outline()
    assert outline.municipalities == 179
    # the main island and the islands (利尻, 礼文, 奥尻, 天売, 焼尻 …), each closed
    rings = outline.land.count("M")
    assert 10 <= rings <= 40 and outline.land.count("z") == rings
    data = _boundaries()
    used = {}
    for code, polygons in data["municipalities"].items():
        for polygon in polygons:
            for ring in polygon:
                for a in ring:
                    used.setdefault(a if a >= 0 else ~a, []).append(code)
    shared = [i for i, codes in used.items() if len(set(codes)) == 2]
    assert outline.borders.count("M") == len(shared) > 400
    # 札幌市's wards: their borders with each other are inside the city, not drawn
    inside_sapporo = [i for i, codes in used.items() if codes == ["011002", "011002"]]
    assert inside_sapporo and len(shared) + len(inside_sapporo) < len(used)
    # the town halls fall on the land
    x, y = maps.project(43.0621, 141.3544)
    assert 0 < x < maps.MAP_WIDTH and 0 < y < maps.MAP_HEIGHT


def test_a_coast_that_does_not_close_is_an_error_naming_the_file(tmp_path, monkeypatch):
    data = _boundaries()
    coast = next(i for i, arc in enumerate(data["arcs"]) if arc[0] != arc[-1]
                 and sum(1 for polygons in data["municipalities"].values() for polygon in polygons
                         for ring in polygon for a in ring if (a if a >= 0 else ~a) == i) == 1)
    data["arcs"][coast] = data["arcs"][coast][:-1] + [[0.0, 0.0]]
    broken = tmp_path / "boundaries.json"
    broken.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(maps, "BOUNDARIES", str(broken))
    maps.outline.cache_clear()
    try:
        with pytest.raises(ValueError, match="boundaries.json: the coast does not close"):
            maps.outline()
    finally:
        monkeypatch.undo()
        maps.outline.cache_clear()


def test_the_build_stops_when_a_municipality_has_no_shape(tmp_path):
    topology = {"type": "Topology", "transform": {"scale": [0.001, 0.001], "translate": [140, 42]},
                "arcs": [[[0, 0], [10, 0], [0, 10], [-10, -10]]],
                "objects": {"n03": {"type": "GeometryCollection", "geometries": [
                    {"type": "Polygon", "arcs": [[0]], "properties": {"N03_007": "01202"}}]}}}
    source = tmp_path / "n03.json"
    source.write_text(json.dumps(topology), encoding="utf-8")
    done = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "build_boundaries.py"),
                           str(source), str(tmp_path / "out.json")], capture_output=True, text=True)
    assert done.returncode != 0 and "no shape for 011002" in done.stderr
    assert not (tmp_path / "out.json").exists()
