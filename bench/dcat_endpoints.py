"""Benchmark: how fast the portal answers DCAT (issue 32, 6).

Times ``/catalog.ttl`` (its first page, ``ckanext.dcat.datasets_per_page``
datasets) and ``/dataset/<name>.jsonld`` for datasets picked at random,
against the portal of ``--ini`` as it is (nothing is written or emptied):
after ``bench/simulated_prefecture.py --datasets 20000`` the test portal
holds 20,000 harvested datasets. The requests go through CKAN's WSGI app in
this process (CKAN, ckanext-dcat, our profiles, PostgreSQL and Solr; not the
WSGI server's own time), or to a served portal with ``--url``. Prints the
dataset count, then for each endpoint the median, p95 and worst of
``--requests`` requests after ``--warm`` unmeasured ones, and the goal (p95
under 300 ms) met or not; exit 1 when not. The catalogue's pages are kept
in Redis while no dataset changes (ckanext/hokkaido/interop/dcat_views.py):
in process, the bench also prints what a page costs to build (the cache
off) and the one request after a change that builds and keeps it.

    .venv/bin/python bench/dcat_endpoints.py [--ini test.ini] [--requests 100] [--url http://127.0.0.1:5000]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOAL_MS = 300.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ini", default=os.path.join(ROOT, "test.ini"))
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warm", type=int, default=5)
    parser.add_argument("--url", help="a served portal instead of the app in this process")
    parser.add_argument("--seed", type=int, default=32)
    args = parser.parse_args()

    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(args.ini))._wsgi_app
    from ckan import model

    with app.test_request_context():
        names = [n for (n,) in model.Session.query(model.Package.name).filter(
            model.Package.type == "dataset", model.Package.state == "active", model.Package.private.is_(False))]
    if not names:
        print("the portal has no public dataset: fill it first (bench/simulated_prefecture.py)")
        return 2
    if args.url:
        import requests

        def get(path: str) -> tuple[int, int]:
            answer = requests.get(args.url.rstrip("/") + path, timeout=60)
            return answer.status_code, len(answer.content)
    else:
        client = app.test_client()

        def get(path: str) -> tuple[int, int]:
            answer = client.get(path)
            return answer.status_code, len(answer.data)

    pick = random.Random(args.seed)
    print(f"portal of {os.path.basename(args.ini)}: {len(names)} public datasets; "
          f"{'served at ' + args.url if args.url else 'CKAN WSGI app in this process'}")
    worst = 0

    def measure(label: str, path_of, count: int, warm: int, goal: bool = True) -> None:
        nonlocal worst
        times, sizes = [], []
        for n in range(warm + count):
            path = path_of()
            started = time.perf_counter()
            status, size = get(path)
            elapsed = (time.perf_counter() - started) * 1000
            if status != 200:
                raise SystemExit(f"{path}: HTTP {status}")
            if n >= warm:
                times.append(elapsed)
                sizes.append(size)
        p95 = percentile(times, 0.95)
        verdict = ""
        if goal:
            worst |= p95 >= GOAL_MS
            verdict = (f"; goal p95 < {GOAL_MS:.0f} ms {'met' if p95 < GOAL_MS else 'NOT met'} "
                       f"(ratio {p95 / GOAL_MS:.2f})")
        print(f"{label}: median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, worst {max(times):.0f} ms "
              f"over {len(times)} requests ({statistics.mean(sizes) / 1024:.0f} KiB each){verdict}")

    if not args.url:  # what a page costs to build, every request (the cache off)
        from ckan.plugins import toolkit

        keep = toolkit.config.get("ckanext.hokkaido.dcat.cache_seconds")
        toolkit.config["ckanext.hokkaido.dcat.cache_seconds"] = 0
        measure("/catalog.ttl (first page), built for each request (cache off)", lambda: "/catalog.ttl",
                max(5, args.requests // 5), 2, goal=False)
        toolkit.config["ckanext.hokkaido.dcat.cache_seconds"] = keep
        from ckan.lib.redis import connect_to_redis

        redis = connect_to_redis()
        for key in redis.scan_iter("ckanext.hokkaido.dcat.catalog:*"):
            redis.delete(key)
        measure("/catalog.ttl (first page), the request after a change (builds and keeps it)",
                lambda: "/catalog.ttl", 1, 0, goal=False)
    measure("/catalog.ttl (first page), as served", lambda: "/catalog.ttl", args.requests, args.warm)
    measure("/dataset/<name>.jsonld", lambda: f"/dataset/{pick.choice(names)}.jsonld", args.requests, args.warm)
    return 1 if worst else 0


if __name__ == "__main__":
    sys.exit(main())
