"""/municipalities and /municipalities/<code> in a real headless browser."""
import datetime as dt

import pytest
import requests
from ckan.tests import factories
from ckan.tests.helpers import call_action
from selenium.webdriver.common.by import By

from ckanext.hokkaido import registry
from tests.browser import (SCREENSHOTS, browser, ckan_server, click,  # noqa: F401
                           console_errors)

SAPPORO, HAKODATE, ASAHIKAWA = "011002", "012025", "012041"


@pytest.fixture(scope="module")
def portal(ckan_server):
    """A few municipalities in different states, and two days of history."""
    from ckanext.hokkaido import tracker
    site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
    context = lambda: {"user": site_user}
    for code in (SAPPORO, HAKODATE, ASAHIKAWA):
        factories.Organization(name=code, title=registry.name_of(code))
    for i in range(3):
        call_action("package_create", context=context(), name=f"sapporo-{i}",
                    title=f"札幌市データ{i}", owner_org=SAPPORO,
                    municipality_code=SAPPORO,
                    standard_dataset="03" if i == 0 else None)
    call_action("package_create", context=context(), name="hakodate-old",
                title="函館市の古いデータ", owner_org=HAKODATE,
                municipality_code=HAKODATE, source_modified="2019-04-01")
    call_action("package_create", context=context(), name="hakodate-private",
                title="非公開", owner_org=HAKODATE, municipality_code=HAKODATE,
                private=True)
    call_action("hokkaido_municipality_set_elsewhere", context=context(),
                id=ASAHIKAWA, url="https://example.org/asahikawa/")
    tracker.take_snapshot(dt.date.today() - dt.timedelta(days=1))
    tracker.take_snapshot()
    return ckan_server


def api(base, action, **params):
    response = requests.get(f"{base}/api/3/action/{action}", params=params, timeout=30)
    response.raise_for_status()
    return response.json()["result"]


def test_overview_numbers_match_the_api_and_the_page_logs_no_errors(portal, browser):
    summary = api(portal, "hokkaido_publishing_summary")
    assert (summary["publishing"], summary["datasets"]) == (3, 4)
    browser.get(portal + "/municipalities")
    assert console_errors(browser) == []
    browser.save_screenshot(f"{SCREENSHOTS}/municipalities.png")
    text = lambda css: browser.find_element(By.CSS_SELECTOR, css).text
    assert text("#headline-rate") == f"{summary['rate'] * 100:.1f}%"
    assert int(text("#headline-publishing")) == summary["publishing"]
    assert int(text("#headline-datasets")) == summary["datasets"]
    for status, count in summary["by_status"].items():
        shown = browser.find_element(
            By.CSS_SELECTOR, f'.status-count[data-status="{status}"]').text
        assert int(shown) == count, status
    dots = browser.find_elements(By.CSS_SELECTOR, "#hokkaido-map a.map-dot")
    assert len(dots) == 179
    rows = browser.find_elements(By.CSS_SELECTOR, "#municipality-table tbody tr")
    assert len(rows) == 179
    sapporo = browser.find_element(
        By.CSS_SELECTOR, f'#municipality-table tr[data-code="{SAPPORO}"]')
    assert sapporo.find_element(By.CSS_SELECTOR, ".dataset-count").text == "3"
    assert browser.find_elements(By.CSS_SELECTOR, "#rate-chart polyline")


def test_clicking_a_dot_opens_the_municipality(portal, browser):
    browser.get(portal + "/municipalities")
    dot = browser.find_element(
        By.CSS_SELECTOR, f'#hokkaido-map a.map-dot[data-code="{HAKODATE}"] circle')
    click(browser, dot)
    assert browser.current_url.endswith(f"/municipalities/{HAKODATE}")
    assert browser.find_element(By.ID, "status").text == "更新停滞"
    # the private dataset is not counted and not listed
    assert browser.find_element(By.ID, "dataset-count").text == "1"
    assert "非公開" not in browser.find_element(By.ID, "datasets").text
    assert console_errors(browser) == []


def test_clicking_a_row_opens_the_municipality(portal, browser):
    browser.get(portal + "/municipalities")
    row = browser.find_element(
        By.CSS_SELECTOR, f'#municipality-table tr[data-code="{SAPPORO}"] td')
    click(browser, row)
    assert browser.current_url.endswith(f"/municipalities/{SAPPORO}")
    shown = api(portal, "hokkaido_municipality_show", id=SAPPORO)
    assert browser.find_element(By.ID, "dataset-count").text == str(shown["dataset_count"])
    checklist = browser.find_element(By.ID, "standard-checklist").text
    assert "✔ 03 指定緊急避難場所一覧" in checklist
    browser.save_screenshot(f"{SCREENSHOTS}/municipality_011002.png")
    assert console_errors(browser) == []


def test_sorting_and_filtering_the_table(portal, browser):
    browser.get(portal + "/municipalities")
    header = browser.find_elements(By.CSS_SELECTOR, "#municipality-table th")[4]
    click(browser, header)      # データセット ascending
    click(browser, header)      # descending
    first = browser.find_element(By.CSS_SELECTOR, "#municipality-table tbody tr")
    assert first.get_attribute("data-code") == SAPPORO
    # the filter works without JavaScript: it is a plain GET form
    browser.get(portal + "/municipalities?status=他サイトで公開")
    codes = [r.get_attribute("data-code") for r in browser.find_elements(
        By.CSS_SELECTOR, "#municipality-table tbody tr")]
    assert codes == [ASAHIKAWA]
    assert console_errors(browser) == []


def test_csv_download_has_a_bom_and_all_179(portal):
    response = requests.get(portal + "/municipalities.csv", timeout=30)
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 181  # the header, 北海道's own row, the 179
    assert lines[1].startswith("010006,北海道,ホッカイドウ,都道府県,北海道庁,")
    assert lines[1].split(",")[lines[0].split(",").index("is_prefecture")] == "True"
    assert lines[2].startswith("011002,札幌市,サッポロシ,市,石狩振興局,公開中")
