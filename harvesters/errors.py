"""The errors of harvesting, each with a message for the web UI.

Every failure raises a :class:`HarvestError` subclass whose English message
names the URL (credentials and secret-looking query values redacted, see
:func:`public_url`) and the reason, and whose ``message_ja`` is a short
Japanese summary. ``public_message`` is what may be shown to anyone.

This module must never import ``ckan`` or ``ckanext``.
"""
from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import SplitResult, urlsplit, urlunsplit

__all__ = [
    "BadResponse",
    "BlockedAddress",
    "ConfigError",
    "ConnectionFailed",
    "FetchError",
    "HarvestError",
    "HttpStatusError",
    "IncompleteListing",
    "LimitExceeded",
    "Timeout",
    "TooLarge",
    "TooManyRedirects",
    "public_host",
    "redact_url",
    "public_url",
]


def _host(parts: SplitResult) -> str:
    """The host of a split URL, an IPv6 address in brackets."""
    host = parts.hostname or ""
    return f"[{host}]" if ":" in host else host


def redact_url(url: str) -> str:
    """Return ``url`` without any ``user:password@`` part, for messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.username is None and parts.password is None:
        return url
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{_host(parts)}:{port}" if port else _host(parts)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def public_host(url: str | None) -> str:
    """The host (and a port other than the scheme's) of ``url``: all of a
    URL that a public message names. Path, query string and credentials may
    hold tokens or text a remote server chose, so they are left out."""
    try:
        parts = urlsplit(url or "")
        port = parts.port
    except ValueError:
        return "?"
    host = _host(parts)
    if not host:
        return "?"
    default = {"http": 80, "https": 443, "ftp": 21}.get(parts.scheme)
    return f"{host}:{port}" if port and port != default else host


_SECRET_PARAMETER = re.compile(r"(?i)key|token|secret|passw|pwd|auth|sig|session|sid|credential|code")


def public_url(url: str | None) -> str | None:
    """``url`` as a public page may show it: without ``user:password@`` and
    with the value of every query parameter whose name looks secret
    (``api_key``, ``token``, ``sig``, …) replaced by ``***``."""
    if not url:
        return url
    url = redact_url(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return public_host(url)
    if not parts.query:
        return url
    query = "&".join(
        f"{name}=***" if _SECRET_PARAMETER.search(name) and sep else f"{name}{sep}{value}"
        for name, sep, value in (item.partition("=") for item in parts.query.split("&")))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


class HarvestError(Exception):
    """Base class of every error an adapter or the HTTP client raises.

    :param url: the URL being fetched (credentials are removed for display).
    :param reason: what went wrong, in English. It may quote what the
        server sent (an error body, a parser's complaint about it), so it is
        detail for the source's own staff, not for a public page.
    :param message_ja: a short Japanese summary in our own words; each
        subclass has a default. It never quotes the server.

    ``str(error)`` is ``"<url>: <reason>"``; :attr:`public_message` is what
    anyone may read.
    """

    default_message_ja: ClassVar[str] = "ハーベストに失敗しました"
    #: The English counterpart of :attr:`default_message_ja`, for public messages.
    message_en: ClassVar[str] = "the harvest failed"

    def __init__(self, url: str, reason: str, *, message_ja: str | None = None) -> None:
        self.url = redact_url(url)
        self.reason = reason
        self.message_ja = message_ja or self.default_message_ja
        super().__init__(f"{self.url}: {reason}")

    @property
    def public_message(self) -> str:
        """The failure in our own words, fit for any reader: the Japanese
        summary, the English one, the host (and an HTTP status), never the
        URL's path, query or credentials nor a byte the server chose."""
        return f"{self.message_ja} / {self.message_en} ({public_host(self.url)})"


class ConfigError(HarvestError):
    """The adapter's URL or configuration is invalid (a usage error)."""

    default_message_ja = "ハーベスト元の設定が正しくありません"
    message_en = "the source's URL or configuration is invalid"


class FetchError(HarvestError):
    """The resource could not be fetched."""

    default_message_ja = "データを取得できませんでした"
    message_en = "the data could not be fetched"


class ConnectionFailed(FetchError):
    """The connection could not be made or broke off (DNS, refused, reset)."""

    default_message_ja = "サーバーに接続できませんでした"
    message_en = "could not connect to the server"


class Timeout(FetchError):
    """The server did not answer or finish in time."""

    default_message_ja = "サーバーの応答がタイムアウトしました"
    message_en = "the server did not answer in time"


class TooLarge(FetchError):
    """The body is larger than the configured ``max_bytes``."""

    default_message_ja = "データが大きすぎるため取得を中止しました"
    message_en = "the data is larger than the limit; download stopped"


class TooManyRedirects(FetchError):
    """More redirects than ``max_redirects``."""

    default_message_ja = "リダイレクトが多すぎます"
    message_en = "too many redirects"


class BlockedAddress(FetchError):
    """The URL's scheme or the address its host resolves to is not allowed."""

    default_message_ja = "接続が許可されていないアドレスです"
    message_en = "connecting to this address is not allowed"


class HttpStatusError(FetchError):
    """The server answered with an error status (after any retries).

    :ivar status: the HTTP status code.
    :ivar body_excerpt: the first few KB of the error body, decoded, or ``""``.
    """

    default_message_ja = "サーバーがエラーを返しました"
    message_en = "the server answered with an error status"

    def __init__(
        self,
        url: str,
        reason: str,
        *,
        status: int,
        body_excerpt: str = "",
        message_ja: str | None = None,
    ) -> None:
        super().__init__(url, reason, message_ja=message_ja or f"サーバーがエラーを返しました (HTTP {status})")
        self.status = status
        self.body_excerpt = body_excerpt

    @property
    def public_message(self) -> str:
        return f"{self.message_ja} / the server answered HTTP {self.status} ({public_host(self.url)})"


class BadResponse(HarvestError):
    """The body arrived but is not what the portal's API promises."""

    default_message_ja = "サーバーの応答の形式が正しくありません"
    message_en = "the server's answer is not in the expected format"


class IncompleteListing(BadResponse):
    """A full listing could not be shown to be complete.

    Raised when the listing changed while it was being paged through, so
    identifiers may have been skipped; acting on it (deleting datasets that
    seem gone) would be unsafe.
    """

    default_message_ja = "一覧の取得中に内容が変わったため、一覧が不完全な可能性があります"
    message_en = "the listing changed while it was read and may be incomplete"


class LimitExceeded(BadResponse):
    """The body arrived within ``max_bytes`` but reading it would pass one
    of the :class:`Limits` on hostile input (JSON nesting, unpacked size of
    a ZIP, a CSV field, XML entities); nothing of it is used."""

    default_message_ja = "データが安全のための上限を超えているため、読み込みを中止しました"
    message_en = "the data passes a safety limit and was not read"
