"""A steward's own upload or edit is loaded before the nightly bulk (issue
29, 3; ``tables.queue``): the site's writes (harvest, inventory import)
queue their tables on CKAN's default queue, a person's write on the
priority queue, and a worker started as ``ckan jobs worker priority
default`` (``scripts/demo.sh``, ``deploy/systemd/ckan-worker@.service``)
takes the priority queue first. Bad input tried: a bulk of tables queued
before the steward's, a real RQ worker run over both queues."""
from __future__ import annotations

import pytest
from ckan.lib import jobs
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.hokkaido import tables
from ckanext.hokkaido.tables import store
from tests.fakes.portal_server import PortalResponse

pytestmark = [pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
              pytest.mark.ckan_config("ckanext.hokkaido.tables.auto_load", True),
              pytest.mark.ckan_config("ckanext.hokkaido.harvest.min_delay", 0),
              pytest.mark.ckan_config("ckanext.hokkaido.harvest.retries", 0)]

CSV = "名称,住所\r\n札幌市役所,中央区北1条西2丁目\r\n".encode()


@pytest.fixture
def queues():
    for name in tables.WORKER_QUEUES:
        jobs.get_queue(name).empty()
    yield
    for name in tables.WORKER_QUEUES:
        jobs.get_queue(name).empty()


def test_a_stewards_upload_goes_before_the_bulk(portal, queues):
    for n in range(4):
        portal.respond(f"/{n}.csv", PortalResponse(200, CSV, {"Content-Type": "text/csv"}))
    site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
    steward = factories.User()
    call_action("organization_create", context=site, name="011002", title="札幌市",
                users=[{"name": steward["name"], "capacity": "editor"}])
    bulk = call_action("package_create", context=site, name="bulk", title="収集したデータ", owner_org="011002",
                       resources=[{"url": f"{portal.url}/{n}.csv", "format": "CSV"} for n in range(3)])
    own = call_action("package_create", context={"user": steward["name"], "ignore_auth": False}, name="own",
                      title="職員の表", owner_org="011002",
                      resources=[{"url": f"{portal.url}/3.csv", "format": "CSV"}])
    mine = own["resources"][0]["id"]
    assert jobs.get_queue(tables.PRIORITY_QUEUE).count == 1
    assert jobs.get_queue(tables.BULK_QUEUE).count == 3
    # the page's place in the queue: next, ahead of the three queued before it
    shown = call_action("hokkaido_table_profile", resource_id=mine)
    assert (shown["status"], shown["queue_position"]) == ("queued", 1)
    assert sorted(call_action("hokkaido_table_profile", resource_id=r["id"])["queue_position"]
                  for r in bulk["resources"]) == [2, 3, 4]

    jobs.Worker(list(tables.WORKER_QUEUES)).work(burst=True)

    loaded = {r: store.get(r) for r in [mine] + [r["id"] for r in bulk["resources"]]}
    assert all(row["status"] == "loaded" for row in loaded.values()), loaded
    first = min(loaded, key=lambda r: loaded[r]["loaded_at"])
    assert first == mine
    assert call_action("hokkaido_table_profile", resource_id=mine).get("queue_position") is None
