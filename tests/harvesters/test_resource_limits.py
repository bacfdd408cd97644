"""Hostile input against the adapters: sizes are capped, parsing is bounded,
and each attack ends in a clear error naming the URL (and line, member or
entity) instead of a crash, a swallowed exception or gigabytes of memory.

Bad input tried here (builders in ``tests/fakes/hostile.py``):

* JSON of 100,000 nested ``[`` (Python's parser raises RecursionError) from
  CKAN, SHIRASAGI (listing and one package_show), a DCAT-US feed and a
  remote JSON-LD context; JSON one level past ``max_json_depth``; a CKAN
  error body nested deep;
* JSON bigger than ``max_bytes``, streamed, from each JSON adapter; JSON of
  two million tiny values (``[[],[],...]``);
* XLSX catalogs: a zip bomb (~1,000:1), members unpacking past
  ``max_unpacked_bytes`` at a harmless ratio, 1,001 members, a directory
  that understates a member's size, a sheet that declares an XML entity, a
  sheet declaring the dimension A1:XFD1048576 with a cell on the last row;
* a web page linking to zip bombs (they must be recorded, never fetched);
* CSV catalogs with a 10 MB field, quoted and unquoted, an over-long quoted
  field hiding a fake row, lines of thousands of tiny cells, too many lines;
* RDF/XML DCAT feeds with billion laughs, quadratic blow-up, an external
  entity reading /etc/passwd (XXE) and an external parameter entity; a
  Turtle feed nested 100,000 blank nodes deep.

The peak memory of the same attacks, run in a child process, is measured in
``test_memory_ceiling.py``.
"""
from __future__ import annotations

import io
import json
import os
import zipfile

import pytest

from harvesters.errors import BadResponse, HttpStatusError, LimitExceeded, TooLarge
from harvesters.client import Limits
from harvesters.catalog_csv import CatalogCsvAdapter
from harvesters.ckan import CkanAdapter
from harvesters.dcat import HUB_FEED_PATH, DcatAdapter
from harvesters.limits import check_zip
from harvesters.probe import probe
from harvesters.shirasagi import ShirasagiAdapter
from harvesters.webpage import WebpageAdapter
from tests.fakes import hostile
from tests.fakes.ckan import make_dataset
from tests.fakes.shirasagi import make_package
from tests.fakes.portal_server import PortalResponse, json_response, text_response

MB = hostile.MB
SEARCH = "/api/3/action/package_search"
LIST = "/opendata/api/package_list"
SHOW = "/opendata/api/package_show"
JSON = {"Content-Type": "application/json; charset=utf-8"}
DEEP = f"JSON nested deeper than {Limits().max_json_depth} levels"


def ckan_answer(results, count=None):
    return {"success": True, "result": {"count": len(results) if count is None else count, "results": results}}


def serve_bytes(portal, path, body, content_type="application/octet-stream"):
    portal.respond(path, PortalResponse(200, body, {"Content-Type": content_type}))
    return portal.url + path


# -- deeply nested JSON -------------------------------------------------------------

def _ckan(portal, client):
    portal.respond(SEARCH, PortalResponse(200, hostile.deep_brackets(), JSON))
    return CkanAdapter(portal.url, {}, client), portal.url + SEARCH


def _shirasagi(portal, client):
    portal.respond(LIST, PortalResponse(200, hostile.deep_brackets(), JSON))
    return ShirasagiAdapter(portal.url + "/opendata/", {}, client), portal.url + LIST


def _dcat_us(portal, client):
    portal.respond(HUB_FEED_PATH, PortalResponse(200, hostile.deep_brackets(), JSON))
    return DcatAdapter(portal.url, {}, client), portal.url + HUB_FEED_PATH


def _jsonld_context(portal, client):
    portal.respond("/feed.jsonld", json_response({"@context": portal.url + "/context.jsonld", "@graph": []},
                                                 headers={"Content-Type": "application/ld+json"}))
    portal.respond("/context.jsonld", PortalResponse(200, hostile.deep_brackets(), JSON))
    return DcatAdapter(portal.url + "/feed.jsonld", {}, client), portal.url + "/context.jsonld"


@pytest.mark.parametrize("setup", [_ckan, _shirasagi, _dcat_us, _jsonld_context],
                         ids=["ckan", "shirasagi", "dcat-us", "jsonld-context"])
def test_json_nested_100000_deep_is_a_clear_error_naming_the_url(portal, client, setup):
    # Bad input: 100,000 nested "[" where the API answer (or a JSON-LD context) should be.
    adapter, url = setup(portal, client)
    with pytest.raises(LimitExceeded, match=DEEP) as caught:
        list(adapter.records())
    assert str(caught.value).startswith(url)
    assert caught.value.message_ja.startswith("JSONの入れ子が深すぎます")


def test_one_deep_package_show_is_a_problem_and_the_others_import(portal, client):
    # Bad input: a SHIRASAGI listing of two datasets, one of whose package_show is nested 100,000 deep.
    packages = [make_package(1), make_package(2)]
    portal.respond(LIST, json_response({"success": True, "result": [p["uuid"] for p in packages]}),
                   json_response({"success": True, "result": []}))

    def show(request):
        if request.arg("id") == packages[1]["uuid"]:
            return PortalResponse(200, hostile.deep_brackets(), JSON)
        return json_response({"success": True, "result": packages[0]})

    portal.route(SHOW, show)
    adapter = ShirasagiAdapter(portal.url + "/opendata/", {}, client)
    assert [r.identifier for r in adapter.records()] == [packages[0]["uuid"]]
    [problem] = adapter.problems
    assert (problem.identifier, problem.level) == (packages[1]["uuid"], "error")
    assert DEEP in problem.reason and problem.url.startswith(portal.url + SHOW)


@pytest.mark.parametrize(("extra_depth", "refused"), [(94, False), (95, True)])
def test_json_at_the_depth_limit_is_read_one_level_more_is_refused(portal, client, extra_depth, refused):
    # Bad input: a CKAN dataset whose extra is nested so that the whole answer is 100 levels
    # deep (the limit: read) or 101 (refused), short of Python's own recursion limit.
    dataset = make_dataset(1, extras=[{"key": "deep", "value": hostile.nested(extra_depth)}])
    answer = ckan_answer([dataset])  # answer > result > results > dataset > extras > extra: 6 levels
    portal.respond(SEARCH, json_response(answer))
    adapter = CkanAdapter(portal.url, {}, client)
    if refused:
        with pytest.raises(LimitExceeded, match=DEEP):
            list(adapter.records())
    else:
        [record] = adapter.records()
        assert record.extras["source_extras"]["deep"] == hostile.nested(extra_depth)
        assert len(record.content_hash()) == 64


def test_depth_limit_is_the_clients_setting(portal, make_client):
    # Bad input: an ordinary CKAN answer (7 levels deep) read with max_json_depth 5.
    portal.respond(SEARCH, json_response(ckan_answer([make_dataset(1)])))
    adapter = CkanAdapter(portal.url, {}, make_client(limits=Limits(max_json_depth=5)))
    with pytest.raises(LimitExceeded, match="JSON nested deeper than 5 levels"):
        list(adapter.records())


def test_deep_ckan_error_body_leaves_the_http_error(portal, make_client):
    # Bad input: HTTP 409 whose body (CKAN's explanation, read as a 4 KB excerpt) is 4,096 nested "[".
    portal.respond(SEARCH, PortalResponse(409, b"[" * 4096, JSON))
    adapter = CkanAdapter(portal.url, {}, make_client(max_retries=0))
    with pytest.raises(HttpStatusError, match="HTTP 409") as caught:
        list(adapter.records())
    assert str(caught.value).startswith(portal.url + SEARCH)


def test_probe_reports_deep_json_instead_of_guessing(portal, client):
    # Bad input: the probed URL answers JSON nested 100,000 deep.
    url = serve_bytes(portal, "/data.json", hostile.deep_brackets(), "application/json")
    result = probe(url, client)
    assert result.kind == "unknown"
    assert result.detail.startswith(f"refused: {url}: {DEEP}")


def test_json_of_two_million_tiny_values_is_refused_before_parsing(portal, client):
    # Bad input: a 3 MB DCAT-US feed whose dataset list is 1,000,001 empty arrays
    # ("[[],[],...]": 2,000,004 values by commas and brackets; 100 MB of it would parse into 2 GB).
    body = b'{"dataset": [' + b"[]," * 1_000_000 + b"[]]}"
    url = serve_bytes(portal, HUB_FEED_PATH, body, "application/json")
    with pytest.raises(LimitExceeded) as caught:
        list(DcatAdapter(portal.url, {}, client).records())
    assert str(caught.value) == (f"{url}: JSON of up to 2,000,004 values (by its commas and brackets), more than "
                                 "the limit of 2,000,000 (max_json_values); not read")


# -- JSON larger than max_bytes ---------------------------------------------------------

def _endless_json(prefix: bytes):
    """A JSON answer streamed without Content-Length: the prefix, then 20 MB of array items."""
    def body():
        yield prefix
        for _ in range(20):
            yield b"0," * (MB // 2)
    return PortalResponse(200, body(), JSON)


@pytest.mark.parametrize(("path", "make"), [
    (SEARCH, lambda url, client: CkanAdapter(url, {}, client)),
    (LIST, lambda url, client: ShirasagiAdapter(url + "/opendata/", {}, client)),
    (HUB_FEED_PATH, lambda url, client: DcatAdapter(url, {}, client)),
], ids=["ckan", "shirasagi", "dcat"])
def test_json_over_max_bytes_is_cut_off_while_streaming(portal, make_client, path, make):
    # Bad input: a 20 MB answer, streamed without Content-Length, read with max_bytes of 1 MB.
    portal.respond(path, _endless_json(b'{"success": true, "result": ['))
    with pytest.raises(TooLarge, match=f"exceeds the limit of {MB} bytes") as caught:
        list(make(portal.url, make_client(max_bytes=MB, max_retries=0)).records())
    assert str(caught.value).startswith(portal.url + path)
    assert portal.wait_idle(5)
    assert not portal.requests_to(path)[0].completed  # the client hung up; the 20 MB were not all read


# -- zip bombs and other hostile XLSX -----------------------------------------------------

@pytest.fixture(scope="session")
def small_bomb(tmp_path_factory):
    """16 MiB of zeros packed about 1,000:1: under max_unpacked_bytes, far over max_zip_ratio."""
    return hostile.write_zip_bomb_xlsx(tmp_path_factory.mktemp("bomb") / "bomb.xlsx", 16 * MB).read_bytes()


def test_zip_bomb_catalog_is_refused_before_unpacking(portal, client, small_bomb):
    # Bad input: an XLSX catalog whose sheet unpacks 1,000:1 (16 MiB of zeros in one cell).
    url = serve_bytes(portal, "/opendata/catalog.xlsx", small_bomb)
    adapter = CatalogCsvAdapter(url, {}, client)
    with pytest.raises(LimitExceeded) as caught:
        list(adapter.records())
    message = str(caught.value)
    assert message.startswith(url + ": ZIP member 'xl/worksheets/sheet1.xml' unpacks to 16,")
    assert "limit 100:1, max_zip_ratio" in message and "not unpacked" in message
    assert caught.value.message_ja.startswith("ZIPファイルの圧縮率が異常に高いため展開しません")


def test_zip_members_over_the_unpacked_limit_are_refused(portal, make_client):
    # Bad input: a workbook with two 3 MB members that do not compress (a harmless ratio),
    # 6 MB in all, read with max_unpacked_bytes of 4 MB.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/image1.bin", os.urandom(3 * MB))
        archive.writestr("xl/media/image2.bin", os.urandom(3 * MB))
    url = serve_bytes(portal, "/catalog.xlsx", buffer.getvalue())
    client = make_client(limits=Limits(max_unpacked_bytes=4 * MB))
    with pytest.raises(LimitExceeded, match=rf"ZIP members unpack to 6,29\d,\d\d\d bytes, more than the limit "
                                            r"of 4,194,304 \(max_unpacked_bytes\)") as caught:
        list(CatalogCsvAdapter(url, {}, client).records())
    assert str(caught.value).startswith(url)


@pytest.mark.parametrize(("members", "refused"), [(1000, False), (1001, True)])
def test_zip_member_count_is_capped(members, refused):
    # Bad input: a ZIP with 1,001 tiny members (1,000 is the default limit and passes).
    body = io.BytesIO(hostile.zip_with_members(members))
    if refused:
        with pytest.raises(LimitExceeded, match=r"^catalog.xlsx: ZIP file has 1,001 members, more than the limit "
                                                r"of 1,000 members \(max_zip_members\)"):
            check_zip(body, where="catalog.xlsx", limits=Limits())
    else:
        check_zip(body, where="catalog.xlsx", limits=Limits())


def test_zip_directory_larger_than_its_declared_count_is_refused_unread():
    # Bad input: 20,000 members whose end record declares just one, so that a count check
    # alone would let zipfile build an entry for each (a million would cost gigabytes).
    body = bytearray(hostile.zip_with_members(20_000))
    end = body.rfind(b"PK\x05\x06")
    body[end + 8:end + 12] = (1).to_bytes(2, "little") * 2
    with pytest.raises(LimitExceeded, match=r"ZIP file has a directory of 1,[0-9,]+ bytes \(room for up to "
                                            r"[0-9,]+ members\), more than the limit of 1,000 members"):
        check_zip(io.BytesIO(bytes(body)), where="catalog.xlsx", limits=Limits())


def test_directory_that_understates_a_member_unpacks_no_more_than_declared(portal, client):
    # Bad input: the sheet unpacks to 16 MiB while the ZIP declares 1,000 bytes (a size lie
    # to slip past the limits). zipfile stops at the declared size and fails the CRC check,
    # which is what makes the declared sizes a bound check_zip can rely on.
    url = serve_bytes(portal, "/catalog.xlsx", hostile.xlsx_understating_size())
    with pytest.raises(BadResponse, match="not a readable XLSX file .*Bad CRC-32") as caught:
        list(CatalogCsvAdapter(url, {}, client).records())
    assert str(caught.value).startswith(url)


def test_xlsx_sheet_declaring_an_entity_is_refused(portal, client):
    # Bad input: a catalog sheet whose XML declares an entity and uses it in the title cell.
    sheet = hostile.catalog_sheet_xml('<!DOCTYPE worksheet [<!ENTITY t "人口">]>', title="&t;")
    url = serve_bytes(portal, "/catalog.xlsx", hostile.xlsx_with_sheet(sheet))
    with pytest.raises(LimitExceeded, match=r"\(ZIP member xl/worksheets/sheet1.xml\): XML declares the "
                                            r"entity 't' in its DOCTYPE") as caught:
        list(CatalogCsvAdapter(url, {}, client).records())
    assert str(caught.value).startswith(url)


def test_xlsx_declaring_a_huge_dimension_is_refused_by_its_rows(portal, client):
    # Bad input: a 4 KB catalog whose sheet declares the dimension A1:XFD1048576 and has a
    # cell on row 1,048,576: openpyxl would pad every row to 16,384 cells and produce every
    # row down to the last (17 billion cells).
    sheet = hostile.catalog_sheet_xml().replace(
        b"<sheetData>", b'<dimension ref="A1:XFD1048576"/><sheetData>').replace(
        b"</sheetData>", b'<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
    url = serve_bytes(portal, "/catalog.xlsx", hostile.xlsx_with_sheet(sheet))
    with pytest.raises(LimitExceeded) as caught:
        list(CatalogCsvAdapter(url, {}, client).records())
    assert str(caught.value) == f"{url}: row 100001: more than 100,000 rows (max_table_rows); the file is not read"


def test_xlsx_within_the_limits_reads_only_the_cells_present(portal, client):
    # Bad input: the same sheet declaring A1:XFD3 (rows padded to 16,384 cells), but no far row.
    sheet = hostile.catalog_sheet_xml().replace(b"<sheetData>", b'<dimension ref="A1:XFD3"/><sheetData>')
    url = serve_bytes(portal, "/catalog.xlsx", hostile.xlsx_with_sheet(sheet))
    [record] = CatalogCsvAdapter(url, {}, client).records()
    assert (record.identifier, record.title) == ("011002/jinko", "人口")


def test_probe_reports_a_zip_bomb(portal, client, small_bomb):
    # Bad input: the probed URL is the zip bomb catalog.
    url = serve_bytes(portal, "/opendata/catalog.xlsx", small_bomb)
    result = probe(url, client)
    assert result.kind == "unknown"
    assert result.detail.startswith(f"refused: {url}: ZIP member 'xl/worksheets/sheet1.xml'")


def test_links_to_zip_bombs_are_recorded_never_fetched(portal, client, small_bomb):
    # Bad input: a page (and, with follow, a page it links to) whose data links are zip bombs:
    # by extension, by extension in upper case with a query, and by link text only.
    portal.respond("/opendata/index.html", text_response(
        "<html><head><title>オープンデータ</title></head><body><h2>人口</h2><ul>"
        '<li><a href="/files/jinko.zip">人口（ZIP：1MB）</a></li>'
        '<li><a href="/files/SETAI.ZIP?v=2">世帯</a></li>'
        '<li><a href="/download?id=7">住所一覧（ZIP形式）</a></li>'
        '<li><a href="/opendata/more.html">その他のデータ</a></li></ul></body></html>',
        content_type="text/html; charset=utf-8"))
    portal.respond("/opendata/more.html", text_response(
        '<html><body><h2>施設</h2><a href="/files/shisetsu.zip">施設一覧</a></body></html>',
        content_type="text/html; charset=utf-8"))
    for path in ("/files/jinko.zip", "/files/SETAI.ZIP", "/download", "/files/shisetsu.zip"):
        serve_bytes(portal, path, small_bomb, "application/zip")
    adapter = WebpageAdapter(portal.url + "/opendata/index.html", {"follow": 1}, client)
    resources = [r for record in adapter.records() for r in record.resources]
    assert [(r["url"].removeprefix(portal.url), r["format"]) for r in resources] == [
        ("/files/jinko.zip", "ZIP"), ("/files/SETAI.ZIP?v=2", "ZIP"), ("/download?id=7", "ZIP"),
        ("/files/shisetsu.zip", "ZIP")]
    # only the pages are downloaded; the files are at most asked for their Last-Modified (HEAD)
    assert [r.path for r in portal.requests if r.method != "HEAD"] == ["/opendata/index.html", "/opendata/more.html"]


# -- CSV with a 10 MB line -----------------------------------------------------------------

@pytest.mark.parametrize("quoted", [True, False], ids=["quoted", "unquoted"])
def test_csv_field_of_10_mb_refuses_the_file_naming_the_line(portal, client, quoted):
    # Bad input: line 3 of a catalog is a 10 MB title, quoted or not, between two good rows.
    url = serve_bytes(portal, "/catalog.csv", hostile.catalog_with_long_field(quoted=quoted), "text/csv")
    adapter = CatalogCsvAdapter(url, {}, client)
    with pytest.raises(LimitExceeded) as caught:
        list(adapter.records())
    assert str(caught.value) == (f"{url}: line 3: a field is longer than 131,072 characters (the CSV field "
                                 "limit); the file is not read, since the rows after it cannot be told apart safely")
    assert caught.value.message_ja == "3行目の項目が長すぎる (131,072文字超) ため、ファイルを読み込みませんでした"


def test_over_long_quoted_field_cannot_smuggle_a_row(portal, client):
    # Bad input: a quoted title that passes the field limit on its first line and goes on
    # over a line shaped like a row (011002,fake,偽のデータセット,...): skipping just the
    # bad row would import the rest of the field as a dataset.
    url = serve_bytes(portal, "/catalog.csv", hostile.catalog_hiding_a_row(), "text/csv")
    adapter = CatalogCsvAdapter(url, {}, client)
    records = []
    with pytest.raises(LimitExceeded, match="line 3: a field is longer than 131,072 characters"):
        records.extend(adapter.records())
    assert records == []


def test_csv_lines_of_many_tiny_cells_refuse_the_file_before_parsing(portal, client):
    # Bad input: a 6 MB catalog whose rows each carry 2,000 extra cells "ab" (a 10 MB line
    # like that parses into 300 MB); the cells are counted by delimiters before parsing.
    line = "011002,x,t,https://www.city.example.jp/a.csv," + "ab," * 2000 + "\r\n"
    body = (hostile.csv_text([hostile.CATALOG_HEADER]) + line * 1000).encode()
    url = serve_bytes(portal, "/catalog.csv", body, "text/csv")
    with pytest.raises(LimitExceeded) as caught:
        list(CatalogCsvAdapter(url, {}, client).records())
    assert str(caught.value) == (f"{url}: line 500: more than 1,000,000 cells in the file (max_table_cells); "
                                 "the file is not read")


def test_csv_of_too_many_lines_is_refused(portal, make_client):
    # Bad input: a catalog of 11 lines read with max_table_rows 10 (by default 100,000: each
    # row becomes a dict of every column, about 1 KB).
    body = hostile.csv_text([hostile.CATALOG_HEADER] + [hostile.CATALOG_ROWS[0]] * 10).encode()
    url = serve_bytes(portal, "/catalog.csv", body, "text/csv")
    client = make_client(limits=Limits(max_table_rows=10))
    with pytest.raises(LimitExceeded, match=r"line 11: more than 10 lines \(max_table_rows\)"):
        list(CatalogCsvAdapter(url, {}, client).records())


# -- XML entities in RDF/XML -----------------------------------------------------------------

def _serve_rdf(portal, document):
    portal.respond("/feed.rdf", text_response(document, content_type="application/rdf+xml"))
    return portal.url + "/feed.rdf"


@pytest.mark.parametrize(("document", "entity"), [
    (hostile.billion_laughs(), "the entity 'lol0'"),
    (hostile.quadratic_blowup(100 * 1024, 90), "the entity 'big'"),
    (hostile.xxe(), "the entity 'xxe' SYSTEM 'file:///etc/passwd'"),
], ids=["billion-laughs", "quadratic-blowup", "xxe-file"])
def test_rdf_xml_declaring_entities_is_refused(portal, client, document, entity):
    # Bad input: RDF/XML feeds whose DOCTYPE declares entities: 10**10 "lol"s, one 100 KB
    # entity used 90 times (under expat's own 100:1 amplification limit), /etc/passwd.
    url = _serve_rdf(portal, document)
    adapter = DcatAdapter(url, {"municipality_code": "011002"}, client)
    records = []
    with pytest.raises(LimitExceeded) as caught:
        records.extend(adapter.records())
    assert str(caught.value) == (f"{url}: XML declares {entity} in its DOCTYPE; entities can expand to "
                                 "gigabytes or read local files, so documents declaring them are not read")
    assert records == [] and "root:" not in str(caught.value)


def test_external_parameter_entity_is_refused_and_never_fetched(portal, client):
    # Bad input: an RDF/XML feed whose DOCTYPE pulls a DTD from the portal through a parameter entity.
    portal.respond("/evil.dtd", text_response('<!ENTITY title "from the DTD">', content_type="application/xml-dtd"))
    url = _serve_rdf(portal, hostile.xxe_parameter(portal.url + "/evil.dtd"))
    with pytest.raises(LimitExceeded, match="XML declares the parameter entity 'remote' SYSTEM"):
        list(DcatAdapter(url, {"municipality_code": "011002"}, client).records())
    assert portal.requests_to("/evil.dtd") == []


def test_doctype_without_entities_is_read(portal, client):
    # Bad input (harmless): a DOCTYPE with an external DTD id but no entity declarations.
    document = hostile.rdf_feed('<!DOCTYPE rdf:RDF PUBLIC "-//DUBLIN CORE//DCMES DTD 2002/07/31//EN" '
                                '"http://dublincore.org/documents/2002/07/31/dcmes-xml/dcmes-xml-dtd.dtd">', "人口")
    url = _serve_rdf(portal, document)
    [record] = DcatAdapter(url, {"municipality_code": "011002"}, client).records()
    assert (record.identifier, record.title) == ("d1", "人口")


def test_turtle_nested_100000_deep_is_a_clear_error(portal, client):
    # Bad input: a Turtle feed whose keyword is 100,000 nested blank nodes (rdflib recurses per level).
    document = ("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n<https://www.city.example.jp/d/1> a dcat:Dataset ;"
                " dcat:keyword " + "[ dcat:x " * 100_000 + '"k"' + " ]" * 100_000 + " .\n")
    portal.respond("/feed.ttl", text_response(document, content_type="text/turtle"))
    with pytest.raises(BadResponse, match=r"not valid RDF \(turtle\): RecursionError") as caught:
        list(DcatAdapter(portal.url + "/feed.ttl", {"municipality_code": "011002"}, client).records())
    assert str(caught.value).startswith(portal.url + "/feed.ttl")


def test_limits_must_be_positive():
    # Bad input: a zero or non-integer limit in the configuration.
    with pytest.raises(ValueError, match="max_json_depth must be a positive integer, not 0"):
        Limits(max_json_depth=0)
    with pytest.raises(ValueError, match="max_zip_ratio must be a positive integer, not '100'"):
        Limits(max_zip_ratio="100")  # type: ignore[arg-type]
    assert json.loads(json.dumps(Limits().__dict__)) == {
        "max_json_depth": 100, "max_json_values": 2_000_000, "max_unpacked_bytes": 64 * MB, "max_zip_ratio": 100,
        "max_zip_members": 1000, "max_table_rows": 100_000, "max_table_cells": 1_000_000}
