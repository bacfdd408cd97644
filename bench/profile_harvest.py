"""Where the time of our first harvest goes (issue 35, 1).

The source is the real second CKAN of the harvest tests filled with
``--datasets`` datasets (as bench/harvest_side_by_side.py fills it); the
target is the portal of ``--ini`` (default test.ini, EMPTIED first). Our
first harvest, ``ckan hokkaido harvest --source``, runs under py-spy (a
sampling profiler that sees every thread; ``pip install py-spy``, or
``--py-spy PATH``), and the samples are summed by what each stack is doing
(inclusive: a sample inside ``package_create`` that is also inside the
validation counts for both), as shares of the harvest's threads' time.

    .venv/bin/python bench/profile_harvest.py [--datasets 1000] [--ini test.ini] [--py-spy PATH]
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.harvest_ckan import fill  # noqa: E402
from bench.harvest_side_by_side import CKAN, PYTHON, Target, child, reset_target, write_ini  # noqa: E402

#: what a stack is doing: (label, a substring of one of its frames)
PARTS = [
    ("fetching from the source (HTTP)", ("harvesters/client.py", "harvesters/ckan.py")),
    ("package_create", ("package_create (ckan/logic/action/create.py",)),
    ("package_update", ("package_update (ckan/logic/action/update.py",)),
    ("package_show (reads)", ("package_show (ckan/logic/action/get.py",)),
    ("validation (scheming, navl)", ("ckan/lib/navl/", "ckanext/scheming/")),
    ("activities", ("ckanext/activity/", "ckanext/hokkaido/harvest/activity.py")),
    ("dictization (model_save, dictization)", ("ckan/lib/dictization/",)),
    ("plugins' hooks (IPackageController …)", ("after_dataset_create", "after_dataset_update",
                                               "before_dataset_index", "after_dataset_show")),
    ("the tables hook (queueing loads)", ("ckanext/hokkaido/tables/",)),
    ("search indexing (flush, Solr)", ("ckanext/hokkaido/harvest/indexing.py", "pysolr", "ckan/lib/search/")),
    ("SQL (SQLAlchemy, psycopg2)", ("sqlalchemy/", "psycopg2")),
    ("commits", ("commit (sqlalchemy/orm/session.py",)),
    ("start-up (imports, config, plugins)", ("ckan/cli/", "load_environment", "make_app")),
]


def ckan_version() -> str:
    return subprocess.run([PYTHON, "-c", "import ckan; print(ckan.__version__)"],
                          capture_output=True, text=True, check=True).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--ini", default=os.path.join(ROOT, "test.ini"))
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "")
    parser.add_argument("--rate", type=int, default=100, help="samples a second")
    parser.add_argument("--raw", help="keep py-spy's samples in this file (folded stacks) for a closer look")
    args = parser.parse_args()
    if not args.py_spy:
        raise SystemExit("py-spy not found: pip install py-spy, or --py-spy PATH")
    ini = write_ini(os.path.abspath(args.ini))
    target = Target(ini)
    from tests.fakes.source_ckan import SourceCkan
    try:
        with SourceCkan() as remote:
            seconds = fill(remote, args.datasets)
            print(f"source: {args.datasets} datasets in {seconds:.0f} s", flush=True)
            reset_target(ini)
            child(CKAN, "-c", ini, "hokkaido", "init")   # the 179 official organizations
            target.call("source", {"name": "bench-ours", "title": "benchmark ours", "url": remote.url,
                                   "source_type": "hokkaido_ckan", "owner_org": "011002",
                                   "config": json.dumps({"municipality_code": "011002"}), "frequency": "MANUAL"})
            with tempfile.NamedTemporaryFile(suffix=".txt", delete=False) as out:
                raw = out.name
            started = time.perf_counter()
            subprocess.run([args.py_spy, "record", "--format", "raw", "--rate", str(args.rate), "--nonblocking",
                            "-o", raw, "--", CKAN, "-c", ini, "hokkaido", "harvest", "--source", "bench-ours"],
                           cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall = time.perf_counter() - started
            report = target.call("report", {"source": "bench-ours"})
    finally:
        os.unlink(ini)

    totals: collections.Counter = collections.Counter()
    sql_callers: collections.Counter = collections.Counter()
    samples = 0
    with open(raw, encoding="utf-8", errors="replace") as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            samples += n
            for label, needles in PARTS:
                if any(needle in stack for needle in needles):
                    totals[label] += n
            frames = stack.split(";")
            inside = [i for i, frame in enumerate(frames) if "sqlalchemy/" in frame or "psycopg2" in frame]
            if inside:   # who asked for the SQL: the last frame of CKAN or an extension above it
                callers = [f for f in frames[:inside[0]] if "(ckan/" in f or "(ckanext/" in f
                           or "/ckan/" in f or "/ckanext/" in f]
                if callers:
                    sql_callers[callers[-1].strip()] += n
    if args.raw:
        shutil.move(raw, args.raw)
    else:
        os.unlink(raw)
    print(f"CKAN {ckan_version()}")
    print(f"our first harvest of {args.datasets} datasets: {wall:.1f} s under the profiler "
          f"({report['counters']}); {samples} samples of its threads")
    for label, _ in PARTS:
        print(f"  {label:44s} {totals[label] / max(samples, 1) * 100:5.1f} %")
    print("who asks for the SQL (the nearest frame of CKAN or an extension):")
    for caller, n in sql_callers.most_common(12):
        print(f"  {n / max(samples, 1) * 100:5.1f} %  {caller[:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
