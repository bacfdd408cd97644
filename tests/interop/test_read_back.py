"""Our own DCAT read back by our own harvester (issue 32, 3): the portal's
catalogue (``/catalog.ttl``, paged two a page, as ckanext-dcat and our profile
write it, through CKAN's test client) is kept, the portal emptied (database
and index), and the ``hokkaido_dcat`` harvester of the emptied portal reads
the kept pages from a local HTTP server standing where the portal stood: every
public dataset comes back with nothing lost, field by field, and a second run
changes nothing.

What it tries: a dataset of the inventory (every column, no description, a
format the EU vocabulary lacks) in its 執行機関's organization, which comes
back into the same organization; a harvested one (standard dataset, monthly);
one with an uploaded file, whose file is then a link to the portal it was
read from; a private one, which never leaves. Bad input: the catalogue's
second page answering 500 on a later night: the run reports it, naming the
page, and nothing is withdrawn or changed.
"""
from __future__ import annotations

import io
import json

import pytest
from werkzeug.datastructures import FileStorage

from ckan import model
from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.hokkaido.harvest.merging import PREFECTURE_FIELDS
from tests.database import reset_portal_db
from tests.fakes.portal_server import PortalResponse, text_response
from tests.harvest.jobs import run_job

pytestmark = [pytest.mark.usefixtures("clean_db", "clean_index"),
              pytest.mark.ckan_config("ckanext.dcat.datasets_per_page", 2),
              pytest.mark.ckan_config("ckanext.hokkaido.harvest.min_delay", 0)]

#: CKAN's own fields the harvest writes, beside the prefecture's
CKAN_FIELDS = ("title", "notes", "license_id", "municipality_code")


def site_context() -> dict:
    return {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}


def publish() -> dict[str, dict]:
    """Four public datasets (two pages) and a private one."""
    factories.Organization(name="010006", title="北海道")
    factories.Organization(name="010006-011500", title="北海道 総務部 危機対策課",  # as the inventory's import
                           extras=[{"key": "parent", "value": "010006"}, {"key": "agency_code", "value": "011500"}])
    factories.Organization(name="011002", title="札幌市")
    context = site_context()
    made = [call_action(
        "package_create", context=dict(context), name="hokkaido-011500-7", title="指定緊急避難場所一覧", notes="",
        owner_org="010006-011500", agency_code="011500", serial_no="7", department="総務部", section="危機対策課",
        category="防災", record_count="101-500", update_frequency="随時", file_format="CSV", file_format_2="一太郎",
        fee="無", publishable="可", license_id="cc-by-4.0", homepage_url="https://www.pref.hokkaido.lg.jp/hinan.html",
        tags=[{"name": "防災"}, {"name": "避難"}],
        resources=[{"url": "https://www.pref.hokkaido.lg.jp/hinan.csv", "name": "避難場所", "format": "CSV",
                    "description": "令和6年4月1日現在"},
                   {"url": "https://www.pref.hokkaido.lg.jp/hinan.jtd", "name": "原本", "format": "一太郎"}]),
        call_action(
        "package_create", context=dict(context), name="hokkaido-011500-8", title="防災訓練の記録",
        notes="毎年の訓練", owner_org="010006-011500", agency_code="011500", serial_no="8", department="総務部",
        update_frequency="不定期", fee="有", publishable="不可", license_id="cc-by-4.0",
        resources=[{"url": "https://www.pref.hokkaido.lg.jp/kunren.pdf", "name": "記録", "format": "PDF"}]),
        call_action(
        "package_create", context=dict(context), name="sapporo-aed", title="AED設置箇所一覧",
        notes="札幌市内のAED設置箇所", owner_org="011002", update_frequency="毎月", license_id="cc-by-4.0",
        source_url="https://ckan.pf-sapporo.jp/dataset/aed", source_identifier="3f9d6c1e-aed",
        source_modified="2024-04-01", resources=[{"url": "https://ckan.pf-sapporo.jp/aed.csv", "format": "CSV"}])]
    uploaded = call_action("package_create", context=dict(context), name="sapporo-upload", title="人口統計",
                           notes="町丁目別人口", owner_org="011002", license_id="cc-by-4.0")
    call_action("resource_create", context=dict(context), package_id=uploaded["id"], url="population.csv",
                upload=FileStorage(io.BytesIO("町名,人口\n中央,100\n".encode()), "population.csv"), format="CSV")
    call_action("package_create", context=dict(context), name="secret", title="非公開の名簿", owner_org="011002",
                private=True)
    return {d["id"]: call_action("package_show", id=d["id"]) for d in (*made, uploaded)}


def kept_catalogue(app) -> dict[int, str]:
    """Every page of ``/catalog.ttl``, as served, by number."""
    pages, number = {}, 1
    while True:
        answer = app.get(f"/catalog.ttl?page={number}")
        assert answer.status_code == 200, answer.body[:300]
        pages[number] = answer.body
        if f"catalog.ttl?page={number + 1}" not in answer.body:
            return pages
        number += 1


def resources(dataset: dict) -> list[tuple[str, ...]]:
    """A dataset's links; a resource without a name is named by its format,
    as the harvest names every unnamed distribution."""
    return sorted((r["url"], r.get("name") or r["format"], r["format"], r.get("description") or "")
                  for r in dataset["resources"])


def test_our_harvester_reads_our_dcat_back_into_an_empty_portal(app, portal, reset_db, migrate_db_for,
                                                               reset_index):
    before = publish()
    site = toolkit.config["ckan.site_url"].rstrip("/")
    pages = kept_catalogue(app)
    assert len(pages) == 2 and not any("非公開の名簿" in page for page in pages.values())

    # an empty portal of the same kind; the kept pages served where the portal stood
    model.Session.remove()
    reset_portal_db(reset_db, migrate_db_for)
    reset_index()
    served = {number: page.replace(site, portal.url) for number, page in pages.items()}
    failing: set[int] = set()

    def catalogue(request):
        number = int(request.arg("page", "1"))
        if number in failing:
            return PortalResponse(500, b"Internal Server Error")
        return text_response(served[number], content_type="text/turtle; charset=utf-8")

    portal.route("/catalog.ttl", catalogue)
    admin = factories.Sysadmin()
    prefecture = factories.Organization(name="010006", title="北海道")
    source = toolkit.get_action("harvest_source_create")({"user": admin["name"]}, {
        "name": "hokkaido-dcat", "title": "北海道オープンデータポータル（DCAT）", "url": portal.url + "/catalog.ttl",
        "source_type": "hokkaido_dcat", "frequency": "MANUAL", "config": "{}", "owner_org": prefecture["id"]})

    report = run_job(source, {"user": admin["name"]})
    assert report["counters"]["created"] == 4 and report["errors"] == [], json.dumps(report, ensure_ascii=False)[:3000]
    found = toolkit.get_action("package_search")({"ignore_auth": True}, {"rows": 100, "include_private": True})
    after = {d["source_identifier"]: call_action("package_show", id=d["id"]) for d in found["results"]}
    assert set(after) == set(before)  # the private one stayed home

    for identifier, was in before.items():
        now = after[identifier]
        differing = {field: (was.get(field), now.get(field)) for field in (*CKAN_FIELDS, *PREFECTURE_FIELDS)
                     if (was.get(field) or "") != (now.get(field) or "")}
        assert differing == {}, (was["name"], differing)
        assert sorted(t["name"] for t in now["tags"]) == sorted(t["name"] for t in was["tags"])
        assert now["organization"]["name"] == was["organization"]["name"]  # the agency's, the city's
        assert now["source_url"] == f"{portal.url}/dataset/{identifier}"  # where it was read
        assert now["source_modified"][:19] == was["metadata_modified"][:19]
        expected = [(url.replace(site, portal.url), *rest) for url, *rest in resources(was)]
        assert resources(now) == expected, was["name"]  # an upload: a link to the portal read

    # a second night: the catalogue unchanged, nothing written
    stamps = {d["id"]: d["metadata_modified"] for d in after.values()}
    again = run_job(source, {"user": admin["name"]})
    assert again["counters"]["created"] == 0 and again["counters"]["updated"] == 0, again
    assert {d["id"]: call_action("package_show", id=d["id"])["metadata_modified"] for d in after.values()} == stamps

    # a later night whose second page fails: named, nothing withdrawn, nothing changed
    failing.add(2)
    broken = run_job(source, {"user": admin["name"]})
    assert any("catalog.ttl?page=2" in (e.get("detail") or "") + e["message"] for e in broken["errors"]), broken
    assert broken["counters"]["deleted"] == 0
    assert {d["id"]: call_action("package_show", id=d["id"])["metadata_modified"] for d in after.values()} == stamps
