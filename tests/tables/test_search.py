"""Searching inside a table finds any part of a value, in Japanese (issue
29, 1; ``ckanext/hokkaido/tables/search.py``): through ``datastore_search``
``q`` (a string, or per column) and through the preview's own server side.
Bad input tried: words that are only part of a cell (医療機関, 本町); the
other kana and the other width (ふかがわ for フカガワ, ＡＥＤ for AED); two
words; LIKE's own characters (``%``, ``_``, a backslash) meant literally,
in the whole row and per column; a column that
does not exist; a table made by ``datastore_create`` without our column;
CKAN's full-text syntax with ``plain: false``."""
from __future__ import annotations

import json

import pytest
from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.hokkaido.tables.load import load_resource
from tests.fakes.portal_server import PortalResponse

pytestmark = [pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
              pytest.mark.ckan_config("ckanext.hokkaido.harvest.min_delay", 0),
              pytest.mark.ckan_config("ckanext.hokkaido.harvest.retries", 0)]

CSV = ("名称,住所,電話番号,病床数\r\n"
       "札幌中央医療機関,札幌市中央区本町1丁目,011-111-1111,120\r\n"
       "旭川医療センター,旭川市本町2丁目,0166-22-2222,80\r\n"
       "深川クリニック,深川市フカガワ3丁目,0164-33-3333,0\r\n"
       "AED設置所,函館市大手町,0138-44-4444,5\r\n"
       "割引100%の店,釧路市_末広町,0154-55-5555,1\r\n").encode("cp932")


@pytest.fixture
def table(portal):
    portal.respond("/t.csv", PortalResponse(200, CSV, {"Content-Type": "text/csv"}))
    org = factories.Organization(name="011002", title="札幌市", image_url="")
    site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
    made = call_action("package_create", context=site, name="iryo", title="医療機関一覧", owner_org=org["id"],
                       resources=[{"url": portal.url + "/t.csv", "format": "CSV", "name": "一覧"}])
    resource = made["resources"][0]
    assert load_resource(resource["id"]) == "loaded"
    return resource["id"]


def names(resource_id, **params):
    found = call_action("datastore_search", resource_id=resource_id, **params)
    return sorted(r["名称"] for r in found["records"])


def test_any_part_of_a_value_is_found(table):
    assert names(table, q="医療機関") == ["札幌中央医療機関"]
    assert names(table, q="本町") == ["旭川医療センター", "札幌中央医療機関"]
    assert names(table, q="ふかがわ") == ["深川クリニック"]          # hiragana finds katakana
    assert names(table, q="ＡＥＤ") == ["AED設置所"]                  # full width finds half width
    assert names(table, q="aed") == ["AED設置所"]                     # any case
    assert names(table, q="本町　旭川") == ["旭川医療センター"]       # every word, a full-width space between
    assert names(table, q="100%") == ["割引100%の店"]                # % is a character, not a wildcard
    assert names(table, q="_末広") == ["割引100%の店"]
    assert names(table, q="%") == ["割引100%の店"]
    assert names(table, q="\\") == []                               # a backslash is no escape either
    assert names(table, q="存在しない") == []
    answer = call_action("datastore_search", resource_id=table, q="本町")
    assert answer["q"] == "本町" and answer["total"] == 2


def test_a_search_per_column(table):
    assert names(table, q={"住所": "本町"}) == ["旭川医療センター", "札幌中央医療機関"]
    assert names(table, q={"名称": "本町"}) == []                      # the row has it, not that column
    assert names(table, q=json.dumps({"住所": "ふかがわ"}, ensure_ascii=False)) == ["深川クリニック"]
    assert names(table, q={"病床数": "12"}) == ["札幌中央医療機関"]    # a number read as its text
    assert names(table, q={"住所": "_末広"}) == ["割引100%の店"]       # LIKE's characters per column too
    assert names(table, q={"名称": "%"}) == ["割引100%の店"]
    assert names(table, q={"住所": "%"}) == []                         # the row has it, not that column
    assert names(table, q={"住所": "\\"}) == []


def test_ckans_full_text_syntax_stays_with_plain_false(table):
    assert names(table, q="aed:*", plain=False, language="simple") == ["AED設置所"]


def test_a_table_made_without_the_search_column_is_searched_all_the_same(table):
    site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"]}
    resource = call_action("resource_create", context=site, package_id="iryo", url="https://example.org/x.csv",
                           format="CSV")
    call_action("datastore_create", context=site, resource_id=resource["id"], force=True,
                fields=[{"id": "名称", "type": "text"}],
                records=[{"名称": "札幌市中央区役所"}, {"名称": "函館市役所"}])
    assert names(resource["id"], q="中央区") == ["札幌市中央区役所"]


def test_the_preview_searches_as_typed(app, table):
    view = next(v for v in call_action("resource_view_list", id=table) if v["view_type"] == "datatables_view")
    form = {"draw": "3", "start": "0", "length": "10", "search[value]": "医療機関",
            "order[0][column]": "0", "order[0][dir]": "asc"}
    for n, column in enumerate(("名称", "住所", "電話番号", "病床数")):
        form[f"columns[{n}][name]"] = column
        form[f"columns[{n}][search][value]"] = ""
    answer = app.post(f"/datatables/ajax/{view['id']}", data=form)
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    body = answer.json
    assert body["draw"] == 3 and body["recordsTotal"] == 5 and body["recordsFiltered"] == 1
    assert [r["名称"] for r in body["data"]] == ["札幌中央医療機関"]
    form["search[value]"] = ""
    form["columns[1][search][value]"] = "本町"
    body = app.post(f"/datatables/ajax/{view['id']}", data=form).json
    assert sorted(r["名称"] for r in body["data"]) == ["旭川医療センター", "札幌中央医療機関"]
    # the download of the rows shown keeps the search
    params = {"search": {"value": "ふかがわ"}, "order": [], "visible": [True] * 4,
              "columns": [{"name": c, "search": {"value": ""}} for c in ("名称", "住所", "電話番号", "病床数")]}
    redirect = app.post(f"/datatables/filtered-download/{view['id']}", data={"params": json.dumps(params),
                                                                           "format": "csv"},
                        follow_redirects=False)
    dump = app.get(redirect.headers["Location"])
    assert "深川クリニック" in dump.get_data(as_text=True) and "旭川" not in dump.get_data(as_text=True)


def test_an_unknown_column_is_a_clear_error(table):
    with pytest.raises(toolkit.ValidationError):
        call_action("datastore_search", resource_id=table, q={"ない列": "x"})
