"""Publishing status per municipality: registry, rules, API and history."""
import csv
import datetime as dt
import io
import json

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.cli.cli import ckan
from ckan.plugins import toolkit
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.hokkaido import extras, registry, tracker

SAPPORO, HAKODATE, OTARU, ASAHIKAWA, MURORAN = (
    "011002", "012025", "012033", "012041", "012050")


def site_user():
    return call_action("get_site_user", {"ignore_auth": True})["name"]


def as_site_user():
    return {"user": site_user()}


def dataset(code, title="データ", private=False, source_modified=None, **kw):
    data = dict(name=kw.pop("name", None) or f"ds-{code}-{abs(hash(title)) % 10**8}",
                title=title, owner_org=code, municipality_code=code,
                private=private, **kw)
    if source_modified:
        data["source_modified"] = source_modified
    return call_action("package_create", context=as_site_user(), **data)


def by_code():
    return {r["code"]: r for r in call_action("hokkaido_municipality_list")}


def harvest_source(code, job_failed, *, config_code=None, name=None, holds=(), read=False):
    """A registered harvest source whose last finished job failed or not.

    ``job_failed`` without ``read``: a gather error and nothing read (a read
    failure); with ``read``: a gather error after records were read (a
    problem, not a read failure). ``holds``: datasets it delivers (current
    objects of its last job)."""
    from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestObject
    source = call_action("harvest_source_create", context=as_site_user(),
                         url=f"http://{name or code}.example.invalid/",
                         name=name or f"src-{code}", title=f"{name or code} portal",
                         source_type="hokkaido_ckan", owner_org=code,
                         config=json.dumps({"municipality_code": config_code or code}))
    job = HarvestJob(source_id=source["id"], status="Finished",
                     finished=dt.datetime.utcnow())
    job.save()
    if job_failed:
        HarvestGatherError(job=job, message="HTTP 500 from portal").save()
    if not job_failed or read or holds:
        for number, package in enumerate(holds or [None]):
            HarvestObject(job=job, harvest_source_id=source["id"], guid=f"x{number}",
                          package_id=package["id"] if package else None, current=bool(package),
                          report_status="added").save()
    return source


@pytest.fixture
def registry_orgs(cli):
    result = cli.invoke(ckan, ["hokkaido", "init"])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def orgs():
    """The organizations these tests use (all 180 are slow to make)."""
    for code in (SAPPORO, HAKODATE, OTARU, ASAHIKAWA, MURORAN):
        factories.Organization(name=code, title=registry.name_of(code))


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index")
class TestRegistry:

    def test_registry_has_179_municipalities_with_valid_codes(self):
        ms = registry.municipalities()
        assert len(ms) == 179
        assert all(registry.is_valid_code(m.code) for m in ms)
        from collections import Counter
        assert Counter(m.type for m in ms) == {"市": 35, "町": 129, "村": 15}
        assert Counter(m.subprefecture for m in ms)["空知総合振興局"] == 24
        # one registry for the whole project: the adapters' list is the portal's
        import harvesters.municipalities
        assert registry.municipalities is harvesters.municipalities.municipalities
        assert registry.is_valid_code is harvesters.municipalities.is_valid_municipality_code

    @pytest.mark.parametrize("title, notes, tags, expected", [
        ("AED設置箇所一覧（令和6年）", "", [], "08"),
        # two names in one title: the longer (more specific) wins
        ("公共施設一覧（AED設置箇所一覧を含む）", "", [], "08"),
        ("子育てマップ", "子育て施設一覧です", ["自治体標準ODS"], "05"),
        ("子育てマップ", "子育て施設一覧です", [], None),      # untagged description: no
        ("医療", "", ["推奨データセット"], None),
        ("", "", [], None),
    ])
    def test_the_standard_dataset_rule(self, title, notes, tags, expected):
        assert registry.standard_dataset_of(title, notes, tags) == expected

    def test_init_creates_180_organizations_idempotently(self, cli, registry_orgs):
        assert "created 180, updated 0, unchanged 0" in registry_orgs.output
        orgs = call_action("organization_list", all_fields=False, limit=1000)
        assert len(orgs) == 180 and "010006" in orgs and SAPPORO in orgs
        sapporo = call_action("organization_show", id=SAPPORO)
        assert sapporo["title"] == "札幌市"
        extras = {e["key"]: e["value"] for e in sapporo["extras"]}
        assert extras["name_kana"] == "サッポロシ"
        assert extras["subprefecture"] == "石狩振興局"

        # a steward edits a title; a rerun keeps it and creates nothing
        call_action("organization_patch", context=as_site_user(), id=SAPPORO,
                    title="札幌市（さっぽろ）")
        again = cli.invoke(ckan, ["hokkaido", "init"])
        assert "created 0, updated 0, unchanged 180" in again.output
        assert call_action("organization_show", id=SAPPORO)["title"] == "札幌市（さっぽろ）"
        assert len(call_action("organization_list", limit=1000)) == 180


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "orgs")
class TestStatusRules:

    def test_unknown_without_sources_or_datasets(self):
        rows = by_code()
        assert len(rows) == 180 and rows["010006"]["is_prefecture"]  # 北海道's own row, then the 179
        assert sum(not r["is_prefecture"] for r in rows.values()) == 179
        assert rows[SAPPORO]["status"] == "未確認"
        assert rows[SAPPORO]["dataset_count"] == 0

    def test_publishing_with_a_fresh_public_dataset(self):
        ds = dataset(SAPPORO, "ヒグマ出没情報")
        call_action("resource_create", context=as_site_user(),
                    package_id=ds["id"], url="https://example.org/a.csv", format="CSV")
        row = by_code()[SAPPORO]
        assert row["status"] == "公開中"
        assert (row["dataset_count"], row["resource_count"]) == (1, 1)
        assert row["newest_modified"] == dt.date.today().isoformat()

    def test_stale_when_the_source_has_not_changed_for_12_months(self):
        old = (dt.date.today() - dt.timedelta(days=400)).isoformat()
        dataset(HAKODATE, "観光施設一覧", source_modified=old + "T09:00:00")
        row = by_code()[HAKODATE]
        assert row["status"] == "更新停滞"
        assert row["newest_modified"] == old

    @pytest.mark.ckan_config("ckanext.hokkaido.stale_months", 24)
    def test_stale_months_is_configurable(self):
        old = (dt.date.today() - dt.timedelta(days=400)).isoformat()
        dataset(HAKODATE, "観光施設一覧", source_modified=old)
        assert by_code()[HAKODATE]["status"] == "公開中"

    def test_harvest_error_keeps_earlier_datasets_and_shows_the_error(self):
        old = (dt.date.today() - dt.timedelta(days=400)).isoformat()
        dataset(OTARU, "公共施設一覧", source_modified=old)
        harvest_source(OTARU, job_failed=True)
        row = by_code()[OTARU]
        assert row["status"] == "取得エラー"
        assert row["dataset_count"] == 1
        assert row["last_harvest_ok"] is False
        assert [w["read_failed"] for w in row["warnings"]] == [True]
        shown = call_action("hokkaido_municipality_show", id=OTARU)
        assert shown["sources"][0]["last_run"]["errors"][0]["message"] == "HTTP 500 from portal"

    def test_fresh_data_keeps_publishing_beside_a_failed_read(self):
        # Bad input: the only source failed tonight; what it delivered last month is still fresh.
        dataset(OTARU, "公共施設一覧")
        harvest_source(OTARU, job_failed=True)
        row = by_code()[OTARU]
        assert row["status"] == "公開中"
        assert [w["read_failed"] for w in row["warnings"]] == [True]

    def test_a_problem_after_a_good_read_is_a_warning_not_an_error(self):
        # Bad input: a gather error after records were read (withdrawals skipped, time limit, …).
        old = (dt.date.today() - dt.timedelta(days=400)).isoformat()
        dataset(OTARU, "公共施設一覧", source_modified=old)
        harvest_source(OTARU, job_failed=True, read=True)
        row = by_code()[OTARU]
        assert row["status"] == "更新停滞"
        assert [w["read_failed"] for w in row["warnings"]] == [False]

    def test_a_shared_portal_that_delivers_fresh_data_outweighs_a_failed_own_source(self):
        # Bad input: the municipality's own portal fails to be read; HARP delivers its data.
        harvest_source(OTARU, job_failed=True)
        shared = dataset(OTARU, "小樽市 観光施設（HARP）", source_identifier="harp-1")
        harvest_source(SAPPORO, job_failed=False, config_code=SAPPORO, name="harp", holds=[shared])
        row = by_code()[OTARU]
        assert (row["status"], row["source_count"]) == ("公開中", 2)
        assert [w["title"] for w in row["warnings"]] == [f"{OTARU} portal"]

    def test_dates_the_sources_use(self):
        dataset(SAPPORO, "気象観測（継続更新）", source_modified="R/P1D")   # DCAT-US: continuously updated
        dataset(HAKODATE, "人口", source_modified="令和2年4月1日")          # stored as ISO
        dataset(OTARU, "未来の日付", source_modified="2204/4/1")            # a typo: not used
        rows = by_code()
        assert rows[SAPPORO]["status"] == "公開中" and rows[SAPPORO]["newest_modified"] == dt.date.today().isoformat()
        assert rows[HAKODATE]["status"] == "更新停滞" and rows[HAKODATE]["newest_modified"] == "2020-04-01"
        assert rows[OTARU]["newest_modified"] == dt.date.today().isoformat()  # its own last change instead
        with pytest.raises(toolkit.ValidationError, match="R/P1D"):
            dataset(MURORAN, "読めない日付", source_modified="そのうち")

    def test_the_prefecture_has_its_own_row_outside_the_rate(self):
        factories.Organization(name="010006", title="北海道")
        dataset("010006", "道有施設一覧")
        rows = by_code()
        assert (rows["010006"]["status"], rows["010006"]["dataset_count"]) == ("公開中", 1)
        summary = call_action("hokkaido_publishing_summary")
        assert (summary["municipalities"], summary["publishing"], summary["datasets"]) == (179, 0, 0)
        shown = call_action("hokkaido_municipality_show", id="010006")
        assert shown["name"] == "北海道" and shown["dataset_count"] == 1

    def test_a_successful_last_run_is_not_an_error(self):
        dataset(OTARU, "公共施設一覧")
        harvest_source(OTARU, job_failed=False)
        row = by_code()[OTARU]
        assert (row["status"], row["last_harvest_ok"], row["source_count"]) == ("公開中", True, 1)

    def test_publishes_elsewhere_counts_as_publishing(self):
        confirmed = (dt.date.today() - dt.timedelta(days=30)).isoformat()
        call_action("hokkaido_municipality_set_elsewhere", context=as_site_user(),
                    id=ASAHIKAWA, url="https://www.city.asahikawa.hokkaido.jp/od/",
                    date=confirmed, note="市のサイトでCSV公開")
        row = by_code()[ASAHIKAWA]
        assert row["status"] == "他サイトで公開"
        assert row["elsewhere"]["url"] == "https://www.city.asahikawa.hokkaido.jp/od/"
        assert (row["elsewhere"]["date"], row["elsewhere"]["current"]) == (confirmed, True)
        summary = call_action("hokkaido_publishing_summary")
        assert summary["publishing"] == 1
        # a confirmation older than stale_months lapses
        call_action("hokkaido_municipality_set_elsewhere", context=as_site_user(),
                    id=ASAHIKAWA, url="https://www.city.asahikawa.hokkaido.jp/od/", date="2024-01-31")
        row = by_code()[ASAHIKAWA]
        assert (row["status"], row["elsewhere"]["current"]) == ("未確認", False)
        # clearing it brings the municipality back to 未確認
        call_action("hokkaido_municipality_set_elsewhere", context=as_site_user(),
                    id=ASAHIKAWA, url="")
        assert by_code()[ASAHIKAWA]["status"] == "未確認"

    def test_private_and_deleted_datasets_never_count(self):
        dataset(MURORAN, "非公開の台帳", private=True)
        gone = dataset(MURORAN, "削除済み")
        call_action("package_delete", context=as_site_user(), id=gone["id"])
        row = by_code()[MURORAN]
        assert (row["status"], row["dataset_count"]) == ("未確認", 0)
        shown = call_action("hokkaido_municipality_show", id=MURORAN)
        assert shown["datasets"] == []
        summary = call_action("hokkaido_publishing_summary")
        assert summary["datasets"] == 0

    def test_standard_dataset_coverage_by_field_tag_or_title(self):
        dataset(SAPPORO, "札幌市の避難所", standard_dataset="03")
        dataset(SAPPORO, "AED設置箇所一覧（令和6年）")
        dataset(SAPPORO, "子育てマップ", notes="子育て施設一覧のデータです",
                tag_string="自治体標準ODS")
        dataset(SAPPORO, "医療", notes="医療機関一覧ではない説明")   # no tag: no match
        row = by_code()[SAPPORO]
        assert row["standard_datasets"] == ["03", "05", "08"]
        shown = call_action("hokkaido_municipality_show", id=SAPPORO)
        present = [c["no"] for c in shown["standard_coverage"] if c["present"]]
        assert present == ["03", "05", "08"]
        assert len(shown["standard_coverage"]) == len(registry.standard_datasets())
        # one rule: the search facet counts the same standard datasets
        facets = call_action("package_search", q="*:*", rows=0,
                             **{"facet.field": ["standard_dataset"]})["facets"]
        assert facets["standard_dataset"] == {"03": 1, "05": 1, "08": 1}

    def test_the_publishers_choice_comes_before_the_title(self):
        chosen = dataset(SAPPORO, "AED設置箇所一覧と公共施設一覧", standard_dataset="01")
        assert chosen["standard_dataset"] == "01"
        derived = dataset(SAPPORO, "ゴミ集積場所一覧（中央区）")
        assert derived["standard_dataset"] == "30"
        assert by_code()[SAPPORO]["standard_datasets"] == ["01", "30"]
        # a harvest update that no longer names it drops the derived number
        call_action("package_patch", context=as_site_user(), id=derived["id"],
                    title="ごみステーション", standard_dataset="")
        assert by_code()[SAPPORO]["standard_datasets"] == ["01"]


    def test_the_upgrade_fills_the_field_of_datasets_written_before(self, cli):
        """Migration 0004: a dataset written under the old rule (field empty,
        title naming a standard dataset) gets the number by the same rule."""
        old = dataset(SAPPORO, "公衆トイレ一覧")
        plain = dataset(SAPPORO, "議事録")
        model.Session.execute(sa.text(
            "UPDATE package SET extras = extras - 'standard_dataset' WHERE id = :id" if extras.IN_COLUMNS
            else "DELETE FROM package_extra WHERE package_id = :id AND key = 'standard_dataset'"),
            {"id": old["id"]})
        model.Session.commit()
        assert by_code()[SAPPORO]["standard_datasets"] == []
        for step in (["downgrade", "-v", "0003_harvest_error_detail"], ["upgrade"]):
            result = cli.invoke(ckan, ["db", *step, "-p", "hokkaido"])
            assert result.exit_code == 0, result.output
        model.Session.remove()
        tracker.invalidate()  # the servers restart after an upgrade
        assert by_code()[SAPPORO]["standard_datasets"] == ["13"]
        assert call_action("package_show", id=old["id"])["standard_dataset"] == "13"
        assert call_action("package_show", id=plain["id"]).get("standard_dataset") in (None, "")


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "orgs")
class TestApi:

    def test_summary_rate_and_subprefectures(self):
        dataset(SAPPORO, "a")
        dataset(HAKODATE, "b", source_modified="2020-01-01")
        summary = call_action("hokkaido_publishing_summary",
                              context={"user": "", "ignore_auth": False})
        assert summary["municipalities"] == 179
        assert summary["publishing"] == 2
        assert summary["rate"] == round(2 / 179, 4)
        assert summary["by_status"]["公開中"] == 1 and summary["by_status"]["更新停滞"] == 1
        assert "179" in summary["definition"]["ja"]
        ishikari = next(s for s in summary["by_subprefecture"]
                        if s["subprefecture"] == "石狩振興局")
        assert (ishikari["municipalities"], ishikari["publishing"]) == (8, 1)

    def test_list_filters_by_subprefecture_and_status(self):
        dataset(SAPPORO, "a")
        rows = call_action("hokkaido_municipality_list", subprefecture="石狩振興局")
        assert len(rows) == 8
        rows = call_action("hokkaido_municipality_list", status="publishing")
        assert [r["code"] for r in rows] == [SAPPORO]
        with pytest.raises(toolkit.ValidationError):
            call_action("hokkaido_municipality_list", status="たぶん")

    def test_show_rejects_a_bad_or_foreign_code(self):
        with pytest.raises(toolkit.ValidationError):
            call_action("hokkaido_municipality_show", id="011003")   # bad check digit
        with pytest.raises(toolkit.ObjectNotFound):
            call_action("hokkaido_municipality_show", id="131016")   # 千代田区, Tokyo

    @pytest.mark.parametrize("role, allowed", [
        (None, False), ("member", False), ("editor", True), ("admin", True)])
    def test_who_may_set_publishes_elsewhere(self, role, allowed):
        user = factories.User()
        if role:
            call_action("organization_member_create", context=as_site_user(),
                        id=ASAHIKAWA, username=user["name"], role=role)
        context = {"user": user["name"], "ignore_auth": False}
        call = lambda: call_action("hokkaido_municipality_set_elsewhere",
                                   context=context, id=ASAHIKAWA,
                                   url="https://example.org/")
        if allowed:
            call()
        else:
            with pytest.raises(toolkit.NotAuthorized):
                call()
        # a steward of another municipality may not set it either
        other = factories.User()
        call_action("organization_member_create", context=as_site_user(),
                    id=SAPPORO, username=other["name"], role="admin")
        with pytest.raises(toolkit.NotAuthorized):
            call_action("hokkaido_municipality_set_elsewhere",
                        context={"user": other["name"], "ignore_auth": False},
                        id=ASAHIKAWA, url="https://example.org/")


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "orgs")
class TestHistory:

    def test_one_snapshot_per_day_and_the_series(self, cli):
        yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
        assert cli.invoke(ckan, ["hokkaido", "snapshot", "--date", yesterday]).exit_code == 0
        dataset(SAPPORO, "a")
        first = cli.invoke(ckan, ["hokkaido", "snapshot"])
        assert "179 municipalities, 実施率 0.6% (1/179)" in first.output
        # rerunning the same day replaces, never duplicates
        cli.invoke(ckan, ["hokkaido", "snapshot"])
        count = model.Session.execute(
            __import__("sqlalchemy").text(
                "SELECT count(*) FROM hokkaido_status_snapshot")).scalar()
        assert count == 2 * 179
        series = call_action("hokkaido_publishing_history")["series"]
        assert [s["date"] for s in series] == [yesterday, dt.date.today().isoformat()]
        assert [s["publishing"] for s in series] == [0, 1]
        assert series[1]["by_status"]["公開中"] == 1

    def test_bad_date_exits_2(self, cli):
        result = cli.invoke(ckan, ["hokkaido", "snapshot", "--date", "2024/01/01"])
        assert result.exit_code == 2


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "orgs")
def test_without_redis_the_statuses_are_computed_not_cached(monkeypatch):
    # Bad input: Redis stopped while the portal serves (a real client to a port
    # nothing listens on): the tracker's cache is shared through a Redis counter.
    import socket

    import redis
    import ckan.lib.redis

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = redis.Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_connect_timeout=1)
    assert by_code()[SAPPORO]["dataset_count"] == 0  # cached while Redis answered
    monkeypatch.setattr(ckan.lib.redis, "connect_to_redis", lambda: dead)
    with pytest.raises(redis.exceptions.ConnectionError):
        dead.ping()
    tracker.invalidate()  # a "published elsewhere" record saved: nothing to tell, no error
    dataset(SAPPORO, "AED設置箇所一覧")
    assert by_code()[SAPPORO]["dataset_count"] == 1
    assert call_action("hokkaido_municipality_show", id=SAPPORO)["dataset_count"] == 1


@pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index", "orgs")
def test_the_csv_counts_the_warnings_of_a_municipality(app):
    # Bad input: a municipality with a warning (its portal failed to be read, the
    # data still public elsewhere): the CSV once failed with a 500 on the count.
    dataset(SAPPORO, "AED設置箇所一覧")
    harvest_source(SAPPORO, job_failed=True)
    tracker.invalidate()
    assert len(by_code()[SAPPORO]["warnings"]) == 1
    response = app.get("/municipalities.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, sapporo = rows[0], next(r for r in rows if r[0] == SAPPORO)
    assert sapporo[header.index("warnings")] == "1"
