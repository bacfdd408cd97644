"""The nightly harvest: every due source in one process, safe to run from cron.

:func:`run` is what ``ckan hokkaido harvest`` calls. The package, in the
order of a night: :mod:`.schedule` (settings, exit codes, the lock keys),
:mod:`.selection` (the lock, the due sources), :mod:`.jobs` (gather, fetch
and import per source: our harvesters say what they wrote, through
:class:`~ckanext.hokkaido.harvest.base.ImportOutcome`), :mod:`.summary` (the
report and its mail) and :mod:`.runner` (one night). One run

1. takes a PostgreSQL advisory lock (:class:`RunLock`) held on a connection
   of its own for the whole run, so two runs never overlap. PostgreSQL drops
   the lock when that connection ends, so a run that was killed (even with
   SIGKILL) leaves no stale lock behind; the next run takes it over.
2. finishes the jobs a killed earlier run left "New" or "Running" (their
   ids are kept in CKAN's ``system_info`` table under :data:`JOBS_KEY`
   while a run is in progress) with the gather error "interrupted run".
   A "New"/"Running" job of a selected source that no run of ours started
   (ckanext-harvest's queue, the web UI's "Reharvest") is left alone while
   it shows progress, and finished the same way once it has shown none for
   longer than the per-source time limit.
3. creates one job per selected source and runs gather → fetch → import
   in-process (no queue consumers involved) in a small thread pool; each
   worker has its own Flask request context and its own SQLAlchemy session
   (``model.Session`` is thread-scoped; each worker removes its session when
   done).
   Datasets are sent to the search index once each, in batches, rather
   than at every commit (:mod:`ckanext.hokkaido.harvest.indexing`).
4. gives each source at most ``ckanext.hokkaido.harvest.source_time_limit``
   seconds of reading: no request is started after that. The records read
   in time are imported (no request needed), within as long again; records
   still not imported then are discarded and gathered again next time. The
   job gets the gather error "time limit", nothing is withdrawn, and the
   run carries on.
5. finishes every job it started, whatever happened, takes the day's
   publishing snapshot the command hands it
   (:func:`ckanext.hokkaido.tracker.take_day_snapshot`: the run itself
   never imports the tracker, which reads the harvest)
   and returns a :class:`RunReport` whose :meth:`RunReport.text` is the
   plain-text summary to mail to administrators.

A source has *failed* when its job has a gather error (unreadable source,
bad config, time limit, interrupted) or when every record it read errored
(:class:`~ckanext.hokkaido.harvest.outcome.RunOutcome`, whose rules the
tracker reads runs by too). Record-level errors in an otherwise working
source are listed in the summary but do not fail it.
"""
from __future__ import annotations

from ckanext.hokkaido.harvest.nightly.jobs import recover_interrupted
from ckanext.hokkaido.harvest.nightly.runner import run
from ckanext.hokkaido.harvest.nightly.schedule import (
    DUE_SLACK,
    EXIT_CRASH,
    EXIT_FAILED,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_USAGE,
    INDEX_BATCH,
    INDEX_FAILED,
    INTERRUPTED,
    JOBS_KEY,
    LOCK_KEY,
    LockHeld,
    Progress,
    UsageError,
    source_time_limit,
    workers,
)
from ckanext.hokkaido.harvest.nightly.selection import RunLock, select_sources
from ckanext.hokkaido.harvest.nightly.summary import (
    RunReport,
    SourceResult,
    StatusChange,
    mail_recipients,
    send_mail,
)

__all__ = [
    "DUE_SLACK",
    "EXIT_CRASH",
    "EXIT_FAILED",
    "EXIT_LOCKED",
    "EXIT_OK",
    "EXIT_USAGE",
    "INDEX_BATCH",
    "INDEX_FAILED",
    "INTERRUPTED",
    "JOBS_KEY",
    "LOCK_KEY",
    "LockHeld",
    "Progress",
    "UsageError",
    "source_time_limit",
    "workers",
    "RunLock",
    "select_sources",
    "recover_interrupted",
    "RunReport",
    "SourceResult",
    "StatusChange",
    "mail_recipients",
    "send_mail",
    "run",
]
