"""Resources that are gone leave nothing behind; ids are the portal's to give.

A resource's data lives in three places beside its row: the uploaded file
(CKAN's storage, a path made from the resource's id), its DataStore table
(named by the id) and our load record with its profile. CKAN's
``dataset_purge`` removes the rows only, and a resource deleted from a
dataset keeps its file; CKAN also lets any editor choose a new resource's
``id``. Together: a private dataset purged, its resource id reused in the
attacker's public dataset, and the purged file and rows were served to
anyone.

So here:

* :func:`forget` removes a resource's file, table and record;
* :func:`forget_deleted` runs after each dataset write, for the resources
  the write deleted (``resource_delete``, or a ``package_update`` that
  leaves one out); a dataset deleted (not purged) keeps its resources,
  unreachable to the public, until a sysadmin restores or purges it;
* ``dataset_purge`` (:mod:`.action`) forgets every resource the dataset
  ever had;
* :func:`may_choose_id`: only a sysadmin (the harvest, the inventory
  import) may give a new resource an id; an editor's resource id must be
  one of the dataset's own (the form and the API send them back on edit).
"""
from __future__ import annotations

import logging
import os
from typing import Any, Iterable

import sqlalchemy as sa
from ckan import authz, model

from ckanext.hokkaido import tables

__all__ = ["forget", "forget_deleted", "may_choose_id", "upload_path"]

log = logging.getLogger(__name__)


def upload_path(resource_id: str) -> str | None:
    """Where CKAN's uploader keeps the file of ``resource_id`` (``None``
    when uploads are not stored on this host)."""
    from ckan.lib import uploader
    upload = uploader.get_resource_uploader({"id": resource_id, "url_type": "upload"})
    if not getattr(upload, "storage_path", None):
        return None
    return upload.get_path(resource_id)


def forget(resource_ids: Iterable[str]) -> dict[str, list[str]]:
    """Remove the uploaded files, DataStore tables and load records of
    these resources; what was removed. The caller commits."""
    ids = [str(i) for i in resource_ids]
    removed: dict[str, list[str]] = {"files": [], "tables": []}
    for resource_id in ids:
        path = upload_path(resource_id)
        if path and os.path.isfile(path):
            os.remove(path)
            removed["files"].append(resource_id)
    removed["tables"] = tables.forget(ids)
    if removed["files"] or removed["tables"]:
        log.info("forgot %d file(s) and %d table(s) of deleted resources: %s",
                 len(removed["files"]), len(removed["tables"]), ", ".join(ids))
    return removed


def forget_deleted(package_id: str | None) -> dict[str, list[str]]:
    """:func:`forget` the deleted resources of a dataset that may still
    hold a file or a table (an upload, or one we loaded)."""
    if not package_id:
        return {"files": [], "tables": []}
    rows = model.Session.execute(sa.text("""
        SELECT r.id FROM resource r
         WHERE r.package_id = :id AND r.state = 'deleted'
           AND (r.url_type = 'upload'
                OR EXISTS (SELECT 1 FROM hokkaido_table_load t WHERE t.resource_id = r.id))"""),
        {"id": package_id})
    return forget([r.id for r in rows])


def may_choose_id(context: dict[str, Any], resource_id: str) -> bool:
    """Whether the caller may give a resource this id (see the module)."""
    if context.get("ignore_auth") or authz.is_sysadmin(context.get("user")):
        return True
    package = context.get("package")
    own = {r.id for r in package.resources_all} if package is not None else set()
    return resource_id in own
