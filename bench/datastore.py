"""Benchmark: loading a 100,000-row table into the DataStore, and using it.

Side by side in one run, on the portal of ``--ini`` (default test.ini; a
dataset with two resources is added, nothing is emptied):

1. **ours**: a Shift_JIS (CP932) CSV of ``--rows`` rows read by
   ``ckanext/hokkaido/tables`` (decoding, header names, types: numbers with
   thousands separators, dates) and loaded with ckanext-xloader's loader —
   what the job does after the download;
2. **xloader**: the same table as UTF-8 given to ckanext-xloader's own
   loading path (``loader.load_csv``, then its column indexes), all columns
   text as xloader types them;

each from a file on disk (the download is left out of both), in turn for
``--rounds`` rounds (the best of each counts, every round is printed), then:

3. ``datastore_search`` with a filter on the loaded table (``--searches``
   calls, p50 and p95);
4. ``hokkaido_table_profile`` computed from the DataStore with pandas.

Goals: ours within 1.2× of xloader's time; ``datastore_search`` p95 <
100 ms; the profile < 5 s. Exit 1 when one is missed.

    .venv/bin/python bench/datastore.py [--rows 100000] [--rounds 3] [--searches 200] [--ini test.ini]
"""
from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

WARDS = ["中央区", "北区", "東区", "白石区", "厚別区", "豊平区", "清田区", "南区", "西区", "手稲区"]
KINDS = ["図書館", "公園", "避難所", "公民館", "児童会館", "体育館", "区民センター", "保育所"]


def table_text(rows: int) -> str:
    """A municipal facility list: names, wards, addresses, counts with
    thousands separators, dates, a code with leading zeros, a note."""
    rng = random.Random(20261130)
    lines = ["施設名,区,住所,延床面積,利用者数,開設日,施設コード,備考"]
    for n in range(rows):
        ward, kind = rng.choice(WARDS), rng.choice(KINDS)
        lines.append(f"{ward}{kind}{n},{ward},札幌市{ward}{rng.randint(1, 30)}条{rng.randint(1, 20)}丁目,"
                     f"\"{rng.randint(100, 20_000):,}\",\"{rng.randint(0, 2_000_000):,}\","
                     f"{rng.randint(1970, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},"
                     f"{rng.randint(1, 99_999):05d},{'バリアフリー対応' if n % 3 else ''}")
    return "\r\n".join(lines) + "\r\n"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ini", default=os.path.join(ROOT, "test.ini"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="loads of each, in turn; the best counts")
    args = parser.parse_args()

    from ckan.cli import load_config
    from ckan.config.middleware import make_app
    from ckan.tests.helpers import call_action

    flask_app = getattr(make_app(load_config(args.ini)), "_wsgi_app", None)
    log = logging.getLogger("bench.datastore")
    with flask_app.test_request_context():
        from ckanext.xloader import loader

        from harvesters.client import Limits
        from ckanext.hokkaido.tables.load import _replace_table
        from ckanext.hokkaido.tables.prepare import prepare
        from ckanext.hokkaido.tables.analysis import compute

        site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
        context = {"user": site_user, "ignore_auth": True}
        org = call_action("organization_create", context=dict(context), name=f"bench-{uuid.uuid4().hex[:8]}")
        dataset = call_action("package_create", context=dict(context), name=f"bench-{uuid.uuid4().hex[:8]}",
                              title="bench", owner_org=org["id"], notes="bench",
                              resources=[{"url": "https://example.jp/ours.csv", "format": "CSV"},
                                         {"url": "https://example.jp/xloader.csv", "format": "CSV"}])
        ours_id, xloader_id = (r["id"] for r in dataset["resources"])
        text = table_text(args.rows)
        sjis, utf8 = text.encode("cp932"), text.encode("utf-8")
        print(f"table: {args.rows:,} rows, 8 columns; Shift_JIS {len(sjis) / 1e6:.1f} MB, UTF-8 {len(utf8) / 1e6:.1f} MB",
              flush=True)
        xloader_runs, ours_runs = [], []
        with tempfile.TemporaryDirectory() as tmp:
            utf8_path = os.path.join(tmp, "table.csv")
            with open(utf8_path, "wb") as f:
                f.write(utf8)
            for _ in range(args.rounds):  # in turn, so both meet the same machine
                started = time.perf_counter()
                fields = loader.load_csv(utf8_path, resource_id=xloader_id, mimetype="text/csv", logger=log)
                loader.create_column_indexes(fields=fields, resource_id=xloader_id, logger=log)
                xloader_runs.append(time.perf_counter() - started)

                started = time.perf_counter()
                prepared_path = os.path.join(tmp, "prepared.csv")
                prepared = prepare(sjis, prepared_path, where="bench", max_rows=args.rows,
                                   limits=Limits(max_table_rows=args.rows + 100,
                                                 max_table_cells=(args.rows + 100) * 50))
                _replace_table(ours_id, prepared.fields, prepared_path)
                ours_runs.append(time.perf_counter() - started)
        xloader_s, ours_s = min(xloader_runs), min(ours_runs)
        rounds = ", ".join(f"{x:.1f}/{o:.1f}" for x, o in zip(xloader_runs, ours_runs))
        print(f"rounds (xloader/ours, s): {rounds}; the best of each:")
        print(f"xloader, UTF-8, all text:        {xloader_s:6.1f} s  {args.rows / xloader_s:9,.0f} rows/s", flush=True)
        print(f"ours, Shift_JIS, typed columns:  {ours_s:6.1f} s  {args.rows / ours_s:9,.0f} rows/s", flush=True)
        print(f"  types: {', '.join(f['id'] + ' ' + f['type'] for f in prepared.fields)}")
        ratio = ours_s / xloader_s
        print(f"ours / xloader: {ratio:.2f}x (goal <= 1.2x)")

        times = []
        for n in range(args.searches):
            started = time.perf_counter()
            found = call_action("datastore_search", resource_id=ours_id, filters={"区": WARDS[n % len(WARDS)]},
                                limit=100)
            times.append((time.perf_counter() - started) * 1000)
            assert found["records"], "the filter found nothing"
        p95 = percentile(times, 95)
        print(f"datastore_search, filter 区, 100 rows: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
              f"(goal < 100 ms)")

        started = time.perf_counter()
        profile = compute(ours_id, prepared.fields)
        profile_s = time.perf_counter() - started
        print(f"profile of {profile['rows']:,} rows: {profile_s:.2f} s (goal < 5 s)")
    missed = [name for name, ok in (("load", ratio <= 1.2), ("search", p95 < 100), ("profile", profile_s < 5))
              if not ok]
    print("goals: " + ("all met" if not missed else "MISSED " + ", ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
