"""The SHIRASAGI (HARP) adapter against a fake SHIRASAGI open-data API on 127.0.0.1.

Each test names, in a comment, the bad input it tries."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from harvesters.errors import BadResponse, ConfigError, HttpStatusError
from harvesters.shirasagi import ShirasagiAdapter, api_url_for
from tests.fakes.shirasagi import ODL, FakeShirasagi, make_package
from tests.fakes.portal_server import json_response, text_response

LIST = "/opendata/api/package_list"
SHOW = "/opendata/api/package_show"
SEARCH = "/opendata/api/package_search"


def harvest(portal, client, config=None, path="/opendata/", since=None):
    adapter = ShirasagiAdapter(portal.url + path, config or {}, client)
    return adapter, list(adapter.records(since=since))


def problems(adapter):
    return [(p.identifier, p.level, p.reason) for p in adapter.problems]


# -- listing and paging ---------------------------------------------------------

def test_pages_package_list_then_shows_each(portal, client):
    # Bad input: 120 datasets, more than one page (limit 50), and a package_search
    # that lists only one of them (it must not be used).
    packages = [make_package(i) for i in range(120)]
    FakeShirasagi(packages).install(portal)
    adapter, records = harvest(portal, client, {"limit": 50})
    assert sorted(r.identifier for r in records) == sorted(p["uuid"] for p in packages)
    calls = portal.requests_to(LIST)
    assert [(c.arg("limit"), c.arg("offset")) for c in calls] == [
        ("50", "0"), ("50", "50"), ("50", "100"), ("50", "120")]
    assert len(portal.requests_to(SHOW)) == 120
    assert portal.requests_to(SEARCH) == []
    assert adapter.problems == []


def test_exact_multiple_of_limit(portal, client):
    # Bad input: 100 datasets with limit 50; the listing has no total, so only an empty page ends it.
    FakeShirasagi([make_package(i) for i in range(100)]).install(portal)
    adapter = ShirasagiAdapter(portal.url, {"limit": 50}, client)
    assert len(adapter.list_identifiers()) == 100
    assert [c.arg("offset") for c in portal.requests_to(LIST)] == ["0", "50", "100"]


def test_server_capping_limit_loses_nothing(portal, client):
    # Bad input: a server whose page size (20) is below the requested limit (50).
    FakeShirasagi([make_package(i) for i in range(45)], max_limit=20).install(portal)
    adapter = ShirasagiAdapter(portal.url, {"limit": 50}, client)
    assert len(set(adapter.list_identifiers())) == 45
    assert [c.arg("offset") for c in portal.requests_to(LIST)] == ["0", "20", "40", "45"]


@pytest.mark.parametrize("count", [70, 30])
def test_server_ignoring_limit_returns_everything_once(portal, client, count):
    # Bad input: a server that ignores limit and offset and always sends all ids
    # (more than the limit, or fewer so that it looks like an honest short page).
    FakeShirasagi([make_package(i) for i in range(count)], ignore_limit=True).install(portal)
    adapter = ShirasagiAdapter(portal.url, {"limit": 50}, client)
    assert len(adapter.list_identifiers()) == count
    assert len(portal.requests_to(LIST)) == (1 if count > 50 else 2)


def test_server_ignoring_offset_does_not_loop(portal, client):
    # Bad input: a server that returns the first page whatever the offset.
    FakeShirasagi([make_package(i) for i in range(120)], ignore_offset=True).install(portal)
    adapter = ShirasagiAdapter(portal.url, {"limit": 50}, client)
    with pytest.raises(BadResponse, match="ignore paging"):
        adapter.list_identifiers()
    assert len(portal.requests_to(LIST)) == 2


@pytest.mark.parametrize("path", ["", "/", "/opendata", "/opendata/", "/opendata/api/", "/opendata/api"])
def test_base_url_as_root_or_opendata_top(portal, client, path):
    # Bad input: the portal URL given in each of the forms stewards paste.
    FakeShirasagi([make_package(1)]).install(portal)
    adapter, records = harvest(portal, client, path=path)
    assert adapter.list_url == portal.url + LIST
    assert len(records) == 1


def test_api_path_setting():
    # Bad input: a portal that mounts the API elsewhere.
    assert api_url_for("https://example.jp/top/", "/od/api/") == "https://example.jp/od/api/"
    assert api_url_for("https://example.jp") == "https://example.jp/opendata/api/"


def test_empty_portal(portal, client):
    # Bad input: a portal with no public dataset.
    FakeShirasagi([]).install(portal)
    adapter, records = harvest(portal, client)
    assert records == [] and adapter.problems == []
    assert len(portal.requests_to(LIST)) == 1


# -- mapping -----------------------------------------------------------------

def test_maps_fields_resources_and_license(portal, client):
    # Bad input: a resource without download_url (only its page url).
    package = make_package(7)
    package["resources"][1]["download_url"] = None
    FakeShirasagi([package]).install(portal)
    _, [record] = harvest(portal, client)
    assert record.identifier == package["uuid"]
    assert record.title == "指定避難所一覧 7"
    assert record.notes.startswith("指定避難所一覧 7のデータです。\n災害時")
    assert record.tags == sorted(["防災", "避難所"])
    assert (record.license_id, record.license_title) == ("cc-by-4.0", "表示（CC BY 4.0）")
    assert record.resources == [
        {"url": package["resources"][0]["download_url"], "name": "避難所一覧 7", "format": "CSV",
         "description": "文字コード：UTF-8"},
        {"url": package["resources"][1]["url"], "name": "避難所マップ 7", "format": "PDF", "description": ""},
    ]
    assert record.source_url == package["url"]
    assert record.source_modified == package["updated"]
    assert record.municipality_code == "013951"
    assert record.extras["areas"] == ["ニセコ町"]
    assert record.extras["categories"] == ["防災・安全"]
    assert record.extras["author"] == "ニセコ町 総務課"


def test_resource_without_any_url_is_reported(portal, client):
    # Bad input: a resource with neither download_url nor url.
    package = make_package(3)
    package["resources"][0].update(download_url="", url="")
    FakeShirasagi([package]).install(portal)
    adapter, [record] = harvest(portal, client)
    assert [r["format"] for r in record.resources] == ["PDF"]
    assert problems(adapter) == [(package["uuid"], "error",
                                  "resource 1 (避難所一覧 3) has no download_url or url; skipped")]


def test_mixed_licenses_are_reported(portal, client):
    # Bad input: two resources of one dataset under different licenses.
    package = make_package(4)
    package["resources"][1]["license"] = ODL
    FakeShirasagi([package]).install(portal)
    adapter, [record] = harvest(portal, client)
    assert record.license_id == "cc-by-4.0"
    assert "different licenses" in adapter.problems[0].reason


def test_incremental_filters_on_updated(portal, client):
    # Bad input: none; a since that only the last two datasets pass.
    packages = [make_package(i) for i in range(5)]
    FakeShirasagi(packages).install(portal)
    since = datetime.fromisoformat(packages[3]["updated"]) - timedelta(minutes=1)
    _, records = harvest(portal, client, since=since.astimezone(timezone.utc))
    assert sorted(r.identifier for r in records) == sorted(p["uuid"] for p in packages[3:])


# -- attribution -----------------------------------------------------------------

@pytest.mark.parametrize(("areas", "code"), [
    (["ニセコ町"], "013951"),
    (["北広島市"], "012343"),
    (["北海道"], "010006"),
    (["北海道", "北斗市"], "012360"),
    (["北海道札幌市"], "011002"),
    (["札幌市中央区"], "011002"),
    (["ﾆｾｺ町"], "013951"),
])
def test_areas_attribute_to_the_registry(portal, client, areas, code):
    # Bad input: spellings with the prefecture prefix, a ward, half-width katakana.
    FakeShirasagi([make_package(1, areas)]).install(portal)
    adapter, [record] = harvest(portal, client)
    assert record.municipality_code == code
    assert adapter.problems == []


def test_areas_as_plain_strings(portal, client):
    # Bad input: areas[] given as names instead of objects.
    FakeShirasagi([make_package(1, areas=["北斗市"])]).install(portal)
    _, [record] = harvest(portal, client)
    assert record.municipality_code == "012360"


def test_unknown_ambiguous_and_missing_areas_are_reported(portal, client):
    # Bad input: an area outside Hokkaido, a name two municipalities share (釧路市/釧路町),
    # a 振興局 (many municipalities), no area at all, and two municipalities at once.
    packages = [
        make_package(1, ["東京都千代田区"]),
        make_package(2, ["釧路"]),
        make_package(3, ["十勝総合振興局"]),
        make_package(4, []),
        make_package(5, ["ニセコ町", "倶知安町"]),
        make_package(6, ["ニセコ町"]),
    ]
    FakeShirasagi(packages).install(portal)
    adapter, records = harvest(portal, client)
    codes = {r.identifier: r.municipality_code for r in records}
    assert len(records) == 6  # every dataset is still yielded
    assert [codes[p["uuid"]] for p in packages] == [None, None, None, None, None, "013951"]
    reasons = {p.identifier: p.reason for p in adapter.problems}
    assert reasons[packages[0]["uuid"]] == "area '東京都千代田区' is not a Hokkaido municipality in the registry"
    assert reasons[packages[1]["uuid"]] == "area '釧路' is ambiguous: it fits 釧路市, 釧路町"
    assert reasons[packages[2]["uuid"]].startswith("area '十勝総合振興局' is ambiguous: it fits 帯広市, 音更町")
    assert reasons[packages[3]["uuid"]].startswith("dataset has no area")
    assert reasons[packages[4]["uuid"]].startswith("dataset names several municipalities (ニセコ町, 倶知安町)")
    assert packages[5]["uuid"] not in reasons
    assert {p.level for p in adapter.problems} == {"warning"}


def test_fallback_code_and_area_overrides(portal, client):
    # Bad input: an unknown district name, fixed by the steward's area_codes,
    # and a dataset with no area that falls back to the configured code.
    FakeShirasagi([make_package(1, ["羊蹄山麓"]), make_package(2, [])]).install(portal)
    adapter, records = harvest(portal, client, {"area_codes": {"羊蹄山麓": "013951"},
                                                "municipality_code": "010006"})
    assert [r.municipality_code for r in sorted(records, key=lambda r: r.extras["shirasagi_id"])] == [
        "013951", "010006"]
    assert [p.reason.split(" (")[0] for p in adapter.problems] == ["dataset has no area"]


def test_areas_filter_selects_one_municipality(portal, client):
    # Bad input: none; a source for ニセコ町 only on the shared portal.
    FakeShirasagi([make_package(1, ["ニセコ町"]), make_package(2, ["北斗市"]),
                   make_package(3, ["北海道"])]).install(portal)
    _, records = harvest(portal, client, {"areas": ["013951"]})
    assert [r.municipality_code for r in records] == ["013951"]


@pytest.mark.parametrize("config", [{"areas": "013951"}, {"areas": ["013952"]}, {"area_codes": {"x": "1"}},
                                    {"limit": 0}, {"rows": 5}])
def test_bad_config(config):
    # Bad input: areas not a list, a wrong check digit, a bad code, a zero limit, a CKAN-only key.
    with pytest.raises(ConfigError):
        ShirasagiAdapter("https://www.harp.lg.jp/opendata/", config)


# -- runs that change -------------------------------------------------------------

def test_added_modified_removed_between_runs(portal, client):
    # Bad input: between two runs one dataset is added, one modified, one removed.
    packages = [make_package(i) for i in range(3)]
    fake = FakeShirasagi(packages).install(portal)
    adapter = ShirasagiAdapter(portal.url, {}, client)
    first = {r.identifier: r.content_hash() for r in adapter.records()}
    fake.packages = [make_package(0), make_package(1, name="指定避難所一覧 1（改訂）"), make_package(9)]
    second = {r.identifier: r.content_hash() for r in adapter.records()}
    assert set(first) - set(second) == {packages[2]["uuid"]}  # removed
    assert set(second) - set(first) == {make_package(9)["uuid"]}  # added
    assert first[packages[0]["uuid"]] == second[packages[0]["uuid"]]  # unchanged
    assert first[packages[1]["uuid"]] != second[packages[1]["uuid"]]  # modified
    assert set(adapter.list_identifiers()) == set(second)


# -- malformed answers -----------------------------------------------------------

@pytest.mark.parametrize(("response", "message"), [
    (text_response("{\"success\": true, \"result\": [\"a\", ", content_type="application/json"), "not valid JSON"),
    (text_response("<!DOCTYPE html><html><head><title>メンテナンス中</title></head></html>",
                   content_type="text/html"), "HTML page titled 'メンテナンス中'"),
    (json_response({"success": True, "result": {"count": 3}}), "not a list of dataset ids"),
    (json_response({"help": "", "success": False, "error": {"message": "Access denied"}}), "reported a failure"),
    (json_response(["a", "b"]), "no 'success' key"),
    (json_response({"success": True, "result": ["ok", None]}), "item 2 is not a dataset id"),
])
def test_malformed_package_list_names_the_url(portal, client, response, message):
    # Bad input: a truncated JSON body, a maintenance HTML page, a result that is not a
    # list, a failure answer, a bare list, a null id.
    portal.respond(LIST, response)
    adapter = ShirasagiAdapter(portal.url, {}, client)
    with pytest.raises(BadResponse, match=message) as info:
        list(adapter.records())
    assert str(info.value).startswith(f"{portal.url}{LIST}?limit=100&offset=0: ")


def test_broken_package_show_is_reported_and_others_import(portal, client):
    # Bad input: one package_show answers garbage JSON, one 404, one an object without result.
    packages = [make_package(i) for i in range(5)]
    fake = FakeShirasagi(packages).install(portal)
    fake.shows[packages[1]["uuid"]] = text_response("{\"success\": tr", content_type="application/json")
    fake.shows[packages[2]["uuid"]] = json_response({"success": False, "error": "Not found"}, status=404)
    fake.shows[packages[3]["uuid"]] = json_response({"success": True})
    adapter, records = harvest(portal, client)
    assert sorted(r.identifier for r in records) == sorted([packages[0]["uuid"], packages[4]["uuid"]])
    by_id = {p.identifier: p for p in adapter.problems}
    assert by_id[packages[1]["uuid"]].level == "error"
    assert "not valid JSON" in by_id[packages[1]["uuid"]].reason
    assert f"{portal.url}{SHOW}?id={packages[1]['uuid']}" in by_id[packages[1]["uuid"]].reason
    assert "HTTP 404" in by_id[packages[2]["uuid"]].reason
    assert "has no 'result'" in by_id[packages[3]["uuid"]].reason


def test_server_error_on_package_show_stops_the_harvest(portal, client):
    # Bad input: package_show answers 503 every time (retries exhausted).
    package = make_package(1)
    fake = FakeShirasagi([package]).install(portal)
    fake.shows[package["uuid"]] = text_response("busy", status=503)
    adapter = ShirasagiAdapter(portal.url, {}, client)
    with pytest.raises(HttpStatusError, match="HTTP 503"):
        list(adapter.records())


def test_dataset_without_name_uses_filename(portal, client):
    # Bad input: a dataset whose name (title) is empty (a JSON feed with a missing field).
    package = make_package(1, name="")
    FakeShirasagi([package]).install(portal)
    adapter, [record] = harvest(portal, client)
    assert record.title == package["filename"]
    assert problems(adapter) == [(package["uuid"], "warning", "dataset has no name (title); using its file name or id")]


def test_the_registry_reads_every_column_of_its_list():
    # Bad input: a registry that dropped the readings, homepage or position of a municipality.
    from harvesters.municipalities import municipalities, prefecture

    everyone = municipalities()
    assert len(everyone) == 179
    assert all(m.name_hiragana and m.homepage_url.startswith(("http://", "https://")) and m.lat and m.lng
               and m.code5 == m.code[:5] for m in everyone)
    assert prefecture().code == "010006" and prefecture() not in everyone
