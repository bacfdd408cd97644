"""What the tracker reads from the portal, each in one SQL statement over
the whole portal (never one query per municipality): public, active
datasets by municipality, harvest sources with their last finished job,
one job's errors, and the 他サイトで公開 records (organization extras).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

import sqlalchemy as sa

from ckan import model

from ckanext.hokkaido import authority, extras, registry
from ckanext.hokkaido.harvest.outcome import RunOutcome, source_municipality
from ckanext.hokkaido.tracker.rules import ELSEWHERE_KEYS

__all__ = ["dataset_stats", "changed_since", "elsewhere_records", "harvest_errors", "harvest_sources",
           "harvest_tables_exist"]



# Public, active datasets with the three fields the tracker reads. The
# extras are pivoted in one pass over their rows (a hash aggregate), so
# the plan stays fast even before the table statistics are fresh.
# When a dataset last changed, by the tracker's rule: the source's own date
# (収集元更新日時; a repeating interval is "today"; a date in the future is
# not believed), else when the portal first saw a harvested dataset, else
# when a steward last saved it.
MODIFIED_SQL = """
           coalesce(
               CASE WHEN ex.source_modified ~ '^R[0-9]*/' THEN CAST(:today AS date)
                    WHEN ex.source_modified ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}'
                     AND left(ex.source_modified, 10)::date <= CAST(:today AS date) + 1
                    THEN left(ex.source_modified, 10)::date END,
               CASE WHEN ex.harvested THEN p.metadata_created::date
                    ELSE p.metadata_modified::date END)"""

_PUBLIC_DATASETS = """
    SELECT p.id, ex.code,""" + MODIFIED_SQL + """ AS modified,
           ex.standard_no
    FROM (SELECT package_id,
                 max(value) FILTER (WHERE key = 'municipality_code') AS code,
                 max(value) FILTER (WHERE key = 'source_modified') AS source_modified,
                 max(value) FILTER (WHERE key = 'standard_dataset') AS standard_no,
                 bool_or(key = 'source_identifier' AND value <> '') AS harvested
            FROM ({extra_rows}) pe
           GROUP BY package_id) ex
    JOIN package p ON p.id = ex.package_id
    JOIN "group" g ON g.id = p.owner_org AND g.state = 'active'
    LEFT JOIN ({parent_rows}) gp ON gp.group_id = g.id
    WHERE ex.code IS NOT NULL
      AND p.state = 'active' AND p.private = false AND p.type = 'dataset'
      AND {official}
      {code_filter}
"""


def _public_datasets(code: Optional[str]) -> str:
    """Public datasets of official organizations (``authority``): a dataset
    counts for the municipality its organization speaks for, and a
    registered user's own organization counts for none."""
    return (_PUBLIC_DATASETS
            .replace("{code_filter}", "AND ex.code = :code" if code else "")
            .replace("{extra_rows}", extras.package_extra_rows(
                ("municipality_code", "source_modified", "standard_dataset", "source_identifier")))
            .replace("{parent_rows}", extras.group_extra_rows(["parent"]))
            .replace("{official}", authority.speaks_for_sql("g.name", "gp.value", "ex.code")))


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
    params = {"code": code, "today": today or dt.date.today(), authority.CODES_PARAM: authority.codes()}
    _ensure_statistics()
    rows = model.Session.execute(sa.text(sql), params).fetchall()
    return {r.code: {"dataset_count": int(r.datasets),
                     "resource_count": int(r.resources),
                     "newest_modified": r.newest,
                     "standard_datasets": sorted(set(r.standard or ()) & known)}
            for r in rows}


def changed_since(days: int, today: Optional[dt.date] = None) -> int:
    """How many public, active datasets of the whole portal changed in the
    last ``days`` days, by the tracker's rule (:data:`MODIFIED_SQL`): a
    harvest that rewrites every dataset changes none of them."""
    sql = f"""
        SELECT count(*) FROM (
            SELECT p.id, {MODIFIED_SQL} AS modified
              FROM package p
              LEFT JOIN (SELECT package_id,
                                max(value) FILTER (WHERE key = 'source_modified') AS source_modified,
                                bool_or(key = 'source_identifier' AND value <> '') AS harvested
                           FROM ({extras.package_extra_rows(("source_modified", "source_identifier"))}) pe
                          GROUP BY package_id) ex ON ex.package_id = p.id
             WHERE p.state = 'active' AND NOT p.private AND p.type = 'dataset') d
         WHERE d.modified > CAST(:today AS date) - :days
    """
    return int(model.Session.execute(sa.text(sql), {"today": today or dt.date.today(), "days": days}).scalar())


_HARVEST_TABLES: dict[str, bool] = {}


def harvest_tables_exist() -> bool:
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
    if not harvest_tables_exist():
        return {}
    sql = """
        SELECT s.id, s.title, s.url, s.type, s.config, g.name AS org_name, gp.value AS org_parent,
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
        LEFT JOIN "group" g ON g.id = p.owner_org AND g.state = 'active'
        LEFT JOIN ({parent_rows}) gp ON gp.group_id = g.id
        LEFT JOIN LATERAL (
            SELECT * FROM harvest_job j WHERE j.source_id = s.id
               AND j.status = 'Finished'
             ORDER BY j.finished DESC NULLS LAST LIMIT 1) j ON true
        WHERE s.active
        ORDER BY s.title
    """.replace("{parent_rows}", extras.group_extra_rows(["parent"]))
    holders = """
        SELECT DISTINCT o.harvest_source_id AS source_id, pe.value AS code
          FROM harvest_object o
          JOIN package p ON p.id = o.package_id AND p.state = 'active' AND NOT p.private
          JOIN ({rows}) pe ON pe.package_id = p.id
          JOIN "group" g ON g.id = p.owner_org AND g.state = 'active'
          LEFT JOIN ({parent_rows}) gp ON gp.group_id = g.id
         WHERE o.current AND {official}
    """.replace("{rows}", extras.package_extra_rows(["municipality_code"])) \
        .replace("{parent_rows}", extras.group_extra_rows(["parent"])) \
        .replace("{official}", authority.speaks_for_sql("g.name", "gp.value", "pe.value"))
    held: dict[str, set[str]] = {}
    for r in model.Session.execute(sa.text(holders), {authority.CODES_PARAM: authority.codes()}):
        held.setdefault(r.source_id, set()).add(r.code)
    sources: dict[str, list[dict[str, Any]]] = {}
    for r in model.Session.execute(sa.text(sql)):
        codes = set(held.get(r.id, ()))
        own = source_municipality(r.config, authority.official_code(r.org_name, r.org_parent))
        if own is not None:
            codes.add(own)
        last_run = None
        if r.job_id:
            outcome = RunOutcome(gather_errors=r.gather_errors, read_failures=r.read_failures,
                                 records=r.objects, records_errored=r.objects_errored)
            last_run = {"job_id": r.job_id,
                        "finished": r.finished.isoformat() if r.finished else None,
                        "read_failed": outcome.read_failed,
                        "ok": outcome.clean,
                        "gather_errors": int(r.gather_errors),
                        "objects": int(r.objects),
                        "objects_errored": int(r.objects_errored)}
        for code in sorted(codes):
            sources.setdefault(code, []).append({
                "id": r.id, "title": r.title, "url": r.url, "type": r.type,
                "shared": code != own, "last_run": dict(last_run) if last_run else None})
    return sources


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
    sql = f"""
        SELECT g.name, ge.key, ge.value FROM "group" g
        JOIN ({extras.group_extra_rows(ELSEWHERE_KEYS)}) ge ON ge.group_id = g.id
        WHERE g.is_organization AND g.state = 'active' AND coalesce(ge.value, '') <> ''
    """
    records: dict[str, dict[str, str]] = {}
    for r in model.Session.execute(sa.text(sql)):
        records.setdefault(r.name, {})[r.key.replace("elsewhere_", "")] = r.value
    return {code: rec for code, rec in records.items() if rec.get("url")}
