"""Harvesting a real second CKAN over HTTP with the hokkaido_ckan harvester.

Each test says in a comment what (bad) input it tries.
"""
from __future__ import annotations

import re

import pytest

from ckan.lib.search.common import make_connection
from ckan.plugins import toolkit

from ckanext.hokkaido.harvest.identity import dataset_name, portal_key
from tests.harvest.helpers import FAST_HARVEST

pytestmark = [
    pytest.mark.usefixtures("with_plugins"),
    *(pytest.mark.ckan_config(key, value) for key, value in FAST_HARVEST.items()),
]

SAPPORO = "011002"


def counters(report, **expected):
    """The report's counters, with every counter not named expected to be 0."""
    want = {"found": 0, "created": 0, "updated": 0, "unchanged": 0, "deleted": 0, "errored": 0, **expected}
    assert report["counters"] == want, report
    return report


def sapporo_portal(remote, count=3):
    """A plain municipal CKAN: 札幌市's organization and ``count`` datasets."""
    remote.organization("sapporo-city", "札幌市")
    return {f"ds-{i}": remote.dataset(f"ds-{i}", "sapporo-city") for i in range(count)}


def indexed_at(package_id):
    """When Solr last indexed the dataset (``indexed_ts``)."""
    docs = make_connection().search(q=f'id:"{package_id}"', fl="indexed_ts")
    assert len(docs) == 1
    return docs.docs[0]["indexed_ts"]


def test_first_run(remote, harvest):
    # Bad input: none; a first harvest of a municipal CKAN with Japanese
    # tags that CKAN would refuse as they are (子育て・教育) and a one-letter tag.
    remote.organization("sapporo-city", "札幌市")
    made = remote.dataset("kosodate", "sapporo-city", title="保育所一覧", notes="市内の保育所",
                          tags=[{"name": "子育て"}, {"name": "教育"}])
    remote.dataset("hinanjo", "sapporo-city", title="指定緊急避難場所一覧", license_id="odc-by",
                   resources=[{"url": "https://files.example.org/hinan.csv", "name": "避難場所.csv",
                               "format": "CSV", "description": "一覧"},
                              {"url": "https://files.example.org/hinan.pdf", "name": "避難場所.pdf",
                               "format": "PDF"}])
    source = harvest.source(remote.url, {"municipality_code": SAPPORO})

    report = counters(harvest.run(source), found=2, created=2)
    assert report["listing"] == "full" and report["errors"] == []

    datasets = harvest.datasets(source)
    assert len(datasets) == 2
    kosodate = datasets[made["id"]]
    assert kosodate["name"] == dataset_name(SAPPORO, portal_key(remote.url), made["id"])
    assert re.fullmatch(r"011002-[0-9a-f]{12}", kosodate["name"])
    assert kosodate["title"] == "保育所一覧"
    assert kosodate["notes"] == "市内の保育所"
    assert sorted(t["name"] for t in kosodate["tags"]) == ["子育て", "教育"]
    assert kosodate["license_id"] == "cc-by-4.0"  # the source CKAN's cc-by, on the portal's list
    assert kosodate["municipality_code"] == SAPPORO
    assert kosodate["source_url"] == f"{remote.url}/dataset/kosodate"
    assert kosodate["source_identifier"] == made["id"]
    assert kosodate["source_modified"].startswith(made["metadata_modified"][:19])
    assert kosodate["private"] is False

    organization = toolkit.get_action("organization_show")({"ignore_auth": True}, {"id": SAPPORO})
    assert organization["title"] == "札幌市"
    assert all(d["owner_org"] == organization["id"] for d in datasets.values())

    hinanjo = next(d for d in datasets.values() if d["title"] == "指定緊急避難場所一覧")
    assert hinanjo["license_id"] == "odc-by"
    assert [(r["url"], r["name"], r["format"]) for r in hinanjo["resources"]] == [
        ("https://files.example.org/hinan.csv", "避難場所.csv", "CSV"),
        ("https://files.example.org/hinan.pdf", "避難場所.pdf", "PDF"),
    ]
    # ckanext-harvest's own view of the job agrees
    status = toolkit.get_action("harvest_source_show_status")(harvest.context(), {"id": source["id"]})
    assert status["last_job"]["stats"]["added"] == 2
    assert status["total_datasets"] == 2
    # and the datasets are searchable
    assert harvest.searchable(fq=f"organization:{SAPPORO}") == sorted(d["name"] for d in datasets.values())
    # indexed with their harvest object (ckanext-harvest's before_dataset_index), which
    # points at each dataset when it is indexed
    assert harvest.searchable(fq=f'harvest_source_id:"{source["id"]}"') == sorted(
        d["name"] for d in datasets.values())


def test_unchanged_rerun_updates_nothing(remote, harvest):
    # Bad input: none; the same portal harvested twice with nothing changed
    # there. Nothing may be updated or reindexed.
    sapporo_portal(remote, 3)
    source = harvest.source(remote.url, {"municipality_code": SAPPORO})
    counters(harvest.run(source), found=3, created=3)
    before = {i: (d["metadata_modified"], indexed_at(d["id"])) for i, d in harvest.datasets(source).items()}

    report = counters(harvest.run(source), found=3, unchanged=3)
    assert report["errors"] == []
    after = {i: (d["metadata_modified"], indexed_at(d["id"])) for i, d in harvest.datasets(source).items()}
    assert after == before  # no package_update, no reindex


def test_modified_added_and_removed_datasets(remote, harvest):
    # Bad input: a portal that changed between runs: one dataset edited, one
    # added, one deleted; the deleted one later comes back.
    made = sapporo_portal(remote, 3)
    source = harvest.source(remote.url, {"municipality_code": SAPPORO})
    counters(harvest.run(source), found=3, created=3)
    first = harvest.datasets(source)

    remote.patch("ds-0", title="更新されたタイトル", notes="新しい説明",
                 resources=[{"url": "https://files.example.org/new.csv", "name": "new.csv", "format": "CSV"}])
    added = remote.dataset("ds-new", "sapporo-city")
    remote.delete("ds-1")

    report = counters(harvest.run(source), found=3, created=1, updated=1, unchanged=1, deleted=1)
    assert report["errors"] == []
    now = harvest.datasets(source)
    assert set(now) == {made["ds-0"]["id"], made["ds-2"]["id"], added["id"]}
    edited = now[made["ds-0"]["id"]]
    assert (edited["title"], edited["notes"]) == ("更新されたタイトル", "新しい説明")
    assert [r["url"] for r in edited["resources"]] == ["https://files.example.org/new.csv"]
    assert edited["name"] == first[made["ds-0"]["id"]]["name"]  # the name did not drift
    assert now[made["ds-2"]["id"]]["metadata_modified"] == first[made["ds-2"]["id"]]["metadata_modified"]

    removed_name = first[made["ds-1"]["id"]]["name"]
    assert harvest.dataset(removed_name)["state"] == "deleted"
    assert removed_name not in harvest.searchable()

    # the remote dataset comes back: the same local dataset is revived
    remote.patch("ds-1", state="active")
    counters(harvest.run(source), found=4, updated=1, unchanged=3)
    assert harvest.dataset(removed_name)["state"] == "active"
    assert removed_name in harvest.searchable()


def test_dataset_made_private_at_source_is_withdrawn(remote, harvest):
    # Bad input: a dataset the portal made private after we harvested it.
    made = sapporo_portal(remote, 2)
    source = harvest.source(remote.url, {"municipality_code": SAPPORO})
    counters(harvest.run(source), found=2, created=2)
    name = harvest.datasets(source)[made["ds-0"]["id"]]["name"]

    remote.patch("ds-0", private=True)
    counters(harvest.run(source), found=1, unchanged=1, deleted=1)
    assert harvest.dataset(name)["state"] == "deleted"
    assert set(harvest.datasets(source)) == {made["ds-1"]["id"]}


def test_force_reimports_everything(remote, harvest):
    # Bad input: none; "force": true on a portal where nothing changed.
    sapporo_portal(remote, 2)
    source = harvest.source(remote.url, {"municipality_code": SAPPORO, "force": True})
    counters(harvest.run(source), found=2, created=2)
    counters(harvest.run(source), found=2, updated=2)


def test_local_edits_are_kept(remote, harvest):
    # Bad input: a steward edited harvested datasets locally: fields the
    # source does not carry, a description the source leaves empty, and a
    # title protected by not_overwrite_fields; then the source changes.
    remote.organization("sapporo-city", "札幌市")
    remote.dataset("ds-0", "sapporo-city", notes="")
    source = harvest.source(remote.url, {"municipality_code": SAPPORO, "not_overwrite_fields": ["title"]})
    counters(harvest.run(source), found=1, created=1)
    (local,) = harvest.datasets(source).values()
    toolkit.get_action("package_patch")(harvest.context(), {
        "id": local["id"], "title": "道が付けた題名", "notes": "担当者が補った説明",
        "category": "行政", "update_frequency": "毎月"})

    remote.patch("ds-0", title="元のタイトルを変更", license_id="odc-by")
    counters(harvest.run(source), found=1, updated=1)
    now = harvest.dataset(local["id"])
    assert now["title"] == "道が付けた題名"  # not_overwrite_fields
    assert now["notes"] == "担当者が補った説明"  # the source has none
    assert (now["category"], now["update_frequency"]) == ("行政", "毎月")  # not harvested fields
    assert now["license_id"] == "odc-by"  # the source's change arrives

    # when the source does give a description, it wins
    remote.patch("ds-0", notes="収集元の説明")
    counters(harvest.run(source), found=1, updated=1)
    assert harvest.dataset(local["id"])["notes"] == "収集元の説明"
    assert harvest.dataset(local["id"])["title"] == "道が付けた題名"


def test_shared_portal_by_name_prefix(remote, harvest):
    # Bad input: a shared portal (BODIK-like) holding several municipalities'
    # datasets and one dataset whose name prefix has a wrong check digit.
    remote.organization("bodik", "BODIK")
    kami = remote.dataset("014257_population", "bodik")
    remote.dataset("014257_shelters", "bodik")
    remote.dataset("011002_other_city", "bodik")
    remote.dataset("014250_bad_digit", "bodik")
    source = harvest.source(remote.url, {"fq": "name:014257_*", "attribution": {"name_prefix": True}})

    counters(harvest.run(source), found=2, created=2)
    datasets = harvest.datasets(source)
    assert {d["municipality_code"] for d in datasets.values()} == {"014257"}
    assert datasets[kami["id"]]["organization"]["name"] == "014257"
    assert datasets[kami["id"]]["organization"]["title"] == "上砂川町"

    # a source for the whole portal attributes by prefix; the bad one is an error,
    # the others still import (one failing record never stops the others)
    whole = harvest.source(remote.url, {"attribution": {"name_prefix": True}, "min_listing_ratio": 0})
    report = counters(harvest.run(whole), found=4, created=1, errored=3)
    messages = {e["identifier"]: e["message"] for e in report["errors"]}
    bad = next(i for i, m in messages.items() if "市町村を特定できません" in m)
    assert "could not be attributed to a municipality" in messages[bad]
    assert sum("duplicate of 014257-" in m for m in messages.values()) == 2


def test_shared_portal_by_organization(remote, harvest):
    # Bad input: a shared portal whose organizations map to municipalities,
    # filtered with fq to one organization.
    remote.organization("kitami-city", "北見市")
    remote.organization("abashiri-city", "網走市")
    kitami = remote.dataset("kitami-data", "kitami-city")
    remote.dataset("abashiri-data", "abashiri-city")
    source = harvest.source(remote.url, {
        "fq": "organization:kitami-city",
        "attribution": {"organization": {"kitami-city": "012084", "abashiri-city": "012114"}}})
    counters(harvest.run(source), found=1, created=1)
    (only,) = harvest.datasets(source).values()
    assert only["source_identifier"] == kitami["id"]
    assert only["organization"]["name"] == "012084"
    assert only["organization"]["title"] == "北見市"


def test_same_remote_dataset_in_two_sources(remote, harvest):
    # Bad input: two sources that carry the same remote datasets (the second
    # one spells the portal URL differently). The first source keeps them.
    made = sapporo_portal(remote, 2)
    first = harvest.source(remote.url, {"municipality_code": SAPPORO}, title="札幌市CKAN")
    second = harvest.source(remote.url + "/", {"municipality_code": SAPPORO, "fq": "organization:sapporo-city"})
    counters(harvest.run(first), found=2, created=2)

    report = counters(harvest.run(second), found=2, errored=2)
    names = {i: d["name"] for i, d in harvest.datasets(first).items()}
    for error in report["errors"]:
        assert error["message"].startswith(f"{error['identifier']}: ")
        assert f"duplicate of {names[error['identifier']]}, kept by source 札幌市CKAN" in error["message"]
    assert harvest.datasets(second) == {}
    assert len(harvest.searchable(fq=f"organization:{SAPPORO}")) == 2
    counters(harvest.run(first), found=2, unchanged=2)  # the owner is not disturbed

    # once the first source withdraws one, the second takes it over, same name
    remote.patch("ds-0", title="変更")
    toolkit.get_action("harvest_source_delete")(harvest.context(), {"id": first["id"]})
    counters(harvest.run(second), found=2, updated=2)
    assert {i: d["name"] for i, d in harvest.datasets(second).items()} == names
    assert harvest.datasets(second)[made["ds-0"]["id"]]["title"] == "変更"


def test_same_source_url_from_another_portal_address(remote, harvest):
    # Bad input: the same portal reached through another address (localhost
    # instead of 127.0.0.1) with dataset_url pointing at the canonical pages,
    # so names differ but source_url is the same.
    sapporo_portal(remote, 1)
    first = harvest.source(remote.url, {"municipality_code": SAPPORO})
    counters(harvest.run(first), found=1, created=1)
    other = harvest.source(remote.url.replace("127.0.0.1", "localhost"), {
        "municipality_code": SAPPORO, "dataset_url": remote.url + "/dataset/{name}"})
    report = counters(harvest.run(other), found=1, errored=1)
    assert "(same source_url)" in report["errors"][0]["message"]
    assert len(harvest.searchable()) == 1


def test_listing_far_smaller_than_before_deletes_nothing(remote, harvest):
    # Bad input: a portal that suddenly lists 1 of 4 datasets (below the
    # default min_listing_ratio 0.5), e.g. a half-broken search index.
    made = sapporo_portal(remote, 4)
    source = harvest.source(remote.url, {"municipality_code": SAPPORO})
    counters(harvest.run(source), found=4, created=4)
    for name in ("ds-0", "ds-1", "ds-2"):
        remote.patch(name, private=True)
    report = counters(harvest.run(source), found=1, unchanged=1, errored=1)
    assert "min_listing_ratio" in report["errors"][0]["message"]
    assert len(harvest.datasets(source)) == 4
    # with a lower ratio the withdrawal goes ahead
    toolkit.get_action("harvest_source_patch")(harvest.context(), {
        "id": source["id"], "config": '{"municipality_code": "011002", "min_listing_ratio": 0.2}'})
    counters(harvest.run(source), found=1, unchanged=1, deleted=3)
    assert set(harvest.datasets(source)) == {made["ds-3"]["id"]}


def test_incremental_runs_between_full_listings(remote, harvest):
    # Bad input: a dataset deleted at the source while the source is set to
    # list everything only every 7 days: the incremental run reads only the
    # changed datasets and withdraws nothing; force gives a full listing.
    made = sapporo_portal(remote, 3)
    source = harvest.source(remote.url, {"municipality_code": SAPPORO, "full_listing_every": 7})
    assert harvest.run(source)["listing"] == "full"
    remote.patch("ds-0", title="変更あり")
    remote.delete("ds-1")
    # asked for datasets modified since the last run minus a one-hour margin
    # for clock skew: ds-0 (changed) and ds-2 (created minutes ago), not ds-1
    report = counters(harvest.run(source), found=2, updated=1, unchanged=1)
    assert report["listing"] == "incremental"
    assert len(harvest.datasets(source)) == 3
    toolkit.get_action("harvest_source_patch")(harvest.context(), {
        "id": source["id"], "config": '{"municipality_code": "011002", "full_listing_every": 7, "force": true}'})
    report = counters(harvest.run(source), found=2, updated=2, deleted=1)
    assert report["listing"] == "full"
    assert set(harvest.datasets(source)) == {made["ds-0"]["id"], made["ds-2"]["id"]}
