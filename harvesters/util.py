"""Small helpers shared by the adapters: dates, file formats, URLs, HTML text.

Nothing here fetches anything.
"""
from __future__ import annotations

import email.utils
import html
import re
import unicodedata
from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = [
    "DATA_FORMATS",
    "format_from_media_type",
    "format_from_text",
    "format_from_url",
    "html_to_text",
    "LINK_SCHEMES",
    "is_http_url",
    "is_link",
    "modified_since",
    "normalize_format",
    "parse_date",
    "read_modified",
    "is_repeating_interval",
]

#: File extensions that mark a link as a data file, with the format name used for resources.
DATA_FORMATS: dict[str, str] = {
    "csv": "CSV",
    "tsv": "TSV",
    "xlsx": "XLSX",
    "xls": "XLS",
    "xlsm": "XLSX",
    "ods": "ODS",
    "json": "JSON",
    "geojson": "GeoJSON",
    "topojson": "TopoJSON",
    "xml": "XML",
    "rdf": "RDF",
    "ttl": "Turtle",
    "zip": "ZIP",
    "pdf": "PDF",
    "kml": "KML",
    "kmz": "KMZ",
    "shp": "SHP",
    "gml": "GML",
    "txt": "TXT",
    "doc": "DOC",
    "docx": "DOCX",
    "odt": "ODT",
    "gpkg": "GeoPackage",
}

_MEDIA_TYPES = {
    "text/csv": "CSV",
    "application/csv": "CSV",
    "text/tab-separated-values": "TSV",
    "application/json": "JSON",
    "application/geo+json": "GeoJSON",
    "application/vnd.geo+json": "GeoJSON",
    "application/zip": "ZIP",
    "application/x-zip-compressed": "ZIP",
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.google-earth.kml+xml": "KML",
    "application/vnd.google-earth.kmz": "KMZ",
    "application/xml": "XML",
    "text/xml": "XML",
    "text/plain": "TXT",
    "application/rdf+xml": "RDF",
    "text/turtle": "Turtle",
    "text/html": "HTML",
}

# Format words in link texts such as "人口（CSV：5KB）" or "[エクセルファイル]".
_TEXT_FORMATS = [
    (re.compile(r"(?<![A-Za-z])GEOJSON(?![A-Za-z])", re.I), "GeoJSON"),
    (re.compile(r"(?<![A-Za-z])(XLSX|XLSM)(?![A-Za-z])", re.I), "XLSX"),
    (re.compile(r"(?<![A-Za-z])XLS(?![A-Za-z])", re.I), "XLS"),
    (re.compile(r"(?<![A-Za-z])(EXCEL)(?![A-Za-z])|エクセル", re.I), "XLSX"),
    (re.compile(r"(?<![A-Za-z])CSV(?![A-Za-z])", re.I), "CSV"),
    (re.compile(r"(?<![A-Za-z])JSON(?![A-Za-z])", re.I), "JSON"),
    (re.compile(r"(?<![A-Za-z])ZIP(?![A-Za-z])", re.I), "ZIP"),
    (re.compile(r"(?<![A-Za-z])PDF(?![A-Za-z])", re.I), "PDF"),
    (re.compile(r"(?<![A-Za-z])KMZ(?![A-Za-z])", re.I), "KMZ"),
    (re.compile(r"(?<![A-Za-z])KML(?![A-Za-z])", re.I), "KML"),
    (re.compile(r"(?<![A-Za-z])(SHP|SHAPE)(?![A-Za-z])|シェープ", re.I), "SHP"),
    (re.compile(r"(?<![A-Za-z])ODS(?![A-Za-z])", re.I), "ODS"),
    (re.compile(r"(?<![A-Za-z])TSV(?![A-Za-z])", re.I), "TSV"),
    (re.compile(r"(?<![A-Za-z])TXT(?![A-Za-z])|テキスト", re.I), "TXT"),
]


def format_from_url(url: str) -> str | None:
    """The data format of a URL from its path's extension (``None`` if none is known)."""
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        return None
    name = path.rsplit("/", 1)[-1].lower()
    if "." not in name:
        return None
    return DATA_FORMATS.get(name.rsplit(".", 1)[-1])


def format_from_text(text: str) -> str | None:
    """The data format named in a link text or a format column (``CSV形式`` → ``CSV``)."""
    text = unicodedata.normalize("NFKC", text or "")
    for pattern, name in _TEXT_FORMATS:
        if pattern.search(text):
            return name
    return None


#: What portals and spreadsheets call a format, to the one name the portal uses.
_FORMAT_ALIASES = {"EXCEL": "XLSX", "エクセル": "XLSX", "HTM": "HTML", "WEBページ": "HTML", "ウェブページ": "HTML",
                   "ホームページ": "HTML", "SHAPE": "SHP", "SHAPEFILE": "SHP", "シェープファイル": "SHP",
                   "テキスト": "TXT", "TEXT": "TXT", "JPEG": "JPG", "WORD": "DOCX", "ワード": "DOCX",
                   "GEOJSON": "GeoJSON", "TOPOJSON": "TopoJSON", "TURTLE": "Turtle", "TTL": "Turtle"}


def normalize_format(value: Any) -> str:
    """One spelling per file format: width (``ＣＳＶ``), case (``csv``),
    a leading dot and common aliases (``エクセル``, ``Shapefile``) folded;
    what is not a format name is returned as typed (NFKC, trimmed)."""
    text = unicodedata.normalize("NFKC", str(value or "")).strip().lstrip(".")
    if not text:
        return ""
    key = text.upper()
    if key in _FORMAT_ALIASES:
        return _FORMAT_ALIASES[key]
    known = {name.upper(): name for name in DATA_FORMATS.values()}
    if key in known:
        return known[key]
    if text.isascii() and len(text) <= 10 and re.fullmatch(r"[A-Za-z0-9+.-]+", text):
        return key
    return text


def format_from_media_type(media_type: str | None) -> str | None:
    if not media_type:
        return None
    return _MEDIA_TYPES.get(media_type.split(";", 1)[0].strip().lower())


#: the schemes of the links the portal stores (a dataset's or a resource's)
LINK_SCHEMES = ("http", "https", "ftp")


def is_link(value: Any, schemes: tuple[str, ...] = LINK_SCHEMES) -> bool:
    """The one URL rule of the project: an absolute URL of one of ``schemes``
    (by default the links the portal stores: http, https, ftp) with a host,
    a valid port and no whitespace. ``javascript:``, ``data:``, ``file:`` and
    relative links never pass. The inventory, the dataset schema and the
    harvest store only what passes; adapters fetch only :func:`is_http_url`."""
    if not isinstance(value, str) or not value or re.search(r"\s", value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    return parts.scheme.lower() in schemes and bool(parts.hostname)


def is_http_url(value: Any) -> bool:
    """True for an absolute http(s) URL with a host and no whitespace."""
    return is_link(value, ("http", "https"))


_ERAS = {"令和": 2018, "平成": 1988, "昭和": 1925, "R": 2018, "H": 1988, "S": 1925}
_ISO_LIKE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T\s]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_KANJI_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日")
_ERA_DATE = re.compile(r"^(令和|平成|昭和|[RHS])(\d{1,2}|元)[年.](\d{1,2})[月.](\d{1,2})日?", re.I)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YEAR_MONTH = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})|年(\d{1,2})月)?年?$")
_HTTP_DATE = re.compile(r"^[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} (GMT|UTC|[+-]\d{4})$")
#: ISO 8601 repeating interval, as DCAT-US writes "continuously updated"
#: (``R/P1D``, ``R/PT1H``, ``R/2024-01-01/P1M``).
_REPEATING = re.compile(r"^R\d*/(?:[^/]+/)?P(?!$)(?:\d+[YMWD])*(?:T(?=\d)(?:\d+[HMS])*)?$")


def parse_date(value: Any) -> str | None:
    """Normalise a date as catalogs write it to ISO 8601, or ``None``.

    Understands ISO timestamps (kept with their time), ISO dates of reduced
    precision (``2024``, ``2024-04``: the first day of the period),
    ``2024/4/1``, ``2024年4月1日``, ``令和6年4月1日``, ``R6.4.1``,
    ``20240401``, HTTP dates (``Mon, 01 Apr 2024 00:00:00 GMT``, from
    ``Last-Modified``) and :class:`~datetime.date`/:class:`~datetime.datetime`
    values (from XLSX).
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    except ValueError:
        pass
    try:
        match = _ISO_LIKE.match(text)
        if match:
            y, m, d, hh, mm, ss = match.groups()
            if hh is not None:
                return datetime(int(y), int(m), int(d), int(hh), int(mm), int(ss or 0)).isoformat()
            return date(int(y), int(m), int(d)).isoformat()
        match = _KANJI_DATE.match(text) or _COMPACT.match(text)
        if match:
            return date(*map(int, match.groups())).isoformat()
        match = _YEAR_MONTH.match(text)
        if match:
            year, month, kanji_month = match.groups()
            return date(int(year), int(month or kanji_month or 1), 1).isoformat()
        if _HTTP_DATE.match(text):
            return email.utils.parsedate_to_datetime(text).isoformat()
        match = _ERA_DATE.match(text)
        if match:
            era, year, month, day = match.groups()
            year_number = 1 if year == "元" else int(year)
            return date(_ERAS[era.upper() if len(era) == 1 else era] + year_number, int(month), int(day)).isoformat()
    except ValueError:
        return None
    return None


def is_repeating_interval(value: Any) -> bool:
    """True for an ISO 8601 repeating interval such as ``R/P1D``."""
    return isinstance(value, str) and bool(_REPEATING.match(value.strip()))


def read_modified(value: Any, now: datetime | None = None) -> tuple[str | None, str | None]:
    """A source's last-modified value as the portal stores it, and why not.

    :returns: ``(stored, problem)``: ``stored`` is an ISO 8601 date or
        timestamp (any form :func:`parse_date` reads), an ISO 8601 repeating
        interval such as ``R/P1D`` (DCAT-US for "continuously updated",
        which the tracker counts as fresh), or ``None``; ``problem`` says in
        English why a value given was not used: unreadable, or more than one
        day in the future (a typo such as 2204/4/1 would keep a
        municipality fresh for ever).
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if is_repeating_interval(value):
        return value.strip(), None
    parsed = parse_date(value)
    if parsed is None:
        return None, f"unreadable date {str(value)[:100]!r}"
    moment = _as_utc(parsed)
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    if moment is not None and moment > now + timedelta(days=1):
        return None, f"date {str(value)[:100]!r} is in the future"
    return parsed, None


def _as_utc(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def modified_since(modified: str | None, since: datetime | None) -> bool:
    """True if a record modified at ``modified`` (ISO) belongs in a harvest since ``since``.

    Records with no or an unreadable date are always included: a harvest
    must not lose a record because the source's date is missing.
    """
    if since is None or not modified:
        return True
    moment = _as_utc(modified)
    if moment is None:
        return True
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    return moment >= since


_TAG = re.compile(r"<[^>]+>")
_BLOCK = re.compile(r"<\s*(br|/p|/div|/li|/h\d|/tr)\b[^>]*>", re.I)


def html_to_text(value: Any) -> str:
    """Plain text from a description that may contain HTML (ArcGIS Hub's do)."""
    text = str(value or "")
    if "<" not in text:
        return html.unescape(text)
    text = _BLOCK.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
