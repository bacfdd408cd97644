"""Publishing status of the 179 municipalities, computed from the portal.

The package, from the inside out: :mod:`.rules` (pure: the statuses, the
decision, a row, the summary), :mod:`.queries` (what it reads, a handful of
SQL aggregates over the whole portal), :mod:`.cache` (the statuses of
every municipality, recomputed only on change) and :mod:`.snapshots` (the
daily history, the one writer of its table). The rules are documented in
:mod:`.rules` and the README.
"""
from __future__ import annotations

from typing import Any, Iterable

from ckanext.hokkaido.tracker import rules
from ckanext.hokkaido.tracker.cache import (cached_sources, cached_statuses, invalidate, municipality_statuses,
                                           stale_months)
from ckanext.hokkaido.tracker.queries import dataset_stats, elsewhere_records, harvest_errors, harvest_sources
from ckanext.hokkaido.tracker.rules import (ELSEWHERE, ELSEWHERE_KEYS, HARVEST_ERROR, PUBLISHING,
                                            RATE_DEFINITION, STALE, STATUS_LABELS, STATUSES, UNKNOWN,
                                            decide_status,
                                            elsewhere_is_current, months_before, source_warnings)
from ckanext.hokkaido.tracker.snapshots import (DaySnapshot, history, previous_snapshot_date, snapshot_statuses,
                                                take_day_snapshot,
                                                take_snapshot)

__all__ = [
    "PUBLISHING", "STALE", "HARVEST_ERROR", "ELSEWHERE", "UNKNOWN", "STATUSES", "STATUS_LABELS", "RATE_DEFINITION",
    "ELSEWHERE_KEYS", "cached_statuses", "dataset_stats", "decide_status", "elsewhere_is_current",
    "cached_sources", "elsewhere_records", "harvest_errors", "harvest_sources", "history", "invalidate",
    "months_before", "municipality_statuses", "previous_snapshot_date", "snapshot_statuses",
    "DaySnapshot", "take_day_snapshot",
    "source_warnings", "stale_months", "summarize", "take_snapshot",
]


def summarize(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """:func:`.rules.summarize` with the portal's ``stale_months``."""
    return rules.summarize(rows, stale_months())
