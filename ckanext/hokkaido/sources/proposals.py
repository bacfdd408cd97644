"""Sources proposed by ``ckan hokkaido discover`` for a steward to accept
(register the harvest source) or reject, kept in ``hokkaido_source_proposal``
(migration 0006). A proposal is one municipality and URL: proposing it again
updates what was seen, and never reopens one a steward decided.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any, Optional

import sqlalchemy as sa
from ckan import model

from harvesters.discover import Found

from ckanext.hokkaido.sources import registration

__all__ = ["STATUSES", "propose", "proposals", "get", "decide"]

STATUSES = ("proposed", "accepted", "rejected")


def propose(code: str, found: Found) -> None:
    """Record ``found`` for municipality ``code`` (not a shared portal)."""
    model.Session.execute(sa.text("""
        INSERT INTO hokkaido_source_proposal (code, url, kind, confidence, datasets, config, evidence)
        VALUES (:code, :url, :kind, :confidence, :datasets, :config, :evidence)
        ON CONFLICT (code, url) DO UPDATE SET kind = EXCLUDED.kind, confidence = EXCLUDED.confidence,
            datasets = EXCLUDED.datasets, config = EXCLUDED.config, evidence = EXCLUDED.evidence,
            proposed_at = now()
        WHERE hokkaido_source_proposal.status = 'proposed'
    """), {"code": code, "url": found.url, "kind": found.kind, "confidence": found.confidence,
           "datasets": found.datasets, "config": json.dumps(found.config, ensure_ascii=False),
           "evidence": json.dumps([s.__dict__ for s in found.evidence], ensure_ascii=False)})
    model.Session.commit()


def _row(r: Any) -> dict[str, Any]:
    return {"id": r.id, "code": r.code, "url": r.url, "kind": r.kind, "confidence": r.confidence,
            "datasets": r.datasets, "config": json.loads(r.config), "evidence": json.loads(r.evidence),
            "status": r.status, "source_name": r.source_name, "decided_by": r.decided_by,
            "decided_at": r.decided_at.isoformat() if r.decided_at else None,
            "proposed_at": r.proposed_at.isoformat() if r.proposed_at else None}


def proposals(code: Optional[str] = None, status: Optional[str] = None) -> list[dict[str, Any]]:
    """The proposals, of one municipality or all, newest first."""
    where, params = [], {}
    if code:
        where.append("code = :code")
        params["code"] = code
    if status:
        where.append("status = :status")
        params["status"] = status
    sql = "SELECT * FROM hokkaido_source_proposal"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [_row(r) for r in model.Session.execute(sa.text(sql + " ORDER BY code, id DESC"), params)]


def get(proposal_id: int) -> Optional[dict[str, Any]]:
    rows = model.Session.execute(sa.text("SELECT * FROM hokkaido_source_proposal WHERE id = :id"),
                                 {"id": proposal_id}).fetchall()
    return _row(rows[0]) if rows else None


def decide(proposal: dict[str, Any], accept: bool, user: str, site_user: str) -> dict[str, Any]:
    """Accept (register the source, as the site user, in the municipality's
    organization) or reject a proposal still open.

    :raises registration.RegistrationRefused: accepting a URL registered
        already, or a source CKAN refuses; the proposal stays open.
    :raises ValueError: the proposal was decided already.
    """
    if proposal["status"] != "proposed":
        raise ValueError(f"proposal {proposal['id']} is {proposal['status']} already")
    name = None
    if accept:
        name = registration.register(proposal["kind"], proposal["url"], proposal["config"], proposal["code"],
                                   site_user)
    model.Session.execute(sa.text("""
        UPDATE hokkaido_source_proposal SET status = :status, source_name = :name, decided_by = :user,
            decided_at = :now WHERE id = :id AND status = 'proposed'
    """), {"status": "accepted" if accept else "rejected", "name": name, "user": user,
           "now": dt.datetime.utcnow(), "id": proposal["id"]})
    model.Session.commit()
    return get(proposal["id"])
