"""Benchmark: the MCP server under 20 concurrent assistants.

On the portal of ``--ini`` (default test.ini: its database and Solr core are
EMPTIED first, never point it at a portal you care about):

1. the 179 municipalities' organizations, the search corpus of
   ``bench/search/corpus.csv`` created through ``package_create`` and the
   Solr core filled to ``--datasets`` documents (bench/search_quality.py's
   way); a ``--rows``-row table loaded into the DataStore as the tables job
   loads it (bench/table_search.py's municipal facility list);
2. ``ckan hokkaido mcp --http --workers N`` started as production runs it;
3. ``--clients`` sessions of the SDK's own client, each for ``--seconds``,
   calling in turns ``search_datasets`` (the residents' queries of
   bench/search/queries.csv) and ``query_table`` on the big table (a part
   of a value, an equality filter, a count per ward): p50 and p95 per tool,
   calls a second, errors; for each ``--think`` (seconds between one
   client's calls: 0, each calls again as soon as it is answered, the worst
   case; 1, an assistant's pace, a language model writing between calls),
   each ``--cache`` (seconds anonymous answers are reused) and each
   ``--workers``.

Goals (2 cores): p95 < 150 ms for both tools and 0 errors.

    .venv/bin/python bench/mcp_server.py [--datasets 20000] [--rows 100000] [--clients 20]
        [--seconds 30] [--workers 1,2] [--think 0,1] [--cache 0,60] [--table RESOURCE_ID]

Needs the services (``make services``). Exit 1 when a goal is missed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from datastore import percentile, table_text  # noqa: E402  (bench/datastore.py)
import search_quality  # noqa: E402
from tests.fakes.source_ckan import free_port  # noqa: E402

GOAL_P95_MS = 150
TABLE_CALLS = [
    {"q": "図書館", "limit": 20},
    {"filters": {"区": "中央区"}, "limit": 20},
    {"group_by": ["区"], "aggregates": [{"op": "count"}]},
]


def prepare_portal(ini: str, datasets: int, rows: int) -> str:
    """The portal filled; the big table's resource id."""
    from ckan.cli import load_config
    from ckan.config.middleware import make_app
    from ckan.tests.helpers import call_action

    app = make_app(load_config(ini))
    for name in ("", "ckan", "ckanext"):
        logging.getLogger(name).setLevel(logging.WARNING)
    with app._wsgi_app.test_request_context():
        corpus = search_quality.read_csv("corpus.csv")
        search_quality.fill(ini, corpus)
        search_quality.fill_to(datasets, corpus)
        from harvesters.client import Limits
        from ckanext.hokkaido.tables.load import _replace_table
        from ckanext.hokkaido.tables.prepare import prepare

        site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"], "ignore_auth": True}
        dataset = call_action("package_create", context=dict(site), name=f"bench-mcp-{uuid.uuid4().hex[:8]}",
                              title="施設一覧（ベンチマーク）", owner_org="011002",
                              resources=[{"url": "https://example.jp/facilities.csv", "format": "CSV"}])
        resource_id = dataset["resources"][0]["id"]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "prepared.csv")
            prepared = prepare(table_text(rows).encode("cp932"), path, where="bench", max_rows=rows,
                               limits=Limits(max_table_rows=rows + 100, max_table_cells=(rows + 100) * 50))
            started = time.perf_counter()
            _replace_table(resource_id, prepared.fields, path)
            search_quality.say(f"table: {rows:,} rows loaded in {time.perf_counter() - started:.1f} s "
                               f"(resource {resource_id}: --table for another run)")
    return resource_id


def bench_ini(ini: str, cache: int) -> str:
    """``ini`` without the per-address rate limit (every bench client comes
    from 127.0.0.1, as no two residents do), with ``cache`` seconds of
    reused anonymous answers (the answers of an earlier run forgotten)."""
    from ckan.cli import load_config
    import redis
    client = redis.Redis.from_url(load_config(ini)["ckan.redis.url"])
    for key in client.scan_iter("hokkaido:mcp:answer:*"):
        client.delete(key)
    path = os.path.join(ROOT, "var", "run", "bench-mcp.ini")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"[app:main]\nuse = config:{ini}\nckanext.hokkaido.mcp.rate_limit = 0\n"
                f"ckanext.hokkaido.mcp.cache_seconds = {cache}\n")
    return path


def start_server(ini: str, workers: int, cache: int) -> tuple[subprocess.Popen, str]:
    ini = bench_ini(ini, cache)
    port = free_port()
    ckan = os.path.join(os.path.dirname(sys.executable), "ckan")
    log = open(os.path.join(ROOT, "var", "run", "bench-mcp-server.log"), "w")
    proc = subprocess.Popen([ckan, "-c", ini, "hokkaido", "mcp", "--http", "--port", str(port),
                             "--workers", str(workers)], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                            env={**os.environ, "CKAN_INI": ini})
    deadline = time.time() + 90
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                raise SystemExit(f"the MCP server did not start: see {log.name}")
            time.sleep(0.3)
    return proc, f"http://127.0.0.1:{port}/mcp"


async def client_loop(url: str, n: int, seconds: float, think: float, table: str, queries: list[str],
                      times: dict[str, list[float]], errors: list[str]) -> None:
    from mcp import Client
    rng = random.Random(n)
    async with Client(url) as client:
        await client.call_tool("search_datasets", {"query": "ごみ"})   # warm this session
        deadline = time.perf_counter() + seconds
        turn = n
        while time.perf_counter() < deadline:
            if turn % 2 == 0:
                tool, arguments = "search_datasets", {"query": rng.choice(queries), "rows": 10}
            else:
                tool, arguments = "query_table", dict(rng.choice(TABLE_CALLS), resource_id=table)
            started = time.perf_counter()
            try:
                answer = await client.call_tool(tool, arguments)
                if answer.is_error:
                    errors.append(f"{tool}: {answer.content[0].text[:200]}")
                else:
                    json.loads(answer.content[0].text)
            except Exception as error:   # a transport failure is an error of the run, counted
                errors.append(f"{tool}: {type(error).__name__}: {error}")
            times[tool].append((time.perf_counter() - started) * 1000)
            turn += 1
            if think:
                await asyncio.sleep(think)


async def load(url: str, clients: int, seconds: float, think: float, table: str,
               queries: list[str]) -> tuple[dict[str, list[float]], list[str], float]:
    times: dict[str, list[float]] = {"search_datasets": [], "query_table": []}
    errors: list[str] = []
    started = time.perf_counter()
    await asyncio.gather(*(client_loop(url, n, seconds, think, table, queries, times, errors)
                           for n in range(clients)))
    return times, errors, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ini", default=os.path.join(ROOT, "test.ini"))
    parser.add_argument("--datasets", type=int, default=20000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--think", default="0,1", help="seconds between one client's calls, each in turn")
    parser.add_argument("--cache", default="0,60", help="ckanext.hokkaido.mcp.cache_seconds, each in turn")
    parser.add_argument("--table", default="", help="a loaded table's resource id: skip the filling")
    args = parser.parse_args()
    ini = os.path.abspath(args.ini)

    table = args.table or prepare_portal(ini, args.datasets, args.rows)
    queries = [q["query"] for q in search_quality.read_csv("queries.csv")]
    missed = []
    search_quality.say(f"\n{args.clients} clients × {args.seconds:.0f} s, {args.datasets:,} datasets, "
                       f"a {args.rows:,}-row table; goals checked on the production setting "
                       f"(the last --workers and --cache)")
    thinks = [float(t) for t in args.think.split(",")]
    caches = [int(c) for c in args.cache.split(",")]
    worker_counts = [int(w) for w in args.workers.split(",")]
    for think in thinks:
        for cache in caches:
            for workers in worker_counts:
                proc, url = start_server(ini, workers, cache)
                try:
                    times, errors, took = asyncio.run(load(url, args.clients, args.seconds, think, table, queries))
                finally:
                    proc.terminate()
                    proc.wait(timeout=30)
                calls = sum(len(v) for v in times.values())
                line = [f"think {think:g} s, cache {cache:2d} s, workers {workers}: {calls / took:6.1f} calls/s, "
                        f"errors {len(errors)}"]
                production = cache == caches[-1] and workers == worker_counts[-1]
                for tool, values in times.items():
                    p95 = percentile(values, 95)
                    line.append(f"{tool} p50 {percentile(values, 50):6.1f} ms p95 {p95:6.1f} ms")
                    if production and p95 >= GOAL_P95_MS:
                        missed.append(f"think {think:g} s {tool} p95 {p95:.0f} ms")
                if errors:
                    missed.append(f"think {think:g} s cache {cache} workers {workers}: {len(errors)} errors, "
                                  f"first: {errors[0]}")
                search_quality.say("  " + " · ".join(line))
    search_quality.say(f"goals (p95 < {GOAL_P95_MS} ms, 0 errors): " + ("met" if not missed else "MISSED " +
                                                                        "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
