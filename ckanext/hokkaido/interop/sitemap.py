"""The portal's public pages for search engines (sitemaps.org protocol).

One sequence of addresses, in a fixed order: the portal's own pages, the
179 municipalities' pages, the merged standard datasets' pages, then every
public, active dataset by name. :data:`PAGE_SIZE` of them to a sitemap (the
protocol allows 50,000); ``/sitemap.xml`` is the index of those pages
(``/sitemap-1.xml`` …), so the listing grows past 50,000 datasets without
a change. A page reads its datasets with one query (in name order, the
``package`` table's unique index on name).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterator, Optional

import sqlalchemy as sa
from ckan import model
from ckan.plugins import toolkit

from ckanext.hokkaido import registry
from ckanext.hokkaido.standard.columns import definitions

__all__ = ["Entry", "page_count", "page_entries", "page_size", "PAGE_SIZE"]

#: addresses in one sitemap: the protocol's limit
PAGE_SIZE = 50_000

#: the portal's own pages, first in the sequence
PORTAL_PAGES = ("/", "/dataset/", "/municipalities", "/standard", "/api-guide", "/ai", "/about")


@dataclass(frozen=True)
class Entry:
    path: str
    lastmod: Optional[dt.date] = None


def page_size() -> int:
    """``ckanext.hokkaido.sitemap.page_size`` (tests make it small)."""
    return max(1, min(PAGE_SIZE, toolkit.asint(toolkit.config.get("ckanext.hokkaido.sitemap.page_size"))))


def _fixed() -> list[Entry]:
    return ([Entry(path) for path in PORTAL_PAGES]
            + [Entry(f"/municipalities/{m.code}") for m in registry.municipalities()]
            + [Entry(f"/standard/{no}") for no in sorted(definitions())])


def _public_datasets():
    return (model.Session.query(model.Package.name, model.Package.metadata_modified)
            .filter(model.Package.type == "dataset")
            .filter(model.Package.state == "active")
            .filter(model.Package.private == sa.false()))


def _dataset_count() -> int:
    return _public_datasets().count()


def page_count() -> int:
    """Sitemaps in the index (at least one)."""
    total = len(_fixed()) + _dataset_count()
    return max(1, -(-total // page_size()))


def page_entries(page: int) -> Iterator[Entry]:
    """The addresses of sitemap ``page`` (1-based).

    :raises ValueError: for a page outside 1 … :func:`page_count`.
    """
    if page < 1 or page > page_count():
        raise ValueError(f"no sitemap page {page}")
    size = page_size()
    start, stop = (page - 1) * size, page * size
    fixed = _fixed()
    yield from fixed[start:stop]
    skip = max(0, start - len(fixed))
    wanted = stop - max(start, len(fixed))
    if wanted <= 0:
        return
    query = _public_datasets().order_by(model.Package.name).offset(skip).limit(wanted)
    for name, modified in query:
        yield Entry(f"/dataset/{name}", modified.date() if modified else None)
