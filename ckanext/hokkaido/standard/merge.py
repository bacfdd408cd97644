"""The merged tables: one DataStore table per standard dataset for all of
Hokkaido, rebuilt from every loaded table that says it is that dataset.

Which tables: the CSV, TSV and XLSX resources loaded into the DataStore
(``hokkaido_table_load``: loaded or unchanged) of the public, active
datasets whose 標準データセット field names the dataset (the one rule the
search facet and the tracker use), of an official organization.

Each merged table is a DataStore-only resource of the dataset
``hokkaido-standard-<no>`` (organization ``hokkaido-standard``, which
speaks for no municipality, so the tracker does not count it): the current
edition's columns, then ``municipality_code``, ``source_dataset``,
``source_resource`` and ``source_line`` (the row's line in its file).

A rebuild re-merges only what changed: a table whose file (its sha256) and
the matching rules (:data:`RULES`) are as last merged is left alone; a
table that is gone or excluded by a steward has its rows removed. Each
table's rows are replaced in one transaction, so a failure leaves the
merged table as it was. Each contribution keeps its report in
``hokkaido_standard_source``.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any, Callable, Optional

import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit

from ckanext.hokkaido import authority, extras
from ckanext.hokkaido.standard.columns import CODE, LAT, LNG, Definition, definitions, find_header
from ckanext.hokkaido.standard.rows import convert

__all__ = ["RULES", "ORGANIZATION", "EXTRA_COLUMNS", "dataset_name", "merged_resource_id", "rebuild",
           "rebuild_for_resource", "contributions", "set_excluded"]

log = logging.getLogger(__name__)

#: the version of the matching rules: a change re-merges every table
RULES = "1"
ORGANIZATION = "hokkaido-standard"
EXTRA_COLUMNS = ("municipality_code", "source_dataset", "source_resource", "source_line")
_REJECTED_KEPT = 100  # rejected rows listed in a report (all are counted)


def dataset_name(no: str) -> str:
    return f"hokkaido-standard-{no}"


def _site() -> dict[str, Any]:
    return {"ignore_auth": True, "user": toolkit.get_action("get_site_user")({"ignore_auth": True}, {})["name"]}


def _write_engine() -> sa.engine.Engine:
    from ckanext.datastore.backend.postgres import get_write_engine
    return get_write_engine()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _fields(spec: Definition) -> list[dict[str, str]]:
    fields = [{"id": c, "type": "float8" if c in (LAT, LNG) else "text"} for c in spec.columns]
    fields += [{"id": "municipality_code", "type": "text"}, {"id": "source_dataset", "type": "text"},
               {"id": "source_resource", "type": "text"}, {"id": "source_line", "type": "int"}]
    return fields


def merged_resource_id(no: str) -> Optional[str]:
    package = model.Package.by_name(dataset_name(no))
    if package is None or package.state != "active":
        return None
    active = [r for r in package.resources if r.state == "active"]
    return active[0].id if active else None


def _ensure_table(spec: Definition) -> str:
    """The merged table's resource, made (with its DataStore table, the
    search column and an index on the coordinates) when missing."""
    resource_id = merged_resource_id(spec.no)
    if resource_id is not None:
        return resource_id
    from ckanext.hokkaido.tables import search
    context = _site()
    if model.Group.by_name(ORGANIZATION) is None:
        toolkit.get_action("organization_create")(dict(context), {
            "name": ORGANIZATION, "title": "北海道全域の標準データセット（統合）"})
    package = model.Package.by_name(dataset_name(spec.no))
    title = f"{spec.name}（北海道全域・統合）"
    notes = (f"道内の市町村が公開した「{spec.name}」を、自治体標準オープンデータセットの列にそろえて一つの表にまとめたものです。"
             "各行に元のデータセット・リソースと行番号があります。")
    if package is None:
        made = toolkit.get_action("package_create")(dict(context), {
            "name": dataset_name(spec.no), "title": title, "notes": notes, "owner_org": ORGANIZATION,
            "standard_dataset": spec.no, "license_id": "cc-by-4.0",
            "resources": [{"url_type": "datastore", "url": "", "name": f"{spec.name}（統合）", "format": "CSV"}]})
    else:
        made = toolkit.get_action("package_patch")(dict(context), {
            "id": package.id, "state": "active",
            "resources": [{"url_type": "datastore", "url": "", "name": f"{spec.name}（統合）", "format": "CSV"}]})
    resource_id = made["resources"][0]["id"]
    toolkit.get_action("datastore_create")(dict(context), {"resource_id": resource_id, "fields": _fields(spec),
                                                           "force": True})
    with _write_engine().begin() as connection:
        table = _quote(resource_id)
        connection.execute(sa.text(
            f"CREATE INDEX {_quote(resource_id[:36] + '_place')} ON {table} ({_quote(LAT)}, {_quote(LNG)})"))
        connection.execute(sa.text(
            f"CREATE INDEX {_quote(resource_id[:36] + '_source')} ON {table} (source_resource)"))
        search.add_search_column(connection, resource_id, _fields(spec))
    return resource_id


def contributions(no: str) -> list[dict[str, Any]]:
    """The loaded tables of the datasets that say they are standard dataset
    ``no`` (see the module's docs): resource, dataset, its municipality and
    the file's version."""
    sql = """
        SELECT r.id AS resource_id, p.id AS package_id, p.name AS package_name, pe.code, t.sha256,
               t.header_line
          FROM package p
          JOIN ({rows}) sd ON sd.package_id = p.id AND sd.key = 'standard_dataset' AND sd.value = :no
          JOIN (SELECT package_id, max(value) FILTER (WHERE key = 'municipality_code') AS code
                  FROM ({rows}) x GROUP BY package_id) pe ON pe.package_id = p.id
          JOIN "group" g ON g.id = p.owner_org AND g.state = 'active'
          LEFT JOIN ({parent_rows}) gp ON gp.group_id = g.id
          JOIN resource r ON r.package_id = p.id AND r.state = 'active'
          JOIN hokkaido_table_load t ON t.resource_id = r.id AND t.status IN ('loaded', 'unchanged')
         WHERE p.state = 'active' AND NOT p.private AND p.type = 'dataset' AND {official}
         ORDER BY pe.code, p.name, r.position
    """.replace("{rows}", extras.package_extra_rows(["standard_dataset", "municipality_code"])) \
        .replace("{parent_rows}", extras.group_extra_rows(["parent"])) \
        .replace("{official}", authority.speaks_for_sql("g.name", "gp.value", "pe.code"))
    rows = model.Session.execute(sa.text(sql), {"no": no, authority.CODES_PARAM: authority.codes()})
    return [dict(r._mapping) for r in rows]


def _state() -> dict[str, dict[str, Any]]:
    rows = model.Session.execute(sa.text("SELECT * FROM hokkaido_standard_source"))
    return {r.resource_id: dict(r._mapping) for r in rows}


def _read_source(connection: Any, resource_id: str) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """A loaded table's column names and rows (with ``_id``) from the DataStore."""
    result = connection.execute(sa.text(f"SELECT * FROM {_quote(resource_id)} ORDER BY _id"))
    names = [n for n in result.keys() if not n.startswith("_")]
    rows = [(m["_id"], {n: m[n] for n in names}) for m in result.mappings()]
    return names, rows


def _merge_one(spec: Definition, target: str, source: dict[str, Any], connection: Any) -> dict[str, Any]:
    """Replace one table's rows in the merged table; its report."""
    names, rows = _read_source(connection, source["resource_id"])
    header_at, found = find_header(names, [[r[n] for n in names] for _i, r in rows[:5]], _definition(spec.no))
    report: dict[str, Any] = dict(found.report(), header_row=header_at + 2 if header_at >= 0 else 1)
    connection.execute(sa.text(f"DELETE FROM {_quote(target)} WHERE source_resource = :r"),
                       {"r": source["resource_id"]})
    if not found.is_standard:
        return dict(report, status="not_standard", rows=0, rejected=0, rejected_rows=[])
    if header_at >= 0:   # the header was a row of the table: rows are read by the headers it gives
        header_values = [str(rows[header_at][1][n] or "") for n in names]
        rows = [(i, {header_values[k]: r[n] for k, n in enumerate(names)}) for i, r in rows[header_at + 1:]]
    merged, rejected = [], []
    first = int(source.get("header_line") or 1)
    for row_id, row in rows:
        line = row_id + first   # the file's line: the header's, and the rows above it
        out, why = convert(row, found, source["code"])
        if out is None:
            rejected.append({"line": line, "reason": why})
            continue
        out.update(municipality_code=out[CODE], source_dataset=source["package_name"],
                   source_resource=source["resource_id"], source_line=line)
        merged.append(out)
    if merged:
        names_out = list(spec.columns) + list(EXTRA_COLUMNS)
        placeholders = ", ".join(f":c{k}" for k in range(len(names_out)))
        statement = sa.text(f"INSERT INTO {_quote(target)} ({', '.join(_quote(n) for n in names_out)}) "
                            f"VALUES ({placeholders})")
        connection.execute(statement, [{f"c{k}": row.get(n) for k, n in enumerate(names_out)} for row in merged])
    return dict(report, status="merged", rows=len(merged), rejected=len(rejected),
                rejected_rows=rejected[:_REJECTED_KEPT])


def _definition(no: str) -> Definition:
    return definitions()[no]


def _save_state(source: dict[str, Any], no: str, result: dict[str, Any], version: Optional[str]) -> None:
    report = {k: v for k, v in result.items() if k not in ("status", "rows", "rejected")}
    model.Session.execute(sa.text("""
        INSERT INTO hokkaido_standard_source (resource_id, standard_no, package_id, municipality_code, version,
                                              status, rows, rejected, report, merged_at)
        VALUES (:r, :no, :p, :code, :version, :status, :rows, :rejected, :report, now() at time zone 'utc')
        ON CONFLICT (resource_id) DO UPDATE SET standard_no = EXCLUDED.standard_no, package_id = EXCLUDED.package_id,
            municipality_code = EXCLUDED.municipality_code, version = EXCLUDED.version, status = EXCLUDED.status,
            rows = EXCLUDED.rows, rejected = EXCLUDED.rejected, report = EXCLUDED.report,
            merged_at = EXCLUDED.merged_at"""),
        {"r": source["resource_id"], "no": no, "p": source["package_id"], "code": source["code"],
         "version": version, "status": result["status"], "rows": result.get("rows", 0),
         "rejected": result.get("rejected", 0), "report": json.dumps(report, ensure_ascii=False)})


def rebuild(no: Optional[str] = None, force: bool = False, only: Optional[str] = None,
            progress: Callable[[str], None] = lambda _m: None) -> dict[str, dict[str, int]]:
    """Re-merge what changed (everything with ``force``; one resource with
    ``only``) for one standard dataset or all; counts per dataset:
    merged, unchanged, removed, not_standard, excluded."""
    counts: dict[str, dict[str, int]] = {}
    for spec in definitions().values():
        if no and spec.no != str(no).zfill(2):
            continue
        target = _ensure_table(spec)
        state = _state()
        sources = contributions(spec.no)
        current = {s["resource_id"] for s in sources}
        tally = {"merged": 0, "unchanged": 0, "removed": 0, "not_standard": 0, "excluded": 0}
        engine = _write_engine()
        for source in sources:
            if only and source["resource_id"] != only:
                continue
            known = state.get(source["resource_id"]) or {}
            version = f"{source['sha256']}:{RULES}"
            if known.get("excluded"):
                if known.get("status") != "excluded":
                    with engine.begin() as connection:
                        connection.execute(sa.text(f"DELETE FROM {_quote(target)} WHERE source_resource = :r"),
                                           {"r": source["resource_id"]})
                    _save_state(source, spec.no, {"status": "excluded", "rows": 0, "rejected": 0}, None)
                tally["excluded"] += 1
                continue
            if not force and known.get("version") == version and known.get("standard_no") == spec.no:
                tally["unchanged"] += 1
                continue
            with engine.begin() as connection:   # the table's rows replaced at once, or not at all
                result = _merge_one(spec, target, source, connection)
            _save_state(source, spec.no, result, version)
            tally["merged" if result["status"] == "merged" else "not_standard"] += 1
            progress(f"{spec.no} {spec.name}: {source['package_name']} {result['status']} "
                     f"{result.get('rows', 0)} rows, {result.get('rejected', 0)} rejected")
        for resource_id, known in state.items():   # gone: no longer loaded, or no longer this dataset
            if known["standard_no"] == spec.no and resource_id not in current and not only:
                with engine.begin() as connection:
                    connection.execute(sa.text(f"DELETE FROM {_quote(target)} WHERE source_resource = :r"),
                                       {"r": resource_id})
                model.Session.execute(sa.text("DELETE FROM hokkaido_standard_source WHERE resource_id = :r"),
                                      {"r": resource_id})
                tally["removed"] += 1
        model.Session.commit()
        model.Session.execute(sa.text("SELECT 1"))
        _stamp(spec.no)
        counts[spec.no] = tally
    return counts


def _stamp(no: str) -> None:
    from ckan.model.system_info import set_system_info
    set_system_info(f"hokkaido_standard_rebuilt_{no}", dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))


def rebuild_for_resource(resource_id: str) -> Optional[str]:
    """After a table load: re-merge that table into its standard dataset's
    merged table, if its dataset names one; the standard dataset's number."""
    resource = model.Resource.get(resource_id)
    if resource is None:
        return None
    package = model.Package.get(resource.package_id)
    no = (package.extras or {}).get("standard_dataset") if package is not None else None
    if not no or no not in definitions() or package.name.startswith("hokkaido-standard-"):
        return None
    rebuild(no, only=resource_id)
    return no


def set_excluded(resource_id: str, excluded: bool, reason: str) -> None:
    """A steward's exclusion of a table from its merge (or its return)."""
    updated = model.Session.execute(sa.text("""
        UPDATE hokkaido_standard_source SET excluded = :e, excluded_reason = :why,
               version = CASE WHEN :e THEN version ELSE NULL END
         WHERE resource_id = :r"""), {"e": excluded, "why": reason, "r": resource_id}).rowcount
    model.Session.commit()
    if not updated:
        raise toolkit.ObjectNotFound(toolkit._("This resource does not contribute to a merged standard dataset"))
