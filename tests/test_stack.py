"""The stack is real: PostgreSQL, Solr (our derived schema) and Redis."""
import pytest
from ckan import model
from ckan.lib import search
from ckan.lib.redis import connect_to_redis
from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from tests import solr


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestStack:

    def test_dataset_created_through_the_api_is_found_by_search(self):
        admin = factories.Sysadmin()
        org = factories.Organization(name="011002", title="札幌市")
        call_action("package_create", context={"user": admin["name"]},
                    name="sapporo-bear",
                    title="ヒグマ出没情報", owner_org=org["id"],
                    notes="札幌市内のヒグマ出没地点")
        call_action("package_create", context={"user": admin["name"]},
                    name="unrelated",
                    title="Unrelated", owner_org=org["id"])

        result = call_action("package_search", q="name:sapporo-bear")

        assert result["count"] == 1
        assert result["results"][0]["title"] == "ヒグマ出没情報"

    def test_runs_on_postgresql_and_the_test_solr_core(self):
        assert model.Session.bind.dialect.name == "postgresql"
        assert model.Session.bind.url.database.startswith("ckan_test")
        assert "/solr/ckan_test" in solr.current_url()
        # a live Solr, answering with our schema
        assert search.is_available()

    def test_ckan_accepts_the_derived_solr_schema_version(self):
        assert search.check_solr_schema_version() is True

    def test_redis_is_live(self):
        redis = connect_to_redis()
        redis.set("hokkaido:test", "ok")
        assert redis.get("hokkaido:test") == b"ok"
        assert not toolkit.config["ckan.redis.url"].endswith("/0")  # portal's
