"""A real CKAN web server and a real headless Chromium for page tests.

``ckan_server`` runs ``ckan -c test.ini run`` on a free port against the
test database and Solr core (module scope: the database is reset once
before it starts, never while it runs). ``browser`` is Debian's chromium
driven by selenium, with the browser console collected so tests can assert
that a page logged no errors.
"""
import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.database import reset_portal_db

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCREENSHOTS = os.path.join(ROOT, "var", "screenshots")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ckan_server(request, reset_db, migrate_db_for, reset_index):
    import ckan.plugins

    ckan.plugins.load_all()
    reset_portal_db(reset_db, migrate_db_for)
    reset_index()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(os.path.join(ROOT, "var", "run", "test-ckan-server.log"), "w")
    ckan_bin = os.path.join(os.path.dirname(sys.executable), "ckan")
    proc = subprocess.Popen(
        [ckan_bin, "-c", os.path.abspath(request.config.getoption("ckan_ini")),
         "run", "--host",
         "127.0.0.1", "--port", str(port), "--disable-reloader"],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
        env={**os.environ, "CKAN_SITE_URL": url})
    deadline = time.time() + 90
    while True:
        try:
            if requests.get(url + "/api/3/action/status_show", timeout=2).ok:
                break
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail(f"CKAN test server did not start; see {log.name}")
        time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    # as CKAN's with_plugins fixture leaves them (2.11 keeps its system plugin, 2.12 has none)
    unload = getattr(ckan.plugins, "unload_non_system_plugins", None) or ckan.plugins.unload_all
    unload()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1280,1600", "--lang=ja"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                              options=options)
    driver.implicitly_wait(5)
    os.makedirs(SCREENSHOTS, exist_ok=True)
    yield driver
    driver.quit()


def console_errors(driver):
    """Severe messages the page logged to the browser console since the
    last call (favicon 404s are not the page's fault)."""
    return [entry for entry in driver.get_log("browser")
            if entry["level"] == "SEVERE" and "favicon" not in entry["message"]]


def login(driver, base_url, name, password):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver.get(base_url + "/user/login")
    driver.find_element(By.ID, "field-login").send_keys(name)
    driver.find_element(By.ID, "field-password").send_keys(password + Keys.ENTER)
    # wait until the login has landed (the dashboard or the user page)
    for _ in range(50):
        if "/user/login" not in driver.current_url:
            return
        time.sleep(0.1)
    raise AssertionError(f"login as {name} failed: still on {driver.current_url}")


def make_steward(name, password, organization, title):
    """A user who can log in in the browser (no avatar: the factory's points
    at an external image host), editor of a new organization."""
    from ckan.tests import factories
    from ckan.tests.helpers import call_action

    site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
    user = factories.User(name=name, password=password, image_url="")
    call_action("organization_create", context={"user": site_user}, name=organization, title=title,
                users=[{"name": user["name"], "capacity": "editor"}])
    return user


def click(driver, element):
    """Scroll an element to the middle of the window, then click it."""
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});",
        element)
    element.click()


def submit(driver, button, timeout=20):
    """Click a form's submit button and wait until the next page has
    replaced this one (the button is gone from the document)."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    click(driver, button)
    WebDriverWait(driver, timeout).until(expected_conditions.staleness_of(button))
