"""Backup and restore of a whole portal: ``ckan hokkaido backup|restore``.

One archive (``.tar.gz``) holds everything a portal needs to come back:

* ``ckan.dump``: the CKAN database (``pg_dump`` custom format): datasets,
  organizations, users and their API tokens, activities, ckanext-harvest's
  sources, jobs, objects and errors (the harvest state), our tables (the
  tracker's snapshots, the error details, the "published elsewhere" records);
* ``datastore.dump``: the DataStore database, when the ini configures one
  (``ckan.datastore.write_url``);
* ``storage/``: the files under ``ckan.storage_path`` (uploaded resources
  and images), without ``webassets/`` (``ckan asset build`` remakes it);
* ``config/``: the ini (and ``who.ini`` beside it, when there is one);
* ``manifest.json``: when, from which CKAN version, and the counts the
  restore checks itself against.

The search index is not in the archive: the restore rebuilds it from the
database (``ckan search-index rebuild``), as CKAN's documentation advises.
Redis holds only queues and caches; the nightly run and the job queue need
nothing from it after a restore.

A restore goes into an **empty** stack: the database of the ini it is run
with must have no tables (a new database, or one whose ``public`` schema was
dropped); anything else is refused before a byte is written. ``pg_restore``
runs in one transaction, so a broken dump leaves the database empty again.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import sqlalchemy as sa

import ckan
from ckan import model
from ckan.plugins import toolkit

__all__ = ["BackupError", "Counts", "backup", "count", "restore"]

MANIFEST = "manifest.json"
FORMAT = 1
#: what reading a cut or damaged .tar.gz raises
_DAMAGED = (tarfile.TarError, OSError, EOFError, zlib.error)


class BackupError(Exception):
    """The backup or restore cannot go on; the message says where and why."""


@dataclass
class Counts:
    """What a portal holds, as the restore checks it."""

    datasets: int = 0
    organizations: int = 0
    users: int = 0
    harvest_sources: int = 0
    harvest_jobs: int = 0
    snapshots: int = 0
    files: int = 0
    tables: Optional[int] = None       # DataStore tables (when the ini has a DataStore)
    indexed: Optional[int] = None      # datasets in the search index (after a restore)

    def rows(self) -> list[tuple[str, int]]:
        return [(name, value) for name, value in vars(self).items() if value is not None]


@dataclass
class Result:
    archive: str
    counts: Counts
    expected: Optional[Counts] = None
    mismatches: list[str] = field(default_factory=list)


def _db_url(key: str) -> Optional[str]:
    url = toolkit.config.get(key)
    if not url:
        return None
    # libpq does not know SQLAlchemy's driver suffix
    return str(url).replace("postgresql+psycopg2://", "postgresql://", 1)


def _storage_path() -> Optional[str]:
    path = toolkit.config.get("ckan.storage_path")
    return os.path.abspath(path) if path else None


def _engine(url: str) -> sa.engine.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def count(db_url: Optional[str] = None, storage: Optional[str] = None,
          datastore_url: Optional[str] = None) -> Counts:
    """Count what the portal of ``db_url`` (default: this ini's) holds."""
    engine = _engine(db_url or _db_url("sqlalchemy.url") or "")
    counts = Counts()
    queries = {
        "datasets": "SELECT count(*) FROM package WHERE type = 'dataset' AND state = 'active'",
        "organizations": "SELECT count(*) FROM \"group\" WHERE is_organization AND state = 'active'",
        "users": "SELECT count(*) FROM \"user\" WHERE state = 'active'",
        "harvest_sources": "SELECT count(*) FROM harvest_source WHERE active",
        "harvest_jobs": "SELECT count(*) FROM harvest_job",
        "snapshots": "SELECT count(*) FROM hokkaido_status_snapshot",
    }
    with engine.connect() as conn:
        existing = set(sa.inspect(conn).get_table_names())
        for name, query in queries.items():
            table = query.split(" FROM ", 1)[1].split()[0].strip('"')
            if table in existing:
                setattr(counts, name, int(conn.execute(sa.text(query)).scalar() or 0))
    engine.dispose()
    counts.files = sum(1 for _ in _stored_files(storage or _storage_path()))
    datastore_url = datastore_url or _db_url("ckan.datastore.write_url")
    if datastore_url:
        engine = _engine(datastore_url)
        with engine.connect() as conn:
            counts.tables = int(conn.execute(sa.text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE '\\_%'")).scalar())
        engine.dispose()
    return counts


def _stored_files(storage: Optional[str]):
    if not storage or not os.path.isdir(storage):
        return
    for folder, dirs, files in os.walk(storage):
        if folder == storage:
            dirs[:] = [d for d in dirs if d != "webassets"]
        for name in files:
            path = os.path.join(folder, name)
            yield path, os.path.relpath(path, storage)


def _client_args(url: str) -> tuple[str, dict[str, str]]:
    """The ``--dbname`` of a database URL without its password, and the
    environment that carries the password (``PGPASSWORD``): a command line
    is readable by every user of the host (``ps``), the environment of a
    process only by its owner."""
    parsed = sa.engine.make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    safe = sa.engine.URL.create("postgresql", username=parsed.username, host=parsed.host, port=parsed.port,
                                database=parsed.database, query=parsed.query)
    return safe.render_as_string(hide_password=False), env


def _run(command: list[str], what: str, url: str) -> None:
    """Run a PostgreSQL client tool on the database at ``url``; its
    complaint, without the password, on failure."""
    dbname, env = _client_args(url)
    try:
        done = subprocess.run(command + [f"--dbname={dbname}"], capture_output=True, text=True, env=env)
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} がありません（postgresql-client をインストールしてください） / "
                          f"{command[0]} not found: install postgresql-client") from exc
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what}: {command[0]} が失敗しました / {command[0]} failed: "
                          + " | ".join(message[-5:]))


def _private_file(path: str) -> Any:
    """A new file only its owner may read, from its first byte (never
    0644 then chmod: a reader could open it in between)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


def backup(archive: str, progress: Callable[[str], None] = print) -> Result:
    """Write the archive (see the module docs); returns what it holds."""
    archive = os.path.abspath(archive)
    if os.path.exists(archive):
        raise BackupError(f"{archive}: 既にあります。上書きしません / already exists; not overwritten")
    folder = os.path.dirname(archive)
    if not os.path.isdir(folder):
        raise BackupError(f"{folder}: フォルダがありません / no such folder")
    counts = count()
    storage = _storage_path()
    partial = archive + ".partial"
    with tempfile.TemporaryDirectory(prefix="hokkaido-backup-") as work:
        dumps = [("ckan.dump", _db_url("sqlalchemy.url"))]
        if _db_url("ckan.datastore.write_url"):
            dumps.append(("datastore.dump", _db_url("ckan.datastore.write_url")))
        for name, url in dumps:
            progress(f"pg_dump → {name}")
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-acl", f"--file={os.path.join(work, name)}"],
                 name, url)
        manifest = {
            "format": FORMAT, "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "ckan_version": ckan.__version__, "site_url": toolkit.config.get("ckan.site_url"),
            "databases": [name for name, _ in dumps], "counts": vars(counts),
        }
        with open(os.path.join(work, MANIFEST), "w", encoding="utf-8") as out:
            json.dump(manifest, out, ensure_ascii=False, indent=2)
        try:
            # it holds the users' password hashes and the config's secrets: 0600 from its first byte
            with _private_file(partial) as out, tarfile.open(fileobj=out, mode="w:gz") as tar:
                tar.add(os.path.join(work, MANIFEST), MANIFEST)
                for name, _ in dumps:
                    tar.add(os.path.join(work, name), name)
                progress(f"storage: {counts.files} files")
                for path, relative in _stored_files(storage):
                    tar.add(path, f"storage/{relative}")
                ini = toolkit.config.get("__file__")
                if ini and os.path.isfile(ini):
                    tar.add(ini, "config/ckan.ini")
                    who = os.path.join(os.path.dirname(ini), "who.ini")
                    if os.path.isfile(who):
                        tar.add(who, "config/who.ini")
            os.replace(partial, archive)
        finally:
            if os.path.exists(partial):
                os.remove(partial)
    return Result(archive, counts)


def _read_manifest(tar: tarfile.TarFile, archive: str) -> dict:
    try:
        tar.getmembers()  # reads the whole stream: a cut or damaged archive fails here, before any write
    except _DAMAGED as exc:
        raise BackupError(f"{archive}: 壊れています / the archive is damaged: {type(exc).__name__}: {exc}") from exc
    try:
        member = tar.getmember(MANIFEST)
        manifest = json.load(tar.extractfile(member))  # type: ignore[arg-type]
    except (KeyError, ValueError, *_DAMAGED) as exc:
        raise BackupError(f"{archive}: manifest.json を読めません。このポータルのバックアップではありません / "
                          f"cannot read manifest.json: not a backup of this portal ({exc})") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive}: 形式 {manifest.get('format')!r} は読めません / unknown format")
    return manifest


def _check_empty(url: str) -> None:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            tables = sa.inspect(conn).get_table_names()
    except sa.exc.OperationalError as exc:
        raise BackupError(f"データベースに接続できません / cannot connect to the database: {exc.orig}") from exc
    finally:
        engine.dispose()
    if tables:
        raise BackupError(
            f"復元先のデータベースが空ではありません（{len(tables)} テーブル）。何も書き込みません / "
            f"the target database is not empty ({len(tables)} tables, e.g. {sorted(tables)[0]}); "
            "restore into a new database; nothing was written")


def restore(archive: str, progress: Callable[[str], None] = print, config_out: Optional[str] = None) -> Result:
    """Restore the archive into this ini's empty stack, rebuild the search
    index, and compare what is there with the manifest's counts."""
    archive = os.path.abspath(archive)
    if not os.path.isfile(archive):
        raise BackupError(f"{archive}: ファイルがありません / no such file")
    db = _db_url("sqlalchemy.url") or ""
    datastore = _db_url("ckan.datastore.write_url")
    storage = _storage_path()
    try:
        tar = tarfile.open(archive, "r:gz")
    except _DAMAGED as exc:
        raise BackupError(f"{archive}: 読めません / cannot read: {exc}") from exc
    with tar, tempfile.TemporaryDirectory(prefix="hokkaido-restore-") as work:
        manifest = _read_manifest(tar, archive)
        _check_empty(db)
        if "datastore.dump" in manifest["databases"]:
            if not datastore:
                raise BackupError("バックアップにはDataStoreがありますが、ckan.datastore.write_url がありません / "
                                  "the backup holds a DataStore but this ini has no ckan.datastore.write_url")
            _check_empty(datastore)
        try:
            members = tar.getmembers()
            for member in members:  # dumps and config first, into the work folder (never outside it)
                if member.name in ("ckan.dump", "datastore.dump") or member.name.startswith("config/"):
                    tar.extract(member, work, filter="data")
        except _DAMAGED as exc:
            raise BackupError(f"{archive}: 壊れています / the archive is damaged: {exc}") from exc
        for name, url in (("ckan.dump", db), ("datastore.dump", datastore)):
            if name in manifest["databases"]:
                progress(f"pg_restore ← {name}")
                _run(["pg_restore", "--no-owner", "--no-acl", "--single-transaction", "--exit-on-error",
                      os.path.join(work, name)], name, url)
                if name == "datastore.dump":
                    # the read-only user's rights are the server's, not the archive's
                    progress("DataStore: give its read-only user its rights as a database superuser: "
                             "ckan -c INI datastore set-permissions | sudo -u postgres psql")
        files = [m for m in members if m.name.startswith("storage/") and m.isfile()]
        if files:
            if not storage:
                raise BackupError("ckan.storage_path がないため、ファイルを復元できません / "
                                  "no ckan.storage_path to restore the files into")
            progress(f"storage: {len(files)} files → {storage}")
            for member in files:
                member.name = member.name[len("storage/"):]
                tar.extract(member, storage, filter="data")
        if config_out:
            shutil.copyfile(os.path.join(work, "config", "ckan.ini"), config_out)
            os.chmod(config_out, 0o600)
    progress("search index: rebuilding from the database")
    model.Session.remove()
    from ckan.lib.search import rebuild

    # CKAN's progress line ("Indexing dataset 3/3", no newline) is progress:
    # stderr, with ours; stdout keeps only the counts
    with contextlib.redirect_stdout(sys.stderr):
        rebuild(force=True)
        print(file=sys.stderr)
    counts = count(db, storage, datastore)
    counts.indexed = _indexed()
    expected = Counts(**{k: v for k, v in manifest["counts"].items() if k in vars(Counts())})
    mismatches = [f"{name}: {getattr(expected, name)} in the backup, {value} restored"
                  for name, value in counts.rows()
                  if name != "indexed" and getattr(expected, name) is not None and getattr(expected, name) != value]
    if counts.indexed != counts.datasets:
        mismatches.append(f"indexed: {counts.datasets} datasets, {counts.indexed} in the search index")
    return Result(archive, counts, expected, mismatches)


def _indexed() -> int:
    """Active datasets in the search index, private and drafts included."""
    site_user = toolkit.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    found = toolkit.get_action("package_search")(
        {"user": site_user, "ignore_auth": True},
        {"q": "*:*", "fq": "+type:dataset", "rows": 0, "include_private": True})
    return int(found["count"])
