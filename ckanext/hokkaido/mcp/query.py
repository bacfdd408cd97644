"""Aggregations over a DataStore table for the assistant: count, sum, mean,
min and max, grouped by columns, with equality filters.

The caller's right to read the table is checked by CKAN's own
``datastore_search`` (which also gives the columns); the SQL then runs on
the DataStore's read-only engine with every name checked against those
columns and quoted, every value a bound parameter, and a statement timeout.
Numbers written as text (「1,234」) are read as numbers; other text counts
as missing for sum and mean.
"""
from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa
from ckan.plugins import toolkit

from ckanext.hokkaido.mcp.caller import refuse

__all__ = ["OPERATIONS", "columns_of", "aggregate", "positive"]

OPERATIONS = {"count": "count", "sum": "sum", "mean": "avg", "min": "min", "max": "max"}
_NUMERIC_TYPES = {"int", "int4", "int8", "integer", "bigint", "numeric", "float", "float8", "double precision"}
_NUMBER = r"^[-+]?[0-9]+(\.[0-9]+)?$"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def columns_of(context: dict[str, Any], resource_id: str) -> dict[str, str]:
    """The table's columns and their types, if the caller may read it."""
    found = toolkit.get_action("datastore_search")(dict(context), {"resource_id": resource_id, "limit": 0})
    return {f["id"]: f["type"] for f in found["fields"] if f["id"] != "_id"}


def _checked(names: list[str], columns: dict[str, str], what: str) -> list[str]:
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise refuse(f"{what}の列がこの表にありません: {', '.join(unknown)}（列: {', '.join(columns)}）",
                     f"no such column for {what}: {', '.join(unknown)} (columns: {', '.join(columns)})")
    return names


def _number(column: str, kind: str) -> str:
    if kind in _NUMERIC_TYPES:
        return _quote(column)
    text = f"btrim(replace(replace({_quote(column)}::text, ',', ''), '，', ''))"
    return f"CASE WHEN {text} ~ '{_NUMBER}' THEN {text}::numeric END"


def aggregate(context: dict[str, Any], resource_id: str, group_by: list[str],
              aggregates: list[dict[str, str]], filters: dict[str, Any], limit: int,
              timeout_ms: int) -> dict[str, Any]:
    """``group_by`` columns and per group each of ``aggregates``
    (``{"op": "count"|"sum"|"mean"|"min"|"max", "column": name}``; ``count``
    without a column counts rows), largest first by the first aggregate."""
    columns = columns_of(context, resource_id)
    _checked(list(group_by), columns, "グループ / group_by")
    _checked(list(filters), columns, "絞り込み / filters")
    if not aggregates:
        aggregates = [{"op": "count"}]
    selected, names = [_quote(g) for g in group_by], list(group_by)
    for wanted in aggregates:
        op, column = str(wanted.get("op", "")).lower(), wanted.get("column") or ""
        if op not in OPERATIONS:
            raise refuse(f"集計の種類が正しくありません: {op}（{', '.join(OPERATIONS)}）",
                         f"unknown aggregate: {op} (one of {', '.join(OPERATIONS)})")
        if not column and op != "count":
            raise refuse(f"{op} には列が必要です。", f"{op} needs a column.")
        if column:
            _checked([column], columns, "集計 / aggregates")
        if op == "count":
            expression = f"count({_quote(column)})" if column else "count(*)"
        else:
            expression = f"{OPERATIONS[op]}({_number(column, columns[column])})"
        label = f"{op}_{column}" if column else "count"
        selected.append(f"{expression} AS {_quote(label)}")
        names.append(label)
    params: dict[str, Any] = {"limit": limit + 1}
    where = []
    for i, (column, value) in enumerate(filters.items()):
        values = value if isinstance(value, list) else [value]
        keys = [f"f{i}_{j}" for j in range(len(values))]
        params.update({k: str(v) for k, v in zip(keys, values)})
        where.append(f"{_quote(column)}::text IN ({', '.join(':' + k for k in keys)})")
    sql = (f"SELECT {', '.join(selected)} FROM {_quote(resource_id)}"
           + (f" WHERE {' AND '.join(where)}" if where else "")
           + (f" GROUP BY {', '.join(_quote(g) for g in group_by)}" if group_by else "")
           + f" ORDER BY {len(group_by) + 1} DESC NULLS LAST LIMIT :limit")
    rows = _run(sql, params, timeout_ms)
    return {"columns": names, "rows": [[_plain(v) for v in r] for r in rows[:limit]],
            "groups": min(len(rows), limit), "truncated": len(rows) > limit}


def _plain(value: Any) -> Any:
    from decimal import Decimal
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else round(float(value), 6)
    return value


def _run(sql: str, params: dict[str, Any], timeout_ms: int) -> list[tuple]:
    from ckanext.datastore.backend.postgres import get_read_engine
    from sqlalchemy.exc import OperationalError

    try:
        with get_read_engine().begin() as connection:
            connection.execute(sa.text(f"SET LOCAL statement_timeout = {int(timeout_ms)}"))
            return [tuple(r) for r in connection.execute(sa.text(sql), params)]
    except OperationalError as error:
        if "statement timeout" in str(error) or "canceling statement" in str(error):
            raise refuse(f"集計に時間がかかりすぎました（{timeout_ms} ms）。絞り込んでください。",
                         f"the aggregation took too long ({timeout_ms} ms); add filters.") from None
        raise


def positive(value: Optional[int], default: int, cap: int) -> int:
    """A limit the caller asked for, at least 1 and at most ``cap``."""
    try:
        wanted = int(value) if value is not None else default
    except (TypeError, ValueError):
        raise refuse("limit は整数です。", "limit must be an integer.") from None
    return max(1, min(wanted, cap))
