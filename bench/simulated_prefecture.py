"""Benchmark: one nightly run over a simulated prefecture, then the tracker checked.

Serves the portals of up to 179 municipalities, about DATASETS datasets in
all (default 20,000), from one HTTP server on 127.0.0.1 in this process,
each portal under its own path prefix and in its real format (the fixture
servers of the harvester tests; the mix is described and built in
bench/simulated_portals.py): own CKAN portals (札幌市 holds 8% of the
datasets), a BODIK-like shared CKAN read with one ``fq`` source per
municipality, one shared HARP (SHIRASAGI) portal attributed by area,
ArcGIS Hub DCAT feeds, オープンデータ一覧 catalog files (CSV in three
encodings, XLSX, both templates) and web pages; portals that answer 500,
time out, lost their file or show a maintenance page; municipalities whose
data is all older than 14 months; some with a "publishes elsewhere" record;
the rest with nothing.

Then, against the portal of ``--ini`` (default test.ini; its database and
Solr core are EMPTIED first, with the helpers of bench/harvest_side_by_side.py,
through a config overlay with ``min_delay = 0``, ``retries = 0``, no
per-source time limit unless ``--source-time-limit``, ``timeout`` from
``--timeout``; ``--min-delay`` sets ``min_delay`` to see what politeness costs):

1. ``ckan hokkaido init`` (the 180 organizations);
2. the harvest sources, registered with ``harvest_source_create`` (our
   ``hokkaido_*`` types, DAILY, owned by the municipality or, for HARP, by
   北海道), and the "publishes elsewhere" records with
   ``hokkaido_municipality_set_elsewhere``;
3. **timed**: ``ckan hokkaido harvest --all [--workers N] [--processes N]``
   as a child process, the real nightly command (due sources in a thread
   pool, the records written by its threads or import processes, the
   snapshot afterwards); wall time, datasets created per second, peak RSS
   (of the largest process, ``wait4``, and of the command's processes
   together, sampled every second) and the CPU each part of the machine
   used are printed, with a progress line every ``--progress``
   seconds;
4. checks: the harvest's exit code (1: some sources failed) and its FAILED
   sources against the failing portals served; each municipality's status
   from ``hokkaido_municipality_list`` and its dataset count against what
   was served, the day's snapshot against the list; prints the count per
   status (expected / got) and every mismatch with the municipality's
   sources and errors (``hokkaido_municipality_show``). Exit 1 on any
   mismatch.

Needs the services (``make services``). Start small, then grow::

    .venv/bin/python bench/simulated_prefecture.py --datasets 500
    .venv/bin/python bench/simulated_prefecture.py [--datasets 20000] [--municipalities 179]
        [--workers N] [--processes N] [--ini test.ini]   (default: as setup configures this machine) [--timeout 5] [--seed 179]
        [--min-delay 0] [--source-time-limit 0] [--progress 30]

All portals share one host (127.0.0.1:port). The harvester's politeness
limits (``ckanext.hokkaido.harvest.min_delay``, two requests in flight per
host) belong to each source's own HTTP client, so they never throttle one
source against another even on one host (nor, in production, two sources
on one shared portal). ``min_delay`` is 0 unless ``--min-delay``: with the
production 1 s a SHIRASAGI source (one ``package_show`` per dataset) is held
to one dataset a second: ``--datasets 2000 --min-delay 1 --source-time-limit
120`` shows the shared HARP source (620 datasets) stopped by the time limit
before its gather ends, and its municipalities left 未確認.
"""
from __future__ import annotations

import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.harvest_side_by_side import CKAN, child, reset_target, write_ini  # noqa: E402
from bench.simulated_portals import (ROLES, STATUS_ORDER, UNKNOWN, Prefecture, change_night,  # noqa: E402
                                     install, plan_prefecture)
from tests.fakes.portal_server import PortalServer  # noqa: E402

STATUS_EN = {"公開中": "publishing", "更新停滞": "stale", "他サイトで公開": "publishes elsewhere",
             "取得エラー": "harvest error", "未確認": "unknown"}


def say(text: str = "") -> None:
    print(text, flush=True)


def describe(prefecture: Prefecture, server: PortalServer, seconds: float) -> None:
    by_role: dict[str, list] = collections.defaultdict(list)
    for m in prefecture.municipalities.values():
        by_role[m.role].append(m)
    say(f"served on {server.url}: {len(prefecture.sources)} harvest sources, "
        f"{prefecture.datasets} datasets for Hokkaido ({prefecture.prefecture_datasets} of them 北海道's own "
        f"on HARP) + {prefecture.other_prefecture_datasets} of other prefectures on the shared CKAN; "
        f"{len(server._routes)} paths, built in {seconds:.1f} s")
    say()
    say("| role | municipalities | datasets | expected status |")
    say("|---|---:|---:|---|")
    for role, (_, _, what) in ROLES.items():
        members = by_role.get(role, [])
        if not members:
            continue
        expected = collections.Counter(m.expected for m in members)
        say(f"| {role}: {what} | {len(members)} | {sum(m.datasets for m in members)} | "
            + ", ".join(f"{s} {n}" for s, n in expected.most_common()) + " |")
    say()


def register(prefecture: Prefecture) -> None:
    from ckan.plugins import toolkit

    site = toolkit.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    context = lambda: {"user": site, "ignore_auth": True}  # noqa: E731
    for source in prefecture.sources:
        toolkit.get_action("harvest_source_create")(context(), source.create_dict())
    for m in prefecture.municipalities.values():
        if m.elsewhere:
            toolkit.get_action("hokkaido_municipality_set_elsewhere")(context(), {
                "id": m.code, "url": m.elsewhere, "note": "自治体サイトで公開（ベンチマーク）"})


def service_cpu() -> dict[str, float]:
    """CPU seconds (user + system) used so far by PostgreSQL (the server and
    the backends it reaped) and Solr, from ``/proc``; what a night costs
    them is the difference of two readings."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"postgresql": 0.0, "solr": 0.0}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read()
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        part = ("postgresql" if cmdline.startswith(b"postgres") or b"/postgres\0" in cmdline
                else "solr" if b"java" in cmdline and b"olr" in cmdline else None)
        if part:  # utime, stime, cutime, cstime
            used[part] += sum(int(x) for x in fields[11:15]) / tick
    return used


class HarvestRun:
    """``ckan hokkaido harvest --all`` as a child process: stdout to a file,
    stderr read line by line (its progress lines kept, anything else shown),
    a progress line of ours every ``every`` seconds."""

    SHOWN = 10  #: stderr lines shown as they come (the failing portals' warnings, say)

    def __init__(self, ini: str, workers: int | None, server: PortalServer, every: float,
                 force: bool = False, processes: int | None = None) -> None:
        # later nights come minutes after the first, not a day: --force runs the DAILY sources again
        self.argv = [CKAN, "-c", ini, "hokkaido", "harvest", "--all"] + (["--force"] if force else []) + (
            ["--workers", str(workers)] if workers else []) + (
            ["--processes", str(processes)] if processes is not None else [])
        self.peak_together = 0.0  # MB, the command and its import processes
        self.server = server
        self.every = every
        self.last_progress = "(no source started yet)"
        self.other_lines: list[str] = []
        self.done = threading.Event()

    def _read_stderr(self, stream) -> None:
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip()
            if line.startswith("収集 / harvest:"):
                self.last_progress = line
            elif line and not line.startswith("FAILED "):  # FAILED lines are in the summary too
                self.other_lines.append(line)
                if len(self.other_lines) <= self.SHOWN:
                    say(f"    harvest stderr: {line[:240]}")

    def _sample_rss(self, pid: int) -> None:
        """Sum the resident memory of the command and its descendants every second."""
        page = os.sysconf("SC_PAGE_SIZE")
        while not self.done.wait(1.0):
            family, total = {pid}, 0
            for entry in sorted(filter(str.isdigit, os.listdir("/proc")), key=int):
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(entry) in family or int(fields[1]) in family:  # ppid
                    family.add(int(entry))
                    total += int(fields[21]) * page  # rss in pages
            self.peak_together = max(self.peak_together, total / 2 ** 20)

    def _tick(self, started: float) -> None:
        from ckan import model
        import sqlalchemy as sa

        while not self.done.wait(self.every):
            with model.meta.engine.connect() as connection:
                datasets = connection.execute(sa.text(
                    "SELECT count(*) FROM package WHERE type = 'dataset' AND state = 'active'")).scalar()
            elapsed = time.perf_counter() - started
            say(f"  [{elapsed:7.0f} s] {datasets} datasets in the portal ({datasets / elapsed:.1f}/s), "
                f"{len(self.server.requests)} portal requests; {self.last_progress[:160]}")

    def run(self) -> tuple[float, float, int, str]:
        """Wall seconds, peak RSS (MB), exit code and stdout; the CPU seconds
        of each part of the machine are left in :attr:`cpu`."""
        with tempfile.TemporaryFile() as out:
            services, own = service_cpu(), os.times()
            started = time.perf_counter()
            process = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.PIPE, cwd=ROOT)
            reader = threading.Thread(target=self._read_stderr, args=(process.stderr,), daemon=True)
            ticker = threading.Thread(target=self._tick, args=(started,), daemon=True)
            sampler = threading.Thread(target=self._sample_rss, args=(process.pid,), daemon=True)
            reader.start()
            ticker.start()
            sampler.start()
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
            self.done.set()
            after, own_after = service_cpu(), os.times()
            self.cpu = {"harvest": usage.ru_utime + usage.ru_stime,
                        **{part: after[part] - services[part] for part in after},
                        "portals served": (own_after.user + own_after.system) - (own.user + own.system)}
            reader.join(5)
            out.seek(0)
            text = out.read().decode("utf-8", "replace")
        return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), text


def summary_figures(text: str) -> dict:
    """Counters, FAILED source names and per-source seconds from the summary."""
    figures = {"counters": {}, "failed": [], "per_source": []}
    match = re.search(r"^datasets: (.*)$", text, re.M)
    if match:
        figures["counters"] = {k: int(v) for k, v in re.findall(r"(\w+) (\d+)", match.group(1))}
    match = re.search(r"^sources: (\d+) run, (\d+) ok, (\d+) failed", text, re.M)
    if match:
        figures["sources"] = tuple(int(x) for x in match.groups())
    figures["failed"] = sorted(re.findall(r"^\s+FAILED (\S+) ", text, re.M))
    figures["per_source"] = [(name, float(seconds)) for name, seconds in
                             re.findall(r"^\s+(?:ok  |FAIL) (\S+).*\(([\d.]+) s\)$", text, re.M)]
    return figures


def check(prefecture: Prefecture) -> tuple[list[str], dict[str, collections.Counter]]:
    """Compare the tracker with what was served; the mismatch lines and the
    count per status, expected and got."""
    import datetime as dt

    import sqlalchemy as sa
    from ckan import model
    from ckan.plugins import toolkit

    model.Session.rollback()
    rows = {r["code"]: r for r in toolkit.get_action("hokkaido_municipality_list")({"user": ""}, {})
            if not r["is_prefecture"]}
    snapshot = dict(model.Session.execute(sa.text(
        "SELECT code, status FROM hokkaido_status_snapshot WHERE snapshot_date = :d"),
        {"d": dt.date.today()}).fetchall())
    counts = {"expected": collections.Counter(), "got": collections.Counter()}
    problems = []
    for code, m in sorted(prefecture.municipalities.items()):
        row = rows.get(code)
        got = row["status"] if row else "(missing)"
        counts["expected"][m.expected] += 1
        counts["got"][got] += 1
        wrong = []
        if got != m.expected:
            wrong.append(f"status {got}, expected {m.expected}")
        if row and row["dataset_count"] != m.datasets:
            wrong.append(f"{row['dataset_count']} datasets, {m.datasets} served")
        if snapshot.get(code) != got:
            wrong.append(f"today's snapshot says {snapshot.get(code)}")
        if not wrong:
            continue
        problems.append(f"{code} {m.name} [{m.role}]: " + "; ".join(wrong)
                        + f" (newest served {m.newest}, tracker newest {row and row['newest_modified']})")
        shown = toolkit.get_action("hokkaido_municipality_show")({"user": ""}, {"id": code})
        for source in shown["sources"]:
            run = source["last_run"] or {}
            problems.append(f"    source {source['title']} {source['url']}: last run "
                            f"{'ok' if run.get('ok') else 'FAILED' if run else 'none'}, "
                            f"{run.get('objects', 0)} objects, {run.get('objects_errored', 0)} errored")
            for error in (run.get("errors") or [])[:3]:
                problems.append(f"        {error['stage']} {error['identifier'] or ''}: {error['message'][:240]}")
    extra = set(rows) - set(prefecture.municipalities)
    if extra:
        problems.append(f"the tracker lists codes that are not municipalities: {sorted(extra)}")
    return problems, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=20000, help="datasets served in all (default 20000)")
    parser.add_argument("--municipalities", type=int, default=179,
                        help="municipalities taking part (the others publish nothing; default 179)")
    # by default what scripts/setup.sh writes into a portal's ini on this machine
    # (scripts/common.sh: one import process per core, at most 4, and one more source read at once)
    cores = os.cpu_count() or 1
    processes = min(4, cores) if cores > 1 else 0
    parser.add_argument("--processes", type=int, default=processes,
                        help=f"processes that write the records (default as setup writes it here: {processes})")
    parser.add_argument("--workers", type=int, default=processes + 1 if processes else 2,
                        help="sources harvested at once (default as setup writes it here: "
                             f"{processes + 1 if processes else 2})")
    parser.add_argument("--ini", default=os.path.join(ROOT, "test.ini"),
                        help="config of the harvesting portal; its database is emptied (default test.ini)")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="ckanext.hokkaido.harvest.timeout; the slow portals answer 5 s later (default 5)")
    parser.add_argument("--source-time-limit", type=float, default=0,
                        help="ckanext.hokkaido.harvest.source_time_limit in seconds (default 0: none)")
    parser.add_argument("--min-delay", type=float, default=0,
                        help="ckanext.hokkaido.harvest.min_delay in seconds (default 0; production: 1)")
    parser.add_argument("--seed", type=int, default=179, help="random seed of the prefecture (default 179)")
    parser.add_argument("--progress", type=float, default=30.0, help="seconds between progress lines")
    parser.add_argument("--nights", type=int, default=1,
                        help="nights to run; between two, 5%% of the datasets are re-published with a new "
                             "date and a few sources change (default 1)")
    parser.add_argument("--changed", type=float, default=0.05,
                        help="share of the datasets re-published between two nights (default 0.05)")
    args = parser.parse_args()

    ini = write_ini(os.path.abspath(args.ini), {
        "ckanext.hokkaido.harvest.timeout": f"{args.timeout:g}",
        "ckanext.hokkaido.harvest.source_time_limit": f"{args.source_time_limit:g}",
        "ckanext.hokkaido.harvest.min_delay": f"{args.min_delay:g}",
    }, prefix="bench-prefecture-")
    try:
        return run(args, ini)
    finally:
        os.unlink(ini)


def run(args: argparse.Namespace, ini: str) -> int:
    start = time.perf_counter()
    prefecture = plan_prefecture(args.datasets, args.municipalities, args.seed)
    with PortalServer() as server:
        install(prefecture, server, timeout=args.timeout, seed=args.seed)
        describe(prefecture, server, time.perf_counter() - start)

        step = time.perf_counter()
        reset_target(ini)
        child(CKAN, "-c", ini, "hokkaido", "init")
        say(f"target {os.path.basename(args.ini)} emptied (db clean/init/upgrade, search-index clear) and "
            f"`ckan hokkaido init` run in {time.perf_counter() - step:.1f} s")

        from ckan.cli import load_config
        from ckan.config.middleware import make_app

        app = make_app(load_config(ini))
        with app._wsgi_app.test_request_context():
            step = time.perf_counter()
            register(prefecture)
            say(f"{len(prefecture.sources)} harvest sources and "
                f"{sum(1 for m in prefecture.municipalities.values() if m.elsewhere)} elsewhere records "
                f"registered in {time.perf_counter() - step:.1f} s")

        harvest = HarvestRun(ini, args.workers, server, args.progress, processes=args.processes)
        say(f"running: ckan -c <overlay of {os.path.basename(args.ini)}> {' '.join(harvest.argv[3:])}")
        seconds, peak, exit_code, text = harvest.run()
        requests_served = len(server.requests)
        server_errors = list(server.errors)
        if args.nights < 2:
            return report_night(args, prefecture, app, 1, seconds, peak, exit_code, text, requests_served,
                                server_errors, cpu=harvest.cpu, together=harvest.peak_together)
        worst = report_night(args, prefecture, app, 1, seconds, peak, exit_code, text, requests_served,
                             server_errors, cpu=harvest.cpu, together=harvest.peak_together)
        walls = [f"night 1 {seconds:.1f} s ({prefecture.datasets} new)"]
        for night in range(2, args.nights + 1):
            changes = change_night(prefecture, server, night, share=args.changed, timeout=args.timeout)
            changed = changes["redated"] + changes["interval"] + changes["future"]
            say()
            say(f"night {night}: the portals changed: {changes['redated']} datasets re-published with a new "
                f"date, {changes['interval']} dated R/P1D, {changes['future']} dated 2204, "
                f"{changes['failing']} web page answering 500 from now on")
            before = len(server.requests)
            later = HarvestRun(ini, args.workers, server, args.progress, force=True, processes=args.processes)
            seconds_n, peak_n, exit_n, text_n = later.run()
            worst |= report_night(args, prefecture, app, night, seconds_n, peak_n, exit_n, text_n,
                                  len(server.requests) - before, list(server.errors), expected_updates=changed,
                                  cpu=later.cpu, together=later.peak_together)
            walls.append(f"night {night} {seconds_n:.1f} s ({changed} changed)")
        say("wall time per night: " + ", ".join(walls))
        return worst


def report_night(args: argparse.Namespace, prefecture: Prefecture, app, night: int, seconds: float, peak: float,
                 exit_code: int, text: str, requests_served: int, server_errors: list[str], *,
                 expected_updates: int | None = None, cpu: dict[str, float] | None = None,
                 together: float = 0.0) -> int:
    """Print one night's figures and check the tracker against what was
    served; 1 on any mismatch. Night 1 creates every dataset; a later night
    updates exactly the records whose content or date changed."""

    figures = summary_figures(text)
    created = figures["counters"].get("created", 0)
    updated = figures["counters"].get("updated", 0)
    say()
    say(f"== night {night} ==")
    # the command's summary, without its one line per source
    say(text.split("\nper source:")[0].rstrip())
    say(f"per source: {len(figures['per_source'])} lines not shown")
    say()

    mismatches: list[str] = []
    expected_failed = sorted(s.name for s in prefecture.sources if s.fails)
    if figures["failed"] != expected_failed:
        mismatches.append(f"FAILED sources {figures['failed']}, expected {expected_failed}")
    expected_exit = 1 if expected_failed else 0
    if exit_code != expected_exit:
        mismatches.append(f"harvest exit code {exit_code}, expected {expected_exit}")
    if expected_updates is None and created != prefecture.datasets:
        mismatches.append(f"harvest created {created} datasets, {prefecture.datasets} served")
    if expected_updates is not None and (created, updated) != (0, expected_updates):
        mismatches.append(f"harvest created {created} and updated {updated} datasets; "
                          f"{expected_updates} records were re-published")
    if server_errors:
        mismatches.append(f"{len(server_errors)} portal handlers raised; first:\n{server_errors[0]}")

    with app._wsgi_app.test_request_context():
        problems, counts = check(prefecture)
    mismatches += problems

    say("| status | expected | got |")
    say("|---|---:|---:|")
    for status in STATUS_ORDER:
        say(f"| {status} ({STATUS_EN[status]}) | {counts['expected'][status]} | {counts['got'][status]} |")
    others = {s: n for s, n in counts["got"].items() if s not in STATUS_ORDER}
    for status, n in others.items():
        say(f"| {status} | 0 | {n} |")
    say(f"| total | {sum(counts['expected'].values())} | {sum(counts['got'].values())} |")
    say()
    slowest = sorted(figures["per_source"], key=lambda x: -x[1])[:4]
    rate = (publishing := sum(counts["got"][s] for s in ("公開中", "更新停滞", "他サイトで公開"))) / 179
    say(f"scale: {args.municipalities} municipalities taking part, {len(prefecture.sources)} sources, "
        f"{prefecture.datasets} datasets served; workers {args.workers}, import processes "
        f"{args.processes}, min_delay "
        f"{args.min_delay:g} s, source time limit {args.source_time_limit or 'none'}")
    say(f"night {night} (ckan hokkaido harvest --all): {seconds:.1f} s wall, {created} datasets created, "
        f"{updated} updated, {(created + updated) / seconds:.2f} datasets/s, peak RSS {peak:.0f} MB "
        f"(the command's processes together: {together:.0f} MB), "
        f"exit code {exit_code}, {requests_served} portal requests")
    if cpu:  # what bounds the rate on this machine: CPU seconds per part, per dataset written
        written = max(1, created + updated)
        say(f"CPU during the night ({os.cpu_count()} cores, {os.cpu_count() * seconds:.0f} core-seconds): "
            + ", ".join(f"{part} {used:.1f} s ({1000 * used / written:.1f} ms/dataset)" for part, used in cpu.items())
            + f"; total {sum(cpu.values()) / (os.cpu_count() * seconds):.0%} of the machine")
    say("slowest sources: " + ", ".join(f"{name} {s:.0f} s" for name, s in slowest))
    say(f"実施率 {publishing}/179 = {rate:.1%}; "
        f"{counts['got'][UNKNOWN]} municipalities 未確認")
    say()
    if mismatches:
        say(f"MISMATCHES ({len([m for m in mismatches if not m.startswith('    ')])}):")
        for line in mismatches:
            say(f"  {line}")
        return 1
    say("every municipality's status and dataset count match what was served")
    return 0


if __name__ == "__main__":
    sys.exit(main())
