"""The portal in Japanese (the default) and in English (``/en/``), read in a
real headless Chromium against a real CKAN server: our pages and the harvest
screens speak the page's language, the status of a municipality too, and
neither page logs a JavaScript error. Screenshots:
var/screenshots/municipalities_ja.png, municipalities_en.png.
"""
import os
import re

from selenium.webdriver.common.by import By

from tests.browser import SCREENSHOTS, browser, ckan_server, console_errors  # noqa: F401

JAPANESE_UI = re.compile("絞り込み|振興局別|実施率の推移|未確認|一覧|地図")


def body(browser) -> str:
    return browser.find_element(By.TAG_NAME, "body").text


def test_the_municipalities_page_in_each_language(ckan_server, browser):
    browser.get(f"{ckan_server}/municipalities")
    ja = body(browser)
    browser.save_screenshot(os.path.join(SCREENSHOTS, "municipalities_ja.png"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "道内179市町村のオープンデータ公開状況"
    for text in ("実施率", "地図", "振興局別", "絞り込み", "未確認", "市町村（見出しをクリックで並べ替え）"):
        assert text in ja, text
    assert console_errors(browser) == []

    browser.get(f"{ckan_server}/en/municipalities")
    en = body(browser)
    browser.save_screenshot(os.path.join(SCREENSHOTS, "municipalities_en.png"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Open data of the 179 municipalities of Hokkaido"
    for text in ("Publishing rate", "Map", "By subprefecture", "Filter the list", "Not confirmed",
                 "municipalities (click a heading to sort)", "Municipalities"):
        assert text in en, text
    # names of places stay Japanese; the words of the page do not
    assert JAPANESE_UI.findall(en.replace("札幌市", "")) == []
    assert console_errors(browser) == []

    browser.get(f"{ckan_server}/en/municipalities/011002")
    page = body(browser)
    assert "Harvest sources" in page and "Standard municipal datasets" in page and "札幌市" in page
    browser.get(f"{ckan_server}/municipalities/011002")
    assert "自治体標準オープンデータセット" in body(browser)


def test_the_harvest_screens_in_each_language(ckan_server, browser):
    browser.get(f"{ckan_server}/en/harvest")
    assert "Harvest" in body(browser) and "収集元" not in body(browser)
    browser.get(f"{ckan_server}/harvest")
    assert "収集元" in body(browser)
    assert console_errors(browser) == []


def test_the_dataset_search_facets_in_each_language(ckan_server, browser):
    # a facet with nothing to choose is left out: one dataset gives both something
    from ckan.tests.helpers import call_action
    site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
    if not call_action("package_search", q="name:facets-ds")["count"]:
        call_action("organization_create", context=site, name="facets-org")
        call_action("package_create", context=site, name="facets-ds", title="AED設置箇所一覧", owner_org="facets-org",
                    category="防災", standard_dataset="08")
    browser.get(f"{ckan_server}/en/dataset/")
    page = body(browser)
    assert "Category" in page and "Standard dataset" in page and "分類" not in page
    browser.get(f"{ckan_server}/dataset/")
    page = body(browser)
    assert "分類" in page and "標準データセット" in page
    assert console_errors(browser) == []
