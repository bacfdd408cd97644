"""Benchmark: publishing tracker with 20,000 datasets over 179 municipalities.

Empties the TEST database (test.ini), creates the 180 organizations with
`ckan hokkaido init`, bulk-loads N public datasets (default 20,000) with 1–3
resources each, their municipality code, source dates spread over three
years, some standard-dataset markers and tags, plus 2,000 private and 1,000
deleted datasets that must not count. Then it serves CKAN on a free port
and measures, over HTTP:

  * /api/3/action/hokkaido_publishing_summary
  * /api/3/action/hokkaido_municipality_list
  * /municipalities (the page)

each with the tracker's cache warm ("cached": nothing changed since the
last request) and cold (the cache invalidated before every request, as
right after a dataset changed), printing median and p95 latency of each and their ratios. Target: p95 under
300 ms on a 2-core machine. Run with the services up (`make services`):

    .venv/bin/python bench/tracker.py [DATASETS] [REQUESTS] [--analyze]

Without --analyze the tables are measured as freshly loaded (statistics not
yet gathered, as right after a big harvest); with it, after ANALYZE.
"""
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INI = os.path.join(ROOT, "test.ini")
CKAN = [os.path.join(ROOT, ".venv", "bin", "ckan"), "-c", INI]


def ckan(*args):
    proc = subprocess.run(CKAN + list(args), capture_output=True, text=True, cwd=ROOT)
    if proc.returncode:
        sys.exit(f"ckan {' '.join(args)} failed:\n{proc.stdout[-1500:]}{proc.stderr[-1500:]}")


def load(datasets):
    import psycopg2
    from configparser import ConfigParser

    sys.path.insert(0, ROOT)
    from ckanext.hokkaido import registry

    url = "postgresql://ckan_default:ckan_default@127.0.0.1:5432/ckan_test"
    cfg = ConfigParser(interpolation=None)
    cfg.read(INI)
    url = cfg.get("app:main", "sqlalchemy.url", fallback=url)
    conn = psycopg2.connect(url)
    cur = conn.cursor()
    cur.execute('SELECT name, id FROM "group" WHERE is_organization')
    orgs = dict(cur.fetchall())
    codes = [m.code for m in registry.municipalities()]
    rng = random.Random(179)
    # a few big publishers, and about 30 municipalities that publish nothing
    weights = [0 if rng.random() < 0.17 else rng.paretovariate(1.2) for _ in codes]
    now = dt.datetime.utcnow()
    packages, extras, resources = [], [], []
    total = datasets + 3000
    for i in range(total):
        code = rng.choices(codes, weights)[0]
        pid = str(uuid.uuid4())
        private = datasets <= i < datasets + 2000
        state = "deleted" if i >= datasets + 2000 else "active"
        title = (rng.choice([s.name for s in registry.standard_datasets()])
                 if i % 7 == 0 else f"データセット{i}")
        packages.append((pid, f"bench-{i}", title, "説明", "dataset", state,
                         private, orgs[code], now, now))
        modified = (now - dt.timedelta(days=rng.randint(0, 1100))).date().isoformat()
        for key, value in (("municipality_code", code), ("source_modified", modified)):
            extras.append((str(uuid.uuid4()), pid, key, value, "active"))
        if i % 11 == 0:
            extras.append((str(uuid.uuid4()), pid, "standard_dataset",
                           f"{rng.randint(1, 17):02d}", "active"))
        for r in range(rng.randint(1, 3)):
            resources.append((str(uuid.uuid4()), pid, f"https://example.org/{i}/{r}.csv",
                              "CSV", r, "active", now))
    cur.executemany(
        "INSERT INTO package (id, name, title, notes, type, state, private, "
        "owner_org, metadata_created, metadata_modified) VALUES "
        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", packages)
    cur.execute("SELECT to_regclass('package_extra') IS NOT NULL")
    if cur.fetchone()[0]:  # CKAN 2.11: a table of extras
        cur.executemany(
            "INSERT INTO package_extra (id, package_id, key, value, state) "
            "VALUES (%s, %s, %s, %s, %s)", extras)
    else:  # CKAN 2.12: a JSONB column of the dataset
        by_package = {}
        for _id, package_id, key, value, _state in extras:
            by_package.setdefault(package_id, {})[key] = value
        cur.executemany("UPDATE package SET extras = %s::jsonb WHERE id = %s",
                        [(json.dumps(values, ensure_ascii=False), pid) for pid, values in by_package.items()])
    cur.executemany(
        "INSERT INTO resource (id, package_id, url, format, position, state, "
        "created) VALUES (%s, %s, %s, %s, %s, %s, %s)", resources)
    conn.commit()
    conn.close()
    return total, len(resources)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(url, count, cold=False):
    """Median and p95 in ms; ``cold`` invalidates the tracker's cache before
    every request (as after each dataset change), so the SQL runs each time."""
    import redis
    bump = redis.Redis.from_url("redis://127.0.0.1:6379/1")
    requests.get(url, timeout=60).raise_for_status()          # warm up
    times = []
    for _ in range(count):
        if cold:
            bump.incr("ckanext.hokkaido:tracker:generation")
        start = time.perf_counter()
        requests.get(url, timeout=60).raise_for_status()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    datasets = int(args[0]) if args else 20000
    count = int(args[1]) if len(args) > 1 else 40
    ckan("db", "clean", "--yes")
    ckan("db", "init")
    ckan("db", "upgrade")
    ckan("search-index", "clear")
    ckan("hokkaido", "init")
    start = time.perf_counter()
    total, nres = load(datasets)
    if "--analyze" in sys.argv:
        import psycopg2
        conn = psycopg2.connect("postgresql://ckan_default:ckan_default@127.0.0.1:5432/ckan_test")
        conn.autocommit = True
        conn.cursor().execute("ANALYZE")
        conn.close()
    print(f"loaded {total} datasets ({datasets} public, 2000 private, 1000 deleted) "
          f"and {nres} resources in {time.perf_counter() - start:.1f} s")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(ROOT, "var", "run", "bench-tracker.log"), "w")
    server = subprocess.Popen(CKAN + ["run", "--host", "127.0.0.1", "--port", str(port),
                                      "--disable-reloader"], stdout=log,
                              stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        for _ in range(120):
            try:
                if requests.get(base + "/api/3/action/status_show", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        summary = requests.get(base + "/api/3/action/hokkaido_publishing_summary",
                               timeout=60).json()["result"]
        print(f"summary: {summary['datasets']} public datasets counted, "
              f"rate {summary['rate']:.1%}, by status {summary['by_status']}")
        results = {}
        for cold in (False, True):
            for label, path in (
                    ("hokkaido_publishing_summary", "/api/3/action/hokkaido_publishing_summary"),
                    ("hokkaido_municipality_list", "/api/3/action/hokkaido_municipality_list"),
                    ("/municipalities page", "/municipalities")):
                median, p95 = measure(base + path, count, cold=cold)
                label = f"{label} ({'cold' if cold else 'cached'})"
                results[label] = (median, p95)
                print(f"{label:<40} median {median:7.1f} ms   p95 {p95:7.1f} ms   "
                      f"({count} requests){'   OVER 300 ms' if p95 > 300 else ''}")
        base_median = results["hokkaido_publishing_summary (cached)"][0]
        for label, (median, _) in results.items():
            print(f"ratio {label} / summary (median): {median / base_median:.2f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
