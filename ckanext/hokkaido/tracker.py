"""Publishing status of the 179 municipalities, computed from the portal.

Everything is read with a handful of SQL aggregates over the whole portal
(never one query per municipality): public, active datasets grouped by
their ``municipality_code`` field; harvest sources with their last finished
job; organization extras for "publishes elsewhere"; and the daily snapshots.

Status rules, in the order they are tried (one place: :func:`decide_status`;
documented in the README and returned by ``hokkaido_publishing_summary``):

1. **公開中** (publishing): a public dataset of the municipality, from any
   source that delivers its data (its own portal, or a shared one such as
   HARP or BODIK) or made here, changed within the last N months
   (``ckanext.hokkaido.stale_months``, default 12). A dataset's date is
   the source's own last-modified date where the source gives one (an
   ISO 8601 repeating interval such as ``R/P1D`` means continuously
   updated: today); a harvested dataset whose source gives none counts from
   the day we first saw it (never from our latest harvest); a dataset made
   here counts from its last change. A date more than a day in the future
   is not used.
2. **取得エラー** (harvest error): not publishing by rule 1, and every
   source that delivers its data failed *to be read* on its last run
   (nothing came). Problems after a good read (a partial listing,
   withdrawals skipped, the time limit after a partial import, a
   search-index error, an interrupted run, records that failed) are
   warnings, never this status.
3. **他サイトで公開** (publishes elsewhere): a steward recorded a site we
   cannot harvest, confirmed within the last N months (the record lapses
   without a new confirmation).
4. **更新停滞** (stale): it has public datasets, none changed for N months.
5. **未確認** (unknown): nothing of the above.

Beside the status, ``warnings`` lists each delivering source whose last run
was not clean. 北海道 (010006) has a row of its own, by the same rules,
outside the 179 and outside the rate.

実施率 (publishing rate) = (公開中 + 更新停滞 + 他サイトで公開) / 179.
Private and deleted datasets never count.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter, OrderedDict
from typing import Any, Iterable, Optional

import sqlalchemy as sa

from ckan import model
from ckan.plugins import toolkit

from ckanext.hokkaido import registry

PUBLISHING = "公開中"
STALE = "更新停滞"
HARVEST_ERROR = "取得エラー"
ELSEWHERE = "他サイトで公開"
UNKNOWN = "未確認"

#: status → (English label, counts towards 実施率)
STATUSES: "OrderedDict[str, tuple[str, bool]]" = OrderedDict([
    (PUBLISHING, ("publishing", True)),
    (STALE, ("stale", True)),
    (ELSEWHERE, ("publishes elsewhere", True)),
    (HARVEST_ERROR, ("harvest error", False)),
    (UNKNOWN, ("unknown", False)),
])

RATE_DEFINITION = {
    "ja": "実施率 = (公開中 + 更新停滞 + 他サイトで公開) ÷ 179市町村。"
          "非公開・削除済みのデータセットは数えない。",
    "en": "rate = (publishing + stale + publishes elsewhere) / 179 "
          "municipalities; private and deleted datasets never count.",
}

ELSEWHERE_KEYS = ("elsewhere_url", "elsewhere_date", "elsewhere_note")


def stale_months() -> int:
    return toolkit.config.get("ckanext.hokkaido.stale_months")


# Public, active datasets with the three fields the tracker reads. The
# extras are pivoted in one pass over package_extra (a hash aggregate), so
# the plan stays fast even before the table statistics are fresh.
_PUBLIC_DATASETS = """
    SELECT p.id, ex.code,
           coalesce(
               CASE WHEN ex.source_modified ~ '^R[0-9]*/' THEN CAST(:today AS date)
                    WHEN ex.source_modified ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}'
                     AND left(ex.source_modified, 10)::date <= CAST(:today AS date) + 1
                    THEN left(ex.source_modified, 10)::date END,
               CASE WHEN ex.harvested THEN p.metadata_created::date
                    ELSE p.metadata_modified::date END) AS modified,
           ex.standard_no
    FROM (SELECT package_id,
                 max(value) FILTER (WHERE key = 'municipality_code') AS code,
                 max(value) FILTER (WHERE key = 'source_modified') AS source_modified,
                 max(value) FILTER (WHERE key = 'standard_dataset') AS standard_no,
                 bool_or(key = 'source_identifier' AND value <> '') AS harvested
            FROM package_extra
           WHERE state = 'active' AND key IN
                 ('municipality_code', 'source_modified', 'standard_dataset', 'source_identifier')
           GROUP BY package_id) ex
    JOIN package p ON p.id = ex.package_id
    WHERE ex.code IS NOT NULL
      AND p.state = 'active' AND p.private = false AND p.type = 'dataset'
      {code_filter}
"""


def _public_datasets(code: Optional[str]) -> str:
    return _PUBLIC_DATASETS.replace(
        "{code_filter}", "AND ex.code = :code" if code else "")


def _ensure_statistics() -> None:
    """Gather planner statistics for the tables the tracker aggregates if
    PostgreSQL has none yet (a portal filled in bulk before autovacuum ran):
    without them the planner picks nested loops and the aggregate takes
    minutes instead of a fraction of a second. The check is one cheap
    catalogue query, made only when the statuses are recomputed."""
    missing = [r.relname for r in model.Session.execute(sa.text("""
        SELECT relname FROM pg_stat_user_tables
         WHERE relname IN ('package', 'package_extra', 'resource')
           AND last_analyze IS NULL AND last_autoanalyze IS NULL
           AND n_live_tup + n_mod_since_analyze > 1000"""))]
    if missing:
        # on a connection of its own, committed at once: inside the request's
        # transaction (rolled back at the end of a read) it would not stick
        with model.meta.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT") as connection:
            for table in missing:
                connection.execute(sa.text(f"ANALYZE {table}"))


def dataset_stats(code: Optional[str] = None,
                  today: Optional[dt.date] = None) -> dict[str, dict[str, Any]]:
    """code → dataset_count, resource_count, newest_modified and the
    standard datasets it publishes, in one SQL statement.

    A dataset counts for standard dataset N when its ``standard_dataset``
    field is N: the schema fills the field by ``registry.standard_dataset_of``
    when the publisher left it empty, and the search facet reads the same
    field, so the two always agree.
    """
    sql = f"""
        WITH pkg AS MATERIALIZED ({_public_datasets(code)}),
        res AS (
            SELECT r.package_id, count(*) AS n FROM resource r
            WHERE r.state = 'active' AND r.package_id IN (SELECT id FROM pkg)
            GROUP BY r.package_id),
        stats AS (
            SELECT pkg.code, count(*) AS datasets,
                   coalesce(sum(res.n), 0) AS resources,
                   max(pkg.modified) AS newest,
                   array_remove(array_agg(DISTINCT pkg.standard_no), NULL) AS standard
            FROM pkg LEFT JOIN res ON res.package_id = pkg.id
            GROUP BY pkg.code)
        SELECT stats.* FROM stats
    """
    known = {s.no for s in registry.standard_datasets()}
    params = {"code": code, "today": today or dt.date.today()}
    _ensure_statistics()
    rows = model.Session.execute(sa.text(sql), params).fetchall()
    return {r.code: {"dataset_count": int(r.datasets),
                     "resource_count": int(r.resources),
                     "newest_modified": r.newest,
                     "standard_datasets": sorted(set(r.standard or ()) & known)}
            for r in rows}


_HARVEST_TABLES: dict[str, bool] = {}


def _harvest_tables_exist() -> bool:
    """Whether ckanext-harvest's tables are there (remembered once true)."""
    if not _HARVEST_TABLES.get("yes"):
        _HARVEST_TABLES["yes"] = sa.inspect(
            model.Session.connection()).has_table("harvest_job")
    return _HARVEST_TABLES["yes"]


def harvest_sources() -> dict[str, list[dict[str, Any]]]:
    """code → the active, public harvest sources that deliver its data: its
    own (configured for it, or owned by its organization) and the shared
    ones that hold a public dataset of it; each with its last finished job
    (a private source is as invisible as a private dataset).

    A last run ``read_failed`` when a gather error says the source could not
    be read at all (``harvest/errors.py``), or when it has gather errors and
    no record (an error of ckanext-harvest's own); ``ok`` when it had no
    error of any kind."""
    if not _harvest_tables_exist():
        return {}
    sql = """
        SELECT s.id, s.title, s.url, s.type, s.config, g.name AS org_name,
               j.id AS job_id, j.finished, j.created AS job_created,
               (SELECT count(*) FROM harvest_gather_error ge
                 WHERE ge.harvest_job_id = j.id) AS gather_errors,
               (SELECT count(*) FROM harvest_gather_error ge
                  JOIN hokkaido_harvest_error_detail d ON d.error_id = ge.id
                 WHERE ge.harvest_job_id = j.id AND d.read_failure) AS read_failures,
               (SELECT count(*) FROM harvest_object o
                 WHERE o.harvest_job_id = j.id) AS objects,
               (SELECT count(*) FROM harvest_object o
                 WHERE o.harvest_job_id = j.id
                   AND o.report_status = 'errored') AS objects_errored
        FROM harvest_source s
        JOIN package p ON p.id = s.id AND p.state = 'active' AND NOT p.private
        LEFT JOIN "group" g ON g.id = p.owner_org
        LEFT JOIN LATERAL (
            SELECT * FROM harvest_job j WHERE j.source_id = s.id
               AND j.status = 'Finished'
             ORDER BY j.finished DESC NULLS LAST LIMIT 1) j ON true
        WHERE s.active
        ORDER BY s.title
    """
    holders = """
        SELECT DISTINCT o.harvest_source_id AS source_id, pe.value AS code
          FROM harvest_object o
          JOIN package p ON p.id = o.package_id AND p.state = 'active' AND NOT p.private
          JOIN package_extra pe ON pe.package_id = p.id AND pe.state = 'active'
                               AND pe.key = 'municipality_code'
         WHERE o.current
    """
    held: dict[str, set[str]] = {}
    for r in model.Session.execute(sa.text(holders)):
        held.setdefault(r.source_id, set()).add(r.code)
    sources: dict[str, list[dict[str, Any]]] = {}
    for r in model.Session.execute(sa.text(sql)):
        codes = set(held.get(r.id, ()))
        own = _source_code(r.config, r.org_name)
        if own is not None:
            codes.add(own)
        last_run = None
        if r.job_id:
            read_failed = r.read_failures > 0 or (r.gather_errors > 0 and r.objects == 0)
            last_run = {"job_id": r.job_id,
                        "finished": r.finished.isoformat() if r.finished else None,
                        "read_failed": read_failed,
                        "ok": not (r.gather_errors or r.objects_errored),
                        "gather_errors": int(r.gather_errors),
                        "objects": int(r.objects),
                        "objects_errored": int(r.objects_errored)}
        for code in sorted(codes):
            sources.setdefault(code, []).append({
                "id": r.id, "title": r.title, "url": r.url, "type": r.type,
                "shared": code != own, "last_run": dict(last_run) if last_run else None})
    return sources


def _source_code(config: Optional[str], org_name: Optional[str]) -> Optional[str]:
    try:
        code = json.loads(config or "{}").get("municipality_code")
    except (ValueError, AttributeError):
        code = None
    if code and registry.is_valid_code(str(code)):
        return str(code)
    if org_name and registry.is_valid_code(org_name):
        return org_name
    return None


def harvest_errors(job_id: str, limit: int = 20,
                   with_detail: bool = False) -> list[dict[str, Any]]:
    """The public messages of one job's gather and object errors; with
    ``with_detail`` also each one's ``detail`` (what the source's server
    said, for the source's organization: ``harvest/errors.py``)."""
    sql = """
        SELECT e.stage, e.guid, e.message, d.detail FROM (
            SELECT 'gather' AS stage, NULL AS guid, ge.id, ge.message, ge.created
              FROM harvest_gather_error ge WHERE ge.harvest_job_id = :job
            UNION ALL
            SELECT oe.stage, o.guid, oe.id, oe.message, oe.created
              FROM harvest_object_error oe
              JOIN harvest_object o ON o.id = oe.harvest_object_id
             WHERE o.harvest_job_id = :job
            ORDER BY created LIMIT :limit) e
        LEFT JOIN hokkaido_harvest_error_detail d ON d.error_id = e.id
        ORDER BY e.created
    """
    rows = model.Session.execute(sa.text(sql), {"job": job_id, "limit": limit})
    return [dict({"stage": r.stage, "identifier": r.guid, "message": r.message},
                 **({"detail": r.detail} if with_detail else {}))
            for r in rows]


def elsewhere_records() -> dict[str, dict[str, str]]:
    """code → {url, date, note} recorded by stewards (organization extras)."""
    sql = """
        SELECT g.name, ge.key, ge.value FROM "group" g
        JOIN group_extra ge ON ge.group_id = g.id
        WHERE g.is_organization AND g.state = 'active' AND ge.state = 'active'
          AND ge.key IN :keys AND coalesce(ge.value, '') <> ''
    """
    stmt = sa.text(sql).bindparams(sa.bindparam("keys", expanding=True))
    records: dict[str, dict[str, str]] = {}
    for r in model.Session.execute(stmt, {"keys": list(ELSEWHERE_KEYS)}):
        records.setdefault(r.name, {})[r.key.replace("elsewhere_", "")] = r.value
    return {code: rec for code, rec in records.items() if rec.get("url")}


def elsewhere_is_current(elsewhere: Optional[dict], today: dt.date, months: int) -> bool:
    """A 他サイトで公開 record counts while its confirmation is at most N
    months old (a record without a readable date does not count)."""
    try:
        confirmed = dt.date.fromisoformat(str((elsewhere or {}).get("date") or "")[:10])
    except ValueError:
        return False
    return bool((elsewhere or {}).get("url")) and confirmed >= _months_before(today, months)


def decide_status(dataset_count: int, newest: Optional[dt.date],
                  sources: list[dict[str, Any]], elsewhere: Optional[dict],
                  today: dt.date, months: int) -> str:
    """Apply the status rules of the module docstring (the one place)."""
    if dataset_count and newest and newest >= _months_before(today, months):
        return PUBLISHING
    runs = [s["last_run"] for s in sources if s.get("last_run")]
    if sources and len(runs) == len(sources) and all(r["read_failed"] for r in runs):
        return HARVEST_ERROR
    if elsewhere_is_current(elsewhere, today, months):
        return ELSEWHERE
    if dataset_count:
        return STALE
    return UNKNOWN


def source_warnings(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The delivering sources whose last run was not clean, to show beside
    the status (public words only)."""
    return [{"source_id": s["id"], "title": s["title"], "read_failed": s["last_run"]["read_failed"],
             "message": ("収集元を読めませんでした / the source could not be read"
                         if s["last_run"]["read_failed"] else
                         "前回の収集で問題がありました / the last harvest reported problems")}
            for s in sources if s.get("last_run") and not s["last_run"]["ok"]]


def _months_before(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 - months
    year = day.year + month // 12
    month = month % 12 + 1
    last_day = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0)
                else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return dt.date(year, month, min(day.day, last_day))


def _status_row(m: registry.Municipality, stats: dict, sources: dict, elsewhere: dict,
                today: dt.date, months: int) -> dict[str, Any]:
    s = stats.get(m.code, {})
    srcs = sources.get(m.code, [])
    newest = s.get("newest_modified")
    record = elsewhere.get(m.code)
    status = decide_status(s.get("dataset_count", 0), newest, srcs, record, today, months)
    runs = [x["last_run"] for x in srcs if x["last_run"]]
    if record is not None:
        record = dict(record, current=elsewhere_is_current(record, today, months))
    return {
        "code": m.code, "name": m.name, "name_kana": m.name_kana,
        "type": m.type, "subprefecture": m.subprefecture,
        "homepage_url": m.homepage_url, "lat": m.lat, "lng": m.lng,
        "is_prefecture": m.code == registry.PREFECTURE_CODE,
        "status": status, "status_en": STATUSES[status][0],
        "dataset_count": s.get("dataset_count", 0),
        "resource_count": s.get("resource_count", 0),
        "newest_modified": newest.isoformat() if newest else None,
        "standard_datasets": s.get("standard_datasets", []),
        "standard_count": len(s.get("standard_datasets", [])),
        "source_count": len(srcs),
        "last_harvest_ok": (all(r["ok"] for r in runs) if runs else None),
        "warnings": source_warnings(srcs),
        "elsewhere": record,
    }


def municipality_statuses(today: Optional[dt.date] = None) -> list[dict[str, Any]]:
    """北海道's row (``is_prefecture``), then the 179 municipalities with
    their status, in code order."""
    today = today or dt.date.today()
    months = stale_months()
    stats = dataset_stats(today=today)
    sources = harvest_sources()
    elsewhere = elsewhere_records()
    return [_status_row(m, stats, sources, elsewhere, today, months)
            for m in (registry.prefecture(), *registry.municipalities())]


# -- cache ------------------------------------------------------------------
#
# The statuses are recomputed only when something they depend on changed:
# a dataset (any create/update/delete/private toggle moves the newest
# metadata_modified or the count), a harvest job, a "publishes elsewhere"
# record (bumps a Redis counter, shared by every web worker), the day, or
# the stale-months setting. Each worker keeps the last result in memory.

_GENERATION_KEY = "ckanext.hokkaido:tracker:generation"
_cache: dict[str, Any] = {"key": None, "rows": None}


def invalidate() -> None:
    """Make every worker recompute the statuses on its next request."""
    from ckan.lib.redis import connect_to_redis
    connect_to_redis().incr(_GENERATION_KEY)


def _fingerprint() -> tuple:
    from ckan.lib.redis import connect_to_redis
    harvest = ("(SELECT max(coalesce(finished, created)) FROM harvest_job), "
               "(SELECT count(*) FROM harvest_job)"
               if _harvest_tables_exist() else "NULL, NULL")
    row = model.Session.execute(sa.text(
        "SELECT (SELECT max(metadata_modified) FROM package), "
        f"(SELECT count(*) FROM package), {harvest}, "
        # the 他サイトで公開 records themselves (the Redis counter alone could repeat a value)
        "(SELECT md5(string_agg(group_id || key || coalesce(value, ''), ',' ORDER BY group_id, key)) "
        "   FROM group_extra WHERE key LIKE 'elsewhere%' AND state = 'active')")).fetchone()
    return tuple(row) + (connect_to_redis().get(_GENERATION_KEY),
                         dt.date.today(), stale_months())


def cached_statuses() -> list[dict[str, Any]]:
    """:func:`municipality_statuses` for today, recomputed only on change.

    Returns deep-enough copies: callers may modify the row dicts.
    """
    key = _fingerprint()
    if _cache["key"] != key:
        _cache["rows"] = municipality_statuses()
        _cache["key"] = key
    return [dict(r) for r in _cache["rows"]]


def summarize(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Totals, 実施率 and the same by subprefecture, over the 179
    municipalities (北海道's own row is left out)."""
    rows = [r for r in rows if not r.get("is_prefecture")]

    def block(subset: list[dict[str, Any]]) -> dict[str, Any]:
        counts = Counter(r["status"] for r in subset)
        publishing = sum(counts[s] for s, (_, counts_) in STATUSES.items() if counts_)
        total = len(subset)
        return {
            "municipalities": total,
            "publishing": publishing,
            "rate": round(publishing / total, 4) if total else 0.0,
            "by_status": {s: counts.get(s, 0) for s in STATUSES},
            "datasets": sum(r["dataset_count"] for r in subset),
            "resources": sum(r["resource_count"] for r in subset),
        }

    by_sub: "OrderedDict[str, list]" = OrderedDict()
    for r in sorted(rows, key=lambda r: r["subprefecture"]):
        by_sub.setdefault(r["subprefecture"], []).append(r)
    summary = block(rows)
    summary["by_subprefecture"] = [dict(block(v), subprefecture=k)
                                   for k, v in by_sub.items()]
    summary["definition"] = RATE_DEFINITION
    summary["statuses"] = [{"status": s, "en": en, "counts_as_publishing": c}
                           for s, (en, c) in STATUSES.items()]
    summary["stale_months"] = stale_months()
    return summary


# -- history ----------------------------------------------------------------

def take_snapshot(day: Optional[dt.date] = None) -> int:
    """Store today's status of every municipality; rerunning the same day
    replaces that day's rows (idempotent). Returns the number of rows."""
    day = day or dt.date.today()
    rows = [r for r in municipality_statuses(today=day) if not r["is_prefecture"]]
    session = model.Session
    session.execute(sa.text("DELETE FROM hokkaido_status_snapshot "
                            "WHERE snapshot_date = :day"), {"day": day})
    session.execute(sa.text("""
        INSERT INTO hokkaido_status_snapshot
            (snapshot_date, code, status, dataset_count, resource_count,
             standard_count, newest_modified, taken_at)
        VALUES (:day, :code, :status, :datasets, :resources, :standard,
                :newest, now())"""), [
        {"day": day, "code": r["code"], "status": r["status"],
         "datasets": r["dataset_count"], "resources": r["resource_count"],
         "standard": r["standard_count"], "newest": r["newest_modified"]}
        for r in rows])
    session.commit()
    return len(rows)


def history(days: int = 365) -> list[dict[str, Any]]:
    """Per snapshot day: the count per status and 実施率, oldest first."""
    sql = """
        SELECT snapshot_date, status, count(*) AS n
        FROM hokkaido_status_snapshot
        WHERE snapshot_date > current_date - :days
        GROUP BY snapshot_date, status ORDER BY snapshot_date
    """
    series: "OrderedDict[dt.date, Counter]" = OrderedDict()
    for r in model.Session.execute(sa.text(sql), {"days": days}):
        series.setdefault(r.snapshot_date, Counter())[r.status] = int(r.n)
    out = []
    for day, counts in series.items():
        total = sum(counts.values())
        publishing = sum(counts[s] for s, (_, c) in STATUSES.items() if c)
        out.append({"date": day.isoformat(),
                    "by_status": {s: counts.get(s, 0) for s in STATUSES},
                    "publishing": publishing,
                    "rate": round(publishing / total, 4) if total else 0.0})
    return out
