"""HttpClient against a real local server: User-Agent, retries, timeouts,
size cap, redirects, per-host politeness and the connect-time address check.

Each test names, in a comment, the bad input it tries."""
from __future__ import annotations

import gzip
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from harvesters.errors import (
    BlockedAddress,
    ConnectionFailed,
    HarvestError,
    HttpStatusError,
    Timeout,
    TooLarge,
    TooManyRedirects,
)
from harvesters.client import HostThrottle, parse_retry_after
from tests.fakes.portal_server import PortalResponse, json_response, redirect_response, text_response

MB = 1024 * 1024


# -- User-Agent -------------------------------------------------------------

def test_user_agent_names_the_portal(portal, make_client):
    # Bad input: none; checks what a site operator sees in the logs.
    portal.respond("/ua", text_response("ok"))
    make_client(portal_url="https://portal.example.jp").get(portal.url + "/ua")
    assert portal.requests[0].headers["User-Agent"] == (
        "ckanext-hokkaido-harvester/0.1 (+https://portal.example.jp)"
    )


def test_user_agent_can_be_replaced(portal, make_client):
    # Bad input: none; a deployment that sets its own User-Agent.
    portal.respond("/ua", text_response("ok"))
    make_client(user_agent="hokkaido-test/9").get(portal.url + "/ua")
    assert portal.requests[0].headers["User-Agent"] == "hokkaido-test/9"


# -- retries ----------------------------------------------------------------

def test_retry_after_is_honoured_then_success(portal, client):
    # Bad input: an overloaded server: 503 with Retry-After: 1, then 429 with
    # Retry-After: 0, then the real answer.
    portal.respond(
        "/busy",
        PortalResponse(503, b"busy", {"Retry-After": "1"}),
        PortalResponse(429, b"slow down", {"Retry-After": "0"}),
        json_response({"ok": True}),
    )
    response = client.get(portal.url + "/busy")
    assert response.json() == {"ok": True}
    attempts = portal.requests_to("/busy")
    assert len(attempts) == 3
    # times are taken where the requests arrive, which a busy machine delays by a
    # little: a margin, far from the no-wait case (a few milliseconds)
    assert attempts[1].started - attempts[0].started >= 0.8  # waited the second asked for
    assert attempts[2].started - attempts[1].started < 0.9  # Retry-After: 0 means no wait


def test_retry_after_http_date_is_honoured(portal, client):
    # Bad input: 503 whose Retry-After is an HTTP date (whole seconds, 1-2 s ahead).
    when = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=2)
    portal.respond(
        "/busy",
        PortalResponse(503, b"", {"Retry-After": format_datetime(when, usegmt=True)}),
        text_response("ok"),
    )
    assert client.get(portal.url + "/busy").content == b"ok"
    first, second = portal.requests_to("/busy")
    assert second.started - first.started >= 0.8  # at least 1 s asked for; arrival times' margin


def test_parse_retry_after_forms():
    # Bad input: Retry-After in both legal forms, in the past, and garbage.
    now = datetime(2015, 10, 21, 7, 27, 30, tzinfo=timezone.utc)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 30.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") is None
    assert parse_retry_after(None) is None


def test_gives_up_after_max_retries(portal, make_client):
    # Bad input: a server that answers 503 (Retry-After: 0) every time.
    portal.respond("/down", PortalResponse(503, b"", {"Retry-After": "0"}))
    client = make_client(max_retries=2)
    url = portal.url + "/down"
    with pytest.raises(HttpStatusError) as caught:
        client.get(url)
    assert len(portal.requests_to("/down")) == 3  # first attempt + 2 retries, no more
    assert caught.value.status == 503
    assert str(caught.value).startswith(url + ": HTTP 503")
    assert "gave up after 2 retries" in str(caught.value)
    assert "503" in caught.value.message_ja


def test_retry_after_longer_than_limit_gives_up_at_once(portal, make_client):
    # Bad input: 503 asking the harvester to come back in an hour.
    portal.respond("/later", PortalResponse(503, b"", {"Retry-After": "3600"}))
    started = time.monotonic()
    with pytest.raises(HttpStatusError, match="3600 s"):
        make_client(max_retry_after=60).get(portal.url + "/later")
    assert len(portal.requests_to("/later")) == 1
    assert time.monotonic() - started < 1


def test_500_that_stays_500(portal, make_client):
    # Bad input: an internal server error on every attempt, without Retry-After.
    portal.respond("/broken", text_response("Internal Server Error", status=500))
    url = portal.url + "/broken"
    with pytest.raises(HttpStatusError) as caught:
        make_client(max_retries=2, backoff_factor=0.01).get(url)
    assert caught.value.status == 500
    assert url in str(caught.value) and "HTTP 500" in str(caught.value)
    assert len(portal.requests_to("/broken")) == 3


def test_backoff_grows_between_retries(portal, make_client):
    # Bad input: 502 twice without Retry-After; waits must be 0.2 s then 0.4 s.
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        time.sleep(seconds)

    portal.respond("/flaky", PortalResponse(502), PortalResponse(502), text_response("ok"))
    throttle = HostThrottle(max_parallel=1, min_delay=0.0, sleep=sleep)
    make_client(max_retries=2, backoff_factor=0.2, throttle=throttle).get(portal.url + "/flaky")
    assert len(portal.requests_to("/flaky")) == 3
    assert len(waits) == 2
    assert 0.1 < waits[0] <= 0.2 and 0.3 < waits[1] <= 0.4


def test_client_error_is_not_retried(portal, client):
    # Bad input: 404 Not Found; retrying cannot help.
    portal.respond("/gone", text_response("nope", status=404))
    with pytest.raises(HttpStatusError) as caught:
        client.get(portal.url + "/gone")
    assert caught.value.status == 404
    assert caught.value.body_excerpt == "nope"
    assert len(portal.requests_to("/gone")) == 1


# -- timeouts and broken connections ------------------------------------------

def test_read_timeout(portal, make_client):
    # Bad input: a server that needs 1.5 s to answer while the read timeout is 0.5 s.
    portal.respond("/slow", PortalResponse(200, b"late", delay=1.5))
    url = portal.url + "/slow"
    started = time.monotonic()
    with pytest.raises(Timeout) as caught:
        make_client(read_timeout=0.5, max_retries=0).get(url)
    assert time.monotonic() - started < 1.3
    assert str(caught.value) == f"{url}: no response within 0.5 s (read timeout)"
    assert caught.value.message_ja


def test_timeout_is_retried_then_reported(portal, make_client):
    # Bad input: a server that is too slow on both attempts.
    portal.respond("/slow", PortalResponse(200, b"late", delay=0.8))
    with pytest.raises(Timeout, match="gave up after 1 retry"):
        make_client(read_timeout=0.3, max_retries=1, backoff_factor=0.01).get(portal.url + "/slow")
    assert len(portal.requests_to("/slow")) == 2


def test_stalled_body_times_out(portal, make_client):
    # Bad input: headers and a first chunk arrive, then the body stalls for 1 s.
    def stall():
        yield b"x" * 10
        time.sleep(1.0)
        yield b"y" * 10

    portal.respond("/stall", PortalResponse(200, stall(), {"Content-Length": "20"}))
    with pytest.raises(Timeout, match="stalled"):
        make_client(read_timeout=0.3, max_retries=0).get(portal.url + "/stall")


def test_connection_refused(make_client):
    # Bad input: nothing listens on the port.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x"
    with pytest.raises(ConnectionFailed) as caught:
        make_client(max_retries=0).get(url)
    assert str(caught.value).startswith(url + ": connection failed")


# -- size cap -------------------------------------------------------------------

def test_oversize_stream_is_cut_off_early(portal, make_client):
    # Bad input: a body without Content-Length that runs on for 64 MB against a 1 MB cap.
    total = 64 * MB

    def endless():
        for _ in range(total // (64 * 1024)):
            yield b"x" * (64 * 1024)

    portal.respond("/huge", PortalResponse(200, endless(), {"Content-Type": "text/csv"}))
    url = portal.url + "/huge"
    with pytest.raises(TooLarge) as caught:
        make_client(max_bytes=1 * MB).get(url)
    assert str(caught.value) == f"{url}: body exceeds the limit of {MB} bytes; download stopped"
    assert portal.wait_idle(timeout=3)
    (request,) = portal.requests_to("/huge")
    assert not request.completed
    # Only what the kernel buffers hold was written before the client hung up.
    assert request.bytes_sent < total // 2


def test_declared_size_over_cap_is_not_downloaded(portal, make_client):
    # Bad input: Content-Length announces 5 MB against a 1 MB cap.
    def five_mb():
        for _ in range(80):
            yield b"x" * (64 * 1024)

    portal.respond("/big", PortalResponse(200, five_mb(), {"Content-Length": str(5 * MB)}))
    with pytest.raises(TooLarge, match=f"declared size {5 * MB} bytes"):
        make_client(max_bytes=MB).get(portal.url + "/big")


def test_compressed_body_is_capped_after_decompression(portal, make_client):
    # Bad input: 5 KB of gzip that inflates to 5 MB (a small decompression bomb).
    bomb = gzip.compress(b"\0" * (5 * MB))
    assert len(bomb) < 64 * 1024
    portal.respond("/bomb", PortalResponse(200, bomb, {"Content-Encoding": "gzip"}))
    with pytest.raises(TooLarge):
        make_client(max_bytes=MB).get(portal.url + "/bomb")


def test_body_under_cap_is_returned_whole(portal, make_client):
    # Bad input: none; 900 KB under a 1 MB cap must pass untouched.
    body = bytes(range(256)) * (900 * 1024 // 256)
    portal.respond("/ok", PortalResponse(200, body))
    assert make_client(max_bytes=MB).get(portal.url + "/ok").content == body


# -- redirects ------------------------------------------------------------------

def test_redirects_are_followed_and_recorded(portal, client):
    # Bad input: none; a relative and an absolute redirect before the answer.
    portal.respond("/a", redirect_response("/b"))
    portal.route("/b", lambda request: redirect_response(portal.url + "/c", status=301))
    portal.respond("/c", text_response("done"))
    response = client.get(portal.url + "/a")
    assert response.content == b"done"
    assert response.url == portal.url + "/c"
    assert response.redirects == (portal.url + "/a", portal.url + "/b")


def test_redirect_loop_stops(portal, client):
    # Bad input: a page that redirects to itself forever.
    portal.respond("/loop", redirect_response("/loop"))
    with pytest.raises(TooManyRedirects, match="more than 5 redirects"):
        client.get(portal.url + "/loop")
    assert len(portal.requests_to("/loop")) == 6  # the request and 5 redirects


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://10.0.0.1/", "private address 10.0.0.1"),
        ("http://169.254.169.254/latest/meta-data/", "metadata address 169.254.169.254"),
        ("http://[::ffff:192.168.0.1]/", "private address"),
        ("file:///etc/passwd", "only http and https"),
    ],
)
def test_redirect_to_blocked_target_is_refused_before_connecting(portal, client, target, reason):
    # Bad input: an allowed (loopback) server redirecting to a private address,
    # the cloud metadata service, or a non-HTTP scheme.
    portal.respond("/jump", redirect_response(target))
    started = time.monotonic()
    with pytest.raises(BlockedAddress) as caught:
        client.get(portal.url + "/jump")
    assert reason in str(caught.value)
    assert caught.value.url == target
    # Connecting to 10.0.0.1 would take the 2 s connect timeout and fail differently.
    assert time.monotonic() - started < 1


def test_connect_time_check_defeats_dns_rebinding(portal, make_client):
    # Bad input: a host name that resolves to a public address when checked
    # but connects to 127.0.0.1 (what a rebinding DNS server does).
    def public_resolver(host, port, *args):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]

    client = make_client(allow=(), resolver=public_resolver)
    url = f"http://localhost:{portal.port}/x"
    with pytest.raises(BlockedAddress, match="loopback address 127.0.0.1") as caught:
        client.get(url)
    assert caught.value.url == url
    assert portal.requests == []


def test_loopback_by_name_allowed_when_configured(portal, client):
    # Bad input: none; "localhost" passes once loopback is allowed.
    portal.respond("/x", text_response("ok"))
    assert client.get(f"http://localhost:{portal.port}/x").content == b"ok"


# -- politeness -----------------------------------------------------------------

def _hammer(client, url, threads):
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda _: client.get(url).content, range(threads)))


def test_one_request_at_a_time_per_host(portal, make_client):
    # Bad input: eight threads hitting one host at once; the limit is one in flight.
    portal.respond("/p", PortalResponse(200, b"ok", delay=0.1))
    results = _hammer(make_client(max_parallel_per_host=1), portal.url + "/p", 8)
    assert results == [b"ok"] * 8
    assert portal.max_in_flight == 1


def test_parallel_limit_caps_overlap(portal, make_client):
    # Bad input: eight threads against a limit of three; shows overlap is measurable.
    portal.respond("/p", PortalResponse(200, b"ok", delay=0.2))
    _hammer(make_client(max_parallel_per_host=3), portal.url + "/p", 8)
    assert 2 <= portal.max_in_flight <= 3


def test_min_delay_between_requests_to_one_host(portal, make_client):
    # Bad input: three back-to-back requests with a 0.3 s politeness delay.
    portal.respond("/p", text_response("ok"))
    client = make_client(min_delay=0.3)
    for _ in range(3):
        client.get(portal.url + "/p")
    starts = [r.started for r in portal.requests_to("/p")]
    # arrival times: a margin for a request the machine delays, far from no spacing (milliseconds)
    assert all(later - earlier >= 0.2 for earlier, later in zip(starts, starts[1:]))


def test_min_delay_is_per_host(portal, make_client):
    # Bad input: none; a second host must not wait for the first one's delay.
    from tests.fakes.portal_server import PortalServer

    with PortalServer() as other:
        portal.respond("/p", text_response("ok"))
        other.respond("/p", text_response("ok"))
        client = make_client(min_delay=1.0)
        started = time.monotonic()
        client.get(portal.url + "/p")
        client.get(other.url + "/p")
        assert time.monotonic() - started < 0.5


def test_throttle_defer_holds_back_all_threads():
    # Bad input: a host that asked for a pause; a request must wait it out.
    now = [100.0]
    waited = []

    def sleep(seconds):
        waited.append(seconds)
        now[0] += seconds

    throttle = HostThrottle(max_parallel=2, min_delay=0.0, clock=lambda: now[0], sleep=sleep)
    throttle.defer("example.org:80", 5.0)
    with throttle.slot("example.org:80"):
        pass
    with throttle.slot("other.org:80"):
        pass
    assert waited == [5.0]


def test_errors_share_one_base_class():
    # Bad input: none; callers catch HarvestError for every failure.
    for error in (BlockedAddress, ConnectionFailed, HttpStatusError, Timeout, TooLarge, TooManyRedirects):
        assert issubclass(error, HarvestError)
