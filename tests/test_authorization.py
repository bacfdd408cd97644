"""Who may change things: anonymous users, plain users, stewards of another
organization, stewards of the right organization and sysadmins, for
harvest sources, harvest runs and inventory imports (publishes-elsewhere is
covered in test_tracker.py)."""
import json

import pytest
from ckan.cli.cli import ckan
from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests.fakes.inventory_rows import seed_rows, write_csv

SAPPORO, HAKODATE = "011002", "012025"
ROLES = ["anonymous", "plain user", "other steward", "steward", "sysadmin"]
ALLOWED = {"anonymous": False, "plain user": False, "other steward": False,
           "steward": True, "sysadmin": True}


@pytest.fixture
def people():
    factories.Organization(name=SAPPORO, title="札幌市")
    factories.Organization(name=HAKODATE, title="函館市")
    site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
    steward, other, plain = factories.User(), factories.User(), factories.User()
    call_action("organization_member_create", context={"user": site_user},
                id=SAPPORO, username=steward["name"], role="editor")
    call_action("organization_member_create", context={"user": site_user},
                id=HAKODATE, username=other["name"], role="admin")
    return {"anonymous": "", "plain user": plain["name"],
            "other steward": other["name"], "steward": steward["name"],
            "sysadmin": factories.Sysadmin()["name"], "_site": site_user}


def as_(user):
    return {"user": user, "ignore_auth": False}


def make_source(user, name="sapporo-ckan"):
    return call_action("harvest_source_create", context=as_(user), name=name,
                       title="札幌市 CKAN", url=f"http://127.0.0.1:9/{name}",
                       source_type="hokkaido_ckan", frequency="MANUAL",
                       owner_org=SAPPORO,
                       config=json.dumps({"municipality_code": SAPPORO}))


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestAuthorization:

    @pytest.mark.parametrize("role", ROLES)
    def test_create_and_edit_a_harvest_source(self, people, role):
        if ALLOWED[role]:
            source = make_source(people[role])
            call_action("harvest_source_patch", context=as_(people[role]),
                        id=source["id"], title="札幌市のCKAN")
        else:
            with pytest.raises(toolkit.NotAuthorized):
                make_source(people[role])
            source = make_source(people["_site"])
            with pytest.raises(toolkit.NotAuthorized):
                call_action("harvest_source_patch", context=as_(people[role]),
                            id=source["id"], title="乗っ取り")
            shown = call_action("harvest_source_show", context=as_(people["_site"]),
                                id=source["id"])
            assert shown["title"] == "札幌市 CKAN"

    @pytest.mark.parametrize("role", ROLES)
    def test_run_a_harvest(self, people, role):
        source = make_source(people["_site"])
        run = lambda: call_action("harvest_job_create", context=as_(people[role]),
                                  source_id=source["id"], run=False)
        if ALLOWED[role]:
            assert run()["status"] == "New"
        else:
            with pytest.raises(toolkit.NotAuthorized):
                run()

    @pytest.mark.parametrize("role", ROLES[1:])     # the CLI always names a user
    def test_import_inventory(self, cli, people, role, tmp_path):
        # the agency organization 010006-011500 exists, made by a first import
        path = write_csv(seed_rows()[:1], tmp_path / "seed.csv")
        cli.invoke(ckan, ["hokkaido", "import-inventory", str(path)])
        site = people["_site"]
        if role == "steward":
            call_action("organization_member_create", context={"user": site},
                        id="010006-011500", username=people[role], role="editor")
        elif role == "other steward":
            call_action("organization_member_create", context={"user": site},
                        id="010006", username=people[role], role="editor")
        rows = seed_rows()[:1]
        rows[0]["notes"] = f"{role} が変更"
        write_csv(rows, path)
        result = cli.invoke(ckan, ["hokkaido", "import-inventory", "--user",
                                   people[role], str(path)])
        notes = call_action("package_show", id="hokkaido-011500-1")["notes"]
        if ALLOWED[role]:
            assert result.exit_code == 0, result.output
            assert notes == f"{role} が変更"
        else:
            assert result.exit_code == 1
            assert "not authorized" in result.output
            assert notes == ""
