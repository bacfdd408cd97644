"""Residents, stewards and developers in a real headless Chromium against a
real CKAN (issue 29, 12): a resident signs up from the login page; a table
is searched in the preview by part of a value, with the search box and a
column filter; a steward's table waiting for a worker shows its place and
the page shows the table once it is loaded; and axe-core finds nothing on
the pages they use, the preview's frame included, in Japanese and English.
Bad input tried: Japanese typed into the preview's boxes (the preview's own
server side turned it into wildcards); a page left open while the table
loads; English labels on Japanese pages (「Data viewer」)."""
from __future__ import annotations

import os

import pytest
from ckan.tests.helpers import call_action
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from ckanext.hokkaido.tables import store
from ckanext.hokkaido.tables.load import load_resource
from tests.accessibility import describe, violations
from tests.browser import SCREENSHOTS, browser, ckan_server, console_errors, login, make_steward, submit  # noqa: F401
from tests.fakes.portal_server import PortalResponse, PortalServer

CSV = ("名称,住所,診療科目\r\n" + "".join(
    f"医療機関{n},{['札幌市中央区本町', '旭川市宮前', '深川市フカガワ'][n % 3]}{n}丁目,{['内科', '外科'][n % 2]}\r\n"
    for n in range(30))).encode("cp932")


@pytest.fixture(scope="module")
def portal(ckan_server):
    with PortalServer() as files:
        files.respond("/iryo.csv", PortalResponse(200, CSV, {"Content-Type": "text/csv"}))
        files.respond("/waiting.csv", PortalResponse(200, CSV, {"Content-Type": "text/csv"}))
        site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
        make_steward("steward", "Hokkaido-steward-1", "011002", "札幌市")
        made = call_action("package_create", context=site, name="iryo", title="医療機関一覧", owner_org="011002",
                           resources=[{"url": files.url + "/iryo.csv", "format": "CSV", "name": "一覧"},
                                      {"url": files.url + "/waiting.csv", "format": "CSV", "name": "待ち"}])
        loaded, waiting = (r["id"] for r in made["resources"])
        assert load_resource(loaded) == "loaded"
        store.queued(waiting, files.url + "/waiting.csv", None)
        yield {"loaded": loaded, "waiting": waiting, "files": files}


def test_a_resident_signs_up_from_the_login_page(ckan_server, browser, portal):
    browser.delete_all_cookies()
    browser.get(ckan_server + "/user/login")
    link = browser.find_element(By.CSS_SELECTOR, "a[href='/user/register']")
    browser.get(link.get_attribute("href"))
    for field, value in (("field-username", "dominn"), ("field-fullname", "道民 花子"),
                         ("field-email", "hanako@example.jp"), ("field-password", "Hokkaido-resident-1"),
                         ("field-confirm-password", "Hokkaido-resident-1")):
        browser.find_element(By.ID, field).send_keys(value)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "form#user-register-form button[type=submit], "
                                                          "form.user-form button[type=submit]"))
    assert "/user/register" not in browser.current_url, browser.find_element(By.TAG_NAME, "main").text[:500]
    assert "道民 花子" in browser.page_source
    assert console_errors(browser) == []
    browser.get(ckan_server + "/user/_logout")


def _rows(browser):
    # read in one go: the table redraws under a search
    return browser.execute_script(
        "return Array.from(document.querySelectorAll('#dtprv tbody tr')).map(r => r.innerText)")


def test_the_preview_searches_part_of_a_value(ckan_server, browser, portal):
    browser.get(f"{ckan_server}/dataset/iryo/resource/{portal['loaded']}")
    frame = browser.find_element(By.CSS_SELECTOR, "iframe[data-module='data-viewer']")
    assert frame.get_attribute("title") == "データのプレビュー"
    browser.switch_to.frame(frame)
    try:
        WebDriverWait(browser, 30).until(lambda d: len(_rows(d)) >= 10)
        box = browser.find_element(By.CSS_SELECTOR, "#dtprv_filter input, .dt-search input")
        box.send_keys("本町" + Keys.ENTER)
        WebDriverWait(browser, 20).until(lambda d: _rows(d) and all("本町" in r for r in _rows(d)))
        assert len(_rows(browser)) == 10   # 10 of the 10 rows on 本町 fill the first page
        box.clear()
        box.send_keys("ふかがわ" + Keys.ENTER)   # hiragana finds katakana
        WebDriverWait(browser, 20).until(lambda d: _rows(d) and all("フカガワ" in r for r in _rows(d)))
        box.clear()
        box.send_keys(Keys.ENTER)
        WebDriverWait(browser, 20).until(lambda d: len(_rows(d)) >= 10 and not all("フカガワ" in r for r in _rows(d)))
        column = browser.find_elements(By.CSS_SELECTOR, "input.fhead")[1]   # 住所
        assert column.get_attribute("aria-label") == "住所で絞り込み"
        column.send_keys("宮前" + Keys.ENTER)
        WebDriverWait(browser, 20).until(lambda d: _rows(d) and all("宮前" in r for r in _rows(d)))
        browser.save_screenshot(os.path.join(SCREENSHOTS, "preview_search.png"))
        assert [e for e in console_errors(browser) if e.get("source") != "network"] == []
    finally:
        browser.switch_to.default_content()


def test_a_waiting_table_shows_its_place_and_the_page_shows_it_when_loaded(ckan_server, browser, portal):
    browser.get(f"{ckan_server}/dataset/iryo/resource/{portal['waiting']}")
    status = browser.find_element(By.ID, "table-status").text
    assert "データストアに読み込んでいます" in status and "読み込みが終わると" in status
    assert load_resource(portal["waiting"]) == "loaded"
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "table-summary"))
    assert "30行" in browser.find_element(By.ID, "table-summary").text


@pytest.mark.parametrize("lang", ["", "/en"])
def test_no_accessibility_violation_on_the_pages_people_use(ckan_server, browser, portal, lang):
    pages = ["/user/login", "/user/register", "/dataset/", "/dataset/?q=医療", "/dataset/iryo",
             f"/dataset/iryo/resource/{portal['loaded']}", "/api-guide", "/municipalities/011002"]
    found = {}
    for path in pages:
        browser.get(ckan_server + lang + path)
        if "/resource/" in path:
            WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "iframe[title]"))
        problems = violations(browser)
        if problems:
            found[path] = describe(problems)
        if "/resource/" in path:   # and inside the preview's frame
            browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe[data-module='data-viewer']"))
            try:
                WebDriverWait(browser, 30).until(lambda d: len(_rows(d)) >= 10)
                problems = violations(browser)
                if problems:
                    found[path + " (preview frame)"] = describe(problems)
            finally:
                browser.switch_to.default_content()
    assert not found, "\n".join(f"{path}:\n{text}" for path, text in found.items())
    if not lang:
        body = browser.page_source
        assert "Data viewer" not in body
