"""The known real portals are registered as harvest sources, and a harvest
of one reports a clean error where the internet is not reachable (as in
these tests, where only loopback is allowed and nothing resolves)."""
import pytest
from ckan.cli.cli import ckan
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.hokkaido import registry
from tests.harvest.jobs import run_job

CODES = ("010006", "011002", "014257", "012050", "012025")


@pytest.fixture
def orgs():
    for code in CODES:
        factories.Organization(name=code, title=registry.name_of(code))


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "orgs")
class TestKnownPortals:

    def test_registers_each_known_portal_once(self, cli):
        result = cli.invoke(ckan, ["hokkaido", "register-known-portals"])
        assert result.exit_code == 0, result.output
        assert "created 5, already registered 0, skipped 7" in result.output
        assert "ニセコ町: HARP で公開" in result.output
        expected = {"010006-shirasagi": "hokkaido_shirasagi",
                    "011002-ckan": "hokkaido_ckan", "014257-ckan": "hokkaido_ckan",
                    "012050-dcat": "hokkaido_dcat",
                    "012025-webpage": "hokkaido_webpage"}
        listed = call_action("harvest_source_list", context={"ignore_auth": True})
        assert len(listed) == 5
        for name, source_type in expected.items():
            source = call_action("harvest_source_show",
                                 context={"ignore_auth": True}, id=name)
            assert source["source_type"] == source_type
            assert source["organization"]["name"] == name[:6]
        bodik = call_action("harvest_source_show", context={"ignore_auth": True},
                            id="014257-ckan")
        assert '"fq": "name:014257_*"' in bodik["config"]
        again = cli.invoke(ckan, ["hokkaido", "register-known-portals"])
        assert "created 0, already registered 5" in again.output

    def test_without_the_organizations_it_says_to_run_init(self, cli):
        site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
        call_action("organization_delete", context={"user": site_user}, id="011002")
        result = cli.invoke(ckan, ["hokkaido", "register-known-portals"])
        assert result.exit_code == 2
        assert "ckan hokkaido init" in result.output

    @pytest.mark.ckan_config("ckanext.hokkaido.harvest.retries", 0)
    def test_unreachable_portal_gives_a_clean_error_and_no_datasets(self, cli):
        # bad input tried: a real portal's URL on a machine without internet
        cli.invoke(ckan, ["hokkaido", "register-known-portals"])
        source = call_action("harvest_source_show", context={"ignore_auth": True},
                             id="011002-ckan")
        report = run_job(source, {"ignore_auth": True})
        assert report["status"] == "Finished"
        assert report["counters"]["created"] == 0
        message = report["errors"][0]["message"]
        assert "ckan.pf-sapporo.jp" in message
        status = call_action("hokkaido_municipality_show", id="011002")
        assert status["status"] == "取得エラー"
        assert status["sources"][0]["last_run"]["errors"]
