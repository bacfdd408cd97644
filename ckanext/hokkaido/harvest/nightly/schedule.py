"""When sources are due and how long one may take: the nightly run's
settings and the constants of its contract (exit codes, lock keys)."""
from __future__ import annotations

import calendar
import datetime as dt
from typing import Callable, Optional

from ckan.plugins import toolkit

EXIT_OK = 0       #: every source succeeded
EXIT_FAILED = 1   #: some source failed (or the summary could not be mailed)
EXIT_USAGE = 2    #: bad usage: options, unknown source or municipality
EXIT_LOCKED = 3   #: another run holds the lock
EXIT_CRASH = 4    #: an unexpected exception stopped the run

#: The advisory lock's two int4 keys ("Hkkd", 7). Advisory locks are per database.
LOCK_KEY = (0x486B6B64, 7)
#: ``system_info`` key holding the JSON list of the job ids of the run in progress.
JOBS_KEY = "ckanext.hokkaido.harvest.nightly_jobs"
#: A source is due when its ``next_run`` is at most this far in the future, so
#: a DAILY source harvested at 03:00:40 is due again at 03:00 the next night.
DUE_SLACK = dt.timedelta(hours=1)

INTERRUPTED = "中断された実行 (interrupted run)"
INDEX_FAILED = ("収集したデータセットを検索インデックスに反映できませんでした / the datasets harvested "
                "could not all be indexed for search")

#: Datasets written are sent to the search index every this many records
#: and at the end of each job (see :mod:`ckanext.hokkaido.harvest.indexing`).
INDEX_BATCH = 200

#: Records one task of the run's import threads takes from a job at a time
#: (see :func:`ckanext.hokkaido.harvest.nightly.jobs.import_objects`).
IMPORT_CHUNK = 20

#: A job writes its records in the run's import processes only from this many
#: on (fewer go to its threads): a later night's few records per source need
#: not start a CKAN process (see :mod:`ckanext.hokkaido.harvest.nightly.processes`).
PROCESS_MIN_RECORDS = 100

#: Called with the progress line and whether a source started or ended
#: (``False``: only the record count moved).
Progress = Callable[[str, bool], None]


class UsageError(Exception):
    """The selection cannot be run; the message is bilingual."""


class LockHeld(Exception):
    """Another run holds the lock; ``holder`` describes it."""

    def __init__(self, holder: str) -> None:
        super().__init__(
            f"別の夜間ハーベストが実行中のため終了します（{holder}） "
            f"(another harvest run holds the lock: {holder}; exiting without doing anything)")
        self.holder = holder


# -- configuration ----------------------------------------------------------

def source_time_limit() -> float:
    """``ckanext.hokkaido.harvest.source_time_limit`` in seconds; 0 is none."""
    return float(toolkit.config.get("ckanext.hokkaido.harvest.source_time_limit"))


def workers() -> int:
    """``ckanext.hokkaido.harvest.workers``: sources harvested at once."""
    return max(1, int(toolkit.config.get("ckanext.hokkaido.harvest.workers")))


def import_processes() -> int:
    """``ckanext.hokkaido.harvest.import_processes``: processes that write
    the records (0: the run's own threads; see
    :mod:`ckanext.hokkaido.harvest.nightly.processes`)."""
    return max(0, int(toolkit.config.get("ckanext.hokkaido.harvest.import_processes")))


def utcnow() -> dt.datetime:
    return dt.datetime.utcnow()


def next_run(frequency: str, now: dt.datetime) -> Optional[dt.datetime]:
    """ckanext-harvest's schedule: when a source of ``frequency`` is next due."""
    if frequency == "ALWAYS":
        return now
    if frequency == "DAILY":
        return now + dt.timedelta(days=1)
    if frequency == "WEEKLY":
        return now + dt.timedelta(weeks=1)
    if frequency == "BIWEEKLY":
        return now + dt.timedelta(weeks=2)
    if frequency == "MONTHLY":  # as ckanext-harvest: the days of the current month
        return now + dt.timedelta(days=calendar.monthrange(now.year, now.month)[1])
    return None  # MANUAL
