"""Tables in files: the one reader of CSV, TSV and XLSX bodies.

Two kinds of table reach the portal: catalog files (オープンデータ一覧, fetched
by :mod:`harvesters.catalog_csv` and the probe) and the prefecture's inventory
(a file a steward hands to ``ckan hokkaido inventory import``). Both are read
here, the same way:

* the kind is told from the bytes, not the name: a ZIP is an XLSX workbook,
  an OLE file is an old ``.xls`` (refused with a clear message), an HTML
  page is refused, anything else is CSV;
* CSV text is decoded by the project's one detector
  (:func:`harvesters.decoding.decode_text`) unless the caller names the
  encoding; a body that no single encoding reads is decoded line by line
  and each odd line becomes a :class:`Problem`;
* the delimiter is a tab when the first line that holds a tab or a comma
  holds more tabs than commas (Excel's 「Unicode テキスト」 is UTF-16 with tabs);
* every row carries the physical line it starts on, so a message can name
  the line a steward sees in an editor even after a quoted cell that spans
  lines; a row that cannot be parsed stays in place as ``None`` with a
  :class:`Problem` (a quoted cell never closed, a malformed row);
* the hostile-file bounds of :mod:`harvesters.limits` apply while reading:
  a ZIP bomb, too many rows or cells, a cell over the ``csv`` module's
  field limit refuse the whole file.

What a row means (which header, which fields) is the caller's business.
This module must never import ``ckan`` or ``ckanext``.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from harvesters.client import Limits
from harvesters.decoding import decode_text
from harvesters.errors import BadResponse, LimitExceeded
from harvesters.limits import TableBudget, check_zip, csv_field_limit, csv_field_limit_error, csv_lines

__all__ = ["MIXED", "TRUNCATED_QUOTE", "Problem", "Row", "Table", "decode_by_line", "detect_delimiter",
           "read_table"]

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

#: What a reader may be asked to say about a file that ends in a quoted cell.
TRUNCATED_QUOTE = "the file ends inside a quoted field (truncated?)"
#: :attr:`Table.encoding` of a CSV body no single encoding reads (decoded line by line)
MIXED = "mixed"


@dataclasses.dataclass(frozen=True)
class Row:
    """One row of a table.

    :ivar line: the physical line (CSV) or sheet row (XLSX) it starts on, from 1.
    :ivar cells: the cells, or ``None`` for a row that could not be parsed
        (its :class:`Problem` says why). CSV cells are strings; XLSX cells
        are strings except dates, which stay :class:`datetime.date` objects.
    """

    line: int
    cells: list[Any] | None


@dataclasses.dataclass(frozen=True)
class Problem:
    """Something wrong in one place of a table that was read all the same.

    :ivar line: the physical line, as :attr:`Row.line`.
    :ivar reason: in English; :attr:`message_ja` in Japanese.
    :ivar row: the row in spreadsheet terms (the n-th row, from 1), when known.
    :ivar column: the column (from 1) where the problem starts, when known.
    :ivar skipped: the row at :attr:`line` could not be read (its cells are ``None``).
    """

    line: int
    reason: str
    message_ja: str
    row: int | None = None
    column: int | None = None
    skipped: bool = False

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclasses.dataclass
class Table:
    """A table as read: rows in order (blank rows included), and what was odd.

    :ivar file_format: ``"csv"`` or ``"xlsx"``.
    :ivar encoding: the codec of a CSV body (``None`` for XLSX, :data:`MIXED`
        when no single one reads it).
    :ivar unterminated: a CSV body without a final line break (its last
        row may have been cut off).
    """

    rows: list[Row]
    file_format: str
    encoding: str | None = None
    problems: list[Problem] = dataclasses.field(default_factory=list)
    unterminated: bool = False


def read_table(data: bytes, *, where: str, limits: Limits, encoding: str | None = None,
               content_type: str | None = None, sheet: str | None = None,
               choose_sheet: Callable[[list[Row]], bool] | None = None, strict: bool = False) -> Table:
    """Read a CSV, TSV or XLSX body into rows.

    :param where: the URL or file name, for messages.
    :param encoding: the codec of a CSV body; detected when not given.
    :param content_type: the HTTP ``Content-Type``, whose charset is tried first.
    :param sheet: the XLSX sheet to read (by name); else the first sheet for
        which ``choose_sheet(rows)`` is true, else the last sheet tried
        (the first sheet when ``choose_sheet`` is not given).
    :param strict: CSV quoting as :mod:`csv`'s ``strict``: a quote in the
        middle of an unquoted cell makes the row a :class:`Problem` instead
        of being kept as text.
    :raises BadResponse: an HTML page, an ``.xls`` file, an unreadable XLSX,
        an unknown sheet, bytes that the named ``encoding`` does not read.
    :raises LimitExceeded: a file over ``limits`` (rows, cells, ZIP) or a
        cell over the ``csv`` module's field limit.
    """
    if data[:4] == _ZIP_MAGIC:
        return Table(_xlsx_rows(data, where, limits, sheet, choose_sheet), "xlsx")
    if data[:8] == _OLE_MAGIC:
        raise BadResponse(where, "an Excel 97-2003 (.xls) file; save it as XLSX or CSV",
                          message_ja="XLS形式は読めません。XLSXまたはCSVで保存してください")
    problems: list[Problem] = []
    if encoding:
        try:
            text = data.decode(encoding).lstrip("\ufeff")
        except (UnicodeDecodeError, LookupError) as exc:
            raise BadResponse(where, f"cannot decode as {encoding}: {exc}",
                              message_ja=f"{encoding} として読めません") from exc
        used = encoding
    else:
        decoded = decode_text(data, content_type)
        text, used = decoded.text, decoded.encoding
        if decoded.source == "fallback":
            text, odd = decode_by_line(data)
            used = MIXED
            for number, line_encoding in odd:
                if line_encoding == "undecodable":
                    problems.append(Problem(number, "has bytes no Japanese encoding reads (replaced)",
                                            "どの日本語の文字コードでも読めないバイトがあります（置き換えました）"))
                else:
                    problems.append(Problem(number, f"is in {line_encoding}, unlike the rest of the file",
                                            f"この行だけ文字コードが {line_encoding} です"))
    start = text.lstrip()[:200].lower()
    if start.startswith(("<!doctype html", "<html")):
        raise BadResponse(where, "expected a CSV table but got an HTML page",
                          message_ja="CSVではなくHTMLページが返されました")
    rows = _csv_rows(text, where, limits, strict, problems)
    return Table(rows, "csv", used, problems, unterminated=bool(text) and not text.endswith(("\n", "\r")))


def detect_delimiter(text: str) -> str:
    """``\\t`` when the first line holding a tab or a comma holds more tabs
    than commas, else ``,``."""
    for line in text[:65536].splitlines():
        tabs, commas = line.count("\t"), line.count(",")
        if tabs or commas:
            return "\t" if tabs > commas else ","
    return ","


def _csv_rows(text: str, where: str, limits: Limits, strict: bool, problems: list[Problem]) -> list[Row]:
    delimiter = detect_delimiter(text)
    budget = TableBudget(limits, where=where, unit="line")
    reader = csv.reader(csv_lines(text, delimiter=delimiter, budget=budget), delimiter=delimiter, strict=strict)
    rows: list[Row] = []
    first_line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if csv_field_limit_error(exc):
                raise _field_too_long(where, first_line) from exc
            rows.append(Row(first_line, None))
            if "end of data" not in str(exc):  # an open quote at the end is named below
                problems.append(Problem(first_line, f"malformed CSV ({exc})", "CSVの行として読めません",
                                        row=len(rows), skipped=True))
        else:
            rows.append(Row(first_line, cells))
        first_line = reader.line_num + 1
    opened = _unclosed_quote(text, delimiter)
    if opened is not None and rows:
        row, column = opened
        rows[-1] = Row(rows[-1].line, None)
        problems.append(Problem(rows[-1].line, TRUNCATED_QUOTE,
                                "引用符（\"）が閉じられないままファイルが終わっています。"
                                "ファイルが途中で切れている可能性があります",
                                row=row, column=column, skipped=True))
    return rows


def _unclosed_quote(text: str, delimiter: str) -> tuple[int, int] | None:
    """(row, column), both from 1, of a quoted cell still open at the end of
    ``text`` (a truncated file), or ``None``. Quotes of a well-formed CSV
    come in pairs, so only an odd count is scanned."""
    if text.count('"') % 2 == 0:
        return None
    row, column, quoted, opened = 1, 1, False, None
    for char in text:
        if char == '"':
            if not quoted:
                opened = (row, column)
            quoted = not quoted
        elif quoted:
            continue
        elif char == delimiter:
            column += 1
        elif char == "\n":
            row, column = row + 1, 1
    return opened if quoted else None


def _field_too_long(where: str, line: int) -> LimitExceeded:
    """The whole file is refused: after an over-long cell the reader cannot
    tell where the row ends (a quoted cell may run over many lines and hold
    what looks like rows), so skipping only that row could read a cell's
    content as rows."""
    limit = csv_field_limit()
    return LimitExceeded(
        where,
        f"line {line}: a field is longer than {limit:,} characters (the CSV field limit); "
        "the file is not read, since the rows after it cannot be told apart safely",
        message_ja=f"{line}行目の項目が長すぎる ({limit:,}文字超) ため、ファイルを読み込みませんでした",
    )


def decode_by_line(data: bytes) -> tuple[str, list[tuple[int, str]]]:
    """Decode a body that no single encoding reads, one line at a time.

    Returns the text and ``(line number, encoding)`` for the lines that
    needed an encoding other than the file's main one (or none worked and
    bytes were replaced: ``encoding`` then says ``"undecodable"``).
    """
    counts = {"utf-8": 0, "cp932": 0, "euc_jp": 0}
    decoded: list[tuple[str | None, str]] = []
    for raw in data.split(b"\n"):
        for encoding in counts:
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            if not raw.isascii():
                counts[encoding] += 1
            decoded.append((encoding if not raw.isascii() else None, text))
            break
        else:
            decoded.append(("undecodable", raw.decode("utf-8", errors="replace")))
    main = max(counts, key=lambda e: counts[e])
    odd = [(number, encoding) for number, (encoding, _) in enumerate(decoded, start=1)
           if encoding is not None and encoding != main]
    return "\n".join(t for _, t in decoded).lstrip("\ufeff"), odd


# -- XLSX ---------------------------------------------------------------------

def _cell(value: Any) -> Any:
    """An XLSX cell as a CSV would have it (dates stay date objects)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value
    return str(value)


def _xlsx_rows(data: bytes, where: str, limits: Limits, sheet: str | None,
               choose_sheet: Callable[[list[Row]], bool] | None) -> list[Row]:
    import openpyxl  # only XLSX files need it

    check_zip(io.BytesIO(data), where=where, limits=limits)  # before anything is unpacked
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise BadResponse(where, f"not a readable XLSX file ({type(exc).__name__}: {exc})",
                          message_ja="XLSXファイルとして読めません") from exc
    try:
        if sheet and sheet not in workbook.sheetnames:
            raise BadResponse(where, f"no sheet named {sheet!r} (sheets: {', '.join(workbook.sheetnames)})",
                              message_ja=f"「{sheet}」という名前のシートがありません")
        names = [sheet] if sheet else workbook.sheetnames if choose_sheet else workbook.sheetnames[:1]
        budget = TableBudget(limits, where=where)
        rows: list[Row] = []
        for name in names:
            rows = _sheet_rows(workbook[name], budget)
            if choose_sheet is None or choose_sheet(rows):
                break
        return rows
    finally:
        workbook.close()


def _sheet_rows(worksheet: Any, budget: TableBudget) -> list[Row]:
    """The rows of a read-only worksheet, counted in ``budget``.

    The sheet's declared dimension is ignored: openpyxl would pad every row
    to its width and add rows down to its height, so ``A1:XFD1048576`` in
    a 4 KB file would make 17 billion cells. Only the cells present count.
    """
    worksheet.reset_dimensions()
    rows = []
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        budget.add(number, max(1, len(values)))
        rows.append(Row(number, [_cell(v) for v in values]))
    return rows
