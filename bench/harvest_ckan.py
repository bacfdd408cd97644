"""Benchmark: harvest a real second CKAN holding 1,000 datasets, then again unchanged.

Starts the second CKAN of the harvest tests (tests/fakes/source-ckan.ini:
database and Solr core ``ckan_source_test``), fills it with DATASETS datasets
through its HTTP API, empties the portal database of the given ini (default
test.ini: the test database and Solr core, so never a portal you care
about) and runs the ``hokkaido_ckan`` harvester in-process, gather → fetch →
import, twice. Needs the services up (``make services``).

    .venv/bin/python bench/harvest_ckan.py [--datasets 1000] [--ini test.ini] [--min-delay 0]

Prints the time of the first run (everything created) and of the re-run
(everything unchanged: no update, no reindex), each run's report counters,
and the ratio of the two times.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def ckan(ini: str, *args: str) -> None:
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ckan"), "-c", ini, *args],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"ckan {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def fill(remote, count: int) -> float:
    """Create ``count`` datasets in the second CKAN through its API."""
    remote.organization("sapporo-city", "札幌市")
    start = time.perf_counter()

    def make(number: int) -> None:
        remote.dataset(
            f"dataset-{number:04d}", "sapporo-city",
            title=f"札幌市 統計データ {number}", notes=f"データセット {number} の説明。毎月更新します。",
            tags=[{"name": "統計"}, {"name": f"分類{number % 20}"}],
            resources=[{"url": f"https://files.example.org/{number}.csv", "name": f"統計 {number}.csv",
                        "format": "CSV", "description": "町丁目別"},
                       {"url": f"https://files.example.org/{number}.pdf", "name": f"統計 {number}.pdf",
                        "format": "PDF"}])

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(make, range(count)))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--ini", default=os.path.join(ROOT, "test.ini"),
                        help="config of the harvesting portal; its database is emptied (default test.ini)")
    parser.add_argument("--min-delay", default="0",
                        help="ckanext.hokkaido.harvest.min_delay for the runs (seconds between requests)")
    args = parser.parse_args()
    ini = os.path.abspath(args.ini)

    from tests.fakes.source_ckan import SourceCkan

    with SourceCkan() as remote:
        seconds = fill(remote, args.datasets)
        print(f"second CKAN at {remote.url}: {args.datasets} datasets created through its API in {seconds:.1f} s",
              flush=True)

        for command in (("db", "clean", "--yes"), ("db", "init"), ("db", "upgrade"), ("search-index", "clear")):
            ckan(ini, *command)

        from ckan.cli import load_config
        from ckan.config.middleware import make_app

        config = load_config(ini)
        config["ckanext.hokkaido.harvest.min_delay"] = args.min_delay
        config["ckanext.hokkaido.harvest.retries"] = "0"
        app = make_app(config)
        with app._wsgi_app.test_request_context():
            run_benchmark(remote.url, args.min_delay)


def run_benchmark(url: str, min_delay: str) -> None:
    from ckan.plugins import toolkit
    from ckanext.harvest.model import HarvestJob
    from ckanext.harvest.tests.lib import run_harvest_job
    from ckan.plugins import PluginImplementations
    from ckanext.harvest.interfaces import IHarvester

    harvester = next(p for p in PluginImplementations(IHarvester) if p.info()["name"] == "hokkaido_ckan")
    site_user = toolkit.get_action("get_site_user")({"ignore_auth": True}, {})
    context = lambda: {"user": site_user["name"], "ignore_auth": True}  # noqa: E731
    owner = toolkit.get_action("organization_create")(context(), {"name": "harvest-sources", "title": "収集元"})
    source = toolkit.get_action("harvest_source_create")(context(), {
        "name": "bench-sapporo", "title": "札幌市 CKAN (benchmark)", "url": url, "source_type": "hokkaido_ckan",
        "config": json.dumps({"municipality_code": "011002"}), "frequency": "MANUAL", "owner_org": owner["id"]})
    print(f"harvest source {source['name']}: {url}, config {source['config']!r}, min_delay {min_delay} s")

    times = []
    for label in ("first run", "unchanged re-run"):
        job = toolkit.get_action("harvest_job_create")(context(), {"source_id": source["id"], "run": False})
        start = time.perf_counter()
        run_harvest_job(HarvestJob.get(job["id"]), harvester)
        elapsed = time.perf_counter() - start
        times.append(elapsed)
        report = toolkit.get_action("hokkaido_harvest_report")(context(), {"id": job["id"]})
        counters = " ".join(f"{k}={v}" for k, v in report["counters"].items())
        print(f"{label:<17} {elapsed:7.2f} s  {report['listing']} listing  {counters}", flush=True)
        for error in report["errors"][:5]:
            print(f"    error {error['identifier']}: {error['message']}")
    print(f"ratio unchanged re-run / first run: {times[1] / times[0]:.3f}")


if __name__ == "__main__":
    main()
