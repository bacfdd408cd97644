"""A steward creates an inventory dataset through the Japanese form.

Real CKAN server, real headless Chromium. The screenshot of the filled form
is saved to var/screenshots/dataset_form.png, the dataset page to
var/screenshots/dataset_page.png.
"""
import os

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser import (SCREENSHOTS, browser, ckan_server, click,  # noqa: F401
                           console_errors, login)

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def steward(ckan_server):
    site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
    # no avatar: the factory default points at an external image host
    user = factories.User(name="soumu-steward", password=PASSWORD, image_url="")
    call_action("organization_create", context={"user": site_user},
                name="010006-011500", title="北海道 総務部 総務課")
    call_action("organization_member_create", context={"user": site_user},
                id="010006-011500", username=user["name"], role="editor")
    return user


def test_steward_creates_a_dataset_with_the_inventory_fields(
        ckan_server, browser, steward):
    login(browser, ckan_server, steward["name"], PASSWORD)
    browser.get(ckan_server + "/dataset/new")
    page = browser.page_source
    for label in ("データの名称", "執行機関", "整理番号", "部・部局名等", "課名等",
                  "分類", "データの概要", "データ件数区分", "更新頻度",
                  "ファイル形式", "有償", "公開", "ホームページURL", "市町村",
                  "標準データセット"):
        assert label in page, f"form has no label {label}"

    browser.find_element(By.ID, "field-title").send_keys("道有施設のエネルギー使用量")
    # the URL field is filled from the title by CKAN's slug preview; a
    # Japanese title gives no slug, so open the field and type one
    edit = browser.find_elements(By.CSS_SELECTOR, ".slug-preview button")
    if edit:
        click(browser, edit[0])
    name = browser.find_element(By.ID, "field-name")
    name.clear()
    name.send_keys("energy-use-of-prefectural-facilities")
    browser.find_element(By.ID, "field-notes").send_keys("道有施設ごとの年間エネルギー使用量")
    browser.find_element(By.ID, "field-agency_code").send_keys("011500")
    browser.find_element(By.ID, "field-serial_no").send_keys("42")
    browser.find_element(By.ID, "field-department").send_keys("総務部")
    browser.find_element(By.ID, "field-section").send_keys("総務課")
    browser.find_element(By.ID, "field-category").send_keys("環境")
    browser.find_element(By.ID, "field-record_count").send_keys("101-500")
    Select(browser.find_element(By.ID, "field-update_frequency")).select_by_value("毎年")
    browser.find_element(By.ID, "field-file_format").send_keys("CSV")
    Select(browser.find_element(By.ID, "field-fee")).select_by_value("無")
    Select(browser.find_element(By.ID, "field-publishable")).select_by_value("可")
    browser.find_element(By.ID, "field-homepage_url").send_keys(
        "https://www.pref.hokkaido.lg.jp/sm/sum/")
    Select(browser.find_element(By.ID, "field-municipality_code")).select_by_value("010006")
    browser.save_screenshot(os.path.join(SCREENSHOTS, "dataset_form.png"))
    assert console_errors(browser) == []

    click(browser, browser.find_element(By.CSS_SELECTOR, "button[name=save]"))
    # stage 2 (resources), when CKAN shows it: finish without adding a file
    browser.implicitly_wait(0)
    finish = browser.find_elements(By.CSS_SELECTOR,
                                   "button[name=save][value=go-metadata]")
    browser.implicitly_wait(5)
    if finish:
        click(browser, finish[0])

    browser.get(ckan_server + "/dataset/energy-use-of-prefectural-facilities")
    browser.save_screenshot(os.path.join(SCREENSHOTS, "dataset_page.png"))
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "道有施設のエネルギー使用量" in page
    for label, value in (("執行機関", "011500"), ("整理番号", "42"),
                         ("更新頻度", "毎年"), ("分類", "環境"),
                         ("データ件数区分", "101-500"), ("公開", "可")):
        assert label in page and value in page, (label, value)
    assert console_errors(browser) == []

    pkg = call_action("package_show", id="energy-use-of-prefectural-facilities")
    assert pkg["organization"]["name"] == "010006-011500"
    assert (pkg["agency_code"], pkg["serial_no"], pkg["fee"]) == ("011500", "42", "無")
    assert pkg["state"] == "active"
