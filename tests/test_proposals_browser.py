"""The stewards' page of proposed sources (issue 19, 3), in a real headless
Chromium against a real CKAN server: what discovery found from a simulated
municipal site is listed with its evidence; the municipality's editor
accepts one (the harvest source is registered, once) and rejects another;
a visitor is sent to log in, an editor of another municipality is refused.
Screenshot: var/screenshots/proposals.png.
"""
import os

import pytest
import requests
from ckan.plugins import toolkit
from ckan.tests.helpers import call_action
from selenium.webdriver.common.by import By

from harvesters.client import HttpClient
from harvesters.discover import discover
from tests.browser import (SCREENSHOTS, browser, ckan_server, console_errors, login,  # noqa: F401
                           make_steward, submit)
from tests.fakes import municipal_sites
from tests.fakes.portal_server import PortalServer

HAKODATE = "012025"
PASSWORD = "Hokkaido-steward-1"


@pytest.fixture(scope="module")
def proposed(ckan_server):
    from ckanext.hokkaido.sources import proposals
    make_steward("hakodate-editor", PASSWORD, HAKODATE, "函館市")
    make_steward("otaru-editor", PASSWORD, "012033", "小樽市")
    with PortalServer() as site, PortalServer() as catalogue, \
            HttpClient(allow=("loopback",), min_delay=0) as client:
        municipal_sites.ckan_elsewhere(site, "函館市", portal=catalogue)
        site.respond("/shisei/", municipal_sites.html("市政情報", (
            f'<p><a href="{catalogue.url}/">函館市データカタログサイト</a></p>'
            '<p><a href="/od/">オープンデータ（ファイル一覧）</a></p>')))
        municipal_sites.data_files_page(site, "/od/", "函館市")
        found = discover(site.url + "/", client, code=HAKODATE)
        for source in found.found:
            proposals.propose(HAKODATE, source)
        yield {f.kind: f.url for f in found.found}


def test_an_editor_accepts_one_proposal_and_rejects_another(ckan_server, browser, proposed):
    assert set(proposed) == {"ckan", "webpage"}
    login(browser, ckan_server, "hakodate-editor", PASSWORD)
    browser.get(f"{ckan_server}/municipalities/{HAKODATE}")
    browser.find_element(By.ID, "proposals-link").click()
    page = browser.find_element(By.TAG_NAME, "body").text
    browser.save_screenshot(os.path.join(SCREENSHOTS, "proposals.png"))
    assert "収集元の候補: 函館市" in page and "函館市データカタログサイト" in page and "市政情報" in page
    sections = {s.find_element(By.TAG_NAME, "h2").text: s
                for s in browser.find_elements(By.CSS_SELECTOR, ".hokkaido-proposal")}
    submit(browser, sections[proposed["ckan"]].find_element(By.CSS_SELECTOR, "button[value=accept]"))
    assert "を登録しました" in browser.find_element(By.TAG_NAME, "body").text
    source = call_action("harvest_source_show", context={"ignore_auth": True}, id=f"{HAKODATE}-ckan")
    assert source["url"] == proposed["ckan"] and source["organization"]["name"] == HAKODATE

    sections = {s.find_element(By.TAG_NAME, "h2").text: s
                for s in browser.find_elements(By.CSS_SELECTOR, ".hokkaido-proposal")}
    submit(browser, sections[proposed["webpage"]].find_element(By.CSS_SELECTOR, "button[value=reject]"))
    statuses = [s.text for s in browser.find_elements(By.CSS_SELECTOR, ".proposal-status")]
    assert sorted(statuses) == sorted([f"承認済み: {HAKODATE}-ckan", "却下"])
    assert browser.find_elements(By.CSS_SELECTOR, ".hokkaido-proposal form") == []  # nothing left to decide
    assert len(call_action("harvest_source_list", context={"ignore_auth": True})) == 1
    assert console_errors(browser) == []


def test_others_may_not_see_or_decide(ckan_server, proposed):
    # Bad input tried: a visitor on the page; an editor of another
    # municipality asking the API for the list and deciding a proposal
    visitor = requests.get(f"{ckan_server}/municipalities/{HAKODATE}/proposals", allow_redirects=False, timeout=30)
    assert visitor.status_code == 302 and "/user/login" in visitor.headers["Location"]
    stranger = {"user": "otaru-editor", "ignore_auth": False}
    with pytest.raises(toolkit.NotAuthorized):
        call_action("hokkaido_source_proposal_list", context=dict(stranger), id=HAKODATE)
    first = call_action("hokkaido_source_proposal_list", id=HAKODATE)[0]
    with pytest.raises(toolkit.NotAuthorized):
        call_action("hokkaido_source_proposal_decide", context=dict(stranger), id=first["id"], decision="reject")
    with pytest.raises(toolkit.ValidationError):
        call_action("hokkaido_source_proposal_decide", id=first["id"], decision="maybe")
