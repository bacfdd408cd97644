"""One night: choose the sources, run their jobs, take the day's snapshot
the caller hands in (the command passes the tracker's) and report (the
module docs of the package). Nothing here imports the tracker: it reads the
harvest, not the other way round."""
from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional

from ckan import model
from ckan.model.system_info import set_system_info
from ckan.plugins import toolkit
from ckanext.harvest.model import HarvestJob

from ckanext.hokkaido import registry
from ckanext.hokkaido.harvest import activity, errors, indexing
from ckanext.hokkaido.harvest.nightly.jobs import (
    Importers,
    create_jobs,
    interrupt,
    ProgressCounters,
    run_job,
    recover_interrupted,
)
from ckanext.hokkaido.harvest.nightly import processes
from ckanext.hokkaido.harvest.nightly.schedule import (
    JOBS_KEY,
    Progress,
    utcnow,
    import_processes,
    source_time_limit,
    workers,
)
from ckanext.hokkaido.harvest.nightly.selection import RunLock, select_sources
from ckanext.hokkaido.harvest.nightly.summary import (
    RunReport,
    SourceResult,
    StatusChange,
    label_of,
)
from ckanext.hokkaido.harvest.report import COUNTERS


def _record_snapshot(report: RunReport, snapshot: Callable[[], Any]) -> None:
    """Take the day's snapshot and put what it says in the report.

    :param snapshot: returns an object with ``day``, ``rows``, ``previous``,
        ``changes`` as ``(code, before, after)`` and ``describe(status)``
        (:func:`ckanext.hokkaido.tracker.take_day_snapshot`).
    """
    taken = snapshot()
    report.snapshot_date, report.snapshot_count, report.previous_snapshot = taken.day, taken.rows, taken.previous
    report.changes = [StatusChange(code, registry.name_of(code) or code, taken.describe(before),
                                   taken.describe(after)) for code, before, after in taken.changes]


def run(app: Any, *, all_sources: bool = False, municipality: Optional[str] = None,
        source: Optional[str] = None, force: bool = False, max_workers: Optional[int] = None,
        time_limit: Optional[float] = None, progress: Optional[Progress] = None,
        snapshot: Optional[Callable[[], Any]] = None, import_in: Optional[int] = None) -> RunReport:
    """Run the selected sources (see the module docs) and take the snapshot.

    :param app: the Flask app; each worker thread runs in its request context.
    :param import_in: processes that write the records (0: the run's threads;
        default ``ckanext.hokkaido.harvest.import_processes``).
    :param snapshot: takes the day's snapshot once the jobs are done, still
        under the run's lock (the command passes the tracker's
        :func:`~ckanext.hokkaido.tracker.take_day_snapshot`); none if not given.
    :raises UsageError: before anything is locked or written.
    :raises LockHeld: when another run holds the lock (nothing written).
    """
    selection = ("--all" + (" --force" if force else "") if all_sources
                 else f"--municipality {municipality}" if municipality else f"--source {source}")
    now = utcnow()
    time_limit = source_time_limit() if time_limit is None else time_limit
    max_workers = max_workers or workers()
    import_in = import_processes() if import_in is None else import_in
    report = RunReport(selection=selection, started=now)
    select_sources(all_sources=all_sources, municipality=municipality, source=source,
                   force=force, now=now)  # usage errors before taking the lock
    with RunLock():
        try:
            with indexing.deferred(), activity.shared_with_index():
                _run_selected(app, report, all_sources, municipality, source, force, now,
                              time_limit, max_workers, import_in, progress)
        except indexing.IndexingFailed as exc:
            report.index_error = str(exc)
        if snapshot is not None:
            _record_snapshot(report, snapshot)
        errors.prune()  # details of errors that went with a cleared source or job
        report.finished = utcnow()
    return report


def _run_selected(app: Any, report: RunReport, all_sources: bool, municipality: Optional[str],
                  source: Optional[str], force: bool, now: dt.datetime, time_limit: float,
                  max_workers: int, import_in: int, progress: Optional[Progress]) -> None:
    """Recover what a killed run left, then run the selected sources' jobs."""
    model.Session.rollback()  # see what the previous run left, not an older snapshot
    sources, report.not_due = select_sources(all_sources=all_sources, municipality=municipality,
                                             source=source, force=force, now=now)
    report.interrupted, busy = recover_interrupted(sources, time_limit, now)
    labels = {src.id: label_of(src) for src in sources}
    for src in sources:
        if src.id in busy:
            report.results.append(SourceResult(
                src.id, labels[src.id], src.title or "", src.url, None, False,
                dict.fromkeys(COUNTERS, 0), busy[src.id], 1, 0.0))
    runnable = [s for s in sources if s.id not in busy]
    job_ids = create_jobs(runnable, now, schedule=all_sources)
    source_of = dict(zip(job_ids, (s.id for s in runnable)))
    tracked = ProgressCounters(len(job_ids), progress)
    try:
        # the jobs' threads gather; the import threads or processes write (nightly/jobs.py)
        # (the processes start when a job first has enough records for them)
        importer = Importers(ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="hokkaido-import"),
                             processes.pool(import_in, toolkit.config["__file__"]) if import_in and job_ids else None)
        with importer, ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="hokkaido-harvest") as pool:
            futures = [pool.submit(run_job, app, job_id, labels[source_of[job_id]], time_limit, tracked,
                                   importer) for job_id in job_ids]
            report.results += [future.result() for future in futures]
    finally:
        _finish_leftovers(job_ids)


def _finish_leftovers(job_ids: list[str]) -> None:
    """Whatever happened, no job of this run stays New or Running."""
    model.Session.rollback()
    for job_id in job_ids:
        job = HarvestJob.get(job_id)
        if job is not None and job.status != "Finished":
            interrupt(job, "実行が異常終了しました (the run stopped with an unexpected error)")
    set_system_info(JOBS_KEY, "[]")
