"""Backup and restore of a whole portal (``ckan hokkaido backup|restore``),
through the real commands, into a second, empty stack: the database
``ckan_restore_test`` (scripts/services.sh makes it), a storage folder of its
own, the search index rebuilt from the restored database.

Bad input tried: a restore into a database that is not empty (the test
portal itself), an archive cut in half, a file that is not a backup; each is
refused with exit 2 and nothing is written."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tarfile

import pytest
import requests
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.hokkaido import tracker

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CKAN = os.path.join(os.path.dirname(sys.executable), "ckan")  # the ckan of the virtualenv running the tests
TEST_INI = os.path.join(ROOT, "test.ini")
CSV = "名称,住所\n札幌市役所,札幌市中央区北1条西2丁目\n".encode("utf-8")


def ckan(ini: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CKAN, "-c", ini, *args], capture_output=True, text=True, cwd=ROOT, timeout=600)


def restore_db_url() -> str:
    url = sa.engine.make_url(toolkit.config["sqlalchemy.url"])
    return str(url.set(database=os.environ.get("PG_RESTORE_DB", "ckan_restore_test")).render_as_string(
        hide_password=False))


def restore_datastore_url() -> str:
    url = sa.engine.make_url(toolkit.config["ckan.datastore.write_url"])
    return str(url.set(database=os.environ.get("PG_DATASTORE_RESTORE_DB", "datastore_restore_test")).render_as_string(
        hide_password=False))


def empty(url: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def tables(url: str) -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
    engine.dispose()
    return names


def scalar(url: str, query: str, **params):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        value = conn.execute(sa.text(query), params).scalar()
    engine.dispose()
    return value


def solr(path: str, **params):
    base = toolkit.config["solr_url"].rstrip("/")
    return requests.get(f"{base}/{path}", params=dict(params, wt="json"), timeout=30).json()


@pytest.fixture
def restore_ini(tmp_path):
    """An ini for the second stack: the test portal's settings, another database and storage."""
    with open(TEST_INI, encoding="utf-8") as f:
        text = f.read()
    text = text.replace("use = config:ckan.ini", f"use = config:{os.path.join(ROOT, 'ckan.ini')}")
    text = re.sub(r"^sqlalchemy\.url = .*$", f"sqlalchemy.url = {restore_db_url()}", text, flags=re.M)
    text = re.sub(r"^ckan\.datastore\.write_url = .*$", f"ckan.datastore.write_url = {restore_datastore_url()}",
                  text, flags=re.M)
    read_url = sa.engine.make_url(toolkit.config["ckan.datastore.read_url"]).set(
        database=sa.engine.make_url(restore_datastore_url()).database).render_as_string(hide_password=False)
    text = re.sub(r"^ckan\.datastore\.read_url = .*$", f"ckan.datastore.read_url = {read_url}", text, flags=re.M)
    text = text.replace("[app:main]\n", f"[app:main]\nckan.storage_path = {tmp_path / 'storage'}\n", 1)
    path = tmp_path / "restore.ini"
    path.write_text(text, encoding="utf-8")
    empty(restore_db_url())
    empty(restore_datastore_url())
    return str(path)


@pytest.fixture
def portal():
    """What a portal holds: an organization with its editor, a public and a private
    dataset (one with an uploaded file), a harvest source, the day's snapshot."""
    user = factories.User(name="steward-sapporo")
    org = factories.Organization(name="011002", title="札幌市", users=[{"name": user["name"], "capacity": "editor"}])
    site = call_action("get_site_user", {"ignore_auth": True})["name"]
    public = call_action("package_create", context={"user": site}, name="sapporo-aed", title="AED設置箇所一覧",
                         owner_org=org["id"], municipality_code="011002",
                         resources=[{"url": "https://www.city.sapporo.jp/aed.csv", "format": "CSV"}])
    private = call_action("package_create", context={"user": site}, name="sapporo-draft-budget", title="予算（準備中）",
                          owner_org=org["id"], municipality_code="011002", private=True,
                          resources=[{"url": "https://www.city.sapporo.jp/budget.csv"}])
    upload = call_action("resource_create", context={"user": site}, package_id=public["id"], url="shiyakusho.csv",
                         upload=FileStorage(io.BytesIO(CSV), "shiyakusho.csv"), format="CSV")
    source = call_action("harvest_source_create", context={"user": site}, name="011002-ckan",
                         title="札幌市オープンデータ", url="https://ckan.pf-sapporo.jp/", source_type="hokkaido_ckan",
                         owner_org=org["id"], frequency="DAILY")
    rows = tracker.take_snapshot()
    # a table in the DataStore
    call_action("datastore_create", context={"user": site}, resource_id=public["resources"][0]["id"], force=True,
                fields=[{"id": "名称", "type": "text"}, {"id": "台数", "type": "numeric"}],
                records=[{"名称": "札幌市役所", "台数": 3}])
    return {"datasets": [public["name"], private["name"]], "upload": upload, "source": source, "snapshot_rows": rows,
            "table": public["resources"][0]["id"]}


def test_a_portal_comes_back_whole_in_an_empty_stack(portal, restore_ini, tmp_path):
    archive = str(tmp_path / "portal.tar.gz")
    made = ckan(TEST_INI, "hokkaido", "backup", archive)
    assert made.returncode == 0, made.stderr[-2000:]
    assert "datasets 2, organizations 1, users " in made.stdout and "harvest_sources 1" in made.stdout
    assert oct(os.stat(archive).st_mode & 0o777) == "0o600"  # password hashes and secrets inside
    with tarfile.open(archive) as tar:
        names = tar.getnames()
    assert {"manifest.json", "ckan.dump", "config/ckan.ini"} <= set(names)
    assert not any(n.startswith("storage/webassets/") for n in names)

    # Bad input: a restore into a portal that is not empty (the test portal itself)
    refused = ckan(TEST_INI, "hokkaido", "restore", archive)
    assert refused.returncode == 2 and "not empty" in refused.stderr
    assert call_action("package_show", id="sapporo-aed")["title"] == "AED設置箇所一覧"

    # Bad input: the archive cut in half, and a file that is no backup at all
    cut = tmp_path / "cut.tar.gz"
    with open(archive, "rb") as f:
        data = f.read()
    cut.write_bytes(data[: len(data) // 2])
    other = tmp_path / "other.tar.gz"
    with tarfile.open(other, "w:gz") as tar:
        tar.add(restore_ini, "restore.ini")
    for bad, message in ((cut, "damaged"), (other, "not a backup")):
        answer = ckan(restore_ini, "hokkaido", "restore", str(bad))
        assert answer.returncode == 2 and message in answer.stderr, answer.stderr[-1500:]
        assert tables(restore_db_url()) == [] and tables(restore_datastore_url()) == []  # nothing written

    emptied = requests.post(toolkit.config["solr_url"].rstrip("/") + "/update", params={"commit": "true"},
                            json={"delete": {"query": "*:*"}}, timeout=30)
    assert emptied.ok, emptied.text
    assert solr("select", q="*:*", rows=0)["response"]["numFound"] == 0
    restored = ckan(restore_ini, "hokkaido", "restore", archive)
    assert restored.returncode == 0, restored.stdout[-2000:] + restored.stderr[-3000:]
    assert re.search(r"^datasets\s+2\s+\(backup: 2\)$", restored.stdout, re.M), restored.stdout
    assert re.search(r"^indexed\s+2\s+\(backup: 2\)$", restored.stdout, re.M), restored.stdout
    # every DataStore table of the test portal (earlier tests' too) came back
    tables_line = re.search(r"^tables\s+(\d+)\s+\(backup: (\d+)\)$", restored.stdout, re.M)
    assert tables_line and tables_line[1] == tables_line[2] and int(tables_line[1]) >= 1, restored.stdout
    assert scalar(restore_datastore_url(), f'SELECT "名称" FROM "{portal["table"]}"') == "札幌市役所"
    assert "datastore set-permissions" in restored.stderr

    url = restore_db_url()
    names = scalar(url, "SELECT string_agg(name, ',' ORDER BY name) FROM package WHERE type = 'dataset'")
    assert names == ",".join(sorted(portal["datasets"]))
    assert scalar(url, "SELECT title FROM \"group\" WHERE name = '011002'") == "札幌市"
    assert scalar(url, "SELECT url FROM harvest_source WHERE id = :id", id=portal["source"]["id"]) \
        == "https://ckan.pf-sapporo.jp/"
    assert scalar(url, "SELECT count(*) FROM hokkaido_status_snapshot") == portal["snapshot_rows"]
    assert scalar(url, "SELECT count(*) FROM \"user\" WHERE name = 'steward-sapporo'") == 1
    found = solr("select", q="*:*", fq="dataset_type:dataset", fl="name", rows=10)["response"]["docs"]
    assert sorted(d["name"] for d in found) == sorted(portal["datasets"])
    resource = portal["upload"]["id"]
    stored = tmp_path / "storage" / "resources" / resource[:3] / resource[3:6] / resource[6:]
    assert stored.read_bytes() == CSV


def test_the_archive_is_private_from_its_first_byte_and_no_password_is_on_a_command_line(tmp_path):
    # Bad input: a umask that makes files readable by everyone (022), the
    # archive looked at while it is being written.
    from ckanext.hokkaido import backup
    archive = str(tmp_path / "portal.tar.gz")
    modes = []

    def progress(message):
        if os.path.exists(archive + ".partial"):
            modes.append(os.stat(archive + ".partial").st_mode & 0o777)

    old = os.umask(0o022)
    try:
        backup.backup(archive, progress=progress)
    finally:
        os.umask(old)
    assert modes and set(modes) == {0o600}, [oct(m) for m in modes]
    assert os.stat(archive).st_mode & 0o777 == 0o600
    dbname, env = backup._client_args("postgresql://ckan_default:s3cret@127.0.0.1:5432/ckan_test")
    assert "s3cret" not in dbname and dbname.startswith("postgresql://ckan_default@127.0.0.1")
    assert env["PGPASSWORD"] == "s3cret"
