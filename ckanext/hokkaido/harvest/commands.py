"""``ckan hokkaido harvest``: the nightly harvest, for cron and systemd timers.

Thin: the work is in :mod:`ckanext.hokkaido.harvest.nightly`. Made by
:func:`harvest_command` and registered on the ``ckan hokkaido`` group in
:mod:`ckanext.hokkaido.cli`, which hands it the tracker's snapshot.
"""
from __future__ import annotations

import logging
import sys
import traceback
from typing import Any, Callable, Optional

import click

from ckan.plugins import toolkit

from ckanext.hokkaido.progress import ProgressLine

__all__ = ["harvest_command"]

log = logging.getLogger(__name__)


def harvest_command(snapshot: Callable[[], Any]) -> click.Command:
    """The ``harvest`` command; ``snapshot`` takes the day's publishing
    snapshot after the run (the tracker's, handed down by
    :mod:`ckanext.hokkaido.cli`, which sits above both rooms)."""

    @click.command("harvest", short_help="夜間ハーベスト / run the harvest sources (cron-safe)")
    @click.option("--all", "all_sources", is_flag=True,
                  help="Every active source that is due by its frequency.")
    @click.option("--municipality", metavar="CODE", default=None,
                  help="The sources of one municipality (6-digit code), due or not.")
    @click.option("--source", metavar="ID", default=None,
                  help="One harvest source (id or name), due or not.")
    @click.option("--force", is_flag=True,
                  help="With --all: run every active source, due or not (MANUAL ones too).")
    @click.option("--mail", is_flag=True,
                  help="Mail the summary to ckanext.hokkaido.harvest.mail_to, else to the sysadmins.")
    @click.option("--summary-file", type=click.Path(dir_okay=False, writable=True), default=None,
                  help="Also write the summary to this file.")
    @click.option("--workers", type=click.IntRange(1, 16), default=None,
                  help="Sources harvested at once (default: ckanext.hokkaido.harvest.workers).")
    @click.option("--processes", type=click.IntRange(0, 16), default=None,
                  help="Processes that write the records, 0 for the run's threads "
                       "(default: ckanext.hokkaido.harvest.import_processes).")
    @click.pass_context
    def harvest(ctx: click.Context, all_sources: bool, municipality: Optional[str], source: Optional[str],
                force: bool, mail: bool, summary_file: Optional[str], workers: Optional[int],
                processes: Optional[int]) -> None:
        """Run harvest sources in this process (gather, fetch, import; no queue
        consumers needed), then take the day's publishing snapshot and print a
        summary for the administrators on stdout. Two runs never overlap, each
        source has a time limit (ckanext.hokkaido.harvest.source_time_limit) and
        no job is left "Running".

        Exit codes: 0 every source succeeded; 1 some failed (one FAILED line per
        source on stderr) or the summary could not be written or mailed; 2 bad
        usage; 3 another run holds the lock; 4 crash (traceback in the log).
        """
        from ckan.lib.mailer import MailerException

        from ckanext.hokkaido.harvest import nightly

        app = ctx.meta["flask_app"]
        progress = ProgressLine()
        try:
            with app.test_request_context():
                try:
                    report = nightly.run(app, all_sources=all_sources, municipality=municipality,
                                         source=source, force=force, max_workers=workers, import_in=processes,
                                         progress=progress,
                                         snapshot=snapshot)
                except nightly.UsageError as exc:
                    toolkit.error_shout(str(exc))
                    sys.exit(nightly.EXIT_USAGE)
                except nightly.LockHeld as exc:
                    toolkit.error_shout(str(exc))
                    sys.exit(nightly.EXIT_LOCKED)
                finally:
                    progress.close()
                text = report.text()
                click.echo(text, nl=False)
                for line in report.failure_lines():
                    click.secho(line, fg="red", err=True)
                code = report.exit_code
                if summary_file:
                    try:
                        with open(summary_file, "w", encoding="utf-8") as out:
                            out.write(text)
                    except OSError as exc:
                        toolkit.error_shout(f"{summary_file}: 書き込めません / cannot write: {exc}")
                        code = max(code, nightly.EXIT_FAILED)
                if mail:
                    try:
                        sent = nightly.send_mail(report)
                        click.echo(f"mailed to {', '.join(sent)}", err=True)
                    except (MailerException, nightly.UsageError) as exc:
                        toolkit.error_shout(f"要約をメールで送れませんでした / could not mail the summary: {exc}")
                        code = max(code, nightly.EXIT_FAILED)
        except Exception as exc:  # the crash exit code, with the traceback in the log
            log.exception("ckan hokkaido harvest crashed")
            click.echo(traceback.format_exc(), err=True, nl=False)  # cron mails stderr
            toolkit.error_shout(f"夜間ハーベストが異常終了しました / the harvest run crashed: {exc!r}")
            sys.exit(nightly.EXIT_CRASH)
        sys.exit(code)

    return harvest
