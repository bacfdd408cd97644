"""The registry of Hokkaido's 179 municipalities and the standard datasets.

Both lists ship with the extension (``data/*.csv``, copied from public
sources: the national local-government code list and the Digital Agency's
自治体標準オープンデータセット) and are read once per process.
"""
from __future__ import annotations

import csv
import functools
import os
from typing import NamedTuple, Optional

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")

PREFECTURE_CODE = "010006"
PREFECTURE_NAME = "北海道"

_WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(code5: str) -> int:
    """Check digit of a 5-digit 全国地方公共団体コード (JIS X 0402)."""
    total = sum(int(d) * w for d, w in zip(code5, _WEIGHTS))
    return (11 - total % 11) % 10


def is_valid_code(code: str) -> bool:
    """True for a 6-digit local-government code whose check digit is right."""
    return (isinstance(code, str) and len(code) == 6 and code.isdigit()
            and check_digit(code[:5]) == int(code[5]))


class Municipality(NamedTuple):
    code: str
    code5: str
    name: str
    name_kana: str
    name_hiragana: str
    type: str
    subprefecture: str
    homepage_url: str
    lat: Optional[float]
    lng: Optional[float]


def _float(value: str) -> Optional[float]:
    return float(value) if value else None


@functools.lru_cache(maxsize=None)
def municipalities() -> tuple[Municipality, ...]:
    """The 179 municipalities, in code order."""
    with open(os.path.join(DATA_DIR, "municipalities.csv"),
              encoding="utf-8", newline="") as f:
        rows = [Municipality(
            code=r["code"], code5=r["code5"], name=r["name"],
            name_kana=r["name_kana"], name_hiragana=r["name_hiragana"],
            type=r["type"], subprefecture=r["subprefecture"],
            homepage_url=r["homepage_url"], lat=_float(r["lat"]),
            lng=_float(r["lng"])) for r in csv.DictReader(f)]
    return tuple(sorted(rows, key=lambda m: m.code))


def prefecture() -> Municipality:
    """北海道 itself (the prefecture's inventory is published under its
    code): tracked beside the 179, never counted among them."""
    return Municipality(
        code=PREFECTURE_CODE, code5=PREFECTURE_CODE[:5], name=PREFECTURE_NAME,
        name_kana="ホッカイドウ", name_hiragana="ほっかいどう", type="都道府県",
        subprefecture="北海道庁", homepage_url="https://www.pref.hokkaido.lg.jp/",
        lat=43.0643, lng=141.3469)


@functools.lru_cache(maxsize=None)
def by_code() -> dict[str, Municipality]:
    return {m.code: m for m in municipalities()}


def get(code: str) -> Optional[Municipality]:
    return by_code().get(code)


def name_of(code: str) -> Optional[str]:
    """Japanese name for a municipality code, or for the prefecture."""
    if code == PREFECTURE_CODE:
        return PREFECTURE_NAME
    m = get(code)
    return m.name if m else None


class StandardDataset(NamedTuple):
    no: str
    name: str


@functools.lru_cache(maxsize=None)
def standard_datasets() -> tuple[StandardDataset, ...]:
    """自治体標準オープンデータセット with a known name (gaps are skipped)."""
    with open(os.path.join(DATA_DIR, "standard_datasets.csv"),
              encoding="utf-8", newline="") as f:
        return tuple(StandardDataset(r["no"], r["name"])
                     for r in csv.DictReader(f)
                     if r["no"].isdigit())


#: tags by which a publisher marks a dataset as one of the standard datasets
STANDARD_TAGS = ("自治体標準ODS", "推奨データセット")


def standard_dataset_of(title: str, notes: str = "",
                        tags: "tuple[str, ...] | list[str]" = ()) -> Optional[str]:
    """The one rule that decides which standard dataset a dataset is.

    A dataset is standard dataset N when its title contains N's name (「AED設置
    箇所一覧（令和6年）」 is 08), or when it carries one of ``STANDARD_TAGS``
    and its description contains N's name. When several names match, the
    longest wins (it is the more specific). A publisher's own choice in the
    ``standard_dataset`` field always comes first: this rule only fills the
    field when it is empty (``hokkaido_standard_dataset`` validator), so the
    search facet and the tracker both read the stored field.
    """
    by_length = sorted(standard_datasets(), key=lambda s: -len(s.name))
    for s in by_length:
        if s.name in (title or ""):
            return s.no
    if any(t in STANDARD_TAGS for t in tags):
        for s in by_length:
            if s.name in (notes or ""):
                return s.no
    return None
