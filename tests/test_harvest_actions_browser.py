"""A steward runs a harvest source from the harvest screens, in a real
headless Chromium against a real CKAN server: the admin page's button (CKAN's
``confirm-action`` module) and the bare address (a bookmark, or a forged
``<img>``, which must only get the question) both start exactly one job, each
after a confirmed POST carrying CKAN's CSRF token. Screenshot of the
confirmation: var/screenshots/harvest_confirm.png.
"""
import json
import os
import time

import pytest
from ckan import model
from ckan.tests.helpers import call_action
from selenium.webdriver.common.by import By

from ckanext.harvest.model import HarvestJob

from tests.browser import (SCREENSHOTS, browser, ckan_server, click,  # noqa: F401
                           console_errors, login, make_steward)

PASSWORD = "correct-horse-battery"
SAPPORO = "011002"


@pytest.fixture(scope="module")
def source(ckan_server):
    steward = make_steward("sapporo-steward", PASSWORD, SAPPORO, "札幌市")
    created = call_action("harvest_source_create", context={"user": steward["name"]},
                          name="sapporo-portal", title="札幌市オープンデータ",
                          url="https://data.city.sapporo.example/", source_type="hokkaido_ckan",
                          frequency="MANUAL", owner_org=SAPPORO,
                          config=json.dumps({"municipality_code": SAPPORO}))
    return steward, created


def jobs(source_id):
    model.Session.rollback()
    return model.Session.query(HarvestJob).filter(HarvestJob.source_id == source_id).all()


def wait_for_jobs(source_id, count):
    for _ in range(50):
        if len(jobs(source_id)) >= count:
            break
        time.sleep(0.1)
    return jobs(source_id)


def test_the_bare_address_asks_then_runs_once_confirmed(ckan_server, browser, source):
    steward, created = source
    login(browser, ckan_server, steward["name"], PASSWORD)
    browser.get(f"{ckan_server}/harvest/refresh/{created['id']}")
    assert "この収集元の収集を今すぐ開始します" in browser.page_source
    browser.save_screenshot(os.path.join(SCREENSHOTS, "harvest_confirm.png"))
    nav = browser.find_elements(By.CSS_SELECTOR, "header a[href='/municipalities']")
    assert len(nav) == 1  # the template directory is added once, whichever plugin adds it
    assert jobs(created["id"]) == []
    click(browser, browser.find_element(By.CSS_SELECTOR, "#confirm-action button[type=submit]"))
    assert len(wait_for_jobs(created["id"], 1)) == 1
    assert f"/harvest/admin/{created['name']}" in browser.current_url or \
        f"/harvest/admin/{created['id']}" in browser.current_url
    assert console_errors(browser) == []

    # the admin page's own button still works: CKAN's confirm-action posts with the token
    for job in jobs(created["id"]):  # one job at a time: let the first one end
        call_action("harvest_job_abort", context={"ignore_auth": True}, id=job.id)
    browser.get(f"{ckan_server}/harvest/admin/{created['name']}")
    click(browser, browser.find_element(By.CSS_SELECTOR, f"a[href$='/harvest/refresh/{created['id']}']"))
    click(browser, browser.find_element(By.CSS_SELECTOR, ".modal.show .btn-primary"))
    assert len(wait_for_jobs(created["id"], 2)) == 2
    assert console_errors(browser) == []
