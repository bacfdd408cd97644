"""The one table reader (:mod:`harvesters.tables`), on its own: no HTTP, no CKAN.

The catalog adapter (``test_catalog_csv.py``) and the inventory import
(``tests/inventory/``) test what they make of its rows; here, what every
caller can count on: kinds told from the bytes, line numbers that survive
multi-line cells, one rule for the delimiter, and each bad place named.
"""
from __future__ import annotations

import datetime
import io

import openpyxl
import pytest

from harvesters.client import Limits
from harvesters.errors import BadResponse, LimitExceeded
from harvesters.tables import TRUNCATED_QUOTE, detect_delimiter, read_table

LIMITS = Limits()


def read(data: bytes, **kwargs):
    return read_table(data, where="t.csv", limits=LIMITS, **kwargs)


def test_rows_carry_the_line_they_start_on():
    # Bad input: a title line above the header, a quoted cell over two lines, a blank line.
    text = "オープンデータ一覧\r\nNO,名称,説明\r\n1,人口,\"一行目\r\n二行目\"\r\n\r\n2,AED,設置場所\r\n"
    table = read(text.encode("cp932"))
    assert table.file_format == "csv" and table.encoding == "cp932"
    assert [(row.line, row.cells) for row in table.rows] == [
        (1, ["オープンデータ一覧"]), (2, ["NO", "名称", "説明"]), (3, ["1", "人口", "一行目\r\n二行目"]),
        (5, []), (6, ["2", "AED", "設置場所"])]
    assert table.problems == [] and not table.unterminated


@pytest.mark.parametrize("text, delimiter", [
    ("タイトル\nNO,名称\n", ","),
    ("NO\t名称\t説明\n1\t人口, 世帯\t1, 2, 3\n", "\t"),   # commas in cells, tabs in the header
    ("NO,名称\tメモ,説明\n", ","),
    ("一行だけ\n", ","),
])
def test_the_delimiter_is_judged_by_the_first_line_that_has_one(text, delimiter):
    assert detect_delimiter(text) == delimiter


def test_excel_unicode_text_is_read():
    # Bad input: Excel's 「Unicode テキスト」: UTF-16 with a BOM, tab-separated.
    table = read("NO\t名称\r\n1\t人口\r\n".encode("utf-16"))
    assert table.encoding == "utf-16"
    assert [row.cells for row in table.rows] == [["NO", "名称"], ["1", "人口"]]


def test_a_file_cut_inside_a_quoted_cell_names_row_column_and_line():
    # Bad input: the file ends inside the quoted cell opened in row 3, column 2 (line 4).
    text = 'NO,名称\n1,"人口\n概要"\n2,"統計データ\nの途中で'
    for strict in (False, True):
        table = read(text.encode(), strict=strict)
        assert [row.cells is None for row in table.rows] == [False, False, True]
        (problem,) = table.problems
        assert (problem.line, problem.row, problem.column, problem.reason, problem.skipped) == (
            4, 3, 2, TRUNCATED_QUOTE, True)
        assert table.unterminated


def test_a_stray_quote_is_text_unless_strict():
    # Bad input: a quote right after a quoted cell (「"人口"調査」), as hand-edited files have.
    text = 'NO,名称\n1,"人口"調査\n2,世帯\n'
    assert read(text.encode()).rows[1].cells == ["1", "人口調査"]
    table = read(text.encode(), strict=True)
    assert [row.cells for row in table.rows] == [["NO", "名称"], None, ["2", "世帯"]]
    assert [(p.line, p.skipped) for p in table.problems] == [(2, True)]
    assert table.problems[0].reason.startswith("malformed CSV (")


def test_mixed_encodings_are_read_line_by_line_and_named():
    # Bad input: a UTF-8 file into which one Shift_JIS line was pasted, and a line of bytes
    # that no Japanese encoding reads.
    data = "NO,名称\n1,人口\n".encode() + "2,世帯数\n".encode("cp932") + b"3,\x81 x\n"
    table = read(data)
    assert table.encoding == "mixed"
    assert [row.cells for row in table.rows][:3] == [["NO", "名称"], ["1", "人口"], ["2", "世帯数"]]
    assert [str(p) for p in table.problems] == [
        "line 3: is in cp932, unlike the rest of the file",
        "line 4: has bytes no Japanese encoding reads (replaced)"]


def test_a_named_encoding_that_does_not_fit_is_refused():
    # Bad input: a Shift_JIS file read as UTF-8 on the caller's word.
    with pytest.raises(BadResponse, match="cannot decode as utf-8"):
        read("名称\n".encode("cp932"), encoding="utf-8")


@pytest.mark.parametrize("data, reason", [
    (b"<!DOCTYPE html><html><body>Not Found</body></html>", "expected a CSV table but got an HTML page"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "an Excel 97-2003 (.xls) file"),
    (b"PK\x03\x04" + b"\0" * 100, "not a readable XLSX file"),
])
def test_what_is_not_a_table_is_refused_by_name(data, reason):
    # Bad input: an HTML error page, an old .xls file, a broken ZIP.
    with pytest.raises(BadResponse) as caught:
        read(data)
    assert reason in str(caught.value) and str(caught.value).startswith("t.csv: ")


def test_an_over_long_cell_refuses_the_file():
    # Bad input: a 200,000-character cell on line 3.
    with pytest.raises(LimitExceeded, match="line 3: a field is longer than 131,072 characters"):
        read(("NO,名称\n1,a\n2," + "x" * 200_000 + "\n").encode())


def test_xlsx_rows_and_the_sheet_chosen():
    # Bad input: a workbook whose first sheet is a cover page; the table is on the second,
    # with an empty row, a date cell and a number stored as a float.
    workbook = openpyxl.Workbook()
    workbook.active.title = "表紙"
    workbook.active.append(["オープンデータ一覧"])
    sheet = workbook.create_sheet("一覧")
    sheet.append(["NO", "名称", "更新日"])
    sheet.append([])
    sheet.append([1.0, "人口", datetime.datetime(2024, 4, 1)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    path_bytes = buffer.getvalue()
    first = read(path_bytes)
    assert first.file_format == "xlsx" and [r.cells for r in first.rows] == [["オープンデータ一覧"]]
    chosen = read(path_bytes, choose_sheet=lambda rows: "NO" in (rows[0].cells or []))
    assert [(r.line, r.cells) for r in chosen.rows] == [
        (1, ["NO", "名称", "更新日"]), (2, []), (3, ["1", "人口", datetime.datetime(2024, 4, 1)])]
    assert [r.cells for r in read(path_bytes, sheet="一覧").rows][0] == ["NO", "名称", "更新日"]
    with pytest.raises(BadResponse, match="no sheet named '統計'"):
        read(path_bytes, sheet="統計")
