"""Dataset activities during ``ckan hokkaido harvest``
(ckanext/hokkaido/harvest/activity.py) and the read they share with the
search index (indexing.keep), against the real database and Solr core.

What each test tries: the activities a run writes are the ones CKAN's
activity plugin writes (type, actor, the dataset as package_show shows it),
for a created and for a changed dataset, and the plugin's own receiver is
back after the run; a read kept for the index is used only while the
dataset's ``metadata_modified`` is still the one read (a stale read, as
when a steward saves the dataset between the harvest's write and the batch,
is read again).
"""
from __future__ import annotations

from ckan import logic, model
from ckan.plugins import toolkit

from ckanext.hokkaido.harvest import activity, indexing

from tests.harvest.helpers import NIGHTLY_MARKS, SAPPORO, indexed, make_source, run
from tests.fakes.ckan import FakeCkan, make_dataset
from tests.fakes.portal_server import text_response

# the nightly run's marks (fast harvest settings, two workers)
pytestmark = NIGHTLY_MARKS


def activities(dataset_id: str) -> list[dict]:
    """The dataset's activities, oldest first, as the API lists them to a sysadmin."""
    listed = toolkit.get_action("package_activity_list")(
        {"ignore_auth": True}, {"id": dataset_id, "include_hidden_activity": True})
    return [toolkit.get_action("activity_show")({"ignore_auth": True}, {"id": a["id"], "include_data": True})
            for a in reversed(listed)]


def shown(dataset_id: str) -> dict:
    """package_show of the dataset (see :func:`without_license_title`)."""
    model.Session.rollback()
    return toolkit.get_action("package_show")({"ignore_auth": True, "use_cache": False}, {"id": dataset_id})


def without_license_title(dataset: dict) -> dict:
    """The run shows the license title in the portal's language (ja), the tests in English."""
    return {key: value for key, value in dataset.items() if key != "license_title"}


def test_a_run_writes_the_activities_ckan_writes(cli, harvest, portals):
    # Bad input: none; a dataset created, then changed at the source.
    server = portals()
    fake = FakeCkan([make_dataset(0)]).install(server)
    source = make_source(harvest, server.url, SAPPORO, name="activities")
    assert run(cli, "--source", "activities").exit_code == 0
    (dataset,) = harvest.datasets(source).values()
    site_user = model.User.get(toolkit.get_action("get_site_user")({"ignore_auth": True}, {})["name"])

    (new,) = activities(dataset["id"])
    assert new["activity_type"] == "new package"
    assert new["user_id"] == site_user.id and new["data"]["actor"] == site_user.name
    assert without_license_title(new["data"]["package"]) == without_license_title(shown(dataset["id"]))
    assert new["data"]["package"]["license_title"]

    fake.datasets[0]["title"] = "変更後のタイトル"
    fake.datasets[0]["metadata_modified"] = "2025-06-01T00:00:00.000000"
    assert run(cli, "--source", "activities").exit_code == 0

    first, changed = activities(dataset["id"])
    assert first["id"] == new["id"]
    assert changed["activity_type"] == "changed package"
    assert changed["data"]["package"]["title"] == "変更後のタイトル"
    assert without_license_title(changed["data"]["package"]) == without_license_title(shown(dataset["id"]))
    # the index got the same read
    assert indexed(q=f"id:{dataset['id']}")[dataset["name"]]["title"] == "変更後のタイトル"


def test_the_activity_plugin_is_back_after_the_run(cli, harvest, portals):
    # Bad input: a run whose only source fails (HTTP 500 at the search):
    # the receiver must be restored on that path too.
    server = portals()
    make_source(harvest, server.url, SAPPORO, name="down")
    server.respond("/api/3/action/package_search", text_response("down", status=500))
    assert run(cli, "--source", "down").exit_code == 1
    receivers = toolkit.signals.action_succeeded.receivers_for("package_create")
    assert activity._dataset_written not in list(receivers)
    made = toolkit.get_action("package_create")(
        harvest.context(), {"name": "by-hand", "title": "手作業", "owner_org": harvest.owner["id"]})
    (new,) = activities(made["id"])
    assert new["activity_type"] == "new package" and new["data"]["package"]["title"] == "手作業"


def _kept(dataset_id: str, **changes) -> tuple[dict, dict]:
    """What the activity keeps for the index on this CKAN version, with ``changes``."""
    context = {"ignore_auth": True, "validate": False, "use_cache": False}
    if indexing.INDEXES_IN_ACTIONS:  # both show schemas' validations of one read
        default, custom = logic.package_show_default_and_custom_schemas(context, dataset_id)
        return dict(default, **changes), dict(custom, **changes)
    read = toolkit.get_action("package_show")(context, {"id": dataset_id})
    return dict(read, **changes), None


def test_a_kept_read_is_indexed_only_while_the_dataset_is_unchanged(harvest):
    # Bad input: a read kept for the index that is stale (the dataset was
    # saved again after it, so its metadata_modified moved on).
    made = toolkit.get_action("package_create")(
        harvest.context(), {"name": "kept-read", "title": "データベースの値", "owner_org": harvest.owner["id"]})

    with indexing.deferred():
        indexing.keep(*_kept(made["id"], title="保持した読み取り"))
        indexing.mark([made["id"]])
        indexing.flush()
    assert indexed(q="name:kept-read")["kept-read"]["title"] == "保持した読み取り"  # used as it was current

    with indexing.deferred():
        indexing.keep(*_kept(made["id"], title="古い読み取り", metadata_modified="2020-01-01T00:00:00"))
        indexing.mark([made["id"]])
        indexing.flush()
    assert indexed(q="name:kept-read")["kept-read"]["title"] == "データベースの値"  # stale: read again
