"""What an adapter yields: :class:`Record` (one dataset, normalised for
the portal, with a content hash) and :class:`Problem` (a record-level
problem an adapter reports without failing the source).

This module must never import ``ckan`` or ``ckanext``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import unicodedata
from typing import Any, ClassVar

from harvesters.errors import public_host
from harvesters.municipalities import is_valid_municipality_code

__all__ = [
    "Problem",
    "Record",
]


_RESOURCE_KEYS = ("url", "name", "format", "description")


def _clean(value: Any) -> str:
    """A string stripped of outer whitespace, with ``\\n`` line ends and NFC."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    return unicodedata.normalize("NFC", text)


def _clean_optional(value: Any) -> str | None:
    return _clean(value) or None


@dataclasses.dataclass
class Record:
    """One dataset as read from a source, normalised for the portal.

    :ivar identifier: the dataset's identifier at the source (stable).
    :ivar title: the title (adapters fall back to the name).
    :ivar notes: the description, ``""`` if none.
    :ivar tags: tag names; stored de-duplicated and sorted.
    :ivar license_id: the source's license identifier, if any.
    :ivar license_title: the source's license title, if any.
    :ivar resources: dicts with exactly ``url``, ``name``, ``format`` and
        ``description`` (strings), in the source's order.
    :ivar source_url: the dataset's human-readable page at the source.
    :ivar source_modified: when the source last changed it (ISO 8601).
    :ivar municipality_code: the 6-digit code of the municipality it is
        attributed to, or ``None``.
    :ivar extras: further JSON-serialisable values from the source.

    Fields are normalised on creation: strings stripped, line ends ``\\n``,
    Unicode NFC. An empty identifier or a malformed municipality code raises
    :class:`ValueError`.
    """

    identifier: str
    title: str
    notes: str = ""
    tags: list[str] = dataclasses.field(default_factory=list)
    license_id: str | None = None
    license_title: str | None = None
    resources: list[dict[str, str]] = dataclasses.field(default_factory=list)
    source_url: str | None = None
    source_modified: str | None = None
    municipality_code: str | None = None
    extras: dict[str, Any] = dataclasses.field(default_factory=dict)

    #: Fields left out of :meth:`content_hash` (none: a new date alone is a
    #: re-publication the portal must record).
    HASH_EXCLUDED: ClassVar[frozenset[str]] = frozenset()

    def __post_init__(self) -> None:
        self.identifier = _clean(self.identifier)
        if not self.identifier:
            raise ValueError("a record needs a non-empty identifier")
        self.title = _clean(self.title)
        self.notes = _clean(self.notes)
        self.tags = sorted({t for t in (_clean(tag) for tag in self.tags) if t})
        self.license_id = _clean_optional(self.license_id)
        self.license_title = _clean_optional(self.license_title)
        self.resources = [{key: _clean(resource.get(key)) for key in _RESOURCE_KEYS} for resource in self.resources]
        self.source_url = _clean_optional(self.source_url)
        self.source_modified = _clean_optional(self.source_modified)
        self.municipality_code = _clean_optional(self.municipality_code)
        if self.municipality_code is not None and not is_valid_municipality_code(self.municipality_code):
            raise ValueError(f"invalid municipality code {self.municipality_code!r} for record {self.identifier!r}")
        self.extras = dict(self.extras)

    def to_dict(self) -> dict[str, Any]:
        """All fields as plain JSON-serialisable data (a deep copy)."""
        return dataclasses.asdict(self)

    def content_hash(self) -> str:
        """SHA-256 (hex) of a canonical JSON form of the record.

        Stable across runs and processes, independent of key order in
        ``extras`` and resources and of tag order. ``source_modified`` is
        part of it: a record re-published with only a new date is imported
        again, so the portal's 収集元更新日時 and the tracker follow the
        source's own date.
        """
        data = {k: v for k, v in self.to_dict().items() if k not in self.HASH_EXCLUDED}
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True)
class Problem:
    """Something wrong with one record (or one row, one link) of a source.

    A problem does not stop the harvest: the other records are still
    yielded. Adapters collect them in :attr:`SourceAdapter.problems` while
    :meth:`SourceAdapter.records` runs, so that a caller can list them after
    (or during) the iteration.

    :ivar identifier: the record's identifier at the source, or where the
        problem is when there is no identifier (``"line 12"``).
    :ivar reason: what is wrong, in English.
    :ivar level: ``"warning"`` (the record was yielded, possibly with less
        information, e.g. without a municipality) or ``"error"`` (the record,
        row or resource was skipped).
    :ivar line: the line (CSV) or row (XLSX) number, 1-based, if any.
    :ivar url: the URL the problem was found at, if any.
    :ivar message_ja: a short Japanese summary for the web UI, in our own
        words (never quoting the source: :attr:`reason` may).
    """

    identifier: str
    reason: str
    level: str = "warning"
    line: int | None = None
    url: str | None = None
    message_ja: str = ""

    LEVELS: ClassVar[tuple[str, ...]] = ("warning", "error")

    def __post_init__(self) -> None:
        if self.level not in self.LEVELS:
            raise ValueError(f"problem level must be one of {self.LEVELS}, not {self.level!r}")

    def __str__(self) -> str:
        return f"{self.level}: {self.identifier}: {self.reason}"

    @property
    def public_message(self) -> str:
        """The problem in our own words, fit for any reader (see
        :attr:`HarvestError.public_message`); :attr:`reason` is the detail."""
        summary = self.message_ja or (
            "記録を読み込めませんでした / a record was skipped" if self.level == "error"
            else "記録の一部を読めませんでした / part of a record could not be read")
        where = [public_host(self.url)] if self.url else []
        if self.line:
            where.append(f"{self.line}行目 / line {self.line}")
        return f"[{self.level}] {summary}" + (f" ({', '.join(where)})" if where else "")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
