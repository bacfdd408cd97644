"""The standard datasets' columns, and a file's headers matched to them.

``data/standard_columns.csv`` holds the columns of ten 自治体標準オープンデー
タセット in both editions (the current one, whose headers start
``全国地方公共団体コード, ID, 地方公共団体名…``, and the older 推奨データセット,
``都道府県コード又は市区町村コード, NO, 都道府県名, 市区町村名…``), gathered from
public sources (``shared/reference/standard_columns.md`` names them).

A header is matched honestly: by its name once folded (NFKC: full- and
half-width alike; spaces and line breaks dropped; a note in brackets such
as the datum 「（世界測地系）」 or 「（プルダウンから選択）」 dropped), then by the
older edition's name of the same column, then by the spellings real files
use (所在地_連結標記, 地方公共団体コード, English headers such as
``localgov_code``, ``latitude``). Nothing else is guessed: what does not
match is reported, and a file whose headers do not make the standard
dataset (no name column, no place) is reported as not being it.

Pure: no database, no CKAN.
"""
from __future__ import annotations

import csv
import dataclasses
import functools
import os
import re
import unicodedata
from typing import Optional, Sequence

__all__ = ["Definition", "Match", "definitions", "definition", "fold", "match", "find_header",
           "CODE", "LAT", "LNG", "ADDRESS"]

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "standard_columns.csv")

CODE, LAT, LNG, ADDRESS = "全国地方公共団体コード", "緯度", "経度", "所在地_連結表記"

#: the older edition's name → the current edition's, for every dataset
OLD_NAMES = {
    "都道府県コード又は市区町村コード": CODE,
    "NO": "ID",
    "市区町村名": "地方公共団体名",
    "都道府県名": "所在地_都道府県",
    "住所": ADDRESS,
    "方書": "建物名等(方書)",
    "名称_英語": "名称_英字",
    "利用可能時間特記事項": "利用可能日時特記事項",
    "多機能トイレ数": "バリアフリートイレ数",
}
#: spellings seen in real files → the current edition's name
VARIANTS = {
    "所在地_連結標記": ADDRESS,
    "所在地": ADDRESS,
    "地方公共団体コード": CODE,
    "市区町村コード": CODE,
    "建物名等_方書": "建物名等(方書)",
    "画像ライセンス": "画像_ライセンス",
    "番号": "ID",
    # English headers some municipalities publish
    "localgov_code": CODE, "lg_code": CODE, "id": "ID", "no": "ID", "name": "名称", "name_kana": "名称_カナ",
    "name_en": "名称_英字", "address": ADDRESS, "latitude": LAT, "lat": LAT, "longitude": LNG, "lon": LNG,
    "lng": LNG, "tel": "電話番号", "phone": "電話番号", "telephone": "電話番号", "url": "URL",
    "remarks": "備考", "note": "備考", "notes": "備考", "postal_code": "郵便番号", "zip": "郵便番号",
    "municipality_name": "地方公共団体名", "localgov_name": "地方公共団体名",
}
# a bracketed note that is no part of a column's name: the datum, an input hint
_NOTE = re.compile(r"\((?:[^()]*(?:測地系|WGS|JGD|世界|日本|選択|10進|十進|度|半角|全角|例|任意|必須)[^()]*)\)", re.I)


def fold(header: str) -> str:
    """A header as compared: NFKC, without spaces, line breaks and notes."""
    text = unicodedata.normalize("NFKC", str(header or "")).replace("\ufeff", "")
    text = re.sub(r"\s+", "", text)
    text = _NOTE.sub("", text).replace("※", "")
    return text.lower() if text.isascii() else text


@dataclasses.dataclass(frozen=True)
class Definition:
    """One standard dataset: its number, name, the current edition's columns
    (in order), the required ones, and the older edition's columns."""

    no: str
    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    old_columns: tuple[str, ...]

    @functools.cached_property
    def lookup(self) -> dict[str, str]:
        """folded name → current column: its own names, the older edition's,
        the spellings of real files."""
        found: dict[str, str] = {}
        current = set(self.columns)
        for column in self.columns:
            found[fold(column)] = column
        for old, new in list(OLD_NAMES.items()) + list(VARIANTS.items()):
            if new in current:
                found.setdefault(fold(old), new)
        for old in self.old_columns:   # an older column of the same name
            if old in current:
                found.setdefault(fold(old), old)
        return found

    @property
    def name_columns(self) -> tuple[str, ...]:
        """The columns that name a row (名称, 介護サービス事業所名称 …)."""
        return tuple(c for c in self.columns if c.endswith("名称") and not c.startswith("所在地"))


@functools.lru_cache(maxsize=1)
def definitions() -> dict[str, Definition]:
    """number → :class:`Definition` for the ten standard datasets."""
    rows: dict[str, dict] = {}
    with open(DATA, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            entry = rows.setdefault(row["no"], {"name": row["dataset"], "current": [], "old": [], "required": []})
            key = "old" if row["edition"] == "old" else "current"
            entry[key].append((int(row["order"]) if row["order"] else 10_000, row["column"]))
            if key == "current" and row["required"] == "必須":
                entry["required"].append(row["column"])
    return {no: Definition(no, e["name"], tuple(c for _o, c in sorted(e["current"], key=lambda x: x[0])),
                           tuple(e["required"]), tuple(c for _o, c in sorted(e["old"], key=lambda x: x[0])))
            for no, e in sorted(rows.items())}


def definition(no: str) -> Optional[Definition]:
    return definitions().get(str(no).zfill(2))


@dataclasses.dataclass
class Match:
    """How a table's headers match a standard dataset.

    :ivar columns: header → current column, for the headers matched
    :ivar unmatched: headers that match no column (left out of the merge)
    :ivar missing: required columns no header gives
    :ivar edition: ``current``, ``old``, ``mixed`` or ``unknown`` (whose
        names only one edition has)
    :ivar is_standard: whether the table is the dataset at all (a name
        column, and a place: an address or both coordinates)
    :ivar reason: why not, when it is not
    """

    columns: dict[str, str]
    unmatched: list[str]
    missing: list[str]
    edition: str
    is_standard: bool
    reason: str = ""

    def report(self) -> dict:
        return {"columns": self.columns, "unmatched": self.unmatched, "missing": self.missing,
                "edition": self.edition, "is_standard": self.is_standard, "reason": self.reason}


def match(headers: Sequence[str], spec: Definition) -> Match:
    """Match ``headers`` to ``spec`` (see the module's docs)."""
    columns: dict[str, str] = {}
    unmatched: list[str] = []
    taken: set[str] = set()
    current_names = {fold(c) for c in spec.columns}
    old_names = ({fold(c) for c in spec.old_columns} | {fold(k) for k in OLD_NAMES}) - current_names
    current_only = current_names - {fold(c) for c in spec.old_columns}
    editions = set()
    for header in headers:
        folded = fold(header)
        target = spec.lookup.get(folded)
        if target is None or target in taken:
            unmatched.append(header)
            continue
        columns[header] = target
        taken.add(target)
        if folded in old_names:
            editions.add("old")
        elif folded in current_only:
            editions.add("current")
    edition = "mixed" if len(editions) > 1 else (editions.pop() if editions else "unknown")
    missing = [c for c in spec.required if c not in taken]
    has_name = any(c in taken for c in spec.name_columns)
    has_place = ADDRESS in taken or (LAT in taken and LNG in taken)
    reason = ""
    if not has_name:
        reason = "no name column (名称) / 名称の列がありません"
    elif not has_place:
        reason = "no address or coordinates / 所在地も緯度・経度もありません"
    elif len(taken) < 3:
        reason = "fewer than three columns of the standard dataset / 標準データセットの列が3つ未満です"
    return Match(columns, unmatched, missing, edition, not reason, reason)


def find_header(columns: Sequence[str], first_rows: Sequence[Sequence[str]], spec: Definition,
                look: int = 5) -> tuple[int, Match]:
    """The header of a table whose file may have a title and a date above
    it: ``-1`` when the loaded column names are the header, else the index
    of the row among ``first_rows`` that is; with its :class:`Match`."""
    best = (-1, match(columns, spec))
    if best[1].is_standard:
        return best
    for index, row in enumerate(first_rows[:look]):
        found = match([str(v or "") for v in row], spec)
        if found.is_standard and len(found.columns) > len(best[1].columns):
            best = (index, found)
    return best
