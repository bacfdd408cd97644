"""Adapter for オープンデータ一覧 catalog files (CSV or XLSX).

Municipalities publish their catalog in one of two templates:

* the new **自治体標準** template, one row per *file*: rows are grouped into
  datasets by ``データセット_ID`` (per municipality code); dataset columns
  are ``データセット_タイトル``, ``_概要``, ``_キーワード`` (``;``-separated),
  ``_公開日``, ``_最終更新日``, ``_URL``, ``_更新頻度``, …, file columns
  ``ファイル_タイトル``, ``_ダウンロードURL`` (else ``_アクセスURL``),
  ``_形式``, ``_ライセンス``, …;
* the old **推奨データセット** template, one row per *dataset*:
  ``都道府県コード又は市区町村コード``, ``NO``, ``データ名称``, ``データ概要``,
  ``データ形式``, ``分類``, ``更新頻度``, ``URL``, ``ライセンス``, ``登録日``,
  ``最終更新日``, …

The template is recognised from the header row, which may be preceded by a
few title rows. Files come as UTF-8 (with or without BOM), Shift_JIS/CP932
or XLSX (first sheet with a recognisable header); the table itself is read by
the project's one table reader, :func:`harvesters.tables.read_table` (a file
whose lines mix encodings is decoded line by line, the odd lines reported).

Each row is attributed by its ``全国地方公共団体コード`` (a file may cover
several municipalities); the check digit is validated, a code that lost its
leading zero in a spreadsheet (``11002``) or a 5-digit code without check
digit (``01100``) is accepted. Rows with a bad code, a missing title or a bad
URL are reported by their line number in ``problems`` (level ``error``) and
skipped; the other rows still import. Hostile files are refused whole, with
the place named: an XLSX that would unpack past the ZIP limits or declares
XML entities (:func:`harvesters.limits.check_zip`, checked before unpacking),
a CSV field longer than the ``csv`` module's limit (131,072 characters), a
table with more rows or cells than ``max_table_rows``/``max_table_cells``.

Record identifiers: ``<code>/<データセット_ID>`` (new template) and
``<code>/<NO>`` (old template; the URL when ``NO`` is empty).

Configuration keys (all optional):

``municipality_code``
    The code for rows without one (or files without a code column).
``sheet``
    XLSX only: the sheet name to read (default: the first with a header).
"""
from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any, ClassVar

from harvesters.errors import BadResponse
from harvesters.client import HttpClient, HttpResponse
from harvesters.records import Record
from harvesters.base import SourceAdapter
from harvesters.tables import Problem, Row, Table, read_table
from harvesters.municipalities import is_hokkaido_code, normalize_code
from harvesters.util import format_from_text, format_from_url, is_http_url, modified_since, parse_date

__all__ = ["CatalogCsvAdapter", "CatalogRow", "NEW_TEMPLATE", "OLD_TEMPLATE", "read_catalog"]

log = logging.getLogger(__name__)

NEW_TEMPLATE = "自治体標準"
OLD_TEMPLATE = "推奨データセット"

_HEADER_SCAN_ROWS = 10

# Normalised header -> field, per template.
_NEW_COLUMNS = {
    "全国地方公共団体コード": "code",
    "地方公共団体コード": "code",
    "地方公共団体名": "municipality_name",
    "データセット_ID": "dataset_id",
    "データセット_タイトル": "title",
    "データセット_概要": "notes",
    "データセット_キーワード": "keywords",
    "データセット_公開日": "issued",
    "データセット_最終更新日": "modified",
    "データセット_URL": "dataset_url",
    "データセット_更新頻度": "frequency",
    "データセット_作成者": "author",
    "データセット_連絡先名称": "contact",
    "データセット_準拠する標準": "conforms_to",
    "データセット_対象期間": "temporal",
    "データセット_備考": "remarks",
    "ファイル_ID": "file_id",
    "ファイル_タイトル": "file_title",
    "ファイル_説明": "file_description",
    "ファイル_アクセスURL": "access_url",
    "ファイル_ダウンロードURL": "download_url",
    "ファイル_形式": "format",
    "ファイル_ライセンス": "license",
    "ファイル_最終更新日": "file_modified",
}
_OLD_COLUMNS = {
    "都道府県コード又は市区町村コード": "code",
    "都道府県コードまたは市区町村コード": "code",
    "市区町村コード": "code",
    "全国地方公共団体コード": "code",
    "NO": "no",
    "都道府県名": "prefecture_name",
    "市区町村名": "municipality_name",
    "データ名称": "title",
    "データ概要": "notes",
    "データ形式": "format",
    "分類": "category",
    "更新頻度": "frequency",
    "URL": "url",
    "API対応有無": "api",
    "ライセンス": "license",
    "登録日": "issued",
    "最終更新日": "modified",
    "備考": "remarks",
}


def _normalize_header(cell: Any) -> str:
    text = unicodedata.normalize("NFKC", str(cell or ""))
    text = re.sub(r"\(.*?\)|※.*$", "", text)  # "(必須)", "※記入例"
    text = re.sub(r"\s+", "", text).replace("＿", "_")
    return text.upper() if text.isascii() else text


class CatalogRow(dict):
    """One data row: field -> value, plus ``line`` (1-based line or row number)."""

    line: int = 0


def read_catalog(response: HttpResponse, sheet: str | None = None) -> tuple[list[CatalogRow], str, list[Problem]]:
    """Read a catalog body into rows keyed by field name.

    The table is read by :func:`harvesters.tables.read_table` (strict CSV
    quoting: a row with a stray quote is skipped, not guessed); a row cut
    off at the end of a body without a final line break is left out too.

    :returns: ``(rows, template, problems)``; ``problems`` name a line each
        (odd encodings, rows skipped).
    :raises BadResponse: for something that is not a catalog (no header
        row of either template, an HTML page, an old .xls file).
    """
    table = read_table(response.content, where=response.url, limits=response.limits,
                       content_type=response.headers.get("Content-Type"), sheet=sheet,
                       choose_sheet=lambda rows: _find_header(rows) is not None, strict=True)
    return _rows_from_table(response.url, table)


def _find_header(rows: list[Row]) -> tuple[int, str, dict[int, str]] | None:
    """Index in ``rows``, template and column map of the header row."""
    for index, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        if not row.cells:
            continue
        headers = [_normalize_header(c) for c in row.cells]
        for template, columns, marker in ((NEW_TEMPLATE, _NEW_COLUMNS, "データセット_タイトル"),
                                          (OLD_TEMPLATE, _OLD_COLUMNS, "データ名称")):
            if marker in headers:
                mapping = {}
                for position, header in enumerate(headers):
                    field = columns.get(header)
                    if field and field not in mapping.values():
                        mapping[position] = field
                return index, template, mapping
    return None


def _rows_from_table(url: str, table: Table) -> tuple[list[CatalogRow], str, list[Problem]]:
    """Map the rows after the header to fields. In a body without a final
    line break, a last row shorter than the header was cut off: skipped."""
    found = _find_header(table.rows)
    if found is None:
        raise BadResponse(url, "no header row of an オープンデータ一覧 template in the first "
                               f"{_HEADER_SCAN_ROWS} rows (looked for データセット_タイトル or データ名称)",
                          message_ja="オープンデータ一覧の見出し行が見つかりません")
    header_index, template, mapping = found
    width = len(table.rows[header_index].cells or [])
    problems = list(table.problems)
    rows: list[CatalogRow] = []
    body = table.rows[header_index + 1:]
    for index, (line, cells) in enumerate((r.line, r.cells) for r in body):
        if cells is None:
            continue
        if not any(str(c).strip() for c in cells if c is not None):
            continue  # blank line
        if table.unterminated and index == len(body) - 1 and len(cells) < width:
            problems.append(Problem(line, f"only {len(cells)} of {width} columns and no line break at the end "
                                          "(file truncated?)", "最後の行が途中で切れています", skipped=True))
            continue
        row = CatalogRow({field: cells[pos] if pos < len(cells) else "" for pos, field in mapping.items()})
        row.line = line
        rows.append(row)
    return rows, template, problems


def _text(value: Any) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return unicodedata.normalize("NFC", str(value or "")).strip()


def _split_keywords(value: Any) -> list[str]:
    return [k.strip() for k in re.split(r"[;；,、]", _text(value)) if k.strip()]


class CatalogCsvAdapter(SourceAdapter):
    """Harvest an オープンデータ一覧 catalog file (CSV in any Japanese encoding, or XLSX)."""

    kind: ClassVar[str] = "catalog_csv"
    config_keys: ClassVar[frozenset[str]] = SourceAdapter.config_keys | {"sheet"}

    def __init__(self, url: str, config: Mapping[str, Any] | None = None, client: HttpClient | None = None) -> None:
        super().__init__(url, config, client)
        self.catalog_url = url.strip()
        self.sheet = self.config.get("sheet") or None
        self.template: str | None = None

    def _location(self, line: int) -> str:
        return f"line {line}"

    def _error(self, line: int, reason: str, message_ja: str) -> None:
        self.report(self._location(line), reason, level="error", line=line, url=self.catalog_url,
                    message_ja=message_ja)

    def _code(self, row: CatalogRow) -> tuple[bool, str | None]:
        """(ok, code) of a row; reports a bad code."""
        raw = row.get("code")
        raw_text = _text(raw)
        if not raw_text:
            return True, self.municipality_code
        code = normalize_code(raw)
        if code is None:
            self._error(row.line, f"全国地方公共団体コード {raw_text!r} is not a valid code (wrong check digit "
                                  "or not 6 digits); row skipped", f"{row.line}行目: 自治体コード {raw_text} が正しくありません")
            return False, None
        if not is_hokkaido_code(code):
            self._error(row.line, f"全国地方公共団体コード {code} is not Hokkaido or one of its municipalities; "
                                  "row skipped", f"{row.line}行目: 自治体コード {code} は北海道の自治体ではありません")
            return False, None
        return True, code

    def _url(self, row: CatalogRow, value: Any, column: str) -> tuple[bool, str]:
        url = _text(value)
        if url and not is_http_url(url):
            self._error(row.line, f"{column} {url!r} is not an absolute http(s) URL; row skipped",
                        f"{row.line}行目: URL が正しくありません")
            return False, ""
        return True, url

    def read(self) -> tuple[list[CatalogRow], str]:
        """Fetch and parse the file; file-level notes become warnings."""
        response = self.client.get(self.catalog_url)
        self.catalog_url = response.url
        rows, template, problems = read_catalog(response, self.sheet)
        for problem in problems:
            self.report(f"line {problem.line}", problem.reason + ("; row skipped" if problem.skipped else ""),
                        level="error" if problem.skipped else "warning", line=problem.line,
                        url=self.catalog_url, message_ja=f"{problem.line}行目: {problem.message_ja}")
        self.template = template
        return rows, template

    def records(self, since: datetime | None = None) -> Iterator[Record]:
        """Yield the catalog's datasets (or those modified since ``since``)."""
        self.problems.clear()
        rows, template = self.read()
        build = self._new_template if template == NEW_TEMPLATE else self._old_template
        for record in build(rows):
            if modified_since(record.source_modified, since):
                yield record

    def list_identifiers(self) -> list[str]:
        return [record.identifier for record in self.records()]

    # -- old template: one row per dataset -------------------------------------

    def _old_template(self, rows: list[CatalogRow]) -> Iterator[Record]:
        seen: set[str] = set()
        for row in rows:
            ok, code = self._code(row)
            if not ok:
                continue
            title = _text(row.get("title"))
            if not title:
                self._error(row.line, "データ名称 (title) is empty; row skipped", f"{row.line}行目: データ名称がありません")
                continue
            ok, url = self._url(row, row.get("url"), "URL")
            if not ok:
                continue
            number = _text(row.get("no"))
            identifier = f"{code or 'unknown'}/{number}" if number else url
            if not identifier:
                self._error(row.line, "neither NO nor URL to identify the dataset; row skipped",
                            f"{row.line}行目: NO と URL がありません")
                continue
            if identifier in seen:
                self._error(row.line, f"NO {number} appears twice for code {code}; row skipped",
                            f"{row.line}行目: NO が重複しています")
                continue
            seen.add(identifier)
            if code is None:
                self.report(identifier, "no 全国地方公共団体コード in the row or the configuration; not attributed",
                            line=row.line, url=self.catalog_url)
            fmt = _text(row.get("format"))
            resources = []
            if url:
                resources.append({"url": url, "name": title, "format": format_from_text(fmt) or fmt
                                  or format_from_url(url) or "", "description": ""})
            license_ = _text(row.get("license")) or None
            extras = {
                "catalog_line": row.line,
                "template": OLD_TEMPLATE,
                "category": _text(row.get("category")) or None,
                "update_frequency": _text(row.get("frequency")) or None,
                "api": _text(row.get("api")) or None,
                "issued": parse_date(row.get("issued")),
                "remarks": _text(row.get("remarks")) or None,
                "municipality_name": _text(row.get("municipality_name")) or None,
            }
            yield Record(
                identifier=identifier,
                title=title,
                notes=_text(row.get("notes")),
                license_title=license_,
                resources=resources,
                source_url=url or None,
                source_modified=parse_date(row.get("modified")),
                municipality_code=code,
                extras={k: v for k, v in extras.items() if v is not None},
            )

    # -- new template: one row per file ----------------------------------------

    def _new_template(self, rows: list[CatalogRow]) -> Iterator[Record]:
        groups: dict[str, list[tuple[CatalogRow, str | None, str]]] = {}
        for row in rows:
            ok, code = self._code(row)
            if not ok:
                continue
            title = _text(row.get("title"))
            if not title:
                self._error(row.line, "データセット_タイトル (title) is empty; row skipped",
                            f"{row.line}行目: データセット_タイトルがありません")
                continue
            ok, download = self._url(row, row.get("download_url"), "ファイル_ダウンロードURL")
            if not ok:
                continue
            ok, access = self._url(row, row.get("access_url"), "ファイル_アクセスURL")
            if not ok:
                continue
            dataset_id = _text(row.get("dataset_id"))
            if not dataset_id:
                dataset_id = title
                self.report(f"line {row.line}", "データセット_ID is empty; grouped by title instead",
                            line=row.line, url=self.catalog_url)
            key = f"{code or 'unknown'}/{dataset_id}"
            groups.setdefault(key, []).append((row, code, download or access))
        for identifier, members in groups.items():
            yield self._dataset(identifier, members)

    def _dataset(self, identifier: str, members: list[tuple[CatalogRow, str | None, str]]) -> Record:
        first, code, _ = members[0]
        if code is None:
            self.report(identifier, "no 全国地方公共団体コード in the row or the configuration; not attributed",
                        line=first.line, url=self.catalog_url)
        for row, _, _ in members[1:]:
            if _text(row.get("title")) != _text(first.get("title")):
                self.report(identifier, f"line {row.line} gives another データセット_タイトル "
                                        f"({_text(row.get('title'))!r}) than line {first.line}; the first is used",
                            line=row.line, url=self.catalog_url)
        resources = []
        licenses: list[str] = []
        for row, _, url in members:
            if not url:
                continue  # a dataset row without a file
            fmt = _text(row.get("format"))
            resources.append({
                "url": url,
                "name": _text(row.get("file_title")) or url.rsplit("/", 1)[-1],
                "format": format_from_text(fmt) or fmt or format_from_url(url) or "",
                "description": _text(row.get("file_description")),
            })
            license_ = _text(row.get("license"))
            if license_ and license_ not in licenses:
                licenses.append(license_)
        dataset_url = _text(first.get("dataset_url"))
        if dataset_url and not is_http_url(dataset_url):
            self.report(identifier, f"データセット_URL {dataset_url!r} is not an absolute http(s) URL; ignored",
                        line=first.line, url=self.catalog_url)
            dataset_url = ""
        modified = max((d for d in (parse_date(r.get("modified")) or parse_date(r.get("file_modified"))
                                    for r, _, _ in members) if d), default=None)
        extras = {
            "catalog_lines": [row.line for row, _, _ in members],
            "template": NEW_TEMPLATE,
            "dataset_id": _text(first.get("dataset_id")) or None,
            "update_frequency": _text(first.get("frequency")) or None,
            "issued": parse_date(first.get("issued")),
            "author": _text(first.get("author")) or None,
            "contact": _text(first.get("contact")) or None,
            "conforms_to": _text(first.get("conforms_to")) or None,
            "temporal": _text(first.get("temporal")) or None,
            "remarks": _text(first.get("remarks")) or None,
            "municipality_name": _text(first.get("municipality_name")) or None,
        }
        return Record(
            identifier=identifier,
            title=_text(first.get("title")),
            notes=_text(first.get("notes")),
            tags=_split_keywords(first.get("keywords")),
            license_title=licenses[0] if licenses else None,
            resources=resources,
            source_url=dataset_url or None,
            source_modified=modified,
            municipality_code=code,
            extras={k: v for k, v in extras.items() if v is not None},
        )

