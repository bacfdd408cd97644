"""The tracker's rules, pure (no database, no CKAN): the statuses and the
rate, the decision of one municipality's status, its row, the summary and a
point of the rate over time (``tests/tracker/test_rules.py`` tries them
without a database).

Status rules, in the order they are tried (one place: :func:`decide_status`;
documented in the README and returned by ``hokkaido_publishing_summary``):

1. **公開中** (publishing): a public dataset of the municipality, from any
   source that delivers its data (its own portal, or a shared one such as
   HARP or BODIK) or made here, changed within the last N months
   (``ckanext.hokkaido.stale_months``, default 12). A dataset's date is
   the source's own last-modified date where the source gives one (an
   ISO 8601 repeating interval such as ``R/P1D`` means continuously
   updated: today); a harvested dataset whose source gives none counts from
   the day we first saw it (never from our latest harvest); a dataset made
   here counts from its last change. A date more than a day in the future
   is not used.
2. **取得エラー** (harvest error): not publishing by rule 1, and every
   source that delivers its data failed *to be read* on its last run
   (nothing came). Problems after a good read (a partial listing,
   withdrawals skipped, the time limit after a partial import, a
   search-index error, an interrupted run, records that failed) are
   warnings, never this status.
3. **他サイトで公開** (publishes elsewhere): a steward recorded a site we
   cannot harvest, confirmed within the last N months (the record lapses
   without a new confirmation).
4. **更新停滞** (stale): it has public datasets, none changed for N months.
5. **未確認** (unknown): nothing of the above.

Beside the status, ``warnings`` lists each delivering source whose last run
was not clean. 北海道 (010006) has a row of its own, by the same rules,
outside the 179 and outside the rate.

実施率 (publishing rate) = (公開中 + 更新停滞 + 他サイトで公開) / 179.
Private and deleted datasets never count.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, OrderedDict
from typing import Any, Iterable, NamedTuple, Optional

from harvesters.municipalities import PREFECTURE_CODE, Municipality

__all__ = [
    "PUBLISHING", "STALE", "HARVEST_ERROR", "ELSEWHERE", "UNKNOWN", "Status", "STATUSES",
    "RATE_DEFINITION", "STATUS_LABELS", "ELSEWHERE_KEYS", "decide_status", "elsewhere_is_current",
    "months_before", "rate_point", "source_warnings", "status_row", "summarize",
]

PUBLISHING = "公開中"
STALE = "更新停滞"
HARVEST_ERROR = "取得エラー"
ELSEWHERE = "他サイトで公開"
UNKNOWN = "未確認"

class Status(NamedTuple):
    """What the tracker says of one status.

    :ivar en: its name in the API (``status_en``) and in the run summary.
    :ivar counts: whether it counts towards 実施率.
    :ivar label: its label on the pages: an English message id, translated
        by the portal's catalogue (``i18n/ja``) back to the status's own
        words ("Not confirmed" for 未確認: CKAN's catalogue already
        translates "Unknown" as 不明).
    """

    en: str
    counts: bool
    label: str


#: status → :class:`Status`, in the order the pages list them
STATUSES: "OrderedDict[str, Status]" = OrderedDict([
    (PUBLISHING, Status("publishing", True, "Publishing")),
    (STALE, Status("stale", True, "Stale")),
    (ELSEWHERE, Status("publishes elsewhere", True, "Publishes elsewhere")),
    (HARVEST_ERROR, Status("harvest error", False, "Harvest error")),
    (UNKNOWN, Status("unknown", False, "Not confirmed")),
])

#: status → its label on the pages (:attr:`Status.label`)
STATUS_LABELS = {status: known.label for status, known in STATUSES.items()}

RATE_DEFINITION = {
    "ja": "実施率 = (公開中 + 更新停滞 + 他サイトで公開) ÷ 179市町村。"
          "非公開・削除済みのデータセットは数えない。",
    "en": "rate = (publishing + stale + publishes elsewhere) / 179 "
          "municipalities; private and deleted datasets never count.",
}

ELSEWHERE_KEYS = ("elsewhere_url", "elsewhere_date", "elsewhere_note")


def elsewhere_is_current(elsewhere: Optional[dict], today: dt.date, months: int) -> bool:
    """A 他サイトで公開 record counts while its confirmation is at most N
    months old (a record without a readable date does not count)."""
    try:
        confirmed = dt.date.fromisoformat(str((elsewhere or {}).get("date") or "")[:10])
    except ValueError:
        return False
    return bool((elsewhere or {}).get("url")) and confirmed >= months_before(today, months)


def decide_status(dataset_count: int, newest: Optional[dt.date],
                  sources: list[dict[str, Any]], elsewhere: Optional[dict],
                  today: dt.date, months: int) -> str:
    """Apply the status rules of the module docstring (the one place)."""
    if dataset_count and newest and newest >= months_before(today, months):
        return PUBLISHING
    runs = [s["last_run"] for s in sources if s.get("last_run")]
    if sources and len(runs) == len(sources) and all(r["read_failed"] for r in runs):
        return HARVEST_ERROR
    if elsewhere_is_current(elsewhere, today, months):
        return ELSEWHERE
    if dataset_count:
        return STALE
    return UNKNOWN


def source_warnings(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The delivering sources whose last run was not clean, to show beside
    the status (public words only)."""
    return [{"source_id": s["id"], "title": s["title"], "read_failed": s["last_run"]["read_failed"],
             "message": ("収集元を読めませんでした / the source could not be read"
                         if s["last_run"]["read_failed"] else
                         "前回の収集で問題がありました / the last harvest reported problems")}
            for s in sources if s.get("last_run") and not s["last_run"]["ok"]]


def months_before(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 - months
    year = day.year + month // 12
    month = month % 12 + 1
    last_day = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0)
                else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return dt.date(year, month, min(day.day, last_day))


def status_row(m: Municipality, stats: dict, sources: dict, elsewhere: dict,
                today: dt.date, months: int) -> dict[str, Any]:
    s = stats.get(m.code, {})
    srcs = sources.get(m.code, [])
    newest = s.get("newest_modified")
    record = elsewhere.get(m.code)
    status = decide_status(s.get("dataset_count", 0), newest, srcs, record, today, months)
    runs = [x["last_run"] for x in srcs if x["last_run"]]
    if record is not None:
        record = dict(record, current=elsewhere_is_current(record, today, months))
    return {
        "code": m.code, "name": m.name, "name_kana": m.name_kana,
        "type": m.type, "subprefecture": m.subprefecture,
        "homepage_url": m.homepage_url, "lat": m.lat, "lng": m.lng,
        "is_prefecture": m.code == PREFECTURE_CODE,
        "status": status, "status_en": STATUSES[status].en,
        "dataset_count": s.get("dataset_count", 0),
        "resource_count": s.get("resource_count", 0),
        "newest_modified": newest.isoformat() if newest else None,
        "standard_datasets": s.get("standard_datasets", []),
        "standard_count": len(s.get("standard_datasets", [])),
        "source_count": len(srcs),
        "last_harvest_ok": (all(r["ok"] for r in runs) if runs else None),
        "warnings": source_warnings(srcs),
        "elsewhere": record,
    }


def summarize(rows: Iterable[dict[str, Any]], months: int) -> dict[str, Any]:
    """Totals, 実施率 and the same by subprefecture, over the 179
    municipalities (北海道's own row is left out)."""
    rows = [r for r in rows if not r.get("is_prefecture")]

    def block(subset: list[dict[str, Any]]) -> dict[str, Any]:
        counts = Counter(r["status"] for r in subset)
        publishing = sum(counts[s] for s, known in STATUSES.items() if known.counts)
        total = len(subset)
        return {
            "municipalities": total,
            "publishing": publishing,
            "rate": round(publishing / total, 4) if total else 0.0,
            "by_status": {s: counts.get(s, 0) for s in STATUSES},
            "datasets": sum(r["dataset_count"] for r in subset),
            "resources": sum(r["resource_count"] for r in subset),
        }

    by_sub: "OrderedDict[str, list]" = OrderedDict()
    for r in sorted(rows, key=lambda r: r["subprefecture"]):
        by_sub.setdefault(r["subprefecture"], []).append(r)
    summary = block(rows)
    summary["by_subprefecture"] = [dict(block(v), subprefecture=k)
                                   for k, v in by_sub.items()]
    summary["definition"] = RATE_DEFINITION
    summary["statuses"] = [{"status": s, "en": known.en, "counts_as_publishing": known.counts}
                           for s, known in STATUSES.items()]
    summary["stale_months"] = months
    return summary


def rate_point(day: dt.date, counts: "Counter[str]") -> dict[str, Any]:
    """One point of the rate over time: a snapshot day's count per status."""
    total = sum(counts.values())
    publishing = sum(counts[s] for s, known in STATUSES.items() if known.counts)
    return {"date": day.isoformat(),
            "by_status": {s: counts.get(s, 0) for s in STATUSES},
            "publishing": publishing,
            "rate": round(publishing / total, 4) if total else 0.0}
