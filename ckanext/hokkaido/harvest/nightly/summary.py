"""What a night did, per source and in total: the report, its text (the
summary printed and mailed) and the mail to the operators."""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
import time
from typing import Any, Optional

import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit
from ckanext.harvest.model import HarvestJob, HarvestSource

from ckanext.hokkaido.harvest.nightly.schedule import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    utcnow,
)
from ckanext.hokkaido.harvest.outcome import RunOutcome
from ckanext.hokkaido.harvest.report import COUNTERS, job_report

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
    """A municipality whose status changed, the statuses as the summary
    prints them (「公開中 (publishing)」, ``(none)`` before the first)."""

    code: str
    name: str
    before: str
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
        seconds = ((self.finished or utcnow()) - self.started).total_seconds()
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
        lines += [f"  {c.code} {c.name}: {c.before} -> {c.after}" for c in self.changes] \
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


def label_of(source: HarvestSource) -> str:
    """A source's name (its dataset's), else its id."""
    package = model.Package.get(source.id)
    return package.name if package is not None else source.id


def _with_detail(error: dict[str, Any]) -> str:
    return error["message"] + (f" [{error['detail']}]" if error.get("detail") else "")


def result_of(job: HarvestJob, started: float, timed_out: bool) -> SourceResult:
    report = job_report(job, with_detail=True)  # the summary is for operators
    problems = report["errors"]
    counters = report["counters"]
    outcome = RunOutcome(  # the rule the tracker reads runs by (harvest/outcome.py)
        gather_errors=sum(1 for e in problems if e["stage"] == "Gather" and e["identifier"] is None),
        records=counters["found"], records_errored=counters["errored"])
    source = job.source
    return SourceResult(
        source_id=source.id, name=label_of(source),
        title=source.title or "", url=source.url, job_id=job.id,
        ok=not (outcome.failed or timed_out), counters=counters,
        first_error=_with_detail(problems[0]) if problems else None, errors=len(problems),
        seconds=time.monotonic() - started, timed_out=timed_out)


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
