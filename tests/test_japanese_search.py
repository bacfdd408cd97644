"""Japanese full-text search: our Solr schema against CKAN's stock one.

The same datasets are indexed in two Solr cores: ``ckan_test`` (schema
derived by schemas/solr/derive_schema.py) and ``ckan_stock_test`` (CKAN's own
schema.xml, untouched). The queries go through CKAN's package_search both
times, so the difference is the schema's analysis alone.
"""

import pytest
from ckan.lib import search
from ckan.tests import factories
from ckan.plugins import toolkit
from ckan.tests.helpers import call_action

from tests import solr

#: CKAN's own (ckan.lib.search.query.QUERY_FIELDS)
STOCK_QUERY_FIELDS = "name^4 title^4 tags^2 groups^2 text"

TITLES = {
    "chiiki-nenrei-jinko": "地域・年齢別人口",
    "shitei-kinkyu-hinan-basho": "指定緊急避難場所一覧",
    # near misses: they share one character or one word with the queries
    "jinji-hatsurei": "人事発令",
    "hinanjo-ichiran": "避難所一覧",
    "kokyo-shisetsu": "公共施設一覧",
}

#: query → the names it must find, and only those
QUERIES = {
    "人口": ["chiiki-nenrei-jinko"],
    # 避難所 and 避難場所 are synonyms (schemas/solr/synonyms-ja.txt)
    "避難場所": ["hinanjo-ichiran", "shitei-kinkyu-hinan-basho"],
    "一覧": ["aed", "hinanjo-ichiran", "kokyo-shisetsu",
           "shitei-kinkyu-hinan-basho"],
    # full-width Latin letters are normalised to ASCII
    "ＡＥＤ": ["aed"],
}


def names_found(q):
    result = call_action("package_search", q=q, rows=50)
    return sorted(d["name"] for d in result["results"])


@pytest.fixture
def datasets(clean_db, clean_index):
    admin = factories.Sysadmin()
    context = {"user": admin["name"]}
    org = factories.Organization(name="010006", title="北海道")
    for name, title in TITLES.items():
        call_action("package_create", context=dict(context), name=name,
                    title=title, owner_org=org["id"])
    call_action("package_create", context=dict(context), name="aed",
                title="AED設置箇所一覧", owner_org=org["id"])
    return org


@pytest.mark.usefixtures("with_plugins", "datasets")
class TestJapaneseSearch:

    @pytest.mark.parametrize("q", list(QUERIES))
    def test_our_schema_finds_japanese_substrings(self, q):
        found = names_found(q)
        print(f"derived schema q={q}: {found}")
        assert found == QUERIES[q]

    def test_stock_ckan_schema_misses_the_same_queries(self, monkeypatch):
        stock = solr.current_url().rsplit("/", 1)[0] + "/ckan_stock_test"
        with solr.pointed_at(stock), monkeypatch.context() as patch:
            # CKAN's own query fields: the stock schema has none of ours
            patch.setitem(toolkit.config, "ckanext.hokkaido.search.query_fields", STOCK_QUERY_FIELDS)
            search.clear_all()
            search.rebuild()
            # the stock core does hold every dataset ...
            assert call_action("package_search", q="*:*")["count"] == 6
            stock_found = {q: names_found(q) for q in ("人口", "避難場所")}
        ours_found = {q: names_found(q) for q in ("人口", "避難場所")}
        print(f"stock CKAN schema: {stock_found}")
        print(f"derived schema:    {ours_found}")
        # ... but finds none of them by a Japanese substring
        assert stock_found == {"人口": [], "避難場所": []}
        assert ours_found == {"人口": ["chiiki-nenrei-jinko"],
                              "避難場所": ["hinanjo-ichiran", "shitei-kinkyu-hinan-basho"]}
