"""The probe on each kind of portal (fake portals on 127.0.0.1), as a function and
through ``python -m harvesters probe``.

Each test names, in a comment, the bad input it tries."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harvesters import ADAPTERS
from harvesters.dcat import HUB_FEED_PATH
from harvesters.probe import probe
from tests.fakes.ckan import FakeCkan, make_dataset
from tests.fakes.shirasagi import FakeShirasagi, make_package
from tests.fakes.portal_server import PortalResponse, redirect_response, text_response
from tests.fakes.catalog import NEW_HEADER, NEW_ROWS, OLD_HEADER, OLD_ROWS, to_csv, to_xlsx
from tests.fakes.dcat import DATASETS, DCAT_AP, hub_feed, serve_feed
from tests.fakes.webpage import HAKODATE, serve_page

REPO = Path(__file__).resolve().parents[2]
HTML_HOME = "<!DOCTYPE html><html><head><title>トップページ</title></head><body><h1>ようこそ</h1>" \
            "<a href='/about.html'>概要</a></body></html>"


def run_probe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harvesters", "probe", *args, "--allow-loopback", "--min-delay", "0",
                           "--retries", "0"], cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=60)


def check_fetchable(result, client):
    """The registered source really harvests as many datasets as the probe saw."""
    adapter = ADAPTERS[result.kind](result.url, result.config, client)
    assert len(list(adapter.records())) == result.datasets


def test_ckan_site_root(portal, client):
    # Bad input: the HTML home page of a CKAN site (the API is found below it).
    FakeCkan([make_dataset(i) for i in range(7)]).install(portal)
    portal.respond("/", text_response(HTML_HOME, content_type="text/html; charset=utf-8"))
    result = probe(portal.url + "/", client, municipality_code="011002")
    assert (result.kind, result.url, result.config, result.datasets) == (
        "ckan", portal.url, {"municipality_code": "011002"}, 7)
    check_fetchable(result, client)


@pytest.mark.parametrize("path", ["/data/api/action/package_search?q=", "/data/api/action/"])
def test_egov_api_path(portal, client, path):
    # Bad input: e-Gov's API under /data/api/action/, given as the package_search URL or
    # as the API directory (which itself answers 404).
    FakeCkan([make_dataset(i) for i in range(3)], api_path="/data/api/action/").install(portal)
    result = probe(portal.url + path, client)
    assert (result.kind, result.url, result.config, result.datasets) == (
        "ckan", portal.url, {"api_path": "/data/api/action/"}, 3)
    check_fetchable(result, client)


@pytest.mark.parametrize("path", ["/", "/opendata/", "/opendata/api/package_list"])
def test_shirasagi(portal, client, path):
    # Bad input: the HARP top page, its /opendata/ page (HTML, no CKAN API) and the API URL.
    FakeShirasagi([make_package(i) for i in range(130)], max_limit=100).install(portal)
    portal.respond("/", text_response(HTML_HOME, content_type="text/html"))
    portal.respond("/opendata/", text_response(HTML_HOME, content_type="text/html"))
    result = probe(portal.url + path, client)
    assert (result.kind, result.datasets) == ("shirasagi", 130)
    assert result.url == portal.url + "/opendata/"
    check_fetchable(result, client)


def test_arcgis_hub_root(portal, client):
    # Bad input: the hub's HTML home page; the DCAT-US feed is found at the well-known path.
    serve_feed(portal, hub_feed(DATASETS))
    portal.respond("/", text_response(HTML_HOME, content_type="text/html"))
    result = probe(portal.url + "/", client)
    assert (result.kind, result.url, result.datasets) == ("dcat", portal.url + HUB_FEED_PATH, 3)
    check_fetchable(result, client)


def test_dcat_ap_jsonld_feed(portal, client):
    # Bad input: none; a DCAT-AP JSON-LD document given directly.
    serve_feed(portal, DCAT_AP, path="/catalog.jsonld", content_type="application/ld+json")
    result = probe(portal.url + "/catalog.jsonld", client)
    assert (result.kind, result.datasets) == ("dcat", 2)


@pytest.mark.parametrize(("body", "path", "count"), [
    (to_csv(NEW_HEADER, NEW_ROWS).encode("cp932"), "/catalog.csv", 3),
    (to_csv(OLD_HEADER, OLD_ROWS).encode("utf-8-sig"), "/old.csv", 2),
    (to_xlsx(NEW_HEADER, NEW_ROWS), "/catalog.xlsx", 3),
])
def test_catalog_files(portal, client, body, path, count):
    # Bad input: a Shift_JIS CSV, a BOM CSV and an XLSX, all served as application/octet-stream.
    portal.respond(path, PortalResponse(200, body, {"Content-Type": "application/octet-stream"}))
    result = probe(portal.url + path, client)
    assert (result.kind, result.url, result.datasets) == ("catalog_csv", portal.url + path, count)
    check_fetchable(result, client)


def test_webpage(portal, client):
    # Bad input: a Shift_JIS HTML page of file links on a site without any API.
    url = serve_page(portal, "/docs/opendata.html", HAKODATE, encoding="cp932")
    result = probe(url, client, municipality_code="012025")
    assert (result.kind, result.url, result.config, result.datasets) == (
        "webpage", url, {"municipality_code": "012025"}, 4)
    check_fetchable(result, client)


def test_webpage_one_level_down(portal, client):
    # Bad input: a page with no file links of its own, only links to pages that have them.
    url = serve_page(portal, "/od/", "<h1>オープンデータ</h1><a href='/od/a.html'>人口</a>")
    serve_page(portal, "/od/a.html", "<h2>人口</h2><a href='jinko.csv'>人口（CSV）</a>")
    result = probe(url, client)
    assert (result.kind, result.config, result.datasets) == ("webpage", {"follow": 1}, 1)


@pytest.mark.parametrize(("setup", "detail"), [
    (lambda p: p.respond("/", text_response(HTML_HOME, content_type="text/html")), "no known portal API"),
    (lambda p: p.respond("/", text_response('{"hello": "world"}', content_type="application/json")),
     "not a portal API"),
    (lambda p: p.respond("/", text_response("oops", status=500)), "unreachable"),
    (lambda p: p.respond("/", redirect_response("/")), "unreachable"),
])
def test_unknown(portal, client, setup, detail):
    # Bad input: an HTML page without data, JSON of no known shape, a 500, a redirect loop.
    setup(portal)
    result = probe(portal.url + "/", client)
    assert result.kind == "unknown" and not result.recognized
    assert detail in result.detail


# -- the command line ----------------------------------------------------------------

def test_cli_prints_kind_count_and_config(portal):
    # Bad input: none; the SHIRASAGI portal through the command line.
    FakeShirasagi([make_package(i) for i in range(4)]).install(portal)
    result = run_probe(portal.url + "/opendata/api/package_list", "--municipality", "013951")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{portal.url}/opendata/api/package_list: shirasagi "
                                    "(SHIRASAGI open-data API (HARP)), 4 datasets\n")
    config = json.loads(result.stdout.split("source config to register:\n", 1)[1])
    assert config == {"url": portal.url + "/opendata/", "kind": "shirasagi",
                      "config": {"municipality_code": "013951"}}


def test_cli_json_then_fetch_with_it(portal):
    # Bad input: none; the JSON output feeds `fetch` unchanged.
    url = serve_page(portal, "/docs/opendata.html", HAKODATE, encoding="cp932")
    result = run_probe(url, "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert (found["kind"], found["datasets"], found["label"]) == ("webpage", 4, "web page of file links")
    fetched = subprocess.run(
        [sys.executable, "-m", "harvesters", "fetch", "--kind", found["kind"], found["url"], "--config",
         json.dumps(found["config"]), "--allow-loopback", "--min-delay", "0"],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert fetched.returncode == 0, fetched.stderr
    assert len(fetched.stdout.splitlines()) == 4


def test_cli_unknown_exits_1_naming_the_url(portal):
    # Bad input: a URL that answers 404.
    result = run_probe(portal.url + "/nothing-here")
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"harvesters: {portal.url}/nothing-here: unknown kind of portal (unreachable: " in result.stderr
    assert "HTTP 404" in result.stderr


def test_cli_unreachable_exits_1(portal):
    # Bad input: a port where nothing listens.
    port = portal.port
    portal.stop()
    result = run_probe(f"http://127.0.0.1:{port}/")
    assert result.returncode == 1
    assert f"http://127.0.0.1:{port}/: unknown kind of portal (unreachable:" in result.stderr


def test_cli_refuses_loopback_without_flag():
    # Bad input: a loopback URL without --allow-loopback.
    result = subprocess.run([sys.executable, "-m", "harvesters", "probe", "http://127.0.0.1:9/"], cwd=REPO,
                            capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert result.returncode == 1
    assert "refusing to connect to loopback address" in result.stderr


def test_cli_fetch_lists_problems(portal):
    # Bad input: a catalog with a bad row; fetch prints it on stderr and still exits 0.
    rows = NEW_ROWS[:1] + [["014258"] + NEW_ROWS[1][1:]]
    portal.respond("/c.csv", PortalResponse(200, to_csv(NEW_HEADER, rows).encode(), {"Content-Type": "text/csv"}))
    result = subprocess.run(
        [sys.executable, "-m", "harvesters", "fetch", "--kind", "catalog_csv", portal.url + "/c.csv",
         "--allow-loopback", "--min-delay", "0"],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1
    assert "harvesters: error: line 3: 全国地方公共団体コード '014258' is not a valid code" in result.stderr
    assert "1 records from" in result.stderr and "(1 errors, 0 warnings)" in result.stderr
