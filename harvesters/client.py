"""The HTTP client every adapter fetches with.

:class:`HttpClient` bundles the rules a polite and safe harvester needs:

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
* the address guard of :mod:`harvesters.guard` at every hop;
* text decoding of :mod:`harvesters.decoding`.

This module must never import ``ckan`` or ``ckanext``.
"""
from __future__ import annotations

import dataclasses
import email.utils
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import requests.adapters
import urllib3.connection
import urllib3.connectionpool
import urllib3.exceptions
from requests.structures import CaseInsensitiveDict

from harvesters.decoding import DecodedText, decode_text
from harvesters.errors import (
    BadResponse,
    BlockedAddress,
    ConfigError,
    ConnectionFailed,
    FetchError,
    HttpStatusError,
    LimitExceeded,
    Timeout,
    TooLarge,
    TooManyRedirects,
)
from harvesters.guard import AddressGuard, GuardedAdapter, Resolver

__all__ = [
    "DEFAULT_USER_AGENT",
    "HARVESTER_VERSION",
    "HostThrottle",
    "HttpClient",
    "HttpResponse",
    "Limits",
    "REDIRECT_STATUSES",
    "RETRY_STATUSES",
    "load_json",
    "parse_retry_after",
]


log = logging.getLogger(__name__)

HARVESTER_VERSION = "0.1"
"""Version string sent in the User-Agent."""

DEFAULT_USER_AGENT = f"ckanext-hokkaido-harvester/{HARVESTER_VERSION}"
"""User-Agent product token; ``(+<portal url>)`` is appended when known."""


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
        adapter = GuardedAdapter(self.guard, max_retries=0, pool_maxsize=max(10, max_parallel_per_host))
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
