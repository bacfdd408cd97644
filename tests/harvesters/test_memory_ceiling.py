"""Each hostile-input attack keeps the harvesting process under a memory ceiling.

Every attack is served by the local fixture portal (in this process) and
read by a child process running the real command line,
``python -m harvesters fetch`` with its default limits (``max_bytes``
100 MB, :class:`harvesters.client.Limits`). The child's peak resident set
size is its own high-water mark (``VmHWM``, see ``peak_rss.py`` for why not
``wait4``). Each run must exit with code 1, name the error and the URL on
stderr, print no record, and stay under :data:`CEILING_MB`.

Bad input tried:

* a JSON feed streamed without end (cut at ``max_bytes``, 100 MB);
* a 99 MB JSON feed of ``[[],[],...]`` (refused by ``max_json_values``);
* JSON of 100,000 nested ``[`` from a CKAN API;
* an XLSX catalog that unpacks to 1 GiB (about 1 MB packed);
* an XLSX sheet declaring the dimension A1:XFD1048576, with a cell on its
  last row;
* a CSV catalog with a 10 MB field, quoted and unquoted;
* a 99 MB CSV catalog of 1,000-cell lines of ``ab`` (``max_table_cells``);
* RDF/XML feeds with billion laughs, quadratic blow-up (a 3 MB entity used
  90 times: 270 MB once expanded, under expat's own amplification limit) and
  an external entity reading /etc/passwd.

The ceiling, 512 MB, is what the default limits allow a refused body to
cost: the body at ``max_bytes`` (100 MB) held as bytes and as text, the
cells or values the limits let through before refusing (up to about
130 MB), the interpreter (30 MB), rounded up for the allocator. Measured on
the development machine (Python 3.11, 64-bit Linux), peak RSS: an ordinary
catalog 29 MB; deep JSON, the zip bomb, the XLSX dimension, the XML
attacks, the 10 MB CSV fields 29-70 MB; the endless feed 129 MB; the 99 MB
``[[],...]`` 227 MB; the 99 MB CSV of tiny cells 395 MB. Before the limits,
the zip bomb took 5.9 GB, 94 MB of tiny CSV cells 2.9 GB, the 3 MB
quadratic blow-up 1.4 GB, and the XLSX dimension never finished.
"""
from __future__ import annotations

import pytest

from harvesters.dcat import HUB_FEED_PATH
from tests.fakes import hostile
from tests.harvesters.peak_rss import CEILING_MB, ChildRun, run_measured
from tests.fakes.portal_server import PortalResponse, text_response

MB = hostile.MB


def fetch(kind: str, url: str) -> ChildRun:
    return run_measured("harvesters", ["fetch", "--kind", kind, url, "--allow-loopback", "--min-delay", "0",
                                       "--retries", "0", "--municipality", "011002"])


@pytest.fixture(scope="module")
def bomb_file(tmp_path_factory) -> bytes:
    return hostile.write_zip_bomb_xlsx(tmp_path_factory.mktemp("bomb") / "bomb.xlsx", hostile.GB).read_bytes()


def _endless_feed(request) -> PortalResponse:
    def body():
        yield b'{"dataset": ['
        while True:
            yield b'{"identifier": "x"},' * (MB // 20)
    return PortalResponse(200, body(), {"Content-Type": "application/json"})


def _serve(portal, path: str, body: bytes, content_type: str) -> str:
    portal.respond(path, PortalResponse(200, body, {"Content-Type": content_type}))
    return portal.url + path


def _attack(portal, name: str, bomb_file: bytes) -> tuple[str, str, str]:
    """Serve attack ``name``; return (kind, url, expected error text)."""
    if name == "endless-json":
        portal.route(HUB_FEED_PATH, _endless_feed)
        return "dcat", portal.url + HUB_FEED_PATH, "body exceeds the limit of 104857600 bytes"
    if name == "deep-json":
        _serve(portal, "/api/3/action/package_search", hostile.deep_brackets(), "application/json")
        return "ckan", portal.url, "JSON nested deeper than 100 levels"  # the error names the search URL
    if name == "zip-bomb":
        return ("catalog_csv", _serve(portal, "/catalog.xlsx", bomb_file, "application/octet-stream"),
                "ZIP member 'xl/worksheets/sheet1.xml' unpacks to 1,073,")
    if name in ("csv-10mb-quoted", "csv-10mb-unquoted"):
        body = hostile.catalog_with_long_field(quoted=name.endswith("-quoted"))
        return ("catalog_csv", _serve(portal, "/catalog.csv", body, "text/csv"),
                "line 3: a field is longer than 131,072 characters")
    if name == "json-tiny-values":
        body = b'{"dataset": [' + b"[]," * (33 * MB) + b"[]]}"
        return "dcat", _serve(portal, HUB_FEED_PATH, body, "application/json"), "(max_json_values); not read"
    if name == "csv-tiny-cells":
        line = ",".join(["ab"] * 1000).encode() + b"\r\n"
        body = hostile.csv_text([hostile.CATALOG_HEADER]).encode() + line * (99 * MB // len(line))
        return ("catalog_csv", _serve(portal, "/catalog.csv", body, "text/csv"),
                "more than 1,000,000 cells in the file (max_table_cells)")
    if name == "xlsx-dimension":
        sheet = hostile.catalog_sheet_xml().replace(
            b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>').replace(
            b"</sheetData>", b'<row r="1048576"><c r="A1048576"><v>1</v></c></row></sheetData>')
        return ("catalog_csv", _serve(portal, "/catalog.xlsx", hostile.xlsx_with_sheet(sheet), "application/zip"),
                "row 100001: more than 100,000 rows (max_table_rows)")
    documents = {"billion-laughs": hostile.billion_laughs, "quadratic-blowup": hostile.quadratic_blowup,
                 "xxe": hostile.xxe}
    portal.respond("/feed.rdf", text_response(documents[name](), content_type="application/rdf+xml"))
    return "dcat", portal.url + "/feed.rdf", "XML declares the entity"


ATTACKS = ["endless-json", "json-tiny-values", "deep-json", "zip-bomb", "xlsx-dimension", "csv-10mb-quoted",
           "csv-10mb-unquoted", "csv-tiny-cells", "billion-laughs", "quadratic-blowup", "xxe"]


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_stays_under_the_memory_ceiling(portal, bomb_file, name):
    # Bad input: the attack named by the parameter (see the module docstring).
    kind, url, expected = _attack(portal, name, bomb_file)
    run = fetch(kind, url)
    print(f"\n{name}: peak RSS {run.peak_mb:.0f} MB")
    assert run.returncode == 1, run.stderr
    assert f"harvesters: error: {url}" in run.stderr and expected in run.stderr, run.stderr
    assert run.stdout == ""  # no record of a hostile file
    assert "root:" not in run.stderr
    assert run.peak_mb < CEILING_MB, f"{name}: peak RSS {run.peak_mb:.0f} MB, ceiling {CEILING_MB} MB"


def test_an_ordinary_catalog_is_read_by_the_same_command(portal):
    # Bad input: none; the baseline the attacks are compared with (and proof the command works).
    body = hostile.csv_text([hostile.CATALOG_HEADER, *hostile.CATALOG_ROWS]).encode("utf-8")
    run = fetch("catalog_csv", _serve(portal, "/catalog.csv", body, "text/csv"))
    print(f"\nbaseline: peak RSS {run.peak_mb:.0f} MB")
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.splitlines()) == 2
    assert run.peak_mb < CEILING_MB
