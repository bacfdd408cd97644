"""How a harvested record becomes a dataset's fields, and how those fields
meet the dataset as it is: pure functions, no database (tested without one,
``tests/harvest/test_merging.py``).

:func:`dataset_fields` are the fields a record sets; :func:`merge` applies
them to the dataset CKAN holds, by the local-edit rules:

    An update starts from the dataset as it is in CKAN, so fields the
    source does not carry (分類, 更新頻度, …) are never touched. For the
    harvested fields the source wins, except: a field listed in
    ``not_overwrite_fields`` keeps its local value once it has one, and a
    field the source leaves empty keeps a value a steward entered locally
    (one that differs from what the previous harvest wrote).
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Optional

from harvesters.records import Record
from harvesters.util import read_modified

from ckanext.hokkaido import licences

__all__ = ["PREFECTURE_FIELDS", "PROTECTABLE_FIELDS", "clean_tags", "dataset_fields", "harvested_licence",
           "merge", "merge_resources"]

#: The prefecture's fields a harvest writes when a record carries them (a
#: Hokkaido portal's DCAT: ``extras["fields"]``, see ``harvesters.dcat``):
#: the inventory's columns, the homepage and the standard dataset. The
#: municipality and the ``source_*`` fields are the harvest's own: they name
#: where this harvest read the dataset.
PREFECTURE_FIELDS = ("agency_code", "serial_no", "department", "section", "category", "record_count",
                     "update_frequency", "file_format", "file_format_2", "fee", "publishable", "homepage_url",
                     "standard_dataset")

#: Harvested fields a source config may protect with ``not_overwrite_fields``.
PROTECTABLE_FIELDS = ("title", "notes", "tags", "license_id", "resources")

_TAG_FORBIDDEN = re.compile(r"[^\w \-.]+", re.UNICODE)


def clean_tags(tags: list[str]) -> list[str]:
    """Tags CKAN accepts: characters other than letters, digits, space,
    ``-``, ``_`` and ``.`` become ``-`` (``子育て・教育`` → ``子育て-教育``),
    2 to 100 characters, no duplicates."""
    cleaned: list[str] = []
    for tag in tags:
        text = _TAG_FORBIDDEN.sub("-", tag).strip(" -")[:100].strip(" -")
        if len(text) >= 2 and text not in cleaned:
            cleaned.append(text)
    return cleaned


def harvested_licence(record: Record) -> tuple[str, Optional[str]]:
    """The dataset's ``license_id`` for a harvested record: the portal's
    licence the source's id, URL or name means (:func:`licences.resolve`).
    A licence it cannot map is kept as the source gave it (CKAN shows an
    unknown id as it is) and returned second, for the run's report."""
    given = record.license_id or record.license_title
    if not given:
        return "", None
    known = licences.resolve(record.license_id, record.license_title)
    if known is not None:
        return known, None
    return given[:200], given


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _comparable(field: str, value: Any) -> Any:
    """A value of a harvested field in a form that compares across dicts."""
    if field == "tags":
        return sorted(t["name"] if isinstance(t, dict) else str(t) for t in value or [])
    if field == "resources":
        return [tuple(str(r.get(k) or "") for k in ("url", "name", "format", "description")) for r in value or []]
    return value or ""


def dataset_fields(record: Record, now: datetime | None = None) -> dict[str, Any]:
    """The harvested fields of a dataset (scheming field names): CKAN's,
    the municipality, where it was read and, when the record carries
    them, every one of :data:`PREFECTURE_FIELDS` (empty where the source
    has none, so that a value the source removed goes too). ``now``
    decides which of the source's dates lie in the future."""
    carried = record.extras.get("fields")
    prefecture = {field: str(carried.get(field) or "") for field in PREFECTURE_FIELDS} \
        if isinstance(carried, dict) else {}
    return {
        **prefecture,
        "title": record.title,
        "notes": record.notes,
        "tags": [{"name": tag} for tag in clean_tags(record.tags)],
        "license_id": harvested_licence(record)[0],
        "resources": [dict(resource) for resource in record.resources],
        "municipality_code": record.municipality_code,
        "source_url": record.source_url or "",
        "source_identifier": record.identifier,
        "source_modified": read_modified(record.source_modified, now or datetime.now(timezone.utc))[0] or "",
    }


def merge(existing: dict[str, Any], fields: dict[str, Any], previous: dict[str, Any] | None,
          protected: tuple[str, ...]) -> dict[str, Any]:
    """The update of ``existing`` with harvested ``fields`` (the module docs);
    ``previous`` are the fields the last import wrote."""
    data = dict(existing)
    data.pop("tag_string", None)
    for field, value in fields.items():
        local = existing.get(field)
        if field in protected and not _empty(local):
            continue
        if _empty(value) and not _empty(local) and (
                previous is None or _comparable(field, local) != _comparable(field, previous.get(field))):
            continue  # the source has nothing, a steward filled it in
        if field == "resources":
            value = merge_resources(local or [], value)
        data[field] = value
    return data


def merge_resources(local: list[dict[str, Any]], harvested: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Harvested resources, reusing the local resource with the same URL
    (its id and any locally added fields stay)."""
    unused = list(local)
    merged = []
    for resource in harvested:
        match = next((r for r in unused if r.get("url") == resource["url"]), None)
        if match is not None:
            unused.remove(match)
            merged.append({**match, **resource})
        else:
            merged.append(dict(resource))
    return merged
