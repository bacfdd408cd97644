"""Benchmark: search quality, our Solr schema and CKAN's stock schema side by side.

Against the portal of ``--ini`` (default test.ini: its database and Solr
cores are EMPTIED first, never point it at a portal you care about):

1. the portal gets the 180 organizations and the corpus of
   ``bench/search/corpus.csv`` (560 datasets written the ways Hokkaido's
   municipalities write them; ``bench/search/make_corpus.py`` says how),
   created through CKAN's ``package_create``;
2. every query of ``bench/search/queries.csv`` (240, typed as residents
   type them) goes through CKAN's ``package_search``, once on our core
   (the portal's query fields) and once on the stock core (CKAN's schema and
   CKAN's query fields), both holding the same datasets;
3. prints recall@20 (of the datasets relevant to a query, the share among
   the first 20 results; out of 20 when more than 20 are relevant) and
   precision@10 (of the first k results, k = 10 or the number of relevant
   datasets when fewer, the share relevant: the datasets a query is about
   come first; a query with no result counts 0 for recall and is left out
   of precision), overall and by kind of query, side by side, and the
   queries our schema does not answer perfectly;
4. with ``--datasets N`` (default 20000), the core is filled to N documents
   (copies of the corpus' own documents as CKAN's indexer wrote them, with
   new ids and titles) and ``package_search`` is timed over the queries:
   p50 and p95.

Goals for our schema: recall@20 ≥ 0.98, precision@10 ≥ 0.9, p95 < 100 ms.

    .venv/bin/python bench/search_quality.py [--ini test.ini] [--datasets 20000] [--misses]

Needs the services (``make services``). Exit 1 when a goal is missed.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import copy
import csv
import logging
import os
import random
import statistics
import subprocess
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
HERE = os.path.join(ROOT, "bench", "search")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
STOCK_QUERY_FIELDS = "name^4 title^4 tags^2 groups^2 text"  # CKAN's own (ckan.lib.search.query)
QUERY_FIELDS_OPTION = "ckanext.hokkaido.search.query_fields"
GOALS = {"recall@20": 0.98, "precision@10": 0.9, "p95_ms": 100.0}


def say(text: str) -> None:
    print(text, flush=True)


def ckan(ini: str, *args: str) -> None:
    done = subprocess.run([os.path.join(VENV_BIN, "ckan"), "-c", ini, *args], capture_output=True,
                          text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"ckan {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def read_csv(name: str) -> list[dict[str, str]]:
    with open(os.path.join(HERE, name), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def relevant_names(query: dict[str, str], corpus: list[dict[str, str]]) -> set[str]:
    wanted = set(query["subjects"].split("&")) if query["subjects"] else set()
    found = set()
    for dataset in corpus:
        head, _, title = dataset["subjects"].partition(" title:")
        subjects = set(head.split()) | {"title:" + title}
        if wanted <= subjects and (not query["municipality_code"]
                                   or dataset["municipality_code"] == query["municipality_code"]):
            found.add(dataset["name"])
    return found


def fill(ini: str, corpus: list[dict[str, str]]) -> None:
    from ckan.plugins import toolkit
    say(f"filling the portal of {ini}: emptied, then 180 organizations and {len(corpus)} datasets")
    ckan(ini, "db", "clean", "--yes")
    ckan(ini, "db", "init")
    ckan(ini, "db", "upgrade")
    ckan(ini, "search-index", "clear")
    ckan(ini, "hokkaido", "init")
    site = toolkit.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    started = time.perf_counter()
    for dataset in corpus:
        toolkit.get_action("package_create")({"user": site}, {
            "name": dataset["name"], "title": dataset["title"], "notes": dataset["notes"],
            "owner_org": dataset["municipality_code"], "municipality_code": dataset["municipality_code"]})
    say(f"  created in {time.perf_counter() - started:.0f} s")


def search(q: str, rows: int = 20) -> list[str]:
    from ckan.plugins import toolkit
    result = toolkit.get_action("package_search")({"ignore_auth": True}, {"q": q, "rows": rows, "fl": "name"})
    return [d["name"] for d in result["results"]]


def judge(queries: list[dict[str, str]], corpus: list[dict[str, str]]) -> dict[str, dict]:
    """Per query: recall@20, precision@10 (None without results), the misses."""
    out = {}
    for query in queries:
        relevant = relevant_names(query, corpus)
        if not relevant:
            sys.exit(f"queries.csv: nothing in the corpus is relevant to {query['query']!r}")
        found = search(query["query"])
        top = found[:min(10, len(relevant))]
        out[query["query"] + "\x00" + query["subjects"] + query["municipality_code"]] = {
            "query": query["query"], "kind": query["kind"],
            "recall": len(relevant & set(found)) / min(20, len(relevant)),
            "precision": (len(relevant & set(top)) / len(top)) if top else None,
            "missed": sorted(relevant - set(found)), "wrong": [n for n in top if n not in relevant]}
    return out


def summary(judged: dict[str, dict]) -> tuple[float, float]:
    recall = statistics.mean(j["recall"] for j in judged.values())
    precisions = [j["precision"] for j in judged.values() if j["precision"] is not None]
    return recall, (statistics.mean(precisions) if precisions else 0.0)


def fill_to(total: int, corpus: list[dict[str, str]]) -> None:
    """Copies of the corpus' documents, as CKAN's indexer wrote them, until
    the core holds ``total`` documents."""
    from ckan.lib.search.common import make_connection
    conn = make_connection(decode_dates=False)
    docs = conn.search(q="*:*", fl="*", rows=len(corpus) + 10).docs
    rng = random.Random(7)
    have, batch = len(docs), []
    started = time.perf_counter()
    while have < total:
        doc = copy.deepcopy(rng.choice(docs))
        for key in ("_version_", "indexed_ts"):
            doc.pop(key, None)
        new_id = str(uuid.uuid4())
        doc["id"] = new_id
        doc["index_id"] = new_id.replace("-", "")
        doc["name"] = f"copy-{have}"
        doc["title"] = f"{doc['title']} {rng.choice(['令和5年度', '令和6年度', '2024年', '第2版', '（更新）'])}"
        batch.append(doc)
        have += 1
        if len(batch) == 2000 or have == total:
            conn.add(batch, commit=False)
            batch = []
    conn.commit(waitSearcher=True)
    say(f"  core filled to {total} documents in {time.perf_counter() - started:.0f} s")


def timed(queries: list[str], rounds: int) -> tuple[float, float]:
    for q in queries[:20]:  # warm Solr's caches as a serving portal's are
        search(q)
    times = []
    for _ in range(rounds):
        for q in queries:
            started = time.perf_counter()
            search(q, rows=20)
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.95) - 1]


@contextlib.contextmanager
def solr_core(url: str):
    """CKAN's search talks to the core at ``url`` for the block (CKAN 2.11
    keeps the URL it read at start in SolrSettings; 2.12 reads the config)."""
    from ckan.plugins import toolkit
    try:
        from ckan.lib.search.common import SolrSettings
    except ImportError:
        SolrSettings = None
    saved_url = toolkit.config["solr_url"]
    saved = SolrSettings.get() if SolrSettings else None
    toolkit.config["solr_url"] = url
    if SolrSettings:
        SolrSettings.init(url)
    try:
        yield
    finally:
        toolkit.config["solr_url"] = saved_url
        if SolrSettings:
            SolrSettings.init(*saved)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ini", default=os.path.join(ROOT, "test.ini"))
    parser.add_argument("--datasets", type=int, default=20000, help="documents for the timing (0: skip)")
    parser.add_argument("--misses", action="store_true", help="list every query our schema misses")
    parser.add_argument("--no-fill", action="store_true",
                        help="keep the portal as the last run left it (the corpus already created)")
    args = parser.parse_args()

    from ckan.cli import load_config
    from ckan.config.middleware import make_app
    from ckan.lib import search as ckan_search
    from ckan.plugins import toolkit

    corpus, queries = read_csv("corpus.csv"), read_csv("queries.csv")
    app = make_app(load_config(args.ini))
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("ckan", "ckanext"):
        logging.getLogger(name).setLevel(logging.WARNING)
    with app._wsgi_app.test_request_context() if hasattr(app, "_wsgi_app") else app.test_request_context():
        if args.no_fill:
            ckan_search.rebuild(quiet=True)  # the schema may have changed since
        else:
            fill(args.ini, corpus)
        ours = judge(queries, corpus)
        stock_url = toolkit.config["solr_url"].rsplit("/", 1)[0] + "/ckan_stock_test"
        saved = toolkit.config.get(QUERY_FIELDS_OPTION)
        with solr_core(stock_url):
            toolkit.config[QUERY_FIELDS_OPTION] = STOCK_QUERY_FIELDS
            try:
                ckan_search.clear_all()
                ckan_search.rebuild(quiet=True)
                stock = judge(queries, corpus)
                ckan_search.clear_all()
            finally:
                toolkit.config[QUERY_FIELDS_OPTION] = saved

        say(f"\n{len(queries)} queries over {len(corpus)} datasets")
        say(f"{'kind of query':34} {'n':>4} {'recall@20 ours':>15} {'stock':>6} {'precision@10 ours':>18} {'stock':>6}")
        kinds = collections.defaultdict(list)
        for key in ours:
            kinds[ours[key]["kind"]].append(key)
        for kind, keys in sorted(kinds.items(), key=lambda item: -len(item[1])):
            r_o, p_o = summary({k: ours[k] for k in keys})
            r_s, p_s = summary({k: stock[k] for k in keys})
            say(f"{kind:34} {len(keys):>4} {r_o:>15.3f} {r_s:>6.3f} {p_o:>18.3f} {p_s:>6.3f}")
        recall, precision = summary(ours)
        stock_recall, stock_precision = summary(stock)
        say(f"{'ALL':34} {len(ours):>4} {recall:>15.3f} {stock_recall:>6.3f} {precision:>18.3f} {stock_precision:>6.3f}")
        misses = [j for j in ours.values() if j["recall"] < 1 or (j["precision"] or 0) < 1]
        if misses:
            say(f"\nqueries our schema does not answer perfectly: {len(misses)}")
            for j in misses if args.misses else misses[:15]:
                say(f"  {j['query']!r:28} recall {j['recall']:.2f} precision "
                    f"{'-' if j['precision'] is None else format(j['precision'], '.2f')}"
                    f" missed {len(j['missed'])} wrong {j['wrong'][:4]}")

        p50 = p95 = None
        if args.datasets:
            say(f"\npackage_search at {args.datasets} datasets (our core)")
            fill_to(args.datasets, corpus)
            p50, p95 = timed([q["query"] for q in queries], rounds=1)
            say(f"  p50 {p50:.1f} ms, p95 {p95:.1f} ms over {len(queries)} searches, each query once")
            ckan_search.clear_all()

    missed_goals = []
    if recall < GOALS["recall@20"]:
        missed_goals.append(f"recall@20 {recall:.3f} < {GOALS['recall@20']}")
    if precision < GOALS["precision@10"]:
        missed_goals.append(f"precision@10 {precision:.3f} < {GOALS['precision@10']}")
    if p95 is not None and p95 >= GOALS["p95_ms"]:
        missed_goals.append(f"p95 {p95:.1f} ms >= {GOALS['p95_ms']} ms")
    say("\ngoals: " + ("all met" if not missed_goals else "MISSED: " + "; ".join(missed_goals)))
    return 1 if missed_goals else 0


if __name__ == "__main__":
    sys.exit(main())
