"""What we change in ckanext-dcat's views: the catalogue's pages kept until
the portal's datasets change, and a dataset one may not see not found.

**A private dataset** one may not read answers ``/dataset/<name>.ttl`` (and
every other format) with 404, as CKAN's own dataset page does; ckanext-dcat
answers 403, which CKAN turns into the login page for an anonymous visitor
and which tells that a dataset of that name exists.

**The catalogue's pages**:

ckanext-dcat builds ``/catalog.<format>`` for every request: a page of 100
datasets is about half a second of graph building and serialisation on one
core, the same answer again and again between two nightly harvests.
:func:`install` wraps its view (endpoint ``dcat.read_catalog``) so that an
anonymous request is answered from Redis while the public datasets are as
they were: the key holds the request's path and query and the catalogue's
state, the number of public active datasets and the latest
``metadata_modified`` among all of them (a new, changed, deleted, made
private or purged dataset changes one or the other). Pages are kept at
most ``ckanext.hokkaido.dcat.cache_seconds`` (3600; 0 turns the cache off),
which bounds what no dataset date shows (an organization renamed).
A logged-in user's request, an answer other than 200 and Redis being away
all go to ckanext-dcat as before.
"""
from __future__ import annotations

import functools
import hashlib
import logging
from typing import Any, Callable

import sqlalchemy as sa
from flask import Response, make_response, request
from werkzeug.exceptions import Forbidden

from ckan import model
from ckan.plugins import toolkit

__all__ = ["ENDPOINT", "DATASET_ENDPOINT", "install", "state"]

log = logging.getLogger(__name__)

ENDPOINT = "dcat.read_catalog"
DATASET_ENDPOINT = "dcat.read_dataset"
_PREFIX = "ckanext.hokkaido.dcat.catalog:"


def seconds() -> int:
    return max(0, toolkit.asint(toolkit.config.get("ckanext.hokkaido.dcat.cache_seconds")))


def state() -> str:
    """What the catalogue's pages depend on, as one string."""
    package = model.Package
    public = sa.and_(package.type == "dataset", package.state == "active", package.private.is_(False))
    count, latest, changed = model.Session.execute(sa.select(
        sa.func.count().filter(public), sa.func.max(package.metadata_modified).filter(public),
        sa.func.max(package.metadata_modified))).one()
    return f"{count}|{latest}|{changed}"


def _key() -> str:
    wanted = f"{request.full_path}|{state()}"
    return _PREFIX + hashlib.sha256(wanted.encode("utf-8")).hexdigest()


def _cached(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def read_catalog(*args: Any, **kwargs: Any) -> Any:
        keep = seconds()
        # /catalog.<format> only: with content negotiation "/" is this view too (the front page)
        if not keep or not kwargs.get("_format") or toolkit.current_user.is_authenticated:
            return view(*args, **kwargs)
        from ckan.lib.redis import connect_to_redis

        try:
            redis = connect_to_redis()
            key = _key()
            hit = redis.hgetall(key)
        except Exception as exc:  # noqa: BLE001 - no cache: ckanext-dcat answers as without one
            log.warning("DCAT catalogue cache unavailable: %s", exc)
            return view(*args, **kwargs)
        if hit:
            return Response(hit[b"body"], content_type=hit[b"type"].decode("utf-8"))
        answer = make_response(view(*args, **kwargs))
        if answer.status_code == 200:
            try:
                redis.hset(key, mapping={"body": answer.get_data(), "type": answer.content_type})
                redis.expire(key, keep)
            except Exception as exc:  # noqa: BLE001 - the answer is right all the same
                log.warning("DCAT catalogue page not cached: %s", exc)
        return answer

    read_catalog.hokkaido_cached = True  # type: ignore[attr-defined]
    return read_catalog


def _not_found_when_forbidden(view: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(view)
    def read_dataset(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except Forbidden:
            return toolkit.abort(404, toolkit._("Dataset not found"))

    read_dataset.hokkaido_wrapped = True  # type: ignore[attr-defined]
    return read_dataset


def install(app: Any) -> None:
    """Wrap ckanext-dcat's views on ``app`` (when the ``dcat`` plugin is
    loaded); idempotent."""
    view = app.view_functions.get(ENDPOINT)
    if view is not None and not getattr(view, "hokkaido_cached", False):
        app.view_functions[ENDPOINT] = _cached(view)
    view = app.view_functions.get(DATASET_ENDPOINT)
    if view is not None and not getattr(view, "hokkaido_wrapped", False):
        app.view_functions[DATASET_ENDPOINT] = _not_found_when_forbidden(view)
