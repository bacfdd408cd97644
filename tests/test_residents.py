"""What residents, stewards and developers met on the portal's pages
(issue 29, 2 and 6-9, 11), through CKAN's test app against the real stack.
Bad input tried: a sixth sign-up from one address in a day; use-case and
harvest-source titles in Japanese only; a harvest that rewrites every
dataset (今週更新 must not count them); a harvest source that failed, seen
by a resident and by a steward; an inventory row 公開=可 with a ホームページURL
and no licence; a dataset with most fields empty; a search whose facets
have nothing to offer; tags that are municipality names."""
from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import quote

import pytest
from ckan import model
from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.hokkaido import front_page
from ckanext.hokkaido.inventory import importer
from tests.web import logged_in, token_in

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

SAPPORO = "011002"


def site():
    return {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}


@pytest.mark.ckan_config("ckanext.hokkaido.signup.per_address_per_day", 2)
def test_residents_sign_up_from_the_login_page_within_a_limit_per_address(app, request):
    from ckan.lib.redis import connect_to_redis
    redis = connect_to_redis()

    def forget_the_counts():  # whatever the test client's address reads as (none on CKAN 2.11)
        for key in redis.scan_iter("hokkaido:signup:*"):
            redis.delete(key)

    forget_the_counts()
    request.addfinalizer(forget_the_counts)
    login = app.get("/user/login").get_data(as_text=True)
    assert 'href="/user/register"' in login
    for n in range(3):
        client = app.test_client()   # a new visitor each time, from the same address
        page = client.get("/user/register").get_data(as_text=True)
        assert 'id="field-username"' in page, page[:300]
        answer = client.post("/user/register", data={
            "name": f"resident{n}", "fullname": f"道民 {n}", "email": f"resident{n}@example.jp",
            "password1": "Hokkaido-resident-1", "password2": "Hokkaido-resident-1",
            "_csrf_token": token_in(page)}, follow_redirects=False)
        made = model.User.get(f"resident{n}") is not None
        if n < 2:
            assert answer.status_code in (302, 303) and made, answer.get_data(as_text=True)[:500]
        else:
            assert not made and "24時間以内" in answer.get_data(as_text=True)


def test_a_use_case_and_a_harvest_source_with_japanese_only_titles_get_address_names(app):
    user = factories.User()
    made = toolkit.get_action("hokkaido_use_case_create")({"user": user["name"]}, {"title": "ごみ分別アプリ"})
    assert re.fullmatch(r"usecase-\d{8}", made["name"]), made["name"]
    again = toolkit.get_action("hokkaido_use_case_create")({"user": user["name"]}, {"title": "ごみ分別アプリ"})
    assert again["name"] == made["name"] + "-2"
    latin = toolkit.get_action("hokkaido_use_case_create")({"user": user["name"]}, {"title": "AEDマップ 2024"})
    assert latin["name"] == "usecase-aed-2024"
    call_action("organization_create", context=site(), name=SAPPORO, title="札幌市")
    source = call_action("harvest_source_create", context=site(), name="", title="札幌市オープンデータ",
                         url="https://data.city.sapporo.example/", source_type="hokkaido_ckan",
                         frequency="MANUAL", owner_org=SAPPORO, config=json.dumps({"municipality_code": SAPPORO}))
    assert re.fullmatch(r"011002-source-\d{8}", source["name"]), source["name"]


def test_this_weeks_changes_count_the_sources_own_dates(app):
    call_action("organization_create", context=site(), name=SAPPORO, title="札幌市")
    old = (dt.date.today() - dt.timedelta(days=300)).isoformat()
    for n in range(3):   # harvested today, changed at their source long ago
        call_action("package_create", context=site(), name=f"old-{n}", title=f"古いデータ {n}", owner_org=SAPPORO,
                    source_identifier=f"id-{n}", source_modified=old)
    call_action("package_create", context=site(), name="fresh", title="新しいデータ", owner_org=SAPPORO,
                source_identifier="id-new", source_modified=dt.date.today().isoformat())
    call_action("package_create", context=site(), name="by-hand", title="職員が作成", owner_org=SAPPORO)
    front_page.forget()
    body = app.get("/").get_data(as_text=True)
    assert re.search(r'id="figure-week">\s*2\s*<', body), re.search(r'id="figure-week">[^<]*<', body)


def test_a_failed_source_reads_plainly_for_residents_and_in_detail_for_stewards(app):
    from ckanext.harvest.model import HarvestGatherError, HarvestJob
    steward = factories.User(password="Hokkaido-steward-1")
    call_action("organization_create", context=site(), name=SAPPORO, title="札幌市",
                users=[{"name": steward["name"], "capacity": "editor"}])
    source = call_action("harvest_source_create", context=site(), name="sapporo", title="札幌市のポータル",
                         url="https://data.city.sapporo.example/", source_type="hokkaido_ckan",
                         frequency="MANUAL", owner_org=SAPPORO, config=json.dumps({"municipality_code": SAPPORO}))
    job = HarvestJob(source_id=source["id"], status="Finished", finished=dt.datetime(2026, 12, 6, 17, 58, 54))
    job.save()
    HarvestGatherError(job=job, message="[gather] ハーベスト元を読めませんでした / the server answered HTTP 500").save()
    resident = app.get(f"/municipalities/{SAPPORO}").get_data(as_text=True)
    assert "前回、このサイトからデータを取得できませんでした" in resident or "前回、一部のデータを取り込めませんでした" in resident
    assert "HTTP 500" not in resident and "[gather]" not in resident
    assert "2026年12月7日 02:58" in resident and "2026-12-06T17:58" not in resident  # JST, in Japanese order
    steward_page = logged_in(app, steward, "Hokkaido-steward-1").get(f"/municipalities/{SAPPORO}").get_data(
        as_text=True)
    assert "HTTP 500" in steward_page and "担当者向けの詳細" in steward_page


def test_an_inventory_row_to_publish_links_its_page_and_carries_the_licence():
    call_action("organization_create", context=site(), name="010006", title="北海道")
    call_action("organization_create", context=site(), name="010006-011500", title="北海道 総務部",
                extras=[{"key": "parent", "value": "010006"}])
    wanted = {"title": "桜の開花情報", "publishable": "可", "homepage_url": "https://www.pref.hokkaido.lg.jp/sm/sum/a0005/"}
    made = call_action("package_create", context=site(), name="hokkaido-011500-3", owner_org="010006-011500",
                       agency_code="011500", serial_no="3", **wanted, **importer.publication(wanted, None))
    assert made["license_id"] == "cc-by-4.0"
    assert [(r["url"], r["format"]) for r in made["resources"]] == [(wanted["homepage_url"], "HTML")]
    assert importer.publication(wanted, made) == {}   # a second import adds nothing
    assert importer.publication(dict(wanted, publishable="不可"), None) == {}


def test_a_dataset_page_shows_only_fields_with_values(app):
    call_action("organization_create", context=site(), name=SAPPORO, title="札幌市")
    call_action("package_create", context=site(), name="sparse", title="まばらなデータ", owner_org=SAPPORO,
                category="防災", resources=[{"url": "https://example.jp/a.csv", "format": "CSV"}])
    body = app.get("/dataset/sparse").get_data(as_text=True)
    table = body.split('class="additional-info"', 1)[1].split("</table>", 1)[0]
    labels = re.findall(r'<th scope="row" class="dataset-label">([^<]+)</th>', table)
    assert "分類" in labels and "市町村" in labels
    for empty in ("執行機関コード", "データID", "ホームページURL", "更新頻度", "料金"):
        assert empty not in labels, (empty, labels)


def test_the_search_page_has_one_facet_per_meaning_and_says_whose_each_result_is(app):
    call_action("organization_create", context=site(), name=SAPPORO, title="札幌市")
    call_action("organization_create", context=site(), name="012025", title="函館市")
    for code in (SAPPORO, "012025"):
        call_action("package_create", context=site(), name=f"gomi-{code}", title="ゴミ収集カレンダー",
                    owner_org=code, tags=[{"name": "札幌市"}, {"name": "ごみ"}], source_identifier=f"g-{code}",
                    source_modified="2026-11-30",
                    resources=[{"url": f"https://example.jp/{code}.csv", "format": "CSV"}])
    body = app.get("/dataset/").get_data(as_text=True)
    facets = re.findall(r'<h2 class="module-heading">\s*<i class="fa fa-filter"></i>\s*([^<]+?)\s*</h2>', body)
    assert "市町村" in facets and "ファイル形式" in facets
    for gone in ("組織", "グループ", "フォーマット"):
        assert gone not in facets, facets
    assert facets.count("ファイル形式") == 1
    assert "この検索にマッチする" not in body and "There are no" not in body
    assert "/dataset/?tags=" + quote("ごみ") in body
    assert "/dataset/?tags=" + quote("札幌市") not in body   # the 市町村 facet's business
    results = re.findall(r'class="dataset-publisher[^"]*">\s*([^<]+?)\s*</span>', body)
    assert sorted(results) == ["函館市 · 更新 2026年11月30日", "札幌市 · 更新 2026年11月30日"], results
    assert 'href="/group/"' not in body


@pytest.mark.parametrize("lang, heading", [("", "開発者向け API ガイド"), ("/en", "API guide for developers")])
def test_the_developers_guide(app, lang, heading):
    body = app.get(f"{lang}/api-guide").get_data(as_text=True)
    assert heading in body
    for action in ("package_search", "datastore_search", "hokkaido_municipality_list", "hokkaido_publishing_summary",
                   "Authorization", "ckanapi", "32000", "1000"):
        assert action in body, action
    assert "/api-guide" in app.get(f"{lang}/about").get_data(as_text=True)
