"""``python -m harvesters`` run as a real subprocess against the fake portal,
plus the package's promise not to import CKAN.

Each test names, in a comment, the bad input it tries."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.ckan import FakeCkan, make_dataset
from tests.fakes.portal_server import text_response

REPO = Path(__file__).resolve().parents[2]
SEARCH = "/api/3/action/package_search"


def run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "harvesters", *args],
        cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=timeout,
    )


def test_fetch_prints_json_lines(portal):
    # Bad input: none; three pages of datasets attributed to one municipality.
    datasets = [make_dataset(i) for i in range(5)]
    FakeCkan(datasets).install(portal)
    result = run_cli("fetch", "--kind", "ckan", portal.url, "--allow-loopback", "--min-delay", "0",
                     "--municipality", "011002", "--config", '{"rows": 2}')
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(line["identifier"] for line in lines) == sorted(d["id"] for d in datasets)
    assert {line["municipality_code"] for line in lines} == {"011002"}
    assert all(len(line["content_hash"]) == 64 for line in lines)
    assert lines[0]["title"].startswith("人口統計")  # UTF-8, not \\u escapes
    assert len(portal.requests_to(SEARCH)) == 3
    assert f"5 records from {portal.url}" in result.stderr


def test_fetch_passes_fq_and_since(portal):
    # Bad input: none; the filters given on the command line reach the portal.
    FakeCkan([make_dataset(1, name="014257_a"), make_dataset(40, name="014257_b"),
              make_dataset(41, name="016101_c")]).install(portal)
    result = run_cli("fetch", "--kind", "ckan", portal.url, "--allow-loopback", "--min-delay", "0",
                     "--fq", "name:014257_*", "--since", "2024-01-02T09:00:00+09:00")
    assert result.returncode == 0, result.stderr
    assert [json.loads(line)["extras"]["name"] for line in result.stdout.splitlines()] == ["014257_b"]
    assert portal.requests_to(SEARCH)[0].arg("fq") == (
        "(name:014257_*) AND metadata_modified:[2024-01-02T00:00:00Z TO *]"
    )


def test_fetch_ids(portal):
    # Bad input: none; the id-only listing.
    datasets = [make_dataset(i) for i in range(3)]
    FakeCkan(datasets).install(portal)
    result = run_cli("fetch", "--kind", "ckan", portal.url, "--allow-loopback", "--ids")
    assert result.returncode == 0, result.stderr
    assert sorted(json.loads(line)["identifier"] for line in result.stdout.splitlines()) == sorted(
        d["id"] for d in datasets)


def test_server_error_exits_1_naming_the_url(portal):
    # Bad input: the portal answers 500 to every request.
    portal.respond(SEARCH, text_response("Internal Server Error", status=500))
    result = run_cli("fetch", "--kind", "ckan", portal.url, "--allow-loopback", "--retries", "1",
                     "--min-delay", "0")
    assert result.returncode == 1
    assert result.stdout == ""
    assert f"error: {portal.url}{SEARCH}?rows=100&start=0&sort=id+asc: HTTP 500" in result.stderr
    assert len(portal.requests_to(SEARCH)) == 2


def test_loopback_refused_without_flag(portal):
    # Bad input: a loopback URL without --allow-loopback.
    FakeCkan([make_dataset(1)]).install(portal)
    result = run_cli("fetch", "--kind", "ckan", portal.url)
    assert result.returncode == 1
    assert "refusing to connect to loopback address 127.0.0.1" in result.stderr
    assert portal.requests == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fetch", "--kind", "nope", "http://x.example"], "invalid choice: 'nope'"),
        (["fetch", "http://x.example"], "--kind"),
        (["fetch", "--kind", "ckan", "http://x.example", "--since", "yesterday"], "not an ISO 8601"),
        (["fetch", "--kind", "ckan", "http://x.example", "--config", "{rows: 1}"], "not valid JSON"),
        (["fetch", "--kind", "ckan", "http://x.example", "--municipality", "014258"],
         "not a valid 6-digit municipality code"),
        (["fetch", "--kind", "ckan", "x.example"], "absolute http or https URL"),
        ([], "required"),
    ],
)
def test_bad_usage_exits_2(args, message):
    # Bad input: unknown kind, missing --kind, bad --since/--config/--municipality,
    # a URL without scheme, no command.
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_kinds_lists_the_registry():
    # Bad input: none.
    result = run_cli("kinds")
    assert result.returncode == 0
    kinds = [line.split("\t", 1)[0] for line in result.stdout.splitlines()]
    assert kinds == ["catalog_csv", "ckan", "dcat", "shirasagi", "webpage"]


def test_package_never_imports_ckan():
    # Bad input: an accidental `import ckan` anywhere in harvesters (directly or via a dependency).
    # (The namespace package `ckanext` itself is created at start-up by
    # setuptools' *-nspkg.pth files, so compare with what was loaded before.)
    code = (
        "import sys, importlib, pkgutil; before = set(sys.modules); "
        "import harvesters; "
        "[importlib.import_module('harvesters.' + m.name) for m in pkgutil.iter_modules(harvesters.__path__)]; "
        "bad = sorted(m for m in set(sys.modules) - before if m.split('.')[0] in ('ckan', 'ckanext')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_public_names_exist():
    # Bad input: a stale name in an __all__ list.
    import importlib
    import pkgutil

    import harvesters

    modules = [harvesters] + [importlib.import_module(f"harvesters.{m.name}")
                              for m in pkgutil.iter_modules(harvesters.__path__) if m.name != "__main__"]
    assert len(modules) > 12  # every module of the package, found on disk
    for module in modules:
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
    assert harvesters.ADAPTERS == {
        "ckan": harvesters.CkanAdapter,
        "shirasagi": harvesters.ShirasagiAdapter,
        "dcat": harvesters.DcatAdapter,
        "catalog_csv": harvesters.CatalogCsvAdapter,
        "webpage": harvesters.WebpageAdapter,
    }
    assert harvesters.adapter_class("dcat") is harvesters.DcatAdapter
    with pytest.raises(KeyError, match="known kinds: catalog_csv, ckan, dcat, shirasagi, webpage"):
        harvesters.adapter_class("sparql")
