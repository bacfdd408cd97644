"""Purge and delete remove what a resource held (issue 28, 4;
``ckanext/hokkaido/security/uploads.py``). Bad input tried: a private
dataset with an uploaded file, a DataStore table and a profile, purged by
a sysadmin; then another organization's editor creates a resource with the
purged resource's id in a public dataset (the reclaim), and with the id of
a live resource of someone else's dataset; a resource deleted from a
dataset, and one left out of a package_update."""
from __future__ import annotations

import io
import os

import pytest
from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.hokkaido.security import uploads
from ckanext.hokkaido.tables import store

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

SECRET = "氏名,住所\n北海太郎,札幌市中央区\n".encode()


@pytest.fixture
def secret(app):
    """A private dataset of 札幌市 with an uploaded CSV, its table and profile."""
    site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
    editor = factories.User()
    call_action("organization_create", context=site, name="011002", title="札幌市",
                users=[{"name": editor["name"], "capacity": "editor"}])
    dataset = act("package_create", editor, name="secret", title="非公開",
                          owner_org="011002", private=True)
    token = call_action("api_token_create", context=site, user=editor["name"], name="t")["token"]
    answer = app.post("/api/3/action/resource_create", headers={"Authorization": token},
                      data={"package_id": dataset["id"], "name": "名簿",
                            "upload": (io.BytesIO(SECRET), "roster.csv")})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    resource = answer.json["result"]
    call_action("datastore_create", context=site, resource_id=resource["id"], force=True,
                fields=[{"id": "氏名", "type": "text"}, {"id": "住所", "type": "text"}],
                records=[{"氏名": "北海太郎", "住所": "札幌市中央区"}])
    store.queued(resource["id"], resource["url"], None)
    store.save_profile(resource["id"], "v1", {"rows": 1})
    assert os.path.isfile(uploads.upload_path(resource["id"]))
    return site, editor, dataset, resource


def act(action, user, **data):
    """An action as ``user`` would call it over the API (auth checked)."""
    return toolkit.get_action(action)({"user": user["name"], "ignore_auth": False}, data)


def held(resource_id):
    """What is left of a resource: its file, table, load record."""
    from ckanext.datastore.backend import DatastoreBackend
    return {"file": os.path.isfile(uploads.upload_path(resource_id)),
            "table": DatastoreBackend.get_active_backend().resource_exists(resource_id),
            "record": store.get(resource_id) is not None}


NOTHING = {"file": False, "table": False, "record": False}


def test_a_purged_resource_leaves_nothing_and_its_id_cannot_be_reclaimed(app, secret):
    site, _editor, dataset, resource = secret
    assert held(resource["id"]) == {"file": True, "table": True, "record": True}
    call_action("dataset_purge", context=site, id=dataset["id"])
    assert held(resource["id"]) == NOTHING

    attacker = factories.User()
    call_action("organization_create", context=site, name="012033", title="小樽市",
                users=[{"name": attacker["name"], "capacity": "editor"}])
    public = act("package_create", attacker, name="mine", title="公開",
                         owner_org="012033")
    with pytest.raises(toolkit.ValidationError):
        act("resource_create", attacker, package_id=public["id"],
                    id=resource["id"], url="https://example.org/x.csv", url_type="")
    # even had the id been taken, neither bytes nor rows would come back
    assert app.get(f"/dataset/mine/resource/{resource['id']}/download/roster.csv").status_code == 404
    with pytest.raises(toolkit.ObjectNotFound):
        call_action("datastore_search", context={"user": ""}, resource_id=resource["id"])


def test_an_editor_cannot_take_a_live_resource_of_another_dataset(secret):
    site, _editor, _dataset, resource = secret
    attacker = factories.User()
    call_action("organization_create", context=site, name="012033", title="小樽市",
                users=[{"name": attacker["name"], "capacity": "editor"}])
    mine = act("package_create", attacker, name="mine", title="公開",
                       owner_org="012033")
    with pytest.raises(toolkit.ValidationError):
        act("package_patch", attacker, id=mine["id"],
                    resources=[{"id": resource["id"], "url": "https://example.org/x.csv"}])
    # the editor's own resources keep their ids on update
    own = act("resource_create", attacker, package_id=mine["id"],
                      url="https://example.org/a.csv")
    kept = act("package_patch", attacker, id=mine["id"],
                       resources=[dict(own, name="改名")])
    assert [r["id"] for r in kept["resources"]] == [own["id"]]


def test_a_deleted_resource_leaves_nothing(secret):
    _site, editor, _dataset, resource = secret
    act("resource_delete", editor, id=resource["id"])
    assert held(resource["id"]) == NOTHING


def test_a_resource_left_out_of_an_update_leaves_nothing(secret):
    _site, editor, dataset, resource = secret
    act("package_patch", editor, id=dataset["id"],
                resources=[{"url": "https://example.org/other.csv"}])
    assert held(resource["id"]) == NOTHING
