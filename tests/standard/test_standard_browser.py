"""The merged standard datasets' pages in a real headless Chromium against a
real CKAN (issue 30, 4): /standard lists the ten datasets with who
contributes; /standard/08 draws its points on the map of Hokkaido (the
coastline and the municipal boundaries from the repository's file) and
lists the contributors with their reports; the tracker's and the front
page's maps carry the same outline; axe-core finds nothing on these pages,
in Japanese and English, and no page logs a console error. Bad input tried:
a file that claims to be the AED list and is not (its report shows on the
page, its rows do not) and a row in Tokyo (rejected, not drawn)."""
from __future__ import annotations

import pytest
from ckan.tests.helpers import call_action
from selenium.webdriver.common.by import By

from ckanext.hokkaido.tables.load import load_resource
from tests.accessibility import describe, violations
from tests.browser import browser, ckan_server, console_errors  # noqa: F401
from tests.fakes.portal_server import PortalResponse, PortalServer

AED = ("名称,住所,緯度,経度,全国地方公共団体コード\n"
       "札幌市役所,札幌市中央区北1条西2丁目,43.0621,141.3544,011002\n"
       "大通公園,札幌市中央区大通西7丁目,43.0594,141.3477,011002\n"
       "東京駅,東京都千代田区,35.6812,139.7671,011002\n").encode("utf-8")
HAKODATE = ("名称,住所,緯度,経度\n函館市役所,函館市東雲町4-13,41.7687,140.7290\n").encode("utf-8")
NOT_AED = "年度,人口\n2024,111000\n".encode("utf-8")


@pytest.fixture(scope="module")
def merged(ckan_server):
    with PortalServer() as files:
        site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
        for code, title in (("011002", "札幌市"), ("012025", "函館市")):
            call_action("organization_create", context=dict(site), name=code, title=title)
        for path, body in (("/aed.csv", AED), ("/hakodate.csv", HAKODATE), ("/fake.csv", NOT_AED)):
            files.respond(path, PortalResponse(200, body, {"Content-Type": "text/csv"}))
        for name, org, path in (("sapporo-aed", "011002", "/aed.csv"), ("hakodate-aed", "012025", "/hakodate.csv"),
                                ("hakodate-fake", "012025", "/fake.csv")):
            made = call_action("package_create", context=dict(site), name=name, title="AED設置箇所一覧",
                               owner_org=org, standard_dataset="08",
                               resources=[{"url": files.url + path, "format": "CSV"}])
            assert load_resource(made["resources"][0]["id"]) == "loaded"
        yield files


def test_the_map_draws_hokkaido_and_the_points(ckan_server, browser, merged):
    browser.get(ckan_server + "/standard")
    row = browser.find_element(By.CSS_SELECTOR, "#standard-datasets-table tr[data-no='08']")
    assert "2 / 179" in row.text
    browser.get(ckan_server + "/standard/08")
    land = browser.find_element(By.CSS_SELECTOR, "#standard-map path.map-land")
    box = land.rect
    assert box["width"] > 300 and box["height"] > 200   # the island, not an empty box
    assert browser.find_elements(By.CSS_SELECTOR, "#standard-map path.map-borders")
    points = browser.find_elements(By.CSS_SELECTOR, "#standard-map circle.map-point")
    assert len(points) == 3   # 東京駅 was rejected
    # each point lies on the land's box (drawn in the same frame)
    for point in points:
        p = point.rect
        assert box["x"] <= p["x"] <= box["x"] + box["width"] and box["y"] <= p["y"] <= box["y"] + box["height"]
    contributors = browser.find_element(By.ID, "standard-contributors").text
    assert "函館市" in contributors and "札幌市" in contributors
    assert browser.find_elements(By.CSS_SELECTOR, "#standard-contributors tr[data-status='not_standard']")
    assert "国土数値情報" in browser.find_element(By.CSS_SELECTOR, "figure figcaption").text
    assert console_errors(browser) == []


def test_the_tracker_and_the_front_page_draw_the_same_outline(ckan_server, browser, merged):
    outlines = {}
    for path, svg in (("/municipalities", "#hokkaido-map"), ("/", "#front-map"), ("/standard/08", "#standard-map")):
        browser.get(ckan_server + path)
        outlines[path] = browser.find_element(By.CSS_SELECTOR, f"{svg} path.map-land").get_attribute("d")
    assert len(set(outlines.values())) == 1 and len(outlines["/"]) > 5000
    assert console_errors(browser) == []


@pytest.mark.parametrize("lang", ["", "/en"])
def test_no_accessibility_violation_on_the_standard_pages(ckan_server, browser, merged, lang):
    found = {}
    for path in ("/standard", "/standard/08", "/municipalities"):
        browser.get(ckan_server + lang + path)
        problems = violations(browser)
        if problems:
            found[path] = describe(problems)
    assert not found, "\n".join(f"{path}:\n{text}" for path, text in found.items())
    if lang:
        assert "Boundaries: National Land Numerical Information" in browser.page_source
