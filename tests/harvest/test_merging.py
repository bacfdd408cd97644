"""The merging rules (``ckanext/hokkaido/harvest/merging.py``), without a
database: which fields a record sets, and how they meet the dataset as
CKAN holds it. Each test names, in a comment, the bad input it tries."""
from __future__ import annotations

from datetime import datetime, timezone

from harvesters.records import Record

from ckanext.hokkaido.harvest.merging import PREFECTURE_FIELDS, clean_tags, dataset_fields, merge

NOW = datetime(2026, 12, 7, tzinfo=timezone.utc)


def test_tags_are_made_acceptable():
    # Bad input: tags with characters CKAN refuses, a one-letter tag, duplicates.
    assert clean_tags(["子育て・教育", "水", "人口（総数）", "人口", "人口", "a/b", "x" * 150]) == [
        "子育て-教育", "人口-総数", "人口", "a-b", "x" * 100]


def test_local_edit_rules():
    # Bad input: a local value where the source now has none, a protected
    # field, and a field the previous harvest wrote and the source emptied.
    existing = {"title": "ローカル題名", "notes": "ローカル説明", "license_id": "cc-by", "tags": [{"name": "古い"}],
                "resources": [{"id": "r1", "url": "https://x/a.csv", "name": "a", "format": "CSV",
                               "description": "", "position": 0}],
                "category": "行政", "tag_string": "古い"}
    previous = {"title": "題名", "notes": "元の説明", "license_id": "cc-by", "tags": [{"name": "古い"}],
                "resources": []}
    fields = {"title": "新しい題名", "notes": "", "license_id": "", "tags": [{"name": "新"}],
              "resources": [{"url": "https://x/a.csv", "name": "A", "format": "CSV", "description": "d"}]}
    merged = merge(existing, fields, previous, ("title",))
    assert merged["title"] == "ローカル題名"  # protected
    assert merged["notes"] == "ローカル説明"  # edited locally, the source has none
    assert merged["license_id"] == ""  # not edited locally: the source's removal arrives
    assert merged["tags"] == [{"name": "新"}] and "tag_string" not in merged
    assert merged["resources"] == [{"id": "r1", "url": "https://x/a.csv", "name": "A", "format": "CSV",
                                    "description": "d", "position": 0}]  # same resource id
    assert merged["category"] == "行政"


def test_the_prefecture_s_fields_only_from_a_record_that_carries_them():
    # Bad input: a date in the future; a record carrying some of the prefecture's fields
    # (the others must be emptied, not left as they were), one carrying a field that is
    # the harvest's own (source_url: not taken from the record's fields).
    plain = Record("a1", "避難所", source_modified="2999-01-01", municipality_code="011002")
    fields = dataset_fields(plain, NOW)
    assert not set(PREFECTURE_FIELDS) & set(fields)  # a municipal portal's record: a steward's values stay
    assert fields["source_modified"] == ""  # in the future: not used
    carried = Record("a2", "避難所", source_url="https://portal.example/dataset/a2",
                     extras={"fields": {"agency_code": "011500", "serial_no": 7, "source_url": "https://x"}})
    fields = dataset_fields(carried, NOW)
    assert {f: fields[f] for f in PREFECTURE_FIELDS} == {
        **{f: "" for f in PREFECTURE_FIELDS}, "agency_code": "011500", "serial_no": "7"}
    assert fields["source_url"] == "https://portal.example/dataset/a2" and fields["source_identifier"] == "a2"
