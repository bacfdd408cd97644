"""Faulty sources: each gives a clear error in the run report and deletes nothing.

A source is first harvested successfully from a fake CKAN on 127.0.0.1
(tests/fakes/ckan.py, for faults a real CKAN does not make), then
the fake breaks in one way and the source is harvested again. Each test says
in a comment what bad input it tries.
"""
from __future__ import annotations

import json

import pytest

from ckan.plugins import toolkit
from ckan.tests import factories

from tests.harvest.helpers import FAST_HARVEST
from tests.fakes.ckan import FakeCkan, make_dataset
from tests.fakes.portal_server import PortalResponse, redirect_response, text_response

pytestmark = [
    pytest.mark.usefixtures("with_plugins"),
    *(pytest.mark.ckan_config(key, value) for key, value in FAST_HARVEST.items()),
]

SEARCH = "/api/3/action/package_search"


@pytest.fixture
def harvested(portal, harvest):
    """A source with three datasets harvested from the fake portal."""
    FakeCkan([make_dataset(i) for i in range(3)]).install(portal)
    source = harvest.source(portal.url, {"municipality_code": "011002"})
    report = harvest.run(source)
    assert report["counters"]["created"] == 3, report
    return source


def assert_failed_cleanly(harvest, source, report, *fragments):
    """One gather error naming the problem; nothing imported or withdrawn."""
    assert report["counters"] == {"found": 0, "created": 0, "updated": 0, "unchanged": 0,
                                  "deleted": 0, "errored": 1}, report
    (error,) = report["errors"]
    assert error["stage"] == "Gather" and error["identifier"] is None
    assert "ハーベスト元を読めませんでした" in error["message"]
    assert "no dataset is withdrawn" in error["message"]
    # the message is ours (public); what went wrong in detail is for the sysadmin reading it
    detail = error["detail"] or ""
    for fragment in fragments:
        assert fragment in error["message"] + detail, (error["message"], detail)
    datasets = harvest.datasets(source)
    assert len(datasets) == 3 and all(d["state"] == "active" for d in datasets.values())
    return error["message"]


def test_timeout(portal, harvest, harvested, ckan_config, monkeypatch):
    # Bad input: a portal that takes 3 s to answer while the read timeout is 1 s.
    monkeypatch.setitem(ckan_config, "ckanext.hokkaido.harvest.timeout", "1")
    portal.respond(SEARCH, PortalResponse(200, b"{}", {"Content-Type": "application/json"}, delay=3))
    report = harvest.run(harvested)
    assert_failed_cleanly(harvest, harvested, report, "サーバーの応答がタイムアウトしました",
                          "no response within 1 s (read timeout)", portal.url)


def test_server_error(portal, harvest, harvested, app):
    # Bad input: a portal answering HTTP 500 (after the configured retries).
    portal.respond(SEARCH, text_response("Internal Server Error", status=500))
    report = harvest.run(harvested)
    assert_failed_cleanly(harvest, harvested, report, "HTTP 500", "サーバーがエラーを返しました")
    # the error is on ckanext-harvest's job page too
    token = factories.APIToken(user=harvest.user["name"])["token"]
    page = app.get(f"/harvest/{harvested['name']}/job/{report['job_id']}", headers={"Authorization": token})
    assert page.status_code == 200
    assert "HTTP 500" in page.body
    # and in its API
    job_report = toolkit.get_action("harvest_job_report")(harvest.context(), {"id": report["job_id"]})
    assert "HTTP 500" in job_report["gather_errors"][0]["message"]


def test_malformed_json(portal, harvest, harvested):
    # Bad input: a body that claims to be JSON and is not.
    portal.respond(SEARCH, text_response('{"success": true, "result": {"count": 3,,}',
                                         content_type="application/json"))
    report = harvest.run(harvested)
    assert_failed_cleanly(harvest, harvested, report, "応答がJSONとして読めません", "is not valid JSON")


def test_not_a_ckan_answer(portal, harvest, harvested):
    # Bad input: valid JSON that is not a CKAN action API answer.
    portal.respond(SEARCH, text_response(json.dumps({"datasets": []}), content_type="application/json"))
    report = harvest.run(harvested)
    assert_failed_cleanly(harvest, harvested, report, "CKAN API の応答ではありません", "no 'success' key")


def test_truncated_response(portal, harvest, harvested):
    # Bad input: the connection closes after 40 of the 5000 bytes announced.
    body = b'{"help": "", "success": true, "result": {'
    portal.respond(SEARCH, PortalResponse(200, body, {"Content-Type": "application/json",
                                                      "Content-Length": "5000"}))
    report = harvest.run(harvested)
    assert_failed_cleanly(harvest, harvested, report, "body was cut off")


def test_oversized_response(portal, harvest, harvested, ckan_config, monkeypatch):
    # Bad input: a listing of 200 datasets (~400 KB) while 50 KB are allowed.
    monkeypatch.setitem(ckan_config, "ckanext.hokkaido.harvest.max_bytes", 50_000)
    FakeCkan([make_dataset(i) for i in range(200)]).install(portal)
    report = harvest.run(harvested)
    assert_failed_cleanly(harvest, harvested, report, "データが大きすぎるため取得を中止しました",
                          "exceeds the limit of 50000 bytes")


def test_redirect_to_private_address(portal, harvest, harvested):
    # Bad input: the portal redirects to an address on a private network
    # (loopback is allowed for the tests; 192.168.0.0/16 is not).
    portal.respond(SEARCH, redirect_response("http://192.168.10.10/api/3/action/package_search"))
    report = harvest.run(harvested)
    message = assert_failed_cleanly(harvest, harvested, report, "プライベートアドレス (192.168.10.10) への接続は許可されていません",
                                    "refusing to connect to private address 192.168.10.10")
    assert "192.168.10.10" in message


def test_private_addresses_refused_unless_configured(portal, harvest, ckan_config, monkeypatch):
    # Bad input: a source on a loopback address while the portal's default
    # (nothing private allowed) is in force.
    monkeypatch.setitem(ckan_config, "ckanext.hokkaido.harvest.allow_private_addresses", [])
    FakeCkan([make_dataset(0)]).install(portal)
    source = harvest.source(portal.url, {"municipality_code": "011002"})
    report = harvest.run(source)
    assert report["counters"]["errored"] == 1 and report["counters"]["created"] == 0
    assert "refusing to connect to loopback address 127.0.0.1" in report["errors"][0]["detail"]
    assert portal.requests == []  # refused before any connection


def test_failing_source_does_not_stop_the_next(portal, harvest, remote):
    # Bad input: one broken source (HTTP 500) harvested before a good one.
    portal.respond(SEARCH, text_response("down", status=500))
    broken = harvest.source(portal.url, {"municipality_code": "011002"})
    remote.organization("sapporo-city", "札幌市")
    remote.dataset("ds-0", "sapporo-city")
    good = harvest.source(remote.url, {"municipality_code": "011002"})
    assert harvest.run(broken)["counters"]["errored"] == 1
    assert harvest.run(good)["counters"]["created"] == 1


def test_a_resource_without_a_url_is_dropped_with_a_warning(portal, harvest):
    # Bad input: a source dataset with a resource whose URL is empty (the
    # portal's rule: every resource has a link or a file); the dataset and its
    # other resource are imported, the report says what was left out.
    dataset = make_dataset(1)
    dataset["resources"].append(dict(dataset["resources"][0], id="empty", url="", name="URLなし"))
    FakeCkan([dataset]).install(portal)
    source = harvest.source(portal.url, {"municipality_code": "011002"})
    report = harvest.run(source)
    assert report["counters"]["created"] == 1, report
    (imported,) = harvest.datasets(source).values()
    assert [r["url"] for r in imported["resources"]] == [dataset["resources"][0]["url"]]
    assert any("URLのないリソースを保存しません" in e["message"] and "URLなし" in (e.get("detail") or e["message"])
               for e in report["errors"]), report["errors"]
