"""A source's API token goes to the source's own origin and nowhere else.

HttpClient(authorization=..., authorization_url=...) against real local
servers that record every header they receive; a second server (another
port, so another origin) and another host name for the same server stand
in for the host a redirect or a link may lead to.

Each test names, in a comment, the attack it tries."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from harvesters.errors import HttpStatusError
from harvesters.ckan import CkanAdapter
from tests.fakes.ckan import FakeCkan, make_dataset
from tests.fakes.portal_server import PortalServer, json_response, redirect_response, text_response

TOKEN = "hokkaido-test-token-7f3a9c1e5b2d4f60"


@pytest.fixture
def elsewhere() -> Iterator[PortalServer]:
    """A second server: another origin that must never see the token."""
    with PortalServer() as server:
        yield server


def authorization(request) -> str | None:
    return next((v for k, v in request.headers.items() if k.lower() == "authorization"), None)


def test_the_token_is_sent_to_the_source_as_authorization(portal, make_client):
    # Attack: none; the token must actually reach the source, or a test that
    # finds no token elsewhere proves nothing.
    portal.respond("/api/3/action/package_search", json_response({"success": True}))
    client = make_client(authorization=TOKEN, authorization_url=portal.url + "/")
    client.get(portal.url + "/api/3/action/package_search")
    assert authorization(portal.requests[0]) == TOKEN


def test_a_redirect_to_another_host_does_not_carry_the_token(portal, elsewhere, make_client):
    # Attack: the source answers 302 to a server of another origin, which
    # would collect the token if the redirect carried it. A redirect within
    # the source's origin first shows the token still goes where it belongs.
    portal.respond("/api/3/action/package_search", redirect_response("/moved"))
    portal.respond("/moved", redirect_response(elsewhere.url + "/collect", status=307))
    elsewhere.respond("/collect", json_response({"success": True}))
    client = make_client(authorization=TOKEN, authorization_url=portal.url)
    response = client.get(portal.url + "/api/3/action/package_search")
    assert response.url == elsewhere.url + "/collect"
    assert [authorization(r) for r in portal.requests] == [TOKEN, TOKEN]
    assert len(elsewhere.requests) == 1
    assert authorization(elsewhere.requests[0]) is None
    assert TOKEN not in repr(elsewhere.requests[0].headers)


def test_another_host_name_for_the_same_server_is_another_origin(portal, make_client):
    # Attack: a redirect from 127.0.0.1 to localhost on the same port; the
    # server is the same, but the host is not the one the token was given
    # for, and a name can later point anywhere.
    portal.respond("/start", redirect_response(f"http://localhost:{portal.port}/landing"))
    portal.respond("/landing", text_response("ok"))
    client = make_client(authorization=TOKEN, authorization_url=portal.url)
    client.get(portal.url + "/start")
    assert [(r.path, authorization(r)) for r in portal.requests] == [("/start", TOKEN), ("/landing", None)]


def test_links_to_other_hosts_are_fetched_without_the_token(portal, elsewhere, make_client):
    # Attack: a listing that points the harvester at files on another host
    # (an adapter fetching a resource or a linked page there).
    elsewhere.respond("/data.csv", text_response("a,b\n1,2\n", content_type="text/csv"))
    client = make_client(authorization=TOKEN, authorization_url=portal.url)
    client.get(elsewhere.url + "/data.csv")
    assert authorization(elsewhere.requests[0]) is None


def test_credentials_passed_by_a_caller_do_not_follow_a_redirect_off_origin(portal, elsewhere, make_client):
    # Attack: the same redirect, for Authorization and Cookie headers a
    # caller passed to get() itself rather than configured on the client.
    portal.respond("/start", redirect_response(elsewhere.url + "/collect"))
    elsewhere.respond("/collect", text_response("ok"))
    make_client().get(portal.url + "/start", headers={"Authorization": TOKEN, "Cookie": "session=" + TOKEN,
                                                      "Accept": "application/json"})
    assert authorization(portal.requests[0]) == TOKEN
    seen = elsewhere.requests[0].headers
    assert TOKEN not in repr(seen)
    assert seen.get("Accept") == "application/json"


def test_a_rejected_token_is_not_repeated_in_the_error(portal, make_client):
    # Attack: the source refuses the token (403) and the error a person
    # reads names the URL and status but not the token.
    portal.respond("/api/3/action/package_search",
                   json_response({"success": False, "error": {"__type": "Authorization Error"}}, status=403))
    client = make_client(authorization=TOKEN, authorization_url=portal.url)
    with pytest.raises(HttpStatusError) as caught:
        client.get(portal.url + "/api/3/action/package_search")
    assert caught.value.status == 403
    assert TOKEN not in str(caught.value) and TOKEN not in caught.value.message_ja
    assert TOKEN not in repr(vars(client))


def test_the_ckan_adapter_sends_the_token_on_every_page(portal, make_client):
    # Attack: none; paging through a listing keeps using the token (the
    # listing and the id-only listing both go to the source's origin).
    fake = FakeCkan([make_dataset(n) for n in range(5)], rows_max=2)
    fake.install(portal)
    client = make_client(authorization=TOKEN, authorization_url=portal.url)
    adapter = CkanAdapter(portal.url, {"municipality_code": "011002", "rows": 2}, client)
    assert len(list(adapter.records())) == 5
    assert len(adapter.list_identifiers()) == 5
    assert portal.requests and all(authorization(r) == TOKEN for r in portal.requests)


def test_a_token_without_its_origin_is_refused():
    # Attack: a caller forgets where the token belongs; the client refuses
    # to guess rather than send it to whatever it fetches.
    from harvesters.client import HttpClient

    with pytest.raises(ValueError, match="authorization_url"):
        HttpClient(authorization=TOKEN)
