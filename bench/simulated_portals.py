"""The simulated prefecture of bench/simulated_prefecture.py: who publishes
where, and the portals that serve it (no CKAN import here).

:func:`plan_prefecture` gives each municipality a *role* (how it publishes,
or fails to) and a number of datasets; :func:`install` mounts every portal
on one :class:`~tests.fakes.portal_server.PortalServer`, each under its
own path prefix, in its real format, through the fixture servers of the
harvester tests:

============================  ==================================================
kind                          served as
============================  ==================================================
own CKAN portal               :class:`~tests.fakes.ckan.FakeCkan` under
                              ``/ckan/<code>/api/3/action/`` (札幌市 always one)
BODIK-like shared CKAN        one FakeCkan under ``/bodik/``: every participating
                              municipality's datasets named ``<code>_…`` in the
                              organization ``hokkaido-<code>``, plus other
                              prefectures' datasets; one source per municipality
                              filtered by ``fq`` (half by name, half by organization)
HARP (SHIRASAGI), shared      one :class:`~tests.fakes.shirasagi.FakeShirasagi`
                              under ``/harp/opendata/api/``: packages attributed by
                              ``areas[]`` (the prefecture's own as ``北海道``); one
                              source owned by 北海道 (010006)
ArcGIS Hub                    a DCAT-US 1.1 feed per municipality at
                              ``/hub/<code>/api/feed/dcat-us/1.1.json``
オープンデータ一覧              a catalog file per municipality under ``/catalog/<code>/``:
                              new 自治体標準 or old 推奨データセット template, UTF-8,
                              UTF-8 with BOM, Shift_JIS or XLSX
web page                      an HTML page of file links grouped by headings under
                              ``/web/<code>/`` (Shift_JIS, EUC-JP or UTF-8), some
                              spread over sub-pages read with ``follow: 1``
============================  ==================================================

Failures are served as a real portal fails: HTTP 500, an answer slower than
the harvest timeout, a catalog file gone (404), a CKAN site answering its
maintenance page (HTML with status 200). "Stale" municipalities serve only
modification dates older than 14 months; "fresh" ones at least one within
the last 120 days. Web pages carry no dates, so a harvested page counts as
changed on the day it was harvested (公開中).

The expected tracker status of each municipality follows from what is
served (:attr:`Municipality.expected`), stated here independently of
``ckanext/hokkaido/tracker/``.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import random
from typing import Any, Optional

from ckanext.hokkaido import registry
from tests.fakes.ckan import FakeCkan, make_dataset, make_organization
from tests.fakes.shirasagi import FakeShirasagi, make_package
from tests.fakes.portal_server import PortalRequest, PortalResponse, PortalServer, json_response, text_response
from tests.fakes.catalog import NEW_HEADER, OLD_HEADER, new_row, to_csv, to_xlsx
from tests.fakes.dcat import hub_dataset, hub_feed

__all__ = ["ROLES", "Municipality", "Source", "Prefecture", "plan_prefecture", "install"]

PUBLISHING, STALE, HARVEST_ERROR, ELSEWHERE, UNKNOWN = "公開中", "更新停滞", "取得エラー", "他サイトで公開", "未確認"
STATUS_ORDER = (PUBLISHING, STALE, ELSEWHERE, HARVEST_ERROR, UNKNOWN)

SAPPORO = "011002"
PREFECTURE = registry.PREFECTURE_CODE

#: role → (municipalities out of 179, dataset weight, what it is). The
#: weight scales a municipality's share of the datasets (0: serves none).
ROLES: dict[str, tuple[int, float, str]] = {
    "ckan": (8, 3.0, "own CKAN portal"),
    "ckan_stale": (1, 3.0, "own CKAN portal, nothing modified for over a year"),
    "bodik": (24, 1.5, "BODIK-like shared CKAN, own source with fq"),
    "bodik_stale": (2, 1.5, "BODIK-like shared CKAN, old dates only"),
    "harp": (36, 1.0, "HARP (SHIRASAGI) only, attributed by area"),
    "harp_stale": (4, 1.0, "HARP only, old dates only"),
    "dcat": (7, 1.0, "ArcGIS Hub DCAT-US feed"),
    "dcat_stale": (1, 1.0, "ArcGIS Hub feed, old dates only"),
    "catalog": (18, 0.8, "catalog CSV/XLSX (オープンデータ一覧)"),
    "catalog_stale": (2, 0.8, "catalog file, old dates only"),
    "webpage": (17, 0.5, "web page of file links (no dates)"),
    "fail_ckan_500": (1, 0, "own CKAN answering HTTP 500"),
    "fail_ckan_maintenance": (1, 0, "own CKAN answering an HTML maintenance page"),
    "fail_dcat_timeout": (1, 0, "ArcGIS Hub slower than the harvest timeout"),
    "fail_catalog_404": (1, 0, "catalog file gone (404)"),
    "fail_catalog_500": (1, 0, "catalog file answering HTTP 500"),
    "fail_webpage_500": (1, 0, "web page answering HTTP 500"),
    "fail_webpage_timeout": (1, 0, "web page slower than the harvest timeout"),
    "ckan_and_failing_catalog": (1, 3.0, "own CKAN fine, its catalog file 500"),
    "harp_and_failing_webpage": (1, 1.0, "fresh on HARP, its own page 500 (its only source)"),
    "elsewhere": (3, 0, "no source, a steward recorded another site"),
    "elsewhere_and_harp_stale": (1, 1.0, "another site recorded, old data on HARP"),
    "empty_ckan": (1, 0, "own CKAN portal with no dataset"),
    "none": (45, 0, "no source, nothing recorded"),
}

#: Share of all datasets that are 札幌市's (a big own portal) and the prefecture's on HARP.
SAPPORO_SHARE = 0.08
PREFECTURE_SHARE = 0.03
#: Datasets of other prefectures on the shared CKAN, per Hokkaido dataset there (never harvested).
OTHER_PREFECTURES = ["402036", "132012", "272124", "082015"]

DEPARTMENTS = [("soumu", "総務課"), ("kikaku", "企画課"), ("kenko", "保健福祉課"), ("kankyo", "環境課"),
               ("kensetsu", "建設課"), ("kyoiku", "教育委員会"), ("kanko", "観光振興課"), ("bosai", "防災課")]
THEMES = ["人口・世帯", "防災", "子育て", "観光", "施設", "統計", "環境", "交通"]


@dataclasses.dataclass
class Source:
    """A harvest source to register (``harvest_source_create`` fields)."""

    name: str
    title: str
    url: str
    source_type: str
    config: dict[str, Any]
    owner: str           #: organization name: a municipality's code or 010006
    fails: Optional[str] = None  #: the failure mode served, None when it works
    codes: tuple[str, ...] = ()  #: the municipalities it serves datasets of

    def create_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "url": self.url, "source_type": self.source_type,
                "frequency": "DAILY", "owner_org": self.owner,
                "config": json.dumps(self.config, ensure_ascii=False)}


@dataclasses.dataclass
class Municipality:
    code: str
    name: str
    role: str
    datasets: int = 0                    #: public datasets served for it (on working portals)
    newest: Optional[dt.date] = None     #: newest modification date served (None: no date served)
    dated: bool = True                   #: its portal serves dates (web pages do not)
    own_sources: list[str] = dataclasses.field(default_factory=list)  #: names of sources it owns
    failing_sources: list[str] = dataclasses.field(default_factory=list)
    elsewhere: Optional[str] = None

    @property
    def expected(self) -> str:
        """The status the served prefecture calls for (README, "Publishing
        status"): a dataset modified within 12 months (undated pages count
        from the day they are first harvested) → 公開中; every source that
        delivers its data failing to be read (its own all fail and no shared
        portal carries any of its data) → 取得エラー; another site recorded →
        他サイトで公開; older datasets only → 更新停滞; else 未確認."""
        if self.datasets and (not self.dated or self.newest >= months_ago(dt.date.today(), 12)):
            return PUBLISHING
        if self.own_sources and len(self.failing_sources) == len(self.own_sources) and not self.datasets:
            return HARVEST_ERROR
        if self.elsewhere:
            return ELSEWHERE
        if self.datasets:
            return STALE
        return UNKNOWN


@dataclasses.dataclass
class Prefecture:
    municipalities: dict[str, Municipality]
    sources: list[Source]
    datasets: int                        #: datasets on working portals, the prefecture's included
    prefecture_datasets: int             #: 北海道's own, on HARP
    other_prefecture_datasets: int       #: served on the shared CKAN but outside every fq
    content: dict[str, Any] = dataclasses.field(default_factory=dict)  #: per portal, filled by install


def months_ago(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 - months
    year = day.year + month // 12
    month = month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _quotas(participants: int) -> dict[str, int]:
    """Role counts for ``participants`` municipalities (179: the table above),
    every role but "none" kept at least once when there is room."""
    full = sum(count for count, _, _ in ROLES.values())
    assert full == 179, full
    scale = participants / full
    quotas = {role: int(count * scale) for role, (count, _, _) in ROLES.items()}
    if participants >= len(ROLES) - 1:
        for role in ROLES:
            if role != "none" and quotas[role] == 0:
                quotas[role] = 1
    remainders = sorted(ROLES, key=lambda r: ROLES[r][0] * scale - int(ROLES[r][0] * scale), reverse=True)
    while sum(quotas.values()) < participants:
        for role in remainders:
            if sum(quotas.values()) >= participants:
                break
            quotas[role] += 1
    while sum(quotas.values()) > participants:
        biggest = max((r for r in quotas if r != "ckan" or quotas[r] > 1), key=lambda r: quotas[r])
        quotas[biggest] -= 1
    if quotas["ckan"] == 0:  # 札幌市 always has its own portal
        quotas["ckan"] = 1
        quotas[max(quotas, key=lambda r: quotas[r] if r != "ckan" else -1)] -= 1
    return quotas


def plan_prefecture(datasets: int, participants: int = 179, seed: int = 179) -> Prefecture:
    """Roles and dataset counts for ``participants`` of the 179 municipalities
    (the others publish nothing) and ``datasets`` datasets in all."""
    rng = random.Random(seed)
    everyone = list(registry.municipalities())
    participants = max(1, min(participants, len(everyone)))
    others = [m for m in everyone if m.code != SAPPORO]
    rng.shuffle(others)
    chosen = [registry.get(SAPPORO)] + others[:participants - 1]
    roles: list[str] = []
    for role, count in _quotas(participants).items():
        roles += [role] * count
    roles.remove("ckan")
    rng.shuffle(roles)
    municipalities = {m.code: Municipality(m.code, m.name, "none") for m in everyone}
    municipalities[SAPPORO].role = "ckan"
    for m, role in zip(chosen[1:], roles):
        municipalities[m.code].role = role

    # datasets: 札幌市 and the prefecture a fixed share, the others by weight × a long tail
    publishing = [m for m in municipalities.values() if ROLES[m.role][1] > 0]
    prefecture = max(1, round(datasets * PREFECTURE_SHARE)) if datasets >= 2 * len(publishing) else 0
    sapporo = max(1, round(datasets * SAPPORO_SHARE))
    rest = datasets - prefecture - sapporo
    others = [m for m in publishing if m.code != SAPPORO]
    if rest < len(others):
        raise SystemExit(f"--datasets {datasets} is too few for {len(publishing)} publishing municipalities "
                         f"(at least {len(others) + 1 + prefecture} needed)")
    weights = [ROLES[m.role][1] * min(rng.paretovariate(1.1), 40.0) for m in others]
    total_weight = sum(weights)
    counts = [1 + int((rest - len(others)) * w / total_weight) for w in weights]
    for index in sorted(range(len(others)), key=lambda i: -weights[i])[:rest - sum(counts)]:
        counts[index] += 1
    municipalities[SAPPORO].datasets = sapporo
    for m, count in zip(others, counts):
        m.datasets = count
    for m in municipalities.values():
        if m.role == "webpage":
            m.dated = False
        if m.role in ("elsewhere", "elsewhere_and_harp_stale"):
            m.elsewhere = f"https://www.example-{m.code}.jp/opendata/"
    served = sum(m.datasets for m in municipalities.values()) + prefecture
    assert served == datasets, (served, datasets)
    return Prefecture(municipalities, [], datasets, prefecture, 0)


# -- content ---------------------------------------------------------------------

def _dates(rng: random.Random, count: int, stale: bool, today: dt.date) -> list[dt.date]:
    """``count`` modification dates: all older than 14 months when stale,
    else with the newest within the last 120 days."""
    if count == 0:
        return []
    if stale:
        newest = months_ago(today, 14) - dt.timedelta(days=rng.randint(0, 700))
    else:
        newest = today - dt.timedelta(days=rng.randint(1, 120))
    dates = [newest] + [newest - dt.timedelta(days=rng.randint(0, 1400)) for _ in range(count - 1)]
    rng.shuffle(dates)
    return dates


def _titles(rng: random.Random, name: str, count: int) -> list[str]:
    standard = [s.name for s in registry.standard_datasets()]
    titles = []
    for number in range(count):
        base = rng.choice(standard)
        titles.append(base if number < len(standard) and rng.random() < 0.3
                      else f"{base}（{rng.choice(THEMES)}・{number + 1}）")
    return titles


def _slash_date(day: dt.date, rng: random.Random) -> str:
    if day.year >= 2020 and rng.random() < 0.3:
        return f"令和{day.year - 2018}年{day.month}月{day.day}日"
    return f"{day.year}/{day.month}/{day.day}"


def _failure(mode: str, timeout: float) -> PortalResponse:
    if mode == "500":
        return text_response("<html><body><h1>500 Internal Server Error</h1></body></html>",
                             content_type="text/html", status=500)
    if mode == "timeout":
        return PortalResponse(200, b"{}", {"Content-Type": "application/json"}, delay=timeout + 5)
    if mode == "maintenance":
        return text_response("<!DOCTYPE html><html><head><title>メンテナンス中</title></head><body>"
                             "<h1>ただいまメンテナンス中です</h1><p>ご不便をおかけします。</p></body></html>",
                             content_type="text/html; charset=utf-8")
    raise ValueError(mode)


class _IndexedShirasagi(FakeShirasagi):
    """FakeShirasagi with ``package_show`` by a dict and ``package_list`` from
    a list sorted once: thousands of packages without a linear scan per call."""

    def __init__(self, packages: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(packages, **kwargs)
        self._by_id = {p["uuid"]: p for p in packages}
        self._sorted = sorted(packages, key=lambda p: p["updated"], reverse=True)

    def _ordered(self) -> list[dict[str, Any]]:
        return self._sorted

    def package_show(self, request: PortalRequest) -> PortalResponse:
        package = self._by_id.get(request.arg("id") or "")
        if package is None:
            return super().package_show(request)
        return json_response({"help": self._help("package_show"), "success": True, "result": package})


def install(prefecture: Prefecture, server: PortalServer, *, timeout: float, seed: int = 179) -> None:
    """Mount every portal of ``prefecture`` on ``server`` and fill
    ``prefecture.sources`` with the harvest sources to register. ``timeout``
    is the harvest timeout: the slow portals answer 5 s after it."""
    rng = random.Random(seed * 7 + 1)
    today = dt.date.today()
    base = server.url
    sources = prefecture.sources
    municipalities = sorted(prefecture.municipalities.values(), key=lambda m: m.code)

    def add(m: Optional[Municipality], source: Source) -> None:
        sources.append(source)
        if m is not None:
            m.own_sources.append(source.name)
            if source.fails:
                m.failing_sources.append(source.name)

    def track(m: Municipality, dates: list[dt.date]) -> None:
        if dates:
            newest = max(dates)
            m.newest = max(m.newest, newest) if m.newest else newest

    # HARP: one shared SHIRASAGI portal, one source owned by the prefecture (first, so it starts first)
    harp_base = f"{base}/harp"
    packages: list[dict[str, Any]] = []
    harp_codes = []
    on_harp = [m for m in municipalities if m.role.startswith("harp") or m.role == "elsewhere_and_harp_stale"]
    for m, area, count, stale in ([(None, "北海道", prefecture.prefecture_datasets, False)]
                                  + [(m, m.name, m.datasets, m.role != "harp" and m.role != "harp_and_failing_webpage")
                                     for m in on_harp]):
        dates = _dates(rng, count, stale, today)
        for title, day in zip(_titles(rng, area, count), dates):
            number = len(packages) + 1
            moment = dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.timezone(dt.timedelta(hours=9)))
            package = make_package(number, [area], name=title, modified=moment, base=harp_base)
            package["author"] = {"name": f"{area} {rng.choice(DEPARTMENTS)[1]}"}
            package["text"] = f"{area}の{title}です。"
            packages.append(package)
        if m is not None:
            track(m, dates)
            harp_codes.append(m.code)
    if packages or on_harp:
        _IndexedShirasagi(packages, prefix="/harp/opendata/api/", max_limit=100).install(server)
        prefecture.content["harp_packages"] = [(p, m) for p, m in zip(packages, _harp_owners(
            packages, {m.name: m for m in on_harp}))]
        add(None, Source("harp-shirasagi", "HARP 北海道オープンデータポータル", f"{harp_base}/opendata/api/",
                         "hokkaido_shirasagi", {}, PREFECTURE, codes=tuple(harp_codes)))
    prefecture.content["harp"] = len(packages)

    # BODIK-like shared CKAN: one portal, one source per municipality
    bodik = [m for m in municipalities if m.role.startswith("bodik")]
    shared: list[dict[str, Any]] = []
    for index, m in enumerate(bodik):
        org = make_organization(f"hokkaido-{m.code}", m.name)
        dates = _dates(rng, m.datasets, m.role == "bodik_stale", today)
        for number, (title, day) in enumerate(zip(_titles(rng, m.name, m.datasets), dates)):
            moment = dt.datetime.combine(day, dt.time(rng.randint(0, 23), rng.randint(0, 59)))
            shared.append(make_dataset(len(shared), name=f"{m.code}_dataset{number:05d}", title=title,
                                       organization=org, modified=moment,
                                       notes=f"{m.name}の{title}です。", author=m.name))
        track(m, dates)
        fq = ({"fq": f"name:{m.code}_*", "attribution": {"name_prefix": True}} if index % 2 == 0
              else {"fq": f"organization:hokkaido-{m.code}", "municipality_code": m.code})
        add(m, Source(f"{m.code}-bodik", f"BODIK ODCS（{m.name}）", f"{base}/bodik", "hokkaido_ckan",
                      dict(fq, rows=1000), m.code, codes=(m.code,)))
    hokkaido_on_bodik = len(shared)
    for number in range(max(1, hokkaido_on_bodik // 10) if bodik else 0):
        code = OTHER_PREFECTURES[number % len(OTHER_PREFECTURES)]
        shared.append(make_dataset(len(shared), name=f"{code}_dataset{number:05d}",
                                   organization=make_organization(f"org-{code}", f"他県 {code}")))
    prefecture.other_prefecture_datasets = len(shared) - hokkaido_on_bodik
    if shared:
        FakeCkan(shared, api_path="/bodik/api/3/action/").install(server)
    by_code = {m.code: m for m in bodik}
    prefecture.content["ckan_datasets"] = [(d, by_code[d["name"][:6]]) for d in shared if d["name"][:6] in by_code]
    prefecture.content["dcat_feeds"] = {}
    prefecture.content["webpages"] = {}

    for m in municipalities:
        role = m.role
        if role in ("ckan", "ckan_stale", "ckan_and_failing_catalog", "empty_ckan"):
            path = f"/ckan/{m.code}"
            dates = _dates(rng, m.datasets, role == "ckan_stale", today)
            datasets = []
            for number, (title, day) in enumerate(zip(_titles(rng, m.name, m.datasets), dates)):
                slug, department = DEPARTMENTS[number % len(DEPARTMENTS)]
                moment = dt.datetime.combine(day, dt.time(rng.randint(0, 23), rng.randint(0, 59)))
                datasets.append(make_dataset(number, name=f"{slug}-{number:05d}", title=title, modified=moment,
                                             organization=make_organization(slug, f"{m.name} {department}"),
                                             notes=f"{m.name} {department}の{title}です。"))
            track(m, dates)
            FakeCkan(datasets, api_path=f"{path}/api/3/action/").install(server)
            prefecture.content["ckan_datasets"] += [(d, m) for d in datasets]
            add(m, Source(f"{m.code}-ckan", f"{m.name} CKAN", base + path, "hokkaido_ckan",
                          {"municipality_code": m.code, "rows": 1000}, m.code, codes=(m.code,)))
            if role == "ckan_and_failing_catalog":
                server.respond(f"/catalog/{m.code}/opendata_list.csv", _failure("500", timeout))
                add(m, Source(f"{m.code}-catalog-csv", f"{m.name} オープンデータ一覧",
                              f"{base}/catalog/{m.code}/opendata_list.csv", "hokkaido_catalog_csv",
                              {"municipality_code": m.code}, m.code, fails="500", codes=(m.code,)))
        elif role in ("fail_ckan_500", "fail_ckan_maintenance"):
            path = f"/ckan/{m.code}"
            mode = role.rsplit("_", 1)[1]
            server.respond(f"{path}/api/3/action/package_search", _failure(mode, timeout))
            add(m, Source(f"{m.code}-ckan", f"{m.name} CKAN", base + path, "hokkaido_ckan",
                          {"municipality_code": m.code}, m.code, fails=mode, codes=(m.code,)))
        elif role in ("dcat", "dcat_stale", "fail_dcat_timeout"):
            hub = f"{base}/hub/{m.code}"
            feed_path = f"/hub/{m.code}/api/feed/dcat-us/1.1.json"
            if role == "fail_dcat_timeout":
                server.respond(feed_path, _failure("timeout", timeout))
            else:
                dates = _dates(rng, m.datasets, role == "dcat_stale", today)
                items = []
                for number, (title, day) in enumerate(zip(_titles(rng, m.name, m.datasets), dates)):
                    item = f"{rng.getrandbits(64):016x}_{number}"
                    items.append(hub_dataset(
                        item, title, f"{day.isoformat()}T0{rng.randint(0, 9)}:15:00.000Z",
                        identifier=f"{hub}/datasets/{item}", landingPage=f"{hub}/datasets/{item}",
                        keyword=[m.name, "オープンデータ", rng.choice(THEMES)], publisher={"name": m.name},
                        contactPoint={"@type": "vcard:Contact", "fn": f"{m.name} 情報政策課"},
                        distribution=[
                            {"@type": "dcat:Distribution", "title": "ArcGIS Hub Dataset", "format": "Web page",
                             "mediaType": "text/html", "accessURL": f"{hub}/datasets/{item}"},
                            {"@type": "dcat:Distribution", "title": "CSV", "format": "CSV", "mediaType": "text/csv",
                             "accessURL": f"{hub}/api/download/v1/items/{item}/csv?layers=0"},
                            {"@type": "dcat:Distribution", "title": "GeoJSON", "format": "GeoJSON",
                             "mediaType": "application/geo+json",
                             "accessURL": f"{hub}/api/download/v1/items/{item}/geojson?layers=0"}]))
                track(m, dates)
                server.respond(feed_path, json_response(hub_feed(items)))
                prefecture.content["dcat_feeds"][m.code] = (feed_path, items)
            add(m, Source(f"{m.code}-dcat", f"{m.name} ArcGIS Hub", base + feed_path, "hokkaido_dcat",
                          {"municipality_code": m.code}, m.code,
                          fails="timeout" if role == "fail_dcat_timeout" else None, codes=(m.code,)))
        elif role in ("catalog", "catalog_stale", "fail_catalog_404", "fail_catalog_500"):
            style = ("new-utf8-bom", "new-cp932", "old-cp932", "new-utf8", "new-xlsx", "old-utf8-bom")[
                sum(1 for s in sources if s.source_type == "hokkaido_catalog_csv") % 6]
            suffix = "xlsx" if style.endswith("xlsx") else "csv"
            path = f"/catalog/{m.code}/opendata_list.{suffix}"
            mode = {"fail_catalog_404": "404", "fail_catalog_500": "500"}.get(role)
            if mode == "500":
                server.respond(path, _failure("500", timeout))
            elif mode is None:
                dates = _dates(rng, m.datasets, role == "catalog_stale", today)
                track(m, dates)
                body, content_type = _catalog(rng, m, dates, style, f"{base}/catalog/{m.code}")
                server.respond(path, PortalResponse(200, body, {"Content-Type": content_type}))
            add(m, Source(f"{m.code}-catalog-csv", f"{m.name} オープンデータ一覧", base + path,
                          "hokkaido_catalog_csv", {"municipality_code": m.code}, m.code, fails=mode,
                          codes=(m.code,)))
        elif role in ("webpage", "fail_webpage_500", "fail_webpage_timeout", "harp_and_failing_webpage"):
            path = f"/web/{m.code}/opendata/index.html"
            config: dict[str, Any] = {"municipality_code": m.code}
            mode = {"fail_webpage_500": "500", "fail_webpage_timeout": "timeout",
                    "harp_and_failing_webpage": "500"}.get(role)
            if mode:
                server.respond(path, _failure(mode, timeout))
            else:
                follow = sum(1 for s in sources if s.source_type == "hokkaido_webpage") % 3 == 2 and m.datasets > 3
                _webpages(server, rng, m, f"/web/{m.code}/opendata", follow)
                prefecture.content["webpages"][m.code] = (path, f"{m.code}-webpage")
                if follow:
                    config.update(follow=1, follow_prefix=f"/web/{m.code}/opendata/")
            add(m, Source(f"{m.code}-webpage", f"{m.name} オープンデータ（ウェブページ）", base + path,
                          "hokkaido_webpage", config, m.code, fails=mode, codes=(m.code,)))


def _harp_owners(packages: list[dict[str, Any]], on_harp: dict[str, Municipality]) -> list[Optional[Municipality]]:
    return [on_harp.get(p["areas"][0]["name"]) if p.get("areas") else None for p in packages]


def change_night(prefecture: Prefecture, server: PortalServer, night: int, *, share: float = 0.05,
                 timeout: float = 5.0) -> dict[str, int]:
    """Change what the portals serve before night ``night`` (2, 3, …), as
    municipalities do between two nights, and update what the tracker must
    then say. Returns how many records of each kind changed.

    * ``share`` of all the datasets served, taken from own CKAN portals,
      the shared CKAN, HARP and the DCAT feeds, re-published with today's
      date and nothing else changed (stale municipalities among them turn
      公開中);
    * one DCAT feed dataset re-dated ``R/P1D`` (continuously updated), one
      dated 2204 (a typo: not used; the record is still imported);
    * one web page that starts answering 500 (its municipality keeps its
      datasets and, with data first seen on night 1, stays 公開中).
    """
    today = dt.date.today()
    moment = dt.datetime.combine(today, dt.time(1, 0))
    changes = {"redated": 0, "interval": 0, "future": 0, "failing": 0}
    candidates = (len(prefecture.content.get("ckan_datasets", [])) + len(prefecture.content.get("harp_packages", []))
                  + sum(len(items) for _, items in prefecture.content.get("dcat_feeds", {}).values()))
    # share of all the datasets served, taken from those with a date to change
    step = max(1, round(candidates / max(1, share * prefecture.datasets)))
    offset = night % step

    def redated(m: Optional[Municipality]) -> None:
        changes["redated"] += 1
        if m is not None:
            m.newest = today

    for index, (dataset, m) in enumerate(prefecture.content.get("ckan_datasets", [])):
        if index % step == offset:
            dataset["metadata_modified"] = moment.strftime("%Y-%m-%dT%H:%M:%S.%f")
            redated(m)
    for index, (package, m) in enumerate(prefecture.content.get("harp_packages", [])):
        if index % step == offset:
            package["updated"] = moment.replace(tzinfo=dt.timezone(dt.timedelta(hours=9))).isoformat()
            redated(m)
    special = {"interval": "R/P1D", "future": "2204-04-01T00:00:00.000Z"}
    for code, (path, items) in sorted(prefecture.content.get("dcat_feeds", {}).items()):
        m = prefecture.municipalities[code]
        for kind in list(special):
            if items and items[-1]["modified"] not in ("R/P1D", "2204-04-01T00:00:00.000Z"):
                items[-1]["modified"] = special.pop(kind)
                changes[kind] += 1
                m.newest = today  # continuously updated, or (date refused) first seen on night 1: today
        for index, item in enumerate(items):
            if index % step == offset and item["modified"] not in ("R/P1D", "2204-04-01T00:00:00.000Z"):
                item["modified"] = f"{today.isoformat()}T01:00:00.000Z"
                redated(m)
        server.respond(path, json_response(hub_feed(items)))
    for code, (path, name) in sorted(prefecture.content.get("webpages", {}).items()):
        source = next(src for src in prefecture.sources if src.name == name)
        if source.fails is None:
            server.respond(path, _failure("500", timeout))
            source.fails = "500"
            prefecture.municipalities[code].failing_sources.append(name)
            changes["failing"] += 1
            break
    return changes


def _catalog(rng: random.Random, m: Municipality, dates: list[dt.date], style: str,
             site: str) -> tuple[bytes, str]:
    """An オープンデータ一覧 file with ``len(dates)`` datasets."""
    titles = _titles(rng, m.name, len(dates))
    if style.startswith("new"):
        rows = []
        for number, (title, day) in enumerate(zip(titles, dates), start=1):
            dataset_id = f"d{number:05d}"
            files = [("CSV", "csv")] + ([("XLSX", "xlsx")] if number % 3 == 0 else [])
            for fmt, ext in files:
                row = new_row(m.code, len(rows) + 1, dataset_id, title, f"{title}（{fmt}）",
                              f"{site}/files/{dataset_id}.{ext}", fmt, _slash_date(day, rng))
                row[2] = m.name
                row[9] = f"{site}/{dataset_id}.html"
                rows.append(row)
        if style == "new-xlsx":
            return to_xlsx(NEW_HEADER, rows), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        text = to_csv(NEW_HEADER, rows)
    else:
        rows = [[m.code, str(number), "北海道", m.name, title, f"{m.name}の{title}", "CSV", rng.choice(THEMES),
                 rng.choice(["毎月", "毎年", "随時"]), f"{site}/files/old{number:05d}.csv", "無", "CC BY 4.0",
                 "2019/4/1", _slash_date(day, rng), ""]
                for number, (title, day) in enumerate(zip(titles, dates), start=1)]
        text = to_csv(OLD_HEADER, rows)
    encoding = {"utf8-bom": "utf-8-sig", "cp932": "cp932", "utf8": "utf-8"}[style.split("-", 1)[1]]
    return text.encode(encoding), "text/csv"


def _webpages(server: PortalServer, rng: random.Random, m: Municipality, folder: str, follow: bool) -> None:
    """The municipality's オープンデータ page (and sub-pages when ``follow``):
    one heading per dataset with one to three file links under it."""
    encoding, meta = rng.choice([("cp932", "Shift_JIS"), ("utf-8", "UTF-8"), ("euc_jp", "EUC-JP")])
    titles = _titles(rng, m.name, m.datasets)
    pages = [titles] if not follow else [titles[i::3] for i in range(3)]

    def page(title: str, body: str) -> str:
        return (f'<!DOCTYPE html>\n<html lang="ja"><head><meta http-equiv="Content-Type" '
                f'content="text/html; charset={meta}"><title>{html.escape(title)}｜{m.name}</title></head>\n'
                f'<body><div id="header"><a href="/">{m.name}トップ</a> <a href="/sitemap.html">サイトマップ</a>'
                f'</div>\n{body}\n<div id="footer">&copy; {m.name}</div></body></html>')

    def sections(chunk: list[str], first: int) -> str:
        parts = []
        for offset, title in enumerate(chunk):
            n = first + offset
            links = [f'<li><a href="files/{n:05d}.csv">{html.escape(title)}（CSV：{rng.randint(2, 90)}KB）</a></li>']
            if n % 2:
                links.append(f'<li><a href="files/{n:05d}.xlsx">{html.escape(title)}（エクセル：'
                             f'{rng.randint(10, 200)}KB）</a></li>')
            if n % 5 == 0:
                links.append(f'<li><a href="files/{n:05d}.pdf">{html.escape(title)}の説明（PDF：1.2MB）</a></li>')
            parts.append(f'<h2 id="d{n}">{html.escape(title)}（No.{n}）</h2>\n<ul>{"".join(links)}</ul>')
        return "\n".join(parts)

    if not follow:
        server.respond(f"{folder}/index.html", text_response(
            page("オープンデータ", "<h1>オープンデータ</h1>\n" + sections(pages[0], 1)),
            encoding=encoding, content_type="text/html"))
        return
    links, first = [], 1
    for index, chunk in enumerate(pages, start=1):
        links.append(f'<li><a href="part{index}.html">分野{index}のデータ</a></li>')
        server.respond(f"{folder}/part{index}.html", text_response(
            page(f"分野{index}", f"<h1>分野{index}のデータ</h1>\n" + sections(chunk, first)),
            encoding=encoding, content_type="text/html"))
        first += len(chunk)
    server.respond(f"{folder}/index.html", text_response(
        page("オープンデータ", "<h1>オープンデータ</h1>\n<p>分野ごとのページからダウンロードできます。</p>\n"
             f"<ul>{''.join(links)}</ul>"), encoding=encoding, content_type="text/html"))
