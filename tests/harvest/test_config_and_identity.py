"""Source config validation, dataset names and the report action.

Each test says in a comment what bad input it tries.
"""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from ckan import model
from ckan.plugins import toolkit

from ckanext.hokkaido import extras
from ckanext.hokkaido.harvest.identity import dataset_name, portal_key, with_source_url

pytestmark = pytest.mark.usefixtures("with_plugins")

NAME_RULE = re.compile(r"^[a-z0-9_-]{2,100}$")


@pytest.mark.parametrize("config, fragments", [
    # Bad input: not JSON at all
    ("{municipality_code: 011002}", ["設定がJSONとして読めません", "config is not valid JSON"]),
    # Bad input: JSON, but a list
    ('["011002"]', ["JSONオブジェクト", "config must be a JSON object"]),
    # Bad input: neither a municipality nor an attribution rule
    ('{"fq": "name:014257_*"}', ["municipality_code（市町村コード）か attribution", "attribution rule"]),
    # Bad input: a code whose check digit is wrong (札幌市 is 011002)
    ('{"municipality_code": "011001"}', ["検査数字付き6桁", "valid check digit"]),
    # Bad input: a valid code outside Hokkaido (千代田区)
    ('{"municipality_code": "131016"}', ["北海道の市町村ではありません", "not one of Hokkaido's municipalities"]),
    # Bad input: a number instead of a string
    ('{"municipality_code": 11002}', ["検査数字付き6桁"]),
    # Bad input: a typo in a key
    ('{"municipality_code": "011002", "fqq": "x"}', ["設定に不明な項目があります", "unknown configuration keys"]),
    # Bad input: an attribution map to a bad code
    ('{"attribution": {"organization": {"kitami": "012080"}}}', ["自治体コード 012080 が正しくありません"]),
    # Bad input: an attribution map to a code outside Hokkaido
    ('{"attribution": {"organization": {"chiyoda": "131016"}}}', ["131016 は北海道の市町村ではありません"]),
    # Bad input: a ratio above 1
    ('{"municipality_code": "011002", "min_listing_ratio": 5}', ["min_listing_ratio は 0〜1 の数です"]),
    # Bad input: a negative number of days
    ('{"municipality_code": "011002", "full_listing_every": -1}', ["full_listing_every は 0 以上の日数です"]),
    # Bad input: force as a string
    ('{"municipality_code": "011002", "force": "yes"}', ["force は true か false です"]),
    # Bad input: a field that cannot be protected
    ('{"municipality_code": "011002", "not_overwrite_fields": ["name"]}',
     ["not_overwrite_fields に指定できない項目です: name"]),
    # Bad input: rows out of range for the CKAN adapter
    ('{"municipality_code": "011002", "rows": 5000}', ["rows は 1〜1000 の整数で指定してください"]),
    # Bad input: JSON nested 100,000 deep (Python's parser would overflow its stack)
    ('{"municipality_code": "011002", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
     ["入れ子が深すぎます", "config is nested too deeply"]),
])
def test_invalid_configs_are_refused_with_clear_messages(harvest, config, fragments):
    with pytest.raises(toolkit.ValidationError) as caught:
        harvest.source("http://127.0.0.1:9/", config)
    message = str(caught.value.error_dict["config"])
    for fragment in fragments:
        assert fragment in message


def test_valid_configs_are_accepted(harvest):
    # Bad input: none; the documented examples.
    for config in ('{"municipality_code": "011002"}',
                   '{"fq": "name:014257_*", "attribution": {"name_prefix": true}}',
                   '{"attribution": {"organization": {"kitami-city": "012084"}}, "api_path": "/data/api/action/",'
                   ' "not_overwrite_fields": ["title", "tag_string"], "min_listing_ratio": 0.8,'
                   ' "full_listing_every": 7, "force": false}'):
        source = harvest.source(f"http://127.0.0.1:9/{len(config)}", config)
        assert source["source_type"] == "hokkaido_ckan"


def test_dataset_names_are_short_stable_and_valid():
    # Bad input: identifiers CKAN could never use as names: Japanese, slashes,
    # spaces, upper case, 300 characters, an empty-looking one.
    portal = portal_key("https://Data.Bodik.jp/")
    identifiers = ["3f2a8c1e-0b7d-4c55-9a1e-2d3c4b5a6f70", "データ/1 ?", "A" * 300, "Dataset One", "-"]
    names = [dataset_name("014257", portal, i) for i in identifiers]
    assert all(NAME_RULE.match(n) and len(n) == 19 and n.startswith("014257-") for n in names)
    assert len(set(names)) == len(names)
    assert names == [dataset_name("014257", portal, i) for i in identifiers]  # stable
    # the same dataset through another spelling of the portal URL has the same name
    assert portal_key("http://data.bodik.jp") == portal_key("https://data.bodik.jp/") == "data.bodik.jp"
    # the same identifier on another portal does not
    assert dataset_name("014257", "example.org", "1") != dataset_name("014257", "data.bodik.jp", "1")


def test_report_action(harvest):
    # Bad input: no id; an unknown job id; then a source id instead of a job id.
    action = toolkit.get_action("hokkaido_harvest_report")
    with pytest.raises(toolkit.ValidationError):
        action(harvest.context(), {})
    with pytest.raises(toolkit.ObjectNotFound):
        action(harvest.context(), {"id": "no-such-job"})
    source = harvest.source("http://127.0.0.1:9/", {"municipality_code": "011002"})
    job = toolkit.get_action("harvest_job_create")(harvest.context(), {"source_id": source["id"], "run": False})
    report = action(harvest.context(), {"source_id": source["name"]})
    assert report["job_id"] == job["id"] and report["status"] == "New"
    assert report["counters"] == dict.fromkeys(("found", "created", "updated", "unchanged", "deleted", "errored"), 0)


def test_the_duplicate_check_by_source_url_reads_its_index(harvest):
    # Bad input: a source URL of 5,000 characters, longer than a btree index
    # entry may be (the index of migration 0002 is a hash index).
    long_url = "https://opendata.example.jp/dataset/" + "a" * 5000
    made = toolkit.get_action("package_create")(harvest.context(), {
        "name": "long-source-url", "title": "長いURL", "owner_org": harvest.owner["id"], "source_url": long_url})
    query = with_source_url(long_url)
    assert [p.id for p in query] == [made["id"]]
    assert with_source_url(long_url[:-1]).all() == []

    # a portal's worth of extras (on another dataset), analysed, so that the
    # plan is the one a real portal gets: with a handful of rows the planner
    # may as well start from the package table
    other = toolkit.get_action("package_create")(harvest.context(), {
        "name": "many-extras", "title": "他のデータセット", "owner_org": harvest.owner["id"]})
    if extras.IN_COLUMNS:  # CKAN 2.12: extras are a JSONB column of the dataset
        model.Session.execute(sa.text(
            "INSERT INTO package (id, name, type, state, private, extras) "
            "SELECT md5(:id || g), 'many-' || g, 'dataset', 'active', false, "
            "       jsonb_build_object('source_url', 'https://example.jp/' || g) "
            "FROM generate_series(1, 2000) AS g"), {"id": other["id"]})
    else:
        model.Session.execute(sa.text(
            "INSERT INTO package_extra (id, package_id, key, value, state) "
            "SELECT md5(:id || g), :id, 'note_' || g, 'https://example.jp/' || g, 'active' "
            "FROM generate_series(1, 2000) AS g"), {"id": other["id"]})
    model.Session.commit()
    model.Session.execute(sa.text("ANALYZE package"))
    if not extras.IN_COLUMNS:
        model.Session.execute(sa.text("ANALYZE package_extra"))
    sql = str(query.statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    model.Session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(row[0] for row in model.Session.execute(sa.text("EXPLAIN " + sql)))
    model.Session.rollback()
    index = "idx_hokkaido_package_source_url" if extras.IN_COLUMNS else "idx_hokkaido_package_extra_source_url"
    assert index in plan, plan
