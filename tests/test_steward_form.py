"""The dataset and resource forms as a steward uses them (issue 15): a
logged-in editor's cookie session through CKAN's own views, the Japanese
schema of ckanext-hokkaido. Each test names the bad input it tries."""
from __future__ import annotations

import configparser
import datetime as dt
import io
import os
from urllib.parse import unquote, urlparse

import pytest

from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests.web import form_fields, logged_in, token_in

pytestmark = pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")

PASSWORD = "Hokkaido-steward-1"
SAPPORO = "011002"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def steward(app):
    user = factories.User(password=PASSWORD)
    factories.Organization(name=SAPPORO, title="札幌市", users=[{"name": user["name"], "capacity": "editor"}])
    return user, logged_in(app, user, PASSWORD)


def harvested(owner=SAPPORO, **fields):
    """A dataset as the harvest writes it: no 整理番号, a source date with a time zone."""
    site = call_action("get_site_user", {"ignore_auth": True})["name"]
    return call_action("package_create", context={"user": site}, **{
        "name": "sapporo-aed", "title": "AED設置箇所一覧", "owner_org": owner,
        "municipality_code": SAPPORO, "source_url": "https://ckan.pf-sapporo.jp/dataset/aed",
        "source_identifier": "aed", "source_modified": "2024-04-01T09:00:00+09:00",
        "resources": [{"url": "https://ckan.pf-sapporo.jp/aed.csv", "name": "AED", "format": "CSV"}], **fields})


def test_a_harvested_dataset_saved_unchanged_through_the_form(steward):
    # Bad input: the edit form sent back as shown: 整理番号 empty (a 500 before) and the
    # source's date in a form a date-time input rejects (it came back empty before).
    _, client = steward
    dataset = harvested()
    page = client.get(f"/dataset/edit/{dataset['name']}").get_data(as_text=True)
    fields = form_fields(page, "dataset-edit")
    assert fields["serial_no"] == "" and fields["source_modified"] == "2024-04-01T09:00:00+09:00"
    answer = client.post(f"/dataset/edit/{dataset['name']}", data=dict(fields, save=""), follow_redirects=False)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    saved = call_action("package_show", id=dataset["id"])
    assert saved["source_modified"] == "2024-04-01T09:00:00+09:00" and not saved.get("serial_no")


def test_resource_links_take_only_the_schemes_the_harvest_stores(steward):
    # Bad input: javascript:, data: and file: links typed into the resource form.
    user, client = steward
    dataset = harvested(resources=[])
    for url in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "file:///etc/passwd"):
        with pytest.raises(toolkit.ValidationError, match="http"):
            call_action("resource_create", context={"user": user["name"]}, package_id=dataset["id"], url=url)
    page = client.get(f"/dataset/{dataset['name']}/resource/new").get_data(as_text=True)
    answer = client.post(f"/dataset/{dataset['name']}/resource/new", data=dict(
        form_fields(page, "resource-edit"), url="javascript:alert(1)", name="危険", save="go-metadata"))
    assert "http(s)://" in answer.get_data(as_text=True)
    assert call_action("package_show", id=dataset["id"])["resources"] == []
    ok = call_action("resource_create", context={"user": user["name"]}, package_id=dataset["id"],
                     url="https://www.city.sapporo.jp/aed.csv")
    assert ok["url"] == "https://www.city.sapporo.jp/aed.csv"


def test_a_steward_uploads_a_file_and_a_refused_type(steward):
    # Bad input: an .exe upload; and a CSV, which must be stored and served back.
    user, client = steward
    dataset = harvested(resources=[])
    page = client.get(f"/dataset/{dataset['name']}/resource/new").get_data(as_text=True)
    assert 'type="file"' in page  # the form offers an upload, not only a link
    csv = "名称,住所\n札幌市役所,札幌市中央区北1条西2丁目\n".encode("utf-8")
    fields = form_fields(page, "resource-edit")
    answer = client.post(f"/dataset/{dataset['name']}/resource/new", data=dict(
        fields, url="aed.csv", name="AED（CSV）", format="CSV", upload=(io.BytesIO(csv), "aed.csv"),
        save="go-metadata"), content_type="multipart/form-data", follow_redirects=False)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:1000]
    (resource,) = call_action("package_show", id=dataset["id"])["resources"]
    assert resource["url_type"] == "upload" and resource["url"].endswith("/aed.csv")
    download = client.get(f"/dataset/{dataset['id']}/resource/{resource['id']}/download/aed.csv")
    assert download.status_code == 200 and download.data == csv

    answer = client.post(f"/dataset/{dataset['name']}/resource/new", data=dict(
        fields, url="setup.exe", name="プログラム", upload=(io.BytesIO(b"MZ\x90\x00"), "setup.exe"),
        save="go-metadata"), content_type="multipart/form-data")
    assert "アップロードできません" in answer.get_data(as_text=True)
    assert len(call_action("package_show", id=dataset["id"])["resources"]) == 1


@pytest.mark.parametrize("prefix, message", [
    ("", "この種類のファイルはアップロードできません（使える拡張子: "),
    ("/en", "Files of this type cannot be uploaded (allowed extensions: ")])
def test_a_refusal_speaks_the_pages_language(steward, prefix, message):
    # Bad input: an .exe upload through the Japanese form and through the English one
    # (/en/): the validator's message is a message id of the portal's catalogue.
    _, client = steward
    dataset = harvested(resources=[])
    page = client.get(f"{prefix}/dataset/{dataset['name']}/resource/new").get_data(as_text=True)
    answer = client.post(f"{prefix}/dataset/{dataset['name']}/resource/new", data=dict(
        form_fields(page, "resource-edit"), url="setup.exe", name="プログラム",
        upload=(io.BytesIO(b"MZ"), "setup.exe"), save="go-metadata"), content_type="multipart/form-data")
    text = answer.get_data(as_text=True)
    assert message in text and "setup.exe" in text
    other = "Files of this type" if prefix == "" else "アップロードできません"
    assert other not in text


def test_the_new_dataset_form_has_two_steps_and_offers_a_name(steward):
    # Bad input: a title in Japanese only and the URL name left empty (「URL: 不明な値」
    # before); 「次へ」 that published a dataset with no data; 「完了」 with no resource.
    _, client = steward
    page = client.get("/dataset/new").get_data(as_text=True)
    fields = dict(form_fields(page, "dataset-edit"), title="ごみ収集カレンダー", name="",
                  owner_org=call_action("organization_show", id=SAPPORO)["id"])
    answer = client.post("/dataset/new", data=dict(fields, save="continue"), follow_redirects=False)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:2000]
    name = f"{SAPPORO}-{dt.date.today():%Y%m%d}"
    assert unquote(answer.headers["Location"]).endswith(f"/dataset/{name}/resource/new")
    made = call_action("package_show", id=name)
    assert made["state"] == "draft" and made["municipality_code"] == SAPPORO
    assert not call_action("package_search", q="*:*")["results"]  # a draft is not found

    # the second step: 「完了」 with nothing asks for data and publishes nothing
    page = client.get(f"/dataset/{name}/resource/new").get_data(as_text=True)
    empty = client.post(f"/dataset/{name}/resource/new",
                        data=dict(form_fields(page, "resource-edit"), save="go-metadata"))
    assert "少なくとも一件以上のリソースを追加" in empty.get_data(as_text=True)
    assert call_action("package_show", id=name)["state"] == "draft"
    # the API refuses the same (CKAN 2.12's resource view leaves it to the action)
    with pytest.raises(toolkit.ValidationError) as refused:
        call_action("package_patch", context={"user": steward[0]["name"]}, id=name, state="active")
    assert refused.value.error_dict == {"resources": ["You must add at least one data resource"]}
    assert call_action("package_show", id=name)["state"] == "draft"
    done = client.post(f"/dataset/{name}/resource/new", data=dict(
        form_fields(page, "resource-edit"), url="https://www.city.sapporo.jp/gomi.csv",
        name="カレンダー", save="go-metadata"), follow_redirects=False)
    assert done.status_code == 302
    assert call_action("package_show", id=name)["state"] == "active"

    # the same title again: the offered name is made unique; English words are kept
    again = client.post("/dataset/new", data=dict(fields, save="continue"), follow_redirects=False)
    assert unquote(again.headers["Location"]).endswith(f"/dataset/{name}-2/resource/new")
    latin = client.post("/dataset/new", data=dict(fields, title="AED設置箇所 2024年版", save="continue"),
                        follow_redirects=False)
    assert unquote(latin.headers["Location"]).endswith(f"/dataset/{SAPPORO}-aed-2024/resource/new")


@pytest.mark.parametrize("owner, given, expected", [
    ("010006-011500", None, "010006"),      # a section of the prefecture: 北海道
    ("010006", "", "010006"),
    (SAPPORO, "012025", SAPPORO),            # the organization decides, not the form
    ("harvest-sources", None, None),           # an organization of no municipality publishes for none
])
def test_the_organization_decides_the_municipality(owner, given, expected):
    # Bad input: a dataset created in 北海道 with no 市町村 (the tracker missed it), and
    # one whose 市町村 contradicts its organization.
    site = call_action("get_site_user", {"ignore_auth": True})["name"]
    extras = [{"key": "parent", "value": "010006"}] if owner.startswith("010006-") else []
    factories.Organization(name=owner, extras=extras)
    fields = {"municipality_code": given} if given is not None else {}
    made = call_action("package_create", context={"user": site}, name="dataset-1", title="道有施設一覧",
                       owner_org=owner, **fields)
    assert made.get("municipality_code") == expected


def test_the_portals_ini_logs_our_code_at_info():
    # Bad input: the run command's ini at DEBUG, burying the import's progress line.
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(os.path.join(ROOT, "ckan.ini"))
    assert parser["logger_ckanext"]["level"].strip() == "INFO"
    assert parser["app:main"]["ckan.uploads_enabled"].strip() == "true"


def test_file_formats_have_one_spelling():
    # Bad input: CSV as csv, ＣＳＶ and .csv; エクセル; a format that is no file type (紙).
    site = call_action("get_site_user", {"ignore_auth": True})["name"]
    factories.Organization(name=SAPPORO)
    made = call_action("package_create", context={"user": site}, name="formats", title="形式",
                       owner_org=SAPPORO, file_format="ｃｓｖ", file_format_2="エクセル", resources=[
                           {"url": "https://example.org/a.csv", "format": "csv"},
                           {"url": "https://example.org/b", "format": ".CSV"},
                           {"url": "https://example.org/c", "format": "紙"}])
    assert (made["file_format"], made["file_format_2"]) == ("CSV", "XLSX")
    assert [r["format"] for r in made["resources"]] == ["CSV", "CSV", "紙"]
    facet = call_action("package_search", **{"facet.field": '["file_format"]'})["search_facets"]["file_format"]
    assert [item["name"] for item in facet["items"]] == ["CSV"]


def test_rows_not_publishable_say_so_on_the_page_and_in_a_facet(app):
    # Bad input: an inventory row marked 公開=不可, beside one marked 可.
    site = call_action("get_site_user", {"ignore_auth": True})["name"]
    factories.Organization(name="010006")
    for name, publishable in (("kojin-joho", "不可"), ("jinko", "可")):
        call_action("package_create", context={"user": site}, name=name, title=name, owner_org="010006",
                    publishable=publishable)
    assert 'id="not-publishable"' in app.get("/dataset/kojin-joho").get_data(as_text=True)
    assert 'id="not-publishable"' not in app.get("/dataset/jinko").get_data(as_text=True)
    facets = call_action("package_search")["search_facets"]
    assert facets["publishable"]["title"] == "公開可否"
    assert {i["name"]: i["count"] for i in facets["publishable"]["items"]} == {"可": 1, "不可": 1}


def test_a_steward_records_publishing_elsewhere_on_the_municipality_page(app, steward):
    # Bad input: the form posted without the CSRF token, with a javascript: URL, and by
    # an editor of another municipality.
    _, client = steward
    page = client.get(f"/municipalities/{SAPPORO}").get_data(as_text=True)
    fields = form_fields(page, "elsewhere-form")
    assert client.post(f"/municipalities/{SAPPORO}/elsewhere", data={"url": "https://x.example/"}
                       ).status_code == 400
    bad = client.post(f"/municipalities/{SAPPORO}/elsewhere", data=dict(fields, url="javascript:alert(1)"))
    assert bad.status_code == 200 and "error-url" in bad.get_data(as_text=True)
    done = client.post(f"/municipalities/{SAPPORO}/elsewhere", data=dict(
        fields, url="https://www.city.sapporo.jp/opendata/", note="市のサイト"), follow_redirects=False)
    assert done.status_code == 302
    row = call_action("hokkaido_municipality_show", id=SAPPORO)
    assert (row["status"], row["elsewhere"]["url"]) == ("他サイトで公開", "https://www.city.sapporo.jp/opendata/")

    other = factories.User(password=PASSWORD)
    factories.Organization(name="012025", users=[{"name": other["name"], "capacity": "editor"}])
    outsider = logged_in(app, other, PASSWORD)
    page = outsider.get(f"/municipalities/{SAPPORO}").get_data(as_text=True)
    assert 'id="elsewhere-form"' not in page
    token = form_fields(client.get(f"/municipalities/{SAPPORO}").get_data(as_text=True),
                        "elsewhere-form")["_csrf_token"]
    refused = outsider.post(f"/municipalities/{SAPPORO}/elsewhere", data={"url": "", "_csrf_token": token})
    assert refused.status_code in (400, 403)  # another session's token, or not a member
    assert call_action("hokkaido_municipality_show", id=SAPPORO)["elsewhere"]["url"]


def test_a_visitor_not_logged_in_is_sent_to_log_in_and_back(app, steward):
    # Bad input: an edit link followed without a session (it answered a bare 403 page).
    user, _ = steward
    dataset = harvested()
    visitor = app.test_client()
    answer = visitor.get(f"/dataset/edit/{dataset['name']}", follow_redirects=False)
    assert answer.status_code == 302
    assert unquote(answer.headers["Location"]).endswith(f"/user/login?next=/dataset/edit/{dataset['name']}")
    login_page = visitor.get(answer.headers["Location"]).get_data(as_text=True)
    back = visitor.post(answer.headers["Location"], data={
        "login": user["name"], "password": PASSWORD, "_csrf_token": token_in(login_page)},
        follow_redirects=False)
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/dataset/edit/{dataset['name']}")
    assert app.get("/api/3/action/package_patch").status_code != 302  # the API answers, never redirects


def test_a_steward_registers_a_source_in_the_japanese_form(steward):
    # Bad input: none; the form explains each type with an example and names organizations.
    _, client = steward
    page = client.get("/harvest/new").get_data(as_text=True)
    assert "収集元の種類" in page and "設定（JSON）" in page
    types = [h["name"] for h in call_action("harvesters_info_show")]
    for source_type in types:
        assert f'value="{source_type}"' in page
    assert page.count('class="config-example"') == len(types) == 5
    assert "札幌市（011002）" in page
    fields = form_fields(page, "source-new")
    assert fields["source_type"] == "hokkaido_ckan"
    answer = client.post("/harvest/new", data=dict(
        fields, url="https://ckan.pf-sapporo.example/", title="札幌市オープンデータ", name="011002-ckan",
        config='{"municipality_code": "011002"}', frequency="WEEKLY"), follow_redirects=False)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:1500]
    source = call_action("harvest_source_show", id="011002-ckan")
    assert (source["source_type"], source["organization"]["name"]) == ("hokkaido_ckan", SAPPORO)


def test_the_harvest_screens_speak_japanese_and_a_deleted_source_is_gone(steward):
    # Bad input: ckanext-harvest's English-only screens (it ships no Japanese catalogue),
    # and a delete that returned to the deleted source's page, which looked active and said
    # 「データセットはすでに削除されています」.
    user, client = steward
    call_action("harvest_source_create", context={"user": user["name"]}, name="011002-ckan",
                title="札幌市オープンデータ", url="https://ckan.pf-sapporo.example/",
                source_type="hokkaido_ckan", owner_org=SAPPORO, frequency="WEEKLY",
                config='{"municipality_code": "011002"}')
    for path, japanese, english in (
            ("/harvest", ("収集元が 1 件あります", "収集元を登録", "収集の頻度", "収集元の種類", "毎週"),
             ("harvest found", "Add Harvest Source", "Frequency", ">hokkaido_ckan<")),
            ("/harvest/011002-ckan", ("この収集元から収集したデータセットはありません", "管理"),
             ("There are no datasets associated", ">Admin<")),
            ("/harvest/admin/011002-ckan", ("再収集", "データを削除"), ("Reharvest", "Last Harvest Job")),
            ("/harvest/011002-ckan/job", ("この収集元の収集ジョブはまだありません",), ("No jobs yet",))):
        page = client.get(path).get_data(as_text=True)
        for text in japanese:
            assert text in page, (path, text)
        for text in english:
            assert text not in page, (path, text)

    confirm = client.get("/harvest/delete/011002-ckan").get_data(as_text=True)
    assert "この収集元を削除します" in confirm
    done = client.post("/harvest/confirmed/delete/011002-ckan",
                       data={"_csrf_token": token_in(confirm)}, follow_redirects=False)
    assert done.status_code == 302 and urlparse(done.headers["Location"]).path.rstrip("/") == "/harvest"
    listing = client.get("/harvest").get_data(as_text=True)
    assert "収集元「札幌市オープンデータ」を削除しました" in listing
    assert "すでに削除" not in listing and "/harvest/011002-ckan\"" not in listing
    assert "収集元はまだありません" in listing
