"""Storage of data requests (データ公開リクエスト): ``hokkaido_data_request``
and its events (``hokkaido_data_request_event``: each answer or change of
status by a steward, each moderation by a sysadmin), oldest first.

The statuses, in the order a request usually goes through them:
受付 ``received`` (new), 検討中 ``considering``, 公開済み ``published``
(with the dataset), 公開できない ``refused`` (with the reason).
"""
from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa
from ckan import model

from ckanext.hokkaido.community import contains

__all__ = ["STATUSES", "create", "get", "search", "count", "counts_by_organization",
           "recent_by_user", "set_status", "set_hidden"]

#: status → (English message id, Japanese), in order
STATUSES = {
    "received": ("Received", "受付"),
    "considering": ("Under consideration", "検討中"),
    "published": ("Published", "公開済み"),
    "refused": ("Cannot be published", "公開できない"),
}


def _events(request_id: int) -> list[dict[str, Any]]:
    rows = model.Session.execute(sa.text("""
        SELECT e.*, u.name AS user_name, u.fullname AS user_fullname
          FROM hokkaido_data_request_event e LEFT JOIN "user" u ON u.id = e.user_id
         WHERE e.request_id = :id ORDER BY e.created, e.id"""), {"id": request_id})
    return [{"kind": r.kind, "status": r.status, "message": r.message, "created": r.created.isoformat(),
             "user_name": r.user_name, "user_display_name": r.user_fullname or r.user_name} for r in rows]


_SELECT = """
    SELECT r.*, g.name AS organization_name, g.title AS organization_title,
           u.name AS user_name, u.fullname AS user_fullname,
           p.name AS package_name, p.title AS package_title
      FROM hokkaido_data_request r
      JOIN "group" g ON g.id = r.organization_id
      LEFT JOIN "user" u ON u.id = r.user_id
      LEFT JOIN package p ON p.id = r.package_id
"""


def _row(r: Any, with_events: bool = False) -> dict[str, Any]:
    row = {"id": r.id, "title": r.title, "description": r.description, "reason": r.reason,
           "organization_id": r.organization_id, "organization_name": r.organization_name,
           "organization_title": r.organization_title, "user_id": r.user_id, "user_name": r.user_name,
           "user_display_name": r.user_fullname or r.user_name, "status": r.status,
           "status_note": r.status_note, "package_id": r.package_id, "package_name": r.package_name,
           "package_title": r.package_title, "hidden": r.hidden, "hidden_reason": r.hidden_reason,
           "created": r.created.isoformat(), "modified": r.modified.isoformat()}
    if with_events:
        row["events"] = _events(r.id)
    return row


def create(title: str, description: str, reason: str, organization_id: str, user_id: str,
           per_day: Optional[int] = None) -> Optional[dict[str, Any]]:
    """Store a request; with ``per_day``, only when the user made fewer in
    the last 24 hours (else ``None``). The count and the insert hold a lock
    on the user (a transaction-level advisory lock), so parallel requests
    are counted one after the other and the limit is exact."""
    if per_day is not None:
        model.Session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('hokkaido_data_request:' || :user))"),
                              {"user": user_id})
        if recent_by_user(user_id, 24) >= per_day:
            model.Session.rollback()
            return None
    new_id = model.Session.execute(sa.text("""
        INSERT INTO hokkaido_data_request (title, description, reason, organization_id, user_id)
        VALUES (:title, :description, :reason, :org, :user) RETURNING id"""),
        {"title": title, "description": description, "reason": reason, "org": organization_id,
         "user": user_id}).scalar()
    model.Session.commit()
    return get(new_id)


def get(request_id: int) -> Optional[dict[str, Any]]:
    rows = model.Session.execute(sa.text(_SELECT + " WHERE r.id = :id"), {"id": request_id}).fetchall()
    return _row(rows[0], with_events=True) if rows else None


def _where(q: str, status: str, organization_id: str, with_hidden: bool) -> tuple[str, dict[str, Any]]:
    where, params = [], {}
    if not with_hidden:
        where.append("NOT r.hidden")
    if q:
        where.append("(r.title ILIKE :q OR r.description ILIKE :q OR r.reason ILIKE :q)")
        params["q"] = contains(q)
    if status:
        where.append("r.status = :status")
        params["status"] = status
    if organization_id:
        where.append("r.organization_id = :org")
        params["org"] = organization_id
    return (" WHERE " + " AND ".join(where)) if where else "", params


def search(q: str = "", status: str = "", organization_id: str = "", with_hidden: bool = False,
           limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
    """Requests, newest first; hidden ones only ``with_hidden``."""
    where, params = _where(q, status, organization_id, with_hidden)
    rows = model.Session.execute(sa.text(
        _SELECT + where + " ORDER BY r.created DESC, r.id DESC LIMIT :limit OFFSET :offset"),
        {**params, "limit": limit, "offset": offset})
    return [_row(r) for r in rows]


def count(q: str = "", status: str = "", organization_id: str = "", with_hidden: bool = False) -> int:
    where, params = _where(q, status, organization_id, with_hidden)
    return model.Session.execute(sa.text(
        "SELECT count(*) FROM hokkaido_data_request r" + where), params).scalar()


def counts_by_organization(organization_id: str) -> dict[str, int]:
    """Visible requests to one organization by status, and ``total``."""
    rows = model.Session.execute(sa.text("""
        SELECT status, count(*) AS n FROM hokkaido_data_request
         WHERE organization_id = :org AND NOT hidden GROUP BY status"""), {"org": organization_id})
    counts = {status: 0 for status in STATUSES}
    counts.update({r.status: r.n for r in rows})
    counts["total"] = sum(counts[s] for s in STATUSES)
    return counts


def recent_by_user(user_id: str, hours: int) -> int:
    """How many requests the user made in the last ``hours`` (hidden ones too)."""
    return model.Session.execute(sa.text("""
        SELECT count(*) FROM hokkaido_data_request
         WHERE user_id = :user AND created > now() - make_interval(hours => :hours)"""),
        {"user": user_id, "hours": hours}).scalar()


def set_status(request_id: int, status: str, note: str, package_id: Optional[str], user_id: str) -> dict[str, Any]:
    model.Session.execute(sa.text("""
        UPDATE hokkaido_data_request SET status = :status, status_note = :note, package_id = :pkg,
               modified = now() WHERE id = :id"""),
        {"status": status, "note": note, "pkg": package_id, "id": request_id})
    model.Session.execute(sa.text("""
        INSERT INTO hokkaido_data_request_event (request_id, user_id, kind, status, message)
        VALUES (:id, :user, 'status', :status, :note)"""),
        {"id": request_id, "user": user_id, "status": status, "note": note})
    model.Session.commit()
    return get(request_id)


def set_hidden(request_id: int, hidden: bool, reason: str, user_id: str) -> dict[str, Any]:
    model.Session.execute(sa.text("""
        UPDATE hokkaido_data_request SET hidden = :hidden, hidden_reason = :reason, modified = now()
         WHERE id = :id"""), {"hidden": hidden, "reason": reason if hidden else "", "id": request_id})
    model.Session.execute(sa.text("""
        INSERT INTO hokkaido_data_request_event (request_id, user_id, kind, message)
        VALUES (:id, :user, :kind, :reason)"""),
        {"id": request_id, "user": user_id, "kind": "hidden" if hidden else "shown", "reason": reason})
    model.Session.commit()
    return get(request_id)
