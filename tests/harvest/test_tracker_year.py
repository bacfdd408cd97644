"""The tracker over a year of nightly runs (issue 14): an injected clock
(freezegun) moves a month at a time; thirteen nights of ``ckan hokkaido
harvest --all`` over local portals of every kind; after every night each
municipality's status and dataset count is what the rules of
``ckanext/hokkaido/tracker.py`` say.

Who does what (bad input in brackets):

* 札幌市: own CKAN; re-publishes the same data with a new date only in month 3.
* 函館市: own CKAN; stops publishing (its data ages out in month 11).
* 小樽市: an undated web page, then in month 4 the page is gone (404: a read
  failure) and its data comes through HARP, the shared SHIRASAGI portal.
* 旭川市: a DCAT-US feed whose ``modified`` is ``R/P1D`` (continuously
  updated), and a second source that always answers 500.
* 室蘭市: a web page that says 最終更新日：2015年4月1日 (stale from the start,
  not fresh for a year after we first read it).
* 釧路市: a DCAT-US feed dated 2204-04-01 (a typo in the future: not used,
  named in the run report; the day we first saw it counts instead).
* 帯広市: a DCAT-US feed dated ``2024`` (a year only); its feed fails to be
  read from month 6 on, while its data is stale: 取得エラー.
* 北見市: a steward's 他サイトで公開 record confirmed ten months before the
  start; it lapses in month 3.

The year starts on the day the test module is read. CKAN stamps
``metadata_created`` with the real clock (its column default was taken
before freezegun starts), so "the day we first saw it" is the real day of
the first night's harvest: read from the harvested dataset after that night,
never assumed to be the day the module was read (a run that crosses midnight
between the two must pass too).
"""
from __future__ import annotations

import datetime as dt
import json

import freezegun.api
import pytest

from ckan.cli.cli import ckan
from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.hokkaido import tracker

from tests.harvest.helpers import FAST_HARVEST, cli_runner
from tests.fakes.ckan import FakeCkan, make_dataset
from tests.fakes.shirasagi import FakeShirasagi, make_package
from tests.fakes.portal_server import PortalResponse, json_response, text_response

pytestmark = [
    pytest.mark.usefixtures("with_plugins", "with_extended_cli", "clean_db", "clean_index"),
    *(pytest.mark.ckan_config(key, value) for key, value in FAST_HARVEST.items()),
    # freezegun gives worker threads the real monotonic clock or the frozen one depending on
    # the depth of the call: no per-source time limit here (test_nightly.py tests it)
    pytest.mark.ckan_config("ckanext.hokkaido.harvest.source_time_limit", 0),
]

def _start() -> dt.datetime:
    day = dt.date.today()
    if day.day > 28:  # monthly nights on the same day of every month
        day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    return dt.datetime.combine(day, dt.time(2, 30))


START = _start()
SAPPORO, HAKODATE, OTARU, ASAHIKAWA, MURORAN, KUSHIRO, OBIHIRO, KITAMI = (
    "011002", "012025", "012033", "012041", "012050", "012068", "012076", "012084")
PUBLISHING, STALE, ERROR, ELSEWHERE, UNKNOWN = "公開中", "更新停滞", "取得エラー", "他サイトで公開", "未確認"


def real_today() -> dt.date:
    """Today by the real clock while freezegun runs (its module's own
    references: freezegun replaces any other name bound to the real ones)."""
    return freezegun.api.real_date.fromtimestamp(freezegun.api.real_time())


def night(month: int) -> dt.datetime:
    return START.replace(year=START.year + (START.month - 1 + month) // 12, month=(START.month - 1 + month) % 12 + 1)


#: the dates the portals give, relative to the start
SAPPORO_DATED = night(-11) + dt.timedelta(days=15)   # fresh for nights 0-1
SAPPORO_REDATED = night(3) - dt.timedelta(days=14)
HAKODATE_DATED = night(-1) - dt.timedelta(days=14)   # fresh until night 10
HARP_OTARU_DATED = night(4) - dt.timedelta(days=5)
KITAMI_CONFIRMED = (night(-10) + dt.timedelta(days=5)).date()


def expected(month: int, first_seen: dt.date) -> dict[str, tuple[str, int]]:
    """What the rules say after the night of ``month``: (status, public
    datasets); ``first_seen`` is the real day the first night created the
    datasets."""
    first_seen_fresh = first_seen >= tracker.months_before(night(month).date(), 12)
    return {
        SAPPORO: (STALE if month == 2 else PUBLISHING, 2),      # re-dated (date only) in month 3
        HAKODATE: (PUBLISHING if month <= 10 else STALE, 1),    # never again
        OTARU: (PUBLISHING, 1 if month < 4 else 2),             # first seen; then HARP (the page's stays)
        ASAHIKAWA: (PUBLISHING, 1),                             # R/P1D
        MURORAN: (STALE, 1),                                    # 2015-04-01 on the page
        KUSHIRO: (PUBLISHING if first_seen_fresh else STALE, 1),  # 2204: ignored, first seen counts
        OBIHIRO: (STALE if month < 6 else ERROR, 1),            # "2024", then unreadable
        KITAMI: (ELSEWHERE if month < 3 else UNKNOWN, 0),       # the confirmation lapses
    }


def hub(identifier: str, title: str, modified: str) -> dict:
    return {"@type": "dcat:Catalog", "dataset": [{
        "identifier": identifier, "title": title, "modified": modified, "description": f"{title}です。",
        "distribution": [{"title": "CSV", "format": "CSV", "downloadURL": f"https://example.org/{identifier}.csv"}]}]}


def page(title: str, stated: str = "") -> PortalResponse:
    return text_response(f"<html><head><title>{title}</title></head><body><h2>{title}</h2>"
                         f"<ul><li><a href='/files/data.csv'>{title}（CSV）</a></li></ul>"
                         f"<p>{stated}</p></body></html>", content_type="text/html")


class Prefecture:
    """The local portals of the simulated municipalities, changed month by month."""

    def __init__(self, portals) -> None:
        self.sapporo = FakeCkan([make_dataset(1, name="jinko", modified=SAPPORO_DATED),
                                 make_dataset(2, name="aed", modified=SAPPORO_DATED)])
        self.sapporo.install(sapporo := portals())
        self.hakodate = FakeCkan([make_dataset(3, name="kanko", modified=HAKODATE_DATED)])
        self.hakodate.install(hakodate := portals())
        self.harp = FakeShirasagi([make_package(1, ["ニセコ町"], modified=SAPPORO_DATED)])
        self.harp.install(harp := portals())
        self.pages = portals()
        self.pages.respond("/otaru.html", page("小樽市の観光施設"))
        self.pages.respond("/muroran.html", page("室蘭市の人口", "最終更新日：2015年4月1日"))
        self.feeds = portals()
        self.feeds.respond("/asahikawa.json", json_response(hub("asahikawa-1", "旭川市の気象", "R/P1D")))
        self.feeds.respond("/kushiro.json", json_response(hub("kushiro-1", "釧路市の施設", "2204-04-01")))
        self.feeds.respond("/obihiro.json", json_response(hub("obihiro-1", "帯広市の統計", "2024")))
        self.feeds.respond("/broken/api/3/action/package_search",
                           PortalResponse(500, b"<html>down</html>", {"Content-Type": "text/html"}))
        self.urls = {"sapporo": sapporo.url, "hakodate": hakodate.url, "harp": harp.url + "/opendata/",
                     "otaru": self.pages.url + "/otaru.html", "muroran": self.pages.url + "/muroran.html",
                     "asahikawa": self.feeds.url + "/asahikawa.json", "kushiro": self.feeds.url + "/kushiro.json",
                     "obihiro": self.feeds.url + "/obihiro.json", "broken": self.feeds.url + "/broken"}

    def change_for(self, month: int) -> None:
        if month == 3:  # the same data at the same URLs, re-dated
            for dataset in self.sapporo.datasets:
                dataset["metadata_modified"] = SAPPORO_REDATED.strftime("%Y-%m-%dT%H:%M:%S.%f")
        if month == 4:  # 小樽市 leaves its page for HARP
            self.pages.respond("/otaru.html", PortalResponse(404, b"not found", {"Content-Type": "text/html"}))
            self.harp.packages.append(make_package(2, ["小樽市"], name="小樽市の観光施設",
                                                   modified=HARP_OTARU_DATED))
        if month == 6:
            self.feeds.respond("/obihiro.json", PortalResponse(503, b"maintenance", {"Content-Type": "text/html"}))


def register(prefecture: Prefecture) -> None:
    admin = factories.Sysadmin()
    for code in (SAPPORO, HAKODATE, OTARU, ASAHIKAWA, MURORAN, KUSHIRO, OBIHIRO, KITAMI, "010006"):
        factories.Organization(name=code)
    sources = [("sapporo", "hokkaido_ckan", SAPPORO), ("hakodate", "hokkaido_ckan", HAKODATE),
               ("harp", "hokkaido_shirasagi", None), ("otaru", "hokkaido_webpage", OTARU),
               ("muroran", "hokkaido_webpage", MURORAN), ("asahikawa", "hokkaido_dcat", ASAHIKAWA),
               ("broken", "hokkaido_ckan", ASAHIKAWA), ("kushiro", "hokkaido_dcat", KUSHIRO),
               ("obihiro", "hokkaido_dcat", OBIHIRO)]
    for name, source_type, code in sources:
        call_action("harvest_source_create", context={"user": admin["name"]}, name=name, title=name,
                    url=prefecture.urls[name], source_type=source_type, frequency="DAILY",
                    owner_org=code or "010006",
                    config=json.dumps({"municipality_code": code} if code else {}))
    call_action("hokkaido_municipality_set_elsewhere", context={"user": admin["name"]}, id=KITAMI,
                url="https://www.city.kitami.lg.jp/opendata/", date=KITAMI_CONFIRMED.isoformat())


def test_a_year_of_nightly_runs(cli, portals, freezer):
    freezer.move_to(START)
    prefecture = Prefecture(portals)
    register(prefecture)
    runner = cli_runner(cli.env)
    for month in range(13):
        freezer.move_to(night(month))
        prefecture.change_for(month)
        real_day_before = real_today()
        result = runner.invoke(ckan, ["hokkaido", "harvest", "--all"])
        assert result.exit_code == 1, result.stdout + result.stderr   # the broken source fails every night
        if month == 0:  # the real day the datasets were first seen, whatever the frozen clock says
            otaru, = call_action("package_search", fq=f'municipality_code:"{OTARU}"')["results"]
            first_seen = dt.date.fromisoformat(otaru["metadata_created"][:10])
            assert real_day_before <= first_seen <= real_today()
        rows = {r["code"]: r for r in tracker.municipality_statuses(today=night(month).date())}
        actual = {code: (rows[code]["status"], rows[code]["dataset_count"]) for code in expected(month, first_seen)}
        assert actual == expected(month, first_seen), f"night {month} ({night(month).date()}): {result.stdout}"
        # beside the status, the failing sources
        assert [w["title"] for w in rows[ASAHIKAWA]["warnings"]] == ["broken"]
        assert [w["read_failed"] for w in rows[OTARU]["warnings"]] == ([] if month < 4 else [True])
        if month == 0:
            report = toolkit.get_action("hokkaido_harvest_report")({"ignore_auth": True, "user": ""},
                                                                  {"source_id": "kushiro"})
            assert any("収集元の更新日を使いません" in e["message"] for e in report["errors"]), report
        if month == 3:  # the re-dated records were imported, not skipped as unchanged
            sapporo = call_action("package_search", fq=f'municipality_code:"{SAPPORO}"')["results"]
            assert {d["source_modified"][:10] for d in sapporo} == {SAPPORO_REDATED.date().isoformat()}
            # the dataset's activity says so: created, then changed (its date alone)
            activity = call_action("package_activity_list", id=sapporo[0]["id"],
                                   include_hidden_activity=True)  # the harvest acts as the site user
            assert [a["activity_type"] for a in activity] == ["changed package", "new package"]
        if month < 4:  # an undated page counts from the day we first saw it, not from tonight
            assert rows[OTARU]["newest_modified"] == first_seen.isoformat()
    # the snapshots of the year, one a night
    assert [h["date"] for h in tracker.history(days=100000)] == [night(m).date().isoformat() for m in range(13)]
