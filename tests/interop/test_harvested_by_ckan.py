"""Another CKAN harvests this portal (issue 32, 3).

The portal is served over HTTP (``ckan run`` on the test database,
tests/browser.py); the other portal is a second real CKAN
(tests/fakes/harvesting-ckan.ini: stock CKAN, ckanext-harvest's CKAN
harvester, ckanext-dcat's DCAT harvester reading DCAT-AP 3 and the
prefecture's ``hokkaido_dcat`` profile, no scheming schema) run as a subprocess and driven
through its API and ``ckan harvester run-test``, the synchronous run of
ckanext-harvest. What it tries: every public dataset arrives, the private
one does not, CKAN's own fields and the organizations arrive through the
action API (the CKAN harvester; a portal without our schema drops its
fields), the prefecture's fields arrive through DCAT as extras, and a second
run of each changes nothing there (every dataset as it was, its
``metadata_modified`` included; only the harvest object it points at is
new) nor here (reading this portal writes nothing in it); bad input: the DCAT harvester pointed at a web page of the portal (HTML,
not RDF) is told so (a gather error), nothing written or lost.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests.browser import ckan_server  # noqa: F401
from tests.fakes.source_ckan import SourceCkan

HARVESTING_INI = Path(__file__).resolve().parent.parent / "fakes" / "harvesting-ckan.ini"
PUBLIC = {"hokkaido-011500-7", "sapporo-aed", "sapporo-upload"}


def as_harvested(dataset: dict) -> dict:
    """A harvested dataset without what each run writes anew (the object
    ckanext-harvest links it to), its extras by key."""
    extras = {e["key"]: e["value"] for e in dataset.get("extras", []) if e["key"] != "harvest_object_id"}
    return {**dataset, "extras": extras}


class HarvestingCkan(SourceCkan):
    """The second CKAN, with ckanext-harvest's tables."""

    SYSADMIN = "harvesting-admin"

    def reset_database(self) -> None:
        super().reset_database()
        self.cli("db", "upgrade", "-p", "harvest")

    def harvest(self, source: str) -> None:
        self.cli("harvester", "run-test", source)
        # ckanext-harvest 1.6.3 on CKAN 2.12 reindexes the source at the end
        # of a run without its schema: harvest_source_show (read from that
        # copy) then has no source_type and the next run-test fails with
        # KeyError; the other portal's operator rebuilds its index entry
        self.cli("search-index", "rebuild", source)

    def datasets(self) -> dict[str, dict]:
        found = self.action("package_search", q="*:*", rows=100, include_private=True)["results"]
        return {d["title"]: d for d in found}


@pytest.fixture(scope="module")
def harvesting_ckan():
    with HarvestingCkan(HARVESTING_INI) as other:
        yield other


def portal_content() -> None:
    site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
    factories.Organization(name="010006", title="北海道")
    factories.Organization(name="011002", title="札幌市")
    call_action("package_create", context=dict(site), name="hokkaido-011500-7", title="指定緊急避難場所一覧",
                notes="道内の指定緊急避難場所", owner_org="010006", agency_code="011500", serial_no="7",
                department="総務部", section="危機対策課", category="防災", update_frequency="随時",
                file_format="CSV", fee="無", publishable="可", license_id="cc-by-4.0",
                resources=[{"url": "https://www.pref.hokkaido.lg.jp/hinan.csv", "format": "CSV"}])
    call_action("package_create", context=dict(site), name="sapporo-aed", title="AED設置箇所一覧",
                notes="札幌市内のAED", owner_org="011002", update_frequency="毎月", license_id="cc-by-4.0",
                source_url="https://ckan.pf-sapporo.jp/dataset/aed", source_identifier="aed-1",
                resources=[{"url": "https://ckan.pf-sapporo.jp/aed.csv", "format": "CSV"}])
    uploaded = call_action("package_create", context=dict(site), name="sapporo-upload", title="人口統計",
                           notes="町丁目別人口", owner_org="011002", license_id="cc-by-4.0")
    call_action("resource_create", context=dict(site), package_id=uploaded["id"], url="population.csv",
                upload=FileStorage(io.BytesIO("町名,人口\n中央,100\n".encode()), "population.csv"), format="CSV")
    call_action("package_create", context=dict(site), name="secret", title="非公開", notes="非公開",
                owner_org="011002", private=True)


def test_another_ckan_harvests_the_portal_through_its_api_and_its_dcat(ckan_server, harvesting_ckan):
    portal_content()
    ours = {d["title"]: d for d in call_action("package_search", q="*:*", rows=100,
                                                include_private=True)["results"]}
    other = harvesting_ckan
    other.organization("hokkaido-portal", "北海道オープンデータポータル")

    # ckanext-harvest's CKAN harvester, reading our action API
    other.action("harvest_source_create", name="hokkaido-api", title="北海道 (CKAN API)", url=ckan_server + "/",
                 source_type="ckan", owner_org="hokkaido-portal", frequency="MANUAL",
                 config=json.dumps({"remote_orgs": "create"}))
    other.harvest("hokkaido-api")
    now = {d["title"]: d["metadata_modified"] for d in call_action(
        "package_search", q="*:*", rows=100, include_private=True)["results"]}
    assert now == {t: d["metadata_modified"] for t, d in ours.items()}  # being read changes nothing here
    arrived = other.datasets()
    assert {d["name"] for d in arrived.values()} == PUBLIC  # the private one stays home
    for title, dataset in arrived.items():
        mine = ours[title]
        assert dataset["notes"] == mine["notes"] and dataset["license_id"] == mine["license_id"]
        assert [r["url"] for r in dataset["resources"]] == [r["url"] for r in mine["resources"]]
        assert dataset["organization"]["title"] == mine["organization"]["title"]
        # the prefecture's fields are top-level fields of our schema, which a
        # CKAN without it drops on package_create: they travel by DCAT (below)
    other.harvest("hokkaido-api")
    again = other.datasets()  # nothing new, nothing lost, nothing rewritten
    assert {t: as_harvested(d) for t, d in again.items()} == {t: as_harvested(d) for t, d in arrived.items()}
    for name in PUBLIC:
        other.action("dataset_purge", id=name)

    # ckanext-dcat's DCAT harvester, reading /catalog.ttl (paged) with DCAT-AP 3 and hokkaido_dcat
    other.action("harvest_source_create", name="hokkaido-dcat", title="北海道 (DCAT)",
                 url=ckan_server + "/catalog.ttl", source_type="dcat_rdf", owner_org="hokkaido-portal",
                 frequency="MANUAL")
    other.harvest("hokkaido-dcat")
    arrived = other.datasets()
    assert set(arrived) == {ours[t]["title"] for t in ours if ours[t]["name"] in PUBLIC}
    for title, dataset in arrived.items():
        mine = ours[title]
        extras = {e["key"]: e["value"] for e in dataset.get("extras", [])}
        for field in ("municipality_code", "update_frequency", "standard_dataset", "agency_code", "serial_no",
                      "department", "source_url", "source_identifier"):
            if mine.get(field):
                assert extras.get(field) == str(mine[field]), (title, field, extras)
        assert sorted(r["url"] for r in dataset["resources"]) == sorted(r["url"] for r in mine["resources"])
    other.harvest("hokkaido-dcat")
    again = other.datasets()  # as with the CKAN harvester: nothing new, lost or rewritten
    assert {t: as_harvested(d) for t, d in again.items()} == {t: as_harvested(d) for t, d in arrived.items()}
    now = {d["title"]: d["metadata_modified"] for d in call_action(
        "package_search", q="*:*", rows=100, include_private=True)["results"]}
    assert now == {t: d["metadata_modified"] for t, d in ours.items()}

    past = other.action("harvest_source_create", name="hokkaido-dcat-page", title="北海道 (DCAT? a web page)",
                        url=ckan_server + "/about", source_type="dcat_rdf", owner_org="hokkaido-portal",
                        frequency="MANUAL", config=json.dumps({"rdf_format": "turtle"}))
    other.harvest("hokkaido-dcat-page")
    (job,) = other.action("harvest_job_list", source_id=past["id"])
    report = other.action("harvest_job_report", id=job["id"])
    assert report["gather_errors"], json.dumps(report, ensure_ascii=False)[:800]
    assert set(other.datasets()) == set(arrived)
