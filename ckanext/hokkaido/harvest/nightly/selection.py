"""Which sources a night runs, under one lock per portal database."""
from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any, Optional

import sqlalchemy as sa
from ckan import model
from ckanext.harvest.model import HarvestSource

from ckanext.hokkaido import authority, registry
from ckanext.hokkaido.harvest.nightly.schedule import (
    DUE_SLACK,
    LOCK_KEY,
    LockHeld,
    UsageError,
    utcnow,
)
from ckanext.hokkaido.harvest.outcome import source_municipality

# -- the lock ---------------------------------------------------------------

class RunLock:
    """``pg_try_advisory_lock`` on a dedicated connection, with the holder's
    pid and host in the connection's ``application_name`` so a second run can
    name it. Released on :meth:`release` or when the connection dies."""

    def __init__(self) -> None:
        self.label = f"ckan hokkaido harvest pid={os.getpid()} host={socket.gethostname()}"[:63]
        self.connection: Optional[sa.engine.Connection] = None

    def acquire(self) -> "RunLock":
        connection = model.meta.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            connection.execute(sa.text("SELECT set_config('application_name', :name, false)"),
                               {"name": self.label})
            got = connection.execute(sa.text("SELECT pg_try_advisory_lock(:a, :b)"),
                                     {"a": LOCK_KEY[0], "b": LOCK_KEY[1]}).scalar()
            if not got:
                holder = connection.execute(sa.text("""
                    SELECT a.application_name, a.backend_start, a.client_addr
                    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :a
                      AND l.objid = :b AND l.objsubid = 2
                      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """), {"a": LOCK_KEY[0] & 0xFFFFFFFF, "b": LOCK_KEY[1]}).first()
                raise LockHeld(_describe_holder(holder))
        except BaseException:
            connection.close()
            raise
        self.connection = connection
        return self

    def release(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.execute(sa.text("SELECT pg_advisory_unlock(:a, :b)"),
                                    {"a": LOCK_KEY[0], "b": LOCK_KEY[1]})
        finally:
            self.connection.close()  # closing alone also releases it
            self.connection = None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _describe_holder(row: Any) -> str:
    if row is None:
        return "保持者不明 / holder unknown"
    started = row.backend_start.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") \
        if row.backend_start else "?"
    name = row.application_name or "another program"
    return f"{name}, since {started}"


# -- choosing sources -------------------------------------------------------

def _source_code(source: HarvestSource) -> Optional[str]:
    """The source's municipality, by the rule the tracker uses
    (:func:`~ckanext.hokkaido.harvest.outcome.source_municipality`)."""
    package = model.Package.get(source.id)
    owner = model.Group.get(package.owner_org) if package is not None and package.owner_org else None
    return source_municipality(source.config, authority.organization_code(owner))


def _active_sources() -> list[HarvestSource]:
    """Active sources whose dataset is active, oldest first."""
    return (model.Session.query(HarvestSource)
            .join(model.Package, model.Package.id == HarvestSource.id)
            .filter(HarvestSource.active == sa.true())
            .filter(model.Package.state == "active")
            .order_by(HarvestSource.created).all())


def select_sources(*, all_sources: bool = False, municipality: Optional[str] = None,
                   source: Optional[str] = None, force: bool = False,
                   now: Optional[dt.datetime] = None) -> tuple[list[HarvestSource], int]:
    """The sources to run and how many active ones were not due.

    ``all_sources`` takes the due ones (every active one with ``force``);
    ``municipality`` and ``source`` name sources that run whether due or not.

    :raises UsageError: for a selection that names nothing runnable.
    """
    if sum(bool(x) for x in (all_sources, municipality, source)) != 1:
        raise UsageError("--all、--municipality、--source のどれか一つを指定してください "
                         "(give exactly one of --all, --municipality CODE, --source ID)")
    now = now or utcnow()
    if source:
        found = HarvestSource.get(source)
        if found is None:
            package = model.Package.get(source)
            found = HarvestSource.get(package.id) if package is not None else None
        if found is None:
            raise UsageError(f"収集元 {source} が見つかりません (harvest source {source} not found)")
        package = model.Package.get(found.id)
        if not found.active or package is None or package.state != "active":
            raise UsageError(f"収集元 {source} は無効です (harvest source {source} is not active)")
        return [found], 0
    active = _active_sources()
    if municipality:
        if not registry.is_valid_code(municipality) or registry.name_of(municipality) is None:
            raise UsageError(f"{municipality} は北海道の市町村コードではありません "
                             f"({municipality} is not the code of a Hokkaido municipality, e.g. 011002)")
        chosen = [s for s in active if _source_code(s) == municipality]
        if not chosen:
            raise UsageError(f"{municipality} {registry.name_of(municipality)} には有効な収集元がありません "
                             f"(municipality {municipality} has no active harvest source)")
        return chosen, 0
    if force:
        return active, 0
    due = [s for s in active if s.frequency and s.frequency != "MANUAL"
           and (s.next_run is None or s.next_run <= now + DUE_SLACK)]
    return due, len(active) - len(due)
