"""A small fake portal: a real HTTP server on 127.0.0.1 for adapter tests.

Register handlers per path; each gets a :class:`PortalRequest` and returns a
:class:`PortalResponse` (or raises, which answers 500 and is recorded in
:attr:`PortalServer.errors`). Every request is logged with its arrival time,
how many bytes of the answer were written and whether the answer was sent
completely, so tests can check what a client asked for and when it hung up.

    with PortalServer() as portal:
        portal.route("/api/3/action/package_search", lambda req: json_response({...}))
        client.get(portal.url + "/api/3/action/package_search")
        assert portal.requests[0].arg("rows") == "100"

The server speaks HTTP/1.0 (one request per connection), which keeps
streamed and close-delimited bodies simple.
"""
from __future__ import annotations

import dataclasses
import json
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "PortalRequest",
    "PortalResponse",
    "PortalServer",
    "json_response",
    "redirect_response",
    "text_response",
]


@dataclasses.dataclass
class PortalRequest:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    started: float  # time.monotonic() when the request line arrived
    finished: float | None = None  # when the handler returned or the client hung up
    bytes_sent: int = 0  # body bytes written
    completed: bool = False  # whole body written without the client hanging up

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else default


@dataclasses.dataclass
class PortalResponse:
    """What a handler answers. ``body`` may be bytes or an iterable of byte
    chunks, which is streamed without Content-Length unless one is given in
    ``headers``."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering


Handler = Callable[[PortalRequest], PortalResponse]


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> PortalResponse:
    """A JSON answer, UTF-8, as CKAN sends it."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return PortalResponse(status, body, {"Content-Type": "application/json;charset=utf-8", **(headers or {})})


def text_response(
    text: str,
    *,
    encoding: str = "utf-8",
    content_type: str = "text/plain",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> PortalResponse:
    """``text`` encoded with ``encoding`` (the Content-Type is sent as given,
    so leave out the charset to make the client guess)."""
    return PortalResponse(status, text.encode(encoding), {"Content-Type": content_type, **(headers or {})})


def redirect_response(location: str, status: int = 302) -> PortalResponse:
    return PortalResponse(status, b"", {"Location": location})


class _RequestHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence the default logging
        pass

    def do_GET(self) -> None:
        self.server.portal._handle(self)

    do_HEAD = do_POST = do_GET


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    portal: PortalServer


class PortalServer:
    """An HTTP server on 127.0.0.1 (a free port) running in a thread.

    :ivar url: ``http://127.0.0.1:<port>``.
    :ivar requests: every request received, in order of arrival.
    :ivar errors: tracebacks of handlers that raised.
    :ivar max_in_flight: the most requests handled at the same time.
    """

    def __init__(self) -> None:
        self._routes: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self.max_in_flight = 0
        self.requests: list[PortalRequest] = []
        self.errors: list[str] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------

    def start(self) -> PortalServer:
        self._server = _Server(("127.0.0.1", 0), _RequestHandler)
        self._server.portal = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="portal-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> PortalServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- routes -----------------------------------------------------------

    def route(self, path: str, handler: Handler | None = None) -> Any:
        """Register ``handler`` for ``path`` (exact match, query ignored);
        usable as a decorator when ``handler`` is omitted."""
        if handler is None:
            return lambda func: self.route(path, func)
        self._routes[path] = handler
        return handler

    def respond(self, path: str, *responses: PortalResponse) -> None:
        """Answer ``path`` with ``responses`` in turn, repeating the last."""
        queue = list(responses)

        def handler(request: PortalRequest) -> PortalResponse:
            with self._lock:
                return queue.pop(0) if len(queue) > 1 else queue[0]

        self.route(path, handler)

    def requests_to(self, path: str) -> list[PortalRequest]:
        return [r for r in self.requests if r.path == path]

    def wait_idle(self, timeout: float = 2.0) -> bool:
        """Wait until no request is being handled; True if that happened."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    # -- request handling -------------------------------------------------

    def _handle(self, http: _RequestHandler) -> None:
        parts = urlsplit(http.path)
        request = PortalRequest(
            method=http.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k: v for k, v in http.headers.items()},
            started=time.monotonic(),
        )
        with self._lock:
            self.requests.append(request)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            self._answer(http, request)
        finally:
            request.finished = time.monotonic()
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def _answer(self, http: _RequestHandler, request: PortalRequest) -> None:
        handler = self._routes.get(request.path)
        try:
            if handler is None:
                response = json_response({"success": False, "error": {"__type": "Not Found"}}, status=404)
            else:
                response = handler(request)
        except Exception:  # a broken test handler must show up, not hang the client
            self.errors.append(traceback.format_exc())
            response = text_response("handler failed", status=500)
        if response.delay:
            time.sleep(response.delay)
        try:
            http.send_response(response.status)
            body = response.body
            headers = dict(response.headers)
            if isinstance(body, (bytes, bytearray)):
                headers.setdefault("Content-Length", str(len(body)))
            for name, value in headers.items():
                http.send_header(name, value)
            http.end_headers()
            if http.command == "HEAD":
                request.completed = True
                return
            for chunk in self._chunks(body):
                http.wfile.write(chunk)
                request.bytes_sent += len(chunk)
            http.wfile.flush()
            request.completed = True
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client hung up; request.completed stays False

    @staticmethod
    def _chunks(body: bytes | Iterable[bytes]) -> Iterator[bytes]:
        if isinstance(body, (bytes, bytearray)):
            yield bytes(body)
        else:
            yield from body
