"""The job that puts one resource's table into the DataStore, run by CKAN's
background jobs worker (``ckan jobs worker``, RQ on Redis).

1. The file is fetched through the harvest's HTTP client: the same address
   guard (no private address unless configured), timeouts and a size cap
   enforced while streaming (``ckanext.hokkaido.tables.max_bytes``). A file
   uploaded to the portal is read from its storage. The request is
   conditional (``If-None-Match`` / ``If-Modified-Since`` from the last
   fetch): a 304, or the same sha256 as the table loaded, changes nothing.
2. :func:`~ckanext.hokkaido.tables.prepare.prepare` reads it (Japanese
   encodings, header names, column types) and writes a UTF-8 CSV; any
   problem stops here, before the DataStore is touched, so a table loaded
   before stays as it was.
3. The table is replaced: the old one dropped, the new one created with
   the prepared names and types (the Data Dictionary's ``type_override``),
   and ckanext-xloader's loading steps copy the CSV in (PostgreSQL
   ``COPY``, then the full-text column and the indexes).
4. The resource gets CKAN's default views (``datatables_view``).

The outcome (``loaded``, ``unchanged`` or ``error`` with the message in
Japanese and English) is kept in ``hokkaido_table_load`` and shown on the
resource page and by ``hokkaido_table_profile``.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from typing import Any, Optional

from ckan import model
from ckan.plugins import toolkit

from harvesters.client import HttpClient, Limits
from harvesters.errors import BadResponse, HarvestError, LimitExceeded, public_host

from ckanext.hokkaido import outbound
from ckanext.hokkaido.tables import search, store
from ckanext.hokkaido.tables.prepare import TableError, prepare

__all__ = ["load_resource", "make_client", "settings"]

log = logging.getLogger(__name__)


def settings() -> dict[str, int]:
    """The limits on a table (``ckanext.hokkaido.tables.*``)."""
    config = toolkit.config
    return {"max_bytes": int(config.get("ckanext.hokkaido.tables.max_bytes")),
            "max_rows": int(config.get("ckanext.hokkaido.tables.max_rows"))}


def make_client() -> HttpClient:
    """The portal's client (:mod:`ckanext.hokkaido.outbound`) for one table's
    file: unthrottled, with the tables' size cap and whole-response timeout."""
    return outbound.make_client(throttled=False, max_bytes=settings()["max_bytes"],
                                total_timeout=float(toolkit.config.get("ckanext.hokkaido.tables.total_timeout")))


def _site_context() -> dict[str, Any]:
    return {"ignore_auth": True, "user": toolkit.get_action("get_site_user")({"ignore_auth": True}, {})["name"]}


def _resource(resource_id: str) -> Optional[dict[str, Any]]:
    """The resource as committed (a job is queued only once its write
    committed, :func:`ckanext.hokkaido.tables.queue_changed`); ``None`` when
    it has been deleted since."""
    try:
        return toolkit.get_action("resource_show")(_site_context(), {"id": resource_id})
    except toolkit.ObjectNotFound:
        return None


def _fetch(resource: dict[str, Any], record: Optional[dict[str, Any]], force: bool) -> Any:
    """(status, content, etag, last_modified) of the resource's file."""
    limit = settings()["max_bytes"]
    if resource.get("url_type") == "upload":
        from ckan.lib import uploader
        upload = uploader.get_resource_uploader(resource)
        path = upload.get_path(resource["id"]) if hasattr(upload, "get_path") else None
        if not path or not os.path.isfile(path):
            raise TableError("アップロードされたファイルが見つかりません", "the uploaded file is not in the portal's storage")
        if os.path.getsize(path) > limit:
            raise TableError(f"ファイルが上限（{limit:,}バイト）より大きいため読み込みません",
                             f"the file is larger than the limit of {limit:,} bytes")
        with open(path, "rb") as f:
            return 200, f.read(), None, None
    headers = {}
    if record and not force and record["url"] == resource["url"] and record["sha256"]:
        if record["etag"]:
            headers["If-None-Match"] = record["etag"]
        if record["last_modified"]:
            headers["If-Modified-Since"] = record["last_modified"]
    with make_client() as client:
        response = client.get(resource["url"], headers=headers)
    return (response.status, response.content, response.headers.get("ETag"),
            response.headers.get("Last-Modified"))


def _replace_table(resource_id: str, fields: list[dict[str, str]], csv_path: str) -> None:
    """Drop the resource's table, create it with ``fields`` and load the
    prepared CSV with ckanext-xloader's loading steps: the full-text trigger
    off, ``COPY FROM STDIN`` (``loader.copy_file``), the full-text column in
    one pass (``loader._populate_fulltext``), the column indexes, the
    trigger on again. xloader's ``load_csv`` would first read the file again
    with tabulator: ours is read, decoded and typed already."""
    from ckanext.datastore.backend.postgres import create_indexes, get_write_engine
    from ckanext.xloader import loader

    context = _site_context()
    try:
        toolkit.get_action("datastore_delete")(dict(context), {"resource_id": resource_id, "force": True})
    except toolkit.ObjectNotFound:
        pass
    typed = [{"id": f["id"], "type": f["type"], "info": {"type_override": f["type"]}} for f in fields]
    toolkit.get_action("datastore_create")(dict(context), {"resource_id": resource_id, "fields": typed,
                                                           "force": True})
    engine = get_write_engine()
    with engine.begin() as connection:
        loader._disable_fulltext_trigger(connection, resource_id)
    loader.copy_file(csv_path, engine, log, resource_id, [f["id"] for f in fields], ",")
    with engine.begin() as connection:
        loader._populate_fulltext(connection, resource_id, fields=fields, logger=log)
    # in one committed transaction (xloader's create_column_indexes leaves its connection uncommitted)
    with engine.begin() as connection:
        create_indexes({"connection": connection}, {"resource_id": resource_id, "fields": fields})
        loader._enable_fulltext_trigger(connection, resource_id)
        # search inside the table for any part of a value (tables/search.py)
        search.add_search_column(connection, resource_id, fields)


def _views(resource_id: str) -> None:
    context = _site_context()
    # read again: the views that show a table (datatables_view) ask for datastore_active
    resource = toolkit.get_action("resource_show")(dict(context), {"id": resource_id})
    package = toolkit.get_action("package_show")(dict(context), {"id": resource["package_id"]})
    toolkit.get_action("resource_create_default_resource_views")(
        dict(context), {"resource": resource, "package": package, "create_datastore_views": True})


def _failed(resource_id: str, message_ja: str, message_en: str) -> str:
    log.warning("table %s not loaded: %s / %s", resource_id, message_ja, message_en)
    store.finished(resource_id, "error", error_ja=message_ja, error_en=message_en)
    return "error"


def load_resource(resource_id: str, force: bool = False) -> str:
    """Load (or reload) one resource's table; returns the outcome
    (``loaded``, ``unchanged``, ``error``, or ``gone`` when the resource no
    longer exists)."""
    resource = _resource(resource_id)
    if resource is None:
        log.info("table %s: the resource is gone", resource_id)
        return "gone"
    record = store.get(resource_id)
    if record is None:
        store.queued(resource_id, resource["url"], resource.get("last_modified"))
    try:
        status, content, etag, last_modified = _fetch(resource, record, force)
    except TableError as exc:
        return _failed(resource_id, exc.message_ja, exc.message_en)
    except HarvestError as exc:
        host = public_host(exc.url)
        return _failed(resource_id, f"{exc.message_ja}（{host}）", f"{exc.message_en} ({host})")
    if status == 304:
        store.finished(resource_id, "unchanged")
        return "unchanged"
    digest = hashlib.sha256(content).hexdigest()
    if not force and record and record["sha256"] == digest and record["url"] == resource["url"] \
            and resource.get("datastore_active"):
        store.finished(resource_id, "unchanged", etag=etag, last_modified=last_modified)
        return "unchanged"
    limits = Limits(max_table_rows=settings()["max_rows"] + 100,
                    max_table_cells=max(1_000_000, (settings()["max_rows"] + 100) * 50))
    handle, csv_path = tempfile.mkstemp(suffix=".csv", prefix="hokkaido-table-")
    os.close(handle)
    try:
        try:
            prepared = prepare(content, csv_path, where=resource["url"], limits=limits,
                               max_rows=settings()["max_rows"])
        except TableError as exc:
            return _failed(resource_id, exc.message_ja, exc.message_en)
        except (BadResponse, LimitExceeded) as exc:
            return _failed(resource_id, exc.message_ja, f"{exc.message_en}: {exc.reason}"[:300])
        _replace_table(resource_id, prepared.fields, csv_path)
    finally:
        os.unlink(csv_path)
    _views(resource_id)
    store.finished(resource_id, "loaded", etag=etag, last_modified=last_modified, sha256=digest,
                   size=len(content), rows=prepared.rows, fields=prepared.fields, renamed=prepared.renamed,
                   header_line=prepared.header_line,
                   encoding=prepared.encoding, error_ja=None, error_en=None)
    log.info("table %s loaded: %d rows, %d columns (%s)", resource_id, prepared.rows, len(prepared.fields),
             prepared.encoding or prepared.file_format)
    _profile(resource_id)
    _merge_standard(resource_id)
    return "loaded"


def _profile(resource_id: str) -> None:
    """The quick analysis, computed once the table is in (the page only
    reads it). The table is loaded whatever it says: a failure is logged
    with its cause and the page shows the table without its analysis until
    the next load or ``ckan hokkaido tables check``."""
    from ckanext.hokkaido.tables import analysis
    try:
        analysis.refresh(resource_id)
    except Exception:  # noqa: BLE001 - the load itself succeeded; see the docstring
        model.Session.rollback()
        log.exception("table %s: its quick analysis failed; `ckan hokkaido tables check` tries again", resource_id)


def _merge_standard(resource_id: str) -> None:
    """A table of a standard dataset goes into the merged table at once
    (``standard/merge.py``). The table is loaded whatever the merge says: a
    merge that fails is logged with its cause, leaves the merged table as it
    was, and the nightly ``ckan hokkaido standard rebuild`` tries again."""
    from ckanext.hokkaido.standard import merge
    try:
        merge.rebuild_for_resource(resource_id)
    except Exception:  # noqa: BLE001 - the load itself succeeded; see the docstring
        log.exception("table %s: merging into its standard dataset failed; the nightly rebuild retries",
                      resource_id)
