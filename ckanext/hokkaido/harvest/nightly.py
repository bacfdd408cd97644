"""The nightly harvest: every due source in one process, safe to run from cron.

:func:`run` is what ``ckan hokkaido harvest`` calls. One run

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
   publishing snapshot (:func:`ckanext.hokkaido.tracker.take_snapshot`)
   and returns a :class:`RunReport` whose :meth:`RunReport.text` is the
   plain-text summary to mail to administrators.

A source has *failed* when its job has a gather error (unreadable source,
bad config, time limit, interrupted) or when every record it read errored
(:class:`~ckanext.hokkaido.harvest.outcome.RunOutcome`, whose rules the
tracker reads runs by too). Record-level errors in an otherwise working
source are listed in the summary but do not fail it.
"""
from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import json
import logging
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional

import sqlalchemy as sa

from ckan import model
from ckan.lib.search import SearchIndexError
from ckan.model.system_info import get_system_info, set_system_info
from ckan.plugins import PluginImplementations, toolkit

from ckanext.harvest import queue
from ckanext.harvest.interfaces import IHarvester
from ckanext.harvest.model import (HarvestJob, HarvestObject,
                                   HarvestObjectError, HarvestObjectExtra, HarvestSource)

from ckanext.hokkaido import registry, tracker
from ckanext.hokkaido.harvest import activity, errors, guard, indexing
from ckanext.hokkaido.harvest.outcome import RunOutcome, source_municipality
from ckanext.hokkaido.harvest.base import DEADLINE, TimeLimitExceeded
from ckanext.hokkaido.harvest.report import COUNTERS, job_report

__all__ = ["EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_LOCKED", "EXIT_CRASH",
           "JOBS_KEY", "LOCK_KEY", "DUE_SLACK", "UsageError", "LockHeld", "RunLock",
           "SourceResult", "StatusChange", "RunReport", "select_sources",
           "recover_interrupted", "run", "mail_recipients", "send_mail",
           "source_time_limit", "workers"]

log = logging.getLogger(__name__)

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
    return float(toolkit.config.get("ckanext.hokkaido.harvest.source_time_limit") or 0)


def workers() -> int:
    """``ckanext.hokkaido.harvest.workers``: sources harvested at once."""
    return max(1, int(toolkit.config.get("ckanext.hokkaido.harvest.workers") or 1))


def _utcnow() -> dt.datetime:
    return dt.datetime.utcnow()


def _next_run(frequency: str, now: dt.datetime) -> Optional[dt.datetime]:
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
    return source_municipality(source.config, owner.name if owner is not None else None)


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
    now = now or _utcnow()
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
    now = _utcnow()
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


def _interrupt(job: HarvestJob, why: str) -> None:
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
    now = now or _utcnow()
    finished: list[str] = []
    previous = json.loads(get_system_info(JOBS_KEY) or "[]")
    for job_id in previous:
        job = HarvestJob.get(job_id)
        if job is not None and job.status != "Finished":
            _interrupt(job, f"前回の実行が途中で終了しました (the run that started this job at "
                            f"{job.created:%Y-%m-%d %H:%M} UTC ended before finishing it)")
            finished.append(job.id)
    busy: dict[str, str] = {}
    for source in sources:
        for job in (model.Session.query(HarvestJob).filter(HarvestJob.source_id == source.id)
                    .filter(HarvestJob.status.in_(["New", "Running"]))):
            idle = (now - job.get_last_action_time()).total_seconds()
            if time_limit and idle > time_limit:
                _interrupt(job, f"{idle:.0f} 秒間進捗がありません (no progress for {idle:.0f} s, "
                                f"more than the time limit of {time_limit:g} s)")
                finished.append(job.id)
            else:
                busy[source.id] = (f"別のジョブ {job.id} が実行中のためスキップしました "
                                   f"(job {job.id}, started by the queue or the web UI, is in progress "
                                   f"since {job.created:%Y-%m-%d %H:%M} UTC; skipped)")
    return finished, busy


# -- results ----------------------------------------------------------------

@dataclasses.dataclass
class SourceResult:
    """What one source's run gave."""

    source_id: str
    name: str
    title: str
    url: str
    job_id: Optional[str]
    ok: bool
    counters: dict[str, int]
    first_error: Optional[str]
    errors: int
    seconds: float
    timed_out: bool = False

    @property
    def label(self) -> str:
        return f"{self.name} ({self.title})" if self.title and self.title != self.name else self.name


@dataclasses.dataclass
class StatusChange:
    code: str
    name: str
    before: Optional[str]
    after: str


@dataclasses.dataclass
class RunReport:
    """A run's results and its plain-text summary (:meth:`text`)."""

    selection: str
    started: dt.datetime
    finished: Optional[dt.datetime] = None
    results: list[SourceResult] = dataclasses.field(default_factory=list)
    not_due: int = 0
    interrupted: list[str] = dataclasses.field(default_factory=list)
    snapshot_date: Optional[dt.date] = None
    snapshot_count: int = 0
    previous_snapshot: Optional[dt.date] = None
    changes: list[StatusChange] = dataclasses.field(default_factory=list)
    index_error: Optional[str] = None
    host: str = dataclasses.field(default_factory=socket.gethostname)
    pid: int = dataclasses.field(default_factory=os.getpid)

    @property
    def failed(self) -> list[SourceResult]:
        return [r for r in self.results if not r.ok]

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED if self.failed or self.index_error else EXIT_OK

    def totals(self) -> dict[str, int]:
        totals = dict.fromkeys(COUNTERS, 0)
        for result in self.results:
            for key in COUNTERS:
                totals[key] += result.counters.get(key, 0)
        return totals

    def subject(self) -> str:
        failed = len(self.failed)
        verdict = (f"{failed} 件失敗 / {failed} failed" if failed
                   else "すべて成功 / all succeeded")
        return f"[北海道ポータル] 夜間ハーベスト {self.started:%Y-%m-%d}: {verdict}"

    def failure_lines(self) -> list[str]:
        """One line per failing source."""
        return [f"FAILED {r.label} {r.url}: {_one_line(r.first_error or 'unknown error')}"
                for r in self.failed]

    def text(self) -> str:
        seconds = ((self.finished or _utcnow()) - self.started).total_seconds()
        totals = self.totals()
        lines = [
            "北海道ポータル 夜間ハーベスト / Hokkaido portal nightly harvest",
            f"run: {self.started:%Y-%m-%d %H:%M:%S} UTC, {seconds:.0f} s, {self.selection}, "
            f"host {self.host} pid {self.pid}",
            f"sources: {len(self.results)} run, {len(self.results) - len(self.failed)} ok, "
            f"{len(self.failed)} failed, {self.not_due} not due",
            "datasets: " + ", ".join(f"{key} {totals[key]}" for key in COUNTERS),
        ]
        if self.interrupted:
            lines.append(f"jobs of an interrupted earlier run finished as failed: {len(self.interrupted)}")
        if self.index_error:
            lines.append(f"FAILED search index: {_one_line(self.index_error)}")
        lines += ["", f"失敗した収集元 / failing sources: {len(self.failed)}"]
        lines += ["  " + line for line in self.failure_lines()] or ["  (none)"]
        with_errors = [r for r in self.results if r.ok and r.errors]
        if with_errors:
            lines += ["", "記録エラーのある収集元 / sources with record errors:"]
            lines += [f"  {r.label}: {r.errors} errors, first: {_one_line(r.first_error or '')}"
                      for r in with_errors]
        since = self.previous_snapshot.isoformat() if self.previous_snapshot else "none"
        lines += ["", f"状態が変わった市町村 / municipalities whose status changed "
                      f"(since snapshot {since}): {len(self.changes)}"]
        lines += [f"  {c.code} {c.name}: {_status(c.before)} -> {_status(c.after)}" for c in self.changes] \
            or ["  (none)"]
        if self.snapshot_date:
            lines += ["", f"snapshot {self.snapshot_date.isoformat()}: {self.snapshot_count} municipalities"]
        lines += ["", "per source:"]
        lines += [f"  {'ok  ' if r.ok else 'FAIL'} {r.label}: "
                  + " ".join(f"{key} {r.counters.get(key, 0)}" for key in COUNTERS)
                  + f" ({r.seconds:.1f} s)" for r in self.results] or ["  (no source run)"]
        return "\n".join(lines) + "\n"


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def _status(status: Optional[str]) -> str:
    if status is None:
        return "(none)"
    english = tracker.STATUSES.get(status, (status,))[0]
    return f"{status} ({english})"


def _label(source: HarvestSource) -> str:
    """A source's name (its dataset's), else its id."""
    package = model.Package.get(source.id)
    return package.name if package is not None else source.id


def _with_detail(error: dict[str, Any]) -> str:
    return error["message"] + (f" [{error['detail']}]" if error.get("detail") else "")


def _result(job: HarvestJob, started: float, timed_out: bool) -> SourceResult:
    report = job_report(job, with_detail=True)  # the summary is for operators
    problems = report["errors"]
    counters = report["counters"]
    outcome = RunOutcome(  # the rule the tracker reads runs by (harvest/outcome.py)
        gather_errors=sum(1 for e in problems if e["stage"] == "Gather" and e["identifier"] is None),
        records=counters["found"], records_errored=counters["errored"])
    source = job.source
    return SourceResult(
        source_id=source.id, name=_label(source),
        title=source.title or "", url=source.url, job_id=job.id,
        ok=not (outcome.failed or timed_out), counters=counters,
        first_error=_with_detail(problems[0]) if problems else None, errors=len(problems),
        seconds=time.monotonic() - started, timed_out=timed_out)


# -- running ----------------------------------------------------------------

def _harvesters() -> dict[str, Any]:
    return {plugin.info()["name"]: plugin for plugin in PluginImplementations(IHarvester)}


class _NotRunnable(Exception):
    """The job's source cannot run here; the message says why (public)."""


class _Progress:
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


def _fetch_and_import(harvester: Any, obj: HarvestObject) -> None:
    """Fetch and import one record: the states, times and report statuses of
    ckanext-harvest's ``queue.fetch_and_import_stages``, written with the
    import's own commit (and at most one more), instead of a commit for each
    step. When one of our harvesters says it recorded the outcome with the
    dataset (:class:`~ckanext.hokkaido.harvest.base.ImportOutcome`), nothing
    more is written."""
    fetch_started = _utcnow()
    obj.state = "FETCH"
    fetched = harvester.fetch_stage(obj)
    times = {"fetch_started": fetch_started, "fetch_finished": _utcnow()}
    imported: bool | str = False
    if fetched is True:
        times["import_started"] = _utcnow()
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
        times["import_finished"] = _utcnow()
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


def _run_job(app: Any, job_id: str, label: str, time_limit: float, progress: _Progress) -> SourceResult:
    """Gather, fetch and import one job in this thread; always finish it."""
    with app.test_request_context():
        started = time.monotonic()
        deadline = started + time_limit if time_limit else None
        token = DEADLINE.set(deadline)
        timed_out = False
        index_error = None
        progress.update(start=label)
        try:
            job = HarvestJob.get(job_id)
            try:
                harvester = _harvesters().get(job.source.type)
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
                read_timed_out = deadline is not None and time.monotonic() > deadline and any(
                    TimeLimitExceeded.default_message_ja in (e.message or "") for e in job.gather_errors)
                import_deadline = time.monotonic() + time_limit if time_limit else None
                for done, object_id in enumerate(ids, start=1):
                    if import_deadline is not None and time.monotonic() > import_deadline:
                        timed_out = True
                        break
                    # the gather made it in this session: no query when it is still held
                    _fetch_and_import(harvester, model.Session.get(HarvestObject, object_id))
                    indexing.release()  # committed: now they may be read for the index
                    progress.update(records=1)
                    if done % INDEX_BATCH == 0:
                        indexing.flush()
                try:
                    indexing.flush()
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
            result = _result(job, started, timed_out)
        finally:
            DEADLINE.reset(token)
            model.Session.remove()
            indexing.release()  # also what a failed import noted: it is read as it is
        progress.update(end=label, ok=result.ok)
        return result


def _create_jobs(sources: list[HarvestSource], now: dt.datetime, schedule: bool) -> list[str]:
    """One New job per source, recorded under :data:`JOBS_KEY`, in one commit."""
    jobs = []
    for source in sources:
        job = HarvestJob(source_id=source.id, status="New")
        model.Session.add(job)
        jobs.append(job)
        if schedule and source.frequency and source.frequency != "MANUAL":
            source.next_run = _next_run(source.frequency, now)
    model.Session.flush()
    ids = [job.id for job in jobs]
    set_system_info(JOBS_KEY, json.dumps(ids))
    model.Session.commit()  # jobs, next_run and the list together
    return ids


def _take_snapshot(report: RunReport) -> None:
    """The day's snapshot, taken and read through the tracker (the one
    writer of its table), and what changed since the previous one."""
    today = dt.date.today()
    previous = tracker.previous_snapshot_date(today)
    before = tracker.snapshot_statuses(previous) if previous else {}
    report.snapshot_count = tracker.take_snapshot(today)
    report.snapshot_date = today
    report.previous_snapshot = previous
    after = tracker.snapshot_statuses(today)
    report.changes = [StatusChange(code, registry.name_of(code) or code, before.get(code), status)
                      for code, status in sorted(after.items())
                      if previous is not None and before.get(code) != status]


def run(app: Any, *, all_sources: bool = False, municipality: Optional[str] = None,
        source: Optional[str] = None, force: bool = False, max_workers: Optional[int] = None,
        time_limit: Optional[float] = None, progress: Optional[Progress] = None) -> RunReport:
    """Run the selected sources (see the module docs) and take the snapshot.

    :param app: the Flask app; each worker thread runs in its request context.
    :raises UsageError: before anything is locked or written.
    :raises LockHeld: when another run holds the lock (nothing written).
    """
    selection = ("--all" + (" --force" if force else "") if all_sources
                 else f"--municipality {municipality}" if municipality else f"--source {source}")
    now = _utcnow()
    time_limit = source_time_limit() if time_limit is None else time_limit
    max_workers = max_workers or workers()
    report = RunReport(selection=selection, started=now)
    select_sources(all_sources=all_sources, municipality=municipality, source=source,
                   force=force, now=now)  # usage errors before taking the lock
    with RunLock():
        try:
            with indexing.deferred(), activity.shared_with_index():
                _run_selected(app, report, all_sources, municipality, source, force, now,
                              time_limit, max_workers, progress)
        except indexing.IndexingFailed as exc:
            report.index_error = str(exc)
        _take_snapshot(report)
        errors.prune()  # details of errors that went with a cleared source or job
        report.finished = _utcnow()
    return report


def _run_selected(app: Any, report: RunReport, all_sources: bool, municipality: Optional[str],
                  source: Optional[str], force: bool, now: dt.datetime, time_limit: float,
                  max_workers: int, progress: Optional[Progress]) -> None:
    """Recover what a killed run left, then run the selected sources' jobs."""
    model.Session.rollback()  # see what the previous run left, not an older snapshot
    sources, report.not_due = select_sources(all_sources=all_sources, municipality=municipality,
                                             source=source, force=force, now=now)
    report.interrupted, busy = recover_interrupted(sources, time_limit, now)
    labels = {src.id: _label(src) for src in sources}
    for src in sources:
        if src.id in busy:
            report.results.append(SourceResult(
                src.id, labels[src.id], src.title or "", src.url, None, False,
                dict.fromkeys(COUNTERS, 0), busy[src.id], 1, 0.0))
    runnable = [s for s in sources if s.id not in busy]
    job_ids = _create_jobs(runnable, now, schedule=all_sources)
    source_of = dict(zip(job_ids, (s.id for s in runnable)))
    tracked = _Progress(len(job_ids), progress)
    try:
        with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="hokkaido-harvest") as pool:
            futures = [pool.submit(_run_job, app, job_id, labels[source_of[job_id]], time_limit, tracked)
                       for job_id in job_ids]
            report.results += [future.result() for future in futures]
    finally:
        _finish_leftovers(job_ids)


def _finish_leftovers(job_ids: list[str]) -> None:
    """Whatever happened, no job of this run stays New or Running."""
    model.Session.rollback()
    for job_id in job_ids:
        job = HarvestJob.get(job_id)
        if job is not None and job.status != "Finished":
            _interrupt(job, "実行が異常終了しました (the run stopped with an unexpected error)")
    set_system_info(JOBS_KEY, "[]")


# -- mail -------------------------------------------------------------------

def mail_recipients() -> list[str]:
    """``ckanext.hokkaido.harvest.mail_to``, else the sysadmins' addresses."""
    configured = toolkit.config.get("ckanext.hokkaido.harvest.mail_to") or []
    if isinstance(configured, str):
        configured = configured.split()
    if configured:
        return list(configured)
    rows = (model.Session.query(model.User.email).filter(model.User.sysadmin == sa.true())
            .filter(model.User.state == "active").filter(model.User.email.isnot(None))
            .filter(model.User.email != "").order_by(model.User.name))
    return [email for (email,) in rows]


def send_mail(report: RunReport) -> list[str]:
    """Mail the summary through CKAN's mailer; returns the addresses.

    :raises ckan.lib.mailer.MailerException: when a mail cannot be sent.
    :raises UsageError: when there is nobody to send it to.
    """
    from ckan.lib.mailer import mail_recipient

    recipients = mail_recipients()
    if not recipients:
        raise UsageError("送信先がありません。ckanext.hokkaido.harvest.mail_to を設定するか、"
                         "システム管理者にメールアドレスを登録してください (no recipient: set "
                         "ckanext.hokkaido.harvest.mail_to or give a sysadmin an e-mail address)")
    body = report.text()
    for address in recipients:
        mail_recipient(address, address, report.subject(), body)
    return recipients
