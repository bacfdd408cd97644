"""A downloaded table made ready for the DataStore (no CKAN here).

The file is read by the project's one table reader
(:func:`harvesters.tables.read_table`: CSV, TSV or XLSX told from the bytes;
UTF-8 with or without BOM, Shift_JIS/CP932 or EUC-JP detected; an HTML page,
an XLS file, a ZIP bomb refused), strictly: a stray quote, a row that cannot
be parsed, lines in another encoding than the rest, a cell in a column the
header does not have, each stops the load with a message that names the
line. What is made of it:

* **column names**: the first non-blank row, kept as written (Japanese
  included); a blank one becomes 列N (its position), a repeated one gets
  _2, _3 …, a leading underscore and double quotes (which the DataStore
  refuses) are dropped, and a name is cut to 63 bytes (PostgreSQL's limit).
  Every change is listed in :attr:`Prepared.renamed`.
* **column types**: ``numeric`` when every non-empty cell is a number
  written in ASCII digits, with or without thousands separators (1,234 is
  stored as 1234) and without a leading zero (a code such as 011002 stays
  text); ``date`` when every non-empty cell is a date written 2024-04-01
  or 2024/4/1; ``text`` otherwise. Full-width digits (１２３) and era dates
  (令和6年4月1日) are text: kept as written, never mistyped.
* a UTF-8 CSV of the header and the rows (blank rows left out, short rows
  padded), numbers without separators and dates as 2024-04-01, which the
  loader copies into PostgreSQL.
"""
from __future__ import annotations

import csv
import dataclasses
import functools
import gc
import re
from datetime import date, datetime
from typing import Any

from harvesters.client import Limits
from harvesters.tables import MIXED, read_table

__all__ = ["TableError", "Prepared", "prepare", "column_names", "column_type"]

#: PostgreSQL's limit on a column name, in bytes
MAX_NAME_BYTES = 63

_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?\Z")
_LEADING_ZERO = re.compile(r"[+-]?0[0-9]")
_DATE = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})\Z")


class TableError(Exception):
    """A table that cannot be loaded, said in Japanese and English, with the
    place (``line`` of the file, when known)."""

    def __init__(self, message_ja: str, message_en: str, line: int | None = None) -> None:
        where = f"{line}行目: " if line else ""
        where_en = f"line {line}: " if line else ""
        super().__init__(f"{where}{message_ja} / {where_en}{message_en}")
        self.message_ja = where + message_ja
        self.message_en = where_en + message_en
        self.line = line


@dataclasses.dataclass
class Prepared:
    """What was written: the columns, their types, the rows, what was renamed."""

    fields: list[dict[str, str]]
    rows: int
    file_format: str
    encoding: str | None
    renamed: list[tuple[str, str]]
    #: the file's line of the header (1 unless a title and a date are above it)
    header_line: int = 1


def header_index(rows: list[tuple[int, list[Any]]], look: int = 10) -> int:
    """Which of the first rows is the header: a spreadsheet often has a
    title and a date above it (「AED設置箇所一覧」「令和6年4月1日現在」), rows of
    one cell. Such leading rows are skipped when a row of three cells or
    more follows within the first ``look`` rows; any other table's header
    is its first row."""
    widths = [sum(1 for c in values if str(c).strip()) for _line, values in rows[:look]]
    if not any(width >= 3 for width in widths):
        return 0
    index = 0
    while index < len(widths) and widths[index] <= 1:
        index += 1
    return index if index < len(widths) else 0


def column_names(header: list[Any]) -> tuple[list[str], list[tuple[str, str]]]:
    """The DataStore names of a header row and the (original, new) pairs of
    those changed (rules in the module's docs)."""
    names: list[str] = []
    renamed: list[tuple[str, str]] = []
    seen: set[str] = set()
    for position, cell in enumerate(header, start=1):
        original = "" if cell is None else str(cell)
        name = original.strip().replace('"', "").lstrip("_").strip()
        name = _cut(name) or f"列{position}"
        base, n = name, 1
        while name.casefold() in seen:
            n += 1
            name = _cut(base, reserve=len(f"_{n}".encode())) + f"_{n}"
        seen.add(name.casefold())
        names.append(name)
        if name != original:
            renamed.append((original, name))
    return names, renamed


def _cut(name: str, reserve: int = 0) -> str:
    limit = MAX_NAME_BYTES - reserve
    encoded = name.encode("utf-8")
    if len(encoded) <= limit:
        return name
    return encoded[:limit].decode("utf-8", errors="ignore").rstrip()


@functools.lru_cache(maxsize=65536)  # a table repeats its dates
def _as_date(text: str) -> str | None:
    found = _DATE.match(text)
    if not found:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3])).isoformat()
    except ValueError:
        return None


def column_type(values: list[str]) -> str:
    """``numeric``, ``date`` or ``text`` for a column's non-empty cells
    (spaces around a number or a date are not part of it)."""
    values = [v for v in values if v.strip()]
    if not values:
        return "text"
    if all(_NUMBER.match(v.strip()) and not _LEADING_ZERO.match(v.strip()) for v in values):
        return "numeric"
    if all(_as_date(v.strip()) for v in values):
        return "date"
    return "text"


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell).strip()


def prepare(data: bytes, out_path: str, *, where: str, limits: Limits, max_rows: int,
            content_type: str | None = None) -> Prepared:
    """:func:`_prepare` with the garbage collector paused: reading a table
    makes millions of strings and no reference cycle, and the collector's
    passes over them cost a third of the time."""
    paused = gc.isenabled()
    gc.disable()
    try:
        return _prepare(data, out_path, where=where, limits=limits, max_rows=max_rows, content_type=content_type)
    finally:
        if paused:
            gc.enable()


def _prepare(data: bytes, out_path: str, *, where: str, limits: Limits, max_rows: int,
             content_type: str | None = None) -> Prepared:
    """Read ``data`` (a downloaded file) and write the UTF-8 CSV the loader
    copies to ``out_path``.

    :param where: the file's URL, for messages.
    :param max_rows: the most data rows loaded; more is an error.
    :raises TableError: the table cannot be loaded (the message says where).
    :raises harvesters.errors.BadResponse, LimitExceeded: from the reader
        (an HTML page, an XLS file, a ZIP bomb, too many cells).
    """
    table = read_table(data, where=where, limits=limits, content_type=content_type, strict=True)
    if table.encoding == MIXED:
        odd = table.problems[0]
        raise TableError(f"文字コードが混在しています（{odd.message_ja}）",
                         f"the file mixes encodings ({odd.reason})", odd.line)
    for problem in table.problems:
        raise TableError(problem.message_ja or "この行を読めません", problem.reason, problem.line)
    # CSV cells are strings already (kept as written; numbers and dates are
    # read without the spaces around them); XLSX cells may be dates or empty
    csv_cells = table.file_format == "csv"
    rows = []
    for row in table.rows:
        values = row.cells if csv_cells else [_text(c) for c in row.cells]
        if any(c.strip() for c in values):
            rows.append((row.line, values))
    if not rows:
        raise TableError("表が空です", "the table is empty")
    at = header_index(rows)
    (header_line, header), body = rows[at], rows[at + 1:]
    if len(body) > max_rows:
        raise TableError(f"行数が上限（{max_rows:,}行）を超えています", f"more than {max_rows:,} rows")
    names, renamed = column_names([c.strip() for c in header])
    width = len(names)
    cells: list[list[str]] = []
    for line, values in body:
        if len(values) > width:
            extra = [v for v in values[width:] if v.strip()]
            if extra:
                raise TableError(f"見出しのない列に値があります（{extra[0][:30]!r}）",
                                 f"a value in a column without a header ({extra[0][:30]!r})", line)
            values = values[:width]
        elif len(values) < width:
            values = values + [""] * (width - len(values))
        cells.append(values)
    # column by column: the transposition and the writing run in C
    columns: list[Any] = list(zip(*cells)) if cells else [() for _ in names]
    types = [column_type(list(filter(None, column))) for column in columns]
    for i, kind in enumerate(types):
        if kind == "numeric":
            columns[i] = [v.strip().replace(",", "") for v in columns[i]]
        elif kind == "date":
            columns[i] = [_clean_date(v.strip()) if v else v for v in columns[i]]
    with open(out_path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(names)
        writer.writerows(zip(*columns))
    return Prepared([{"id": n, "type": t} for n, t in zip(names, types)], len(cells), table.file_format,
                    table.encoding, renamed, header_line)


def _clean_date(value: str) -> str:
    if len(value) == 10 and value[4] == "-":  # 2024-04-01 already
        return value
    return _as_date(value) or value
