"""The CKAN, ckanext-harvest and ckanext-xloader internals the portal relies on, named.

The nightly run (``ckanext/hokkaido/harvest/``) steps around a few of CKAN's
own paths to write thousands of datasets a night: it answers names of CKAN's
search indexer itself while it indexes in batches (``harvest/indexing.py``),
switches off CKAN's own indexing for the run (the ``synchronous_search``
plugin on CKAN 2.11, the actions' index functions of ``ckan.logic`` on
2.12), swaps the activity plugin's receivers of ``action_succeeded`` for
one that shares the index's read (``harvest/activity.py``), and calls
ckanext-harvest's gather stage directly (``harvest/nightly/jobs.py``). None
of this is CKAN's public API. Each test here names one internal and fails,
with the CKAN version in the message, when a release moves or reshapes it:
after upgrading CKAN, run this module first. Supported: CKAN 2.11 and 2.12
(README, "CKAN versions").
"""
from __future__ import annotations

import inspect

import pytest

import ckan
from ckan import logic, plugins
from ckan.lib import plugins as lib_plugins
from ckan.lib.search import index as search_index
from ckan.logic.action import create, update
from ckan.plugins import toolkit
from ckanext.harvest import queue

from ckanext.hokkaido.harvest import activity, indexing

VERSION = f"CKAN {ckan.__version__}"
MAJOR_MINOR = tuple(int(p) for p in ckan.__version__.split(".")[:2])


def source_of(function) -> str:
    return inspect.getsource(function)


def test_this_ckan_is_one_the_run_knows():
    assert MAJOR_MINOR in ((2, 11), (2, 12)), f"{VERSION}: review this module's internals, then add it here"
    assert indexing.INDEXES_IN_ACTIONS == (MAJOR_MINOR >= (2, 12)), \
        f"{VERSION}: indexing inside the actions is {indexing.INDEXES_IN_ACTIONS}"


def test_the_indexer_looks_up_its_connection_by_module_name():
    # indexing.deferred() answers search_index.make_connection in the flushing thread:
    # it must be a name the indexer looks up at call time.
    index_package = source_of(search_index.PackageSearchIndex.index_package)
    assert hasattr(search_index, "make_connection"), f"{VERSION}: ckan.lib.search.index.make_connection is gone"
    assert "make_connection(" in index_package, \
        f"{VERSION}: PackageSearchIndex.index_package no longer calls make_connection()"
    assert search_index.lib_plugins is lib_plugins, f"{VERSION}: ckan.lib.search.index imports lib_plugins otherwise"
    assert hasattr(lib_plugins.get_permission_labels(), "get_dataset_labels"), VERSION


@pytest.mark.skipif(MAJOR_MINOR >= (2, 12), reason="CKAN 2.12 indexes in the actions")
def test_ckan_2_11_indexes_from_the_synchronous_search_plugin_and_validates_in_the_indexer():
    assert plugins.plugin_loaded(indexing.SYNCHRONOUS_PLUGIN), \
        f"{VERSION}: CKAN's per-commit indexing is no longer the synchronous_search plugin"
    assert "lib_plugins.plugin_validate(" in source_of(search_index.PackageSearchIndex.index_package), \
        f"{VERSION}: the indexer no longer validates through lib_plugins.plugin_validate"
    params = list(inspect.signature(lib_plugins.plugin_validate).parameters)
    assert params == ["plugin", "context", "data_dict", "schema", "action"], f"{VERSION}: {params}"


@pytest.mark.skipif(MAJOR_MINOR < (2, 12), reason="CKAN 2.11 indexes from a plugin")
def test_ckan_2_12_indexes_in_the_actions_through_the_functions_the_run_silences():
    for name in indexing.ACTION_INDEXERS:
        assert callable(getattr(logic, name, None)), f"{VERSION}: ckan.logic.{name} is gone"
    assert "logic.index_insert_package_dicts(" in source_of(create.package_create), VERSION
    assert "logic.index_update_package_dicts(" in source_of(update.package_update), VERSION
    assert "with_custom_schema" in source_of(search_index.PackageSearchIndex.index_package), VERSION
    params = list(inspect.signature(logic.package_show_default_and_custom_schemas).parameters)
    assert params == ["parent_context", "package_id"], f"{VERSION}: {params}"
    assert not plugins.plugin_loaded(indexing.SYNCHRONOUS_PLUGIN), \
        f"{VERSION}: synchronous_search is back; the run would index twice"


@pytest.mark.usefixtures("with_plugins")
def test_the_activity_plugin_receives_the_actions_the_run_takes_over():
    # harvest/activity.py swaps these receivers for its own during the run
    # and makes the same activity; on 2.12 from the read the actions index
    # (package_show_default_and_custom_schemas, named above)
    from ckanext.activity import subscriptions

    signal = toolkit.signals.action_succeeded
    expected = {"package_create": "package_changed",
                "package_update": "package_updated" if MAJOR_MINOR >= (2, 12) else "package_changed"}
    assert set(expected) == set(activity.SENDERS), VERSION
    for sender, name in expected.items():
        receiver = getattr(subscriptions, name, None)
        assert receiver is not None, f"{VERSION}: ckanext.activity.subscriptions.{name} is gone"
        assert receiver in list(signal.receivers_for(sender)), \
            f"{VERSION}: ckanext.activity no longer makes the {sender} activity in {name}"
        params = list(inspect.signature(receiver).parameters)
        assert params[0] == "sender", f"{VERSION}: {name}({params})"
    body = source_of(subscriptions._create_package_activity)
    assert '"package": dictized_package' in body and 'tk.get_action("package_show")' in body, \
        f"{VERSION}: the dataset activity holds something else than package_show's answer; review harvest/activity.py"
    if MAJOR_MINOR >= (2, 12):
        assert "changed_entities" in source_of(subscriptions.package_updated), \
            f"{VERSION}: package_updated decides otherwise whether an update makes an activity"


def test_each_import_thread_of_the_run_gets_its_own_database_session():
    # nightly/jobs.import_objects writes from several threads through
    # model.Session: CKAN must keep it a session per thread
    import threading
    from ckan import model
    from sqlalchemy import orm

    assert isinstance(model.Session, orm.scoped_session), f"{VERSION}: model.Session is no longer thread-scoped"
    sessions = []
    worker = threading.Thread(target=lambda: (sessions.append(model.Session()), model.Session.remove()))
    worker.start()
    worker.join()
    assert sessions and sessions[0] is not model.Session(), f"{VERSION}: threads share one session"


def test_ckanext_harvest_gather_stage_is_what_the_run_calls():
    params = list(inspect.signature(queue.gather_stage).parameters)
    assert params == ["harvester", "job"], f"ckanext-harvest: gather_stage({params})"
    assert hasattr(queue, "fetch_and_import_stages"), "ckanext-harvest: fetch_and_import_stages is gone"


def test_ckanext_harvest_reindexes_a_source_as_the_chained_action_expects():
    # ckanext.hokkaido.harvest.action.harvest_source_reindex replaces, on 2.12,
    # ckanext-harvest's indexing of a source read with validate=False as the
    # copy package_show answers from. Review it when that changes.
    from ckanext.harvest.logic.action.update import harvest_source_reindex
    body = source_of(harvest_source_reindex)
    assert "validate=False" in body and "index_package(" in body, \
        "ckanext-harvest: harvest_source_reindex indexes otherwise; review harvest/action.py's chained action"
    if MAJOR_MINOR >= (2, 12):
        assert 'new_dict["with_custom_schema"] = package_dict' in body, \
            "ckanext-harvest: harvest_source_reindex builds its search copy otherwise; review harvest/action.py"


def test_ckanext_xloader_loading_steps_the_tables_job_calls():
    # ckanext.hokkaido.tables.load._replace_table runs xloader's loading steps
    # on the CSV it prepared (without load_csv's tabulator re-read); two of
    # them are private. Review the job when this fails.
    from ckanext.xloader import loader
    expected = {"copy_file": ["csv_filepath", "engine", "logger", "resource_id", "headers", "delimiter"],
                "_disable_fulltext_trigger": ["connection", "resource_id"],
                "_enable_fulltext_trigger": ["connection", "resource_id"],
                "_populate_fulltext": ["connection", "resource_id", "fields", "logger"]}
    for name, params in expected.items():
        function = getattr(loader, name, None)
        assert function is not None, f"ckanext-xloader: loader.{name} is gone; review tables/load.py"
        found = list(inspect.signature(function).parameters)
        assert found == params, f"ckanext-xloader: loader.{name}({found}); review tables/load.py"


def test_ckan_exempts_token_requests_from_csrf_through_the_protector_the_plugin_wraps():
    # ckanext.hokkaido.security.csrf makes the exemption last one request: it
    # replaces CSRFProtect._exempt_views, which ckan_before_request fills
    # through csrf.exempt(view) for requests authenticated by the header.
    # CKAN 2.11.6 fixed this itself (CSRFProtectPerRequest.exempt_this_request
    # marks the request in flask.g, nothing stays exempt); 2.12.0 has not.
    from ckan.config.middleware import flask_app
    from flask_wtf.csrf import CSRFProtect
    assert isinstance(flask_app.csrf, CSRFProtect), f"{VERSION}: flask_app.csrf is no longer Flask-WTF's"
    before = source_of(flask_app.ckan_before_request)
    assert 'g.get("login_via_auth_header")' in before, f"{VERSION}: token requests are recognised otherwise"
    if "csrf.exempt_this_request()" in before:  # exempt for the request only, by CKAN itself
        assert "g._csrf_exempt_view = True" in source_of(type(flask_app.csrf).exempt_this_request), VERSION
        assert 'getattr(g, "_csrf_exempt_view", False)' in source_of(type(flask_app.csrf).init_app), VERSION
        return
    assert "csrf.exempt(dest)" in before, \
        f"{VERSION}: ckan_before_request exempts token requests otherwise; review security/csrf.py"
    assert "self._exempt_views.add(" in source_of(CSRFProtect.exempt), "Flask-WTF: exempt() stores views otherwise"
    assert "in self._exempt_views" in source_of(CSRFProtect._is_exempt), "Flask-WTF: _is_exempt reads otherwise"


def test_uploads_are_served_by_the_download_view_the_headers_rewrite():
    # ckanext.hokkaido.security.headers recognises CKAN's download view by its
    # function, and finds the stored file through the resource uploader.
    from ckan.lib import uploader
    from ckan.views import resource
    assert callable(getattr(resource, "download", None)), f"{VERSION}: ckan.views.resource.download is gone"
    body = source_of(resource.download)
    assert "flask.send_file(filepath" in body and "rsc.get('mimetype')" in body, \
        f"{VERSION}: the download view serves uploads otherwise; review security/headers.py"
    assert list(inspect.signature(uploader.ResourceUpload.get_path).parameters) == ["self", "id"], VERSION


def test_ckanext_dcat_views_the_portal_wraps():
    # ckanext.hokkaido.interop.dcat_views wraps two views of ckanext-dcat by
    # their endpoints: the catalogue (cached) and a dataset (403 made 404)
    from ckanext.dcat import blueprints, utils
    assert blueprints.dcat.name == "dcat", "ckanext-dcat's blueprint is named otherwise"
    assert blueprints.read_catalog.__name__ == "read_catalog" and blueprints.read_dataset.__name__ == "read_dataset"
    body = source_of(utils.read_dataset_page)
    assert "except toolkit.NotAuthorized:\n        toolkit.abort(403)" in body, \
        "ckanext-dcat answers a dataset one may not read otherwise; review interop/dcat_views.py"
    assert "_format" in inspect.signature(blueprints.read_catalog).parameters


def test_the_preview_s_server_side_takes_what_ckanext_datatablesview_has():
    # ckanext.hokkaido.tables.views answers the preview's requests itself, merging the
    # visitor's filters as datatablesview does and counting as it counts on each release
    from ckanext.datatablesview import blueprint as datatables
    assert list(inspect.signature(datatables.merge_filters).parameters)[:2] == ["view_filters", "user_filters"], \
        f"{VERSION}: datatablesview merges filters otherwise; review tables/views.py"
    if MAJOR_MINOR >= (2, 12):
        assert isinstance(getattr(datatables, "ESTIMATION_THRESHOLD", None), int), \
            f"{VERSION}: datatablesview no longer estimates large counts; review tables/views.py"
