"""データの概要: a quick analysis of a loaded table, computed with pandas from
the DataStore (its read-only connection), once per version of the table
(the sha256 of the file loaded) and kept with the load's record.

Per column: its type, how many cells hold a value (``count``), how many
are empty (``missing``), how many distinct values; for numbers min, max,
mean and median and a histogram (10 bins); for dates the first and last
and the rows per month (a line over time; per day when the dates span
less than 3 months); for text the 10 most frequent values (a bar chart).
"""
from __future__ import annotations

import math
from typing import Any, Optional

import sqlalchemy as sa

__all__ = ["compute", "refresh", "version_of", "PROFILE_VERSION"]

#: bumped when what a profile holds changes, so stored ones are recomputed
PROFILE_VERSION = "1"
TOP = 10
BINS = 10


def _number(value: Any) -> Any:
    if value is None:
        return None
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return None
    return int(value) if value.is_integer() and abs(value) < 2 ** 53 else round(value, 6)


def _numeric(series: Any) -> dict[str, Any]:
    import numpy as np
    import pandas as pd
    values = pd.to_numeric(series, errors="coerce").dropna().astype(float)
    if values.empty:
        return {}
    counts, edges = np.histogram(values, bins=BINS if values.nunique() > 1 else 1)
    return {"min": _number(values.min()), "max": _number(values.max()), "mean": _number(values.mean()),
            "median": _number(values.median()),
            "chart": {"kind": "histogram", "labels": [f"{_number(a)}–{_number(b)}" for a, b in zip(edges, edges[1:])],
                      "values": [int(c) for c in counts]}}


def _dates(series: Any) -> dict[str, Any]:
    import pandas as pd
    values = pd.to_datetime(series, errors="coerce").dropna()
    if values.empty:
        return {}
    span = (values.max() - values.min()).days
    period = "D" if span < 90 else "M"
    counts = values.dt.to_period(period).value_counts().sort_index()
    return {"min": values.min().date().isoformat(), "max": values.max().date().isoformat(),
            "chart": {"kind": "line", "period": "day" if period == "D" else "month",
                      "labels": [str(p) for p in counts.index], "values": [int(c) for c in counts.values]}}


def _text(series: Any) -> dict[str, Any]:
    top = series.dropna().astype(str).value_counts().head(TOP)
    return {"top": [{"value": value, "count": int(count)} for value, count in top.items()],
            "chart": {"kind": "bar", "labels": [str(v) for v in top.index], "values": [int(c) for c in top.values]}}


def version_of(record: dict[str, Any]) -> str:
    """The profile version a loaded table's record should hold: this code's
    and the file's (its sha256)."""
    return f"{PROFILE_VERSION}:{record['sha256']}"


def refresh(resource_id: str) -> Optional[dict[str, Any]]:
    """Compute and keep the table's profile unless the one kept is of this
    version of the table (the end of every load, and ``ckan hokkaido tables
    check`` for the profiles an upgrade outdated); the profile, or ``None``
    for a resource without a loaded table."""
    from ckanext.hokkaido.tables import store
    record = store.get(resource_id)
    if record is None or not record["sha256"] or not record["fields"]:
        return None
    if record["profile_version"] == version_of(record) and record["profile"] is not None:
        return record["profile"]
    profile = compute(resource_id, record["fields"])
    store.save_profile(resource_id, version_of(record), profile)
    return profile


def compute(resource_id: str, fields: list[dict[str, str]]) -> dict[str, Any]:
    """The profile of the DataStore table of ``resource_id`` whose columns
    are ``fields`` (``id``, ``type``)."""
    import pandas as pd
    from ckanext.datastore.backend.postgres import get_read_engine

    names = [f["id"] for f in fields]
    columns = ", ".join('"{}"'.format(name.replace('"', '""')) for name in names)
    table = '"{}"'.format(resource_id.replace('"', '""'))
    # rows read by SQLAlchemy itself: pandas' read_sql takes only SQLAlchemy 2's
    # connections (CKAN 2.11 runs 1.4)
    with get_read_engine().connect() as connection:
        result = connection.execute(sa.text(f"SELECT {columns} FROM {table}"))
        frame = pd.DataFrame(result.fetchall(), columns=names)
    result = []
    for field in fields:
        series = frame[field["id"]].replace("", None)
        column = {"name": field["id"], "type": field["type"], "count": int(series.notna().sum()),
                  "missing": int(series.isna().sum()), "distinct": int(series.nunique(dropna=True))}
        if field["type"] in ("numeric", "int", "int4", "int8", "float8"):
            column.update(_numeric(series))
        elif field["type"] in ("date", "timestamp"):
            column.update(_dates(series))
        else:
            column.update(_text(series))
        result.append(column)
    return {"version": PROFILE_VERSION, "rows": int(len(frame)), "columns": result}
