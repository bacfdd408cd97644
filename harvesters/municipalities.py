"""The registry of Hokkaido's 179 municipalities: the one list and the one
check digit of the whole project (the portal's ``ckanext.hokkaido.registry``
reads them from here).

The list ships as ``harvesters/data/municipalities.csv`` (from the national
local-government code list: code, names and readings, type, 振興局, official
homepage, town hall position) and is read once per process.

:func:`match_area` turns a Japanese area name as portals write it
(``ニセコ町``, ``北海道ニセコ町``, ``札幌市中央区``, ``北海道``) into a code,
and says why when it cannot (unknown name, or a name that fits several
municipalities such as ``釧路`` or a 振興局).

This module must never import ``ckan`` or ``ckanext``.
"""
from __future__ import annotations

import csv
import dataclasses
import functools
import re
import unicodedata
from pathlib import Path

__all__ = [
    "DATA_FILE",
    "PREFECTURE_CODE",
    "PREFECTURE_NAME",
    "AreaMatch",
    "Municipality",
    "by_code",
    "get",
    "prefecture",
    "is_valid_municipality_code",
    "municipality_check_digit",
    "is_hokkaido_code",
    "match_area",
    "municipalities",
    "name_of",
    "normalize_code",
]

DATA_FILE = Path(__file__).resolve().parent / "data" / "municipalities.csv"

PREFECTURE_CODE = "010006"
PREFECTURE_NAME = "北海道"

_CHECK_WEIGHTS = (6, 5, 4, 3, 2)


def municipality_check_digit(code5: str) -> int:
    """The check digit of a 5-digit local government code (JIS X 0402).

    ``(11 - (sum of digit * weight, weights 6,5,4,3,2) mod 11) mod 10``.
    """
    if len(code5) != 5 or not code5.isascii() or not code5.isdigit():
        raise ValueError(f"expected 5 digits, got {code5!r}")
    total = sum(int(d) * w for d, w in zip(code5, _CHECK_WEIGHTS))
    return (11 - total % 11) % 10


def is_valid_municipality_code(code: object) -> bool:
    """True for a 6-digit 全国地方公共団体コード with a correct check digit."""
    return (
        isinstance(code, str)
        and len(code) == 6
        and code.isascii()
        and code.isdigit()
        and municipality_check_digit(code[:5]) == int(code[5])
    )


@dataclasses.dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    name_kana: str
    type: str
    subprefecture: str
    code5: str = ""
    name_hiragana: str = ""
    homepage_url: str = ""
    lat: float | None = None
    lng: float | None = None

    @property
    def stem(self) -> str:
        """The name without its 市/町/村 suffix (``釧路`` for 釧路市 and 釧路町)."""
        return self.name[:-1] if self.name.endswith(("市", "町", "村")) and len(self.name) > 1 else self.name


def _float(value: str) -> float | None:
    return float(value) if value else None


@functools.lru_cache(maxsize=None)
def municipalities() -> tuple[Municipality, ...]:
    """The 179 municipalities in code order."""
    with DATA_FILE.open(encoding="utf-8", newline="") as handle:
        rows = [
            Municipality(code=row["code"], name=row["name"], name_kana=row["name_kana"], type=row["type"],
                         subprefecture=row["subprefecture"], code5=row["code5"],
                         name_hiragana=row["name_hiragana"], homepage_url=row["homepage_url"],
                         lat=_float(row["lat"]), lng=_float(row["lng"]))
            for row in csv.DictReader(handle)
        ]
    return tuple(sorted(rows, key=lambda m: m.code))


def prefecture() -> Municipality:
    """北海道 itself (the prefecture's inventory is published under its
    code): tracked beside the 179, never counted among them."""
    return Municipality(
        code=PREFECTURE_CODE, name=PREFECTURE_NAME, name_kana="ホッカイドウ", type="都道府県",
        subprefecture="北海道庁", code5=PREFECTURE_CODE[:5], name_hiragana="ほっかいどう",
        homepage_url="https://www.pref.hokkaido.lg.jp/", lat=43.0643, lng=141.3469)


@functools.lru_cache(maxsize=None)
def by_code() -> dict[str, Municipality]:
    return {m.code: m for m in municipalities()}


def get(code: str) -> Municipality | None:
    """The municipality of a 6-digit code (not the prefecture's)."""
    return by_code().get(code)


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
