"""The tracker's rules without a database (``ckanext/hokkaido/tracker/rules.py``)
and the two rules of a harvest source it shares with the nightly run
(``ckanext/hokkaido/harvest/outcome.py``). Each case names what it tries."""
import datetime as dt
from collections import Counter

import pytest

from harvesters.municipalities import by_code, prefecture

from ckanext.hokkaido.harvest.outcome import RunOutcome, source_municipality
from ckanext.hokkaido.tracker import rules

TODAY = dt.date(2026, 11, 29)
FRESH, OLD = dt.date(2026, 6, 1), dt.date(2024, 1, 1)


def source(read_failed=None, ok=True):
    return {"id": "s", "title": "収集元",
            "last_run": None if read_failed is None else {"read_failed": read_failed, "ok": ok}}


@pytest.mark.parametrize("count, newest, sources, elsewhere, expected", [
    (1, FRESH, [], None, rules.PUBLISHING),
    (1, FRESH, [source(read_failed=True, ok=False)], None, rules.PUBLISHING),  # fresh data outweighs
    (1, OLD, [], None, rules.STALE),
    (1, OLD, [source(read_failed=True, ok=False)], None, rules.HARVEST_ERROR),  # earlier data kept, error shown
    (0, None, [source(read_failed=True), source(read_failed=False)], None, rules.UNKNOWN),  # not every source
    (0, None, [source(read_failed=True), source()], None, rules.UNKNOWN),  # a source never run
    (0, None, [], {"url": "https://x.example/", "date": "2026-10-01"}, rules.ELSEWHERE),
    (0, None, [], {"url": "https://x.example/", "date": "2024-10-01"}, rules.UNKNOWN),  # lapsed
    (0, None, [], {"url": "https://x.example/", "date": "昨年"}, rules.UNKNOWN),  # unreadable date
    (2, OLD, [], {"url": "https://x.example/", "date": "2026-10-01"}, rules.ELSEWHERE),
    (0, None, [], None, rules.UNKNOWN),
])
def test_decide_status_in_the_documented_order(count, newest, sources, elsewhere, expected):
    assert rules.decide_status(count, newest, sources, elsewhere, TODAY, 12) == expected


@pytest.mark.parametrize("day, months, expected", [
    (dt.date(2026, 11, 29), 12, dt.date(2025, 11, 29)),
    (dt.date(2024, 3, 31), 1, dt.date(2024, 2, 29)),    # leap year, short month
    (dt.date(2023, 3, 31), 1, dt.date(2023, 2, 28)),
    (dt.date(2026, 1, 15), 13, dt.date(2024, 12, 15)),
])
def test_months_before(day, months, expected):
    assert rules.months_before(day, months) == expected


def test_a_row_and_the_summary_leave_the_prefecture_out_of_the_rate():
    sapporo = by_code()["011002"]
    stats = {"011002": {"dataset_count": 3, "resource_count": 5, "newest_modified": FRESH,
                        "standard_datasets": ["03", "08"]},
             "010006": {"dataset_count": 9, "resource_count": 9, "newest_modified": FRESH}}
    sources = {"011002": [source(read_failed=False, ok=False)]}
    row = rules.status_row(sapporo, stats, sources, {}, TODAY, 12)
    assert (row["status"], row["standard_count"], row["last_harvest_ok"]) == (rules.PUBLISHING, 2, False)
    assert [w["read_failed"] for w in row["warnings"]] == [False]  # a warning, not an error
    pref = rules.status_row(prefecture(), stats, {}, {}, TODAY, 12)
    assert pref["is_prefecture"] and pref["status"] == rules.PUBLISHING
    unknown = rules.status_row(by_code()["012025"], {}, {}, {}, TODAY, 12)
    summary = rules.summarize([pref, row, unknown], 12)
    assert (summary["municipalities"], summary["publishing"], summary["rate"]) == (2, 1, 0.5)
    assert summary["datasets"] == 3 and summary["stale_months"] == 12
    assert [b["subprefecture"] for b in summary["by_subprefecture"]] == ["渡島総合振興局", "石狩振興局"]


def test_a_point_of_the_rate_over_time():
    point = rules.rate_point(TODAY, Counter({rules.PUBLISHING: 3, rules.ELSEWHERE: 1, rules.UNKNOWN: 4}))
    assert (point["date"], point["publishing"], point["rate"]) == ("2026-11-29", 4, 0.5)


@pytest.mark.parametrize("config, owner, expected", [
    ('{"municipality_code": "011002"}', "011002", "011002"),
    ('{"municipality_code": "011002"}', "010006", "011002"),   # the prefecture's source may serve any
    ('{"municipality_code": "012033"}', None, None),           # a user's own organization speaks for none
    ('{"municipality_code": "012033"}', "011002", "011002"),   # nor does 札幌市's for 小樽市
    ('{"municipality_code": "011003"}', "012025", "012025"),   # bad check digit: the organization decides
    ('{"fq": "name:01*"}', None, None),                         # a shared portal has none of its own
    ("not json", "011002", "011002"),
    (None, None, None),
])
def test_a_sources_municipality(config, owner, expected):
    assert source_municipality(config, owner) == expected


@pytest.mark.parametrize("outcome, read_failed, failed, clean", [
    (RunOutcome(), False, False, True),
    (RunOutcome(records=10), False, False, True),
    (RunOutcome(gather_errors=1, read_failures=1), True, True, False),   # unreachable
    (RunOutcome(gather_errors=1, records=0), True, True, False),         # ckanext-harvest's own error
    (RunOutcome(gather_errors=1, records=5), False, True, False),        # time limit after a partial import
    (RunOutcome(records=5, records_errored=5), False, True, False),      # every record failed
    (RunOutcome(records=5, records_errored=1), False, False, False),     # one bad record: a warning
])
def test_how_a_run_ended(outcome, read_failed, failed, clean):
    assert (outcome.read_failed, outcome.failed, outcome.clean) == (read_failed, failed, clean)
