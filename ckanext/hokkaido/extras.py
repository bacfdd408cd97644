"""Where CKAN keeps the extras of datasets and organizations, for our queries.

Our schema stores its fields (``municipality_code``, ``source_url``,
``agency_code``, …) as extras, and the tracker, the harvest and the
inventory read them in SQL. CKAN 2.11 keeps extras in tables of their own
(``package_extra``, ``group_extra``: a row per key, with a state); CKAN 2.12
keeps them in a JSONB column of the row itself (``package.extras``,
``"group".extras``). This module is the one place that knows which: the
rest of the code asks it for rows, filters and columns.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Query, aliased

from ckan import model

__all__ = ["IN_COLUMNS", "group_extra_rows", "package_extra_rows", "value_of", "with_values"]

#: True on CKAN 2.12 and later (extras in a JSONB column), False on 2.11
IN_COLUMNS = not hasattr(model, "PackageExtra")

_KEY = re.compile(r"^[a-z_]+$")


def _keys(keys: Iterable[str]) -> str:
    keys = list(keys)
    if not keys or not all(_KEY.match(k) for k in keys):  # our own constant keys only
        raise ValueError(f"extra keys must be [a-z_]+: {keys!r}")
    return ", ".join(f"'{k}'" for k in keys)


def package_extra_rows(keys: Iterable[str]) -> str:
    """SQL of the rows ``(package_id, key, value)`` of the datasets' active
    extras with these keys (any package state: the caller filters)."""
    if IN_COLUMNS:
        return ("SELECT p.id AS package_id, e.key, e.value "
                "FROM package p CROSS JOIN LATERAL jsonb_each_text(p.extras) e "
                f"WHERE e.key IN ({_keys(keys)})")
    return f"SELECT package_id, key, value FROM package_extra WHERE state = 'active' AND key IN ({_keys(keys)})"


def group_extra_rows(keys: Iterable[str]) -> str:
    """SQL of the rows ``(group_id, key, value)`` of the organizations' and
    groups' active extras with these keys."""
    if IN_COLUMNS:
        return ("SELECT g.id AS group_id, e.key, e.value "
                "FROM \"group\" g CROSS JOIN LATERAL jsonb_each_text(g.extras) e "
                f"WHERE e.key IN ({_keys(keys)})")
    return f"SELECT group_id, key, value FROM group_extra WHERE state = 'active' AND key IN ({_keys(keys)})"


def value_of(key: str) -> Any:
    """A column expression: the dataset's extra ``key`` (``None`` when it has
    none), for ``model.Session.query(...)`` on ``model.Package``."""
    _keys([key])
    if IN_COLUMNS:
        return model.Package.extras[key].astext
    extra = model.PackageExtra
    return (sa.select(extra.value)
            .where(extra.package_id == model.Package.id, extra.key == key, extra.state == "active")
            .limit(1).scalar_subquery())


def with_values(query: Query, **values: str) -> Query:
    """``query`` (on ``model.Package``) narrowed to the datasets whose extras
    hold these values: ``extras ->> key = value`` on 2.12 (the expression of
    migration 0005's index for source_url), a join per key on 2.11 (on
    migration 0002's index)."""
    _keys(values)
    if IN_COLUMNS:
        return query.filter(*(model.Package.extras[key].astext == value for key, value in values.items()))
    for key, value in values.items():
        extra = aliased(model.PackageExtra)
        query = query.join(extra, extra.package_id == model.Package.id).filter(
            extra.key == key, extra.value == value, extra.state == "active")
    return query
