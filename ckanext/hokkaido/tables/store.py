"""``hokkaido_table_load`` (migration 0008): one row per resource the portal
loads into the DataStore, the one writer of that table."""
from __future__ import annotations

import json
from typing import Any, Optional

import sqlalchemy as sa
from ckan import model

__all__ = ["STATUSES", "get", "queued", "finished", "save_profile", "loaded_resources", "forget"]

#: queued (a job is waiting), loaded, unchanged (fetched again: the same
#: file), error (the message says why; a table loaded before stays)
STATUSES = ("queued", "loaded", "unchanged", "error")


def _row(r: Any) -> dict[str, Any]:
    row = dict(r._mapping)
    row["fields"] = json.loads(row["fields"] or "[]")
    row["renamed"] = json.loads(row["renamed"] or "[]")
    row["profile"] = json.loads(row["profile"]) if row["profile"] else None
    for key in ("queued_at", "checked_at", "loaded_at"):
        row[key] = row[key].isoformat() if row[key] else None
    return row


def get(resource_id: str) -> Optional[dict[str, Any]]:
    rows = model.Session.execute(sa.text("SELECT * FROM hokkaido_table_load WHERE resource_id = :id"),
                                 {"id": resource_id}).fetchall()
    return _row(rows[0]) if rows else None


def queued(resource_id: str, url: str, source_last_modified: Optional[str]) -> None:
    """A load of the resource's file was queued (what it was, kept for the
    next change to be told apart). Written on a connection of its own: the
    dataset's write that queued it commits (or not) on its own."""
    with model.meta.engine.begin() as connection:
        connection.execute(sa.text("""
        INSERT INTO hokkaido_table_load (resource_id, url, source_last_modified, status, queued_at)
        VALUES (:id, :url, :modified, 'queued', now() at time zone 'utc')
        ON CONFLICT (resource_id) DO UPDATE SET url = EXCLUDED.url,
            source_last_modified = EXCLUDED.source_last_modified, status = 'queued', queued_at = EXCLUDED.queued_at
        """), {"id": resource_id, "url": url, "modified": source_last_modified})


def finished(resource_id: str, status: str, **values: Any) -> None:
    """Record a job's outcome; ``values`` are columns (``fields`` and
    ``renamed`` as lists)."""
    for key in ("fields", "renamed"):
        if key in values:
            values[key] = json.dumps(values[key], ensure_ascii=False)
    sets = ", ".join(f"{key} = :{key}" for key in values)
    stamp = ", loaded_at = now() at time zone 'utc'" if status == "loaded" else ""
    model.Session.execute(sa.text(
        f"UPDATE hokkaido_table_load SET status = :status, checked_at = now() at time zone 'utc'"
        f"{', ' + sets if sets else ''}{stamp} WHERE resource_id = :id"),
        {"status": status, "id": resource_id, **values})
    model.Session.commit()


def save_profile(resource_id: str, version: str, profile: dict[str, Any]) -> None:
    model.Session.execute(sa.text(
        "UPDATE hokkaido_table_load SET profile = :profile, profile_version = :version WHERE resource_id = :id"),
        {"profile": json.dumps(profile, ensure_ascii=False, default=str), "version": version, "id": resource_id})
    model.Session.commit()


def loaded_resources() -> list[dict[str, Any]]:
    """The resources with a table or a try, for ``ckan hokkaido tables check``."""
    return [_row(r) for r in model.Session.execute(sa.text(
        "SELECT * FROM hokkaido_table_load ORDER BY resource_id"))]


def forget(resource_ids: list[str]) -> None:
    """Remove the rows (and profiles) of resources that are gone; the
    caller commits."""
    model.Session.execute(sa.text("DELETE FROM hokkaido_table_load WHERE resource_id = ANY(:ids)"),
                          {"ids": list(resource_ids)})
