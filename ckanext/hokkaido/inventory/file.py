"""The prefecture's data inventory (道保有データのリスト): read, check, write.

This module knows the spreadsheet: its columns, the header variants seen in
the wild, the encodings it comes in, and how a row becomes a dataset dict of
our schema. It does not talk to CKAN; :mod:`ckanext.hokkaido.inventory.importer`
applies the rows to the portal.

Decisions worth knowing:

* **Encoding** is detected, not guessed by trial: a BOM decides; otherwise a
  file that is valid UTF-8 is UTF-8 (multi-byte Japanese in Shift_JIS is
  practically never valid UTF-8); otherwise CP932 or EUC-JP, whichever
  decodes strictly and reads more like Japanese (the project's one
  detector, :func:`harvesters.decoding.decode_text`), and the choice is
  reported. ``--encoding`` overrides all of it.
* **Row numbers** are spreadsheet rows: the header is row 1.
* **One reader**: the table is read by :func:`harvesters.tables.read_table`,
  the reader of catalog files too; an inventory file is all or nothing.
* **Hostile files** are refused whole before they cost memory: larger than
  :data:`MAX_FILE_BYTES`, a zip bomb as XLSX, a CSV cell over 131,072
  characters, too many rows or cells (see :func:`read_table`).
* **Formula safety**: a cell that starts with ``= + - @``, a tab or a CR is
  written to CSV behind a single quote (Excel's text prefix) and as an
  explicit text cell to XLSX; the quote is removed again on import, so the
  value round-trips unchanged.
"""
from __future__ import annotations

import csv
import os
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Optional

from harvesters import tables
from harvesters.errors import HarvestError
from harvesters.client import Limits
from harvesters.util import is_link, normalize_format

from ckanext.hokkaido import registry

PREFECTURE_CODE = registry.PREFECTURE_CODE

#: Largest inventory file read, in bytes; the real one (about 1,000 rows)
#: is well under 1 MB.
MAX_FILE_BYTES = 20 * 1024 * 1024

#: (dataset field, printed header) in the inventory's column order
COLUMNS: list[tuple[str, str]] = [
    ("agency_code", "執行機関"),
    ("serial_no", "整理"),
    ("department", "部・部局名等"),
    ("section", "課名等"),
    ("category", "分類"),
    ("title", "データの名称"),
    ("notes", "データの概要"),
    ("record_count", "データID"),
    ("update_frequency", "更新頻度"),
    ("file_format", "ファイル形式"),
    ("file_format_2", "ファイル形式"),
    ("fee", "(または給)"),
    ("publishable", "公開"),
    ("homepage_url", "ホームページURL"),
]
FIELDS = [f for f, _ in COLUMNS]

UPDATE_FREQUENCIES = ["毎年", "半年毎", "四半期毎", "毎月", "毎週", "毎日",
                      "随時", "不定期", "更新なし"]
FEES = ["有", "無"]
PUBLISHABLE = ["可", "不可"]

#: normalised header → field; the printed header first, then variants
_ALIASES: dict[str, str] = {}


def _norm_header(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"[\s()（）「」・/／_\-]", "", text).lower()


for _field, _names in {
    "agency_code": ["執行機関", "執行機関コード", "執行機関番号", "機関コード",
                    "agency_code", "agency"],
    "serial_no": ["整理", "整理番号", "整理no", "no", "番号", "serial_no",
                  "serial"],
    "department": ["部・部局名等", "部・部局名", "部局名等", "部局名", "部局",
                   "部名", "department"],
    "section": ["課名等", "課名", "課", "課・係名", "section"],
    "category": ["分類", "カテゴリ", "カテゴリー", "category"],
    "title": ["データの名称", "データ名称", "データ名", "名称", "title"],
    "notes": ["データの概要", "データ概要", "概要", "説明", "notes",
              "description"],
    "record_count": ["データID", "データ件数", "件数", "データ件数区分",
                     "record_count"],
    "update_frequency": ["更新頻度", "更新周期", "update_frequency"],
    "file_format": ["ファイル形式", "データ形式", "形式", "file_format",
                    "format"],
    "file_format_2": ["ファイル形式2", "ファイル形式(2)", "第2ファイル形式",
                      "file_format_2"],
    "fee": ["(または給)", "または給", "有償", "有償・無償", "(または有償)",
            "有償無償", "料金", "fee"],
    "publishable": ["公開", "公開可否", "公開の可否", "公開可能", "publishable"],
    "homepage_url": ["ホームページURL", "ホームページ", "URL", "掲載URL",
                     "掲載ページ", "homepage_url"],
}.items():
    for _name in _names:
        _ALIASES[_norm_header(_name)] = _field

_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
_QUOTED_FORMULA = re.compile(r"^'+[=+\-@\t\r]")
#: a record-count band of the データID column: 1-100, 10001以上, 10001-
BAND_PATTERN = re.compile(r"^\d+(-\d+)?$|^\d+(以上|-)$")


class InventoryFileError(Exception):
    """The file as a whole cannot be read; the message names the place."""


@dataclass
class RowError:
    row: int            # spreadsheet row (header is row 1)
    column: str         # printed header of the column, or "" for the row
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass
class InventoryRow:
    row: int
    values: dict[str, str]

    @property
    def key(self) -> tuple[str, str]:
        return self.values["agency_code"], self.values["serial_no"]


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    encoding: Optional[str]         # None for XLSX
    file_format: str                # "csv" or "xlsx"


@dataclass
class ParseResult:
    rows: list[InventoryRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    encoding: Optional[str] = None
    file_format: str = "csv"


# -- formula safety ---------------------------------------------------------

def escape_cell(value: str) -> str:
    """Make a cell inert in Excel: prefix a quote to formula-like text."""
    if value and _FORMULA_START.match(value):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    """Undo :func:`escape_cell` (one leading quote before a formula start)."""
    if value and _QUOTED_FORMULA.match(value):
        return value[1:]
    return value


# -- reading ----------------------------------------------------------------

def read_table(path: str, encoding: Optional[str] = None, *, limits: Optional[Limits] = None,
               max_bytes: int = MAX_FILE_BYTES) -> Table:
    """Read a CSV, TSV or XLSX file into a header and rows of strings.

    The file is read by the project's one table reader,
    :func:`harvesters.tables.read_table`, so an inventory and a catalog file
    are read alike. Unlike a catalog, an inventory is all or nothing: a
    file larger than ``max_bytes``, bytes of no single encoding, a row that
    cannot be parsed (a quoted cell never closed: a truncated file), or
    anything the reader's bounds refuse (a zip bomb, more rows or cells than
    ``limits`` allow, a cell over 131,072 characters) refuses the whole
    file, naming the file and the place.
    """
    limits = limits or Limits()
    if not os.path.isfile(path):
        raise InventoryFileError(f"{path}: ファイルがありません / no such file")
    size = os.path.getsize(path)
    if size > max_bytes:
        raise InventoryFileError(
            f"{path}: ファイルが大きすぎます（{size:,} バイト、上限 {max_bytes:,} バイト） / "
            f"the file is {size:,} bytes, more than the limit of {max_bytes:,}")
    with open(path, "rb") as f:
        data = f.read()
    try:  # the reader detects the encoding (harvesters.decoding.decode_text) unless --encoding names it
        table = tables.read_table(data, where=path, limits=limits, encoding=encoding)
    except HarvestError as e:
        raise InventoryFileError(f"{path}: {e.message_ja} / {e.reason}") from e
    if table.encoding == tables.MIXED:  # a catalog is read line by line then; an inventory is refused
        raise InventoryFileError(
            f"{path}: 文字コードを判定できません（UTF-8・Shift_JIS・EUC-JPのいずれでもない） / "
            "cannot detect the encoding: not UTF-8, Shift_JIS or EUC-JP; pass --encoding")
    cells = [row.cells for row in table.rows]
    if not cells or not any(cells):
        raise InventoryFileError(f"{path}: 空のファイルです / the file is empty")
    for problem in table.problems:
        raise InventoryFileError(f"{path}: {_problem_message(problem, cells[0])}")
    return Table(header=[str(c) for c in cells[0]], rows=[[str(c) for c in row] for row in cells[1:]],
                 encoding=table.encoding, file_format=table.file_format)


def _problem_message(problem: tables.Problem, header: list) -> str:
    """A row the reader could not parse, named the way a steward finds it."""
    row, column = problem.row or problem.line, problem.column
    if problem.reason == tables.TRUNCATED_QUOTE and column:
        name = f"「{header[column - 1]}」" if column <= len(header) and header[column - 1] else ""
        return (f"{row}行目 {column}列目{name}の引用符（\"）が閉じられないままファイルが終わっています。"
                f"ファイルが途中で切れている可能性があります / row {row}, column {column}: a quoted cell is "
                "never closed before the end of the file; the file looks truncated")
    return f"{row}行目 / row {row} (line {problem.line}): {problem.message_ja} / {problem.reason}"


def map_header(header: list[str]) -> tuple[dict[int, str], list[str]]:
    """Column index → field, and the names of unknown non-empty columns.

    The printed header has ファイル形式 twice: the first is ``file_format``,
    the second ``file_format_2``.
    """
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    for index, name in enumerate(header):
        if not str(name).strip():
            continue
        field_name = _ALIASES.get(_norm_header(name))
        if field_name == "file_format" and "file_format" in mapping.values():
            field_name = "file_format_2"
        if field_name is None or field_name in mapping.values():
            unknown.append(f"{name} (列{index + 1} / column {index + 1})")
            continue
        mapping[index] = field_name
    return mapping, unknown


def _label(field_name: str) -> str:
    for name, header in COLUMNS:
        if name == field_name:
            return header + ("(2)" if name == "file_format_2" else "")
    return field_name


def parse(table: Table) -> ParseResult:
    """Map, clean and check every row; bad rows become :class:`RowError`."""
    mapping, unknown = map_header(table.header)
    result = ParseResult(unknown_columns=unknown, encoding=table.encoding,
                         file_format=table.file_format)
    for required in ("agency_code", "serial_no", "title"):
        if required not in mapping.values():
            raise InventoryFileError(
                f"見出し行に「{_label(required)}」列がありません / the header "
                f"row has no {_label(required)} ({required}) column; header "
                f"seen: {' | '.join(h for h in table.header if h)}")
    width = max((i + 1 for i, h in enumerate(table.header) if str(h).strip()),
                default=0)
    seen: dict[tuple[str, str], list[int]] = {}
    for offset, cells in enumerate(table.rows):
        line = offset + 2
        if not any(c.strip() for c in cells):
            continue
        extra = [c for i, c in enumerate(cells)
                 if i >= width and c.strip()]
        if extra:
            result.errors.append(RowError(
                line, "", f"見出しより多いセルがあります / more cells than "
                f"header columns: {extra[:3]}"))
            continue
        values = {f: "" for f in FIELDS}
        for index, field_name in mapping.items():
            value = cells[index] if index < len(cells) else ""
            value = value.strip()
            # only our CSV export quotes formula-like cells; XLSX keeps text
            values[field_name] = (unescape_cell(value)
                                  if table.file_format == "csv" else value)
        errors = check_row(line, values)
        if errors:
            result.errors.extend(errors)
        else:
            seen.setdefault((values["agency_code"], values["serial_no"]), []).append(line)
            result.rows.append(InventoryRow(line, values))
    # a key repeated in the file: which copy is right is the steward's call, so
    # no copy is applied and every one is reported (the dataset stays as it was)
    repeated = {key: lines for key, lines in seen.items() if len(lines) > 1}
    if repeated:
        result.rows = [row for row in result.rows if row.key not in repeated]
        for (agency, serial), lines in repeated.items():
            listed = ", ".join(str(n) for n in lines)
            result.errors.extend(RowError(
                line, "整理", f"執行機関 {agency}・整理 {serial} がファイル内で重複しています"
                f"（{listed}行目）。どの行も取り込みません / agency {agency} serial {serial} is "
                f"repeated in rows {listed}; none of them is imported") for line in lines)
    return result


def check_row(line: int, values: dict[str, str]) -> list[RowError]:
    """Checks the schema would make, with the row and column named."""
    errors = []

    def bad(field_name: str, reason: str) -> None:
        errors.append(RowError(line, _label(field_name), reason))

    # a full-width digit is a typing accident, not a different code
    for name in ("agency_code", "serial_no"):
        values[name] = unicodedata.normalize("NFKC", values[name])
    # a spreadsheet that took the code for a number drops the leading zero
    # (011500 → 11500) and may add a decimal part (1 → 1.0)
    if re.fullmatch(r"\d{5}", values["agency_code"]):
        values["agency_code"] = values["agency_code"].zfill(6)
    values["serial_no"] = re.sub(r"^(\d+)\.0+$", r"\1", values["serial_no"])
    if not re.fullmatch(r"\d{6}", values["agency_code"]):
        bad("agency_code", f"6桁の数字ではありません / not 6 digits: "
                           f"{values['agency_code']!r}")
    if not re.fullmatch(r"\d+", values["serial_no"]):
        bad("serial_no", f"整数ではありません / not a whole number: "
                         f"{values['serial_no']!r}")
    else:
        values["serial_no"] = str(int(values["serial_no"]))
    if not values["title"]:
        bad("title", "データの名称が空です / title is empty")
    url = values["homepage_url"]
    if url and not is_link(url):
        bad("homepage_url", f"URLではありません / not an http(s) or ftp URL: {url!r}")
    band = values["record_count"].replace("－", "-").replace("～", "-").replace("〜", "-")
    values["record_count"] = band
    if band and not BAND_PATTERN.match(band):
        bad("record_count", f"件数区分ではありません / not a record-count band: {band!r}")
    for name, allowed in (("update_frequency", UPDATE_FREQUENCIES),
                          ("fee", FEES), ("publishable", PUBLISHABLE)):
        if values[name] and values[name] not in allowed:
            bad(name, f"{values[name]!r} は選択肢にありません / not one of "
                      f"{', '.join(allowed)}")
    return errors


# -- rows and datasets ------------------------------------------------------

def dataset_name(agency_code: str, serial_no: str) -> str:
    """Stable CKAN name for an inventory row."""
    return f"hokkaido-{agency_code}-{int(serial_no)}"


def agency_org_name(agency_code: str) -> str:
    """The CKAN organization of one 執行機関 (see README: organizations)."""
    return f"{PREFECTURE_CODE}-{agency_code}"


def to_dataset(values: dict[str, str]) -> dict[str, str]:
    """The dataset fields an inventory row sets (empty cells included)."""
    data = {f: values.get(f, "") for f in FIELDS}
    for field_name in ("file_format", "file_format_2"):  # as the schema stores them
        data[field_name] = normalize_format(data[field_name])
    data["municipality_code"] = PREFECTURE_CODE
    return data


def from_dataset(pkg: dict) -> dict[str, str]:
    """An inventory row's values from a dataset dict."""
    values = {f: str(pkg.get(f) or "") for f in FIELDS}
    return values


def changed_fields(current: dict, wanted: dict[str, str]) -> list[str]:
    return [f for f, v in wanted.items() if str(current.get(f) or "") != v]


# -- writing ----------------------------------------------------------------

def header_row() -> list[str]:
    return [header for _, header in COLUMNS]


def write_csv(rows: Iterable[dict[str, str]], path: str) -> int:
    """CSV in UTF-8 with BOM (Excel opens it as UTF-8); returns row count."""
    count = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header_row())
        for values in rows:
            writer.writerow([escape_cell(values.get(name, "")) for name in FIELDS])
            count += 1
    return count


def write_xlsx(rows: Iterable[dict[str, str]], path: str) -> int:
    """XLSX where every cell is text; formula-like text stays text."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = "道保有データのリスト"
    sheet.append(header_row())
    count = 0
    for values in rows:
        count += 1
        for column, name in enumerate(FIELDS, start=1):
            value = values.get(name, "")
            if value == "":
                continue
            cell = sheet.cell(row=count + 1, column=column)
            cell.value = value
            # openpyxl stores "=..." as a formula; force a plain string and
            # Excel's quote prefix so the cell is never evaluated
            cell.data_type = "s"
            if _FORMULA_START.match(value):
                cell.quotePrefix = True
    workbook.save(path)
    return count
