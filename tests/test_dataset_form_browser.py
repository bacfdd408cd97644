"""A steward publishes through the Japanese forms: a new inventory dataset
in two steps with an uploaded file, and an edit of a harvested dataset.

Real CKAN server, real headless Chromium. The screenshot of the filled form
is saved to var/screenshots/dataset_form.png, the upload to
resource_upload.png, the dataset page to dataset_page.png.
"""
import os

import pytest
import requests
import ckan
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser import (SCREENSHOTS, browser, ckan_server,  # noqa: F401
                           console_errors, login, submit)

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def steward(ckan_server):
    site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
    # no avatar: the factory default points at an external image host
    user = factories.User(name="soumu-steward", password=PASSWORD, image_url="")
    call_action("organization_create", context={"user": site_user},
                name="010006-011500", title="北海道 総務部 総務課",
                extras=[{"key": "parent", "value": "010006"}])  # as the inventory import makes it
    call_action("organization_member_create", context={"user": site_user},
                id="010006-011500", username=user["name"], role="editor")
    return user


def test_steward_creates_a_dataset_in_two_steps_with_an_upload(
        ckan_server, browser, steward, tmp_path):
    """Step 1 the inventory fields with a title in Japanese only (no URL name
    typed: the schema offers one), step 2 a CSV uploaded from the computer;
    「完了」 publishes it, and the file is served back."""
    login(browser, ckan_server, steward["name"], PASSWORD)
    browser.get(ckan_server + "/dataset/new")
    page = browser.page_source
    for label in ("データの名称", "執行機関", "整理番号", "部・部局名等", "課名等",
                  "分類", "データの概要", "データ件数区分", "更新頻度",
                  "ファイル形式", "有償", "公開", "ホームページURL", "市町村",
                  "標準データセット"):
        assert label in page, f"form has no label {label}"

    browser.find_element(By.ID, "field-title").send_keys("道有施設のエネルギー使用量")
    browser.find_element(By.ID, "field-notes").send_keys("道有施設ごとの年間エネルギー使用量")
    browser.find_element(By.ID, "field-agency_code").send_keys("011500")
    browser.find_element(By.ID, "field-serial_no").send_keys("42")
    browser.find_element(By.ID, "field-department").send_keys("総務部")
    browser.find_element(By.ID, "field-section").send_keys("総務課")
    browser.find_element(By.ID, "field-category").send_keys("環境")
    browser.find_element(By.ID, "field-record_count").send_keys("101-500")
    Select(browser.find_element(By.ID, "field-update_frequency")).select_by_value("毎年")
    browser.find_element(By.ID, "field-file_format").send_keys("csv")
    Select(browser.find_element(By.ID, "field-fee")).select_by_value("無")
    Select(browser.find_element(By.ID, "field-publishable")).select_by_value("可")
    browser.find_element(By.ID, "field-homepage_url").send_keys(
        "https://www.pref.hokkaido.lg.jp/sm/sum/")
    # CKAN's form starts private; the steward publishes
    Select(browser.find_element(By.ID, "field-private")).select_by_value("False")
    browser.save_screenshot(os.path.join(SCREENSHOTS, "dataset_form.png"))
    assert console_errors(browser) == []

    # step 1 → a draft, and the resource form
    submit(browser, browser.find_element(By.CSS_SELECTOR, "button[name=save]"))
    assert browser.current_url.endswith("/dataset/hokkaido-011500-42/resource/new"), browser.current_url
    draft = call_action("package_show", id="hokkaido-011500-42")
    assert draft["state"] == "draft" and draft["municipality_code"] == "010006"

    # step 2: 「完了」 with nothing keeps it a draft and asks for data (the browser
    # sends the empty file field: CKAN 2.11 takes it for data, which the schema
    # refuses; CKAN 2.12 takes it for nothing and the portal refuses to publish)
    submit(browser, browser.find_element(By.CSS_SELECTOR, "button[name=save][value=go-metadata]"))
    asked = ("少なくとも一件以上のリソースを追加してください" if tuple(int(part) for part in ckan.__version__.split(".")[:2]) >= (2, 12)
             else "データのURLを入力するか、ファイルをアップロードしてください")
    assert asked in browser.page_source
    assert call_action("package_show", id="hokkaido-011500-42")["state"] == "draft"

    data = tmp_path / "energy.csv"
    data.write_bytes("施設名,電力量(kWh)\n道庁本庁舎,1234567\n".encode("cp932"))
    browser.execute_script("document.getElementById('resource-url-upload').checked = true;")
    browser.find_element(By.ID, "field-resource-upload").send_keys(str(data))
    name = browser.find_element(By.ID, "field-name")
    name.clear()
    name.send_keys("エネルギー使用量（CSV）")
    browser.save_screenshot(os.path.join(SCREENSHOTS, "resource_upload.png"))
    submit(browser, browser.find_element(By.CSS_SELECTOR, "button[name=save][value=go-metadata]"))
    assert browser.current_url.endswith("/dataset/hokkaido-011500-42"), browser.current_url
    browser.save_screenshot(os.path.join(SCREENSHOTS, "dataset_page.png"))
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "道有施設のエネルギー使用量" in page and "エネルギー使用量（CSV）" in page
    for label, value in (("執行機関", "011500"), ("整理番号", "42"),
                         ("更新頻度", "毎年"), ("分類", "環境"),
                         ("データ件数区分", "101-500"), ("公開", "可")):
        assert label in page and value in page, (label, value)
    assert console_errors(browser) == []

    pkg = call_action("package_show", id="hokkaido-011500-42")
    assert pkg["state"] == "active" and pkg["organization"]["name"] == "010006-011500"
    assert pkg["private"] is False
    assert (pkg["agency_code"], pkg["serial_no"], pkg["fee"], pkg["file_format"]) == (
        "011500", "42", "無", "CSV")
    (resource,) = pkg["resources"]
    assert resource["url_type"] == "upload" and resource["url"].endswith("/energy.csv")
    served = requests.get(resource["url"].replace("http://test.ckan.net", ckan_server), timeout=10)
    assert served.status_code == 200 and served.content == data.read_bytes()


def test_steward_edits_a_harvested_dataset(ckan_server, browser, steward):
    """A harvested dataset (no 整理番号, the source's date with a time zone)
    edited in the form: the change is saved, the source's date is kept."""
    site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
    call_action("package_create", context={"user": site_user},
                name="harvested-aed", title="AED設置箇所一覧", owner_org="010006-011500",
                source_url="https://ckan.example.jp/dataset/aed", source_identifier="aed",
                source_modified="2024-04-01T09:00:00+09:00",
                resources=[{"url": "https://ckan.example.jp/aed.csv", "format": "CSV"}])
    browser.delete_all_cookies()  # the module's browser may still be logged in
    login(browser, ckan_server, steward["name"], PASSWORD)
    browser.get(ckan_server + "/dataset/edit/harvested-aed")
    assert browser.find_element(By.ID, "field-source_modified").get_attribute("value") \
        == "2024-04-01T09:00:00+09:00"
    notes = browser.find_element(By.ID, "field-notes")
    notes.clear()
    notes.send_keys("道内のAED設置箇所（収集元から）")
    submit(browser, browser.find_element(By.CSS_SELECTOR, "button[name=save]"))
    assert browser.current_url.endswith("/dataset/harvested-aed"), (
        browser.current_url, [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".error-explanation, .error-block")])
    assert "道内のAED設置箇所" in browser.find_element(By.TAG_NAME, "body").text
    assert console_errors(browser) == []
    model.Session.remove()  # the server wrote it: read it afresh
    pkg = call_action("package_show", id="harvested-aed")
    assert pkg["notes"] == "道内のAED設置箇所（収集元から）"
    assert pkg["source_modified"] == "2024-04-01T09:00:00+09:00" and not pkg.get("serial_no")
    assert pkg["standard_dataset"] == "08"  # the title names standard dataset 08
