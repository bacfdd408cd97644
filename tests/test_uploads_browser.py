"""Uploaded files never run in the portal's origin (issue 28, 1;
``ckanext/hokkaido/security/headers.py``). Bad input tried, uploaded
through the API by an organization's editor and opened by a logged-in
sysadmin in headless Chromium, at the download address and through the
resource page: an XHTML document named ``.xml``; an HTML page named
``.csv`` and declared ``mimetype=text/html``; an SVG with a script named
``.png``; an HTML page named ``.csv``. Each payload would write to the
portal's localStorage; none may. A real PNG and a real CSV still come as
an image shown and a file to save."""
from __future__ import annotations

import base64

import pytest
import requests
from ckan.tests.helpers import call_action
from selenium.webdriver.common.by import By

from tests.browser import browser, ckan_server, login, make_steward  # noqa: F401

PASSWORD = "Hokkaido-admin-1"

XHTML = (b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body>'
         b"<script>localStorage.setItem('pwned', 'xml')</script>x</body></html>")
HTML = b"<html><body><script>localStorage.setItem('pwned', 'html')</script>x</body></html>"
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b"<script>localStorage.setItem('pwned', 'svg')</script></svg>")
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
CSV = "施設名,住所\n札幌市役所,中央区北1条西2丁目\n".encode()

HOSTILE = [  # (file name, bytes, the mimetype the uploader declares)
    ("report.xml", XHTML, None),
    ("table.csv", HTML, "text/html"),
    ("map.png", SVG, None),
    ("list.csv", HTML, None),
]


@pytest.fixture(scope="module")
def uploaded(ckan_server):
    site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
    editor = make_steward("uploader", "Hokkaido-steward-1", "011002", "札幌市")
    call_action("user_create", context=site, name="admin", email="admin@example.org", password=PASSWORD,
                sysadmin=True)
    call_action("user_patch", context=site, id="admin", sysadmin=True)
    dataset = call_action("package_create", context={"user": editor["name"]}, name="uploads", title="アップロード",
                          owner_org="011002")
    token = call_action("api_token_create", context=site, user=editor["name"], name="t")["token"]
    resources = {}
    for name, content, mimetype in HOSTILE + [("photo.png", PNG, None), ("data.csv", CSV, None)]:
        fields = {"package_id": dataset["id"], "name": name}
        if mimetype:
            fields["mimetype"] = mimetype
        answer = requests.post(f"{ckan_server}/api/3/action/resource_create", data=fields,
                               files={"upload": (name, content)}, headers={"Authorization": token}, timeout=30)
        assert answer.ok, answer.text[:500]
        resources[name] = answer.json()["result"]
    return resources


def download_url(ckan_server, resource):
    return f"{ckan_server}/dataset/{resource['package_id']}/resource/{resource['id']}/download/{resource['url'].rsplit('/', 1)[-1]}"


def test_hostile_uploads_come_as_attachments_in_a_sandbox(ckan_server, uploaded):
    for name, _content, _mimetype in HOSTILE:
        answer = requests.get(download_url(ckan_server, uploaded[name]), timeout=10)
        assert answer.status_code == 200, name
        headers = answer.headers
        assert headers["Content-Type"] == "application/octet-stream", (name, headers["Content-Type"])
        assert headers["Content-Disposition"].startswith("attachment"), name
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Security-Policy"].startswith("sandbox"), name


def test_an_image_is_shown_and_a_table_is_saved(ckan_server, uploaded):
    image = requests.get(download_url(ckan_server, uploaded["photo.png"]), timeout=10)
    assert image.headers["Content-Type"] == "image/png" and image.headers["Content-Disposition"].startswith("inline")
    assert image.content == PNG
    table = requests.get(download_url(ckan_server, uploaded["data.csv"]), timeout=10)
    assert table.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert table.headers["Content-Disposition"].startswith("attachment") and table.content == CSV


def test_every_page_says_who_may_frame_it(ckan_server):
    answer = requests.get(ckan_server + "/dataset/", timeout=10)
    assert "frame-ancestors 'self'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "SAMEORIGIN"


def _pwned(browser, ckan_server):
    browser.get(ckan_server + "/about")
    return browser.execute_script("return localStorage.getItem('pwned')")


@pytest.mark.parametrize("name", [name for name, _c, _m in HOSTILE])
def test_no_upload_runs_script_for_a_sysadmin(ckan_server, uploaded, browser, name):
    if not browser.get_cookies():
        login(browser, ckan_server, "admin", PASSWORD)
    resource = uploaded[name]
    browser.get(ckan_server + "/about")
    browser.execute_script("localStorage.clear()")
    # at the download address, as a link in a mail would open it
    browser.get(download_url(ckan_server, resource))
    assert _pwned(browser, ckan_server) is None, f"{name} ran script at its download address"
    # through the resource page: its download button
    browser.get(f"{ckan_server}/dataset/uploads/resource/{resource['id']}")
    button = browser.find_element(By.CSS_SELECTOR, "a.resource-url-analytics")
    browser.execute_script("arguments[0].removeAttribute('target'); arguments[0].click();", button)
    assert _pwned(browser, ckan_server) is None, f"{name} ran script through the resource page"
