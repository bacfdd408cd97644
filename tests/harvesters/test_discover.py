"""Discovery from a municipality's homepage (harvesters/discover.py) on
simulated municipal sites served locally (tests/fakes/municipal_sites.py):
each test names the site's structure, which is the bad or awkward input."""
from __future__ import annotations

import pytest

from harvesters.discover import discover
from tests.fakes import municipal_sites
from tests.fakes.portal_server import PortalServer


@pytest.fixture
def other_host():
    with PortalServer() as server:
        yield server


@pytest.mark.parametrize("structure", ["footer", "submenu", "image", "redirect", "shift_jis", "euc_jp"])
def test_the_open_data_page_is_found_wherever_the_site_puts_it(portal, client, structure):
    kind, url = municipal_sites.STRUCTURES[structure](portal, "ニセコ町")
    found = discover(portal.url + "/", client, code="013951")
    assert [(f.kind, f.url) for f in found.found] == [(kind, url)], found.to_dict()
    (source,) = found.found
    assert source.confidence == "medium" and source.datasets == 4
    # the evidence: the chain of pages and link texts from the homepage
    assert source.evidence[-1].url == url and "オープンデータ" in source.evidence[-1].text
    assert source.evidence[0].page.startswith(portal.url + "/")
    assert found.problems == []


def test_a_sub_menu_two_levels_down_is_reached_through_its_menus(portal, client):
    municipal_sites.submenu_two_levels(portal, "森町")
    (source,) = discover(portal.url + "/", client).found
    assert [step.text for step in source.evidence] == ["市政情報", "統計・データ", "オープンデータの公開"]


def test_a_portal_on_another_host_is_probed_and_confident(portal, client, other_host):
    municipal_sites.ckan_elsewhere(portal, "函館市", portal=other_host)
    (source,) = discover(portal.url + "/", client, code="012025").found
    assert (source.kind, source.url, source.datasets, source.confidence) == ("ckan", other_host.url, 4, "high")
    assert source.config["municipality_code"] == "012025"


def test_a_link_to_harp_maps_to_the_shared_source_and_is_not_fetched(portal, client):
    municipal_sites.links_to_harp(portal, "江差町")
    (source,) = discover(portal.url + "/", client).found
    assert (source.kind, source.shared, source.confidence) == ("shared", "harp", "high")
    assert source.url == municipal_sites.HARP_DATASET


def test_robots_txt_is_respected(portal, client):
    municipal_sites.robots_blocked(portal, "小樽市")
    result = discover(portal.url + "/", client)
    assert result.found == [] and result.tried == []
    assert "robots.txt disallows" in result.problems[0]
    assert [r.path for r in portal.requests] == ["/robots.txt"]


def test_a_site_drawn_by_javascript_is_reported_unreadable_not_guessed(portal, client):
    municipal_sites.javascript_only(portal, "夕張市")
    result = discover(portal.url + "/", client)
    assert result.found == []
    assert "drawn by JavaScript" in result.problems[0]


def test_a_site_without_open_data_lists_the_pages_tried(portal, client):
    municipal_sites.no_open_data(portal, "上砂川町")
    result = discover(portal.url + "/", client)
    assert result.found == [] and result.problems == []
    assert result.tried == [portal.url + "/", portal.url + "/sitemap/"]


def test_an_unreachable_homepage_is_a_problem_named(client):
    # Bad input tried: a homepage on a port nothing listens on
    with PortalServer() as closed:
        url = closed.url
    result = discover(url + "/", client)
    assert result.found == [] and result.problems and url in result.problems[0]


def test_an_open_data_page_without_data_is_not_a_source(portal, client):
    # Bad input tried: the オープンデータ link leads to a page about the policy only
    municipal_sites.policy_page_only(portal, "占冠村")
    result = discover(portal.url + "/", client)
    assert result.found == [] and portal.url + "/od-policy/" in result.tried


def test_a_shared_portal_named_only_by_its_name_on_the_open_data_page_is_found(portal, client):
    # Bad input: the link to BODIK reads 「BODIK ODCS」, with no open-data word in its text
    # or address; it stands on the page the homepage's オープンデータ link leads to.
    municipal_sites.bodik_on_the_open_data_page(portal, "ニセコ町")
    (source,) = discover(portal.url + "/", client, code="013951").found
    assert (source.kind, source.shared, source.url) == ("shared", "bodik", municipal_sites.BODIK_ORGANIZATION)
    assert [step.text for step in source.evidence] == ["オープンデータ", "BODIK ODCS"]
    # the same link on the homepage itself, not reached through an open-data link, is not taken
    portal.respond("/", municipal_sites.html("ニセコ町", f'<a href="{municipal_sites.BODIK_ORGANIZATION}">BODIK</a>'))
    assert discover(portal.url + "/", client, code="013951").found == []


def test_the_open_data_page_that_only_links_the_catalog_is_not_a_source_of_its_own(portal, client):
    # Bad input: the open-data page's only data link is the catalog file found too; it
    # was proposed as a second, "web page" source.
    kind, url = municipal_sites.catalog_on_the_open_data_page(portal, "ニセコ町")
    found = discover(portal.url + "/", client, code="013951").found
    assert [(f.kind, f.url) for f in found] == [(kind, url)], [f.to_dict() for f in found]
    assert found[0].datasets == 2 and found[0].confidence == "high"
