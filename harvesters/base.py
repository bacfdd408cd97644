"""The base class of every source adapter.

An adapter reads one kind of portal and yields :class:`~harvesters.records.Record`
objects, fetching through one :class:`~harvesters.client.HttpClient`. The
machinery it stands on is in modules of its own: :mod:`harvesters.errors`,
:mod:`harvesters.guard`, :mod:`harvesters.decoding`, :mod:`harvesters.client`,
:mod:`harvesters.records`, :mod:`harvesters.paging`; the municipality
registry is :mod:`harvesters.municipalities`.

This module must never import ``ckan`` or ``ckanext``.
"""
from __future__ import annotations

import abc
import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar

from harvesters.client import HttpClient
from harvesters.errors import ConfigError, redact_url
from harvesters.municipalities import is_valid_municipality_code
from harvesters.records import Problem, Record
from harvesters.util import is_http_url

__all__ = [
    "SourceAdapter",
]

log = logging.getLogger(__name__)


class SourceAdapter(abc.ABC):
    """Reads one portal of one kind and yields normalised :class:`Record`s.

    :param url: the portal's base URL (http or https).
    :param config: adapter settings; keys outside :attr:`config_keys` are
        rejected so that typos do not pass silently.
    :param client: the :class:`HttpClient` to fetch with (a default one,
        public addresses only, if omitted).

    Every adapter accepts ``municipality_code``: the 6-digit code every
    record is attributed to (unless the adapter's own rules say otherwise).

    :raises ConfigError: for a bad URL or configuration.
    """

    #: The name of the kind, as used by the CLI and the harvest sources.
    kind: ClassVar[str] = ""
    #: Accepted configuration keys; subclasses extend this set.
    config_keys: ClassVar[frozenset[str]] = frozenset({"municipality_code"})

    def __init__(self, url: str, config: Mapping[str, Any] | None = None, client: HttpClient | None = None) -> None:
        if not is_http_url(url):
            raise ConfigError(url or "(empty)", "the source URL must be an absolute http or https URL",
                              message_ja="ハーベスト元のURLは http または https で始まる必要があります")
        self.url = url.rstrip("/")
        self.config: dict[str, Any] = dict(config or {})
        unknown = set(self.config) - self.config_keys
        if unknown:
            raise ConfigError(
                self.url,
                f"unknown configuration keys for kind {self.kind!r}: {', '.join(sorted(unknown))} "
                f"(accepted: {', '.join(sorted(self.config_keys))})",
                message_ja="設定に不明な項目があります",
            )
        self.municipality_code = self.config.get("municipality_code") or None
        if self.municipality_code is not None:
            self.municipality_code = self._valid_code(self.municipality_code, "municipality_code")
        self.client = client or HttpClient()
        #: Record-level problems found by the last (or running) call of
        #: :meth:`records`; see :class:`Problem`.
        self.problems: list[Problem] = []

    def report(
        self,
        identifier: str,
        reason: str,
        *,
        level: str = "warning",
        line: int | None = None,
        url: str | None = None,
        message_ja: str = "",
    ) -> Problem:
        """Record a :class:`Problem` in :attr:`problems` and log it."""
        problem = Problem(identifier, reason, level, line, redact_url(url) if url else None, message_ja)
        self.problems.append(problem)
        log.warning("%s: %s", self.url, problem)
        return problem

    def _valid_code(self, code: Any, setting: str) -> str:
        """Return ``code`` as a string if it is a valid municipality code."""
        text = str(code).strip()
        if not is_valid_municipality_code(text):
            raise ConfigError(
                self.url,
                f"{setting}: {code!r} is not a valid 6-digit municipality code (check digit included)",
                message_ja=f"自治体コード {code} が正しくありません",
            )
        return text

    @abc.abstractmethod
    def records(self, since: datetime | None = None) -> Iterator[Record]:
        """Yield the source's datasets as records.

        :param since: only datasets modified at or after this moment (naive
            datetimes are taken as UTC); ``None`` for all of them.
        """

    def list_identifiers(self) -> list[str]:
        """Every identifier the source lists now, for deletion detection.

        The default walks :meth:`records`; adapters override it with a
        cheaper listing. Implementations raise :class:`IncompleteListing`
        rather than return a list that may lack identifiers.
        """
        return [record.identifier for record in self.records()]
