"""A steward records 他サイトで公開 on the municipality page, in a real
headless Chromium against a real CKAN server (issue 15): the form is there
for a member of the municipality's organization, the status changes, the
page logs no JavaScript error. Screenshot: var/screenshots/elsewhere_form.png.
"""
import os

import pytest
from ckan.tests.helpers import call_action
from selenium.webdriver.common.by import By

from tests.browser import (SCREENSHOTS, browser, ckan_server, click,  # noqa: F401
                           console_errors, login, make_steward)

PASSWORD = "correct-horse-battery"
KUSHIRO = "012068"


@pytest.fixture(scope="module")
def steward(ckan_server):
    return make_steward("kushiro-steward", PASSWORD, KUSHIRO, "釧路市")


def test_a_steward_records_publishing_elsewhere(ckan_server, browser, steward):
    login(browser, ckan_server, steward["name"], PASSWORD)
    browser.get(f"{ckan_server}/municipalities/{KUSHIRO}")
    click(browser, browser.find_element(By.CSS_SELECTOR, "#record-elsewhere summary"))
    browser.find_element(By.ID, "elsewhere-url").send_keys("https://www.city.kushiro.lg.jp/opendata/")
    browser.find_element(By.ID, "elsewhere-note").send_keys("市のサイトでCSVを公開")
    browser.save_screenshot(os.path.join(SCREENSHOTS, "elsewhere_form.png"))
    click(browser, browser.find_element(By.CSS_SELECTOR, "#elsewhere-form button[type=submit]"))
    assert f"/municipalities/{KUSHIRO}" in browser.current_url
    assert browser.find_elements(By.CSS_SELECTOR, "a[href='https://www.city.kushiro.lg.jp/opendata/']")
    row = call_action("hokkaido_municipality_show", id=KUSHIRO)
    assert row["status"] == "他サイトで公開" and row["elsewhere"]["note"] == "市のサイトでCSVを公開"
    assert console_errors(browser) == []
