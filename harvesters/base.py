"""Shared machinery for every source adapter.

An adapter reads one kind of portal and yields :class:`Record` objects. All
of them fetch over HTTP through one :class:`HttpClient`, which bundles the
rules a polite and safe harvester needs:

* connect and read timeouts, plus a deadline for a whole download;
* retries with exponential backoff on 408/429/5xx and on network failures,
  honouring ``Retry-After`` (seconds or an HTTP date), a bounded number of
  times;
* a size cap: bodies are streamed and the download stops as soon as it passes
  ``max_bytes`` (after decompression, so a gzip bomb is caught too);
* bounds on parsing what arrived (:class:`Limits`: JSON values and depth here,
  ZIP/XLSX, CSV and XML in :mod:`harvesters.limits`), handed on with every
  response;
* per-host politeness: at most ``max_parallel_per_host`` requests in flight to
  one host and at least ``min_delay`` seconds between the starts of two
  requests to it (:class:`HostThrottle`);
* a User-Agent naming the portal that harvests;
* an SSRF guard (:class:`AddressGuard`): only ``http``/``https`` URLs whose
  host resolves exclusively to public addresses are fetched, checked again at
  every redirect hop (redirects are followed by hand) and once more on the
  address the socket actually connected to, which defeats DNS rebinding;
* text decoding that understands Japanese portals (:func:`decode_text`).

Failures raise a :class:`HarvestError` subclass whose English message names
the URL and the reason, and whose ``message_ja`` attribute is a short
Japanese summary for the web UI.

This module must never import ``ckan`` or ``ckanext``.
"""
from __future__ import annotations

import abc
import codecs
import dataclasses
import email.utils
import hashlib
import ipaddress
import json
import logging
import re
import socket
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, ClassVar, Union
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import requests
import requests.adapters
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
from requests.structures import CaseInsensitiveDict

__all__ = [
    # errors
    "HarvestError",
    "public_host",
    "public_url",
    "ConfigError",
    "FetchError",
    "ConnectionFailed",
    "Timeout",
    "TooLarge",
    "TooManyRedirects",
    "BlockedAddress",
    "HttpStatusError",
    "BadResponse",
    "IncompleteListing",
    "LimitExceeded",
    # address guard
    "ADDRESS_CATEGORIES",
    "AddressGuard",
    "classify_address",
    "check_url",
    # HTTP
    "DEFAULT_USER_AGENT",
    "HARVESTER_VERSION",
    "HostThrottle",
    "HttpClient",
    "HttpResponse",
    "Limits",
    "load_json",
    "parse_retry_after",
    # text
    "DecodedText",
    "decode_text",
    "normalize_charset",
    # records and adapters
    "Record",
    "SourceAdapter",
    "Page",
    "Problem",
    "OffsetPager",
    "is_valid_municipality_code",
    "municipality_check_digit",
]

log = logging.getLogger(__name__)

HARVESTER_VERSION = "0.1"
"""Version string sent in the User-Agent."""

DEFAULT_USER_AGENT = f"ckanext-hokkaido-harvester/{HARVESTER_VERSION}"
"""User-Agent product token; ``(+<portal url>)`` is appended when known."""


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

def _host(parts: SplitResult) -> str:
    """The host of a split URL, an IPv6 address in brackets."""
    host = parts.hostname or ""
    return f"[{host}]" if ":" in host else host


def _redact(url: str) -> str:
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
    url = _redact(url)
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
        self.url = _redact(url)
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


# ---------------------------------------------------------------------------
# Address guard (SSRF protection)
# ---------------------------------------------------------------------------

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]

ADDRESS_CATEGORIES: tuple[str, ...] = (
    "loopback",
    "private",
    "link_local",
    "multicast",
    "reserved",
    "unspecified",
    "metadata",
)
"""Names of the non-public address classes; each can be allowed explicitly."""

_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack instance metadata
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "100.100.100.200",  # Alibaba Cloud metadata
    )
)

_PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # carrier-grade NAT (shared address space)
        "fc00::/7",  # unique local addresses
        "fec0::/10",  # deprecated site-local addresses
    )
)

_NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")

_JA_CATEGORY = {
    "loopback": "ループバックアドレス",
    "private": "プライベートアドレス",
    "link_local": "リンクローカルアドレス",
    "multicast": "マルチキャストアドレス",
    "reserved": "予約済みアドレス",
    "unspecified": "未指定アドレス",
    "metadata": "クラウドのメタデータアドレス",
}


def _parse_ip(value: str | IPAddress) -> IPAddress:
    if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return value
    # getaddrinfo may append a zone ("fe80::1%eth0"); the zone does not
    # change what kind of address it is.
    return ipaddress.ip_address(value.split("%", 1)[0])


def classify_address(address: str | IPAddress) -> str | None:
    """Return the non-public category of ``address``, or ``None`` if public.

    IPv6 addresses that embed an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``,
    6to4 ``2002::/16`` and NAT64 ``64:ff9b::/96``) are judged by the embedded
    address, so ``::ffff:127.0.0.1`` is ``"loopback"``. Cloud metadata
    addresses are their own category, so allowing ``"link_local"`` does not
    open ``169.254.169.254``.

    :raises ValueError: if ``address`` is not an IP address.
    """
    ip = _parse_ip(address)
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64_PREFIX:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return classify_address(embedded)
    if ip in _METADATA_ADDRESSES:
        return "metadata"
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link_local"
    if ip.is_multicast:
        return "multicast"
    if any(ip in network for network in _PRIVATE_NETWORKS):
        return "private"
    if ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


Resolver = Callable[..., list]


class AddressGuard:
    """Decides whether a URL may be fetched.

    :param allow: categories from :data:`ADDRESS_CATEGORIES` that are
        allowed in addition to public addresses, as an iterable or a string
        separated by commas or spaces (``"loopback"``, ``("loopback",
        "private")``). ``"link-local"`` is accepted for ``"link_local"``.
    :param resolver: a function with the signature of
        :func:`socket.getaddrinfo`, replaceable in tests.
    """

    schemes: ClassVar[frozenset[str]] = frozenset({"http", "https"})

    def __init__(self, allow: str | Iterable[str] = (), resolver: Resolver = socket.getaddrinfo) -> None:
        self.allow = self.parse_allow(allow)
        self.resolver = resolver

    @staticmethod
    def parse_allow(allow: str | Iterable[str]) -> frozenset[str]:
        """Normalise an ``allow`` setting; raise ValueError on unknown names."""
        if isinstance(allow, str):
            allow = re.split(r"[\s,]+", allow)
        names = {a.strip().lower().replace("-", "_") for a in allow if a and a.strip()}
        unknown = names - set(ADDRESS_CATEGORIES)
        if unknown:
            raise ValueError(
                f"unknown address categories {sorted(unknown)}; "
                f"choose from {', '.join(ADDRESS_CATEGORIES)}"
            )
        return frozenset(names)

    def check_address(self, address: str | IPAddress, *, url: str) -> None:
        """Raise :class:`BlockedAddress` unless ``address`` may be contacted."""
        category = classify_address(address)
        if category is not None and category not in self.allow:
            raise BlockedAddress(
                url,
                f"refusing to connect to {category.replace('_', '-')} address {address} "
                f"(add {category!r} to the allowed address categories if this is intended)",
                message_ja=f"{_JA_CATEGORY[category]} ({address}) への接続は許可されていません",
            )

    def check_url(self, url: str) -> list[IPAddress]:
        """Check the scheme and every address the host resolves to.

        :returns: the resolved addresses.
        :raises BlockedAddress: for a scheme other than http/https or any
            resolved address that is not allowed.
        :raises ConnectionFailed: if the host cannot be resolved.
        :raises ConfigError: if the URL has no host or a malformed port.
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise ConfigError(url, f"malformed URL ({exc})", message_ja="URLの形式が正しくありません") from exc
        scheme = parts.scheme.lower()
        if scheme not in self.schemes:
            raise BlockedAddress(
                url,
                f"only http and https URLs may be fetched, not {scheme or 'a URL without scheme'!r}",
                message_ja="http または https 以外のURLは取得できません",
            )
        host = parts.hostname
        if not host:
            raise ConfigError(url, "URL has no host name", message_ja="URLにホスト名がありません")
        try:
            addresses: list[IPAddress] = [_parse_ip(host)]
        except ValueError:
            addresses = self._resolve(url, host, port or (443 if scheme == "https" else 80))
        for address in addresses:
            self.check_address(address, url=url)
        return addresses

    def _resolve(self, url: str, host: str, port: int) -> list[IPAddress]:
        try:
            infos = self.resolver(host, port, 0, socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError) as exc:
            raise ConnectionFailed(
                url, f"cannot resolve host {host!r} ({exc})", message_ja="ホスト名を解決できませんでした"
            ) from exc
        addresses: list[IPAddress] = []
        for info in infos:
            address = _parse_ip(info[4][0])
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise ConnectionFailed(url, f"host {host!r} resolved to no address",
                                   message_ja="ホスト名を解決できませんでした")
        return addresses


def check_url(url: str, allow: str | Iterable[str] = (), resolver: Resolver = socket.getaddrinfo) -> list[IPAddress]:
    """Shortcut for ``AddressGuard(allow, resolver).check_url(url)``."""
    return AddressGuard(allow, resolver).check_url(url)


class _PeerCheckingConnection:
    """Mixin for urllib3 connections: vet the address actually connected to.

    The guard resolves host names before each request, but the connection
    resolves them again; a hostile DNS server could answer differently the
    second time (DNS rebinding). Checking the socket's peer closes that gap.
    """

    address_guard: ClassVar[AddressGuard | None] = None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        guard = self.address_guard
        if guard is not None:
            peer = sock.getpeername()[0]
            try:
                guard.check_address(peer, url=f"//{self.host}:{self.port}")  # type: ignore[attr-defined]
            except BlockedAddress:
                sock.close()
                raise
        return sock


class _GuardedAdapter(requests.adapters.HTTPAdapter):
    """A requests transport whose connections check their peer address."""

    def __init__(self, guard: AddressGuard, **kwargs: Any) -> None:
        self._guard = guard
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        attrs = {"address_guard": self._guard}
        http_conn = type("GuardedHTTPConnection", (_PeerCheckingConnection, urllib3.connection.HTTPConnection), attrs)
        https_conn = type("GuardedHTTPSConnection", (_PeerCheckingConnection, urllib3.connection.HTTPSConnection), attrs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("GuardedHTTPConnectionPool", (urllib3.connectionpool.HTTPConnectionPool,),
                         {"ConnectionCls": http_conn}),
            "https": type("GuardedHTTPSConnectionPool", (urllib3.connectionpool.HTTPSConnectionPool,),
                          {"ConnectionCls": https_conn}),
        }


# ---------------------------------------------------------------------------
# Text decoding
# ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class DecodedText:
    """A decoded body and how its encoding was chosen.

    :ivar encoding: the Python codec used (``"utf-8"``, ``"utf-8-sig"``,
        ``"cp932"``, ``"euc_jp"``, ...).
    :ivar source: where the encoding came from: ``"http"`` (Content-Type
        charset), ``"bom"``, ``"html-meta"``, ``"xml-declaration"``,
        ``"detected"`` (strict decoding, see :func:`decode_text`) or
        ``"fallback"`` (nothing decoded cleanly; invalid bytes were replaced).
    """

    text: str
    encoding: str
    source: str


# Japanese charset labels seen in the wild, mapped to the Python codec that
# reads them best. Shift_JIS as served by Japanese sites is nearly always the
# Windows variant (NEC/IBM extensions such as ① or ㈱), hence cp932.
_CHARSET_ALIASES = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "s-jis": "cp932",
    "ms_kanji": "cp932",
    "csshiftjis": "cp932",
    "windows-31j": "cp932",
    "cswindows31j": "cp932",
    "ms932": "cp932",
    "x-euc-jp": "euc_jp",
    "eucjp": "euc_jp",
    "cseucpkdfmtjapanese": "euc_jp",
    "utf8": "utf-8",
}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(rb"""^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_SNIFF_BYTES = 4096


def normalize_charset(label: str | None) -> str | None:
    """Map a charset label to a Python codec name, or ``None`` if unknown.

    ``"Shift_JIS"`` and its aliases map to ``"cp932"``; ``"EUC-JP"`` to
    ``"euc_jp"``.
    """
    if not label:
        return None
    key = label.strip().strip("\"'").lower()
    key = _CHARSET_ALIASES.get(key, key)
    try:
        return codecs.lookup(key).name
    except LookupError:
        return None


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    if encoding in ("utf-8", "utf-8-sig") and text.startswith("\ufeff"):
        text = text[1:]
    return text


def _japanese_score(text: str) -> int:
    """A simple plausibility score for Japanese text.

    Counts non-ASCII characters that are common in Japanese writing (kana,
    CJK ideographs, CJK punctuation, full-width forms) against all other
    non-ASCII characters. EUC-JP read as cp932 turns into a run of half-width
    katakana, which scores badly.
    """
    score = 0
    for ch in text:
        code = ord(ch)
        if code < 0x80:
            continue
        if (
            0x3000 <= code <= 0x30FF  # CJK punctuation, hiragana, katakana
            or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
            or 0xFF01 <= code <= 0xFF5E  # full-width ASCII variants
        ):
            score += 1
        else:
            score -= 1
    return score


def decode_text(data: bytes, content_type: str | None = None) -> DecodedText:
    """Decode a body, choosing the encoding the way a careful browser would.

    The order is:

    1. the ``charset`` of the ``Content-Type`` header;
    2. a byte order mark (UTF-8, UTF-16, UTF-32);
    3. an HTML ``<meta charset>`` / ``http-equiv`` tag or an XML declaration
       in the first 4 KB;
    4. detection among UTF-8, cp932 (Shift_JIS) and EUC-JP: UTF-8 if the body
       decodes strictly as UTF-8 (pure ASCII included); otherwise whichever of
       cp932 and EUC-JP decodes strictly, and if both do, the one whose text
       looks more like Japanese (:func:`_japanese_score`; ties go to cp932).

    A declared encoding (steps 1 and 3) is only used if the body decodes
    strictly with it; a declaration that the bytes contradict is skipped.
    If nothing decodes cleanly the candidate with the fewest invalid bytes is
    used with replacement characters, and ``source`` says ``"fallback"``.
    A leading UTF-8 BOM never appears in the text.
    """
    if content_type:
        match = _HTTP_CHARSET.search(content_type)
        encoding = normalize_charset(match.group(1)) if match else None
        if encoding:
            text = _strict(data, encoding)
            if text is not None:
                return DecodedText(text, encoding, "http")

    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _strict(data, encoding)
            if text is not None:
                return DecodedText(text, encoding, "bom")

    head = data[:_SNIFF_BYTES]
    for pattern, source in ((_XML_DECLARATION, "xml-declaration"), (_META_CHARSET, "html-meta")):
        declared = pattern.search(head)
        encoding = normalize_charset(declared.group(1).decode("ascii")) if declared else None
        # A UTF-16/32 label found by an ASCII pattern cannot be true.
        if encoding and not encoding.startswith(("utf-16", "utf-32")):
            text = _strict(data, encoding)
            if text is not None:
                return DecodedText(text, encoding, source)

    text = _strict(data, "utf-8")
    if text is not None:
        return DecodedText(text, "utf-8", "detected")
    candidates = [(enc, t) for enc in ("cp932", "euc_jp") if (t := _strict(data, enc)) is not None]
    if candidates:
        encoding, text = max(candidates, key=lambda c: _japanese_score(c[1]))  # max keeps the first on ties
        return DecodedText(text, encoding, "detected")

    best = min(
        ((enc, data.decode(enc, errors="replace")) for enc in ("utf-8", "cp932", "euc_jp")),
        key=lambda c: c[1].count("\ufffd"),
    )
    return DecodedText(best[1].lstrip("\ufeff"), best[0], "fallback")


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Parse a ``Retry-After`` header into seconds from ``now``.

    Accepts delta-seconds (``"120"``) and HTTP dates
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``); a date in the past gives ``0.0``.
    Returns ``None`` for a missing or unparseable value.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


class HostThrottle:
    """Per-host politeness: bounded parallelism and spacing between requests.

    :param max_parallel: requests in flight to one host at a time.
    :param min_delay: minimum seconds between the starts of two requests to
        one host.

    Thread-safe; share one instance between clients to share the limits.
    """

    def __init__(
        self,
        max_parallel: int = 2,
        min_delay: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_parallel < 1:
            raise ValueError("max_parallel must be at least 1")
        if min_delay < 0:
            raise ValueError("min_delay must not be negative")
        self.max_parallel = max_parallel
        self.min_delay = min_delay
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._semaphores: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    def _semaphore(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            semaphore = self._semaphores.get(host)
            if semaphore is None:
                semaphore = self._semaphores[host] = threading.BoundedSemaphore(self.max_parallel)
            return semaphore

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of ``host``'s slots, starting no earlier than allowed."""
        semaphore = self._semaphore(host)
        semaphore.acquire()
        try:
            while True:
                with self._lock:
                    now = self._clock()
                    wait = self._next_start.get(host, now) - now
                    if wait <= 0:
                        self._next_start[host] = now + self.min_delay
                        break
                self._sleep(wait)
            yield
        finally:
            semaphore.release()

    def defer(self, host: str, seconds: float) -> None:
        """Start no request to ``host`` for the next ``seconds`` seconds."""
        with self._lock:
            until = self._clock() + max(0.0, seconds)
            self._next_start[host] = max(self._next_start.get(host, until), until)


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{(parts.hostname or '').lower()}:{port}"


def _origin(url: str) -> str:
    """``scheme://host:port`` of ``url``: where credentials may be sent."""
    return f"{urlsplit(url).scheme.lower()}://{_host_key(url)}"


#: Request headers that carry credentials; they never follow a redirect to
#: another origin.
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


@dataclasses.dataclass(frozen=True)
class _Secret:
    """A value that ``repr()`` (tracebacks with locals, debug dumps) hides."""

    value: str = dataclasses.field(repr=False)


@dataclasses.dataclass(frozen=True)
class Limits:
    """Bounds on parsing a body that arrived within ``max_bytes``.

    A harvested file is hostile until read; these keep one from costing more
    memory or time than its size suggests. The client passes them on with
    every :class:`HttpResponse`, so whatever parses a body applies them.

    :ivar max_json_depth: deepest nesting of JSON arrays and objects
        (``[[[...]]]``); Python's parser would otherwise fail with a
        ``RecursionError`` near 1,000 levels.
    :ivar max_json_values: most values in one JSON body, counted before
        parsing by its commas and brackets (an upper bound); a value costs
        8 to 64 bytes once parsed, so 100 MB of ``[[],[],...]`` would cost
        2 GB. A 1,000-dataset CKAN page has some 150,000.
    :ivar max_unpacked_bytes: total size of the members of a ZIP file
        (an XLSX is one) once unpacked, as its central directory declares it.
    :ivar max_zip_ratio: largest unpacked-to-packed size ratio of one ZIP
        member bigger than 1 MiB (zip bombs pack gigabytes of zeros a
        thousand to one; spreadsheets stay well under 100).
    :ivar max_zip_members: most members in one ZIP file.
    :ivar max_table_rows: most rows (CSV: lines) in one catalog or inventory
        table, empty ones included (an XLSX row number far down the sheet
        makes openpyxl produce every row before it).
    :ivar max_table_cells: most cells in one table (CSV: fields counted by
        their delimiters before parsing); every cell costs some 60 bytes
        once read, so a 10 MB line of ``a,a,a,...`` would cost 300 MB.
    """

    max_json_depth: int = 100
    max_json_values: int = 2_000_000
    max_unpacked_bytes: int = 64 * 1024 * 1024
    max_zip_ratio: int = 100
    max_zip_members: int = 1000
    max_table_rows: int = 100_000
    max_table_cells: int = 1_000_000

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{item.name} must be a positive integer, not {value!r}")


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """True if ``value`` (parsed JSON) nests arrays/objects more than ``limit`` deep.

    Walks with an explicit stack, so any depth is safe to measure, and stops
    at the first container past the limit.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Iterable[Any] = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def load_json(text: str, *, url: str, limits: Limits) -> Any:
    """``json.loads`` within ``limits.max_json_values`` and ``.max_json_depth``.

    :raises LimitExceeded: naming ``url`` and the limit, for a document with
        more values (checked before parsing) or nested deeper (including one
        deep enough to exhaust the parser's recursion, like 100,000 ``[``).
    :raises ValueError: if ``text`` is not JSON.
    """
    values = text.count(",") + text.count("[") + text.count("{") + 1  # >= the values json.loads builds
    if values > limits.max_json_values:
        raise LimitExceeded(url, f"JSON of up to {values:,} values (by its commas and brackets), more than the "
                                 f"limit of {limits.max_json_values:,} (max_json_values); not read",
                            message_ja=f"JSONの値の数が上限 ({limits.max_json_values:,}) を超えるため読み込みません")
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise _too_deep(url, limits.max_json_depth) from exc
    if _nested_deeper_than(value, limits.max_json_depth):
        raise _too_deep(url, limits.max_json_depth)
    return value


def _too_deep(url: str, max_depth: int) -> LimitExceeded:
    return LimitExceeded(url, f"JSON nested deeper than {max_depth} levels (max_json_depth); not read",
                         message_ja=f"JSONの入れ子が深すぎます ({max_depth}階層を超えています)")


@dataclasses.dataclass(frozen=True)
class HttpResponse:
    """A fully read response.

    :ivar url: the final URL, after redirects.
    :ivar redirects: the URLs that redirected, in order.
    :ivar limits: the bounds on parsing the body (the client's).
    """

    url: str
    status: int
    reason: str
    headers: Mapping[str, str]
    content: bytes
    redirects: tuple[str, ...] = ()
    limits: Limits = Limits()

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-case (``""`` if none)."""
        return self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()

    def text(self) -> DecodedText:
        """Decode the body; see :func:`decode_text`."""
        return decode_text(self.content, self.headers.get("Content-Type"))

    def json(self) -> Any:
        """Parse the body as JSON.

        :raises BadResponse: if the body is empty, an HTML page or not JSON;
            the message says which and quotes the start of the body.
        :raises LimitExceeded: if it has more values than ``limits.max_json_values``
            or nests deeper than ``limits.max_json_depth``.
        """
        if not self.content.strip():
            raise BadResponse(self.url, "empty body where JSON was expected",
                              message_ja="応答が空です (JSONを期待していました)")
        text = self.text().text
        try:
            return load_json(text, url=self.url, limits=self.limits)
        except ValueError as exc:
            start = text.lstrip()[:200]
            if start.lower().startswith("<!doctype html") or "<html" in start.lower():
                title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
                label = f" titled {title.group(1).strip()[:80]!r}" if title else ""
                raise BadResponse(
                    self.url,
                    f"expected JSON but got an HTML page{label} (Content-Type {self.content_type or 'missing'})",
                    message_ja="JSONではなくHTMLページが返されました",
                ) from exc
            raise BadResponse(
                self.url,
                f"body is not valid JSON ({exc}); it starts with {start[:80]!r}",
                message_ja="応答がJSONとして読めません",
            ) from exc


RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ERROR_EXCERPT_BYTES = 4096


class HttpClient:
    """A safe, polite HTTP client for harvesting: GET, and HEAD for a file's
    ``Last-Modified``.

    :param user_agent: the full User-Agent; default
        ``ckanext-hokkaido-harvester/0.1 (+<portal_url>)``.
    :param portal_url: the harvesting portal's URL, named in the User-Agent
        so that site operators know whom to contact.
    :param connect_timeout: seconds to establish a connection.
    :param read_timeout: seconds to wait for any byte from the server.
    :param total_timeout: seconds for a whole body download (``None``: no
        limit); stops servers that trickle bytes just fast enough.
    :param max_retries: retries after the first attempt for 408/429/5xx
        answers, timeouts and failed connections.
    :param backoff_factor: the *n*-th retry (from 0) waits
        ``backoff_factor * 2**n`` seconds, at most ``max_backoff``, unless
        the server sent ``Retry-After``.
    :param max_retry_after: a ``Retry-After`` longer than this makes the
        client give up at once rather than wait.
    :param max_bytes: default cap on a body's size (decoded bytes).
    :param limits: bounds on parsing bodies (:class:`Limits`; its defaults
        if omitted), handed on with each :class:`HttpResponse`.
    :param max_redirects: redirects followed per request.
    :param max_parallel_per_host: requests in flight per host.
    :param min_delay: seconds between request starts to one host.
    :param allow: non-public address categories to allow (see
        :class:`AddressGuard`); tests use ``("loopback",)``.
    :param resolver: :func:`socket.getaddrinfo` replacement for the guard.
    :param throttle: a shared :class:`HostThrottle` (overrides
        ``max_parallel_per_host`` and ``min_delay``).
    :param authorization: a secret (an API token) sent as the
        ``Authorization`` header, only to the origin (scheme, host and port)
        of ``authorization_url``: never to another host, not even when that
        origin redirects there. It appears in no message the client makes.
    :param authorization_url: the URL whose origin receives
        ``authorization`` (required with it).

    Credential headers a caller passes to :meth:`get` (``Authorization``,
    ``Cookie``) are likewise dropped once a redirect leaves the origin of
    the requested URL.

    Environment proxy settings are ignored on purpose: the guard must see
    the real destination.
    """

    def __init__(
        self,
        *,
        user_agent: str | None = None,
        portal_url: str | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        total_timeout: float | None = 300.0,
        max_retries: int = 3,
        backoff_factor: float = 1.0,
        max_backoff: float = 60.0,
        max_retry_after: float = 300.0,
        max_bytes: int = 100 * 1024 * 1024,
        limits: Limits | None = None,
        max_redirects: int = 5,
        max_parallel_per_host: int = 2,
        min_delay: float = 1.0,
        allow: str | Iterable[str] = (),
        resolver: Resolver = socket.getaddrinfo,
        throttle: HostThrottle | None = None,
        authorization: str | None = None,
        authorization_url: str | None = None,
    ) -> None:
        if max_retries < 0 or max_redirects < 0 or max_bytes < 1:
            raise ValueError("max_retries and max_redirects must be >= 0 and max_bytes >= 1")
        if user_agent is None:
            user_agent = f"{DEFAULT_USER_AGENT} (+{portal_url})" if portal_url else DEFAULT_USER_AGENT
        self.user_agent = user_agent
        self.timeout = (connect_timeout, read_timeout)
        self.total_timeout = total_timeout
        self.max_retries = max_retries
        self.backoff_factor = backoff_factor
        self.max_backoff = max_backoff
        self.max_retry_after = max_retry_after
        self.max_bytes = max_bytes
        self.limits = limits or Limits()
        self.max_redirects = max_redirects
        self.guard = AddressGuard(allow, resolver)
        self.throttle = throttle or HostThrottle(max_parallel_per_host, min_delay)
        if authorization and not authorization_url:
            raise ValueError("authorization needs authorization_url: the origin it may be sent to")
        self._authorization = _Secret(authorization) if authorization else None
        self._authorization_origin = _origin(authorization_url) if authorization else None

        self._session = requests.Session()
        self._session.trust_env = False
        self._session.headers["User-Agent"] = user_agent
        adapter = _GuardedAdapter(self.guard, max_retries=0, pool_maxsize=max(10, max_parallel_per_host))
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    # -- public API ---------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> HttpResponse:
        """GET ``url`` and return the whole response.

        :param params: query parameters, added to ``url``.
        :param max_bytes: overrides the client's size cap for this call.
        :raises HttpStatusError: for a status >= 400 (after retries).
        :raises FetchError: and its subclasses for other failures.
        """
        return self._request("GET", url, params=params, headers=headers, max_bytes=max_bytes)

    def head(self, url: str, *, headers: Mapping[str, str] | None = None) -> HttpResponse:
        """HEAD ``url`` (redirects followed, every hop guarded like a GET);
        the response has the headers and an empty body."""
        return self._request("HEAD", url, headers=headers)

    def _request(self, method: str, url: str, *, params: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None, max_bytes: int | None = None) -> HttpResponse:
        if params:
            try:
                url = requests.Request("GET", url, params=params).prepare().url or url
            except (requests.exceptions.RequestException, ValueError) as exc:
                raise ConfigError(url, f"malformed URL ({exc})", message_ja="URLの形式が正しくありません") from exc
        limit = max_bytes or self.max_bytes
        redirects: list[str] = []
        current = url
        while True:
            self.guard.check_url(current)
            response = self._get_with_retries(current, self._hop_headers(current, url, headers), limit, method)
            if response.status in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    raise HttpStatusError(current, f"HTTP {response.status} redirect without a Location header",
                                          status=response.status)
                if len(redirects) >= self.max_redirects:
                    raise TooManyRedirects(url, f"more than {self.max_redirects} redirects (last to {location})")
                redirects.append(current)
                current = urljoin(current, location.strip()).split("#", 1)[0]
                log.debug("redirect %s -> %s", redirects[-1], current)
                continue
            if response.status >= 400:
                raise HttpStatusError(
                    current,
                    f"HTTP {response.status} {response.reason}".rstrip(),
                    status=response.status,
                    body_excerpt=response.text().text if response.content else "",
                )
            return dataclasses.replace(response, redirects=tuple(redirects))

    def _hop_headers(self, current: str, requested: str, headers: Mapping[str, str] | None) -> dict[str, str]:
        """Headers for one hop to ``current`` of a request for ``requested``:
        the caller's (without credentials once off the requested origin) and
        the client's ``Authorization`` on its own origin only."""
        hop = dict(headers or {})
        if _origin(current) != _origin(requested):
            hop = {name: value for name, value in hop.items() if name.lower() not in _CREDENTIAL_HEADERS}
        if self._authorization and _origin(current) == self._authorization_origin:
            hop["Authorization"] = self._authorization.value
        return hop

    def get_json(self, url: str, **kwargs: Any) -> Any:
        """GET and parse JSON; see :meth:`get` and :meth:`HttpResponse.json`."""
        return self.get(url, **kwargs).json()

    def get_text(self, url: str, **kwargs: Any) -> DecodedText:
        """GET and decode text; see :meth:`get` and :func:`decode_text`."""
        return self.get(url, **kwargs).text()

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        return min(self.max_backoff, self.backoff_factor * (2 ** attempt))

    def _get_with_retries(self, url: str, headers: Mapping[str, str] | None, limit: int,
                          method: str = "GET") -> HttpResponse:
        """One hop: send, retrying transient failures; redirects are returned."""
        host = _host_key(url)
        attempt = 0
        while True:
            try:
                with self.throttle.slot(host):
                    response = self._send(url, headers, limit, method)
            except (Timeout, ConnectionFailed) as exc:
                if attempt >= self.max_retries:
                    if attempt == 0:
                        raise
                    raise type(exc)(exc.url, f"{exc.reason}; gave up after {_retries(attempt)}",
                                    message_ja=exc.message_ja) from exc
                delay = self._backoff(attempt)
                log.info("%s; retrying in %.1f s", exc, delay)
            else:
                if response.status not in RETRY_STATUSES:
                    return response
                label = f"HTTP {response.status} {response.reason}".rstrip()
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                if attempt >= self.max_retries:
                    note = f"; gave up after {_retries(attempt)}" if attempt else ""
                    raise HttpStatusError(url, label + note, status=response.status)
                if retry_after is not None and retry_after > self.max_retry_after:
                    raise HttpStatusError(
                        url,
                        f"{label} asking to retry after {retry_after:.0f} s, "
                        f"longer than the {self.max_retry_after:.0f} s limit; giving up",
                        status=response.status,
                    )
                delay = retry_after if retry_after is not None else self._backoff(attempt)
                log.info("%s: %s; retrying in %.1f s", url, label, delay)
            self.throttle.defer(host, delay)
            attempt += 1

    def _send(self, url: str, headers: Mapping[str, str] | None, limit: int, method: str = "GET") -> HttpResponse:
        """One attempt of one hop. The body is read for 2xx answers only
        (plus a short excerpt of 4xx/5xx ones that are not retried)."""
        connect, read = self.timeout
        try:
            raw = self._session.request(method, url, headers=headers, stream=True, allow_redirects=False,
                                        timeout=self.timeout)
        except BlockedAddress as exc:  # from the connect-time peer check
            raise BlockedAddress(url, exc.reason, message_ja=exc.message_ja) from exc
        except requests.exceptions.ConnectTimeout as exc:
            raise Timeout(url, f"no connection within {connect:g} s (connect timeout)") from exc
        except requests.exceptions.ReadTimeout as exc:
            raise Timeout(url, f"no response within {read:g} s (read timeout)") from exc
        except requests.exceptions.SSLError as exc:
            raise FetchError(url, f"TLS error ({exc})", message_ja="TLS (HTTPS) の接続に失敗しました") from exc
        except requests.exceptions.ConnectionError as exc:
            raise ConnectionFailed(url, f"connection failed ({_root_cause(exc)})") from exc
        except requests.exceptions.RequestException as exc:
            raise FetchError(url, f"request failed ({exc})") from exc
        with raw:
            status = raw.status_code
            if method == "HEAD" or status in REDIRECT_STATUSES or status in RETRY_STATUSES:
                content = b""
            elif status >= 400:
                content = self._read_body(raw, url, _ERROR_EXCERPT_BYTES, truncate=True)
            else:
                content = self._read_body(raw, url, limit)
            return HttpResponse(
                url=url,
                status=status,
                reason=raw.reason or "",
                headers=CaseInsensitiveDict(raw.headers),
                content=content,
                limits=self.limits,
            )

    def _read_body(self, raw: requests.Response, url: str, limit: int, *, truncate: bool = False) -> bytes:
        declared = raw.headers.get("Content-Length", "").strip()
        if not truncate and declared.isdigit() and int(declared) > limit:
            raise TooLarge(url, f"declared size {int(declared)} bytes exceeds the limit of {limit} bytes; "
                                "not downloaded")
        deadline = time.monotonic() + self.total_timeout if self.total_timeout else None
        body = bytearray()
        try:
            for chunk in raw.iter_content(chunk_size=64 * 1024):
                body += chunk
                if len(body) > limit:
                    if truncate:
                        return bytes(body[:limit])
                    raise TooLarge(url, f"body exceeds the limit of {limit} bytes; download stopped")
                if deadline is not None and time.monotonic() > deadline:
                    raise Timeout(url, f"download took longer than {self.total_timeout:g} s")
        except requests.exceptions.ConnectionError as exc:
            if isinstance(exc.args[0] if exc.args else None, urllib3.exceptions.ReadTimeoutError):
                raise Timeout(url, f"body stalled for more than {self.timeout[1]:g} s (read timeout)") from exc
            raise ConnectionFailed(url, f"connection broke while reading the body ({_root_cause(exc)})") from exc
        except requests.exceptions.ChunkedEncodingError as exc:
            raise ConnectionFailed(url, f"body was cut off ({_root_cause(exc)})") from exc
        except requests.exceptions.ContentDecodingError as exc:
            raise BadResponse(url, f"body could not be decompressed ({_root_cause(exc)})") from exc
        return bytes(body)


def _retries(count: int) -> str:
    return f"{count} retry" if count == 1 else f"{count} retries"


def _root_cause(exc: BaseException) -> str:
    """The innermost useful message of a requests/urllib3 exception chain."""
    seen = exc
    for _ in range(10):
        inner = getattr(seen, "reason", None) or (seen.args[0] if seen.args else None)
        if not isinstance(inner, BaseException):
            break
        seen = inner
    message = str(seen) or type(seen).__name__
    # urllib3 prefixes "HTTPConnection(host=..., port=...): "; the URL is already in our message.
    return re.sub(r"^\w*Connection\(host=[^)]*\):\s*", "", message)


# ---------------------------------------------------------------------------
# Municipality codes
# ---------------------------------------------------------------------------

_CHECK_WEIGHTS = (6, 5, 4, 3, 2)


def municipality_check_digit(code5: str) -> int:
    """The check digit of a 5-digit local government code (JIS X 0402).

    ``(11 - (sum of digit * weight, weights 6,5,4,3,2) mod 11) mod 10``.
    """
    if len(code5) != 5 or not code5.isascii() or not code5.isdigit():
        raise ValueError(f"expected 5 digits, got {code5!r}")
    total = sum(int(d) * w for d, w in zip(code5, _CHECK_WEIGHTS))
    return (11 - total % 11) % 10


def is_valid_municipality_code(code: object) -> bool:
    """True for a 6-digit 全国地方公共団体コード with a correct check digit."""
    return (
        isinstance(code, str)
        and len(code) == 6
        and code.isascii()
        and code.isdigit()
        and municipality_check_digit(code[:5]) == int(code[5])
    )


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Paging
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Record-level problems
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Adapters
# ---------------------------------------------------------------------------

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
        parts = urlsplit(url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
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
        problem = Problem(identifier, reason, level, line, _redact(url) if url else None, message_ja)
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
