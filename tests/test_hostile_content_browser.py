"""Harvested text is inert: script tags, event handlers and javascript:/data:
links from a municipal portal neither run nor become clickable links on the
pages people use. A fake CKAN portal serves the payloads; our harvester
imports them; a real CKAN serves the pages to headless Chromium, in which a
hook records any alert() or assignment the payloads would make."""
import copy
import json

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from selenium.webdriver.common.by import By

from tests.browser import SCREENSHOTS, browser, ckan_server, console_errors  # noqa: F401
from tests.harvest.jobs import run_job
from tests.fakes.ckan import FakeCkan, make_dataset
from tests.fakes.portal_server import PortalServer

SAPPORO = "011002"
HOOK = """
window.__xss = [];
window.alert = function (m) { window.__xss.push('alert:' + m); };
window.confirm = window.prompt = window.alert;
"""
TITLE = '<script>window.__xss.push("title")</script>ヒグマ出没<img src=x onerror="window.__xss.push(1)">'
NOTES = ('<img src=x onerror="alert(2)"> [click](javascript:alert(3)) '
         '<a href="javascript:alert(4)">link</a> <svg onload=alert(5)>')


def hostile_dataset():
    dataset = make_dataset(1, name="hostile", title=TITLE, notes=NOTES)
    good = dataset["resources"][0]
    resources = []
    for number, url in enumerate(("javascript:alert(6)",
                                  "data:text/html,<script>alert(7)</script>",
                                  good["url"])):
        resource = copy.deepcopy(good)
        resource.update(id=f"{good['id'][:-1]}{number}", url=url,
                        name=f'<img src=x onerror="alert({8 + number})">資料{number}')
        resources.append(resource)
    dataset["resources"] = resources
    dataset["num_resources"] = len(resources)
    return dataset


@pytest.fixture(scope="module")
def harvested(ckan_server):
    site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
    # no images: the factory's default logos point at external hosts
    owner = factories.Organization(name="010006", title="北海道", image_url="")
    factories.Organization(name=SAPPORO, title="札幌市", image_url="")
    with PortalServer() as portal:
        FakeCkan([hostile_dataset()]).install(portal)
        source = call_action("harvest_source_create", context={"user": site_user},
                             name="hostile-portal", title="hostile", url=portal.url,
                             source_type="hokkaido_ckan", frequency="MANUAL",
                             owner_org=owner["id"],
                             config=json.dumps({"municipality_code": SAPPORO}))
        return run_job(source, {"user": site_user})


def test_only_http_links_are_stored_and_the_report_says_which(harvested):
    assert harvested["counters"]["created"] == 1, harvested
    # the refused URLs are the errors' detail (for the source's organization), not their message
    messages = " ".join(e["message"] for e in harvested["errors"])
    details = " ".join(e["detail"] or "" for e in harvested["errors"])
    assert "javascript:alert(6)" in details and "data:text/html" in details
    assert "javascript:" not in messages and messages.count("リソースのURLを保存しません") == 2
    datasets = call_action("package_search", q="*:*")["results"]
    assert len(datasets) == 1
    urls = [r["url"] for r in datasets[0]["resources"]]
    assert urls == ["https://example.org/files/hostile.csv"]


@pytest.mark.parametrize("path", [
    "/dataset/", "/dataset/{name}", "/organization/011002",
    "/municipalities", "/municipalities/011002", "/harvest/hostile-portal"])
def test_payloads_do_not_run_or_link(harvested, ckan_server, browser, path):
    name = call_action("package_search", q="*:*")["results"][0]["name"]
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOK})
    browser.get(ckan_server + path.format(name=name))
    executed = browser.execute_script("return window.__xss")
    assert executed is not None, "the alert hook was not installed"
    assert executed == [], f"{path}: payload ran: {executed}"
    hrefs = [a.get_dom_attribute("href") or "" for a in
             browser.find_elements(By.CSS_SELECTOR, "a[href]")]
    # CKAN's own widgets use javascript:void(0); no payload may become a link
    assert not [h for h in hrefs if "alert" in h or h.lower().startswith("data:")], path
    # the sanitised remnant <img src="x"> may 404 (a network entry, not a
    # script error); no JavaScript error may be logged
    assert [e for e in console_errors(browser) if e.get("source") != "network"] == []
    if path == "/dataset/{name}":
        # the title is shown as text, tags and all
        assert "ヒグマ出没" in browser.find_element(By.TAG_NAME, "h1").text
        browser.save_screenshot(f"{SCREENSHOTS}/hostile_dataset.png")
