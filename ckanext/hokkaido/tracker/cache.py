"""The statuses of every municipality (queries + rules), computed once and
kept until something they depend on changes.
"""
from __future__ import annotations

import copy
import datetime as dt
import logging
from typing import Any, Optional

import sqlalchemy as sa
from redis.exceptions import RedisError

from ckan import model
from ckan.plugins import toolkit

from ckanext.hokkaido import extras, registry
from ckanext.hokkaido.tracker.queries import (dataset_stats, elsewhere_records, harvest_sources,
                                              harvest_tables_exist)
from ckanext.hokkaido.tracker.rules import ELSEWHERE_KEYS, status_row

__all__ = ["cached_sources", "cached_statuses", "invalidate", "municipality_statuses", "stale_months"]

log = logging.getLogger(__name__)


def stale_months() -> int:
    return toolkit.config.get("ckanext.hokkaido.stale_months")


def municipality_statuses(today: Optional[dt.date] = None,
                          sources: Optional[dict[str, list[dict[str, Any]]]] = None) -> list[dict[str, Any]]:
    """北海道's row (``is_prefecture``), then the 179 municipalities with
    their status, in code order."""
    today = today or dt.date.today()
    months = stale_months()
    stats = dataset_stats(today=today)
    sources = harvest_sources() if sources is None else sources
    elsewhere = elsewhere_records()
    return [status_row(m, stats, sources, elsewhere, today, months)
            for m in (registry.prefecture(), *registry.municipalities())]


# -- cache ------------------------------------------------------------------
#
# The statuses are recomputed only when something they depend on changed:
# a dataset (any create/update/delete/private toggle moves the newest
# metadata_modified or the count), a harvest job, a "publishes elsewhere"
# record (bumps a Redis counter, shared by every web worker), the day, or
# the stale-months setting. Each worker keeps the last result in memory.
# Without Redis (stopped, restarting) nothing is cached and nothing fails:
# every request computes the statuses, the pages and the API still answer.

_GENERATION_KEY = "ckanext.hokkaido:tracker:generation"
_cache: dict[str, Any] = {"key": None, "rows": None, "sources": None}


class _Unavailable:
    """The generation while Redis does not answer: equal to nothing, so no
    cached result is used."""


def _redis() -> Any:
    from ckan.lib.redis import connect_to_redis
    return connect_to_redis()


def invalidate() -> None:
    """Make every worker recompute the statuses on its next request."""
    try:
        _redis().incr(_GENERATION_KEY)
    except RedisError as exc:  # no worker caches while Redis is away (see _generation)
        log.warning("tracker cache: Redis unavailable, not shared with other workers: %s", exc)


def _generation() -> Any:
    try:
        return _redis().get(_GENERATION_KEY)
    except RedisError as exc:
        log.warning("tracker cache: Redis unavailable, computing without the cache: %s", exc)
        return _Unavailable()


def _fingerprint() -> tuple:
    harvest = ("(SELECT max(coalesce(finished, created)) FROM harvest_job), "
               "(SELECT count(*) FROM harvest_job)"
               if harvest_tables_exist() else "NULL, NULL")
    row = model.Session.execute(sa.text(
        "SELECT (SELECT max(metadata_modified) FROM package), "
        f"(SELECT count(*) FROM package), {harvest}, "
        # the 他サイトで公開 records themselves (the Redis counter alone could repeat a value)
        "(SELECT md5(string_agg(group_id || key || coalesce(value, ''), ',' ORDER BY group_id, key)) "
        f"   FROM ({extras.group_extra_rows(ELSEWHERE_KEYS)}) ge)")).fetchone()
    return tuple(row) + (_generation(), dt.date.today(), stale_months())


def _refresh() -> None:
    key = _fingerprint()
    if _cache["key"] != key:
        sources = harvest_sources()
        _cache["rows"] = municipality_statuses(sources=sources)
        _cache["sources"] = sources
        _cache["key"] = key


def cached_statuses() -> list[dict[str, Any]]:
    """:func:`municipality_statuses` for today, recomputed only on change.

    Returns deep-enough copies: callers may modify the row dicts.
    """
    _refresh()
    return [dict(r) for r in _cache["rows"]]


def cached_sources(code: str) -> list[dict[str, Any]]:
    """:func:`~.queries.harvest_sources` of one municipality, computed with
    the statuses and kept as long as they are (a municipality's page asked
    for every source's last run on each view: 65 ms of its 160). Copies:
    callers may modify them."""
    _refresh()
    return copy.deepcopy(_cache["sources"].get(code, []))
