"""The web-page adapter: municipal pages listing data files, served on 127.0.0.1
in Shift_JIS, EUC-JP and UTF-8.

Each test names, in a comment, the bad input it tries."""
from __future__ import annotations

import pytest

from harvesters.errors import BadResponse, ConfigError
from harvesters.webpage import WebpageAdapter, extract_datasets
from tests.fakes.portal_server import PortalResponse, redirect_response, text_response
from tests.fakes.webpage import HAKODATE, serve_page

def test_hakodate_style_page_in_shift_jis(portal, client):
    # Bad input: a Shift_JIS page declared only by <meta http-equiv>, relative links,
    # a duplicate link (with a #fragment), a link to a page, a mailto link, an image link.
    url = serve_page(portal, "/docs/opendata.html", HAKODATE, encoding="cp932")
    adapter = WebpageAdapter(url, {"municipality_code": "012025"}, client)
    records = list(adapter.records())
    assert [(r.identifier, r.title) for r in records] == [
        (f"{url}#オープンデータ一覧｜函館市", "オープンデータ一覧｜函館市"),
        (f"{url}#AED設置箇所一覧", "AED設置箇所一覧"),
        (f"{url}#令和6年度", "令和6年度"),
        (f"{url}#人口・世帯数", "人口・世帯数"),
    ]
    terms, aed, hinanjo, jinko = records
    assert terms.resources == [{"url": portal.url + "/docs/riyoukiyaku.pdf", "name": "利用規約", "format": "PDF",
                                "description": ""}]
    assert aed.resources == [
        {"url": portal.url + "/docs/2014/aed.csv", "name": "AED設置箇所一覧", "format": "CSV", "description": ""},
        {"url": portal.url + "/docs/files/aed.xlsx", "name": "AED設置箇所一覧", "format": "XLSX", "description": ""},
    ]
    assert aed.source_url == url + "#aed"
    assert [(r["name"], r["format"]) for r in hinanjo.resources] == [("避難所データ一式", "ZIP"), ("避難所一覧", "CSV")]
    assert hinanjo.resources[1]["url"] == "https://www.city.hakodate.hokkaido.jp/download.php?id=77"
    assert [(r["name"], r["format"]) for r in jinko.resources] == [("町丁別人口 令和6年3月末", "CSV"),
                                                                   ("町丁界", "GeoJSON")]
    assert {r.municipality_code for r in records} == {"012025"}
    assert adapter.problems == []


def test_euc_jp_page_without_any_declaration(portal, client):
    # Bad input: an EUC-JP page with no charset in the header and no <meta>.
    html = ("<html><head><title>統計データ</title></head><body><h3>観光入込客数</h3>"
            "<a href='kanko.xls'>観光入込客数（Excel）</a><a href='kanko.txt'>説明</a></body></html>")
    url = serve_page(portal, "/toukei/index.html", html, encoding="euc_jp")
    [record] = WebpageAdapter(url, {}, client).records()
    assert record.title == "観光入込客数"
    assert [(r["name"], r["format"]) for r in record.resources] == [("観光入込客数", "XLS"), ("説明", "TXT")]


def test_broken_markup(portal, client):
    # Bad input: unclosed <a>, <h2> and <li>, stray end tags, an unquoted attribute,
    # a comment in the middle and no <html>/<body>.
    html = """<title>壊れたページ</title></div></span>
<h2>ごみ収集日<ul><li><a href=gomi.csv>ごみ収集日（CSV）
<li><a href="gomi.pdf">ごみカレンダー</a></p></td>
<!-- <a href="old.csv">古いデータ</a> -->
<h4>施設</h2><a href="shisetsu.kml">施設位置 KML</a>"""
    url = serve_page(portal, "/gomi/", html)
    records = list(WebpageAdapter(url, {}, client).records())
    assert [(r.title, [x["url"].rsplit("/", 1)[-1] for x in r.resources]) for r in records] == [
        ("ごみ収集日", ["gomi.csv", "gomi.pdf"]), ("施設", ["shisetsu.kml"])]


def test_dt_fallback_without_headings(portal, client):
    # Bad input: a page with no h1-h4 at all, its files grouped in a definition list.
    html = """<html><head><title>データ</title></head><body>
<dl><dt>除雪計画</dt><dd><a href="josetsu.pdf">除雪計画書</a></dd>
<dt>除雪路線</dt><dd><a href="rosen.shp">路線</a> <a href="rosen.zip">路線（一式）</a></dd></dl></body></html>"""
    url = serve_page(portal, "/josetsu.html", html)
    records = list(WebpageAdapter(url, {}, client).records())
    assert [(r.title, len(r.resources)) for r in records] == [("除雪計画", 1), ("除雪路線", 2)]


def test_follow_one_level_within_the_site(portal, client):
    # Bad input: links to sub-pages of the same site, to another site, to an image, a
    # sub-page that is 404, a sub-page repeating a file of the top page, and a link from
    # a sub-page to a deeper page (not followed).
    top = """<html><head><meta charset="utf-8"><title>オープンデータ</title></head><body>
<h1>オープンデータ</h1><a href="top.csv">一覧（CSV）</a>
<a href="/od/kenko.html">健康</a> <a href="/od/kyoiku.html">教育</a> <a href="/od/missing.html">削除済み</a>
<a href="https://other.example/od.html">他のサイト</a> <a href="/img/logo.png">ロゴ</a></body></html>"""
    kenko = """<html><head><meta charset="euc-jp"><title>健康</title></head><body>
<h2>健診会場</h2><a href="kenshin.csv">健診会場（CSV）</a><a href="/od/top.csv">一覧（再掲）</a>
<a href="/od/deeper.html">もっと</a></body></html>"""
    kyoiku = "<html><head><title>教育</title></head><body><h2>学校一覧</h2><a href='gakko.json'>学校</a></body></html>"
    url = serve_page(portal, "/od/index.html", top)
    serve_page(portal, "/od/kenko.html", kenko, encoding="euc_jp")
    serve_page(portal, "/od/kyoiku.html", kyoiku, encoding="cp932")
    serve_page(portal, "/od/deeper.html", "<h2>深い</h2><a href='deep.csv'>deep</a>")
    adapter = WebpageAdapter(url, {"follow": 1}, client)
    records = list(adapter.records())
    assert [(r.identifier, [x["url"].rsplit("/", 1)[-1] for x in r.resources]) for r in records] == [
        (f"{url}#オープンデータ", ["top.csv"]),
        (f"{portal.url}/od/kenko.html#健診会場", ["kenshin.csv"]),
        (f"{portal.url}/od/kyoiku.html#学校一覧", ["gakko.json"]),
    ]
    assert portal.requests_to("/od/deeper.html") == []
    assert portal.requests_to("/img/logo.png") == []
    assert [(p.identifier, p.level) for p in adapter.problems] == [(f"{portal.url}/od/missing.html", "warning")]
    assert "HTTP 404" in adapter.problems[0].reason
    # without follow, only the top page
    assert len(list(WebpageAdapter(url, {}, client).records())) == 1


def test_identifiers_stable_and_changes_between_runs(portal, client):
    # Bad input: between two runs a file is added under one heading, a heading is
    # removed and a new heading appears.
    first_html = "<h2>人口</h2><a href='a.csv'>人口</a><h2>施設</h2><a href='b.csv'>施設</a>"
    second_html = "<h2>人口</h2><a href='a.csv'>人口</a><a href='a2.csv'>人口2</a><h2>道路</h2><a href='c.csv'>道路</a>"
    url = serve_page(portal, "/p.html", first_html)
    adapter = WebpageAdapter(url, {}, client)
    first = {r.identifier: r.content_hash() for r in adapter.records()}
    serve_page(portal, "/p.html", second_html)
    second = {r.identifier: r.content_hash() for r in adapter.records()}
    assert set(first) - set(second) == {f"{url}#施設"}
    assert set(second) - set(first) == {f"{url}#道路"}
    assert first[f"{url}#人口"] != second[f"{url}#人口"]


def test_page_without_data_links_is_reported(portal, client):
    # Bad input: an HTML page with links, none of them to data files.
    url = serve_page(portal, "/about.html", "<h1>概要</h1><a href='/'>トップ</a>")
    adapter = WebpageAdapter(url, {}, client)
    assert list(adapter.records()) == []
    assert [p.reason for p in adapter.problems] == ["no links to data files found on the page"]


@pytest.mark.parametrize(("response", "message"), [
    (text_response('{"a": 1}', content_type="application/json"), "expected an HTML page, got application/json"),
    (PortalResponse(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 50, {"Content-Type": "image/png"}), "expected an HTML page"),
])
def test_not_html_names_the_url(portal, client, response, message):
    # Bad input: JSON and an image where a page was expected.
    portal.respond("/x", response)
    with pytest.raises(BadResponse, match=message) as info:
        list(WebpageAdapter(portal.url + "/x", {}, client).records())
    assert str(info.value).startswith(portal.url + "/x: ")


def test_redirect_loop(portal, client):
    # Bad input: a page that redirects to another that redirects back.
    portal.respond("/a", redirect_response("/b"))
    portal.respond("/b", redirect_response("/a"))
    with pytest.raises(Exception, match="more than 2 redirects") as info:
        list(WebpageAdapter(portal.url + "/a", {}, _client(client)).records())
    assert portal.url + "/a" in str(info.value)


def _client(client):
    client.max_redirects = 2
    return client


@pytest.mark.parametrize("config", [{"follow": 2}, {"max_pages": 0}, {"depth": 1}])
def test_bad_config(config):
    # Bad input: follow other than 0/1, a zero page limit, an unknown key.
    with pytest.raises(ConfigError):
        WebpageAdapter("https://www.city.example.jp/od.html", config)


def test_extract_uses_base_href():
    # Bad input: a <base href> pointing elsewhere than the page.
    datasets, _, _ = extract_datasets("<base href='https://files.example.jp/od/'><h2>X</h2><a href='x.csv'>x</a>",
                                      "https://www.example.jp/page.html")
    assert datasets[0].resources[0]["url"] == "https://files.example.jp/od/x.csv"


DATED = """<html><head><meta charset="Shift_JIS"><title>統計データ｜旭川市</title></head><body>
<h2>人口</h2>
<ul><li><a href="/files/jinko.csv">人口（CSV：5KB）</a>（令和６年４月１日更新）</li>
    <li><a href="/files/jinko-old.csv">人口 旧版（CSV）</a>（2019/3/31 掲載）</li></ul>
<h2>公共施設</h2>
<p><a href="/files/shisetsu.xlsx">公共施設一覧（エクセル）</a></p>
<div class="footer"><p>このページの最終更新日：２０１５年４月１日</p></div>
</body></html>"""


def test_dates_written_beside_links_or_for_the_whole_page(portal, client):
    # Bad input: full-width digits, an era date, two dates under one heading, a dataset with
    # no date of its own (the page's 最終更新日 is used), and a page with no date at all.
    url = serve_page(portal, "/toukei.html", DATED, encoding="cp932")
    records = {r.title: r for r in WebpageAdapter(url, {"municipality_code": "012041"}, client).records()}
    assert records["人口"].source_modified == "2024-04-01"       # the newest beside its links
    assert records["公共施設"].source_modified == "2015-04-01"   # the page's own date
    undated = serve_page(portal, "/nodate.html", HAKODATE, encoding="cp932")
    assert {r.source_modified for r in WebpageAdapter(undated, {"municipality_code": "012025"},
                                                      client).records()} == {None}


def test_undated_files_are_dated_by_their_last_modified(portal, client):
    # Bad input: a page with no date anywhere; one file answers HEAD with Last-Modified,
    # one with none, one 404s; the budget of HEAD requests is kept.
    html = ("<html><head><title>施設</title></head><body><h2>公共施設</h2><ul>"
            "<li><a href='/f/a.csv'>公共施設（CSV）</a></li><li><a href='/f/b.csv'>追加（CSV）</a></li>"
            "<li><a href='/f/c.csv'>削除済み（CSV）</a></li></ul><h2>公園</h2>"
            "<p><a href='/f/d.csv'>公園（CSV）</a></p></body></html>")
    url = serve_page(portal, "/shisetsu.html", html)
    portal.respond("/f/a.csv", PortalResponse(200, b"a,b\n", {"Content-Type": "text/csv",
                                                             "Last-Modified": "Wed, 10 Apr 2024 01:02:03 GMT"}))
    portal.respond("/f/b.csv", PortalResponse(200, b"a,b\n", {"Content-Type": "text/csv"}))
    portal.respond("/f/d.csv", PortalResponse(200, b"a,b\n", {"Content-Type": "text/csv",
                                                             "Last-Modified": "Mon, 01 Jan 2018 00:00:00 GMT"}))
    records = {r.title: r for r in WebpageAdapter(url, {"municipality_code": "012041", "file_dates": 3},
                                                  client).records()}
    assert records["公共施設"].source_modified == "2024-04-10T01:02:03+00:00"
    assert records["公園"].source_modified is None          # the budget of 3 was spent on the first dataset
    heads = [r.path for r in portal.requests if r.method == "HEAD"]
    assert heads == ["/f/a.csv", "/f/b.csv", "/f/c.csv"]
    assert all(r.method == "GET" for r in portal.requests if r.path == "/shisetsu.html")
