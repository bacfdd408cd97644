"""Harvested licences land on the portal's list: a DCAT feed (ArcGIS Hub's
format) whose datasets give their licence as a Creative Commons URL, as
「CC BY」, as 「クリエイティブ・コモンズ 表示 4.0」, as 公共データ利用規約, and
one as words no licence has; the run's report names that one."""
from __future__ import annotations

import json

import pytest
from ckan.plugins import toolkit

from harvesters.dcat import HUB_FEED_PATH
from tests.fakes.dcat import hub_dataset, hub_feed
from tests.fakes.portal_server import PortalResponse
from tests.harvest.jobs import run_job

pytestmark = pytest.mark.ckan_config("ckanext.hokkaido.harvest.min_delay", 0)

LICENCES = {
    "a1": ("https://creativecommons.org/licenses/by/4.0/deed.ja", "cc-by-4.0"),
    "a2": ("CC BY", "cc-by-4.0"),
    "a3": ("クリエイティブ・コモンズ 表示 4.0", "cc-by-4.0"),
    "a4": ("公共データ利用規約（第1.0版）", "pdl-1.0"),
    "a5": ("https://creativecommons.org/publicdomain/zero/1.0/", "cc-zero-1.0"),
    "a6": ("当市のサイトポリシーによる", None),  # the bad input: no licence the portal knows
}


def test_harvested_licences_map_to_the_portal_s_list(portal, harvest):
    datasets = [hub_dataset(f"{key}_0", f"データ{key}", "2024-03-01T00:00:00.000Z", license=given)
                for key, (given, _) in LICENCES.items()]
    portal.respond(HUB_FEED_PATH, PortalResponse(200, json.dumps(hub_feed(datasets)).encode(),
                                                 {"Content-Type": "application/json"}))
    source = toolkit.get_action("harvest_source_create")(harvest.context(), {
        "name": "muroran-hub", "title": "室蘭市", "url": portal.url, "source_type": "hokkaido_dcat",
        "frequency": "MANUAL", "config": json.dumps({"municipality_code": "012050"}),
        "owner_org": harvest.owner["id"]})
    report = run_job(source, harvest.context())

    assert report["counters"]["created"] == len(LICENCES), report
    by_title = {harvest.dataset(n)["title"]: harvest.dataset(n) for n in harvest.searchable(fq='municipality_code:"012050"')}
    for key, (given, expected) in LICENCES.items():
        dataset = by_title[f"データ{key}"]
        if expected:
            assert dataset["license_id"] == expected, (given, dataset["license_id"])
            assert dataset["license_title"] != expected  # a title from the list, not the bare id
        else:
            assert dataset["license_id"] == given  # kept as the source wrote it
    unmapped = [e for e in report["errors"] if "licence not recognised" in e["message"]]
    assert len(unmapped) == 1 and "当市のサイトポリシーによる" in (unmapped[0]["detail"] or ""), report["errors"]
