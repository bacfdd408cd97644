"""Hokkaido's 179 municipalities, for attributing records without CKAN.

The list is a copy of ``ckanext/hokkaido/data/municipalities.csv`` shipped
as ``harvesters/data/municipalities.csv`` (a test checks that the two stay
identical), read once per process.

:func:`match_area` turns a Japanese area name as portals write it
(``ニセコ町``, ``北海道ニセコ町``, ``札幌市中央区``, ``北海道``) into a code,
and says why when it cannot (unknown name, or a name that fits several
municipalities such as ``釧路`` or a 振興局).
"""
from __future__ import annotations

import csv
import dataclasses
import functools
import re
import unicodedata
from pathlib import Path

from harvesters.base import is_valid_municipality_code, municipality_check_digit

__all__ = [
    "DATA_FILE",
    "PREFECTURE_CODE",
    "PREFECTURE_NAME",
    "AreaMatch",
    "Municipality",
    "by_code",
    "is_hokkaido_code",
    "match_area",
    "municipalities",
    "name_of",
    "normalize_code",
]

DATA_FILE = Path(__file__).resolve().parent / "data" / "municipalities.csv"

PREFECTURE_CODE = "010006"
PREFECTURE_NAME = "北海道"


@dataclasses.dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    name_kana: str
    type: str
    subprefecture: str

    @property
    def stem(self) -> str:
        """The name without its 市/町/村 suffix (``釧路`` for 釧路市 and 釧路町)."""
        return self.name[:-1] if self.name.endswith(("市", "町", "村")) and len(self.name) > 1 else self.name


@functools.lru_cache(maxsize=None)
def municipalities() -> tuple[Municipality, ...]:
    """The 179 municipalities in code order."""
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        rows = [
            Municipality(row["code"], row["name"], row["name_kana"], row["type"], row["subprefecture"])
            for row in csv.DictReader(handle)
        ]
    return tuple(sorted(rows, key=lambda m: m.code))


@functools.lru_cache(maxsize=None)
def by_code() -> dict[str, Municipality]:
    return {m.code: m for m in municipalities()}


def is_hokkaido_code(code: str) -> bool:
    """True for the prefecture's code and the 179 municipalities' codes."""
    return code == PREFECTURE_CODE or code in by_code()


def name_of(code: str) -> str | None:
    """The Japanese name of a municipality code or of the prefecture."""
    if code == PREFECTURE_CODE:
        return PREFECTURE_NAME
    municipality = by_code().get(code)
    return municipality.name if municipality else None


def normalize_code(value: object) -> str | None:
    """Read a 全国地方公共団体コード as catalogs write it.

    Accepts the 6-digit code (``011002``), the code with its leading zero
    lost to a spreadsheet (``11002``, ``11002.0``) and the 5-digit code
    without check digit (``01100``). Returns the 6-digit code, or ``None``
    when the value is none of these or its check digit is wrong.
    """
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isascii() or not text.isdigit():
        return None
    if len(text) == 6:
        return text if is_valid_municipality_code(text) else None
    if len(text) == 5:
        padded = "0" + text
        if is_valid_municipality_code(padded):
            return padded
        return text + str(municipality_check_digit(text))
    return None


@dataclasses.dataclass(frozen=True)
class AreaMatch:
    """The outcome of :func:`match_area`.

    :ivar code: the 6-digit code, or ``None``.
    :ivar status: ``"municipality"``, ``"prefecture"``, ``"unknown"`` or
        ``"ambiguous"``.
    :ivar candidates: for ``"ambiguous"``, the names that fit.
    """

    name: str
    code: str | None
    status: str
    candidates: tuple[str, ...] = ()


_SPACES = re.compile(r"[\s\u3000]+")
_SUBPREFECTURE = re.compile(r"^(.+?)(総合)?振興局$")


def _normalize_name(name: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", name)).strip()


@functools.lru_cache(maxsize=None)
def _indexes() -> tuple[dict[str, str], dict[str, list[Municipality]], dict[str, list[Municipality]]]:
    names = {m.name: m.code for m in municipalities()}
    stems: dict[str, list[Municipality]] = {}
    subprefectures: dict[str, list[Municipality]] = {}
    for m in municipalities():
        stems.setdefault(m.stem, []).append(m)
        match = _SUBPREFECTURE.match(m.subprefecture)
        key = match.group(1) if match else m.subprefecture
        subprefectures.setdefault(key, []).append(m)
    return names, stems, subprefectures


def match_area(name: str, extra: dict[str, str] | None = None) -> AreaMatch:
    """Attribute an area name to a code.

    Tried in order: ``extra`` (exact names configured by a steward), the
    prefecture (``北海道``), an exact municipality name with or without the
    ``北海道`` prefix, a ward of a city (``札幌市中央区``), a name without its
    市/町/村 suffix if only one municipality has it. A 振興局 or a suffix-less
    name shared by several municipalities is ``"ambiguous"``.
    """
    original = name
    text = _normalize_name(name or "")
    if extra:
        for key, code in extra.items():
            if _normalize_name(key) == text:
                status = "prefecture" if code == PREFECTURE_CODE else "municipality"
                return AreaMatch(original, code, status)
    if text in ("北海道", "北海道庁", "北海道全域", "全道"):
        return AreaMatch(original, PREFECTURE_CODE, "prefecture")
    if text.startswith("北海道") and len(text) > 3:
        text = text[3:]
    names, stems, subprefectures = _indexes()
    if text in names:
        return AreaMatch(original, names[text], "municipality")
    ward = re.match(r"^(.+?市)(.+区)$", text)
    if ward and ward.group(1) in names:
        return AreaMatch(original, names[ward.group(1)], "municipality")
    found = stems.get(text, [])
    if len(found) == 1:
        return AreaMatch(original, found[0].code, "municipality")
    if len(found) > 1:
        return AreaMatch(original, None, "ambiguous", tuple(m.name for m in found))
    sub = _SUBPREFECTURE.match(text)
    key = sub.group(1) if sub else None
    if key in subprefectures:
        return AreaMatch(original, None, "ambiguous", tuple(m.name for m in subprefectures[key]))
    return AreaMatch(original, None, "unknown")
