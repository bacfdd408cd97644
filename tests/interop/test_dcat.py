"""DCAT and schema.org through ckanext-dcat with our profiles (issue 32, 1
and 2), through CKAN's test client against the real database and Solr.

What each test tries: an inventory dataset, a harvested one and one with an
uploaded file, each served as ``/dataset/<name>.ttl``, conform to the DCAT-AP
3.0.0 SHACL shapes (``tests/interop/shacl``, pyshacl) with 0 violations, carry
the prefecture's fields as DCAT properties and word for word, and read back
(ckanext-dcat's parser with our profile) to the same fields; bad input: a
dataset without a description (DCAT-AP requires one), a resource format the EU
vocabulary does not name (一太郎), a format in lower case, a private dataset
(absent from the catalogue, 404 as a dataset), a catalogue page that is not a
number. The catalogue is paged (hydra) and conforms too, its pages are kept
and never served past a change (a title changed, a dataset purged); content negotiation
answers Turtle; the dataset page's schema.org JSON-LD holds the licence, the
municipality as a place, the dates and the distributions.
"""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS as DCT
from rdflib.namespace import RDF, SKOS
from werkzeug.datastructures import FileStorage

from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action
from ckanext.dcat.processors import RDFParser

from ckanext.hokkaido.interop.dcat import FIELDS, HKD

SHAPES = Graph().parse(Path(__file__).parent / "shacl" / "dcat-ap_3_shacl_shapes.ttl")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
PROV = Namespace("http://www.w3.org/ns/prov#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
EU = "http://publications.europa.eu/resource/authority/"
pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")


def site_context() -> dict:
    return {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}


def violations(graph: Graph) -> str:
    """pyshacl's report when the graph does not conform, else ''."""
    conforms, _, text = validate(graph, shacl_graph=SHAPES)
    return "" if conforms else text


def turtle(app, path: str, **kwargs) -> Graph:
    answer = app.get(path, **kwargs)
    assert answer.status_code == 200, answer.body[:500]
    assert answer.headers["Content-Type"].startswith("text/turtle")
    return Graph().parse(data=answer.body, format="turtle")


def portal_datasets() -> dict[str, dict]:
    """An inventory dataset, a harvested one and one with an uploaded file."""
    factories.Organization(name="010006", title="北海道")
    factories.Organization(name="011002", title="札幌市")
    context = site_context()
    inventory = call_action(
        "package_create", context=dict(context), name="hokkaido-011500-7", title="指定緊急避難場所一覧",
        notes="", owner_org="010006", agency_code="011500", serial_no="7", department="総務部",
        section="危機対策課", category="防災", record_count="101-500", update_frequency="随時",
        file_format="CSV", file_format_2="一太郎", fee="無", publishable="可", license_id="cc-by-4.0",
        homepage_url="https://www.pref.hokkaido.lg.jp/sm/ktk/hinan.html", tags=[{"name": "防災"}],
        resources=[{"url": "https://www.pref.hokkaido.lg.jp/sm/ktk/hinan.csv", "name": "避難場所", "format": "csv"},
                   {"url": "https://www.pref.hokkaido.lg.jp/sm/ktk/hinan.jtd", "name": "原本", "format": "一太郎"}])
    harvested = call_action(
        "package_create", context=dict(context), name="sapporo-aed", title="AED設置箇所一覧",
        notes="札幌市内のAED設置箇所", owner_org="011002", update_frequency="毎月", license_id="cc-by-4.0",
        source_url="https://ckan.pf-sapporo.jp/dataset/aed", source_identifier="3f9d6c1e-aed",
        source_modified="2024-04-01", resources=[{"url": "https://ckan.pf-sapporo.jp/aed.csv", "format": "CSV"}])
    uploaded = call_action(
        "package_create", context=dict(context), name="sapporo-upload", title="人口統計", notes="町丁目別人口",
        owner_org="011002", license_id="cc-by-4.0")
    call_action("resource_create", context=dict(context), package_id=uploaded["id"], url="population.csv",
                upload=FileStorage(io.BytesIO("町名,人口\n中央,100\n".encode()), "population.csv"), format="CSV")
    return {d["name"]: call_action("package_show", id=d["id"]) for d in (inventory, harvested, uploaded)}


def test_three_kinds_of_dataset_conform_to_dcat_ap_3_and_lose_nothing(app):
    datasets = portal_datasets()
    site = toolkit.config["ckan.site_url"].rstrip("/")
    assert datasets["sapporo-aed"]["standard_dataset"] == "08"  # AED設置箇所一覧, from its title

    for name, dataset in datasets.items():
        graph = turtle(app, f"/dataset/{name}.ttl")
        assert violations(graph) == "", f"{name}:\n{violations(graph)}"
        ref = next(graph.subjects(RDF.type, DCAT.Dataset))
        assert graph.value(ref, DCT.title) == Literal(dataset["title"], lang="ja")
        assert graph.value(ref, DCT.description)  # required, even when the dataset has no notes
        assert graph.value(ref, DCT.license) == URIRef(dataset["license_url"])
        for field, prop in FIELDS.items():  # word for word
            assert graph.value(ref, HKD[prop]) == (Literal(str(dataset[field])) if dataset.get(field) else None), field
        place = graph.value(ref, DCT.spatial)
        assert place == URIRef(f"{site}/municipalities/{dataset['municipality_code']}")
        assert graph.value(place, DCT.identifier) == Literal(dataset["municipality_code"])
        assert (place, RDF.type, DCT.Location) in graph

        parsed = RDFParser(profiles=["euro_dcat_ap_3", "hokkaido_dcat"])
        parsed.g = graph
        (back,) = list(parsed.datasets())
        assert {f: back.get(f) for f in FIELDS if dataset.get(f)} == {
            f: str(dataset[f]) for f in FIELDS if dataset.get(f)}
        assert back["title"] == dataset["title"]

    inventory = turtle(app, "/dataset/hokkaido-011500-7.ttl")
    ref = next(inventory.subjects(RDF.type, DCAT.Dataset))
    assert inventory.value(ref, DCT.description) == Literal("指定緊急避難場所一覧（北海道）", lang="ja")
    assert inventory.value(ref, DCT.accrualPeriodicity) == URIRef(EU + "frequency/IRREG")
    assert inventory.value(ref, HKD.updateFrequency) == Literal("随時")  # what IRREG alone would lose
    assert inventory.value(ref, DCAT.landingPage) == URIRef("https://www.pref.hokkaido.lg.jp/sm/ktk/hinan.html")
    formats = {inventory.value(d, DCT["format"]) for d in inventory.objects(ref, DCAT.distribution)}
    assert URIRef(EU + "file-type/CSV") in formats  # "csv" as the portal wrote it
    (unnamed,) = [f for f in formats if not str(f).startswith(EU)]
    assert str(inventory.value(unnamed, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))) == "一太郎"

    harvested = turtle(app, "/dataset/sapporo-aed.ttl")
    ref = next(harvested.subjects(RDF.type, DCAT.Dataset))
    assert harvested.value(ref, PROV.wasDerivedFrom) == URIRef("https://ckan.pf-sapporo.jp/dataset/aed")
    assert harvested.value(harvested.value(ref, ADMS.identifier), SKOS.notation) == Literal("3f9d6c1e-aed")
    assert harvested.value(ref, DCT.accrualPeriodicity) == URIRef(EU + "frequency/MONTHLY")
    assert harvested.value(ref, DCT.conformsTo) == URIRef(f"{site}/standard/08")

    uploaded = turtle(app, "/dataset/sapporo-upload.ttl")
    ref = next(uploaded.subjects(RDF.type, DCAT.Dataset))
    (distribution,) = uploaded.objects(ref, DCAT.distribution)
    download = uploaded.value(distribution, DCAT.downloadURL) or uploaded.value(distribution, DCAT.accessURL)
    assert str(download).startswith(f"{site}/dataset/") and str(download).endswith("/population.csv")


@pytest.mark.ckan_config("ckanext.dcat.datasets_per_page", 2)
def test_the_catalogue_is_paged_conforms_and_holds_only_public_datasets(app):
    datasets = portal_datasets()
    call_action("package_create", context=site_context(), name="secret", title="非公開", owner_org="011002",
                private=True)

    ids, page = set(), 1
    while page:
        graph = turtle(app, f"/catalog.ttl?page={page}")
        assert violations(graph) == "", f"page {page}:\n{violations(graph)}"
        ids |= {str(graph.value(d, DCT.identifier)) for d in graph.subjects(RDF.type, DCAT.Dataset)}
        following = next(graph.objects(None, URIRef("http://www.w3.org/ns/hydra/core#next")), None)
        page = page + 1 if following else 0
        assert page < 5
    found = {call_action("package_show", id=i)["name"] for i in ids}
    assert found == set(datasets)  # the private one is in no page
    # not the login page ckanext-dcat's 403 would send an anonymous visitor to (the name exists)
    assert app.get("/dataset/secret.ttl", follow_redirects=False).status_code == 404
    assert app.get("/dataset/secret", headers={"Accept": "text/turtle"}, follow_redirects=False).status_code == 404
    assert app.get("/catalog.ttl?page=x").status_code == 409  # ckanext-dcat: "page" must be a number

    # the pages are kept in Redis (interop/dcat_views.py), never past a change
    from ckan.lib.redis import connect_to_redis
    assert list(connect_to_redis().scan_iter("ckanext.hokkaido.dcat.catalog:*"))
    titles = lambda: {str(graph.value(d, DCT.title)) for page in (1, 2)  # noqa: E731
                      for graph in [turtle(app, f"/catalog.ttl?page={page}")]
                      for d in graph.subjects(RDF.type, DCAT.Dataset)}
    assert "人口統計" in titles()
    call_action("package_patch", context=site_context(), id="sapporo-upload", title="人口統計（町丁目別）")
    assert "人口統計（町丁目別）" in titles() and "人口統計" not in titles()
    call_action("dataset_purge", context=site_context(), id="sapporo-aed")
    assert "AED設置箇所一覧" not in titles()

    negotiated = turtle(app, "/dataset/hokkaido-011500-7", headers={"Accept": "text/turtle"})
    assert next(negotiated.subjects(RDF.type, DCAT.Dataset), None) is not None
    catalog = json.loads(app.get("/catalog.jsonld").body)
    assert catalog  # JSON-LD of the same graph


def test_dataset_page_has_schema_org_json_ld(app):
    portal_datasets()
    page = app.get("/dataset/sapporo-aed").body
    (script,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    nodes = {node["@id"]: node for node in json.loads(script)["@graph"]}
    (dataset,) = [n for n in nodes.values() if n["@type"] == "schema:Dataset"]
    assert dataset["schema:name"] == "AED設置箇所一覧"
    assert dataset["schema:description"] == "札幌市内のAED設置箇所"
    assert dataset["schema:license"].startswith("https://creativecommons.org/licenses/by/4.0")
    assert dataset["schema:datePublished"] and dataset["schema:dateModified"]
    place = nodes[dataset["schema:spatialCoverage"]["@id"]]
    assert (place["@type"], place["schema:name"], place["schema:identifier"]) == ("schema:Place", "札幌市", "011002")
    geo = nodes[place["schema:geo"]["@id"]]
    assert 42 < geo["schema:latitude"] < 46 and 139 < geo["schema:longitude"] < 146
    distributions = dataset["schema:distribution"]
    distributions = distributions if isinstance(distributions, list) else [distributions]
    assert [nodes[d["@id"]]["schema:url"] for d in distributions] == ["https://ckan.pf-sapporo.jp/aed.csv"]
    assert dataset["schema:isBasedOn"]["@id"] == "https://ckan.pf-sapporo.jp/dataset/aed"
