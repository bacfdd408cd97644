"""Simulated municipal web sites, for discovery (``harvesters/discover.py``)
tests and ``bench/discover.py``.

Each builder lays out one site on a :class:`PortalServer` the way Japanese
municipal sites are built (a top page with menus, a footer, banners as
images, 市政情報 sub-menus, Shift_JIS pages, redirects to /top/, robots.txt,
sites drawn by JavaScript) and returns what is there to be found: the
source's kind and URL, or ``None`` when the site holds no open data, and
``"shared:harp"`` style answers for a link to a shared portal.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Optional

from tests.fakes.ckan import FakeCkan, make_dataset
from tests.fakes.portal_server import PortalResponse, PortalServer, redirect_response, text_response

HARP_DATASET = "https://www.harp.lg.jp/opendata/dataset/1234.html"

#: what a site holds: (kind, url) of a source, ("shared", key), or None
Truth = Optional[tuple[str, str]]


def html(title: str, body: str, *, encoding: str = "utf-8") -> PortalResponse:
    charset = {"utf-8": "UTF-8", "cp932": "Shift_JIS", "euc_jp": "EUC-JP"}[encoding]
    page = (f'<!DOCTYPE html><html lang="ja"><head><meta charset="{charset}"><title>{title}</title></head>'
            f"<body>{body}</body></html>")
    return text_response(page, encoding=encoding, content_type=f"text/html; charset={charset}")


def menu(*links: tuple[str, str]) -> str:
    return "<nav><ul>" + "".join(f'<li><a href="{href}">{text}</a></li>' for href, text in links) + "</ul></nav>"


ORDINARY = (("/kurashi/", "くらし・手続き"), ("/kosodate/", "子育て・教育"), ("/kanko/", "観光・イベント"),
            ("/bosai/", "防災・安全"))


def data_files_page(server: PortalServer, path: str, town: str, *, encoding: str = "utf-8") -> None:
    """An オープンデータ page of data files (the ``webpage`` kind)."""
    files = "".join(f'<h3>{label}</h3><ul><li><a href="{path}files/{name}.csv">{label}（CSV）</a>'
                    f" 更新日 2024年4月1日</li></ul>"
                    for name, label in (("aed", "AED設置箇所一覧"), ("hinanjo", "指定緊急避難場所一覧"),
                                        ("toilet", "公衆トイレ一覧"), ("jinko", "地域・年齢別人口")))
    server.respond(path, html(f"オープンデータ | {town}", f"<h1>オープンデータ</h1><h2>データ一覧</h2>{files}",
                              encoding=encoding))


def _home(server: PortalServer, town: str, body: str, *, encoding: str = "utf-8", path: str = "/") -> None:
    server.respond(path, html(f"{town}公式ホームページ", f"<header><h1>{town}</h1>{menu(*ORDINARY)}</header>"
                                                     f"<main><p>{town}のお知らせ</p></main>{body}", encoding=encoding))


def footer_link(server: PortalServer, town: str, **_: object) -> Truth:
    _home(server, town, '<footer><a href="/site/opendata/">オープンデータ</a> <a href="/privacy/">個人情報</a></footer>')
    data_files_page(server, "/site/opendata/", town)
    return ("webpage", server.url + "/site/opendata/")


def submenu_two_levels(server: PortalServer, town: str, **_: object) -> Truth:
    _home(server, town, menu(("/shisei/", "市政情報")))
    server.respond("/shisei/", html("市政情報", menu(("/shisei/keikaku/", "計画・方針"),
                                                   ("/shisei/toukei/", "統計・データ"))))
    server.respond("/shisei/toukei/", html("統計・データ", menu(("/shisei/toukei/jinko.html", "人口"),
                                                           ("/shisei/toukei/od/", "オープンデータの公開"))))
    data_files_page(server, "/shisei/toukei/od/", town)
    return ("webpage", server.url + "/shisei/toukei/od/")


def image_link(server: PortalServer, town: str, **_: object) -> Truth:
    _home(server, town, '<aside><a href="/banner/od.html"><img src="/img/od.png" alt="オープンデータ"></a></aside>')
    data_files_page(server, "/banner/od.html", town)
    return ("webpage", server.url + "/banner/od.html")


def redirected_top(server: PortalServer, town: str, **_: object) -> Truth:
    server.respond("/", redirect_response(server.url + "/top/index.html"))
    _home(server, town, '<footer><a href="../opendata/index.html">オープンデータ</a></footer>', path="/top/index.html")
    data_files_page(server, "/opendata/index.html", town)
    return ("webpage", server.url + "/opendata/index.html")


def shift_jis_site(server: PortalServer, town: str, **_: object) -> Truth:
    _home(server, town, '<footer><a href="/od/">オープンデータ一覧</a></footer>', encoding="cp932")
    data_files_page(server, "/od/", town, encoding="cp932")
    return ("webpage", server.url + "/od/")


def euc_jp_site(server: PortalServer, town: str, **_: object) -> Truth:
    _home(server, town, '<footer><a href="/od/">オープンデータ</a></footer>', encoding="euc_jp")
    data_files_page(server, "/od/", town, encoding="euc_jp")
    return ("webpage", server.url + "/od/")


def ckan_elsewhere(server: PortalServer, town: str, *, portal: PortalServer, **_: object) -> Truth:
    """The site links to its own CKAN catalogue on another host."""
    FakeCkan([make_dataset(i) for i in range(4)]).install(portal)
    portal.respond("/", html("データカタログ", "<h1>データカタログ</h1>"))
    _home(server, town, menu(("/shisei/", "市政情報")))
    server.respond("/shisei/", html("市政情報", f'<p><a href="{portal.url}/">{town}データカタログサイト</a></p>'))
    return ("ckan", portal.url)


def links_to_harp(server: PortalServer, town: str, **_: object) -> Truth:
    _home(server, town, f'<footer><a href="{HARP_DATASET}">オープンデータ（北海道オープンデータポータル）</a></footer>')
    return ("shared", "harp")


def robots_blocked(server: PortalServer, town: str, **_: object) -> Truth:
    server.respond("/robots.txt", text_response("User-agent: *\nDisallow: /\n"))
    footer_link(server, town)
    return None  # there is open data, but the site asks not to be crawled


def javascript_only(server: PortalServer, town: str, **_: object) -> Truth:
    server.respond("/", html(f"{town}", '<div id="app"></div><script src="/app.js"></script>'))
    return None


def no_open_data(server: PortalServer, town: str, **_: object) -> Truth:
    _home(server, town, '<footer><a href="/privacy/">個人情報の取扱い</a> <a href="/sitemap/">サイトマップ</a></footer>')
    server.respond("/sitemap/", html("サイトマップ", menu(*ORDINARY)))
    return None


def policy_page_only(server: PortalServer, town: str, **_: object) -> Truth:
    """An オープンデータ link to a page about the policy, with no data on it."""
    _home(server, town, '<footer><a href="/od-policy/">オープンデータの取組</a></footer>')
    server.respond("/od-policy/", html("オープンデータの取組", "<h1>オープンデータの取組</h1>"
                                      "<p>本町では、オープンデータの公開に向けて準備を進めています。</p>"))
    return None


BODIK_ORGANIZATION = "https://data.bodik.jp/organization/013951"


def bodik_on_the_open_data_page(server: PortalServer, town: str, **_: object) -> Truth:
    """The open-data page links to BODIK by the portal's name only (「BODIK ODCS」:
    no open-data word in the text or the address)."""
    _home(server, town, '<footer><a href="/opendata/">オープンデータ</a></footer>')
    server.respond("/opendata/", html(f"オープンデータ | {town}", "<h1>オープンデータ</h1>"
                                      "<p>本町のデータは次のサイトで公開しています。</p>"
                                      f'<p><a href="{BODIK_ORGANIZATION}">BODIK ODCS</a></p>'))
    return ("shared", "bodik")


def catalog_on_the_open_data_page(server: PortalServer, town: str, **_: object) -> Truth:
    """The open-data page's only data link is the catalog file (オープンデータ一覧)."""
    from tests.fakes.catalog import NEW_HEADER, new_row, to_csv

    _home(server, town, '<footer><a href="/opendata/">オープンデータ</a></footer>')
    server.respond("/opendata/", html(f"オープンデータ | {town}", "<h1>オープンデータ</h1>"
                                      '<p><a href="/opendata/opendata_list.csv">オープンデータ一覧（CSV）</a></p>'))
    rows = [new_row("013951", 1, "aed", "AED設置箇所一覧", "AED設置箇所", f"{server.url}/opendata/aed.csv"),
            new_row("013951", 2, "hinanjo", "指定緊急避難場所一覧", "避難場所", f"{server.url}/opendata/hinanjo.csv")]
    server.respond("/opendata/opendata_list.csv", text_response(to_csv(NEW_HEADER, rows), content_type="text/csv"))
    return ("catalog_csv", server.url + "/opendata/opendata_list.csv")


#: every structure, by name
STRUCTURES: dict[str, Callable[..., Truth]] = {
    "footer": footer_link, "submenu": submenu_two_levels, "image": image_link, "redirect": redirected_top,
    "shift_jis": shift_jis_site, "euc_jp": euc_jp_site, "ckan_elsewhere": ckan_elsewhere,
    "harp": links_to_harp, "robots": robots_blocked, "javascript": javascript_only, "none": no_open_data,
    "policy": policy_page_only, "bodik_named": bodik_on_the_open_data_page,
    "catalog_page": catalog_on_the_open_data_page,
}
