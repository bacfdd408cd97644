"""The portal's public face in a real headless Chromium against a real CKAN
server, in Japanese and English: the front page, About and the terms, a
use case published through its form and listed on its dataset's page, a
data request made, answered by the municipality's steward and counted on
the municipality page; the front page and the municipality page checked
with axe-core (headings, labels, contrast, names) and by keyboard.
Screenshots: var/screenshots/front*.png, use_case.png, data_request.png.
"""
import os

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.accessibility import describe, violations
from tests.browser import (SCREENSHOTS, browser, ckan_server, console_errors, login,  # noqa: F401
                           make_steward, submit)

SAPPORO = "011002"
PASSWORD = "Hokkaido-user-1"


@pytest.fixture(scope="module")
def people(ckan_server):
    steward = make_steward("sapporo-editor", PASSWORD, SAPPORO, "札幌市")
    resident = factories.User(name="resident", password=PASSWORD, image_url="", email="resident@example.jp")
    site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
    call_action("package_create", context={"user": site_user}, name="gomi-calendar", title="ごみ収集カレンダー",
                owner_org=SAPPORO, notes="札幌市のごみ収集日", municipality_code=SAPPORO, standard_dataset="08",
                license_id="cc-by-4.0", resources=[{"url": "https://example.jp/gomi.csv", "format": "CSV"}])
    return {"steward": steward, "resident": resident}


def text(driver):
    return driver.find_element(By.TAG_NAME, "body").text


def logout(driver, base):
    driver.delete_all_cookies()
    driver.get(base + "/")


@pytest.mark.parametrize("lang, words", [
    ("", ("北海道オープンデータポータル", "実施率", "新着データセット", "自治体標準オープンデータセット", "活用事例")),
    ("/en", ("Publishing rate", "Newest datasets", "Standard datasets", "Use cases")),
])
def test_front_page(ckan_server, browser, people, lang, words):
    browser.get(ckan_server + lang + "/")
    body = text(browser)
    for word in words:
        assert word in body, word
    assert "ごみ収集カレンダー" in browser.find_element(By.ID, "newest-datasets").text
    logo = browser.find_element(By.CSS_SELECTOR, "header .logo img")
    assert logo.get_attribute("src").endswith("/hokkaido/logo.svg")
    assert browser.execute_script("return arguments[0].naturalWidth", logo) > 0  # the image loads
    assert len(browser.find_elements(By.CSS_SELECTOR, "#front-map .map-dot")) == 179
    browser.save_screenshot(os.path.join(SCREENSHOTS, f"front{lang.replace('/', '-')}.png"))
    assert console_errors(browser) == []


@pytest.mark.parametrize("path, words", [
    ("/about", ("このポータルにあるもの", "API トークン")),
    ("/en/about", ("What the portal holds", "API token")),
    ("/terms", ("利用規約", "公共データ利用規約（第1.0版）")),
    ("/en/terms", ("Terms of use", "CC BY 4.0")),
])
def test_about_and_terms(ckan_server, browser, path, words):
    browser.get(ckan_server + path)
    body = text(browser)
    for word in words:
        assert word in body, (path, word)
    assert console_errors(browser) == []


def test_a_use_case_published_through_the_form(ckan_server, browser, people):
    login(browser, ckan_server, "resident", PASSWORD)
    browser.get(ckan_server + "/dataset/gomi-calendar")
    browser.find_element(By.LINK_TEXT, "このデータセットの活用事例を投稿").click()
    # bad input first: no title, a javascript: link
    browser.find_element(By.ID, "field-name").send_keys("gomi-app")
    browser.find_element(By.ID, "field-url").send_keys("javascript:alert(1)")
    submit(browser, browser.find_element(By.ID, "save-use-case"))
    errors = browser.find_element(By.CSS_SELECTOR, ".error-explanation").text
    assert "タイトル" in errors or "Title" in errors
    assert browser.find_element(By.ID, "field-datasets").get_attribute("value").strip() == "gomi-calendar"
    browser.find_element(By.ID, "field-title").send_keys("ごみ出し通知アプリ")
    url = browser.find_element(By.ID, "field-url")
    url.clear()
    url.send_keys("https://app.example.jp/")
    browser.find_element(By.ID, "field-description").send_keys("収集日の前の晩に通知します。")
    submit(browser, browser.find_element(By.ID, "save-use-case"))
    assert "ごみ出し通知アプリ" in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_element(By.ID, "use-case-datasets").text == "ごみ収集カレンダー"
    browser.save_screenshot(os.path.join(SCREENSHOTS, "use_case.png"))
    browser.get(ckan_server + "/dataset/gomi-calendar")
    assert "ごみ出し通知アプリ" in browser.find_element(By.ID, "dataset-use-cases").text
    browser.get(ckan_server + "/en/usecases")
    assert "1 use cases" in text(browser) and "ごみ出し通知アプリ" in text(browser)
    assert console_errors(browser) == []
    logout(browser, ckan_server)


def test_a_data_request_answered_by_the_steward(ckan_server, browser, people):
    login(browser, ckan_server, "resident", PASSWORD)
    browser.get(f"{ckan_server}/municipalities/{SAPPORO}")
    browser.find_element(By.CSS_SELECTOR, "#request-counts a[href*='/datarequests/new']").click()
    assert browser.find_element(By.ID, "field-organization").get_attribute("value") == SAPPORO
    browser.find_element(By.ID, "field-title").send_keys("除雪車の位置情報")
    browser.find_element(By.ID, "field-description").send_keys("除雪車の現在地を5分ごとに")
    browser.find_element(By.ID, "field-reason").send_keys("通学路の安全確認に使いたい")
    submit(browser, browser.find_element(By.ID, "send-request"))
    assert browser.find_elements(By.ID, "request-status-label"), text(browser)
    assert browser.find_element(By.ID, "request-status-label").text == "受付"
    request_url = browser.current_url
    logout(browser, ckan_server)

    # the request is public; a visitor finds it by searching
    browser.get(ckan_server + "/datarequests?q=除雪")
    assert "除雪車の位置情報" in browser.find_element(By.ID, "request-list").text
    assert browser.find_elements(By.ID, "answer-form") == []

    login(browser, ckan_server, "sapporo-editor", PASSWORD)
    browser.get(request_url)
    # bad input: 公開済み without naming the dataset
    browser.find_element(By.CSS_SELECTOR, "#field-status option[value=published]").click()
    submit(browser, browser.find_element(By.ID, "save-answer"))
    assert browser.find_element(By.CSS_SELECTOR, "#answer-form .error-explanation").is_displayed()
    browser.find_element(By.CSS_SELECTOR, "#field-status option[value=published]").click()
    browser.find_element(By.ID, "field-dataset").send_keys(ckan_server + "/dataset/gomi-calendar")
    browser.find_element(By.ID, "field-message").send_keys("公開しました")
    submit(browser, browser.find_element(By.ID, "save-answer"))
    assert browser.find_element(By.ID, "request-status-label").text == "公開済み"
    assert "ごみ収集カレンダー" in browser.find_element(By.ID, "request-dataset").text
    assert "公開しました" in browser.find_element(By.ID, "request-events").text
    browser.save_screenshot(os.path.join(SCREENSHOTS, "data_request.png"))
    browser.get(f"{ckan_server}/municipalities/{SAPPORO}")
    counts = browser.find_element(By.ID, "request-counts").text
    assert counts.startswith("1") and "公開済み 1" in counts
    browser.get(f"{ckan_server}/en/datarequests/{request_url.rsplit('/', 1)[1]}")
    assert browser.find_element(By.ID, "request-status-label").text == "Published"
    assert console_errors(browser) == []
    logout(browser, ckan_server)


@pytest.mark.parametrize("path", ["/", "/en/", f"/municipalities/{SAPPORO}", f"/en/municipalities/{SAPPORO}"])
def test_accessibility(ckan_server, browser, people, path):
    browser.get(ckan_server + path)
    found = violations(browser)
    assert found == [], describe(found)


def test_the_front_page_by_keyboard(ckan_server, browser, people):
    browser.get(ckan_server + "/")
    body = browser.find_element(By.TAG_NAME, "body")
    body.click()
    for _ in range(60):  # Tab from the top until the search box has the focus
        body.send_keys(Keys.TAB) if browser.switch_to.active_element == body else \
            browser.switch_to.active_element.send_keys(Keys.TAB)
        if browser.switch_to.active_element.get_attribute("id") == "front-search":
            break
    box = browser.switch_to.active_element
    assert box.get_attribute("id") == "front-search", "the search box cannot be reached by Tab"
    outline = browser.execute_script(
        "const s = getComputedStyle(arguments[0]); return s.outlineStyle + ' ' + s.boxShadow", box)
    assert outline != "none none", "no visible focus on the search box"
    box.send_keys("ごみ" + Keys.ESCAPE)
    box.send_keys(Keys.ENTER)
    WebDriverWait(browser, 20).until(lambda d: "/dataset/" in d.current_url)
    assert "ごみ収集カレンダー" in text(browser)
