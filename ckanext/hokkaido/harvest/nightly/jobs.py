"""Running the jobs: one job per source, gather → fetch → import in this
process, and finishing the jobs a killed run left.

A run has two sets of ``workers`` threads: the jobs' (each gathers its
source, then waits for its records) and the imports' (:func:`import_objects`:
the records of every job, :data:`IMPORT_CHUNK` at a time, as they come).
While one source is read, or when the run has a single source, its records
are still imported ``workers`` at a time; the writes never exceed
``workers`` threads. With import processes (:class:`Importers`,
:mod:`~ckanext.hokkaido.harvest.nightly.processes`) a large job's records
are written there instead."""
from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Optional

import sqlalchemy as sa
from ckan import model
from ckan.lib.search import SearchIndexError
from ckan.model.system_info import get_system_info, set_system_info
from ckan.plugins import PluginImplementations, toolkit
from ckanext.harvest import queue
from ckanext.harvest.interfaces import IHarvester
from ckanext.harvest.model import (
    HarvestJob,
    HarvestObject,
    HarvestObjectError,
    HarvestObjectExtra,
    HarvestSource,
)

from ckanext.hokkaido.harvest import errors, guard, indexing
from ckanext.hokkaido.harvest.base import LIMIT, TimeLimit
from ckanext.hokkaido.harvest.nightly.schedule import (
    IMPORT_CHUNK,
    INDEX_BATCH,
    PROCESS_MIN_RECORDS,
    INDEX_FAILED,
    INTERRUPTED,
    JOBS_KEY,
    Progress,
    next_run,
    utcnow,
)
from ckanext.hokkaido.harvest.nightly import processes
from ckanext.hokkaido.harvest.nightly.summary import SourceResult, result_of

log = logging.getLogger(__name__)


# -- jobs left behind -------------------------------------------------------

def _discard_unprocessed(job_id: str) -> int:
    """Delete the job's objects that were never imported (the next run gathers
    them again); returns how many."""
    ids = [i for (i,) in model.Session.query(HarvestObject.id)
           .filter(HarvestObject.harvest_job_id == job_id)
           .filter(HarvestObject.state.notin_(["COMPLETE", "ERROR"]))
           .filter(sa.or_(HarvestObject.current.is_(None), HarvestObject.current == sa.false()))]
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        model.Session.query(HarvestObjectExtra).filter(HarvestObjectExtra.harvest_object_id.in_(chunk)) \
            .delete(synchronize_session=False)
        model.Session.query(HarvestObjectError).filter(HarvestObjectError.harvest_object_id.in_(chunk)) \
            .delete(synchronize_session=False)
        model.Session.query(HarvestObject).filter(HarvestObject.id.in_(chunk)) \
            .delete(synchronize_session=False)
    model.Session.commit()
    return len(ids)


def _finish(job: HarvestJob, error: Optional[str] = None, detail: Optional[str] = None, *,
            read_failure: bool = False) -> None:
    """Mark ``job`` Finished (with a gather error: ``error`` public, in our
    words, ``detail`` for the source's organization, ``read_failure`` when
    the source was not read at all) and reindex its source."""
    if error:
        errors.gather_error(job, error, detail, read_failure=read_failure)
    now = utcnow()
    job.status = "Finished"
    job.gather_started = job.gather_started or now
    job.gather_finished = job.gather_finished or now
    job.finished = now
    job.save()
    try:
        toolkit.get_action("harvest_source_reindex")(
            {"model": model, "session": model.Session, "ignore_auth": True}, {"id": job.source_id})
    except SearchIndexError as exc:  # the job is finished all the same; Solr is for the source page
        model.Session.rollback()
        errors.gather_error(job, "検索インデックスに収集元を反映できませんでした / the search index could "
                                 "not be updated for the source", str(exc))


def interrupt(job: HarvestJob, why: str) -> None:
    # what the killed run wrote may not have reached the search index
    indexing.mark(package_id for (package_id,) in model.Session.query(HarvestObject.package_id)
                  .filter(HarvestObject.harvest_job_id == job.id)
                  .filter(HarvestObject.package_id.isnot(None)))
    discarded = _discard_unprocessed(job.id)
    log.warning("harvest job %s of %s: %s", job.id, job.source_id, why)
    _finish(job, f"{INTERRUPTED}: {why}; 取り込まれなかった {discarded} 件は次回再収集します "
                 f"({discarded} records not imported are gathered again next time)")


def recover_interrupted(sources: list[HarvestSource], time_limit: float,
                        now: Optional[dt.datetime] = None) -> tuple[list[str], dict[str, str]]:
    """Finish the jobs a killed run left behind (call it holding the lock).

    :returns: the ids of the jobs finished, and for each selected source that
        has a job in progress started elsewhere, why it is skipped.
    """
    now = now or utcnow()
    finished: list[str] = []
    previous = json.loads(get_system_info(JOBS_KEY) or "[]")
    for job_id in previous:
        job = HarvestJob.get(job_id)
        if job is not None and job.status != "Finished":
            interrupt(job, f"前回の実行が途中で終了しました (the run that started this job at "
                            f"{job.created:%Y-%m-%d %H:%M} UTC ended before finishing it)")
            finished.append(job.id)
    busy: dict[str, str] = {}
    for source in sources:
        for job in (model.Session.query(HarvestJob).filter(HarvestJob.source_id == source.id)
                    .filter(HarvestJob.status.in_(["New", "Running"]))):
            idle = (now - job.get_last_action_time()).total_seconds()
            if time_limit and idle > time_limit:
                interrupt(job, f"{idle:.0f} 秒間進捗がありません (no progress for {idle:.0f} s, "
                                f"more than the time limit of {time_limit:g} s)")
                finished.append(job.id)
            else:
                busy[source.id] = (f"別のジョブ {job.id} が実行中のためスキップしました "
                                   f"(job {job.id}, started by the queue or the web UI, is in progress "
                                   f"since {job.created:%Y-%m-%d %H:%M} UTC; skipped)")
    return finished, busy


# -- running ----------------------------------------------------------------

def harvesters_by_type() -> dict[str, Any]:
    return {plugin.info()["name"]: plugin for plugin in PluginImplementations(IHarvester)}


class Importers:
    """The run's import threads, and its import processes if it has them;
    a job with :data:`PROCESS_MIN_RECORDS` records or more is written by
    the processes."""

    def __init__(self, threads: Executor, processes: Optional[ProcessPoolExecutor] = None) -> None:
        self.threads, self.processes = threads, processes

    def for_records(self, count: int) -> Executor:
        if self.processes is not None and count >= PROCESS_MIN_RECORDS:
            return self.processes
        return self.threads

    def __enter__(self) -> "Importers":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.threads.shutdown(wait=True)
        if self.processes is not None:
            self.processes.shutdown(wait=True)


class ImportProcessLost(RuntimeError):
    """An import process died or could not start; the run's pool is broken."""


class _NotRunnable(Exception):
    """The job's source cannot run here; the message says why (public)."""


class ProgressCounters:
    """Thread-safe counters behind the progress line."""

    def __init__(self, total: int, emit: Optional[Progress]) -> None:
        self.total = total
        self.emit = emit
        self.done = 0
        self.failed = 0
        self.records = 0
        self.running: list[str] = []
        self.lock = threading.Lock()

    def _line(self) -> str:
        running = ", ".join(self.running) or "-"
        return (f"収集 / harvest: {self.done}/{self.total} sources done, {self.failed} failed, "
                f"{self.records} records; running: {running}")

    def update(self, *, start: Optional[str] = None, end: Optional[str] = None,
               ok: bool = True, records: int = 0) -> None:
        with self.lock:
            if start:
                self.running.append(start)
            if end:
                if end in self.running:
                    self.running.remove(end)
                self.done += 1
                self.failed += not ok
            self.records += records
            if self.emit is not None:
                self.emit(self._line(), bool(start or end))


def fetch_and_import(harvester: Any, obj: HarvestObject) -> None:
    """Fetch and import one record: the states, times and report statuses of
    ckanext-harvest's ``queue.fetch_and_import_stages``, written with the
    import's own commit (and at most one more), instead of a commit for each
    step. When one of our harvesters says it recorded the outcome with the
    dataset (:class:`~ckanext.hokkaido.harvest.base.ImportOutcome`), nothing
    more is written."""
    fetch_started = utcnow()
    obj.state = "FETCH"
    fetched = harvester.fetch_stage(obj)
    times = {"fetch_started": fetch_started, "fetch_finished": utcnow()}
    imported: bool | str = False
    if fetched is True:
        times["import_started"] = utcnow()
        for key, value in times.items():  # written with the import
            setattr(obj, key, value)
        obj.state = "IMPORT"
        import_record = getattr(harvester, "import_record", None)  # ours say what they wrote
        if import_record is not None:
            outcome = import_record(obj)
            if outcome.recorded:
                return
            imported = outcome.result
        else:
            imported = harvester.import_stage(obj)
        times["import_finished"] = utcnow()
    for key, value in times.items():  # a stage that rolled back took them back
        setattr(obj, key, value)
    if fetched == "unchanged" or imported == "unchanged":
        obj.state, obj.report_status = "COMPLETE", "not modified"
    elif not imported:
        obj.state, obj.report_status = "ERROR", "errored"
    else:
        obj.state = "COMPLETE"
        if obj.current is False:
            obj.report_status = "deleted"
        else:
            shared = (model.Session.query(HarvestObject.id)
                      .filter(HarvestObject.package_id == obj.package_id).limit(2).count())
            obj.report_status = "updated" if shared == 2 else "added"
    model.Session.add(obj)
    model.Session.commit()


def import_objects(app: Any, harvester: Any, object_ids: list[str], deadline: Optional[float],
                   progress: ProgressCounters, importer: Executor) -> bool:
    """Fetch and import a job's records on the run's import threads
    (``importer``), :data:`IMPORT_CHUNK` at a time, each thread in its own
    request context and database session; the search index gets what they
    wrote every :data:`INDEX_BATCH` records. True when ``deadline``
    stopped it (the records not imported stay as they are, for the caller).

    With import processes (``importer`` a process pool, see
    :mod:`~ckanext.hokkaido.harvest.nightly.processes`) the chunks are
    written there, and each sends its documents to Solr; the caller commits.

    :raises Exception: the first a record's import raised, once the other
        chunks have stopped.
    """
    if isinstance(importer, ProcessPoolExecutor):
        return _import_in_processes(harvester.info()["name"], object_ids, deadline, progress, importer)
    stop, timed_out = threading.Event(), threading.Event()

    def chunk(part: list[str]) -> None:
        with app.test_request_context():
            try:
                for object_id in part:
                    if stop.is_set():
                        return
                    if deadline is not None and time.monotonic() > deadline:
                        timed_out.set()
                        stop.set()
                        return
                    fetch_and_import(harvester, model.Session.get(HarvestObject, object_id))
                    indexing.release()  # committed: now they may be read for the index
                    progress.update(records=1)
            finally:
                model.Session.remove()
                indexing.release()  # also what a failed import noted: it is read as it is

    futures: list[Future] = [importer.submit(chunk, object_ids[start:start + IMPORT_CHUNK])
                             for start in range(0, len(object_ids), IMPORT_CHUNK)]
    try:
        for done, future in enumerate(as_completed(futures), start=1):
            future.result()
            if done % max(1, INDEX_BATCH // IMPORT_CHUNK) == 0:
                indexing.flush()
    except BaseException:
        stop.set()
        wait(futures)
        raise
    return timed_out.is_set()


def _import_in_processes(source_type: str, object_ids: list[str], deadline: Optional[float],
                         progress: ProgressCounters, importer: ProcessPoolExecutor) -> bool:
    """:func:`import_objects` on the run's import processes. The datasets a
    chunk could not send to Solr are handed over here, for the job's flush."""
    futures = [importer.submit(processes.import_chunk, source_type, object_ids[start:start + IMPORT_CHUNK],
                               deadline) for start in range(0, len(object_ids), IMPORT_CHUNK)]
    timed_out, failed = False, None
    try:
        for future in as_completed(futures):
            if future.cancelled():
                continue
            done = future.result()  # a process that died: BrokenProcessPool, the job's unexpected error
            progress.update(records=done.imported)
            indexing.mark(done.unindexed)
            if done.index_error:
                log.warning("an import process could not index: %s", done.index_error)
            timed_out = timed_out or done.timed_out
            if (done.timed_out or done.error) and failed is None:
                failed = done
                for other in futures:  # not started: left as they are (a timeout) or to the next run
                    other.cancel()
    except BaseException as exc:
        for other in futures:
            other.cancel()
        wait(futures)
        # a process that died took the list of what it wrote: read them all again for the index
        indexing.mark(package_id for (package_id,) in model.Session.query(HarvestObject.package_id)
                      .filter(HarvestObject.id.in_(object_ids)).filter(HarvestObject.package_id.isnot(None)))
        if isinstance(exc, BrokenProcessPool):
            raise ImportProcessLost("書き込みプロセスが異常終了しました (ログを参照) / an import process ended "
                                    "abruptly or could not start (see the log)") from exc
        raise
    if failed is not None:
        failed.raise_error()
    return timed_out


def run_job(app: Any, job_id: str, label: str, time_limit: float, progress: ProgressCounters,
             importers: Importers) -> SourceResult:
    """Gather one job in this thread, import its records on the run's import
    threads (``importer``); always finish it."""
    with app.test_request_context():
        started = time.monotonic()
        deadline = started + time_limit if time_limit else None
        limit = TimeLimit(deadline) if deadline is not None else None
        token = LIMIT.set(limit)
        timed_out = False
        index_error = None
        progress.update(start=label)
        try:
            job = HarvestJob.get(job_id)
            try:
                harvester = harvesters_by_type().get(job.source.type)
                if harvester is None:
                    raise _NotRunnable(f"収集元の種類 {job.source.type} のハーベスターがありません "
                                       f"(no harvester plugin for source type {job.source.type} is enabled)")
                refused = guard.refusal(job.source.type)
                if refused:  # not one of ours: it would fetch without the address guard
                    raise _NotRunnable(refused)
                job.status = "Running"
                job.save()
                ids = queue.gather_stage(harvester, job) or []
                # the limit stops the reading; what was read in time is imported,
                # within as long again (no request is made while importing)
                read_timed_out = limit is not None and limit.reached
                import_deadline = time.monotonic() + time_limit if time_limit else None
                model.Session.commit()  # what the gather wrote, for the import threads to read
                try:
                    importer = importers.for_records(len(ids))
                    timed_out = import_objects(app, harvester, ids, import_deadline, progress, importer)
                finally:
                    model.Session.expire_all()  # the import threads wrote the objects and the job's errors
                try:
                    indexing.flush()
                    if importers.for_records(len(ids)) is importers.processes:  # what they sent, found now
                        indexing.commit()
                except indexing.IndexingFailed as exc:
                    index_error = str(exc)
                if timed_out:
                    discarded = _discard_unprocessed(job.id)
                    _finish(job, f"時間制限 {time_limit:g} 秒を超えたため中断しました。取り込まなかった "
                                 f"{discarded} 件は次回再収集し、削除は行いません (time limit of "
                                 f"{time_limit:g} s exceeded; {discarded} records not imported, "
                                 f"no dataset withdrawn)")
                else:  # a read stopped by the limit already has its gather error
                    _finish(job, index_error and INDEX_FAILED, index_error)
                timed_out = timed_out or read_timed_out
            except _NotRunnable as exc:
                _finish(job, str(exc), read_failure=True)
            except Exception as exc:
                log.exception("harvest job %s (%s) failed", job_id, label)
                model.Session.rollback()
                job = HarvestJob.get(job_id)
                _finish(job, "予期しないエラーで中断しました / the run of this source stopped on an "
                             "unexpected error", repr(exc), read_failure=not job.objects)
            result = result_of(job, started, timed_out)
        finally:
            LIMIT.reset(token)
            model.Session.remove()
            indexing.release()  # also what a failed import noted: it is read as it is
        progress.update(end=label, ok=result.ok)
        return result


def create_jobs(sources: list[HarvestSource], now: dt.datetime, schedule: bool) -> list[str]:
    """One New job per source, recorded under :data:`JOBS_KEY`, in one commit."""
    jobs = []
    for source in sources:
        job = HarvestJob(source_id=source.id, status="New")
        model.Session.add(job)
        jobs.append(job)
        if schedule and source.frequency and source.frequency != "MANUAL":
            source.next_run = next_run(source.frequency, now)
    model.Session.flush()
    ids = [job.id for job in jobs]
    set_system_info(JOBS_KEY, json.dumps(ids))
    model.Session.commit()  # jobs, next_run and the list together
    return ids


