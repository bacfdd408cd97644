"""The daily snapshots of every municipality's status: the one writer of
``hokkaido_status_snapshot`` (the nightly run asks it to take the day's
snapshot and reads through it what changed) and the rate over time.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, OrderedDict
from dataclasses import dataclass
from typing import Any, Optional

import sqlalchemy as sa

from ckan import model

from ckanext.hokkaido.tracker.cache import municipality_statuses
from ckanext.hokkaido.tracker.rules import STATUSES, rate_point

__all__ = ["DaySnapshot", "history", "previous_snapshot_date", "snapshot_statuses", "take_day_snapshot",
           "take_snapshot"]


@dataclass(frozen=True)
class DaySnapshot:
    """The day's snapshot as taken: its rows and what changed since the
    previous one (``(code, status before or None, status now)``; no change
    is listed on the first snapshot ever)."""

    day: dt.date
    rows: int
    previous: Optional[dt.date]
    changes: list[tuple[str, Optional[str], str]]

    @staticmethod
    def describe(status: Optional[str]) -> str:
        """A status for a reader of either language: 「公開中 (publishing)」."""
        if status is None:
            return "(none)"
        known = STATUSES.get(status)
        return f"{status} ({known.en})" if known else status


def take_day_snapshot(day: Optional[dt.date] = None) -> DaySnapshot:
    """Take the day's snapshot (:func:`take_snapshot`) and say what changed;
    the nightly command hands this to the run, which reports it."""
    day = day or dt.date.today()
    previous = previous_snapshot_date(day)
    before = snapshot_statuses(previous) if previous else {}
    rows = take_snapshot(day)
    changes = [(code, before.get(code), status) for code, status in sorted(snapshot_statuses(day).items())
               if previous is not None and before.get(code) != status]
    return DaySnapshot(day, rows, previous, changes)


def take_snapshot(day: Optional[dt.date] = None) -> int:
    """Store today's status of every municipality; rerunning the same day
    replaces that day's rows (idempotent). Returns the number of rows."""
    day = day or dt.date.today()
    rows = [r for r in municipality_statuses(today=day) if not r["is_prefecture"]]
    session = model.Session
    session.execute(sa.text("DELETE FROM hokkaido_status_snapshot "
                            "WHERE snapshot_date = :day"), {"day": day})
    session.execute(sa.text("""
        INSERT INTO hokkaido_status_snapshot
            (snapshot_date, code, status, dataset_count, resource_count,
             standard_count, newest_modified, taken_at)
        VALUES (:day, :code, :status, :datasets, :resources, :standard,
                :newest, now())"""), [
        {"day": day, "code": r["code"], "status": r["status"],
         "datasets": r["dataset_count"], "resources": r["resource_count"],
         "standard": r["standard_count"], "newest": r["newest_modified"]}
        for r in rows])
    session.commit()
    return len(rows)


def snapshot_statuses(day: dt.date) -> dict[str, str]:
    """code → status on a snapshot day (empty if none was taken)."""
    return dict(model.Session.execute(
        sa.text("SELECT code, status FROM hokkaido_status_snapshot WHERE snapshot_date = :day"),
        {"day": day}).fetchall())


def previous_snapshot_date(day: dt.date) -> Optional[dt.date]:
    """The last snapshot day before ``day``, if any."""
    return model.Session.execute(sa.text(
        "SELECT max(snapshot_date) FROM hokkaido_status_snapshot WHERE snapshot_date < :day"),
        {"day": day}).scalar()


def history(days: int = 365) -> list[dict[str, Any]]:
    """Per snapshot day: the count per status and 実施率, oldest first."""
    sql = """
        SELECT snapshot_date, status, count(*) AS n
        FROM hokkaido_status_snapshot
        WHERE snapshot_date > current_date - :days
        GROUP BY snapshot_date, status ORDER BY snapshot_date
    """
    series: "OrderedDict[dt.date, Counter]" = OrderedDict()
    for r in model.Session.execute(sa.text(sql), {"days": days}):
        series.setdefault(r.snapshot_date, Counter())[r.status] = int(r.n)
    return [rate_point(day, counts) for day, counts in series.items()]
