"""The DCAT adapter: an ArcGIS Hub DCAT-US 1.1 feed and DCAT-AP JSON-LD/Turtle
served on 127.0.0.1.

Each test names, in a comment, the bad input it tries."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from harvesters.errors import BadResponse, ConfigError, IncompleteListing
from harvesters.dcat import HUB_FEED_PATH, DcatAdapter, feed_url_for
from tests.fakes.dcat import DATASETS, DCAT_AP, hub_dataset, hub_feed, serve_feed
from tests.fakes.portal_server import PortalResponse, json_response, redirect_response, text_response

def test_hub_site_root_reads_the_dcat_us_feed(portal, client):
    # Bad input: none; the hub site root is given, the adapter adds the feed path.
    serve_feed(portal, hub_feed(DATASETS))
    adapter = DcatAdapter(portal.url + "/", {"municipality_code": "012050"}, client)
    records = list(adapter.records())
    assert adapter.feed_url == portal.url + HUB_FEED_PATH
    assert [r.identifier for r in records] == [d["identifier"] for d in DATASETS]
    first = records[0]
    assert first.title == "AED設置場所"
    assert first.notes == "AED設置場所の位置情報です。\n更新&追加は随時。"
    assert first.tags == sorted(["室蘭市", "オープンデータ", "AED設置場所"])
    assert first.license_id == "https://creativecommons.org/licenses/by/4.0/"
    assert first.source_url == DATASETS[0]["landingPage"]
    assert first.source_modified == "2024-03-01T00:00:00.000Z"
    assert first.municipality_code == "012050"
    assert [(r["name"], r["format"]) for r in first.resources] == [
        ("ArcGIS Hub Dataset", "Web page"), ("ArcGIS GeoService", "ArcGIS GeoServices REST API"),
        ("CSV", "CSV"), ("GeoJSON", "GeoJSON")]
    assert first.resources[2]["url"].endswith("/csv?layers=0")
    assert first.extras["publisher"] == "室蘭市"
    assert adapter.problems == []


def test_feed_url_for():
    # Bad input: none; a root, a feed URL and a feed with a query.
    assert feed_url_for("https://hub.example") == "https://hub.example" + HUB_FEED_PATH
    assert feed_url_for("https://hub.example/api/feed/dcat-ap/2.0.1.json") == \
        "https://hub.example/api/feed/dcat-ap/2.0.1.json"
    assert feed_url_for("https://hub.example/?x=1") == "https://hub.example/?x=1"


def test_incremental_uses_modified(portal, client):
    # Bad input: none; only the dataset modified after `since`.
    serve_feed(portal, hub_feed(DATASETS))
    records = list(DcatAdapter(portal.url, {}, client).records(since=datetime(2024, 4, 1, tzinfo=timezone.utc)))
    assert [r.title for r in records] == ["指定緊急避難場所"]


def test_missing_fields_are_reported_and_other_datasets_import(portal, client):
    # Bad input: a JSON feed with missing fields: no identifier, no title, a distribution
    # without any URL, no distribution list, a duplicate identifier and a non-object entry.
    broken = copy.deepcopy(DATASETS)
    del broken[0]["identifier"]
    broken[1]["title"] = ""
    broken[1]["distribution"][0].pop("accessURL")
    del broken[2]["distribution"]
    broken.append(copy.deepcopy(DATASETS[2]))
    broken.append("not a dataset")
    serve_feed(portal, hub_feed(broken))
    adapter = DcatAdapter(portal.url, {}, client)
    records = list(adapter.records())
    assert [r.identifier for r in records] == [DATASETS[1]["identifier"], DATASETS[2]["identifier"]]
    assert records[0].title == DATASETS[1]["identifier"]
    assert len(records[0].resources) == 3
    assert records[1].resources == []
    summary = [(p.identifier, p.level, p.reason) for p in adapter.problems]
    assert summary == [
        ("dataset 1 (AED設置場所)", "error", "has no identifier; skipped"),
        (DATASETS[1]["identifier"], "warning", "has no title; the identifier is used as title"),
        (DATASETS[1]["identifier"], "error", "distribution 1 (ArcGIS Hub Dataset) has neither downloadURL "
                                             "nor accessURL; skipped"),
        (DATASETS[2]["identifier"], "error", "dataset 4 repeats an identifier already in the feed; skipped"),
        ("dataset 5", "error", "feed entry is not an object; skipped"),
    ]
    assert all(p.url == adapter.feed_url for p in adapter.problems)


def test_added_modified_removed_between_runs(portal, client):
    # Bad input: between two runs a dataset is added, one modified and one removed.
    serve_feed(portal, hub_feed(DATASETS))
    adapter = DcatAdapter(portal.url, {}, client)
    first = {r.identifier: r.content_hash() for r in adapter.records()}
    changed = copy.deepcopy(DATASETS[:2])
    changed[1]["title"] = "指定緊急避難場所（令和6年度）"
    changed.append(hub_dataset("d4e5f6a1b2c3_0", "除雪路線", "2024-06-01T00:00:00.000Z"))
    serve_feed(portal, hub_feed(changed))
    second = {r.identifier: r.content_hash() for r in adapter.records()}
    assert set(first) - set(second) == {DATASETS[2]["identifier"]}
    assert set(second) - set(first) == {changed[2]["identifier"]}
    assert first[DATASETS[0]["identifier"]] == second[DATASETS[0]["identifier"]]
    assert first[DATASETS[1]["identifier"]] != second[DATASETS[1]["identifier"]]


@pytest.mark.parametrize(("response", "message"), [
    (text_response('{"dataset": [{"identifier": "a", "title": "AE', content_type="application/json"),
     "not valid JSON"),
    (text_response("<!DOCTYPE html><html><head><title>Page Not Found | ArcGIS Hub</title></head></html>",
                   content_type="text/html"), "HTML page titled 'Page Not Found | ArcGIS Hub'"),
    (json_response({"items": []}), "neither a DCAT-US feed"),
    (PortalResponse(200, b"", {"Content-Type": "application/json"}), "empty body"),
])
def test_malformed_feed_names_the_url(portal, client, response, message):
    # Bad input: a truncated feed, an HTML error page, JSON of another shape, an empty body.
    portal.respond(HUB_FEED_PATH, response)
    with pytest.raises(BadResponse, match=message) as info:
        list(DcatAdapter(portal.url, {}, client).records())
    assert str(info.value).startswith(portal.url + HUB_FEED_PATH)


def test_redirect_loop_is_an_error_naming_the_url(portal, client):
    # Bad input: the feed URL redirects to itself forever.
    portal.respond(HUB_FEED_PATH, redirect_response(HUB_FEED_PATH))
    with pytest.raises(Exception, match="redirects") as info:
        list(DcatAdapter(portal.url, {}, client).records())
    assert portal.url + HUB_FEED_PATH in str(info.value)


def test_bad_format_setting():
    # Bad input: an unknown format name.
    with pytest.raises(ConfigError, match="format must be one of"):
        DcatAdapter("https://hub.example", {"format": "csv"})


# -- DCAT-AP (RDF, parsed with rdflib) ------------------------------------------------

def test_dcat_ap_jsonld(portal, client):
    # Bad input: a title in two languages, a format given as an EU file-type IRI, a
    # distribution with only accessURL, one with no URL, a dataset without dct:identifier.
    serve_feed(portal, DCAT_AP, path="/catalog.jsonld", content_type="application/ld+json")
    adapter = DcatAdapter(portal.url + "/catalog.jsonld", {"municipality_code": "012050"}, client)
    records = list(adapter.records())
    assert [r.identifier for r in records] == ["012050-population", "https://data.example.jp/dataset/shelters"]
    population = records[0]
    assert population.title == "人口統計"  # Japanese preferred over English
    assert population.notes == "町丁別の人口と世帯数"
    assert population.tags == ["人口", "統計"]
    assert population.license_id == "https://creativecommons.org/licenses/by/4.0/"
    assert population.source_url == "https://www.city.muroran.lg.jp/population.html"
    assert population.source_modified == "2024-04-01T09:00:00+09:00"
    assert population.extras["publisher"] == "室蘭市"
    assert population.resources == [  # RDF has no order: sorted by title
        {"url": "https://www.city.muroran.lg.jp/files/population.csv", "name": "人口（CSV）", "format": "CSV",
         "description": ""},
        {"url": "https://www.city.muroran.lg.jp/files/population.xlsx", "name": "人口（Excel）", "format": "XLSX",
         "description": ""},
    ]
    assert records[1].resources == []
    assert [p.reason for p in adapter.problems] == [
        "distribution 1 (避難所) has neither downloadURL nor accessURL; skipped"]


def test_dcat_ap_remote_context_is_fetched_through_the_guarded_client(portal, client):
    # Bad input: a JSON-LD feed whose @context is a URL (rdflib must not fetch it itself).
    document = dict(DCAT_AP, **{"@context": portal.url + "/context.jsonld"})
    serve_feed(portal, document, path="/catalog.jsonld", content_type="application/ld+json")
    serve_feed(portal, {"@context": DCAT_AP["@context"]}, path="/context.jsonld", content_type="application/ld+json")
    records = list(DcatAdapter(portal.url + "/catalog.jsonld", {}, client).records())
    assert len(records) == 2
    assert len(portal.requests_to("/context.jsonld")) == 1


def test_dcat_ap_context_import_is_fetched_through_the_guarded_client(portal, client):
    # Bad input: a JSON-LD 1.1 context that @imports another by URL; rdflib's own
    # loader would fetch it with urllib, past the address guard.
    document = dict(DCAT_AP, **{"@context": {"@version": 1.1, "@import": portal.url + "/base.jsonld",
                                             "xsd": "http://www.w3.org/2001/XMLSchema#"}})
    serve_feed(portal, document, path="/catalog.jsonld", content_type="application/ld+json")
    serve_feed(portal, {"@context": DCAT_AP["@context"]}, path="/base.jsonld", content_type="application/ld+json")
    records = list(DcatAdapter(portal.url + "/catalog.jsonld", {}, client).records())
    assert [r.title for r in records] == ["人口統計", "避難所一覧"]
    (fetched,) = portal.requests_to("/base.jsonld")
    assert fetched.headers["User-Agent"].startswith("ckanext-hokkaido-harvester/")


def test_dcat_ap_turtle(portal, client):
    # Bad input: none; the same kind of catalog as Turtle.
    turtle = """
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://data.example.jp/dataset/aed> a dcat:Dataset ;
    dct:identifier "012050-aed" ;
    dct:title "AED設置場所"@ja ;
    dcat:keyword "AED"@ja, "医療"@ja ;
    dcat:distribution [ a dcat:Distribution ; dct:title "AED（CSV）" ; dct:format "CSV" ;
                        dcat:downloadURL <https://www.city.muroran.lg.jp/files/aed.csv> ] .
"""
    portal.respond("/catalog.ttl", text_response(turtle, content_type="text/turtle; charset=utf-8"))
    [record] = DcatAdapter(portal.url + "/catalog.ttl", {}, client).records()
    assert (record.identifier, record.title, record.tags) == ("012050-aed", "AED設置場所", ["AED", "医療"])
    assert record.resources[0]["url"] == "https://www.city.muroran.lg.jp/files/aed.csv"


@pytest.mark.parametrize(("body", "content_type", "message"), [
    ('{"@context": {"dcat": "http://www.w3.org/ns/dcat#"}, "@graph": [{"@id": "x", "@type": "dcat:Dataset", '
     '"dcat:keyword": {"@value": 1, "@language": 5}}]}', "application/ld+json", "not valid RDF"),
    ("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<a> a dcat:Dataset ; dcat:title \"x", "text/turtle",
     "not valid RDF \\(turtle\\)"),
    ('{"@context": {"foaf": "http://xmlns.com/foaf/0.1/"}, "@graph": [{"@id": "https://x.example/p", '
     '"@type": "foaf:Person"}]}', "application/ld+json", "no dcat:Dataset and no dcat:Catalog"),
])
def test_invalid_rdf_names_the_url(portal, client, body, content_type, message):
    # Bad input: JSON-LD with an invalid value object, truncated Turtle, RDF that is not DCAT.
    portal.respond("/catalog", text_response(body, content_type=content_type))
    with pytest.raises(BadResponse, match=message) as info:
        list(DcatAdapter(portal.url + "/catalog", {}, client).records())
    assert str(info.value).startswith(portal.url + "/catalog: ")


def hydra_page(base: str, page: int, pages: int, total: int, datasets: str) -> str:
    """One page of a catalogue as ckanext-dcat writes it: the datasets, and a
    hydra:PagedCollection with the total and the next page."""
    following = f'hydra:nextPage "{base}/catalog.ttl?page={page + 1}" ;' if page < pages else ""
    return f"""
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix hkd: <https://github.com/hokkaido-opendata/ckanext-hokkaido/ns#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<{base}/catalog.ttl?page={page}> a hydra:PagedCollection ;
    hydra:firstPage "{base}/catalog.ttl?page=1" ; hydra:lastPage "{base}/catalog.ttl?page={pages}" ;
    {following}
    hydra:itemsPerPage 2 ; hydra:totalItems {total} .
<{base}/catalog> a dcat:Catalog .
{datasets}
"""


def hkd_dataset(base: str, key: str, title: str, extra: str = "") -> str:
    return f"""<{base}/dataset/{key}> a dcat:Dataset ; dct:identifier "{key}" ; dct:title "{title}"@ja ;
    dct:description "{title}（北海道）"@ja ; dcat:landingPage <https://www.pref.hokkaido.lg.jp/{key}.html> ;
    dct:modified "2024-05-01T09:00:00" ; {extra}
    dcat:distribution <{base}/dataset/{key}/resource/1> .
<{base}/dataset/{key}/resource/1> a dcat:Distribution ; dct:title "{title}"@ja ;
    dcat:downloadURL <https://www.pref.hokkaido.lg.jp/{key}.csv> .
"""


def test_a_hokkaido_catalogue_is_read_page_by_page_with_the_prefecture_s_fields(portal, client):
    # Bad input: a dataset that moved to the next page while the catalogue was read (it
    # appears twice), a description the portal made up from the title, a dataset stating its
    # municipality by its place only, one stating a code that is not one.
    base = portal.url
    inventory = hkd_dataset(base, "inv-7", "避難場所一覧", """hkd:agencyCode "011500" ; hkd:serialNumber "7" ;
        hkd:department "総務部" ; hkd:updateFrequency "随時" ; hkd:municipalityCode "010006" ;
        hkd:homepageURL "https://www.pref.hokkaido.lg.jp/inv-7.html" ; hkd:descriptionFromTitle "true" ;""")
    placed = hkd_dataset(base, "aed", "AED", f"""hkd:standardDataset "08" ;
        dct:spatial <{base}/municipalities/011002> ;""") + f"""
<{base}/municipalities/011002> a dct:Location ; dct:identifier "011002" ; skos:prefLabel "札幌市"@ja ."""
    wrong = hkd_dataset(base, "odd", "不明", 'hkd:municipalityCode "011001" ;')
    pages = {1: hydra_page(base, 1, 2, 3, inventory + placed), 2: hydra_page(base, 2, 2, 3, placed + wrong)}
    portal.route("/catalog.ttl", lambda request: text_response(
        pages[int(request.arg("page", "1"))], content_type="text/turtle; charset=utf-8"))

    adapter = DcatAdapter(base + "/catalog.ttl", {}, client)
    assert adapter.list_identifiers() == ["aed", "inv-7", "odd"]
    records = {r.identifier: r for r in adapter.records()}
    assert [r.path for r in portal.requests].count("/catalog.ttl") == 2  # each page once: listing and records share
    inv = records["inv-7"]
    assert inv.extras["fields"] == {"agency_code": "011500", "serial_no": "7", "department": "総務部",
                                    "update_frequency": "随時", "municipality_code": "010006",
                                    "homepage_url": "https://www.pref.hokkaido.lg.jp/inv-7.html"}
    assert inv.notes == ""  # made up from the title: the dataset has none
    assert inv.municipality_code == "010006"
    assert inv.source_url == base + "/dataset/inv-7"  # the page read; the landing page is a field
    assert records["aed"].municipality_code == "011002" and records["aed"].extras["fields"]["standard_dataset"] == "08"
    assert records["aed"].notes == "AED（北海道）"
    assert records["odd"].municipality_code is None
    assert [p.identifier for p in adapter.problems] == ["odd"]
    # a source of one municipality keeps its own code
    assert {r.municipality_code for r in DcatAdapter(base + "/catalog.ttl", {"municipality_code": "012050"},
                                                      client).records()} == {"012050"}


def test_a_catalogue_that_changed_or_loops_while_paged_is_not_a_listing(portal, client):
    # Bad input: a catalogue whose total says 4 but whose pages hold 3 datasets (one left
    # between two pages); a page whose next page is the first one again.
    base = portal.url
    one, two, three = (hkd_dataset(base, k, k) for k in ("a", "b", "c"))
    pages = {1: hydra_page(base, 1, 2, 4, one + two), 2: hydra_page(base, 2, 2, 4, three)}
    portal.route("/catalog.ttl", lambda request: text_response(
        pages[int(request.arg("page", "1"))], content_type="text/turtle"))
    adapter = DcatAdapter(base + "/catalog.ttl", {}, client)
    assert [r.identifier for r in adapter.records()] == ["a", "b", "c"]  # what was read is imported
    with pytest.raises(IncompleteListing, match="changed while it was read"):
        adapter.list_identifiers()  # but nothing is withdrawn on it

    pages[2] = hydra_page(base, 2, 3, 4, three).replace("page=3", "page=1")
    with pytest.raises(BadResponse, match="sends back to a page already read") as info:
        list(DcatAdapter(base + "/catalog.ttl", {}, client).records())
    assert str(info.value).startswith(base + "/catalog.ttl?page=2: ")
