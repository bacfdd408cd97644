"""Private datasets stay invisible in every status API, page, count and export.

札幌市 has one public dataset (old, so the municipality is 更新停滞, with one
resource and standard dataset 01) and private ones that would each change
a figure if they leaked: a fresh one with two resources (would make it
公開中 and add to the counts), a private standard dataset 03 (coverage), a
private harvested dataset with a source URL and a recent source date, a
private harvest source whose last run failed (would make it 取得エラー),
and a private row of the prefecture's inventory. Everything is read
through a real ``ckan run`` over HTTP (API, pages, CSV) and the real CLI
(export), as anonymous, a plain user and the admin of another
municipality; the figures must be those of the public dataset alone. The
steward of 札幌市 and a sysadmin do see the private datasets where CKAN
shows them (the dataset search), which proves the private datasets are
there to leak; the status pages count public datasets for everyone.
"""
import datetime as dt
import json

import pytest
import requests
from ckan.cli.cli import ckan
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.hokkaido import registry
from tests.browser import ckan_server  # noqa: F401
from tests.fakes.inventory_rows import seed_rows, write_csv

SAPPORO, HAKODATE = "011002", "012025"
OLD = "2019-04-01"
RECENT = dt.date.today().isoformat()
PUBLIC_TITLE = "札幌市の公開データ"
#: every name, title and URL of a private thing; none may show to the outsiders
SECRETS = ["secret-kaiju-survey", "極秘怪獣調査", "secret-standard", "非公開の標準データ",
           "secret-harvested", "非公開の収集データ", "secret.example.jp", "secret-source",
           "非公開の収集元", "極秘の収集エラー", "極秘在庫データ"]
OUTSIDERS = ["anonymous", "plain user", "other steward"]
STANDARD_PUBLIC, STANDARD_PRIVATE = "01", "03"


@pytest.fixture(scope="module")
def portal(ckan_server, tmp_path_factory):
    """The datasets, sources and users described in the module docstring."""
    from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestObject

    from ckanext.hokkaido import tracker
    from ckanext.hokkaido.inventory.importer import import_inventory

    site = call_action("get_site_user", {"ignore_auth": True})["name"]
    context = lambda: {"user": site}
    for code in (SAPPORO, HAKODATE):
        factories.Organization(name=code, title=registry.name_of(code))
    plain, other, steward = factories.User(), factories.User(), factories.User()
    call_action("organization_member_create", context=context(), id=SAPPORO,
                username=steward["name"], role="editor")
    call_action("organization_member_create", context=context(), id=HAKODATE,
                username=other["name"], role="admin")
    users = {"anonymous": "", "plain user": plain["name"], "other steward": other["name"],
             "steward": steward["name"], "sysadmin": factories.Sysadmin()["name"]}

    def dataset(name, title, private, resources=1, **fields):
        return call_action("package_create", context=context(), name=name, title=title,
                           owner_org=SAPPORO, municipality_code=SAPPORO, private=private,
                           resources=[{"url": f"https://files.example.org/{name}/{i}.csv",
                                       "format": "CSV"} for i in range(resources)],
                           **fields)

    dataset("sapporo-public", PUBLIC_TITLE, False, source_modified=OLD,
            standard_dataset=STANDARD_PUBLIC)
    dataset("secret-kaiju-survey", "極秘怪獣調査", True, resources=2)
    dataset("secret-standard", "非公開の標準データ", True, standard_dataset=STANDARD_PRIVATE)
    harvested = dataset("secret-harvested", "非公開の収集データ", True,
                        source_url="https://secret.example.jp/dataset/x",
                        source_modified=RECENT + "T09:00:00")

    source = call_action("harvest_source_create", context=context(),
                         url="https://secret.example.jp/", name="secret-source",
                         title="非公開の収集元", source_type="hokkaido_ckan", owner_org=SAPPORO,
                         private=True, config=json.dumps({"municipality_code": SAPPORO}))
    job = HarvestJob(source_id=source["id"], status="Finished", finished=dt.datetime.utcnow())
    job.save()
    HarvestGatherError(job=job, message="極秘の収集エラー (HTTP 500)").save()
    harvest_object = HarvestObject(job=job, harvest_source_id=source["id"], guid="x",
                                   package_id=harvested["id"], current=True,
                                   content=json.dumps({"title": "非公開の収集データ"}, ensure_ascii=False))
    harvest_object.save()

    # two rows of the prefecture's inventory, the second made private
    rows = seed_rows()[:2]
    rows[1]["title"] = "極秘在庫データ"
    path = write_csv(rows, tmp_path_factory.mktemp("inventory") / "inventory.csv")
    report = import_inventory(str(path), site)
    assert len(report.created) == 2, report.rejected
    private_row = report.created[1]
    call_action("package_patch", context=context(), id=private_row, private=True)
    agency_org = call_action("package_show", context=context(), id=private_row)["owner_org"]
    inventory_steward = factories.User()
    call_action("organization_member_create", context=context(), id=agency_org,
                username=inventory_steward["name"], role="editor")
    users["inventory steward"] = inventory_steward["name"]

    tracker.take_snapshot()
    tokens = {role: factories.APIToken(user=name)["token"] for role, name in users.items() if name}
    return {"url": ckan_server, "users": users, "tokens": tokens,
            "harvest_object": harvest_object.id, "public_inventory": rows[0]["title"]}


def get(portal, role, path, **params):
    headers = {"Authorization": portal["tokens"][role]} if role in portal["tokens"] else {}
    return requests.get(portal["url"] + path, params=params, headers=headers, timeout=60)


def action(portal, role, name, **params):
    response = get(portal, role, f"/api/3/action/{name}", **params)
    return response.status_code, response.json()


def assert_no_secret(text, where):
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"{where} shows {leaked}"


def sapporo_row(rows):
    return next(r for r in rows if r["code"] == SAPPORO)


# what 札幌市's figures are with its one public dataset only
PUBLIC_ONLY = {"status": "更新停滞", "dataset_count": 1, "resource_count": 1,
               "newest_modified": OLD, "standard_datasets": [STANDARD_PUBLIC],
               "standard_count": 1, "source_count": 0, "last_harvest_ok": None}


@pytest.mark.parametrize("role", OUTSIDERS + ["steward", "sysadmin"])
def test_status_apis_count_public_datasets_only(portal, role):
    # Attack: read the tracker's actions as each kind of user and look for
    # a private dataset, a private harvest source or its error, in names and
    # in every figure (statuses, counts, coverage, dates, rate, history).
    status, listed = action(portal, role, "hokkaido_municipality_list")
    assert status == 200
    row = sapporo_row(listed["result"])
    assert {k: row[k] for k in PUBLIC_ONLY} == PUBLIC_ONLY

    status, shown = action(portal, role, "hokkaido_municipality_show", id=SAPPORO)
    assert status == 200
    shown = shown["result"]
    assert {k: shown[k] for k in PUBLIC_ONLY} == PUBLIC_ONLY
    assert [d["title"] for d in shown["datasets"]] == [PUBLIC_TITLE]
    assert shown["sources"] == []
    assert [c["no"] for c in shown["standard_coverage"] if c["present"]] == [STANDARD_PUBLIC]

    summary = action(portal, role, "hokkaido_publishing_summary")[1]["result"]
    assert (summary["datasets"], summary["resources"], summary["publishing"]) == (1, 1, 1)
    assert summary["by_status"]["更新停滞"] == 1 and summary["by_status"]["取得エラー"] == 0
    history = action(portal, role, "hokkaido_publishing_history")[1]["result"]
    assert history["series"][-1]["by_status"] == summary["by_status"]

    assert_no_secret(json.dumps([listed, shown, summary, history], ensure_ascii=False), role)


@pytest.mark.parametrize("role", OUTSIDERS)
def test_search_facets_and_harvest_apis_hide_private_datasets(portal, role):
    # Attack: ask package_search for private datasets (include_private,
    # a query on a private title, facet counts per municipality, standard
    # dataset and organization), list harvest sources, read a private
    # dataset's harvest object and its source's run report.
    status, found = action(portal, role, "package_search", q="*:*", include_private="true",
                           rows=100, **{"facet.field": json.dumps(
                               ["municipality_code", "standard_dataset", "organization"])})
    assert status == 200
    result = found["result"]
    assert [d["name"] for d in result["results"] if d.get("municipality_code") == SAPPORO] == ["sapporo-public"]
    facets = {name: {i["name"]: i["count"] for i in facet["items"]}
              for name, facet in result["search_facets"].items()}
    # the prefecture's inventory rows count for 010006: the public one only
    assert facets["municipality_code"] == {SAPPORO: 1, registry.PREFECTURE_CODE: 1}
    assert facets["standard_dataset"] == {STANDARD_PUBLIC: 1}
    assert facets["organization"].get(SAPPORO) == 1
    assert action(portal, role, "package_search", q="極秘怪獣調査", include_private="true")[1]["result"]["count"] == 0
    status, sources = action(portal, role, "harvest_source_list")
    assert status == 200 and sources["result"] == []
    assert action(portal, role, "package_show", id="secret-kaiju-survey")[0] in (403, 404)
    assert action(portal, role, "harvest_object_show", id=portal["harvest_object"])[0] == 403
    assert action(portal, role, "hokkaido_harvest_report", source_id="secret-source")[0] in (403, 404)
    assert action(portal, role, "organization_show", id=SAPPORO, include_datasets="true")[1]["result"][
        "package_count"] == 1
    assert_no_secret(json.dumps([found, sources], ensure_ascii=False), role)


@pytest.mark.parametrize("role", ["steward", "sysadmin"])
def test_the_steward_and_a_sysadmin_do_see_them_in_the_dataset_search(portal, role):
    # Attack: none; the private datasets exist and are visible where CKAN
    # shows them to the organization's members, so the outsiders' empty
    # results above are not an artefact of the test.
    found = action(portal, role, "package_search", q="*:*", include_private="true", rows=100,
                   **{"facet.field": json.dumps(["municipality_code"])})[1]["result"]
    names = {d["name"] for d in found["results"]}
    assert {"secret-kaiju-survey", "secret-standard", "secret-harvested"} <= names
    counts = {i["name"]: i["count"] for i in found["search_facets"]["municipality_code"]["items"]}
    assert counts[SAPPORO] == 4
    page = get(portal, role, "/dataset/", q="極秘怪獣調査")
    assert "極秘怪獣調査" in page.text
    status, shown = action(portal, role, "harvest_object_show", id=portal["harvest_object"])
    assert status == 200 and "非公開の収集データ" in shown["result"]["content"]
    # the status pages count public datasets for them too
    assert action(portal, role, "hokkaido_municipality_show", id=SAPPORO)[1]["result"]["dataset_count"] == 1


@pytest.mark.parametrize("role", OUTSIDERS)
def test_pages_and_the_csv_hide_private_datasets(portal, role):
    # Attack: open every page that lists or counts datasets and sources,
    # and download the municipalities CSV, as each outsider.
    pages = {
        "/municipalities": "札幌市",
        f"/municipalities/{SAPPORO}": PUBLIC_TITLE,
        "/dataset/": PUBLIC_TITLE,
        "/dataset/?q=極秘": "",
        f"/dataset/?municipality_code={SAPPORO}": PUBLIC_TITLE,
        f"/organization/{SAPPORO}": PUBLIC_TITLE,
        "/harvest": "",
    }
    for path, public in pages.items():
        page = get(portal, role, path)
        assert page.status_code == 200, path
        assert public in page.text, path
        assert_no_secret(page.text, path)
    municipality = get(portal, role, f"/municipalities/{SAPPORO}").text
    assert '<dd class="col-sm-8" id="dataset-count">1</dd>' in municipality
    assert "更新停滞" in municipality and "登録された収集元はありません" in municipality
    for path in ("/dataset/secret-kaiju-survey", "/dataset/secret-harvested", "/harvest/secret-source"):
        assert get(portal, role, path).status_code in (403, 404), path

    csv_text = get(portal, role, "/municipalities.csv").content.decode("utf-8-sig")
    assert_no_secret(csv_text, "municipalities.csv")
    header, *lines = [line.split(",") for line in csv_text.splitlines()]
    row = dict(zip(header, next(line for line in lines if line[0] == SAPPORO)))
    assert {k: row[k] for k in ("status", "dataset_count", "resource_count", "newest_modified",
                                "standard_count", "source_count", "last_harvest_ok")} == {
        "status": "更新停滞", "dataset_count": "1", "resource_count": "1", "newest_modified": OLD,
        "standard_count": "1", "source_count": "0", "last_harvest_ok": ""}


def export(cli, tmp_path, *args):
    path = tmp_path / "export.csv"
    result = cli.invoke(ckan, ["hokkaido", "export-inventory", str(path), *args])
    assert result.exit_code == 0, result.output
    return result.output, path.read_text(encoding="utf-8-sig")


def test_the_inventory_export_is_public_unless_asked_and_allowed(portal, cli, tmp_path):
    # Attack: export the inventory as the site user without asking for
    # private rows, and with --include-private as users who may not read
    # the private row; then as those who may (the site user, the steward of
    # the row's organization).
    users = portal["users"]
    public = portal["public_inventory"]
    for args in ([], ["--user", users["plain user"], "--include-private"],
                 ["--user", users["other steward"], "--include-private"],
                 ["--user", users["steward"], "--include-private"]):
        output, text = export(cli, tmp_path, *args)
        assert "exported 1 rows" in output, args
        assert public in text, args
        assert_no_secret(text, f"export-inventory {' '.join(args)}")
    for args in (["--include-private"], ["--user", users["inventory steward"], "--include-private"]):
        output, text = export(cli, tmp_path, *args)
        assert "exported 2 rows" in output, args
        assert public in text and "極秘在庫データ" in text, args
