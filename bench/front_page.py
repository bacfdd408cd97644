"""Benchmark: the front page, cached and not, side by side in one run.

Against the portal of ``--ini`` (default test.ini: its database and Solr core
are EMPTIED first, never point it at a portal you care about), filled with
180 organizations and ``--datasets`` inventory rows (the test fakes'
generator) and a few use cases. In one process, CKAN's app answers
``GET /`` (Japanese) ``--requests`` times in turn:

- cached: ``ckanext.hokkaido.front_page.cache_seconds`` at its default (60):
  the first request computes the figures, the others reuse them;
- uncached: ``cache_seconds = 0``: every request computes them (what the
  page would cost without the cache).

Prints the cold request, p50 and p95 of the warm ones, for each, and the
ratio. The goal: p95 warm and cached < 100 ms. The time is the server's
(the request through the WSGI app), without a network.

    .venv/bin/python bench/front_page.py [--datasets 1000] [--requests 200] [--ini test.ini]

Needs the services (``make services``). Exit 1 when the goal is missed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
GOAL_MS = 100.0


def ckan(ini: str, *args: str) -> None:
    done = subprocess.run([os.path.join(VENV_BIN, "ckan"), "-c", ini, *args], capture_output=True,
                          text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"ckan {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def fill(ini: str, datasets: int) -> None:
    from tests.fakes.inventory_rows import realistic_rows, write_csv

    print(f"filling the portal of {ini}: emptied, then 180 organizations and {datasets} datasets", flush=True)
    for args in (("db", "clean", "--yes"), ("db", "init"), ("db", "upgrade"), ("search-index", "clear"),
                 ("hokkaido", "init")):
        ckan(ini, *args)
    with tempfile.TemporaryDirectory() as tmp:
        ckan(ini, "hokkaido", "import-inventory",
             write_csv(realistic_rows(datasets), os.path.join(tmp, "inv.csv"), encoding="cp932"))
    ckan(ini, "hokkaido", "snapshot")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def measure(app, requests: int) -> dict[str, float]:
    from ckanext.hokkaido import front_page
    front_page.forget()
    times = []
    client = app.test_client()
    for _ in range(requests + 1):
        started = time.perf_counter()
        response = client.get("/")
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200 or "figure-rate" not in response.get_data(as_text=True):
            sys.exit(f"GET / answered {response.status_code} without the figures")
    warm = times[1:]
    return {"cold": times[0], "p50": statistics.median(warm), "p95": percentile(warm, 95)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ini", default=os.path.join(ROOT, "test.ini"))
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    fill(args.ini, args.datasets)

    from ckan.cli import load_config
    from ckan.config.middleware import make_app
    from ckan.plugins import toolkit
    from ckan.tests.helpers import call_action

    config = load_config(args.ini)
    config["ckanext.hokkaido.front_page.cache_seconds"] = "60"
    flask_app = getattr(make_app(config), "_wsgi_app", None)  # CKAN's middleware wraps the Flask app
    with flask_app.test_request_context():
        site_user = call_action("get_site_user", {"ignore_auth": True})["name"]
        names = [d["name"] for d in call_action("package_search", rows=5)["results"]]
        for n in range(3):
            call_action("hokkaido_use_case_create", {"user": site_user}, name=f"bench-{n}",
                        title=f"活用事例{n}", datasets=names[:n + 1])
    results = {}
    for label, seconds in (("cached", 60), ("uncached", 0)):
        toolkit.config["ckanext.hokkaido.front_page.cache_seconds"] = seconds
        results[label] = measure(flask_app, args.requests)
        r = results[label]
        print(f"{label:9} cold {r['cold']:7.1f} ms   warm p50 {r['p50']:6.1f} ms   p95 {r['p95']:6.1f} ms", flush=True)
    ratio = results["uncached"]["p95"] / results["cached"]["p95"]
    print(f"uncached / cached p95: {ratio:.1f}x")
    ok = results["cached"]["p95"] < GOAL_MS
    print(f"goal: cached warm p95 < {GOAL_MS:.0f} ms: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
