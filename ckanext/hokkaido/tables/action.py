"""``hokkaido_table_profile`` (データの概要 of a resource's table) and
``hokkaido_table_load`` (queue a load again)."""
from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit

from ckanext.hokkaido.tables import store
from ckanext.hokkaido.tables.analysis import PROFILE_VERSION, compute

__all__ = ["hokkaido_table_profile", "hokkaido_table_load"]


def _resource_id(data_dict: dict) -> str:
    resource_id = str((data_dict or {}).get("resource_id") or "").strip()
    if not resource_id:
        raise toolkit.ValidationError({"resource_id": [toolkit._("Missing value")]})
    return resource_id


@toolkit.side_effect_free
def hokkaido_table_profile(context, data_dict) -> dict[str, Any]:
    """The state of a resource's DataStore table and its quick analysis.

    :param resource_id: the resource
    :type resource_id: string
    :returns: ``status`` (``queued``, ``loaded``, ``unchanged``, ``error``
        or ``none``: never tried), ``error`` (``ja``, ``en``) when the last
        try failed (a table loaded before stays and is described), ``rows``,
        ``encoding``, ``renamed`` (column names changed: original, new),
        ``loaded_at``, and ``columns``: per column ``name``, ``type``,
        ``count``, ``missing``, ``distinct``; ``min``, ``max``, ``mean``,
        ``median`` for numbers, ``min`` and ``max`` for dates, ``top`` (the
        10 most frequent values) for text, and ``chart`` (``kind``:
        histogram, line or bar; ``labels``, ``values``)
    :rtype: dictionary
    """
    resource_id = _resource_id(data_dict)
    toolkit.check_access("resource_show", context, {"id": resource_id})
    toolkit.get_action("resource_show")(dict(context), {"id": resource_id})  # 404 for an unknown one
    record = store.get(resource_id)
    if record is None:
        return {"resource_id": resource_id, "status": "none", "columns": []}
    result = {"resource_id": resource_id, "status": record["status"], "rows": record["rows"],
              "encoding": record["encoding"], "renamed": record["renamed"], "loaded_at": record["loaded_at"],
              "columns": []}
    if record["status"] == "error":
        result["error"] = {"ja": record["error_ja"], "en": record["error_en"]}
    if not record["sha256"] or not record["fields"]:
        return result
    version = f"{PROFILE_VERSION}:{record['sha256']}"
    profile = record["profile"]
    if record["profile_version"] != version or profile is None:
        profile = compute(resource_id, record["fields"])
        store.save_profile(resource_id, version, profile)
    result["columns"] = profile["columns"]
    result["rows"] = profile["rows"]
    return result


def hokkaido_table_load(context, data_dict) -> dict[str, Any]:
    """Queue the load of a resource's table again (those who may edit the
    dataset); the file is fetched anew even if it did not change.

    :param resource_id: the resource
    :type resource_id: string
    """
    from ckanext.hokkaido.tables import is_tabular, queue
    resource_id = _resource_id(data_dict)
    toolkit.check_access("resource_update", context, {"id": resource_id})
    resource = toolkit.get_action("resource_show")(dict(context), {"id": resource_id})
    if not is_tabular(resource):
        raise toolkit.ValidationError({"resource_id": [toolkit._("Only CSV, TSV and XLSX resources are loaded")]})
    queue(resource, force=True)
    return {"resource_id": resource_id, "status": "queued"}
