"""Storage of use cases (活用事例): ``hokkaido_use_case`` and the datasets
each uses (``hokkaido_use_case_dataset``). Deleting a use case marks it
deleted; its links to datasets stay until it is purged with the table row.
"""
from __future__ import annotations

import re
from typing import Any, Optional

import sqlalchemy as sa
from ckan import model

from ckanext.hokkaido.community import contains

__all__ = ["name_taken", "create", "update", "delete", "get", "search", "for_dataset", "count", "most_used"]

FIELDS = ("name", "title", "description", "url", "image_url")


def _datasets(use_case_id: int) -> list[dict[str, Any]]:
    """The active datasets a use case uses (a deleted or private one is left
    out here; ``for_viewer`` in the action decides what a caller sees)."""
    rows = model.Session.execute(sa.text("""
        SELECT p.id, p.name, p.title, p.private, p.owner_org
          FROM hokkaido_use_case_dataset d JOIN package p ON p.id = d.package_id
         WHERE d.use_case_id = :id AND p.state = 'active'
         ORDER BY p.title"""), {"id": use_case_id})
    return [dict(r._mapping) for r in rows]


def _row(r: Any, with_datasets: bool = True) -> dict[str, Any]:
    row = {"id": r.id, "name": r.name, "title": r.title, "description": r.description,
           "url": r.url, "image_url": r.image_url, "creator_user_id": r.creator_user_id,
           "state": r.state, "created": r.created.isoformat(), "modified": r.modified.isoformat()}
    if with_datasets:
        row["datasets"] = _datasets(r.id)
    return row


def _set_datasets(use_case_id: int, package_ids: list[str]) -> None:
    model.Session.execute(sa.text("DELETE FROM hokkaido_use_case_dataset WHERE use_case_id = :id"),
                          {"id": use_case_id})
    for package_id in dict.fromkeys(package_ids):
        model.Session.execute(sa.text(
            "INSERT INTO hokkaido_use_case_dataset (use_case_id, package_id) VALUES (:id, :pkg)"),
            {"id": use_case_id, "pkg": package_id})


def name_taken(name: str) -> bool:
    """Whether a use case, deleted or not, has the name (names are never reused)."""
    return model.Session.execute(sa.text("SELECT 1 FROM hokkaido_use_case WHERE name = :name"),
                                 {"name": name}).first() is not None


def create(values: dict[str, Any], package_ids: list[str], user_id: str) -> dict[str, Any]:
    new_id = model.Session.execute(sa.text("""
        INSERT INTO hokkaido_use_case (name, title, description, url, image_url, creator_user_id)
        VALUES (:name, :title, :description, :url, :image_url, :user) RETURNING id"""),
        {**{f: values.get(f) or "" for f in FIELDS}, "user": user_id}).scalar()
    _set_datasets(new_id, package_ids)
    model.Session.commit()
    return _get_by_row(new_id)


def update(use_case_id: int, values: dict[str, Any], package_ids: Optional[list[str]]) -> dict[str, Any]:
    sets = ", ".join(f"{f} = :{f}" for f in FIELDS if f in values)
    model.Session.execute(sa.text(
        f"UPDATE hokkaido_use_case SET {sets + ', ' if sets else ''}modified = now() WHERE id = :id"),
        {**{f: values[f] or "" for f in FIELDS if f in values}, "id": use_case_id})
    if package_ids is not None:
        _set_datasets(use_case_id, package_ids)
    model.Session.commit()
    return _get_by_row(use_case_id)


def delete(use_case_id: int) -> None:
    model.Session.execute(sa.text(
        "UPDATE hokkaido_use_case SET state = 'deleted', modified = now() WHERE id = :id"), {"id": use_case_id})
    model.Session.commit()


def get(name: Any) -> Optional[dict[str, Any]]:
    """An active use case by its name. Only by name: a use case whose name
    is a number is not another one's row number; what cannot be a name
    (CKAN's name rule: a-z, 0-9, - and _) is none."""
    if not re.fullmatch(r"[a-z0-9_-]{2,100}", str(name)):
        return None
    rows = model.Session.execute(sa.text(
        "SELECT * FROM hokkaido_use_case WHERE name = :name AND state = 'active'"),
        {"name": str(name)}).fetchall()
    return _row(rows[0]) if rows else None


def _get_by_row(use_case_id: int) -> Optional[dict[str, Any]]:
    rows = model.Session.execute(sa.text("SELECT * FROM hokkaido_use_case WHERE id = :id AND state = 'active'"),
                                 {"id": use_case_id}).fetchall()
    return _row(rows[0]) if rows else None


def _where(q: str) -> tuple[str, dict[str, Any]]:
    if not q:
        return "state = 'active'", {}
    return ("state = 'active' AND (title ILIKE :q OR description ILIKE :q)",
            {"q": contains(q)})


def search(q: str = "", limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
    """Active use cases, newest first, whose title or description holds ``q``."""
    where, params = _where(q)
    rows = model.Session.execute(sa.text(
        f"SELECT * FROM hokkaido_use_case WHERE {where} ORDER BY created DESC, id DESC LIMIT :limit OFFSET :offset"),
        {**params, "limit": limit, "offset": offset})
    return [_row(r) for r in rows]


def count(q: str = "") -> int:
    where, params = _where(q)
    return model.Session.execute(sa.text(f"SELECT count(*) FROM hokkaido_use_case WHERE {where}"), params).scalar()


def for_dataset(package_id: str) -> list[dict[str, Any]]:
    """The active use cases that use a dataset, newest first."""
    rows = model.Session.execute(sa.text("""
        SELECT u.* FROM hokkaido_use_case u JOIN hokkaido_use_case_dataset d ON d.use_case_id = u.id
         WHERE d.package_id = :pkg AND u.state = 'active' ORDER BY u.created DESC, u.id DESC"""),
        {"pkg": package_id})
    return [_row(r, with_datasets=False) for r in rows]


def most_used(limit: int = 6) -> list[dict[str, Any]]:
    """The public datasets the most active use cases use, most first."""
    rows = model.Session.execute(sa.text("""
        SELECT p.name, p.title, count(*) AS use_cases
          FROM hokkaido_use_case_dataset d
          JOIN hokkaido_use_case u ON u.id = d.use_case_id AND u.state = 'active'
          JOIN package p ON p.id = d.package_id AND p.state = 'active' AND NOT p.private
         GROUP BY p.id, p.name, p.title ORDER BY count(*) DESC, p.title LIMIT :limit"""), {"limit": limit})
    return [dict(r._mapping) for r in rows]
