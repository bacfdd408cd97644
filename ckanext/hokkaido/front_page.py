"""What the front page shows, computed at most once a minute per web
worker (``ckanext.hokkaido.front_page.cache_seconds``): the tracker's
headline figures and map, the datasets changed this week, the newest and
the most used datasets, the standard datasets with how many municipalities
publish each, and the newest use cases. Everything is what a visitor may
see (public datasets only), so one copy serves every visitor.

"Most used" are the datasets the most use cases (活用事例) name: what
people have built on. CKAN's page-view counter (its ``tracking`` plugin)
is not used: it adds database queries for every result of every search.
"""
from __future__ import annotations

import time
from typing import Any

from ckan.plugins import toolkit

from ckanext.hokkaido import registry, tracker
from ckanext.hokkaido.maps import map_points
from ckanext.hokkaido.tracker import queries as tracker_queries

__all__ = ["front_page", "forget"]

_cache: dict[str, Any] = {"at": 0.0, "data": None}


def forget() -> None:
    """Compute again at the next request (tests, and after changes that
    should show at once)."""
    _cache["data"] = None


def _search(**params: Any) -> dict[str, Any]:
    # as a visitor: what the front page lists, everyone may see
    return toolkit.get_action("package_search")({"user": "", "ignore_auth": False},
                                                {"include_private": False, "facet": "false", **params})


def _compute() -> dict[str, Any]:
    from ckanext.hokkaido.community import use_cases
    rows = [r for r in tracker.cached_statuses() if not r["is_prefecture"]]
    summary = tracker.summarize(rows)
    points, height = map_points(rows)
    newest = _search(sort="metadata_created desc", rows=6)["results"]
    total = _search(rows=0)["count"]  # the whole portal's: the prefecture's and the municipalities'
    # by the sources' own dates (the tracker's rule), not metadata_modified,
    # which every harvest run moves
    week = tracker_queries.changed_since(7)
    standard = [{"no": s.no, "name": s.name,
                 "municipalities": sum(1 for r in rows if s.no in (r.get("standard_datasets") or []))}
                for s in registry.standard_datasets()]
    return {
        "summary": summary, "points": points, "map_height": height,
        "datasets": total, "changed_this_week": week, "newest": newest,
        "most_used": use_cases.most_used(6),
        "standard": standard,
        "use_cases": use_cases.search("", limit=3),
    }


def front_page() -> dict[str, Any]:
    """The front page's figures and lists (a copy the caller may change)."""
    ttl = toolkit.config.get("ckanext.hokkaido.front_page.cache_seconds")
    now = time.monotonic()
    if _cache["data"] is None or now - _cache["at"] >= ttl:
        _cache["data"] = _compute()
        _cache["at"] = now
    return dict(_cache["data"])
