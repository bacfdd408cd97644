"""``ckan hokkaido ...`` commands. Thin: the work lives in the rooms
(``inventory``, ``harvest``, ``tables``, ``tracker`` …) and in the portal's
outbound client (:mod:`ckanext.hokkaido.outbound`).

Exit codes tell cron the truth: 0 all done, 1 done but some rows or
sources need a person, 2 nothing could be done (bad file, bad usage).
"""
from __future__ import annotations

import os
import sys
from typing import Optional

import click

from ckan.plugins import toolkit

from ckanext.hokkaido.progress import ProgressLine

__all__ = ["hokkaido"]


def _site_user() -> str:
    return toolkit.get_action("get_site_user")({"ignore_auth": True}, {})["name"]


@click.group(short_help="北海道ポータル / Hokkaido portal commands")
def hokkaido() -> None:
    """Hokkaido open-data portal: inventory, municipalities, harvest."""


@hokkaido.command("settings")
@click.option("--changed", is_flag=True, help="Only the options the configuration file sets.")
def show_settings(changed: bool) -> None:
    """Print every option of ckanext-hokkaido with the value the portal runs
    with, its declared default and the plugin that declares (and reads) it."""
    from ckanext.hokkaido.settings import effective

    plugin = None
    for setting in effective():
        if changed and not setting.explicit:
            continue
        if setting.plugin != plugin:
            plugin = setting.plugin
            click.echo(f"# {plugin}")
        origin = "設定ファイル / set in the config" if setting.explicit else "既定値 / default"
        click.echo(f"{setting.key} = {setting.value}    ({origin}; default {setting.default!r})")


@hokkaido.command("import-inventory")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True,
              help="Print what would change; write nothing.")
@click.option("--encoding", default=None,
              help="Force the CSV encoding (default: detected).")
@click.option("--user", "user", default=None,
              help="Act as this user (default: the site user).")
@click.option("-v", "--verbose", is_flag=True, help="Print every change.")
def import_inventory(path: str, dry_run: bool, encoding: Optional[str],
                     user: Optional[str], verbose: bool) -> None:
    """Create or update one dataset per row of the prefecture's inventory
    (道保有データのリスト) from PATH: CSV (UTF-8, UTF-8 with BOM,
    Shift_JIS/CP932) or XLSX. Rows are keyed by (執行機関, 整理)."""
    from ckanext.hokkaido.inventory import file as inventory
    from ckanext.hokkaido.inventory import importer as logic

    progress = ProgressLine("取込 / import")
    try:
        report = logic.import_inventory(
            path, user or _site_user(), dry_run=dry_run, encoding=encoding,
            progress=lambda done, total, r: progress.count(
                done, total, f"(+{len(r.created)} ~{len(r.updated)} "
                             f"={len(r.unchanged)} !{r.rejected_rows})"))
    except inventory.InventoryFileError as e:
        toolkit.error_shout(str(e))
        sys.exit(2)

    if report.encoding:
        click.echo(f"encoding: {report.encoding}")
    for column in report.unknown_columns:
        click.secho(f"未知の列（取り込みません） / unknown column, not imported: "
                    f"{column}", fg="yellow", err=True)
    for name in report.organizations_created:
        click.echo(f"{'would create' if dry_run else 'created'} organization {name}")
    if dry_run or verbose:
        for line in report.changes:
            click.echo(line)
    for error in report.rejected:
        click.secho(f"rejected {error}", fg="red", err=True)
    click.echo(report.summary())
    sys.exit(1 if report.rejected else 0)


@hokkaido.command("export-inventory")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--user", "user", default=None,
              help="Export what this user may see (default: the site user).")
@click.option("--include-private", is_flag=True,
              help="Also export the private datasets that --user may see "
                   "(for the prefecture's own staff; default: public only).")
def export_inventory(path: str, user: Optional[str], include_private: bool) -> None:
    """Write the inventory back to PATH with the same columns: CSV in UTF-8
    with BOM (Excel opens it), or XLSX when PATH ends in .xlsx. Only public
    datasets, unless --include-private is given."""
    from ckanext.hokkaido.inventory import importer as logic

    try:
        count = logic.export_inventory(path, user or _site_user(),
                                       include_private=include_private)
    except OSError as e:
        toolkit.error_shout(f"{path}: 書き込めません / cannot write: {e}")
        sys.exit(2)
    click.echo(f"exported {count} rows to {path}")


@hokkaido.command("init")
def init() -> None:
    """Create the organizations of the prefecture (010006 北海道) and its 179
    municipalities, named by their 6-digit codes. Safe to rerun: titles a
    steward edited are kept and nothing is deleted."""
    from ckanext.hokkaido import portal_setup

    progress = ProgressLine("組織 / organizations", every=60)
    report = portal_setup.init_organizations(
        _site_user(), progress=lambda done, total: progress.count(done, total, ""))
    click.echo(report.summary())


@hokkaido.command("snapshot")
@click.option("--date", "day", default=None,
              help="Snapshot date YYYY-MM-DD (default: today).")
def snapshot(day: Optional[str]) -> None:
    """Store today's publishing status of every municipality (one snapshot
    per day; rerunning the same day replaces it)."""
    import datetime as dt

    from ckanext.hokkaido import tracker

    try:
        when = dt.date.fromisoformat(day) if day else None
    except ValueError:
        toolkit.error_shout(f"--date {day!r}: YYYY-MM-DD の形式で / use YYYY-MM-DD")
        sys.exit(2)
    count = tracker.take_snapshot(when)
    summary = tracker.summarize(tracker.municipality_statuses(when))
    click.echo(f"snapshot {(when or dt.date.today()).isoformat()}: {count} "
               f"municipalities, 実施率 {summary['rate']:.1%} "
               f"({summary['publishing']}/{summary['municipalities']})")


@hokkaido.command("backup")
@click.argument("archive", type=click.Path(dir_okay=False))
def backup(archive: str) -> None:
    """Write the whole portal to ARCHIVE (.tar.gz): both databases, the
    harvest state, uploaded files and the config (README, "Backup and restore")."""
    from ckanext.hokkaido import backup as backups

    try:
        result = backups.backup(archive, progress=lambda line: click.echo(line, err=True))
    except backups.BackupError as exc:
        toolkit.error_shout(str(exc))
        sys.exit(2)
    click.echo(f"{result.archive}: " + ", ".join(f"{name} {value}" for name, value in result.counts.rows()))


@hokkaido.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--config-out", default=None, type=click.Path(dir_okay=False),
              help="Also write the backed-up ini here (it holds the old site's secrets).")
def restore(archive: str, config_out: Optional[str]) -> None:
    """Restore ARCHIVE into this ini's empty database and storage, then
    rebuild the search index and check every count against the backup's.
    Exit 0 all found again, 1 a count differs, 2 refused (nothing written)."""
    from ckanext.hokkaido import backup as backups

    try:
        result = backups.restore(archive, progress=lambda line: click.echo(line, err=True), config_out=config_out)
    except backups.BackupError as exc:
        toolkit.error_shout(str(exc))
        sys.exit(2)
    expected = result.expected
    for name, value in result.counts.rows():
        wanted = getattr(expected, name) if expected and name != "indexed" else result.counts.datasets
        click.echo(f"{name:<16} {value:>8}  (backup: {wanted})")
    for line in result.mismatches:
        toolkit.error_shout(f"復元後の件数が違います / count differs: {line}")
    sys.exit(1 if result.mismatches else 0)


@hokkaido.group("tables", short_help="DataStore の表 / tables in the DataStore")
def tables_group() -> None:
    """Tables of CSV, TSV and XLSX resources in the DataStore (README, "Tables")."""


@tables_group.command("load")
@click.argument("resource_id", required=False)
@click.option("--all", "everything", is_flag=True, help="Every CSV, TSV and XLSX resource of the portal.")
@click.option("--sync", is_flag=True, help="Load here and now instead of queueing for the jobs worker.")
def tables_load(resource_id: Optional[str], everything: bool, sync: bool) -> None:
    """Load one resource's table (or --all), fetched anew."""
    from ckan import model
    from ckanext.hokkaido import tables
    from ckanext.hokkaido.tables.load import load_resource
    if bool(resource_id) == everything:
        toolkit.error_shout("RESOURCE_ID か --all のどちらかを指定してください / give RESOURCE_ID or --all")
        sys.exit(2)
    if everything:
        chosen = [{"id": r.id, "url": r.url, "format": r.format, "url_type": r.url_type,
                   "last_modified": r.last_modified.isoformat() if r.last_modified else None}
                  for r in model.Session.query(model.Resource).join(model.Package)
                  .filter(model.Resource.state == "active", model.Package.state == "active")]
        chosen = [r for r in chosen if tables.is_tabular(r)]
    else:
        chosen = [toolkit.get_action("resource_show")({"ignore_auth": True}, {"id": resource_id})]
    progress = ProgressLine("tables", every=50)
    outcomes: dict[str, int] = {}
    for n, resource in enumerate(chosen, start=1):
        if sync:
            outcome = load_resource(resource["id"], force=True)
        else:
            tables.queue(resource, force=True)
            outcome = "queued"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        progress.count(n, len(chosen), f"{resource['id']} {outcome}")
    click.echo(" ".join(f"{k}={v}" for k, v in sorted(outcomes.items())) or "no tabular resource")
    sys.exit(1 if outcomes.get("error") else 0)


@tables_group.command("check")
def tables_check() -> None:
    """Ask the server of each table's file whether it changed (its ETag or
    Last-Modified, by HEAD) and queue only those that did; a file whose
    server says neither is queued, and its job loads it only if its sha256
    changed. Run nightly after the harvest."""
    from harvesters.errors import HarvestError
    from ckanext.hokkaido import tables
    from ckanext.hokkaido.tables import analysis, store
    from ckanext.hokkaido.tables.load import make_client
    records = store.loaded_resources()
    progress = ProgressLine("tables check", every=50)
    counts = {"queued": 0, "unchanged": 0, "analysed": 0, "gone": 0, "unreachable": 0}
    with make_client() as client:
        for n, record in enumerate(records, start=1):
            try:
                resource = toolkit.get_action("resource_show")({"ignore_auth": True}, {"id": record["resource_id"]})
            except toolkit.ObjectNotFound:
                counts["gone"] += 1
                continue
            # a job that never ran (Redis was away) or failed is queued again
            changed = resource["url"] != record["url"] or resource.get("url_type") == "upload" \
                or record["status"] in ("queued", "error")
            if not changed:
                try:
                    head = client.head(resource["url"])
                except HarvestError as exc:
                    counts["unreachable"] += 1
                    progress.count(n, len(records), f"{record['resource_id']} {exc.message_en}")
                    continue
                etag, modified = head.headers.get("ETag"), head.headers.get("Last-Modified")
                changed = (not etag and not modified) or etag != record["etag"] or modified != record["last_modified"]
            if changed:
                tables.queue(resource)
            elif record["sha256"] and record["profile_version"] != analysis.version_of(record):
                analysis.refresh(record["resource_id"])  # an upgrade changed what a quick analysis holds
                counts["analysed"] += 1
            counts["queued" if changed else "unchanged"] += 1
            progress.count(n, len(records), f"{record['resource_id']} {'queued' if changed else 'unchanged'}")
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))
    sys.exit(1 if counts["unreachable"] else 0)


@hokkaido.group("standard", short_help="標準データセットの統合 / standard datasets merged across Hokkaido")
def standard_group() -> None:
    """The 自治体標準オープンデータセット merged across Hokkaido."""


@standard_group.command("rebuild")
@click.option("--no", "no", default=None, help="Only this standard dataset (e.g. 08).")
@click.option("--force", is_flag=True, help="Merge every table again, changed or not.")
def standard_rebuild(no: Optional[str], force: bool) -> None:
    """Re-merge the tables that changed since the last rebuild (nightly,
    after the harvest and `tables check`); a table that is gone or left out
    has its rows removed. Exit 1 when a table could not be merged."""
    from ckanext.hokkaido.standard import merge
    try:
        counts = merge.rebuild(no, force=force, progress=click.echo)
    except toolkit.ValidationError as exc:
        toolkit.error_shout(f"統合できませんでした / the merge failed: {exc.error_dict}")
        sys.exit(1)
    for number, tally in counts.items():
        click.echo(f"{number}: " + " ".join(f"{k}={v}" for k, v in tally.items()))


@hokkaido.command("mcp")
@click.option("--http", "http", is_flag=True, help="Streamable HTTP at /mcp instead of stdio.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (--http).")
@click.option("--port", default=5001, show_default=True, help="Port to listen on (--http).")
@click.option("--workers", default=1, show_default=True,
              help="Processes answering at once (--http); each runs one tool at a time.")
@click.pass_context
def mcp(ctx: click.Context, http: bool, host: str, port: int, workers: int) -> None:
    """The MCP server for AI assistants: stdio for a desktop client (the
    token of the user it acts as in CKAN_API_TOKEN; none: public data
    only), or --http behind nginx (each request's Authorization header)."""
    from ckanext.hokkaido.mcp import caller, server
    caller.use_app(ctx.meta["flask_app"])
    token = server.stdio_token_from_env()
    if http:
        import uvicorn
        options = dict(host=host, port=port, proxy_headers=True, forwarded_allow_ips="127.0.0.1",
                       log_level="warning")
        if workers > 1:
            os.environ["CKAN_INI"] = toolkit.config["__file__"]
            uvicorn.run("ckanext.hokkaido.mcp.server:asgi_app", factory=True, workers=workers, **options)
        else:
            uvicorn.run(server.http_app(server.build()), **options)
        return
    if token:
        try:
            server.caller_of(None, token)
        except caller.ToolRefused as refused:
            toolkit.error_shout(str(refused))
            sys.exit(2)
    # the protocol owns stdout: log lines and stray prints go to stderr
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = protocol
    server.build(stdio_token=token).run("stdio")


from ckanext.hokkaido.harvest.commands import harvest_command  # noqa: E402


def _day_snapshot():
    """The tracker's snapshot of the day, which the nightly harvest takes last."""
    from ckanext.hokkaido import tracker
    return tracker.take_day_snapshot()


hokkaido.add_command(harvest_command(_day_snapshot))


@hokkaido.command("register-known-portals")
def register_known_portals() -> None:
    """Register a harvest source for each portal in known_portals.csv
    (札幌市 CKAN, BODIK, HARP, 室蘭市 ArcGIS Hub, 函館市's page). Safe to rerun."""
    from ckanext.hokkaido.sources import known_portals

    try:
        report = known_portals.register_known_portals(_site_user())
    except toolkit.ObjectNotFound as e:
        toolkit.error_shout(str(e))
        sys.exit(2)
    for name in report.created:
        click.echo(f"registered {name}")
    for why in report.skipped:
        click.echo(f"skipped: {why}")
    click.echo(report.summary())


@hokkaido.command("probe")
@click.argument("url", required=False)
@click.option("--municipality", "code", default=None,
              help="The municipality's 6-digit code, for the source config.")
@click.option("--from-file", "from_file", default=None, type=click.Path(dir_okay=False),
              help="Probe every row of a CSV/TSV/XLSX file of municipality code "
                   "and URL (a header row is allowed), one line of result a row.")
@click.option("--register", is_flag=True,
              help="Create the harvest source (in the municipality's "
                   "organization, or 010006 for a shared portal); never a "
                   "second source for a URL already registered.")
@click.option("--api-key-env", "api_key_env", default=None, metavar="NAME",
              help="Read the portal's API token from environment variable "
                   "NAME (not from the command line, which `ps` shows). It "
                   "is sent to URL's own host only, stored with --register "
                   "and never printed.")
def probe(url: Optional[str], code: Optional[str], from_file: Optional[str], register: bool,
          api_key_env: Optional[str]) -> None:
    """Tell which kind of portal URL is (CKAN, SHIRASAGI, DCAT feed, catalog
    CSV, web page), how many datasets it lists, and the source to register.
    Exit 0 when recognised, 1 when unknown or unreachable (with --from-file:
    when any row is), 2 when the command or the file cannot be used."""
    import json
    import os

    from harvesters.probe import KIND_LABELS, probe as run_probe

    from ckanext.hokkaido import outbound, registry
    from ckanext.hokkaido.harvest import tokens
    from ckanext.hokkaido.sources import registration

    if from_file:
        if url or code or api_key_env:
            toolkit.error_shout("--from-file はURL・--municipality・--api-key-env と併用できません / "
                                "--from-file takes no URL, --municipality or --api-key-env")
            sys.exit(2)
        sys.exit(_probe_file(from_file, register))
    if not url:
        toolkit.error_shout("URL か --from-file FILE を指定してください / give a URL or --from-file FILE")
        sys.exit(2)
    if code and registry.name_of(code) is None:
        toolkit.error_shout(f"--municipality {code}: 北海道の市町村コードではありません / "
                            "not a Hokkaido municipality code")
        sys.exit(2)
    api_key = None
    if api_key_env:
        api_key = os.environ.get(api_key_env) or None
        problem = (f"--api-key-env {api_key_env}: 環境変数が空か未設定です / the "
                   "environment variable is empty or unset" if api_key is None
                   else tokens.check_token(api_key))
        if problem:
            toolkit.error_shout(problem)
            sys.exit(2)
        tokens.remember(api_key)
    with outbound.make_client(api_key, url) as client:
        result = run_probe(url, client, municipality_code=code)
    if not result.recognized:
        toolkit.error_shout(tokens.redact(
            f"{url}: 種類が分かりません / unknown kind of portal ({result.detail})"))
        sys.exit(1)
    shown = dict(result.source())
    if api_key:
        shown["config"] = dict(result.config, **{tokens.KEY: tokens.MASK})
    click.echo(f"{url}: {result.kind} ({KIND_LABELS[result.kind]}), "
               f"{result.datasets} datasets")
    click.echo(tokens.redact(f"detail: {result.detail}"))
    click.echo("source config to register:")
    click.echo(tokens.redact(json.dumps(shown, ensure_ascii=False, indent=2)))
    if not register:
        return
    if api_key and not tokens.same_origin(url, result.url):
        toolkit.error_shout(
            f"登録できません: 収集元URL {result.url} は {url} と別のホストのため、"
            "トークンを送れません / cannot register: the source URL is on another "
            "host than the URL probed, which the token was given for")
        sys.exit(2)
    try:
        name = registration.register(result.kind, result.url, result.config, code, _site_user(), api_key)
    except registration.RegistrationRefused as e:
        toolkit.error_shout(str(e))
        sys.exit(2)
    click.echo(f"registered harvest source {name}")


def _probe_file(path: str, register: bool) -> int:
    """``probe --from-file``: one line of result a row; the exit code."""
    from harvesters.probe import KIND_LABELS, probe as run_probe

    from ckanext.hokkaido import outbound
    from ckanext.hokkaido.sources import registration

    try:
        rows = registration.read_file(path)
    except registration.RegistrationRefused as e:
        toolkit.error_shout(str(e))
        return 2
    user = _site_user() if register else None
    failed = 0
    for done, row in enumerate(rows, 1):
        where = f"{path} line {row.line} [{done}/{len(rows)}] {row.code} {row.url}"
        if row.problem:
            failed += 1
            click.echo(f"{where}: BAD ROW {row.problem}")
            continue
        already = registration.registered_at(row.url, row.code or None)
        if already:
            click.echo(f"{where}: 登録済みです（収集元 {already}） / already registered as source {already}")
            continue
        with outbound.make_client(None, row.url) as client:
            result = run_probe(row.url, client, municipality_code=row.code)
        if not result.recognized:
            failed += 1
            click.echo(f"{where}: UNKNOWN 種類が分かりません / unknown kind of portal ({result.detail})")
            continue
        found = f"{result.kind} ({KIND_LABELS[result.kind]}), {result.datasets} datasets"
        if not register:
            click.echo(f"{where}: {found}")
            continue
        try:
            name = registration.register(result.kind, result.url, result.config, row.code, user)
        except registration.RegistrationRefused as e:
            click.echo(f"{where}: {found}; NOT REGISTERED {e}")
            continue
        click.echo(f"{where}: {found}; registered harvest source {name}")
    click.echo(f"{len(rows)} rows: {len(rows) - failed} recognised, {failed} bad or unknown")
    return 1 if failed else 0


@hokkaido.command("discover")
@click.option("--municipality", "code", default=None, help="One municipality's 6-digit code.")
@click.option("--all", "everyone", is_flag=True, help="All 179 municipalities of the registry.")
@click.option("--homepage", default=None,
              help="With --municipality: start here instead of the registry's homepage_url.")
@click.option("--register", is_flag=True,
              help="Register the sources found with high confidence (never one whose URL is "
                   "registered already); the rest are proposed to stewards (/municipalities/CODE/proposals).")
@click.option("--out", "out", default=None, type=click.Path(dir_okay=False, writable=True),
              help="Write the findings for review: FILE.json (everything) or FILE.csv (a row a source).")
def discover(code: Optional[str], everyone: bool, homepage: Optional[str], register: bool,
             out: Optional[str]) -> None:
    """Find each municipality's open data from its official homepage (the
    registry's homepage_url): the links that lead to open data, followed
    within the site, and what they lead to probed. One line a municipality;
    exit 0 when every site could be searched, 1 when some could not (named),
    2 for a bad option or file."""
    import csv
    import json

    from harvesters.discover import discover as run_discover, sort_key

    from ckanext.hokkaido import outbound, registry
    from ckanext.hokkaido.sources import decision

    if bool(code) == bool(everyone):
        toolkit.error_shout("--municipality CODE か --all のどちらかを指定してください / "
                            "give either --municipality CODE or --all")
        sys.exit(2)
    if code and registry.get(code) is None:
        toolkit.error_shout(f"--municipality {code}: 北海道の市町村コードではありません / "
                            "not a Hokkaido municipality code")
        sys.exit(2)
    if homepage and not code:
        toolkit.error_shout("--homepage は --municipality と使います / --homepage goes with --municipality")
        sys.exit(2)
    if out and not out.endswith((".json", ".csv")):
        toolkit.error_shout(f"--out {out}: .json か .csv にしてください / use a .json or .csv file")
        sys.exit(2)
    towns = [registry.get(code)] if code else list(registry.municipalities())
    user = _site_user() if register else None
    findings, unsearched = [], 0
    with outbound.make_client() as client:
        for done, town in enumerate(towns, 1):
            head = f"[{done}/{len(towns)}] {town.code} {town.name}"
            start = homepage or town.homepage_url
            if not start:
                click.echo(f"{head}: ホームページURLが登録簿にありません / no homepage in the registry")
                unsearched += 1
                continue
            result = run_discover(start, client, code=town.code)
            result.found.sort(key=sort_key)
            entry = result.to_dict()
            entry["name"] = town.name
            for found, shown in zip(result.found, entry["found"]):
                outcome = decision.decide(found, town.code, register=register, user=user)
                shown["registered"], shown["action"] = outcome.registered, outcome.action
            findings.append(entry)
            if not result.found:
                unsearched += bool(result.problems) and not result.tried
                why = f" ({result.problems[0]})" if result.problems else f" ({len(result.tried)} pages tried)"
                click.echo(f"{head}: 見つかりません / nothing found{why}")
            for shown in entry["found"]:
                click.echo(f"{head}: {shown['kind']} {shown['url']} ({shown['confidence']}, "
                           f"{shown['datasets'] if shown['datasets'] is not None else '?'} datasets) "
                           f"-> {shown['action']}")
    if out:
        with open(out, "w", encoding="utf-8", newline="") as f:
            if out.endswith(".json"):
                json.dump(findings, f, ensure_ascii=False, indent=2)
            else:
                writer = csv.writer(f)
                writer.writerow(["code", "name", "homepage", "kind", "url", "confidence", "datasets", "action",
                                 "evidence", "problems"])
                for entry in findings:
                    for shown in entry["found"] or [None]:
                        evidence = " > ".join(f"{s['text']} ({s['url']})" for s in shown["evidence"]) if shown else ""
                        values = ([shown[k] for k in ("kind", "url", "confidence", "datasets", "action")]
                                  if shown else ["", "", "", "", ""])
                        writer.writerow([entry["code"], entry["name"], entry["homepage"], *values,
                                         evidence or " ; ".join(entry["tried"]), " ; ".join(entry["problems"])])
        click.echo(f"findings written to {out}")
    found = sum(1 for entry in findings if entry["found"])
    click.echo(f"{len(towns)} municipalities: sources found for {found}, nothing for {len(towns) - found}, "
               f"{unsearched} could not be searched")
    sys.exit(1 if unsearched else 0)
