"""/sitemap.xml and robots.txt for search engines (issue 32, 5), through
CKAN's test client against the real database.

What each test tries: the index lists every page and the pages hold the
portal's own pages, the 179 municipalities, the standard datasets and each
public, active dataset exactly once, with its date; bad input: a private
dataset, a deleted one, a draft, page 0, a page past the last and a page
number that is no number (all absent or 404); robots.txt keeps CKAN's rules
and names the sitemap by its full address.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.hokkaido import registry
from ckanext.hokkaido.standard.columns import definitions

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def site_user() -> str:
    return call_action("get_site_user", {"ignore_auth": True})["name"]


def locations(app, path: str, tag: str) -> list[ET.Element]:
    answer = app.get(path)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/xml")
    return ET.fromstring(answer.body.encode("utf-8")).findall(f"s:{tag}", NS)


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
@pytest.mark.ckan_config("ckanext.hokkaido.sitemap.page_size", 100)
def test_every_public_page_once_across_the_sitemap_pages(app):
    org = factories.Organization(name="011002", title="札幌市")
    context = {"user": site_user()}
    public = [call_action("package_create", context=dict(context), name=f"public-{n:03d}", title=f"公開 {n}",
                          owner_org=org["id"])["name"] for n in range(120)]
    call_action("package_create", context=dict(context), name="secret", title="非公開", owner_org=org["id"],
                private=True)
    gone = call_action("package_create", context=dict(context), name="gone", title="削除", owner_org=org["id"])
    call_action("package_delete", context=dict(context), id=gone["id"])
    call_action("package_create", context=dict(context), name="draft", title="下書き", owner_org=org["id"],
                state="draft")

    site = toolkit.config["ckan.site_url"].rstrip("/")
    pages = [e.findtext("s:loc", namespaces=NS) for e in locations(app, "/sitemap.xml", "sitemap")]
    fixed = 7 + 179 + len(definitions())
    assert len(pages) == -(-(fixed + 120) // 100)  # 100 addresses a page
    assert pages == [f"{site}/sitemap-{n}.xml" for n in range(1, len(pages) + 1)]

    listed, dates = [], {}
    for page in pages:
        for url in locations(app, page[len(site):], "url"):
            loc = url.findtext("s:loc", namespaces=NS)
            listed.append(loc[len(site):])
            dates[loc] = url.findtext("s:lastmod", namespaces=NS)
    assert len(listed) == len(set(listed)) == fixed + 120
    assert {f"/dataset/{name}" for name in public} <= set(listed)
    assert not {"/dataset/secret", "/dataset/gone", "/dataset/draft"} & set(listed)
    assert {f"/municipalities/{m.code}" for m in registry.municipalities()} <= set(listed)
    assert {f"/standard/{no}" for no in definitions()} <= set(listed)
    assert listed[0] == "/" and "/municipalities" in listed
    shown = call_action("package_show", id="public-007")
    assert dates[f"{site}/dataset/public-007"] == shown["metadata_modified"][:10]

    assert app.get(f"/sitemap-{len(pages) + 1}.xml").status_code == 404
    assert app.get("/sitemap-0.xml").status_code == 404
    assert app.get("/sitemap-x.xml").status_code == 404


@pytest.mark.usefixtures("with_plugins", "clean_db")
def test_robots_txt_keeps_ckans_rules_and_names_the_sitemap(app):
    body = app.get("/robots.txt").body
    site = toolkit.config["ckan.site_url"].rstrip("/")
    assert "User-agent: *" in body and "Disallow: /api/" in body
    assert f"Sitemap: {site}/sitemap.xml" in body.splitlines()
