"""Only official organizations speak for a municipality (issue 28, 2;
``ckanext/hokkaido/authority.py``). Bad input tried, as a plain registered
user (CKAN lets users create organizations unless the ini says otherwise):
an own organization whose ``parent`` extra names 札幌市, added at creation
and later by a patch; an organization named by a code or as a section of
one; a dataset of the own organization that names 札幌市 as its 市町村; a
harvest source of the own organization configured for 小樽市, pointed at
an unreachable address and at a reachable portal. Nothing changes a
municipality's status, row or count."""
from __future__ import annotations

import json

import pytest
from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests.fakes.ckan import FakeCkan, make_dataset
from tests.harvest.jobs import run_job

SAPPORO, OTARU = "011002", "012033"

pytestmark = [pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
              pytest.mark.ckan_config("ckan.auth.user_create_organizations", True)]


def act(action, user, **data):
    """An action as ``user`` would call it over the API (auth checked)."""
    return toolkit.get_action(action)({"user": user["name"], "ignore_auth": False}, data)


def site():
    return {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}


@pytest.fixture
def portal_orgs():
    for code, title in (("010006", "北海道"), (SAPPORO, "札幌市"), (OTARU, "小樽市")):
        call_action("organization_create", context=site(), name=code, title=title)


@pytest.fixture
def attacker(portal_orgs):
    user = factories.User()
    org = act("organization_create", user, name="my-org", title="私の組織")
    return user, org


def rows():
    return {r["code"]: r for r in call_action("hokkaido_municipality_list")}


def test_only_a_sysadmin_names_a_parent_or_a_code(portal_orgs):
    user = factories.User()
    for data in ({"name": "fake-sapporo", "extras": [{"key": "parent", "value": SAPPORO}]},
                 {"name": "011002-parks"}, {"name": "016012"}):
        with pytest.raises(toolkit.NotAuthorized):
            act("organization_create", user, **data)
    own = act("organization_create", user, name="my-org")
    with pytest.raises(toolkit.NotAuthorized):
        act("organization_patch", user, id=own["id"], extras=[{"key": "parent", "value": SAPPORO}])
    with pytest.raises(toolkit.NotAuthorized):
        act("group_update", user, id=own["id"], name="my-org", extras=[{"key": "parent", "value": SAPPORO}])
    with pytest.raises(toolkit.NotAuthorized):
        act("organization_patch", user, id=own["id"], name="012033-x")
    # the owner may still change what is theirs
    assert act("organization_patch", user, id=own["id"], title="新しい名前")["title"] == "新しい名前"
    # a sysadmin makes a section of 札幌市; its datasets are 札幌市's
    section = call_action("organization_create", context=site(), name="011002-parks", title="札幌市 公園",
                          extras=[{"key": "parent", "value": SAPPORO}])
    made = call_action("package_create", context=site(), name="parks", title="公園一覧", owner_org=section["id"])
    assert made["municipality_code"] == SAPPORO


def test_a_users_own_dataset_speaks_for_no_municipality(attacker):
    user, org = attacker
    before = rows()[SAPPORO]
    assert before["status"] == "未確認"
    with pytest.raises(toolkit.ValidationError) as refused:
        act("package_create", user, name="fake", title="札幌市のAED", owner_org=org["id"],
            municipality_code=SAPPORO)
    assert "municipality_code" in refused.value.error_dict
    made = act("package_create", user, name="own", title="札幌市のAED", owner_org=org["id"])
    assert not made.get("municipality_code")
    after = rows()[SAPPORO]
    assert (after["status"], after["dataset_count"]) == (before["status"], before["dataset_count"])
    assert call_action("hokkaido_publishing_summary")["datasets"] == 0


def test_a_users_own_harvest_source_neither_fails_nor_feeds_a_municipality(attacker, portal):
    user, org = attacker
    unreachable = act("harvest_source_create", user, name="otaru-forged", title="小樽市",
                      url="http://127.0.0.1:9/", source_type="hokkaido_ckan", frequency="MANUAL",
                      owner_org=org["id"], config=json.dumps({"municipality_code": OTARU}))
    report = run_job(unreachable, site())
    assert report["errors"], report  # the source itself failed to read
    FakeCkan([make_dataset(i) for i in range(2)]).install(portal)
    reachable = act("harvest_source_create", user, name="otaru-forged-2", title="小樽市 2", url=portal.url,
                    source_type="hokkaido_ckan", frequency="MANUAL", owner_org=org["id"],
                    config=json.dumps({"municipality_code": OTARU}))
    report = run_job(reachable, site())
    assert report["counters"]["created"] == 0 and report["counters"]["errored"] == 2, report
    assert all("公開できません" in e["message"] for e in report["errors"]), report["errors"]
    otaru = rows()[OTARU]
    assert (otaru["status"], otaru["dataset_count"], otaru["warnings"]) == ("未確認", 0, [])
    shown = call_action("hokkaido_municipality_show", id=OTARU)
    assert shown["sources"] == [] and shown["datasets"] == []
    assert call_action("package_search", fq=f'municipality_code:"{OTARU}"')["count"] == 0


def test_the_prefectures_source_still_feeds_a_municipality(portal_orgs, portal):
    FakeCkan([make_dataset(0)]).install(portal)
    source = call_action("harvest_source_create", context=site(), name="shared", title="共有ポータル",
                         url=portal.url, source_type="hokkaido_ckan", frequency="MANUAL", owner_org="010006",
                         config=json.dumps({"municipality_code": OTARU}))
    assert run_job(source, site())["counters"]["created"] == 1
    assert rows()[OTARU]["dataset_count"] == 1
