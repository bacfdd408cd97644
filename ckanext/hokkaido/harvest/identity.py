"""Which dataset a record is, and who holds it: the names of harvested
datasets, the harvest objects that link a source's records to them, the
locks two sources take on one remote dataset and the duplicate rule.

Identity
    A dataset is named ``<municipality code>-<12 hex digits>``, the digits
    being the start of sha256(``<portal host and path>\\n<source identifier>``):
    short, within CKAN's name rules whatever the identifier looks like, and
    the same for every source that carries the same remote dataset. Once a
    dataset exists, later runs find it through the source's harvest objects
    (guid = source identifier), so its name never changes.

Duplicates
    The source that first harvested a remote dataset keeps it. Another
    source that meets the same dataset (same derived name, i.e. the same
    portal and identifier, or the same ``source_url``) records the error
    "duplicate of <name>, kept by source <title>" for that record and skips
    it. Once the first source withdraws the dataset, the next source that
    carries it takes it over.
"""
from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from ckan import model

from ckanext.harvest.model import HarvestObject, HarvestSource

from harvesters.records import Record

from ckanext.hokkaido import extras
from ckanext.hokkaido.harvest.errors import RecordError

__all__ = ["check_not_duplicate", "current_object", "dataset_name", "ever_harvested", "held_datasets",
           "latest_with_package", "lock_remote_dataset", "make_current", "owner", "portal_key", "with_source_url"]


def portal_key(url: str) -> str:
    """The identity of a portal: host and path of its base URL, lower-case,
    without scheme, credentials, default port or trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    return host + parts.path.rstrip("/").lower()


def dataset_name(code: str, portal: str, identifier: str) -> str:
    """``<code>-<12 hex>``: the CKAN name of a remote dataset (see module docs)."""
    digest = hashlib.sha256(f"{portal}\n{identifier}".encode("utf-8")).hexdigest()
    return f"{code}-{digest[:12]}"


def held_datasets(source_id: str) -> dict[str, str]:
    """guid → package id of the active datasets this source holds."""
    rows = (model.Session.query(HarvestObject.guid, HarvestObject.package_id)
            .join(model.Package, model.Package.id == HarvestObject.package_id)
            .filter(HarvestObject.harvest_source_id == source_id)
            .filter(HarvestObject.current == sa.true())
            .filter(model.Package.state == "active"))
    return {guid: package_id for guid, package_id in rows}


def current_object(source_id: str, guid: str) -> HarvestObject | None:
    return (model.Session.query(HarvestObject)
            .filter(HarvestObject.harvest_source_id == source_id)
            .filter(HarvestObject.guid == guid)
            .filter(HarvestObject.current == sa.true())
            .first())

def latest_with_package(source_id: str, guid: str) -> HarvestObject | None:
    """This source's newest object for ``guid`` that points at a dataset."""
    return (model.Session.query(HarvestObject)
            .filter(HarvestObject.harvest_source_id == source_id)
            .filter(HarvestObject.guid == guid)
            .filter(HarvestObject.package_id.isnot(None))
            .order_by(HarvestObject.gathered.desc())
            .first())

def owner(package_id: str) -> HarvestSource | None:
    """The source whose current object imported the dataset, if any."""
    obj = (model.Session.query(HarvestObject)
           .filter(HarvestObject.package_id == package_id)
           .filter(HarvestObject.current == sa.true())
           .first())
    return obj.source if obj is not None else None

def ever_harvested(package_id: str) -> bool:
    return model.Session.query(HarvestObject.id).filter(HarvestObject.package_id == package_id).first() is not None

def lock_remote_dataset(portal: str, record: Record) -> None:
    """Hold PostgreSQL advisory locks on the record's identity (portal and
    identifier, source URL) until the next commit, so that two sources
    importing the same remote dataset at the same moment (the nightly run's
    workers) see each other and only the first creates it."""
    keys = sorted({f"{portal}\n{record.identifier}", record.source_url or ""} - {""})
    # one statement; PostgreSQL takes them in this (sorted) order
    locks = ", ".join(f"pg_advisory_xact_lock(hashtext(:key{i}))" for i in range(len(keys)))
    model.Session.execute(sa.text(f"SELECT {locks}"),
                          {f"key{i}": "hokkaido-harvest\n" + key for i, key in enumerate(keys)})

def with_source_url(source_url: str) -> Any:
    """The active datasets whose ``source_url`` is this (a query on the
    index of migration 0002_source_url_index)."""
    return extras.with_values(model.Session.query(model.Package).filter(model.Package.state == "active"),
                              source_url=source_url)

def check_not_duplicate(package: model.Package | None, source: HarvestSource, record: Record) -> None:
    """Raise :class:`RecordError` when another source keeps this dataset."""
    if package is not None:
        keeper = owner(package.id)
        if keeper is None and not ever_harvested(package.id):
            raise RecordError(f"名前 {package.name} は手作業で作成されたデータセットが使用しています",
                              f"the name {package.name} is taken by a dataset created locally")
        if keeper is not None and keeper.id != source.id and keeper.active and package.state == "active":
            raise RecordError(f"{package.name} の重複です（収集元「{keeper.title or keeper.url}」が保持）",
                              f"duplicate of {package.name}, kept by source {keeper.title or keeper.url}")
    if record.source_url:
        for other in with_source_url(record.source_url):
            if package is not None and other.id == package.id:
                continue
            keeper = owner(other.id)
            if keeper is not None and keeper.id != source.id and keeper.active:
                raise RecordError(
                    f"{other.name} の重複です（同じ収集元URL、収集元「{keeper.title or keeper.url}」が保持）",
                    f"duplicate of {other.name} (same source_url), kept by source {keeper.title or keeper.url}")


def make_current(harvest_object: HarvestObject, package_id: str, created: bool = False) -> None:
    """The object is the dataset's current one (the others of the dataset no
    longer are); written with the next commit."""
    if not created:  # a dataset just created has no other object
        model.Session.query(HarvestObject).filter(HarvestObject.package_id == package_id) \
            .filter(HarvestObject.id != harvest_object.id).update({"current": False}, synchronize_session=False)
    harvest_object.package_id = package_id
    harvest_object.current = True
    model.Session.add(harvest_object)
