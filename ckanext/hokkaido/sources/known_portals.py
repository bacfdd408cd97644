"""The portals we know of (``data/known_portals.csv``): a harvest source for
each (``ckan hokkaido register-known-portals``).

Each known platform maps to one of our harvesters. Municipalities that
publish on the shared HARP portal are covered by the one HARP source
(owned by the prefecture), whose datasets are attributed by area names.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from typing import Any, Optional

from ckan import model
from ckan.plugins import toolkit

from ckanext.hokkaido import registry
from ckanext.hokkaido.sources import registration

__all__ = ["KNOWN_PORTALS", "KnownSource", "RegisterReport", "known_sources", "register_known_portals"]

KNOWN_PORTALS = os.path.join(registry.DATA_DIR, "known_portals.csv")


@dataclass
class KnownSource:
    code: str
    title: str
    url: str
    source_type: str
    config: dict[str, Any]

    @property
    def name(self) -> str:
        return f"{self.code}-{self.source_type.replace('hokkaido_', '').replace('_', '-')}"


@dataclass
class RegisterReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"created {len(self.created)}, already registered "
                f"{len(self.existing)}, skipped {len(self.skipped)}")


def _source_for(row: dict[str, str]) -> tuple[Optional[KnownSource], str]:
    """The harvest source for one known_portals.csv row, or why none."""
    code, name, platform = row["code"], row["name"], row["platform"]
    url = row["portal_or_dataset_url"]
    if "SHIRASAGI" in platform:
        return KnownSource(code, "HARP 北海道オープンデータポータル", url,
                           "hokkaido_shirasagi", {}), ""
    if platform.startswith("HARP"):
        return None, f"{name}: HARP で公開（HARP の収集元に含まれる / covered by the HARP source)"
    if platform.startswith("BODIK"):
        return KnownSource(code, f"BODIK ODCS（{name}）", "https://data.bodik.jp/",
                           "hokkaido_ckan",
                           {"municipality_code": code, "fq": f"name:{code}_*"}), ""
    if platform.startswith("CKAN"):
        return KnownSource(code, f"{name} CKAN", url, "hokkaido_ckan",
                           {"municipality_code": code}), ""
    if platform.startswith("ArcGIS"):
        return KnownSource(code, f"{name} ArcGIS Hub", url, "hokkaido_dcat",
                           {"municipality_code": code}), ""
    if platform.startswith("own web page"):
        return KnownSource(code, f"{name} オープンデータ（ウェブページ）", url,
                           "hokkaido_webpage", {"municipality_code": code}), ""
    return None, f"{name}: 未対応の種類 / unsupported platform {platform!r}"


def known_sources() -> tuple[list[KnownSource], list[str]]:
    sources, skipped = [], []
    with open(KNOWN_PORTALS, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            source, why = _source_for(row)
            if source is None:
                skipped.append(why)
            else:
                sources.append(source)
    return sources, skipped


def register_known_portals(user: str) -> RegisterReport:
    """Register a harvest source per known portal, through
    :func:`~ckanext.hokkaido.sources.registration.register` (a portal
    registered already, by its rule, is counted as such: idempotent).

    The owning organization (the municipality's, or the prefecture's for a
    shared portal) must exist: run ``ckan hokkaido init`` first.
    """
    report = RegisterReport()
    sources, report.skipped = known_sources()
    for source in sources:
        if registration.registered_at(source.url, source.config.get("municipality_code")):
            report.existing.append(source.name)
            continue
        org = model.Group.get(source.code)
        if org is None or org.state != "active":
            raise toolkit.ObjectNotFound(
                f"組織 {source.code} がありません（先に ckan hokkaido init） / "
                f"no organization {source.code}: run `ckan hokkaido init` first")
        registration.register(source.source_type.replace("hokkaido_", "", 1), source.url, source.config,
                              source.code, user, name=source.name, title=source.title)
        report.created.append(source.name)
    return report
