"""The merged standard datasets against the real DataStore (issue 30, 1-3,
5). Files served by a local portal and loaded by the tables job: AED lists
of three municipalities in the older edition (CP932 CSV), the current one
(UTF-8 CSV, columns in another order, the datum in the headers) and an
XLSX with a title and a date above its header; a table that says it is the
AED list and is not; rows outside Hokkaido. The merged table's rows are
the contributing rows minus the rejected ones; a second rebuild merges
nothing; a changed file is merged again alone; a steward leaves a table
out and takes it back; the API and the downloads answer."""
from __future__ import annotations

import io
import json

import pytest
from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.hokkaido.standard import merge
from ckanext.hokkaido.tables.load import load_resource
from tests.fakes.portal_server import PortalResponse

pytestmark = [pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
              pytest.mark.ckan_config("ckanext.hokkaido.harvest.min_delay", 0),
              pytest.mark.ckan_config("ckanext.hokkaido.harvest.retries", 0)]

SAPPORO, HAKODATE, OTARU = "011002", "012025", "012033"

OLD = ("都道府県コード又は市区町村コード,NO,都道府県名,市区町村名,名称,住所,緯度,経度,設置位置\r\n"
       "011002,1,北海道,札幌市,札幌市役所,札幌市中央区北1条西2丁目,43.0621,141.3544,1階\r\n"
       "11002,2,北海道,札幌市,大通公園,札幌市中央区大通西7丁目,43.0594,141.3477,管理事務所\r\n"
       "011002,3,北海道,札幌市,東京駅,東京都千代田区,35.6812,139.7671,改札\r\n").encode("cp932")
CURRENT = ("経度（世界測地系）,緯度（世界測地系）,名称,所在地_連結表記,全国地方公共団体コード,ID,独自の列\n"
           "140.7290,41.7687,函館市役所,函館市東雲町4-13,012025,1,x\n"
           "140.7267,41.7735,函館駅,函館市若松町12-13,012025,2,y\n").encode("utf-8")
NOT_AED = "年度,人口,世帯数\n2024,111000,60000\n".encode("utf-8")


def xlsx() -> bytes:
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    for row in (["小樽市AED設置箇所一覧"], ["令和6年4月1日現在"],
                ["名称", "住所", "緯度", "経度", "電話番号"],
                ["小樽市役所", "小樽市花園2丁目12-1", 43.1907, 140.9947, "0134-32-4111"],
                ["小樽駅", "小樽市稲穂2丁目22", 43.1975, 140.9936, ""]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def portal_with_aed(portal):
    site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
    for code, title in ((SAPPORO, "札幌市"), (HAKODATE, "函館市"), (OTARU, "小樽市")):
        call_action("organization_create", context=dict(site), name=code, title=title)
    files = {"/sapporo.csv": OLD, "/hakodate.csv": CURRENT, "/otaru.xlsx": xlsx(), "/fake.csv": NOT_AED}
    for path, body in files.items():
        portal.respond(path, PortalResponse(200, body, {"Content-Type": "application/octet-stream"}))
    made = {}
    for name, code, path, fmt in (("sapporo-aed", SAPPORO, "/sapporo.csv", "CSV"),
                                  ("hakodate-aed", HAKODATE, "/hakodate.csv", "CSV"),
                                  ("otaru-aed", OTARU, "/otaru.xlsx", "XLSX"),
                                  ("otaru-fake", OTARU, "/fake.csv", "CSV")):
        dataset = call_action("package_create", context=dict(site), name=name, title="AED設置箇所一覧",
                              owner_org=code, standard_dataset="08",
                              resources=[{"url": portal.url + path, "format": fmt}])
        made[name] = dataset["resources"][0]["id"]
        assert load_resource(made[name]) == "loaded", name
    return made


def rows_of(resource_id, **params):
    return call_action("datastore_search", resource_id=resource_id, limit=1000, **params)


def test_one_table_for_the_prefecture_from_both_editions_and_xlsx(portal_with_aed):
    counts = merge.rebuild("08")["08"]   # each load merged already; this finds nothing new
    assert counts["merged"] == 0 and counts["unchanged"] == 4
    shown = call_action("hokkaido_standard_show", id="08")
    assert shown["municipalities"] == 3 and shown["rows"] == 2 + 2 + 2
    found = rows_of(shown["resource_id"])
    assert found["total"] == 6
    by_name = {r["名称"]: r for r in found["records"]}
    assert set(by_name) == {"札幌市役所", "大通公園", "函館市役所", "函館駅", "小樽市役所", "小樽駅"}
    assert by_name["大通公園"]["全国地方公共団体コード"] == SAPPORO        # 11002 read with its zero
    assert by_name["函館駅"]["緯度"] == pytest.approx(41.7735)             # columns in another order
    assert by_name["小樽市役所"]["所在地_連結表記"] == "小樽市花園2丁目12-1"  # below a title and a date
    assert by_name["小樽市役所"]["source_line"] == 4
    assert by_name["札幌市役所"]["source_dataset"] == "sapporo-aed"
    reports = {c["dataset"]: c for c in shown["contributors"]}
    assert reports["sapporo-aed"]["rejected"] == 1                          # 東京駅
    assert "北海道の外" in reports["sapporo-aed"]["report"]["rejected_rows"][0]["reason"]
    assert reports["sapporo-aed"]["report"]["rejected_rows"][0]["line"] == 4
    assert reports["sapporo-aed"]["report"]["edition"] == "old"
    assert reports["hakodate-aed"]["report"]["unmatched"] == ["独自の列"]
    assert reports["otaru-fake"]["status"] == "not_standard" and reports["otaru-fake"]["rows"] == 0
    # the merged rows are the contributing rows minus the rejected ones
    assert sum(c["rows"] for c in shown["contributors"]) == 3 + 2 + 2 - 1
    listed = {d["no"]: d for d in call_action("hokkaido_standard_list")}
    assert listed["08"]["municipalities"] == 3 and listed["08"]["rows"] == 6
    # and the municipality's page knows its AED list is merged
    coverage = {c["no"]: c for c in call_action("hokkaido_municipality_show", id=OTARU)["standard_coverage"]}
    assert coverage["08"]["present"] and coverage["08"]["merged"]


def test_query_near_and_by_municipality(portal_with_aed):
    shown = call_action("hokkaido_standard_show", id="08")
    assert rows_of(shown["resource_id"], filters={"municipality_code": HAKODATE})["total"] == 2
    assert rows_of(shown["resource_id"], q="市役所")["total"] == 3
    near = call_action("hokkaido_standard_near", id="08", lat=43.0621, lng=141.3544, radius=2000)
    assert [r["名称"] for r in near["results"]] == ["札幌市役所", "大通公園"]
    assert near["results"][0]["distance_m"] < 1 and 400 < near["results"][1]["distance_m"] < 800
    with pytest.raises(toolkit.ValidationError):
        call_action("hokkaido_standard_near", id="08", lat="北緯43", lng=141)
    with pytest.raises(toolkit.ValidationError):
        call_action("hokkaido_standard_near", id="99", lat=43, lng=141)


def test_rebuilds_merge_only_what_changed_and_stewards_may_leave_a_table_out(portal_with_aed, portal):
    assert merge.rebuild("08")["08"]["merged"] == 0
    portal.respond("/hakodate.csv", PortalResponse(200, CURRENT + "140.72,41.78,五稜郭,函館市五稜郭町,012025,3,z\n"
                                                   .encode(), {"Content-Type": "text/csv"}))
    assert load_resource(portal_with_aed["hakodate-aed"], force=True) == "loaded"   # merged again, alone
    shown = call_action("hokkaido_standard_show", id="08")
    assert shown["rows"] == 7
    steward = factories.User()
    call_action("member_create", id=HAKODATE, object=steward["name"], object_type="user", capacity="editor")
    act = lambda **d: toolkit.get_action("hokkaido_standard_exclude")(  # noqa: E731
        {"user": steward["name"], "ignore_auth": False}, d)
    with pytest.raises(toolkit.ValidationError):
        act(resource_id=portal_with_aed["hakodate-aed"], exclude=True)          # no reason
    with pytest.raises(toolkit.NotAuthorized):
        act(resource_id=portal_with_aed["sapporo-aed"], exclude=True, reason="他の市")
    act(resource_id=portal_with_aed["hakodate-aed"], exclude=True, reason="座標を確認中")
    shown = call_action("hokkaido_standard_show", id="08")
    assert shown["rows"] == 4
    assert {c["dataset"]: c for c in shown["contributors"]}["hakodate-aed"]["excluded_reason"] == "座標を確認中"
    act(resource_id=portal_with_aed["hakodate-aed"], exclude=False)
    assert call_action("hokkaido_standard_show", id="08")["rows"] == 7


def test_downloads(app, portal_with_aed):
    answer = app.get("/standard/08.csv", follow_redirects=True)
    assert answer.status_code == 200
    body = answer.data
    assert body.startswith(b"\xef\xbb\xbf") and "札幌市役所".encode() in body       # UTF-8 with BOM: Excel
    geo = json.loads(app.get("/standard/08.geojson").data)
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 6
    point = next(f for f in geo["features"] if f["properties"]["名称"] == "函館市役所")
    assert point["geometry"]["coordinates"] == pytest.approx([140.7290, 41.7687])
    page = app.get("/standard/08").get_data(as_text=True)
    assert "札幌市役所" in page or "sapporo-aed" in page
    assert app.get("/standard").status_code == 200 and app.get("/standard/99").status_code == 404
