"""The CKAN adapter against a fake CKAN action API on 127.0.0.1.

Each test names, in a comment, the bad input it tries."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from harvesters.errors import BadResponse, ConfigError, HttpStatusError, IncompleteListing
from harvesters.ckan import CkanAdapter, solr_datetime
from tests.fakes.ckan import FakeCkan, make_dataset, make_organization
from tests.fakes.portal_server import PortalResponse, json_response, text_response

SEARCH = "/api/3/action/package_search"
JST = timezone(timedelta(hours=9))


def many(count: int) -> list[dict]:
    return [make_dataset(i) for i in range(count)]


def search_requests(portal, path=SEARCH):
    return portal.requests_to(path)


# -- paging -------------------------------------------------------------------

def test_pages_through_250_datasets(portal, client):
    # Bad input: more datasets than fit in one page (250 with rows=100).
    datasets = many(250)
    FakeCkan(datasets).install(portal)
    records = list(CkanAdapter(portal.url, {"rows": 100}, client).records())
    assert sorted(r.identifier for r in records) == sorted(d["id"] for d in datasets)
    assert [r.identifier for r in records] == sorted(d["id"] for d in datasets)  # sorted by id
    calls = search_requests(portal)
    assert [(c.arg("rows"), c.arg("start"), c.arg("sort")) for c in calls] == [
        ("100", "0", "id asc"), ("100", "100", "id asc"), ("100", "200", "id asc"),
    ]
    assert all(c.arg("fq") is None for c in calls)  # since=None: a full listing


def test_default_page_size_is_100(portal, client):
    # Bad input: none; no rows setting.
    FakeCkan(many(5)).install(portal)
    assert len(list(CkanAdapter(portal.url, {}, client).records())) == 5
    assert search_requests(portal)[0].arg("rows") == "100"


def test_server_capping_rows_loses_nothing(portal, client):
    # Bad input: a portal whose rows_max (40) is below the requested page size.
    datasets = many(130)
    FakeCkan(datasets, rows_max=40).install(portal)
    records = list(CkanAdapter(portal.url, {"rows": 100}, client).records())
    assert len({r.identifier for r in records}) == 130
    assert [c.arg("start") for c in search_requests(portal)] == ["0", "40", "80", "120"]


def test_empty_portal(portal, client):
    # Bad input: a portal with no datasets at all.
    FakeCkan([]).install(portal)
    assert list(CkanAdapter(portal.url, {}, client).records()) == []
    assert len(search_requests(portal)) == 1


def test_portal_ignoring_start_does_not_loop(portal, client):
    # Bad input: a broken portal that returns the first page whatever `start` says.
    FakeCkan(many(250), ignore_start=True).install(portal)
    adapter = CkanAdapter(portal.url, {"rows": 100}, client)
    with pytest.raises(BadResponse, match="ignore paging"):
        list(adapter.records())
    assert len(search_requests(portal)) == 2


# -- incremental and fq ---------------------------------------------------------

def test_incremental_harvest_sends_metadata_modified_filter(portal, client):
    # Bad input: none; an incremental run with a timezone-aware `since` (JST).
    datasets = many(48)  # modified hourly from 2024-01-01T00:00 UTC
    FakeCkan(datasets).install(portal)
    since = datetime(2024, 1, 2, 18, 30, 15, 999999, tzinfo=JST)  # = 2024-01-02T09:30:15Z
    records = list(CkanAdapter(portal.url, {}, client).records(since=since))
    assert search_requests(portal)[0].arg("fq") == "metadata_modified:[2024-01-02T09:30:15Z TO *]"
    assert {r.identifier for r in records} == {d["id"] for d in datasets[34:]}


def test_naive_since_is_utc():
    # Bad input: a naive datetime.
    assert solr_datetime(datetime(2024, 4, 1, 0, 0, 0)) == "2024-04-01T00:00:00Z"


def test_fq_is_combined_with_incremental_filter(portal, client):
    # Bad input: none; BODIK-style name filter plus `since`.
    bodik = make_organization("bodik", "BODIK")
    datasets = [
        make_dataset(1, name="014257_population", organization=bodik),
        make_dataset(30, name="014257_facilities", organization=bodik),
        make_dataset(31, name="016101_population", organization=bodik),
    ]
    FakeCkan(datasets).install(portal)
    adapter = CkanAdapter(portal.url, {"fq": "name:014257_*"}, client)
    records = list(adapter.records(since=datetime(2024, 1, 2, tzinfo=timezone.utc)))
    assert search_requests(portal)[0].arg("fq") == (
        "(name:014257_*) AND metadata_modified:[2024-01-02T00:00:00Z TO *]"
    )
    assert [r.extras["name"] for r in records] == ["014257_facilities"]


def test_fq_alone_for_full_listing(portal, client):
    # Bad input: none; the name filter without `since`.
    FakeCkan([make_dataset(1, name="014257_a"), make_dataset(2, name="016101_b")]).install(portal)
    records = list(CkanAdapter(portal.url, {"fq": "name:014257_*"}, client).records())
    assert search_requests(portal)[0].arg("fq") == "name:014257_*"
    assert [r.extras["name"] for r in records] == ["014257_a"]


# -- attribution ---------------------------------------------------------------

def test_fixed_municipality_code(portal, client):
    # Bad input: none; a single-municipality portal (札幌市).
    FakeCkan(many(3)).install(portal)
    records = list(CkanAdapter(portal.url, {"municipality_code": "011002"}, client).records())
    assert {r.municipality_code for r in records} == {"011002"}


def test_no_attribution_means_none(portal, client):
    # Bad input: none; no rule and no fixed code.
    FakeCkan(many(1)).install(portal)
    assert next(CkanAdapter(portal.url, {}, client).records()).municipality_code is None


def test_organization_rule_with_fallback(portal, client):
    # Bad input: a dataset of an organization the mapping does not know.
    hakodate = make_organization("hakodate", "函館市")
    muroran = make_organization("muroran", "室蘭市")
    other = make_organization("somebody", "どこか")
    FakeCkan([
        make_dataset(1, organization=hakodate),
        make_dataset(2, organization=muroran),
        make_dataset(3, organization=other),
    ]).install(portal)
    config = {
        "attribution": {"organization": {"hakodate": "012025", muroran["id"]: "012050"}},
        "municipality_code": "010006",
    }
    by_org = {r.extras["organization"]: r.municipality_code
              for r in CkanAdapter(portal.url, config, client).records()}
    assert by_org == {"hakodate": "012025", "muroran": "012050", "somebody": "010006"}


def test_name_prefix_rule_checks_the_check_digit(portal, client):
    # Bad input: a name whose 6-digit prefix has a wrong check digit (014258),
    # and a name with no code at all.
    FakeCkan([
        make_dataset(1, name="014257_population"),
        make_dataset(2, name="014258_population"),
        make_dataset(3, name="population"),
    ]).install(portal)
    adapter = CkanAdapter(portal.url, {"attribution": {"name_prefix": True}}, client)
    codes = {r.extras["name"]: r.municipality_code for r in adapter.records()}
    assert codes == {"014257_population": "014257", "014258_population": None, "population": None}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"municipality_code": "014258"}, "not a valid 6-digit municipality code"),
        ({"municipality_code": "1100"}, "not a valid 6-digit municipality code"),
        ({"attribution": {"organization": {"x": "12345"}}}, "attribution.organization"),
        ({"attribution": {"name_prefix": "yes"}}, "name_prefix must be true or false"),
        ({"attribution": {"prefix": True}}, "unknown attribution rules: prefix"),
        ({"attribution": ["name_prefix"]}, "attribution must be an object"),
        ({"rows": 0}, "rows must be an integer"),
        ({"rows": "100"}, "rows must be an integer"),
        ({"row": 100}, "unknown configuration keys for kind 'ckan': row"),
        ({"dataset_url": "{base}/d/{slug}"}, "not a valid template"),
    ],
)
def test_bad_configuration_is_refused(config, message):
    # Bad input: invalid codes, rule names, page sizes, typos in keys, templates.
    with pytest.raises(ConfigError, match=message):
        CkanAdapter("https://data.example.jp", config)


@pytest.mark.parametrize("url", ["", "data.example.jp", "ftp://data.example.jp"])
def test_bad_source_url_is_refused(url):
    # Bad input: an empty, scheme-less or non-HTTP source URL.
    with pytest.raises(ConfigError, match="absolute http or https URL"):
        CkanAdapter(url, {})


# -- normalisation ---------------------------------------------------------------

def test_normalisation(portal, client):
    # Bad input: an empty title, padded tags, a resource without description,
    # CRLF in notes.
    dataset = make_dataset(7, name="014257_shisetsu", title="", notes="公共施設の一覧。\r\n年1回更新。")
    dataset["tags"].append({"display_name": " 施設 ", "name": " 施設 ", "vocabulary_id": None})
    dataset["resources"][0]["description"] = None
    FakeCkan([dataset]).install(portal)
    (record,) = CkanAdapter(portal.url, {"attribution": {"name_prefix": True}}, client).records()
    assert record.identifier == dataset["id"]
    assert record.title == "014257_shisetsu"  # falls back to the name
    assert record.notes == "公共施設の一覧。\n年1回更新。"
    assert record.tags == ["人口", "施設", "統計"]
    assert (record.license_id, record.license_title) == ("cc-by", "クリエイティブ・コモンズ 表示")
    assert record.resources == [{
        "url": "https://example.org/files/014257_shisetsu.csv",
        "name": "人口 7.csv",
        "format": "CSV",
        "description": "",
    }]
    assert record.source_url == f"{portal.url}/dataset/014257_shisetsu"
    assert record.source_modified == "2024-01-01T07:00:00.000000"
    assert record.municipality_code == "014257"
    assert record.extras == {
        "name": "014257_shisetsu",
        "organization": "sapporo-city",
        "organization_title": "札幌市",
        "author": "札幌市 まちづくり政策局",
        "maintainer": "オープンデータ担当",
        "metadata_created": "2023-04-01T09:00:00.000000",
        "source_extras": {"update_frequency": "毎月"},
    }


def test_egov_style_api_path_and_dataset_url(portal, client):
    # Bad input: none; e-Gov serves the API under /data/api/action/.
    FakeCkan(many(2), api_path="/data/api/action/").install(portal)
    config = {"api_path": "/data/api/action/", "dataset_url": "{base}/data/dataset/{name}"}
    records = list(CkanAdapter(portal.url + "/", config, client).records())
    assert len(records) == 2
    assert len(search_requests(portal, "/data/api/action/package_search")) == 1
    assert records[0].source_url.startswith(portal.url + "/data/dataset/dataset-000")


# -- bad responses ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("response", "message"),
    [
        (PortalResponse(200, b"\x00\x01garbage{", {"Content-Type": "application/json"}), "body is not valid JSON"),
        (text_response("<!DOCTYPE html><html><head><title>メンテナンス中</title></head><body>停止中</body></html>",
                       content_type="text/html; charset=utf-8"), "got an HTML page titled 'メンテナンス中'"),
        (PortalResponse(200, b"", {"Content-Type": "application/json"}), "empty body"),
        (json_response(["not", "an", "object"]), "not a CKAN action API response"),
        (json_response({"help": "", "success": False, "error": {"__type": "Authorization Error",
                                                                 "message": "Access denied"}}),
         "CKAN reported a failure: Authorization Error: Access denied"),
        (json_response({"success": True, "result": []}), "no 'result' object"),
        (json_response({"success": True, "result": {"results": []}}), r"'result.count' is missing"),
        (json_response({"success": True, "result": {"count": "3", "results": []}}), r"'result.count' is missing"),
        (json_response({"success": True, "result": {"count": 1, "results": {"id": "x"}}}),
         r"'result.results' is missing or not a list"),
        (json_response({"success": True, "result": {"count": 1, "results": [{"name": "no-id"}]}}),
         "dataset number 1 in the listing has no 'id'"),
    ],
)
def test_bad_responses_are_reported_with_the_url(portal, client, response, message):
    # Bad input: garbage, an HTML maintenance page, an empty body, and JSON of the wrong shape.
    portal.respond(SEARCH, response)
    with pytest.raises(BadResponse, match=message) as caught:
        list(CkanAdapter(portal.url, {}, client).records())
    assert str(caught.value).startswith(f"{portal.url}{SEARCH}?rows=100&start=0&sort=id+asc: ")
    assert caught.value.message_ja


def test_rejected_query_shows_ckans_explanation(portal, client):
    # Bad input: an fq the portal cannot parse (CKAN answers 409 with details).
    FakeCkan(many(1)).install(portal)
    with pytest.raises(HttpStatusError, match="CKAN says: Search Query Error: Search Query is invalid") as caught:
        list(CkanAdapter(portal.url, {"fq": "title:(unbalanced"}, client).records())
    assert caught.value.status == 409


def test_server_error_during_paging(portal, client):
    # Bad input: the second page fails with 500 on every attempt.
    fake = FakeCkan(many(150))

    def flaky(request):
        if request.arg("start") == "100":
            return text_response("Internal Server Error", status=500)
        return fake.package_search(request)

    portal.route(SEARCH, flaky)
    adapter = CkanAdapter(portal.url, {"rows": 100}, client)
    records = adapter.records()
    assert len([next(records) for _ in range(100)]) == 100
    with pytest.raises(HttpStatusError, match="start=100.*HTTP 500"):
        next(records)


# -- identifiers for deletion detection ----------------------------------------------

def test_list_identifiers(portal, client):
    # Bad input: none; the id-only listing used to detect deletions.
    datasets = many(230) + [make_dataset(999, name="014257_x")]
    FakeCkan(datasets).install(portal)
    ids = CkanAdapter(portal.url, {"rows": 100}, client).list_identifiers()
    assert sorted(ids) == sorted(d["id"] for d in datasets)
    calls = search_requests(portal)
    assert [c.arg("fl") for c in calls] == ["id,name"] * 3
    assert all(c.arg("fq") is None for c in calls)


def test_list_identifiers_applies_fq(portal, client):
    # Bad input: none; a shared portal where only one municipality's datasets count.
    datasets = [make_dataset(1, name="014257_a"), make_dataset(2, name="016101_b")]
    FakeCkan(datasets).install(portal)
    ids = CkanAdapter(portal.url, {"fq": "name:014257_*"}, client).list_identifiers()
    assert ids == [datasets[0]["id"]]


def test_list_identifiers_refuses_a_listing_that_changed(portal, client):
    # Bad input: a dataset deleted at the source between two pages, which
    # shifts the offsets so an id would be skipped.
    datasets = many(150)
    fake = FakeCkan(datasets)

    def delete_after_first_page(request):
        if request.arg("start") == "100":
            first = min(fake.datasets, key=lambda d: d["id"])
            fake.datasets.remove(first)

    fake.before_search = delete_after_first_page
    fake.install(portal)
    with pytest.raises(IncompleteListing, match="changed while it was read"):
        CkanAdapter(portal.url, {"rows": 100}, client).list_identifiers()
