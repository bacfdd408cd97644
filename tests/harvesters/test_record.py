"""Record normalisation, content_hash and municipality codes.

Each test names, in a comment, the bad input it tries."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harvesters.municipalities import is_valid_municipality_code, municipality_check_digit
from harvesters.records import Record

REPO = Path(__file__).resolve().parents[2]


def sample(**changes) -> Record:
    fields = dict(
        identifier="0b8f2c1e-1111-4c59-9a55-0c6e7c3c1a11",
        title="人口統計（町丁目別）",
        notes="札幌市の人口です。\n毎月更新します。",
        tags=["人口", "統計"],
        license_id="cc-by",
        license_title="クリエイティブ・コモンズ 表示",
        resources=[{"url": "https://example.org/a.csv", "name": "人口.csv", "format": "CSV", "description": "町丁目別"}],
        source_url="https://data.example.jp/dataset/population",
        source_modified="2024-04-01T09:00:00.000000",
        municipality_code="011002",
        extras={"organization": "sapporo-city", "source_extras": {"b": 2, "a": 1}},
    )
    fields.update(changes)
    return Record(**fields)


def test_content_hash_is_stable_and_well_formed():
    # Bad input: none; two equal records built separately.
    first, second = sample(), sample()
    assert first.content_hash() == second.content_hash()
    assert len(first.content_hash()) == 64 and int(first.content_hash(), 16) >= 0


def test_content_hash_pinned():
    # Bad input: a change to the canonical form, which would make every stored
    # hash look stale and re-import every record. Update deliberately only (last:
    # source_modified joined the hash, so that a re-publication with a new date only
    # is imported).
    assert sample().content_hash() == "4008dbd8458283c1ee143ea0d740c34a2a913960be4ffce8db329f9d68c50515"


def test_content_hash_same_in_another_process():
    # Bad input: a different PYTHONHASHSEED (set/dict ordering must not leak in).
    code = (
        "import json,sys; from harvesters.records import Record; "
        "print(Record(**json.loads(sys.argv[1])).content_hash())"
    )
    record = sample()
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    output = subprocess.run(
        [sys.executable, "-c", code, json.dumps(record.to_dict())],
        cwd=REPO, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert output == record.content_hash()


def test_content_hash_ignores_order_of_keys_and_tags():
    # Bad input: the same content with tags, extras keys and resource keys in another order.
    reordered = sample(
        tags=["統計", "人口", "人口"],
        resources=[{"description": "町丁目別", "format": "CSV", "name": "人口.csv", "url": "https://example.org/a.csv"}],
        extras={"source_extras": {"a": 1, "b": 2}, "organization": "sapporo-city"},
    )
    assert reordered.content_hash() == sample().content_hash()


def test_content_hash_ignores_insignificant_whitespace():
    # Bad input: CRLF line ends and padding that a source adds on re-save.
    padded = sample(title="  人口統計（町丁目別） ", notes="札幌市の人口です。\r\n毎月更新します。\r\n")
    assert padded.content_hash() == sample().content_hash()


@pytest.mark.parametrize(
    "change",
    [
        {"identifier": "another-id"},
        {"title": "人口統計（区別）"},
        {"notes": "説明を変更"},
        {"tags": ["人口"]},
        {"license_id": "cc-by-4.0"},
        {"resources": [{"url": "https://example.org/b.csv", "name": "人口.csv", "format": "CSV",
                        "description": "町丁目別"}]},
        {"resources": []},
        {"source_url": "https://data.example.jp/dataset/other"},
        {"municipality_code": "012025"},
        {"municipality_code": None},
        {"extras": {"organization": "sapporo-city", "source_extras": {"b": 3, "a": 1}}},
    ],
)
def test_content_hash_changes_with_content(change):
    # Bad input: a record that differs in one field from the sample.
    assert sample(**change).content_hash() != sample().content_hash()


def test_content_hash_follows_source_modified():
    # Bad input: a source that re-publishes the same data with a new date only; the portal
    # must import it, or the tracker keeps the old date (issue 14).
    assert sample(source_modified="2025-01-01T00:00:00").content_hash() != sample().content_hash()


def test_record_normalises_fields():
    # Bad input: duplicate/blank tags, resources with missing and extra keys, None notes.
    record = sample(
        notes=None,
        tags=[" 統計", "", "人口", "統計"],
        resources=[{"url": " https://example.org/x.csv ", "format": "CSV", "size": 10}],
        license_title="",
    )
    assert record.notes == ""
    assert record.tags == ["人口", "統計"]
    assert record.resources == [{"url": "https://example.org/x.csv", "name": "", "format": "CSV", "description": ""}]
    assert record.license_title is None
    assert json.loads(json.dumps(record.to_dict())) == record.to_dict()
    assert [f.name for f in dataclasses.fields(Record)] == [
        "identifier", "title", "notes", "tags", "license_id", "license_title", "resources",
        "source_url", "source_modified", "municipality_code", "extras",
    ]


@pytest.mark.parametrize("code", ["011001", "01100", "0110020", "０１１００２", "01100A"])
def test_record_rejects_bad_municipality_code(code):
    # Bad input: a wrong check digit, wrong length, full-width digits, a letter.
    with pytest.raises(ValueError, match="invalid municipality code"):
        sample(municipality_code=code)


def test_record_requires_identifier():
    # Bad input: a blank identifier.
    with pytest.raises(ValueError, match="identifier"):
        sample(identifier="  ")


@pytest.mark.parametrize("code", ["010006", "011002", "012025", "012050", "014257", "016101", "013439"])
def test_valid_municipality_codes(code):
    # Bad input: none; real codes: 北海道, 札幌市, 函館市, 室蘭市, 上砂川町, 新ひだか町, 鹿部町.
    assert is_valid_municipality_code(code)


@pytest.mark.parametrize("code", ["010005", "011003", "014250", "", None, 11002, "11002", "0110021"])
def test_invalid_municipality_codes(code):
    # Bad input: wrong check digits, missing leading zero, non-strings, wrong length.
    assert not is_valid_municipality_code(code)


def test_check_digit_formula():
    # Bad input: none; the worked example 01425 -> 7 (上砂川町 014257).
    assert municipality_check_digit("01425") == 7
    with pytest.raises(ValueError):
        municipality_check_digit("0142")
