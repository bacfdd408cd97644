"""Offset paging of a listing API that may change while it is read
(:class:`OffsetPager`), with the listing's total when the API reports one.

This module must never import ``ckan`` or ``ckanext``.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from typing import Any

from harvesters.errors import BadResponse

__all__ = [
    "OffsetPager",
    "Page",
]

log = logging.getLogger(__name__)


@dataclasses.dataclass
class Page:
    """One page of an offset-paged listing: its items and the total, if
    the API reports one."""

    items: list[Any]
    total: int | None = None


class OffsetPager:
    """Walks an offset-paged listing (``rows``/``start``, ``limit``/``offset``).

    :param fetch: called with the offset, returns a :class:`Page`.
    :param url: the listing's URL, for messages.
    :param key: extracts an item's identifier; repeated items are skipped.

    The offset advances by the number of items actually returned, so a
    server that caps the page size below the requested one loses nothing.
    A page that brings no new item stops the walk with :class:`BadResponse`
    (the server ignores the offset) instead of looping forever. After
    iteration, :attr:`complete` says whether the listing is known to be
    whole: the total did not change between pages and as many distinct
    items as the total were seen.
    """

    def __init__(self, fetch: Callable[[int], Page], *, url: str, key: Callable[[Any], str]) -> None:
        self.fetch = fetch
        self.url = url
        self.key = key
        self.seen: set[str] = set()
        self.total: int | None = None
        self.total_changed = False
        self.pages = 0

    @property
    def complete(self) -> bool:
        return not self.total_changed and (self.total is None or len(self.seen) >= self.total)

    def __iter__(self) -> Iterator[Any]:
        offset = 0
        while True:
            page = self.fetch(offset)
            self.pages += 1
            if self.pages > 1 and page.total != self.total:
                self.total_changed = True
                log.warning("%s: the listing changed while paging (total %s -> %s)", self.url, self.total, page.total)
            self.total = page.total
            if not page.items:
                break
            new = 0
            for item in page.items:
                key = self.key(item)
                if key in self.seen:
                    continue
                self.seen.add(key)
                new += 1
                yield item
            if new == 0:
                raise BadResponse(
                    self.url,
                    f"the page at offset {offset} repeats earlier items; the server seems to ignore paging",
                    message_ja="ページ送りが機能していません (同じ内容が繰り返し返されました)",
                )
            offset += len(page.items)
            log.info("%s: %d of %s items", self.url, len(self.seen), "?" if page.total is None else page.total)
            if page.total is not None and offset >= page.total:
                break
