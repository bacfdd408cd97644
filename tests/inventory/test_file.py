"""Reading the inventory file: encodings, headers, bad rows (no CKAN)."""
import pytest
from openpyxl import Workbook, load_workbook

from ckanext.hokkaido.inventory import file as inventory
from tests.fakes.inventory_rows import seed_rows, write_csv

PRINTED = inventory.header_row()


def parse_file(path, **kw):
    return inventory.parse(inventory.read_table(str(path), **kw))


@pytest.mark.parametrize("encoding, expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp932", "cp932")])
def test_encodings_are_detected_and_reported(tmp_path, encoding, expected):
    # bad input tried: the same file saved as Shift_JIS (CP932) and with BOM
    path = write_csv(seed_rows(), tmp_path / "inv.csv", encoding=encoding)
    result = parse_file(path)
    assert result.encoding == expected
    assert not result.errors
    assert [r.values["title"] for r in result.rows][:2] == [
        "新型コロナウイルス感染症対応地方創生臨時交付金を活用した事業の実施状況及び効果検証",
        "湧別町のチューリップ（赤れんが庁舎前庭）の開花情報"]


def test_euc_jp_is_detected(tmp_path):
    path = write_csv(seed_rows(), tmp_path / "inv.csv", encoding="euc_jp")
    result = parse_file(path)
    assert result.encoding == "euc_jp"
    assert result.rows[0].values["department"] == "総務部"


def test_bytes_in_no_japanese_encoding_are_refused_with_the_place(tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(128, 256)) * 40)
    with pytest.raises(inventory.InventoryFileError) as e:
        parse_file(path)
    assert "garbage.csv" in str(e.value) and "cannot detect the encoding" in str(e.value)


def test_xlsx_is_read(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(PRINTED)
    for row in seed_rows():
        sheet.append([row[f] for f in inventory.FIELDS])
    # a steward's Excel that turned the codes into numbers
    sheet.append([11900, 2, "総務部", "財政局財政課", "財政", "予算", "", "1-100",
                  "毎年", "PDF", None, "無", "可", None])
    path = tmp_path / "inv.xlsx"
    workbook.save(path)
    result = parse_file(path)
    assert result.encoding is None and result.file_format == "xlsx"
    assert len(result.rows) == 14
    assert result.rows[-1].key == ("011900", "2")


def test_printed_header_and_variants_map_to_the_same_fields():
    variants = ["執行機関コード", "整理番号", "部局名", "課名", "分類",
                "データ名称", "概要", "データ件数", "更新頻度", "ファイル形式",
                "ファイル形式２", "有償", "公開可否", "URL", "担当者メモ"]
    printed, unknown = inventory.map_header(PRINTED)
    assert list(printed.values()) == inventory.FIELDS and unknown == []
    mapped, unknown = inventory.map_header(variants)
    assert list(mapped.values()) == inventory.FIELDS
    # an unknown column is reported by name and position, never dropped silently
    assert unknown == ["担当者メモ (列15 / column 15)"]


def test_missing_key_column_names_the_column(tmp_path):
    path = tmp_path / "inv.csv"
    path.write_text("データの名称,分類\n人口,行政\n", encoding="utf-8")
    with pytest.raises(inventory.InventoryFileError) as e:
        parse_file(path)
    assert "執行機関" in str(e.value)


def test_bad_rows_are_rejected_with_row_column_and_reason(tmp_path):
    rows = seed_rows()[:3]
    rows[0] = dict(rows[0], title="")                      # row 2: no title
    rows[1] = dict(rows[1], homepage_url="javascript:alert(1)")  # row 3
    rows[2] = dict(rows[2], update_frequency="時々")        # row 4
    rows.append(dict(seed_rows()[4], serial_no="1", agency_code="011700"))
    rows.append(dict(seed_rows()[3]))                        # row 6: repeats row 5's key
    rows.append(dict(seed_rows()[5], agency_code="11A00"))  # row 7
    path = write_csv(rows, tmp_path / "inv.csv")
    result = parse_file(path)
    errors = sorted(result.errors, key=lambda e: e.row)
    problems = [(e.row, e.column) for e in errors]
    assert problems == [(2, "データの名称"), (3, "ホームページURL"), (4, "更新頻度"),
                        (5, "整理"), (6, "整理"), (7, "執行機関")]
    # which copy is right is the steward's call: neither is applied, both are named
    assert all("repeated in rows 5, 6" in str(e) for e in errors[3:5])
    assert result.rows == []


def test_a_row_longer_than_the_header_is_rejected(tmp_path):
    # bad input tried: a malformed CSV row with an extra, unquoted comma
    path = tmp_path / "inv.csv"
    lines = [",".join(PRINTED),
             "011500,1,総務部,総務課,財政,予算,,1-100,毎年,PDF,,無,可,https://x.example/,余分",
             "011500,2,総務部,総務課,財政,決算,,1-100,毎年,PDF,,無,可,"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = parse_file(path)
    assert [(e.row, "more cells" in e.reason) for e in result.errors] == [(2, True)]
    assert [r.key for r in result.rows] == [("011500", "2")]


@pytest.mark.parametrize("value", [
    "=SUM(A1)", "+81", "-1", "@cmd", "\tx", "\rx", "'=x", "''+y", "plain",
    "'plain", "", "1-100"])
def test_formula_escape_round_trips(value):
    escaped = inventory.escape_cell(value)
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        assert escaped.startswith("'")
    assert inventory.unescape_cell(escaped) == value


def test_xlsx_export_keeps_formula_like_cells_as_text(tmp_path):
    row = dict(seed_rows()[0], title="=1+1", notes="@SUM(A1)")
    path = tmp_path / "out.xlsx"
    inventory.write_xlsx([row], str(path))
    cell = load_workbook(path).active["F2"]
    assert cell.value == "=1+1" and cell.data_type == "s"
    assert cell.quotePrefix


def test_a_file_cut_off_inside_a_quoted_cell_names_row_and_column(tmp_path):
    # Bad input: a file truncated inside a quoted cell that opened in spreadsheet row 3
    # (the reader once said "EOF inside string starting at row 1", in English only).
    path = tmp_path / "inv.csv"
    path.write_text(",".join(PRINTED) + "\n"
                    + "011500,1,総務部,総務課,行政,\"人口 \"\"概要\"\"\",説明\n"
                    + "011500,2,総務部,総務課,行政,\"統計データ\nの途中で", encoding="utf-8")
    with pytest.raises(inventory.InventoryFileError) as e:
        parse_file(path)
    message = str(e.value)
    assert "3行目 6列目「データの名称」" in message and "途中で切れている" in message
    assert "row 3, column 6" in message and "truncated" in message


def test_excel_unicode_text_utf16_with_tabs_imports(tmp_path):
    # Bad input: Excel's 「Unicode テキスト」: UTF-16 with a BOM, tab-separated, a comma in a cell.
    rows = seed_rows()[:2]
    path = tmp_path / "inv.txt"
    lines = ["\t".join(PRINTED)] + ["\t".join(row.get(field, "") for field in inventory.FIELDS) for row in rows]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-16")
    result = parse_file(path)
    assert result.errors == [] and result.encoding == "utf-16"
    assert [r.values["title"] for r in result.rows] == [r["title"] for r in rows]
