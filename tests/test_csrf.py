"""CSRF (issue 13, must-have 3): extensions are not exempt from CKAN's
protection, and every state-changing address the portal serves needs the
token: a steward logged in with a cookie, as in a browser. Bad input tried:
the same POSTs without the token, and ckanext-harvest's GET links that
acted at once (refresh, abort) requested as a forged ``<img>`` would.
"""
from __future__ import annotations

import json
import logging
import re

import pytest

from ckan import model
from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import _get_test_app

from ckanext.harvest.model import HarvestJob

from tests.web import TOKEN_FIELD, logged_in

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

SAPPORO = "011002"
PASSWORD = "Hokkaido-steward-1"


def test_extensions_are_not_exempt_and_the_warning_is_gone(caplog):
    assert toolkit.asbool(toolkit.config.get("ckan.csrf_protection.ignore_extensions")) is False
    with caplog.at_level(logging.WARNING):
        _get_test_app()
    assert not [r for r in caplog.records if "excluded from CSRF protection" in r.getMessage()]


@pytest.fixture
def steward(app):
    """An editor of 札幌市, logged in with a cookie, and a source of 札幌市."""
    user = factories.User(password=PASSWORD)
    factories.Organization(name=SAPPORO, title="札幌市",
                           users=[{"name": user["name"], "capacity": "editor"}])
    source = toolkit.get_action("harvest_source_create")({"user": user["name"]}, {
        "name": "sapporo-portal", "title": "札幌市オープンデータ", "url": "https://data.city.sapporo.example/",
        "source_type": "hokkaido_ckan", "frequency": "MANUAL", "owner_org": SAPPORO,
        "config": json.dumps({"municipality_code": SAPPORO})})
    return logged_in(app, user, PASSWORD), source


def job_count(source) -> int:
    model.Session.rollback()
    return model.Session.query(HarvestJob).filter(HarvestJob.source_id == source["id"]).count()


def test_refresh_needs_a_confirmed_post_with_the_token(steward):
    client, source = steward
    # a forged <img src="/harvest/refresh/…"> only gets the question
    page = client.get(f"/harvest/refresh/{source['id']}")
    assert page.status_code == 200
    assert 'id="confirm-action"' in page.get_data(as_text=True)
    assert job_count(source) == 0

    form = page.get_data(as_text=True)
    action = re.search(r'<form id="confirm-action" method="post" action="([^"]+)"', form).group(1)
    assert client.post(action).status_code == 400                       # no token
    assert client.post(f"/harvest/refresh/{source['id']}").status_code == 400  # ckanext-harvest's own POST
    assert job_count(source) == 0

    done = client.post(action, data={"_csrf_token": TOKEN_FIELD.search(form).group(1)}, follow_redirects=False)
    assert done.status_code == 302
    assert job_count(source) == 1


def test_abort_asks_first(app, steward):
    _, source = steward
    client = logged_in(app, factories.Sysadmin(password=PASSWORD), PASSWORD)  # ckanext-harvest lets sysadmins abort
    job = toolkit.get_action("harvest_job_create")({"ignore_auth": True},
                                                   {"source_id": source["id"], "run": False})
    page = client.get(f"/harvest/{source['name']}/job/{job['id']}/abort")
    assert 'id="confirm-action"' in page.get_data(as_text=True)
    model.Session.rollback()
    assert HarvestJob.get(job["id"]).status == "New"
    action = re.search(r'action="([^"]+)"', page.get_data(as_text=True).split('id="confirm-action"')[1]).group(1)
    assert client.post(action).status_code == 400
    assert client.post(action, data={"_csrf_token": TOKEN_FIELD.search(page.get_data(as_text=True)).group(1)},
                       follow_redirects=False).status_code == 302
    model.Session.rollback()
    assert HarvestJob.get(job["id"]).status == "Finished"


def test_our_action_over_the_api_with_a_cookie_needs_the_token(steward):
    client, _ = steward
    url = "/api/3/action/hokkaido_municipality_set_elsewhere"
    payload = {"id": SAPPORO, "url": "https://www.city.sapporo.jp/opendata/"}
    assert client.post(url, json=payload).status_code == 400
    page = client.get(f"/municipalities/{SAPPORO}").get_data(as_text=True)
    token = re.search(r'<meta name="_csrf_token" content="([^"]+)"', page).group(1)
    answer = client.post(url, json=payload, headers={"X-CSRFToken": token})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    assert answer.json["result"]["url"] == payload["url"]


def _our_post_urls(app) -> list[str]:
    """Every address of ours that takes a POST, its arguments filled in,
    and CKAN's action API."""
    flask_app = app.flask_app
    values = {"code": SAPPORO, "id": "1", "source": "sapporo-portal", "logic_function": "hokkaido_use_case_create",
              "resource_view_id": "no-such-view"}
    urls = []
    for rule in flask_app.url_map.iter_rules():
        view = flask_app.view_functions.get(rule.endpoint)
        if "POST" not in (rule.methods or ()) or not view.__module__.startswith("ckanext.hokkaido"):
            continue
        urls.append(rule.rule.replace("<int:id>", "1").format_map(values)
                    if "<" not in rule.rule else _fill(rule.rule, values))
    urls.append("/api/3/action/hokkaido_municipality_set_elsewhere")
    return sorted(set(urls))


def _fill(rule: str, values: dict) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: values[m.group(1)], rule)


def test_token_requests_never_exempt_a_later_cookie_request(app, steward):
    # Bad input: 20 POSTs with an API token to each POST address of ours and to the
    # API, then the same addresses posted by a browser's cookie without the CSRF
    # token, in the same worker (CKAN's exemption used to stay for the view).
    client, source = steward
    editor = toolkit.get_action("member_list")({"ignore_auth": True}, {"id": SAPPORO, "object_type": "user",
                                                                      "capacity": "editor"})[0][0]
    token = toolkit.get_action("api_token_create")({"ignore_auth": True},
                                                   {"user": editor, "name": "csrf-test"})["token"]
    urls = _our_post_urls(app)
    assert len(urls) >= 12, urls
    with_token = app.test_client()
    for url in urls:
        for _ in range(20):
            answer = with_token.post(url, headers={"Authorization": token}, data={"note": "x"})
            assert answer.status_code != 400 or "CSRF" not in answer.get_data(as_text=True), url
    for url in urls:
        answer = client.post(url, data={"url": "https://www.city.sapporo.jp/opendata/", "title": "x"})
        assert answer.status_code == 400 and "CSRF" in answer.get_data(as_text=True), \
            f"{url}: {answer.status_code} {answer.get_data(as_text=True)[:200]}"
    model.Session.rollback()
    assert not model.Group.get(SAPPORO).extras.get("elsewhere_url")  # the cookie post saved nothing
