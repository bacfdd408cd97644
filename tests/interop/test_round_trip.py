"""A real client's round trip (issue 32, 4): ``ckanapi dump`` from the portal
served over HTTP (``ckan run`` on the test database, tests/browser.py), then
``ckanapi load`` into the same kind of portal emptied (database and index),
and the datasets compared field by field.

What it tries: an inventory dataset, a harvested one with the prefecture's
fields, one with an uploaded file (its file is still served after the load:
the portal keeps uploads by resource id, and the load keeps the ids) and a
private one, which stays out of the dump; bad input: ``ckanapi load``
of a dataset line that names an organization the empty portal does not have
yet is refused and named in ckanapi's log, and nothing half-written stays.
"""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
import requests
from werkzeug.datastructures import FileStorage

from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests.browser import ckan_server  # noqa: F401

CKANAPI = os.path.join(os.path.dirname(sys.executable), "ckanapi")
#: what a load cannot keep: CKAN sets these when it writes (the loading user, the
#: time; a tag's id is the new portal's, its name is kept)
WRITTEN_BY_THE_LOAD = {"metadata_created", "metadata_modified", "creator_user_id", "revision_id"}


def ckanapi(*args: str) -> subprocess.CompletedProcess:
    # its workers are started as `ckanapi` found on PATH
    env = {**os.environ, "PATH": os.path.dirname(CKANAPI) + os.pathsep + os.environ.get("PATH", "")}
    return subprocess.run([CKANAPI, *args], capture_output=True, text=True, timeout=300, env=env)


def sysadmin_token() -> str:
    admin = factories.Sysadmin()
    return call_action("api_token_create", context={"user": admin["name"]}, user=admin["name"], name="dump")["token"]


def comparable(dataset: dict) -> dict:
    kept = {k: v for k, v in dataset.items() if k not in WRITTEN_BY_THE_LOAD}
    kept["resources"] = [{k: v for k, v in r.items() if k not in WRITTEN_BY_THE_LOAD | {"last_modified"}}
                         for r in dataset["resources"]]
    for resource in kept["resources"]:  # an upload's address is the portal's own: the same path on another host
        if resource.get("url_type") == "upload":
            resource["url"] = urlsplit(resource["url"]).path
    kept["organization"] = {k: v for k, v in (dataset.get("organization") or {}).items()
                            if k not in {"created"}}
    kept["tags"] = sorted(t["name"] for t in dataset.get("tags", []))
    return kept


def lines(path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_ckanapi_dump_and_load_give_the_same_datasets(ckan_server, tmp_path, reset_db, migrate_db_for,
                                                     reset_index):
    from tests.browser import reset_portal_db

    site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
    factories.Organization(name="010006", title="北海道")
    factories.Organization(name="011002", title="札幌市")
    call_action("package_create", context=dict(site), name="hokkaido-011500-7", title="指定緊急避難場所一覧",
                owner_org="010006", agency_code="011500", serial_no="7", department="総務部", section="危機対策課",
                category="防災", record_count="101-500", update_frequency="随時", file_format="CSV", fee="無",
                publishable="可", license_id="cc-by-4.0", tags=[{"name": "防災"}],
                resources=[{"url": "https://www.pref.hokkaido.lg.jp/hinan.csv", "format": "CSV"}])
    call_action("package_create", context=dict(site), name="sapporo-aed", title="AED設置箇所一覧",
                owner_org="011002", update_frequency="毎月", source_url="https://ckan.pf-sapporo.jp/dataset/aed",
                source_identifier="aed-1", source_modified="2024-04-01",
                resources=[{"url": "https://ckan.pf-sapporo.jp/aed.csv", "format": "CSV"}])
    uploaded = call_action("package_create", context=dict(site), name="sapporo-upload", title="人口統計",
                           owner_org="011002")
    resource = call_action("resource_create", context=dict(site), package_id=uploaded["id"], url="population.csv",
                           upload=FileStorage(io.BytesIO("町名,人口\n中央,100\n".encode()), "population.csv"),
                           format="CSV")
    call_action("package_create", context=dict(site), name="secret", title="非公開", owner_org="011002",
                private=True)
    token = sysadmin_token()
    remote = ["-r", ckan_server, "-a", token]

    orgs, datasets = tmp_path / "organizations.jsonl", tmp_path / "datasets.jsonl"
    for kind, out in (("organizations", orgs), ("datasets", datasets)):
        done = ckanapi("dump", kind, "--all", "-O", str(out), "-q", *remote)
        assert done.returncode == 0, done.stderr
    before = {d["name"]: d for d in lines(datasets)}
    assert set(before) == {"hokkaido-011500-7", "sapporo-aed", "sapporo-upload"}  # not the private one

    # an empty portal of the same kind: the same configuration, its database and index emptied
    model.Session.remove()
    reset_portal_db(reset_db, migrate_db_for)
    reset_index()
    token = sysadmin_token()
    remote = ["-r", ckan_server, "-a", token]
    refused = ckanapi("load", "datasets", "-I", str(datasets), "-l", str(tmp_path / "refused.log"), *remote)
    log = (tmp_path / "refused.log").read_text(encoding="utf-8")
    assert "011002" in log or "owner_org" in log, log  # no organization yet: refused, named
    assert call_action("package_list") == []

    for kind, source in (("organizations", orgs), ("datasets", datasets)):
        done = ckanapi("load", kind, "-I", str(source), "-l", str(tmp_path / f"{kind}.log"), *remote)
        assert done.returncode == 0, done.stderr + (tmp_path / f"{kind}.log").read_text(encoding="utf-8")
    again = tmp_path / "again.jsonl"
    done = ckanapi("dump", "datasets", "--all", "-O", str(again), "-q", *remote)
    assert done.returncode == 0, done.stderr
    after = {d["name"]: d for d in lines(again)}
    assert set(after) == set(before)
    for name, dataset in before.items():
        was, now = comparable(dataset), comparable(after[name])
        differing = {k: (was.get(k), now.get(k)) for k in set(was) | set(now) if was.get(k) != now.get(k)}
        differing.pop("resources", None)
        for old, new in zip(was["resources"], now["resources"]):
            differing.update({f"resources.{k}": (old.get(k), new.get(k)) for k in set(old) | set(new)
                              if old.get(k) != new.get(k)})
        assert differing == {}, (name, differing)
    download = requests.get(f"{ckan_server}/dataset/{uploaded['id']}/resource/{resource['id']}/download/population.csv",
                            timeout=30)
    assert download.status_code == 200 and download.content.decode() == "町名,人口\n中央,100\n"
