"""Setting up the portal's mission: the organizations of the prefecture and
its 179 municipalities (``ckan hokkaido init``), and harvest sources for the
portals we know of (``ckan hokkaido register-known-portals``, from
data/known_portals.csv).

Each known platform maps to one of our harvesters. Municipalities that
publish on the shared HARP portal are covered by the one HARP source
(owned by the prefecture), whose datasets are attributed by area names.
"""
from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from ckan import model
from ckan.plugins import toolkit

from ckanext.hokkaido import registry


# -- organizations ----------------------------------------------------------

@dataclass
class InitReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"created {len(self.created)}, updated {len(self.updated)}, "
                f"unchanged {len(self.unchanged)}")


def organization_extras(m: Optional[registry.Municipality]) -> dict[str, str]:
    """The registry's columns as organization extras."""
    if m is None:
        return {"code": registry.PREFECTURE_CODE, "municipality_type": "都道府県"}
    return {"code": m.code, "code5": m.code5, "name_kana": m.name_kana,
            "name_hiragana": m.name_hiragana, "municipality_type": m.type,
            "subprefecture": m.subprefecture, "homepage_url": m.homepage_url,
            "lat": "" if m.lat is None else str(m.lat),
            "lng": "" if m.lng is None else str(m.lng)}


def init_organizations(user: str,
                       progress: Optional[Callable[[int, int], None]] = None
                       ) -> InitReport:
    """Create the 180 organizations; idempotent.

    An existing organization keeps its title (a steward may have edited it)
    and its other extras; only missing registry extras are added. Nothing
    is ever deleted; a deleted organization is brought back.
    """
    report = InitReport()
    entries = [(registry.PREFECTURE_CODE, registry.PREFECTURE_NAME, None)]
    entries += [(m.code, m.name, m) for m in registry.municipalities()]
    context = lambda: {"user": user, "model": model, "session": model.Session}
    for done, (code, name, m) in enumerate(entries, start=1):
        wanted = {k: v for k, v in organization_extras(m).items() if v}
        org = model.Group.get(code)
        if org is None:
            toolkit.get_action("organization_create")(context(), {
                "name": code, "title": name,
                "extras": [{"key": k, "value": v} for k, v in wanted.items()]})
            report.created.append(code)
        else:
            current = dict(org.extras)
            missing = {k: v for k, v in wanted.items() if k not in current}
            if missing or org.state != "active":
                data = {"id": org.id,
                        "extras": [{"key": k, "value": v} for k, v in
                                   dict(current, **missing).items()]}
                if org.state != "active":
                    data["state"] = "active"
                toolkit.get_action("organization_patch")(context(), data)
                report.updated.append(code)
            else:
                report.unchanged.append(code)
        if progress:
            progress(done, len(entries))
    return report


# -- known portals -----------------------------------------------------------

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
    """Register a harvest source per known portal; idempotent by URL+type.

    The owning organization (the municipality's, or the prefecture's for a
    shared portal) must exist: run ``ckan hokkaido init`` first.
    """
    report = RegisterReport()
    sources, report.skipped = known_sources()
    from ckanext.harvest.model import HarvestSource
    registered = {(s.url.rstrip("/"), s.type) for s in
                  model.Session.query(HarvestSource).filter(HarvestSource.active)}
    for source in sources:
        if (source.url.rstrip("/"), source.source_type) in registered:
            report.existing.append(source.name)
            continue
        org = model.Group.get(source.code)
        if org is None or org.state != "active":
            raise toolkit.ObjectNotFound(
                f"組織 {source.code} がありません（先に ckan hokkaido init） / "
                f"no organization {source.code}: run `ckan hokkaido init` first")
        toolkit.get_action("harvest_source_create")({"user": user}, {
            "name": source.name, "title": source.title, "url": source.url,
            "source_type": source.source_type, "frequency": "DAILY",
            "config": json.dumps(source.config, ensure_ascii=False),
            "owner_org": source.code})
        report.created.append(source.name)
    return report
