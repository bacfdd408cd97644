"""The search box suggests as one types (issue 18, 4), in a real headless
Chromium against a real CKAN server: municipalities by name or reading and
datasets by the portal's Japanese search, through the
``hokkaido_search_suggest`` action; chosen with the mouse or the keyboard;
a private dataset is never suggested to a visitor. Screenshot:
var/screenshots/search_suggest.png.
"""
import os

import pytest
import requests
from ckan.tests import factories
from ckan.tests.helpers import call_action
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import SCREENSHOTS, browser, ckan_server, console_errors  # noqa: F401

SAPPORO = "011002"


@pytest.fixture(scope="module")
def portal(ckan_server):
    site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
    factories.Organization(name=SAPPORO, title="札幌市", image_url="")  # no image from the internet
    for name, title, private in (("gomi-bunbetsu", "ゴミの分別方法一覧", False),
                                 ("gomi-shuseki", "ゴミ集積場所一覧", False),
                                 ("gomi-naibu", "ごみ処理の内部資料", True)):
        call_action("package_create", context={"user": site_user}, name=name, title=title,
                    owner_org=SAPPORO, municipality_code=SAPPORO, private=private)
    return ckan_server


def suggestions(browser):
    WebDriverWait(browser, 10).until(
        lambda b: b.find_element(By.ID, "hokkaido-suggestions").is_displayed())
    return [li.find_element(By.TAG_NAME, "a").text
            for li in browser.find_elements(By.CSS_SELECTOR, "#hokkaido-suggestions [role=option]")]


def test_the_api_suggests_municipalities_and_visible_datasets(portal):
    # Bad input tried: an empty q (nothing suggested), a limit over the maximum (capped)
    answer = requests.get(f"{portal}/api/3/action/hokkaido_search_suggest",
                          params={"q": "さっぽろ", "limit": 500}, timeout=30).json()["result"]
    assert answer["municipalities"][0]["name"] == "札幌市"
    assert answer["municipalities"][0]["url"].endswith(f"/municipalities/{SAPPORO}")
    # the municipality's datasets, by its reading; never the private one
    assert {d["name"] for d in answer["datasets"]} == {"gomi-bunbetsu", "gomi-shuseki"}
    assert {d["municipality"] for d in answer["datasets"]} == {"札幌市"}
    empty = requests.get(f"{portal}/api/3/action/hokkaido_search_suggest", params={"q": " "}, timeout=30).json()
    assert empty["result"] == {"q": "", "municipalities": [], "datasets": []}
    refused = requests.get(f"{portal}/api/3/action/hokkaido_search_suggest", params={"q": "x", "limit": "many"},
                           timeout=30)
    assert refused.status_code == 409 and "limit" in refused.json()["error"]


def test_typing_in_the_search_box_suggests_and_a_choice_opens_it(portal, browser):
    browser.get(f"{portal}/dataset/")
    box = browser.find_element(By.ID, "field-sitewide-search")
    box.send_keys("ごみ")  # hiragana for the katakana titles
    shown = suggestions(browser)
    browser.save_screenshot(os.path.join(SCREENSHOTS, "search_suggest.png"))
    assert set(shown) == {"ゴミの分別方法一覧", "ゴミ集積場所一覧"}
    assert box.get_attribute("aria-expanded") == "true"
    # legible: dark text on the list's white (the masthead's links are white)
    link = browser.find_element(By.CSS_SELECTOR, "#hokkaido-suggestions a")
    assert link.value_of_css_property("color") == "rgba(26, 26, 26, 1)"
    # the keyboard: Down chooses the first, Enter opens it
    box.send_keys(Keys.ARROW_DOWN)
    first = browser.find_element(By.CSS_SELECTOR, "#hokkaido-suggestions [role=option]")
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    box.send_keys(Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda b: "/dataset/gomi-" in b.current_url)
    assert console_errors(browser) == []

    # a municipality by its reading in katakana; Escape closes the list
    browser.get(f"{portal}/")
    box = browser.find_element(By.ID, "field-sitewide-search")
    box.send_keys("サッポロ")
    assert suggestions(browser)[0] == "札幌市"
    box.send_keys(Keys.ESCAPE)
    assert not browser.find_element(By.ID, "hokkaido-suggestions").is_displayed()
    # without a choice, Enter searches as before
    box.send_keys(Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda b: "/dataset/?q=" in b.current_url)
    assert console_errors(browser) == []
