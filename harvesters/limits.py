"""Bounded reading of hostile files: ZIP (XLSX), XML prologs, CSV fields.

A body that passed the HTTP size cap (``max_bytes``) can still cost far more
to read than its size: a 1 MB XLSX may unpack to gigabytes, an XML entity
declared once may expand a thousandfold, a CSV field may run for megabytes.
The checks here look before anything is unpacked or expanded and raise
:class:`~harvesters.errors.LimitExceeded`, whose message names the place (URL
or file, ZIP member, line) and the limit:

* :func:`check_zip` reads only the ZIP's directory: member count, total
  unpacked size and per-member compression ratio against :class:`Limits`,
  then refuses XML members that declare entities;
* :func:`check_xml_prolog` refuses an XML document whose DOCTYPE declares
  entities (billion laughs, quadratic blow-up, external entities reading
  local files): a DCAT feed or a spreadsheet part has no use for them;
* :func:`csv_field_limit_error` tells the ``csv`` module's field-size error
  apart, so that callers can name the line and the limit;
* :class:`TableBudget` and :func:`csv_lines` bound the rows and cells of a
  catalog or inventory table while it is read (a CSV line's cells are
  counted by its delimiters before the ``csv`` module builds them).

This module must never import ``ckan`` or ``ckanext``; the inventory import
of :mod:`ckanext.hokkaido` uses it too.
"""
from __future__ import annotations

import csv
import io
import re
import struct
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO

from harvesters.errors import BadResponse, LimitExceeded
from harvesters.client import Limits

__all__ = [
    "RATIO_FLOOR",
    "TableBudget",
    "check_xml_prolog",
    "check_zip",
    "csv_field_limit",
    "csv_field_limit_error",
    "csv_lines",
]

RATIO_FLOOR = 1024 * 1024
"""Members smaller than this (unpacked) are not judged by their ratio."""

_CHUNK = 64 * 1024

# End of central directory record, and the ZIP64 locator and record
# (APPNOTE.TXT 4.3.14-4.3.16).
_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
_MAX_COMMENT = 0xFFFF
#: Bytes of central directory allowed per member: a 46-byte entry plus a
#: generous allowance for the name and extra fields.
_DIRECTORY_BYTES_PER_MEMBER = 1024
_DIRECTORY_ENTRY_BYTES = 46


# ---------------------------------------------------------------------------
# ZIP
# ---------------------------------------------------------------------------

def _directory_size(file: BinaryIO) -> tuple[int, int] | None:
    """``(declared members, central directory bytes)`` from the end record,
    or ``None`` if there is none (then :mod:`zipfile` refuses the file)."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    tail_start = max(0, size - _EOCD.size - _MAX_COMMENT)
    file.seek(tail_start)
    tail = file.read()
    at = tail.rfind(_EOCD_SIGNATURE)
    if at < 0 or len(tail) - at < _EOCD.size:
        return None
    fields = _EOCD.unpack_from(tail, at)
    members, directory = fields[4], fields[5]
    if members == 0xFFFF or directory == 0xFFFFFFFF:
        locator_at = tail_start + at - _ZIP64_LOCATOR.size
        if locator_at >= 0:
            file.seek(locator_at)
            locator = _ZIP64_LOCATOR.unpack(file.read(_ZIP64_LOCATOR.size))
            if locator[0] == _ZIP64_LOCATOR_SIGNATURE and locator[2] + _ZIP64_EOCD.size <= size:
                file.seek(locator[2])
                record = _ZIP64_EOCD.unpack(file.read(_ZIP64_EOCD.size))
                if record[0] == _ZIP64_EOCD_SIGNATURE:
                    members, directory = record[7], record[8]
    return members, directory


def _refuse(where: str, reason: str, message_ja: str) -> LimitExceeded:
    return LimitExceeded(where, reason, message_ja=message_ja)


def check_zip(file: BinaryIO, *, where: str, limits: Limits) -> None:
    """Refuse a ZIP file (an XLSX) that would unpack to more than ``limits`` allow.

    Only the directory is read, never a member's data beyond the start of
    XML members (for :func:`check_xml_prolog`). :mod:`zipfile` itself stops
    a member at the size the directory declares (a member whose data
    unpacks to more fails its CRC check), so the declared sizes bound what
    any later reader can unpack.

    :param file: the ZIP file, open for reading, seekable.
    :param where: the URL or file name, for messages.
    :raises LimitExceeded: too many members (also judged from the size of the
        central directory, before :mod:`zipfile` builds an entry for each),
        a member packed more tightly than ``max_zip_ratio``, a total
        unpacked size above ``max_unpacked_bytes``, or an XML member that
        declares entities.
    :raises BadResponse: if it is not a ZIP file or a member cannot be
        read (encrypted, corrupt, an unknown compression method).
    """
    declared = _directory_size(file)
    if declared is not None:
        members, directory = declared
        if members > limits.max_zip_members:
            raise _too_many_members(where, f"{members:,} members", limits)
        if directory > limits.max_zip_members * _DIRECTORY_BYTES_PER_MEMBER:
            raise _too_many_members(where, f"a directory of {directory:,} bytes (room for up to "
                                           f"{directory // _DIRECTORY_ENTRY_BYTES:,} members)", limits)
    file.seek(0)
    try:
        _check_members(file, where, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
        raise BadResponse(where, f"not a readable XLSX file (its ZIP structure: {type(exc).__name__}: {exc})",
                          message_ja="XLSXファイルとして読めません") from exc


def _check_members(file: BinaryIO, where: str, limits: Limits) -> None:
    with zipfile.ZipFile(file) as archive:
        infos = archive.infolist()
        if len(infos) > limits.max_zip_members:
            raise _too_many_members(where, f"{len(infos):,} members", limits)
        for info in infos:
            packed = max(info.compress_size, 1)
            if info.file_size > RATIO_FLOOR and info.file_size > limits.max_zip_ratio * packed:
                raise _refuse(
                    where,
                    f"ZIP member {info.filename!r} unpacks to {info.file_size:,} bytes from {info.compress_size:,} "
                    f"(ratio {info.file_size // packed:,}:1, limit {limits.max_zip_ratio}:1, max_zip_ratio); "
                    "a zip bomb? not unpacked",
                    f"ZIPファイルの圧縮率が異常に高いため展開しません ({info.filename}: {info.file_size:,} バイト)",
                )
        total = sum(info.file_size for info in infos)
        if total > limits.max_unpacked_bytes:
            raise _refuse(
                where,
                f"ZIP members unpack to {total:,} bytes, more than the limit of {limits.max_unpacked_bytes:,} "
                "(max_unpacked_bytes); not unpacked",
                f"ZIPファイルの展開後のサイズが上限 ({limits.max_unpacked_bytes:,} バイト) を超えるため展開しません",
            )
        for info in infos:
            if not info.is_dir():
                with archive.open(info) as member:
                    check_xml_prolog(iter(lambda: member.read(_CHUNK), b""),
                                     where=f"{where} (ZIP member {info.filename})", not_xml_ok=True)


def _too_many_members(where: str, what: str, limits: Limits) -> LimitExceeded:
    return _refuse(
        where,
        f"ZIP file has {what}, more than the limit of {limits.max_zip_members:,} members "
        "(max_zip_members); not unpacked",
        f"ZIPファイルの中のファイルが多すぎるため展開しません (上限 {limits.max_zip_members:,})",
    )


# ---------------------------------------------------------------------------
# XML
# ---------------------------------------------------------------------------

def _slices(text: str) -> Iterable[str]:
    """``text`` in chunks: expat then encodes one chunk at a time, and the
    whole text never gets a cached UTF-8 copy."""
    return (text[start:start + _CHUNK] for start in range(0, len(text), _CHUNK))


class _RootReached(Exception):
    """The prolog is over: the document's root element started."""


def check_xml_prolog(chunks: Iterable[bytes | str] | str, *, where: str, not_xml_ok: bool = False) -> None:
    """Refuse an XML document whose DOCTYPE declares entities.

    The document is fed to expat up to its root element (the prolog, where
    a DOCTYPE must be), with no entity expanded and nothing fetched. Any
    ``<!ENTITY ...>`` declaration (general or parameter, internal or
    ``SYSTEM``/``PUBLIC``) is refused: entities are how an XML file expands
    to gigabytes (billion laughs, quadratic blow-up) or pulls in a local
    file (``SYSTEM "file:///etc/passwd"``), and neither a DCAT feed nor a
    spreadsheet part needs one. A DOCTYPE without entity declarations
    passes.

    :param chunks: the document as a string or as successive chunks
        (bytes are read in their declared encoding, strings as text).
    :param where: the URL or file (and member), for messages.
    :param not_xml_ok: return quietly when the data is not well-formed XML
        (for ZIP members, which may be images); otherwise that raises.
    :raises LimitExceeded: for an entity declaration.
    :raises BadResponse: for XML that is not well-formed, unless ``not_xml_ok``.
    """
    parser = xml.parsers.expat.ParserCreate()

    def entity_declared(name: str, is_parameter: int, value: str | None, base: str | None,
                        system_id: str | None, public_id: str | None, notation: str | None) -> None:
        kind = "parameter entity" if is_parameter else "entity"
        source = f" SYSTEM {system_id!r}" if system_id else ""
        raise _refuse(
            where,
            f"XML declares the {kind} {name!r}{source} in its DOCTYPE; entities can expand to gigabytes or "
            "read local files, so documents declaring them are not read",
            "XMLに実体宣言 (<!ENTITY>) が含まれているため読み込みません",
        )

    def root_started(name: str, attributes: dict[str, str]) -> None:
        raise _RootReached

    parser.EntityDeclHandler = entity_declared
    parser.StartElementHandler = root_started
    pieces = _slices(chunks) if isinstance(chunks, str) else chunks
    try:
        for chunk in pieces:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _RootReached:
        return
    except xml.parsers.expat.ExpatError as exc:
        if not_xml_ok:
            # Not XML (an image in an XLSX, say): no entity can be expanded
            # from it, and a reader that takes it for XML stops at the same
            # error, before any declaration after it.
            return
        raise BadResponse(where, f"not well-formed XML ({exc})", message_ja="XMLとして読めません") from exc


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------

def csv_field_limit() -> int:
    """The ``csv`` module's field size limit (characters), 131,072 by default.

    It is process-wide, so it is read, never changed, here.
    """
    return csv.field_size_limit()


def csv_field_limit_error(exc: csv.Error) -> bool:
    """True if ``exc`` is the ``csv`` module's "field larger than field limit".

    The module gives no other way to tell its errors apart than the message.
    """
    return "field larger than field limit" in str(exc)


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------

class TableBudget:
    """Counts the rows and cells of a table as they are read.

    :param limits: ``max_table_rows`` and ``max_table_cells`` apply.
    :param where: the URL or file, for messages.
    :param unit: what a row is called in messages (``"line"``, ``"row"``).
    """

    def __init__(self, limits: Limits, *, where: str, unit: str = "row") -> None:
        self.limits = limits
        self.where = where
        self.unit = unit
        self.rows = 0
        self.cells = 0

    def add(self, number: int, cells: int) -> None:
        """Count row ``number`` (1-based, for messages) with ``cells`` cells.

        :raises LimitExceeded: once the table has more rows or cells than
            allowed; nothing of it is used.
        """
        self.rows += 1
        self.cells += cells
        if self.rows > self.limits.max_table_rows:
            raise LimitExceeded(
                self.where,
                f"{self.unit} {number}: more than {self.limits.max_table_rows:,} {self.unit}s "
                "(max_table_rows); the file is not read",
                message_ja=f"行数が上限 ({self.limits.max_table_rows:,}) を超えるため読み込みません",
            )
        if self.cells > self.limits.max_table_cells:
            raise LimitExceeded(
                self.where,
                f"{self.unit} {number}: more than {self.limits.max_table_cells:,} cells in the file "
                "(max_table_cells); the file is not read",
                message_ja=f"セルの数が上限 ({self.limits.max_table_cells:,}) を超えるため読み込みません "
                           f"({number}行目)",
            )


#: A physical line as ``io.StringIO(text, newline="")`` gives it: ended by
#: CRLF, CR or LF (kept), or the rest of the text.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def csv_lines(text: str, *, delimiter: str, budget: TableBudget) -> Iterator[str]:
    """The physical lines of ``text`` for :func:`csv.reader`, each counted
    in ``budget`` (its delimiters plus one, as cells) before the reader
    sees it.

    A delimiter inside a quoted field counts too: the bound is on what the
    reader could build. Unlike ``io.StringIO(text)``, which keeps a copy of
    the text at four bytes a character, this holds one line at a time.
    """
    for number, match in enumerate(_LINE.finditer(text), start=1):
        line = match.group()
        budget.add(number, line.count(delimiter) + 1)
        yield line
