"""The stack as deployed (issue 34, 1-2): nginx with deploy/nginx/ (rendered
for this checkout by scripts/nginx_local.py, as `make prod-local` does) in
front of a real CKAN. An anonymous read is answered from the cache (pages
and the API alike); a request with a token or a session cookie, a person's
own pages and a POST never are; a change shows once the cache time has
passed (60 s deployed, 3 s here), the first request after it may still get
the previous answer while nginx fetches the new one. Bad input tried: a
cookie that is not a session (still bypasses: nginx cannot tell), an
invalid token (bypasses, and CKAN refuses it)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
import requests
from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests.browser import ROOT, ckan_server  # noqa: F401
from tests.fakes.source_ckan import free_port

SECONDS = 3


@pytest.fixture(scope="module")
def nginx(ckan_server):
    prefix = os.path.join(ROOT, "var", "run", "nginx-test")
    port, upstream = free_port(), int(ckan_server.rsplit(":", 1)[1])
    conf = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "nginx_local.py"), prefix,
                           "--listen", str(port), "--upstream", str(upstream), "--cache-seconds", str(SECONDS)],
                          capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run(["rm", "-rf", os.path.join(prefix, "cache")], check=True)
    os.makedirs(os.path.join(prefix, "cache"))
    checked = subprocess.run(["nginx", "-t", "-p", prefix, "-c", conf], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen(["nginx", "-p", prefix, "-c", conf, "-g", "daemon off;"])
    url = f"http://127.0.0.1:{port}"
    for _ in range(50):
        try:
            requests.get(url + "/api/3/action/status_show", timeout=2)
            break
        except requests.RequestException:
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def portal(ckan_server):
    site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
    editor = factories.User(name="stack-editor")
    call_action("organization_create", context=dict(site), name="011002", title="札幌市",
                users=[{"name": editor["name"], "capacity": "editor"}])
    call_action("package_create", context=dict(site), name="shelters", title="指定緊急避難場所一覧",
                owner_org="011002")
    call_action("package_create", context=dict(site), name="private-plan", title="避難所の非公開計画",
                owner_org="011002", private=True)
    token = call_action("api_token_create", context={"user": editor["name"]}, user=editor["name"],
                        name="stack")["token"]
    return {"token": token}


def _status(answer: requests.Response) -> str:
    return answer.headers.get("X-Cache-Status", "")


def test_the_deployed_cache_time_is_a_minute_at_most():
    with open(os.path.join(ROOT, "deploy", "nginx", "ckan-cache.conf"), encoding="utf-8") as f:
        seconds = int(re.search(r"proxy_cache_valid 200 (\d+)s;", f.read()).group(1))
    assert 0 < seconds <= 60


def test_anonymous_reads_come_from_the_cache(nginx, portal):
    for path in ("/dataset/?q=避難", "/api/3/action/package_search?q=避難", "/municipalities", "/dataset/shelters",
                 "/api/3/action/hokkaido_municipality_list", "/"):
        first = requests.get(nginx + path, timeout=30)
        second = requests.get(nginx + path, timeout=30)
        assert first.status_code == second.status_code == 200, path
        assert _status(second) == "HIT", (path, _status(first), _status(second))
        assert second.content == first.content, path


def test_tokens_sessions_own_pages_and_posts_are_never_cached(nginx, portal):
    path = "/api/3/action/package_search?q=避難&include_private=true"
    anonymous = requests.get(nginx + path, timeout=30).json()["result"]["count"]
    with_token = [requests.get(nginx + path, headers={"Authorization": portal["token"]}, timeout=30)
                  for _ in range(2)]
    assert [_status(a) for a in with_token] == ["BYPASS", "BYPASS"]
    assert with_token[1].json()["result"]["count"] == anonymous + 1   # the private plan, for its editor only
    assert requests.get(nginx + path, timeout=30).json()["result"]["count"] == anonymous
    bad = requests.get(nginx + path, headers={"Authorization": "not-a-token"}, timeout=30)
    assert _status(bad) == "BYPASS" and bad.status_code in (200, 403)
    cookie = [requests.get(nginx + "/dataset/", cookies={"ckan": "anything"}, timeout=30) for _ in range(2)]
    assert [_status(a) for a in cookie] == ["BYPASS", "BYPASS"]
    login = [requests.get(nginx + "/user/login", timeout=30) for _ in range(2)]
    assert all(_status(a) == "" for a in login)
    posted = [requests.post(nginx + "/api/3/action/package_search", json={"q": "避難"}, timeout=30)
              for _ in range(2)]
    assert all(_status(a) != "HIT" for a in posted)


def test_a_change_shows_once_the_cache_time_has_passed(nginx, portal):
    path = "/api/3/action/package_search?q=名簿"
    before = requests.get(nginx + path, timeout=30).json()["result"]["count"]
    site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
    call_action("package_create", context=site, name="new-list", title="避難者名簿の様式", owner_org="011002")
    cached = requests.get(nginx + path, timeout=30)
    assert _status(cached) == "HIT" and cached.json()["result"]["count"] == before
    time.sleep(SECONDS + 0.5)
    # the first answers after the time may be the previous one while nginx
    # asks CKAN once in the background; the new one follows within seconds
    deadline, counts = time.monotonic() + 5, []
    while time.monotonic() < deadline:
        counts.append(requests.get(nginx + path, timeout=30).json()["result"]["count"])
        if counts[-1] == before + 1:
            break
        time.sleep(0.2)
    assert counts[-1] == before + 1, counts


def test_anonymous_read_pages_start_no_session(ckan_server, portal):
    for path in ("/", "/dataset/?q=避難", "/dataset/shelters", "/municipalities", "/municipalities/011002",
                 "/en/standard"):
        answer = requests.get(ckan_server + path, timeout=30)
        assert answer.status_code == 200, path
        assert "Set-Cookie" not in answer.headers, path
        assert 'name="csrf_field_name"' not in answer.text, path
    # the language is a link, not a form that posts
    page = requests.get(ckan_server + "/municipalities", timeout=30).text
    assert 'href="/en/municipalities"' in page and 'class="lang-select"' not in page
    # a page with a form that posts still carries the token, and so a session
    login = requests.get(ckan_server + "/user/login", timeout=30)
    assert "Set-Cookie" in login.headers and 'name="csrf_field_name"' in login.text
