"""A steward registers a harvest source and deletes it, in a real headless
Chromium against a real CKAN server (issue 15): the Japanese form with our
types only and organizations by name, the source's pages in Japanese, the
delete confirmed and followed by the list, where the source is gone.
Screenshots: var/screenshots/harvest_source_form.png, harvest_sources.png.
"""
import os

import pytest
from ckan import model
from ckan.tests.helpers import call_action
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser import (SCREENSHOTS, browser, ckan_server, click,  # noqa: F401
                           console_errors, login, make_steward, submit)

PASSWORD = "correct-horse-battery"
OTARU = "012033"


@pytest.fixture(scope="module")
def steward(ckan_server):
    return make_steward("otaru-steward", PASSWORD, OTARU, "小樽市")


def test_a_steward_registers_and_deletes_a_source(ckan_server, browser, steward):
    login(browser, ckan_server, steward["name"], PASSWORD)
    browser.get(f"{ckan_server}/harvest/new")
    types = [e.get_attribute("value") for e in browser.find_elements(By.NAME, "source_type")]
    assert types and all(t.startswith("hokkaido_") for t in types), types  # our types only
    organizations = Select(browser.find_element(By.ID, "field-organizations"))
    assert [o.text for o in organizations.options] == [f"小樽市（{OTARU}）"]
    assert [o.text for o in Select(browser.find_element(By.ID, "field-frequency")).options][:2] \
        == ["手動", "毎月"]

    browser.find_element(By.ID, "field-url").send_keys("https://www.city.otaru.lg.jp/opendata/catalog.csv")
    browser.find_element(By.ID, "field-title").send_keys("小樽市オープンデータ一覧")
    browser.find_element(By.ID, "field-name").send_keys("012033-catalog")
    click(browser, browser.find_element(By.CSS_SELECTOR, "input[name=source_type][value=hokkaido_catalog_csv]"))
    browser.find_element(By.ID, "field-config").send_keys('{"municipality_code": "012033"}')
    browser.save_screenshot(os.path.join(SCREENSHOTS, "harvest_source_form.png"))
    assert console_errors(browser) == []
    submit(browser, browser.find_element(By.ID, "save"))

    model.Session.remove()
    source = call_action("harvest_source_show", id="012033-catalog")
    assert (source["source_type"], source["organization"]["name"]) == ("hokkaido_catalog_csv", OTARU)
    browser.get(f"{ckan_server}/harvest/012033-catalog")
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "小樽市オープンデータ一覧" in page and "この収集元から収集したデータセットはありません" in page
    assert console_errors(browser) == []

    # delete: the question, then the list of sources, where it is gone
    browser.get(f"{ckan_server}/harvest/edit/012033-catalog")
    click(browser, browser.find_element(By.LINK_TEXT, "収集元を削除"))
    assert "この収集元を削除します" in browser.find_element(By.ID, "confirm-text").text
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#confirm-action button[type=submit]"))
    assert browser.current_url.rstrip("/").endswith("/harvest"), browser.current_url
    page = browser.find_element(By.TAG_NAME, "body").text
    browser.save_screenshot(os.path.join(SCREENSHOTS, "harvest_sources.png"))
    assert "収集元「小樽市オープンデータ一覧」を削除しました" in page
    assert "収集元はまだありません" in page and "すでに削除" not in page
    assert console_errors(browser) == []
    model.Session.remove()
    assert call_action("package_show", id=source["id"])["state"] == "deleted"
