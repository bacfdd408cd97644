"""The オープンデータ一覧 catalog adapter: both templates, UTF-8 / BOM / Shift_JIS
CSV and XLSX, served on 127.0.0.1.

Each test names, in a comment, the bad input it tries."""
from __future__ import annotations

import codecs

import pytest

from harvesters.errors import BadResponse
from harvesters.catalog_csv import CatalogCsvAdapter
from tests.fakes.catalog import H, NEW_HEADER, NEW_ROWS, OLD_HEADER, OLD_ROWS, new_row, to_csv, to_xlsx
from tests.fakes.portal_server import PortalResponse

def serve(portal, body: bytes, path="/opendata/catalog.csv", content_type="text/csv"):
    portal.respond(path, PortalResponse(200, body, {"Content-Type": content_type}))
    return portal.url + path


def harvest(portal, client, body, config=None, **kwargs):
    adapter = CatalogCsvAdapter(serve(portal, body, **kwargs), config or {}, client)
    return adapter, list(adapter.records())


def problems(adapter):
    return [(p.line, p.level, p.reason) for p in adapter.problems]


# -- the new template --------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_new_template_groups_files_into_datasets(portal, client, encoding):
    # Bad input: the same catalog as UTF-8, UTF-8 with BOM and Shift_JIS, served as
    # text/csv without charset.
    body = to_csv(NEW_HEADER, NEW_ROWS).encode(encoding)
    adapter, records = harvest(portal, client, body)
    assert adapter.template == "自治体標準"
    assert [r.identifier for r in records] == ["014257/shisetsu", "014257/aed", "012025/aed"]
    shisetsu = records[0]
    assert shisetsu.title == "公共施設一覧"
    assert shisetsu.notes == "公共施設一覧の一覧です。"
    assert shisetsu.tags == sorted(["公共施設", "施設"])
    assert shisetsu.license_title == "CC BY 4.0"
    assert shisetsu.source_url == f"{H}/shisetsu.html"
    assert shisetsu.source_modified == "2024-04-01"
    assert shisetsu.resources == [
        {"url": f"{H}/shisetsu.csv", "name": "公共施設一覧（CSV）", "format": "CSV", "description": ""},
        {"url": f"{H}/shisetsu.xlsx", "name": "公共施設一覧（Excel）", "format": "XLSX", "description": ""},
    ]
    assert shisetsu.extras["catalog_lines"] == [2, 3]
    # attributed by 全国地方公共団体コード, per row
    assert [r.municipality_code for r in records] == ["014257", "014257", "012025"]
    assert records[1].source_modified == "2024-05-01"  # 令和6年5月1日
    assert adapter.problems == []


def test_bad_rows_are_reported_by_line_and_good_rows_import(portal, client):
    # Bad input: a code with a wrong check digit, a code of another prefecture, an empty
    # title, a download URL without scheme, a URL with a space; the good rows around them.
    rows = [
        NEW_ROWS[0],
        new_row("014258", 1, "kouen", "公園一覧", "公園", f"{H}/kouen.csv"),  # line 3: bad check digit
        new_row("131016", 1, "kouen", "公園一覧", "公園", f"{H}/kouen.csv"),  # line 4: 千代田区, not Hokkaido
        new_row("014257", 4, "toilet", "", "公衆トイレ", f"{H}/toilet.csv"),  # line 5: no title
        new_row("014257", 5, "bus", "バス停留所", "バス停", "www.town.example.hokkaido.jp/bus.csv"),  # line 6
        new_row("014257", 6, "bus", "バス停留所", "バス停", f"{H}/bus stop.csv"),  # line 7
        NEW_ROWS[2],
    ]
    adapter, records = harvest(portal, client, to_csv(NEW_HEADER, rows).encode("cp932"))
    assert [r.identifier for r in records] == ["014257/shisetsu", "014257/aed"]
    assert problems(adapter) == [
        (3, "error", "全国地方公共団体コード '014258' is not a valid code (wrong check digit or not 6 digits); "
                     "row skipped"),
        (4, "error", "全国地方公共団体コード 131016 is not Hokkaido or one of its municipalities; row skipped"),
        (5, "error", "データセット_タイトル (title) is empty; row skipped"),
        (6, "error", "ファイル_ダウンロードURL 'www.town.example.hokkaido.jp/bus.csv' is not an absolute http(s) URL; "
                     "row skipped"),
        (7, "error", f"ファイル_ダウンロードURL '{H}/bus stop.csv' is not an absolute http(s) URL; row skipped"),
    ]
    assert [p.identifier for p in adapter.problems] == ["line 3", "line 4", "line 5", "line 6", "line 7"]
    assert all(p.url == portal.url + "/opendata/catalog.csv" for p in adapter.problems)


def test_line_numbers_count_title_rows_and_multiline_fields(portal, client):
    # Bad input: two title rows above the header and a quoted description spanning two
    # lines, then a row with a bad code: its reported line must be the physical line.
    rows = [list(NEW_ROWS[0]), new_row("01425X", 9, "x", "X", "x", f"{H}/x.csv")]
    rows[0][5] = "1行目\n2行目"
    text = to_csv(NEW_HEADER, rows, preamble=[["オープンデータ一覧"], ["上砂川町"]])
    adapter, records = harvest(portal, client, text.encode("utf-8"))
    assert [r.notes for r in records] == ["1行目\n2行目"]
    assert [p.line for p in adapter.problems] == [6]
    assert text.splitlines()[5].startswith("01425X,")


def test_configured_code_for_rows_without_one(portal, client):
    # Bad input: rows with an empty code column, and a code that lost its leading zero.
    rows = [list(NEW_ROWS[0]), list(NEW_ROWS[2])]
    rows[0][0] = ""
    rows[1][0] = "14257"
    adapter, records = harvest(portal, client, to_csv(NEW_HEADER, rows).encode(), {"municipality_code": "014257"})
    assert [r.municipality_code for r in records] == ["014257", "014257"]
    _, records = harvest(portal, client, to_csv(NEW_HEADER, rows[:1]).encode())
    assert records[0].municipality_code is None


def test_truncated_csv_reports_the_cut_row(portal, client):
    # Bad input: a CSV cut off in the middle of its last row (no final line break).
    text = to_csv(NEW_HEADER, NEW_ROWS)
    cut = text[: text.rindex("https://www.city.hakodate") + 20]
    adapter, records = harvest(portal, client, cut.encode("cp932"))
    assert [r.identifier for r in records] == ["014257/shisetsu", "014257/aed"]
    assert problems(adapter) == [(5, "error", "only 16 of 18 columns and no line break at the end "
                                              "(file truncated?); row skipped")]


def test_truncated_inside_quotes(portal, client):
    # Bad input: a CSV that ends inside a quoted field.
    text = to_csv(NEW_HEADER, NEW_ROWS[:2]) + '014257,9,上砂川町,x,"未完の'
    adapter, records = harvest(portal, client, text.encode())
    assert len(records) == 1 and len(records[0].resources) == 2
    assert problems(adapter) == [(4, "error", "the file ends inside a quoted field (truncated?); row skipped")]


def test_mixed_encoding_is_decoded_line_by_line(portal, client):
    # Bad input: a UTF-8 catalog into which someone pasted a Shift_JIS row.
    lines = to_csv(NEW_HEADER, NEW_ROWS).split("\r\n")
    body = "\r\n".join(lines[:3]).encode("utf-8") + b"\r\n" + lines[3].encode("cp932") + b"\r\n" + \
        "\r\n".join(lines[4:]).encode("utf-8")
    adapter, records = harvest(portal, client, body)
    assert [r.title for r in records] == ["公共施設一覧", "AED設置箇所一覧", "AED設置箇所一覧"]
    assert records[1].resources[0]["name"] == "AED設置箇所"
    assert problems(adapter) == [(4, "warning", "is in cp932, unlike the rest of the file")]


def test_malformed_quote_skips_only_that_row(portal, client):
    # Bad input: a stray quote in the middle of a field.
    text = to_csv(NEW_HEADER, NEW_ROWS[:1]) + '014257,2,上砂川町,"aed"x,AED,,,,,,,,,,,https://a.example/a.csv,CSV,\r\n' \
        + to_csv(NEW_HEADER, NEW_ROWS[2:3]).split("\r\n", 1)[1]
    adapter, records = harvest(portal, client, text.encode())
    assert [r.identifier for r in records] == ["014257/shisetsu", "014257/aed"]
    assert [(p.line, p.level) for p in adapter.problems] == [(3, "error")]
    assert "malformed CSV" in adapter.problems[0].reason


# -- the old template ---------------------------------------------------------------

def test_old_template_one_row_per_dataset(portal, client):
    # Bad input: a Shift_JIS file with an era date (R6.2.1), served with charset=Shift_JIS.
    body = to_csv(OLD_HEADER, OLD_ROWS).encode("cp932")
    adapter, records = harvest(portal, client, body, content_type="text/csv; charset=Shift_JIS")
    assert adapter.template == "推奨データセット"
    assert [(r.identifier, r.title, r.municipality_code) for r in records] == [
        ("016616/1", "人口統計", "016616"), ("016616/2", "指定緊急避難場所一覧", "016616")]
    assert records[0].resources == [{"url": f"{H}/jinko.csv", "name": "人口統計", "format": "CSV", "description": ""}]
    assert records[0].notes == "住民基本台帳人口"
    assert records[0].extras["category"] == "人口"
    assert records[1].source_modified == "2024-02-01"
    assert records[1].resources[0]["format"] == "XLSX"


def test_old_template_bad_rows(portal, client):
    # Bad input: a bad check digit, no データ名称, a relative URL, a repeated NO.
    rows = OLD_ROWS + [
        ["016617", "3", "北海道", "釧路町", "公園", "", "CSV", "", "", f"{H}/kouen.csv", "", "", "", "", ""],
        ["016616", "4", "北海道", "釧路町", "", "", "CSV", "", "", f"{H}/x.csv", "", "", "", "", ""],
        ["016616", "5", "北海道", "釧路町", "ごみ", "", "CSV", "", "", "/gomi.csv", "", "", "", "", ""],
        ["016616", "1", "北海道", "釧路町", "人口（重複）", "", "CSV", "", "", f"{H}/j2.csv", "", "", "", "", ""],
    ]
    adapter, records = harvest(portal, client, to_csv(OLD_HEADER, rows).encode("utf-8-sig"))
    assert len(records) == 2
    assert [(p.line, p.reason.split(" ")[0]) for p in adapter.problems] == [
        (4, "全国地方公共団体コード"), (5, "データ名称"), (6, "URL"), (7, "NO")]


# -- XLSX -------------------------------------------------------------------------

def test_xlsx_catalog(portal, client):
    # Bad input: an XLSX whose first sheet is a cover page, with a title row above the
    # header and codes stored as numbers (leading zero lost).
    body = to_xlsx(NEW_HEADER, NEW_ROWS, numeric_codes=True)
    adapter, records = harvest(portal, client, body, path="/opendata/catalog.xlsx",
                               content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert [r.identifier for r in records] == ["014257/shisetsu", "014257/aed", "012025/aed"]
    assert records[0].extras["catalog_lines"] == [3, 4]  # sheet rows


def test_xlsx_bad_rows_by_row_number(portal, client):
    # Bad input: an XLSX with a bad code on sheet row 4.
    rows = [NEW_ROWS[0], new_row("014258", 1, "kouen", "公園一覧", "公園", f"{H}/kouen.csv")]
    adapter, records = harvest(portal, client, to_xlsx(NEW_HEADER, rows), path="/c.xlsx",
                               content_type="application/octet-stream")
    assert len(records) == 1
    assert [(p.identifier, p.level) for p in adapter.problems] == [("line 4", "error")]


def test_broken_xlsx_names_the_url(portal, client):
    # Bad input: a file that starts like a ZIP (XLSX) but is cut short.
    body = to_xlsx(NEW_HEADER, NEW_ROWS)[:300]
    url = serve(portal, body, path="/c.xlsx")
    with pytest.raises(BadResponse, match="not a readable XLSX file") as info:
        list(CatalogCsvAdapter(url, {}, client).records())
    assert str(info.value).startswith(url)


# -- not a catalog ------------------------------------------------------------------

@pytest.mark.parametrize(("body", "message"), [
    (b"<!DOCTYPE html><html><head><title>404</title></head><body>Not Found</body></html>", "got an HTML page"),
    ("名前,住所\n札幌市役所,北1西2\n".encode("cp932"), "no header row of an オープンデータ一覧 template"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "Excel 97-2003"),
])
def test_not_a_catalog_names_the_url(portal, client, body, message):
    # Bad input: an HTML error page, a data CSV that is not a catalog, an old .xls file.
    url = serve(portal, body)
    with pytest.raises(BadResponse, match=message) as info:
        list(CatalogCsvAdapter(url, {}, client).records())
    assert str(info.value).startswith(url + ": ")


def test_added_modified_removed_between_runs(portal, client):
    # Bad input: between two runs a dataset is added, one modified (a file added) and one removed.
    url = serve(portal, to_csv(NEW_HEADER, NEW_ROWS).encode("cp932"))
    adapter = CatalogCsvAdapter(url, {}, client)
    first = {r.identifier: r.content_hash() for r in adapter.records()}
    changed = NEW_ROWS[:3] + [new_row("014257", 7, "aed", "AED設置箇所一覧", "AED（PDF）", f"{H}/aed.pdf", "PDF"),
                              new_row("014257", 8, "gomi", "ごみ収集日", "ごみ収集日", f"{H}/gomi.csv")]
    serve(portal, to_csv(NEW_HEADER, changed).encode("cp932"))
    second = {r.identifier: r.content_hash() for r in adapter.records()}
    assert set(first) - set(second) == {"012025/aed"}
    assert set(second) - set(first) == {"014257/gomi"}
    assert first["014257/shisetsu"] == second["014257/shisetsu"]
    assert first["014257/aed"] != second["014257/aed"]


def test_bom_is_not_part_of_the_first_header(portal, client):
    # Bad input: a UTF-8 BOM directly before 全国地方公共団体コード (Excel's "CSV UTF-8").
    body = codecs.BOM_UTF8 + to_csv(NEW_HEADER, NEW_ROWS[:1]).encode()
    _, [record] = harvest(portal, client, body, content_type="application/octet-stream")
    assert record.municipality_code == "014257"


def test_served_with_wrong_charset(portal, client):
    # Bad input: a Shift_JIS file served as text/csv; charset=UTF-8.
    body = to_csv(NEW_HEADER, NEW_ROWS[:1]).encode("cp932")
    _, [record] = harvest(portal, client, body, content_type="text/csv; charset=UTF-8")
    assert record.title == "公共施設一覧"
