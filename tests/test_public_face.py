"""The portal's public face through CKAN's test client: the front page
(its figures are the tracker's), About and the terms, the licence list and
what harvested licences map to, the pages of use cases and requests. The
same pages in a real browser, with an accessibility check, are in
test_public_face_browser.py."""
import re

import pytest

from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.hokkaido import front_page


def site_user():
    return call_action("get_site_user", {"ignore_auth": True})["name"]


@pytest.fixture
def portal():
    org = factories.Organization(name="011002", title="札幌市", image_url="")
    call_action("package_create", context={"user": site_user()}, name="gomi", title="ごみ収集日",
                owner_org=org["id"], notes="x", municipality_code="011002", standard_dataset="08",
                license_id="cc-by-4.0", resources=[{"url": "https://example.jp/gomi.csv", "format": "CSV"}])
    front_page.forget()
    return org


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestFrontPage:

    def test_the_portal_s_own_face(self, app, portal):
        body = app.get("/").body
        assert "<h1" in body and "北海道オープンデータポータル" in body
        assert "/hokkaido/logo.svg" in body and "/hokkaido/favicon.svg" in body
        # none of CKAN's placeholder text or images
        for placeholder in ("ckan-logo", "CKANへようこそ", "良い紹介文", "420 x 220", "placeholder-420x220"):
            assert placeholder not in body, placeholder
        assert 'id="front-search"' in body and 'action="/dataset/"' in body
        assert 'id="front-map"' in body and body.count('class="map-dot"') >= 1

    def test_the_figures_are_the_tracker_s(self, app, portal):
        summary = call_action("hokkaido_publishing_summary")
        body = app.get("/").body
        rate = re.search(r'id="figure-rate">([^<]+)<', body).group(1)
        assert rate == "%.1f%%" % (summary["rate"] * 100)
        assert re.search(r'id="figure-publishing">\s*1 / 179', body)
        assert re.search(r'id="figure-datasets">\s*1\s*<', body)
        assert re.search(r'id="figure-week">\s*1\s*<', body)
        newest = re.search(r'id="newest-datasets">(.*?)</ul>', body, re.S).group(1)
        assert "ごみ収集日" in newest
        standard = re.search(r'id="standard-datasets">(.*?)</ul>', body, re.S).group(1)
        assert re.search(r"08 [^<]+</a>\s*<span[^>]*>1</span>", standard)

    def test_use_cases_on_the_front_page_and_most_used(self, app, portal):
        user = factories.User()
        for n in range(2):
            toolkit.get_action("hokkaido_use_case_create")(
                {"user": user["name"]}, {"name": f"app-{n}", "title": f"アプリ{n}", "datasets": ["gomi"]})
        front_page.forget()
        body = app.get("/").body
        assert "アプリ0" in body and "アプリ1" in body
        used = re.search(r'id="most-used-datasets">(.*?)</ol>', body, re.S).group(1)
        assert "ごみ収集日" in used and "2" in used

    @pytest.mark.ckan_config("ckanext.hokkaido.front_page.cache_seconds", "3600")
    def test_cached_then_computed_again_when_told(self, app, portal):
        app.get("/")
        call_action("package_create", context={"user": site_user()}, name="kouen", title="公園一覧",
                    owner_org=portal["id"], notes="x", municipality_code="011002",
                    resources=[{"url": "https://example.jp/kouen.csv"}])
        assert "公園一覧" not in app.get("/").body
        front_page.forget()
        assert "公園一覧" in app.get("/").body

    def test_english(self, app, portal):
        body = app.get("/en/").body
        assert "Publishing rate" in body and "Newest datasets" in body


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestAboutAndTerms:

    def test_about_says_what_who_how_and_the_api_token(self, app):
        for path, words in (("/about", ("このポータルにあるもの", "運営", "ハーベスト", "API トークン", "Authorization")),
                            ("/en/about", ("What the portal holds", "Who runs it", "harvesting", "API token"))):
            body = app.get(path).body
            for word in words:
                assert word in body, (path, word)
            assert "CKAN is the world" not in body

    def test_terms_list_the_portal_s_licences(self, app):
        body = app.get("/terms").body
        assert "利用規約" in body
        assert "クリエイティブ・コモンズ 表示 4.0 国際" in body and "公共データ利用規約（第1.0版）" in body
        assert "Terms of use" in app.get("/en/terms").body

    def test_the_licence_list_is_the_portal_s(self, app):
        licences = {lic["id"]: lic for lic in call_action("license_list")}
        assert licences["cc-by-4.0"]["title"].startswith("クリエイティブ・コモンズ 表示 4.0")
        assert licences["pdl-1.0"]["title"].startswith("公共データ利用規約（第1.0版）")
        assert "odc-pddl" not in licences  # CKAN's defaults are replaced, not added to

    def test_a_dataset_shows_its_licence_in_japanese(self, app, portal):
        assert call_action("package_show", id="gomi")["license_title"].startswith("クリエイティブ・コモンズ")
