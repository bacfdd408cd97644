"""Builders of hostile input for the resource-limit tests.

Each builder makes one attack cheaply: a zip bomb is written by streaming
zeros through the compressor (never held unpacked), deep JSON is bytes of
brackets. The attacks:

* JSON nested 100,000 levels (``[[[[...``), and JSON one level past the limit;
* an XLSX whose one sheet unpacks to 1 GiB of ``0`` characters inside a cell
  (about 1,000:1 packed), an XLSX with 1,001 members, an XLSX whose
  directory understates a member's size, an XLSX whose sheet declares an
  XML entity;
* RDF/XML with billion laughs, with quadratic blow-up (one big entity
  referenced many times, under expat's own amplification limit), with an
  external entity reading ``/etc/passwd`` (XXE) and with an external
  parameter entity;
* CSV catalogs and inventories with a 10 MB field, quoted and unquoted, and
  a quoted over-long field that hides a fake row on its next line.
"""
from __future__ import annotations

import csv
import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

import openpyxl

MB = 1024 * 1024
GB = 1024 * MB

#: The smallest header the catalog adapter recognises (new template).
CATALOG_HEADER = ["全国地方公共団体コード", "データセット_ID", "データセット_タイトル", "ファイル_ダウンロードURL"]
CATALOG_ROWS = [
    ["011002", "jinko", "人口", "https://www.city.example.jp/jinko.csv"],
    ["011002", "setai", "世帯数", "https://www.city.example.jp/setai.csv"],
]
_CELL_MARK = "@@HOSTILE-CELL@@"


# -- JSON --------------------------------------------------------------------------

def deep_brackets(levels: int = 100_000) -> bytes:
    """``levels`` opening brackets: deep enough to exhaust Python's parser."""
    return b"[" * levels + b"]" * levels


def nested(depth: int, leaf: object = "x") -> object:
    """A JSON value of exactly ``depth`` nested arrays around ``leaf``."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


# -- XLSX / ZIP ---------------------------------------------------------------------

def xlsx(rows: list[list[str]]) -> bytes:
    """A plain one-sheet workbook."""
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _catalog_with_mark() -> tuple[zipfile.ZipFile, str]:
    rows = [CATALOG_HEADER, CATALOG_ROWS[0], ["011002", "bomb", _CELL_MARK, "https://www.city.example.jp/b.csv"]]
    return zipfile.ZipFile(io.BytesIO(xlsx(rows))), "xl/worksheets/sheet1.xml"


def _flushed(data: bytes, *, final: bool = False) -> bytes:
    """``data`` as raw deflate blocks ending on a byte boundary with no
    reference to anything before, so such pieces can be concatenated (and
    repeated) into one stream; the ``final`` piece ends it."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_DIRECTORY_ENTRY = struct.Struct("<4s6H3L5H2L")
_END_RECORD = struct.Struct("<4s4H2LH")


def _write_zip(out: BinaryIO, members: list[tuple[str, bytes, int, int]]) -> None:
    """A ZIP of deflated members given as ``(name, deflated, crc, size)``."""
    directory = b""
    for name, deflated, crc, size in members:
        offset = out.tell()
        encoded = name.encode()
        out.write(_LOCAL_HEADER.pack(b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(deflated), size, len(encoded), 0))
        out.write(encoded + deflated)
        directory += _DIRECTORY_ENTRY.pack(b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(deflated), size,
                                           len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    start = out.tell()
    out.write(directory)
    out.write(_END_RECORD.pack(b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), start, 0))


def write_zip_bomb_xlsx(path: Path, unpacked: int = GB) -> Path:
    """:func:`xlsx_bomb` written to ``path``."""
    with open(path, "wb") as out:
        xlsx_bomb(out, unpacked)
    return path


def xlsx_bomb_bytes(unpacked: int) -> bytes:
    """:func:`xlsx_bomb` as bytes."""
    buffer = io.BytesIO()
    xlsx_bomb(buffer, unpacked)
    return buffer.getvalue()


def xlsx_bomb(out: BinaryIO, unpacked: int = GB) -> None:
    """An XLSX catalog whose sheet holds a cell of ``unpacked`` ``0`` characters.

    1 GiB packs into about 1 MB (1,000:1), made in a fraction of a second
    without ever holding the unpacked sheet: one MiB of zeros is compressed
    once and its blocks repeated. The ZIP is well-formed (sizes and CRCs
    right), so a reader without limits would unpack all of it.
    """
    source, sheet = _catalog_with_mark()
    chunk = b"0" * MB
    members = []
    for info in source.infolist():
        data = source.read(info.filename)
        if info.filename != sheet:
            members.append((info.filename, _flushed(data, final=True), zlib.crc32(data), len(data)))
            continue
        before, after = data.split(_CELL_MARK.encode(), 1)
        crc = zlib.crc32(before)
        for _ in range(unpacked // MB):
            crc = zlib.crc32(chunk, crc)
        stream = _flushed(before) + _flushed(chunk) * (unpacked // MB) + _flushed(after, final=True)
        members.append((sheet, stream, zlib.crc32(after, crc), len(before) + unpacked // MB * MB + len(after)))
    _write_zip(out, members)


def xlsx_with_sheet(sheet_xml: bytes) -> bytes:
    """The catalog workbook with its sheet replaced by ``sheet_xml``."""
    source, sheet = _catalog_with_mark()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, sheet_xml if info.filename == sheet else source.read(info.filename))
    return buffer.getvalue()


def catalog_sheet_xml(prolog: str = "", title: str = "人口") -> bytes:
    """A sheet of the catalog (header and one row) as XML after ``prolog``."""
    rows = "".join(
        f'<row r="{number}">' + "".join(f'<c r="{column}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
                                        for column, value in zip("ABCD", values)) + "</row>"
        for number, values in ((1, CATALOG_HEADER), (2, ["011002", "jinko", title, CATALOG_ROWS[0][3]])))
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{rows}</sheetData></worksheet>").encode("utf-8")


def zip_with_members(count: int) -> bytes:
    """A ZIP (served as an XLSX) with ``count`` tiny members."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for number in range(count):
            archive.writestr(f"xl/media/m{number}.txt", b"x")
    return buffer.getvalue()


def xlsx_understating_size(real: int = 16 * MB, declared: int = 1000) -> bytes:
    """The catalog workbook whose sheet unpacks to ``real`` bytes while the
    ZIP's local header and directory declare ``declared`` (a lying directory)."""
    source, sheet = _catalog_with_mark()
    data = source.read(sheet)
    before, after = data.split(_CELL_MARK.encode(), 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename == sheet:
                target.writestr(sheet, before + b"0" * real + after)
            else:
                target.writestr(info, source.read(info.filename))
    body = bytearray(buffer.getvalue())
    name = sheet.encode()
    # Central directory entry: uncompressed size at offset 24; local header: at offset 22.
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        at = 0
        while (at := body.find(signature, at)) >= 0:
            name_at = at + (46 if signature == b"PK\x01\x02" else 30)
            if body[name_at:name_at + len(name)] == name:
                struct.pack_into("<L", body, at + offset, declared)
            at += 4
    return bytes(body)


# -- XML ------------------------------------------------------------------------------

_RDF_OPEN = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
             'xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">')


def rdf_feed(doctype: str, title: str, description: str = "") -> str:
    """An RDF/XML DCAT feed with one dataset, after ``doctype``."""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n{_RDF_OPEN}\n'
            '<dcat:Dataset rdf:about="https://www.city.example.jp/d/1">'
            f'<dct:identifier>d1</dct:identifier><dct:title>{title}</dct:title>'
            f'<dct:description>{description}</dct:description></dcat:Dataset>\n</rdf:RDF>\n')


def billion_laughs() -> str:
    """Ten levels of ten references: 10**10 copies of "lol" once expanded."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">' for level in range(1, 11)]
    return rdf_feed(f"<!DOCTYPE rdf:RDF [\n{chr(10).join(entities)}\n]>", "&lol10;")


def quadratic_blowup(entity_chars: int = 3 * MB, references: int = 90) -> str:
    """One ``entity_chars`` entity referenced ``references`` times: under
    expat's 100:1 amplification limit, so expat alone lets it expand."""
    return rdf_feed(f'<!DOCTYPE rdf:RDF [<!ENTITY big "{"a" * entity_chars}">]>', "&big;" * references)


def xxe(target: str = "file:///etc/passwd") -> str:
    """An external entity that would read a local file into the title."""
    return rdf_feed(f'<!DOCTYPE rdf:RDF [<!ENTITY xxe SYSTEM "{target}">]>', "title &xxe;", "&xxe;")


def xxe_parameter(dtd_url: str) -> str:
    """An external parameter entity that would fetch a DTD from ``dtd_url``."""
    return rdf_feed(f'<!DOCTYPE rdf:RDF [<!ENTITY % remote SYSTEM "{dtd_url}"> %remote;]>', "title")


# -- CSV -------------------------------------------------------------------------------

def csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def catalog_with_long_field(*, quoted: bool, size: int = 10 * MB) -> bytes:
    """A catalog whose third line has a ``size``-character title, quoted or
    not, between two ordinary rows."""
    title = "x" * size
    long_row = f'011002,long,{chr(34) + title + chr(34) if quoted else title},https://www.city.example.jp/l.csv\r\n'
    head = csv_text([CATALOG_HEADER, CATALOG_ROWS[0]])
    return (head + long_row + csv_text([CATALOG_ROWS[1]])).encode("utf-8")


def catalog_hiding_a_row() -> bytes:
    """A quoted title that passes the field limit on its first line and goes
    on over a line that looks like a row of its own (a fake dataset)."""
    hidden = "011002,fake,偽のデータセット,https://evil.example/fake.csv"
    title = "x" * (200 * 1024) + "\r\n" + hidden + "\r\n" + "end of the title"
    head = csv_text([CATALOG_HEADER, CATALOG_ROWS[0]])
    return (head + f'011002,long,"{title}",https://www.city.example.jp/l.csv\r\n'
            + csv_text([CATALOG_ROWS[1]])).encode("utf-8")
