"""The resource page of a loaded table in a real headless Chromium against a
real CKAN server: the preview (datatables_view) and データの概要 with its
charts, in Japanese and English, without console errors; a table that
could not be loaded shows why. Screenshot: var/screenshots/table_profile.png.
"""
import os

import pytest
from ckan.tests import factories
from ckan.tests.helpers import call_action
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from ckanext.hokkaido.tables.load import load_resource
from tests.browser import SCREENSHOTS, browser, ckan_server, console_errors  # noqa: F401
from tests.fakes.portal_server import PortalResponse, PortalServer

TABLE = ("施設名,区,蔵書数,開館日\r\n" + "".join(
    f"図書館{n},{'中央北東西南'[n % 5]}区,\"{10_000 + n * 1_234:,}\",2024-{1 + n % 12:02d}-01\r\n"
    for n in range(40))).encode("cp932")


@pytest.fixture(scope="module")
def loaded(ckan_server):
    with PortalServer() as portal:
        portal.respond("/t.csv", PortalResponse(200, TABLE, {"Content-Type": "text/csv"}))
        portal.respond("/broken.csv", PortalResponse(200, b"<html><body>Not Found</body></html>"))
        org = factories.Organization(name="011002", title="札幌市", image_url="")
        site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
        dataset = call_action("package_create", context={"user": site_user}, name="toshokan", title="図書館一覧",
                              owner_org=org["id"], notes="x", municipality_code="011002",
                              resources=[{"url": portal.url + "/t.csv", "format": "CSV", "name": "一覧"},
                                         {"url": portal.url + "/broken.csv", "format": "CSV", "name": "壊れた表"}])
        good, broken = dataset["resources"]
        assert load_resource(good["id"]) == "loaded"
        assert load_resource(broken["id"]) == "error"
        yield {"good": good["id"], "broken": broken["id"]}


@pytest.mark.parametrize("lang, words", [("", ("データの概要", "40行、4列", "蔵書数")),
                                         ("/en", ("Quick analysis of the table", "40 rows, 4 columns"))])
def test_preview_and_quick_analysis(ckan_server, browser, loaded, lang, words):
    browser.get(f"{ckan_server}{lang}/dataset/toshokan/resource/{loaded['good']}")
    section = browser.find_element(By.ID, "table-profile").text
    for word in words:
        assert word in section, word
    rows = {r.get_attribute("data-column"): r for r in browser.find_elements(By.CSS_SELECTOR, "#table-columns tbody tr")}
    assert set(rows) == {"施設名", "区", "蔵書数", "開館日"}
    assert "10000" in rows["蔵書数"].text and "58126" in rows["蔵書数"].text  # min and max, as numbers
    # Chart.js drew each chart (a canvas it sized), and the preview is the DataStore's table
    WebDriverWait(browser, 20).until(lambda d: d.execute_script(
        "return window.Chart && document.querySelectorAll('.hokkaido-profile-chart canvas').length === 4 && "
        "Array.from(document.querySelectorAll('.hokkaido-profile-chart canvas')).every(c => Chart.getChart(c))"))
    assert browser.find_elements(By.CSS_SELECTOR, "iframe.resource-view, .resource-view iframe, [data-module='data-viewer'] iframe")
    browser.save_screenshot(os.path.join(SCREENSHOTS, f"table_profile{lang.replace('/', '-')}.png"))
    assert console_errors(browser) == []


def test_a_table_that_could_not_be_loaded_says_why(ckan_server, browser, loaded):
    browser.get(f"{ckan_server}/dataset/toshokan/resource/{loaded['broken']}")
    assert "HTML" in browser.find_element(By.ID, "table-error").text
    assert console_errors(browser) == []
