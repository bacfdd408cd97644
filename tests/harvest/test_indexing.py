"""Search indexing in batches during ``ckan hokkaido harvest``
(ckanext/hokkaido/harvest/indexing.py), against the real Solr core of the
tests.

What each test tries: datasets created, changed and withdrawn by a run are
in the index exactly as in the database afterwards; CKAN's synchronous
indexing is back when the run ends (also when it fails); a run killed
between writing and indexing (simulated by writing the jobs and datasets of
a dead run whose datasets never reached Solr) is made good by the next run;
Solr refusing the batch (its URL pointed at a closed port) fails the source
with a message naming the index, and loses nothing in the database.
"""
from __future__ import annotations

import json
import threading

import pytest

from ckan import logic, model, plugins
from ckan.lib.search import index_for
from ckan.lib.search.common import make_connection
from ckan.model.system_info import set_system_info
from ckan.plugins import toolkit

from ckanext.harvest.model import HarvestObject

from ckanext.hokkaido.harvest import indexing, nightly

from tests import solr
from tests.fakes.source_ckan import free_port
from tests.harvest.helpers import NIGHTLY_MARKS, SAPPORO, SEARCH, indexed, jobs_of, make_source, run
from tests.fakes.ckan import FakeCkan, make_dataset
from tests.fakes.portal_server import text_response

# the nightly run's marks (fast harvest settings, two workers)
pytestmark = NIGHTLY_MARKS


def in_database(source) -> dict[str, dict]:
    rows = (model.Session.query(model.Package)
            .join(HarvestObject, HarvestObject.package_id == model.Package.id)
            .filter(HarvestObject.harvest_source_id == source["id"])
            .filter(HarvestObject.current == True)  # noqa: E712
            .filter(model.Package.state == "active"))
    model.Session.rollback()
    return {p.name: {"title": p.title, "notes": p.notes} for p in rows}


def ckans_own_indexing_is_on() -> bool:
    """CKAN indexes by itself again: its synchronous_search plugin (2.11) or
    its actions' index functions (2.12) are back."""
    if indexing.INDEXES_IN_ACTIONS:
        return not any(getattr(logic, name) is indexing._not_now for name in indexing.ACTION_INDEXERS)
    return plugins.plugin_loaded(indexing.SYNCHRONOUS_PLUGIN)


def test_a_run_leaves_the_index_equal_to_the_database(cli, harvest, portals):
    server = portals()
    fake = FakeCkan([make_dataset(i) for i in range(5)]).install(server)
    source = make_source(harvest, server.url, SAPPORO)

    assert run(cli, "--source", source["name"]).exit_code == 0
    assert ckans_own_indexing_is_on()
    first = in_database(source)
    assert len(first) == 5
    found = indexed(fq=f"municipality_code:{SAPPORO}")
    assert sorted(found) == sorted(first)  # each once: rows are by name
    assert found.keys() == first.keys()

    # one changed, one gone, one new
    fake.datasets[0]["title"] = "変更後のタイトル"
    fake.datasets[0]["metadata_modified"] = "2025-06-01T00:00:00"
    gone = fake.datasets.pop(1)
    fake.datasets.append(make_dataset(99))
    assert run(cli, "--source", source["name"]).exit_code == 0

    second = in_database(source)
    found = indexed(fq=f"municipality_code:{SAPPORO}")
    assert sorted(found) == sorted(second) and len(second) == 5
    assert {d["title"] for d in found.values()} >= {"変更後のタイトル"}
    assert not any(d["source_identifier"] == gone["id"] for d in found.values())
    assert indexed(q="title:変更後のタイトル").keys() == {
        name for name, d in second.items() if d["title"] == "変更後のタイトル"}


def test_synchronous_indexing_is_back_after_a_failed_run(cli, harvest, portals):
    # Bad input: the only source answers HTTP 500 (exit 1).
    server = portals()
    server.respond(SEARCH, text_response("down", status=500))
    make_source(harvest, server.url, SAPPORO, name="down")
    assert run(cli, "--source", "down").exit_code == 1
    assert ckans_own_indexing_is_on() and not indexing.is_deferred()
    # a dataset made outside the run is indexed at once, as CKAN does
    dataset = toolkit.get_action("package_create")(
        harvest.context(), {"name": "made-by-hand", "title": "手作業", "owner_org": harvest.owner["id"]})
    assert "made-by-hand" in indexed(q="name:made-by-hand")
    assert dataset["name"] == "made-by-hand"


def test_datasets_a_killed_run_never_indexed_are_indexed_by_the_next(cli, harvest, portals):
    # Bad input: what a run killed between its database commit and its Solr
    # batch leaves: a Running job listed as the run in progress, and datasets
    # in the database that are not in the index.
    server = portals()
    FakeCkan([make_dataset(i) for i in range(3)]).install(server)
    source = make_source(harvest, server.url, SAPPORO, name="killed")
    assert run(cli, "--source", "killed").exit_code == 0
    (job,) = jobs_of(source)
    names = sorted(in_database(source))
    for name in names:
        index_for(model.Package).delete_package({"id": model.Package.get(name).id})
    index_for(model.Package).commit()
    assert not set(names) & set(indexed())
    job.status = "Running"
    job.finished = None
    job.save()
    set_system_info(nightly.JOBS_KEY, json.dumps([job.id]))

    result = run(cli, "--source", "killed")

    assert result.exit_code == 0, result.all_output
    assert "jobs of an interrupted earlier run finished as failed: 1" in result.stdout
    assert set(names) <= set(indexed())


def test_solr_refusing_the_batch_fails_the_source_and_keeps_the_datasets(cli, harvest, portals, app):
    # Bad input: Solr unreachable when the run sends its batch (the search
    # URL points at a port nothing listens on; the database is fine). The run
    # is called in-process: the CLI would read the Solr URL from the config again.
    server = portals()
    FakeCkan([make_dataset(i) for i in range(3)]).install(server)
    source = make_source(harvest, server.url, SAPPORO, name="no-solr")
    # CKAN reads solr_url again when the run switches its indexing plugin off
    # (CKAN 2.11), or at every connection (2.12)
    with solr.pointed_at(f"http://127.0.0.1:{free_port()}/solr/nothing"):
        report = nightly.run(app.flask_app, source="no-solr")
    assert report.exit_code == nightly.EXIT_FAILED
    (result,) = report.results
    assert not result.ok and "search index" in result.first_error and "検索インデックス" in result.first_error
    assert "search-index rebuild" in result.first_error
    assert "FAILED search index" in report.text()  # the last flush failed too
    (job,) = jobs_of(source)
    assert job.status == "Finished"
    # what was written stays (a record whose import needed a search failed whole)
    assert len(in_database(source)) == result.counters["created"] >= 2
    assert ckans_own_indexing_is_on() and not indexing.is_deferred()

    # the next run, with Solr back, makes the index whole
    assert run(cli, "--source", "no-solr", "--force").exit_code == 0
    assert len(in_database(source)) == 3
    assert set(in_database(source)) <= set(indexed())


def test_a_flush_leaves_what_another_thread_has_not_committed(harvest):
    # Bad input: a flush by one worker thread while another has written a
    # dataset (noted at its flush to the database) and not committed it yet:
    # read now, it would be missing, and no later flush would send it.
    dataset = toolkit.get_action("package_create")(
        harvest.context(), {"name": "written-elsewhere", "title": "別スレッド", "owner_org": harvest.owner["id"]})
    index_for(model.Package).delete_package({"id": dataset["id"]})
    index_for(model.Package).commit()
    writer_noted, writer_may_release, writer_done = threading.Event(), threading.Event(), threading.Event()

    def writer():
        indexing.note(model.Package.get(dataset["id"]))
        writer_noted.set()
        writer_may_release.wait(10)
        indexing.release()  # after its commit
        writer_done.set()

    with indexing.deferred():
        thread = threading.Thread(target=writer)
        thread.start()
        assert writer_noted.wait(10)
        assert indexing.flush() == 0
        assert "written-elsewhere" not in indexed(q="name:written-elsewhere")
        writer_may_release.set()
        assert writer_done.wait(10)
        assert indexing.flush() == 1
    thread.join()
    assert "written-elsewhere" in indexed(q="name:written-elsewhere")


def test_a_dataset_solr_refuses_is_named_and_its_batch_is_sent_again(harvest):
    # Bad input: one dataset of a batch whose title Solr refuses (12,000
    # kanji, 36,000 bytes: over Solr's 32,766-byte limit for one term of the
    # title_string sort field). The batch goes in one request, so Solr's
    # refusal of it is narrowed down to the dataset, and every dataset of the
    # batch stays handed over for the next flush.
    titles = {"batch-first": "一番目", "batch-refused": "長" * 12000, "batch-last": "三番目"}
    with indexing.deferred():
        ids = {}  # in this order in the batch (a flush goes by id)
        for number, (name, title) in enumerate(titles.items(), start=1):
            ids[name] = toolkit.get_action("package_create")(harvest.context(), {
                "id": f"00000000-0000-4000-8000-{number:012d}", "name": name, "title": title,
                "owner_org": harvest.owner["id"]})["id"]
        indexing.release()  # committed by package_create
        with pytest.raises(indexing.IndexingFailed) as failed:
            indexing.flush()
        assert "dataset batch-refused" in str(failed.value)
        assert "3 datasets not indexed yet" in str(failed.value)
        assert "batch-refused" not in indexed(q="name:batch-refused")

        toolkit.get_action("package_patch")(harvest.context(), {"id": ids["batch-refused"], "title": "二番目"})
        indexing.release()
        assert indexing.flush() == 3
    found = indexed(q="name:batch-*")
    assert {name: d["title"] for name, d in found.items()} == {
        "batch-first": "一番目", "batch-refused": "二番目", "batch-last": "三番目"}


def extras_sorted(dataset: dict) -> dict:
    """The dataset with its extras in key order: CKAN 2.12 keeps extras in a
    JSONB mapping, whose order is the database's, not the order written."""
    if isinstance(dataset.get("extras"), list):
        dataset["extras"] = sorted(dataset["extras"], key=lambda extra: extra["key"])
    return dataset


def test_each_document_holds_what_ckans_own_indexer_stores(cli, harvest, portals, app):
    # What it tries: the run indexes a dataset from the read its activity
    # made, with the activity's validation of that read (not validated a
    # second time). Each document must hold what CKAN's own indexer stores
    # when it indexes the dataset afresh: the dataset as package_show reads
    # it, and that read validated with the show schema (what package_search
    # answers from), with ckanext-harvest's additions to both.
    server = portals()
    FakeCkan([make_dataset(i) for i in range(3)]).install(server)
    source = make_source(harvest, server.url, SAPPORO, name="documents")
    assert run(cli, "--source", "documents").exit_code == 0
    names = sorted(in_database(source))
    assert len(names) == 3

    def stored() -> dict[str, dict]:
        found = make_connection().search(q=f"municipality_code:{SAPPORO}", fl="name,data_dict,validated_data_dict",
                                         rows=10).docs
        return {d["name"]: {"data": extras_sorted(json.loads(d["data_dict"])),
                            "validated": extras_sorted(json.loads(d["validated_data_dict"]))}
                for d in found}

    by_the_run = stored()
    with app.flask_app.test_request_context():  # the locale the run's CLI has
        for name in names:
            if indexing.INDEXES_IN_ACTIONS:  # CKAN 2.12: what its actions index
                logic.index_update_package({"ignore_auth": True}, model.Package.by_name(name).id, defer_commit=True)
            else:
                index_for(model.Package).update_dict(toolkit.get_action("package_show")(
                    {"ignore_auth": True, "validate": False, "use_cache": False}, {"id": name}), defer_commit=True)
    index_for(model.Package).commit()
    by_ckan = stored()
    assert sorted(by_ckan) == names
    assert by_the_run == by_ckan
    assert all(d["validated"]["municipality_code"] == SAPPORO for d in by_ckan.values())
