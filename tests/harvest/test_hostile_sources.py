"""Hostile sources through the whole harvest: a source is harvested cleanly,
then starts serving an attack; the run gets one gather error naming it (in
Japanese and English), and every dataset already in the portal stays.

Bad input tried (builders in tests/fakes/hostile.py): a CKAN API
answering JSON nested 100,000 deep; a catalog replaced by an XLSX zip bomb,
by a CSV with a 10 MB field on line 3 and by one of lines of tiny cells; an
RDF/XML DCAT feed replaced by one with an external entity reading
/etc/passwd.
"""
from __future__ import annotations

import json

import pytest
from ckan.plugins import toolkit

from tests.harvest.helpers import FAST_HARVEST
from tests.harvest.jobs import run_job
from tests.fakes import hostile
from tests.fakes.ckan import FakeCkan, make_dataset
from tests.fakes.portal_server import PortalResponse, text_response

pytestmark = [
    pytest.mark.usefixtures("with_plugins"),
    *(pytest.mark.ckan_config(key, value) for key, value in FAST_HARVEST.items()),
]

SEARCH = "/api/3/action/package_search"


def make_source(harvest, source_type, url, config=None):
    return toolkit.get_action("harvest_source_create")(harvest.context(), {
        "name": f"src-{source_type.replace('_', '-')}", "title": source_type, "url": url,
        "source_type": source_type, "frequency": "MANUAL",
        "config": json.dumps(config or {"municipality_code": "011002"}), "owner_org": harvest.owner["id"]})


def harvest_twice(harvest, source, before, attack):
    """Harvest ``source`` (``before()`` serving it), then again with ``attack()``
    serving it; return the datasets of the first run and the second report."""
    before()
    first = run_job(source, harvest.context())
    assert first["counters"]["created"] >= 1 and first["counters"]["errored"] == 0, first
    datasets = harvest.datasets(source)
    attack()
    return datasets, run_job(source, harvest.context())


def assert_refused_and_kept(harvest, source, datasets, report, *fragments):
    assert report["status"] == "Finished"
    assert report["counters"]["created"] == report["counters"]["deleted"] == 0, report
    gather = [e for e in report["errors"] if e["stage"] == "Gather"]
    assert len(gather) == 1, report["errors"]
    message = gather[0]["message"]
    assert "ハーベスト元を読めませんでした" in message and "no dataset is withdrawn" in message
    message += " " + (gather[0]["detail"] or "")  # the detail names the place and the setting
    for fragment in fragments:
        assert fragment in message, message
    assert harvest.datasets(source) == datasets
    return message


def test_ckan_answer_nested_100000_deep(portal, harvest):
    # Bad input: package_search answers 100,000 nested "[" after a clean first harvest.
    source = make_source(harvest, "hokkaido_ckan", portal.url)
    datasets, report = harvest_twice(
        harvest, source,
        lambda: FakeCkan([make_dataset(i) for i in range(3)]).install(portal),
        lambda: portal.respond(SEARCH, PortalResponse(200, hostile.deep_brackets(),
                                                      {"Content-Type": "application/json"})))
    assert len(datasets) == 3
    assert_refused_and_kept(harvest, source, datasets, report, "JSONの入れ子が深すぎます (100階層を超えています)",
                            "JSON nested deeper than 100 levels (max_json_depth)", portal.url + SEARCH)


@pytest.mark.parametrize("attack", ["zip-bomb", "csv-10mb-field", "csv-tiny-cells"])
def test_catalog_replaced_by_an_attack(portal, harvest, attack):
    # Bad input: the catalog URL serves, after a clean first harvest, an XLSX that unpacks
    # to 64 MiB+ at 1,000:1, a CSV with a 10 MB title on line 3, or 1,000 lines of 2,000 cells.
    url = portal.url + "/opendata/catalog"
    good = hostile.csv_text([hostile.CATALOG_HEADER, *hostile.CATALOG_ROWS]).encode()
    tiny = hostile.csv_text([hostile.CATALOG_HEADER]) + ("011002,x,t,https://e.example/a.csv," + "ab," * 2000
                                                         + "\r\n") * 1000
    bodies = {"zip-bomb": lambda: hostile.xlsx_bomb_bytes(65 * hostile.MB),
              "csv-10mb-field": lambda: hostile.catalog_with_long_field(quoted=True),
              "csv-tiny-cells": lambda: tiny.encode()}
    expected = {"zip-bomb": ("ZIPファイルの圧縮率が異常に高いため展開しません", "max_zip_ratio"),
                "csv-10mb-field": ("3行目の項目が長すぎる", "line 3: a field is longer than 131,072 characters"),
                "csv-tiny-cells": ("セルの数が上限 (1,000,000) を超える", "(max_table_cells)")}
    source = make_source(harvest, "hokkaido_catalog_csv", url)
    datasets, report = harvest_twice(
        harvest, source,
        lambda: portal.respond("/opendata/catalog", PortalResponse(200, good, {"Content-Type": "text/csv"})),
        lambda: portal.respond("/opendata/catalog", PortalResponse(200, bodies[attack](),
                                                                   {"Content-Type": "application/octet-stream"})))
    assert len(datasets) == 2
    assert_refused_and_kept(harvest, source, datasets, report, *expected[attack], url)


def test_dcat_feed_replaced_by_xxe(portal, harvest):
    # Bad input: the RDF/XML feed, after a clean first harvest, declares an external entity
    # reading /etc/passwd and uses it in the title and description.
    url = portal.url + "/feed.rdf"
    source = make_source(harvest, "hokkaido_dcat", url)
    datasets, report = harvest_twice(
        harvest, source,
        lambda: portal.respond("/feed.rdf", text_response(hostile.rdf_feed("", "人口"),
                                                          content_type="application/rdf+xml")),
        lambda: portal.respond("/feed.rdf", text_response(hostile.xxe(), content_type="application/rdf+xml")))
    message = assert_refused_and_kept(harvest, source, datasets, report, "XMLに実体宣言 (<!ENTITY>) が含まれているため",
                                      "XML declares the entity 'xxe' SYSTEM 'file:///etc/passwd'")
    assert "root:" not in message
    assert [d["title"] for d in datasets.values()] == ["人口"]
