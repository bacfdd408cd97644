"""``hokkaido_table_profile`` (データの概要 of a resource's table) and
``hokkaido_table_load`` (queue a load again)."""
from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit

from ckanext.hokkaido.tables import store
from ckanext.hokkaido.tables.analysis import version_of

__all__ = ["hokkaido_table_profile", "hokkaido_table_load", "datastore_search"]


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
        histogram, line or bar; ``labels``, ``values``); while ``queued``,
        ``queue_position`` (1: the next load a worker takes; ``None``
        while it is being loaded)
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
    if record["status"] == "queued":
        from ckanext.hokkaido.tables import queue_position
        result["queue_position"] = queue_position(resource_id)
    if not record["sha256"] or not record["fields"]:
        return result
    profile = record["profile"]
    if record["profile_version"] != version_of(record) or profile is None:
        return result  # computed at the end of the load (tables/load.py); none kept for this version yet
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
    queue(resource, force=True, priority=True)  # asked for by a person
    return {"resource_id": resource_id, "status": "queued"}


@toolkit.chained_action
@toolkit.side_effect_free
def datastore_search(next_action, context, data_dict):
    """The DataStore's ``datastore_search``, where a plain ``q`` (a string,
    or a dict of column → string) finds any part of a value, in Japanese
    (:mod:`ckanext.hokkaido.tables.search`). ``plain: false`` keeps the
    DataStore's full-text syntax. The answer carries ``q`` as given."""
    from ckanext.hokkaido.tables import search
    given = q = (data_dict or {}).get("q")
    if isinstance(q, str) and q.strip().startswith("{"):
        try:
            import json
            q = json.loads(q)
        except ValueError:
            pass
    plain = toolkit.asbool((data_dict or {}).get("plain", True))
    if not q or not plain or (data_dict or {}).get("full_text"):
        return next_action(context, data_dict)
    if not isinstance(q, (str, dict)):
        raise toolkit.ValidationError({"q": [toolkit._("q must be text, or an object of column names and text")]})
    data_dict = {k: v for k, v in data_dict.items() if k != "q"}
    context[search.CONTEXT_KEY] = q
    try:
        result = next_action(context, data_dict)
    finally:
        context.pop(search.CONTEXT_KEY, None)
    result["q"] = given
    return result
