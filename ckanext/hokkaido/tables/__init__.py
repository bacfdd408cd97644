"""Tables in the DataStore: what is loaded, when, and the quick analysis.

* :mod:`.prepare` reads a file into typed columns (no CKAN);
* :mod:`.load` is the job that fetches (guarded), prepares and loads one
  resource with ckanext-xloader's loader, run by CKAN's jobs worker;
* :mod:`.store` remembers each resource's file and outcome;
* :mod:`.analysis` is the quick analysis (データの概要) of a loaded table;
* :mod:`.search` searches inside a table in Japanese, :mod:`.views` serves
  the preview's rows with it and :mod:`.plugin` (``hokkaido_tables``) hooks
  it into the DataStore; :mod:`.action` holds the tables' actions.

Which resources: a CSV, TSV or XLSX resource (by its format, or its URL's
extension when it has no format) of any dataset, from the inventory, the
web form or a harvest, whose link is http(s) or an upload. When: a job is
queued when a dataset is created or updated and one of its tabular
resources is new to us or its URL or ``last_modified`` changed (never for
an update that changes nothing of the file, such as the DataStore's own
flag) — queued when that write commits, so the job always finds what it
loads (a write rolled back queues nothing) — and by ``ckan hokkaido tables check`` (nightly), which asks each
file's server whether it changed (ETag / Last-Modified) and queues only
those that did.

ckanext-xloader's own downloader is not used: it fetches any address
(no guard against private ones). Its plugin is kept off every resource
(``ckanext.xloader.formats`` names no real format, and
:meth:`HokkaidoPlugin.can_upload` refuses), and its loader does the load.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Optional
from urllib.parse import urlsplit

import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit
from redis.exceptions import RedisError

__all__ = ["TABULAR_FORMATS", "PRIORITY_QUEUE", "BULK_QUEUE", "is_tabular", "should_queue", "queue",
           "queue_changed", "queue_position", "forget"]

log = logging.getLogger(__name__)

TABULAR_FORMATS = {"csv": "csv", "tsv": "tsv", "xlsx": "xlsx", "text/csv": "csv",
                   "text/tab-separated-values": "tsv",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx"}


def is_tabular(resource: dict[str, Any]) -> bool:
    """A CSV, TSV or XLSX resource with an http(s) link or an upload."""
    url = resource.get("url") or ""
    if resource.get("url_type") != "upload" and urlsplit(url).scheme not in ("http", "https"):
        return False
    kind = (resource.get("format") or "").strip().lower()
    if not kind:
        kind = os.path.splitext(urlsplit(url).path)[1].lstrip(".").lower()
    return kind in TABULAR_FORMATS


def should_queue(resource: dict[str, Any], record: Optional[dict[str, Any]]) -> bool:
    """Whether the resource's file is new to us or may have changed."""
    if record is None:
        return True
    return (record["url"] != resource.get("url")
            or (resource.get("last_modified") or None) != record["source_last_modified"])


#: a steward's own upload or edit: the workers take these first
PRIORITY_QUEUE = "priority"
#: the nightly bulk (harvest, inventory import, ``tables check``): CKAN's default queue
BULK_QUEUE = "default"
#: the workers' queues, in the order they are read (``ckan jobs worker priority default``)
WORKER_QUEUES = (PRIORITY_QUEUE, BULK_QUEUE)
_JOB_PREFIX = "hokkaido-table-"


def queue(resource: dict[str, Any], force: bool = False, priority: bool = False) -> None:
    """Queue the job that loads ``resource``: on the priority queue for a
    steward's own write (``priority``), on the bulk queue otherwise. Each
    worker reads the priority queue first (``ckan jobs worker priority
    default``), so a steward's upload never waits behind a night's bulk."""
    import uuid
    from ckanext.hokkaido.tables import store
    from ckanext.hokkaido.tables.load import load_resource
    store.queued(resource["id"], resource.get("url") or "", resource.get("last_modified") or None)
    toolkit.enqueue_job(load_resource, [resource["id"]], {"force": force},
                        title=f"hokkaido table {resource['id']}",
                        queue=PRIORITY_QUEUE if priority else BULK_QUEUE,
                        rq_kwargs={"timeout": int(toolkit.config.get("ckanext.hokkaido.tables.job_timeout")),
                                   "job_id": f"{_JOB_PREFIX}{resource['id']}-{uuid.uuid4().hex[:8]}"})


def queue_position(resource_id: str) -> Optional[int]:
    """How many load jobs a worker takes before this resource's (1: it is
    next), reading the queues in the workers' order; ``None`` when no job
    of it waits (it runs, or is done)."""
    from ckan.lib.jobs import get_queue
    ahead = 0
    prefix = f"{_JOB_PREFIX}{resource_id}-"
    for name in WORKER_QUEUES:
        ids = get_queue(name).job_ids
        for index, job_id in enumerate(ids):
            if job_id.startswith(prefix):
                return ahead + index + 1
        ahead += len(ids)
    return None


def queue_changed(package_id: Optional[str], priority: bool = False) -> int:
    """Queue, when the write commits, the tabular resources of a dataset
    just written (read from the session, which holds their ids) that are new
    or changed; how many (``priority``: a steward's own write, see
    :func:`queue`)."""
    from ckanext.hokkaido.tables import store
    if not package_id or not toolkit.asbool(toolkit.config.get("ckanext.hokkaido.tables.auto_load")):
        return 0
    package = model.Package.get(package_id)
    if package is None or package.state != "active":
        return 0
    pending = model.Session().info.setdefault(_PENDING, {})
    count = 0
    for resource in package.resources:
        written = {"id": resource.id, "url": resource.url, "format": resource.format,
                   "url_type": resource.url_type,
                   "last_modified": resource.last_modified.isoformat() if resource.last_modified else None}
        if is_tabular(written) and should_queue(written, store.get(resource.id)):
            earlier = pending.get(resource.id)
            pending[resource.id] = (written, priority or (earlier is not None and earlier[1]))
            count += 1
    return count


#: the session's key for the loads its write will queue when it commits
_PENDING = "hokkaido_tables_pending"


@sa.event.listens_for(model.Session, "after_commit")
def _queue_committed(session: Any) -> None:
    for resource, priority in session.info.pop(_PENDING, {}).values():
        try:
            queue(resource, priority=priority)
        except RedisError as exc:
            # the dataset is written all the same; the nightly check queues it later
            log.warning("table %s not queued (Redis: %s); `ckan hokkaido tables check` will", resource["id"], exc)


@sa.event.listens_for(model.Session, "after_rollback")
def _forget_rolled_back(session: Any) -> None:
    session.info.pop(_PENDING, None)


def forget(resource_ids: list[str]) -> list[str]:
    """Drop the DataStore tables of resources that are deleted or purged,
    and their load records and profiles; the ids whose table was dropped.
    Works whether or not the resources are still in the database (a purge
    has removed them), so it goes to the DataStore's backend, not to
    ``datastore_delete``. The caller commits."""
    from ckanext.datastore.backend import DatastoreBackend
    from ckanext.hokkaido.tables import store
    dropped = []
    if not resource_ids:
        return dropped
    backend = DatastoreBackend.get_active_backend()
    for resource_id in resource_ids:
        if backend.resource_exists(resource_id):
            backend.delete({}, {"resource_id": resource_id})
            dropped.append(resource_id)
    store.forget(resource_ids)
    return dropped
