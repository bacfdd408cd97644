"""The portal's registry: Hokkaido's 179 municipalities and the standard
datasets.

The municipalities are :mod:`harvesters.municipalities` (one CSV, one check
digit, shared with the adapters, which must not import CKAN); the standard
datasets, the Digital Agency's 自治体標準オープンデータセット, ship here
(``data/standard_datasets.csv``). Both are read once per process.
"""
from __future__ import annotations

import csv
import functools
import os
from typing import NamedTuple, Optional

from harvesters.municipalities import (
    PREFECTURE_CODE,
    PREFECTURE_NAME,
    Municipality,
    by_code,
    get,
    is_valid_municipality_code,
    municipalities,
    name_of,
    prefecture,
)

__all__ = [
    "PREFECTURE_CODE", "PREFECTURE_NAME", "Municipality", "by_code", "get",
    "is_valid_code", "municipalities", "name_of", "prefecture",
    "STANDARD_TAGS", "StandardDataset", "standard_datasets", "standard_dataset_of",
]

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")

# the municipalities: one list and one check digit for the whole project
is_valid_code = is_valid_municipality_code


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
