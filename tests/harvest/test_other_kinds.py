"""The harvest plugins of the other portal kinds, end to end: a fake
SHIRASAGI (HARP) portal and a catalog CSV, harvested into the portal through
ckanext-harvest's gather → fetch → import, with their problems reported."""
from __future__ import annotations

import json

import pytest
from ckan.plugins import toolkit

from tests.harvest.jobs import run_job
from tests.fakes.shirasagi import FakeShirasagi, make_package
from tests.fakes.portal_server import PortalResponse
from tests.fakes.catalog import NEW_HEADER, new_row, to_csv

pytestmark = pytest.mark.ckan_config("ckanext.hokkaido.harvest.min_delay", 0)


def make_source(harvest, source_type, url, config):
    return toolkit.get_action("harvest_source_create")(harvest.context(), {
        "name": f"src-{source_type.replace('_', '-')}", "title": source_type,
        "url": url, "source_type": source_type, "frequency": "MANUAL",
        "config": json.dumps(config), "owner_org": harvest.owner["id"]})


def run(harvest, source):
    return run_job(source, harvest.context())


def test_shirasagi_attributes_by_area_and_reports_unknown_areas(portal, harvest):
    # bad input tried: an area name no municipality has, and a dataset with no area
    packages = [make_package(1, ["ニセコ町"]), make_package(2, ["ニセコ町"]),
                make_package(3, ["北海道"]), make_package(4, ["架空町"]),
                make_package(5, [])]
    FakeShirasagi(packages).install(portal)
    source = make_source(harvest, "hokkaido_shirasagi", portal.url + "/opendata/", {})
    report = run(harvest, source)

    assert report["counters"]["created"] == 3, report
    names = harvest.searchable(fq='municipality_code:"013951"')
    assert len(names) == 2 and all(n.startswith("013951-") for n in names)
    assert len(harvest.searchable(fq='municipality_code:"010006"')) == 1
    messages = " ".join(e["message"] for e in report["errors"])
    details = " ".join(e["detail"] or "" for e in report["errors"])
    assert "架空町" in details and "架空町" not in messages  # the source's words are detail
    assert packages[4]["uuid"] in messages           # the dataset with no area
    # a rerun of the unchanged portal updates nothing
    again = run(harvest, source)
    assert again["counters"]["created"] == 0 and again["counters"]["updated"] == 0


def test_catalog_csv_imports_good_rows_and_names_the_bad_line(portal, harvest):
    # bad input tried: a row whose 全国地方公共団体コード has a wrong check digit
    rows = [new_row("012025", 1, "aed", "AED設置箇所一覧", "AED（CSV）",
                    "https://www.city.hakodate.hokkaido.jp/aed.csv"),
            new_row("012025", 2, "hinan", "指定緊急避難場所一覧", "避難場所（CSV）",
                    "https://www.city.hakodate.hokkaido.jp/hinan.csv"),
            new_row("012026", 3, "bad", "公共施設一覧", "公共施設", "https://example.org/x.csv")]
    body = to_csv(NEW_HEADER, rows).encode("cp932")
    portal.respond("/catalog.csv", PortalResponse(200, body, {"Content-Type": "text/csv"}))
    report = run(harvest, make_source(harvest, "hokkaido_catalog_csv",
                                      portal.url + "/catalog.csv", {}))

    assert report["counters"]["created"] == 2, report
    assert report["counters"]["errored"] >= 1
    assert any("line 4" in e["message"] or e.get("identifier") == "line 4"
               for e in report["errors"]), report["errors"]
    titles = sorted(harvest.dataset(n)["title"]
                    for n in harvest.searchable(fq='municipality_code:"012025"'))
    assert titles == ["AED設置箇所一覧", "指定緊急避難場所一覧"]
