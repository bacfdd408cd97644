"""The progress line long commands write on stderr, one class for all of
them: rewritten in place on a terminal (at most 5 times a second), and on
cron or the journal (no terminal) only at milestones — every ``every``
items of a count, the last one, or a line the caller marks — so that logs
stay readable."""
from __future__ import annotations

import sys
import threading
import time

import click

__all__ = ["ProgressLine"]


class ProgressLine:
    """``count(done, total, detail)`` for a count of items (the import, the
    tables); calling it with ``(line, milestone)`` for free text (the
    nightly harvest's sources, from several threads)."""

    def __init__(self, label: str = "", every: int = 100) -> None:
        self.label = label
        self.every = every
        self.tty = sys.stderr.isatty()
        self.lock = threading.Lock()
        self.last = 0.0

    def count(self, done: int, total: int, detail: str) -> None:
        self(f"{self.label} {done}/{total} {detail}", done == total or done % self.every == 0, last=done == total)

    def __call__(self, line: str, milestone: bool, last: bool = False) -> None:
        with self.lock:
            if self.tty:
                now = time.monotonic()
                if milestone or now - self.last > 0.2:
                    self.last = now
                    click.echo("\r\033[K" + line, nl=last, err=True)
            elif milestone:
                click.echo(line, err=True)

    def close(self) -> None:
        if self.tty:
            click.echo("", err=True)
