"""Benchmark: discovery over 179 simulated municipal sites.

Each of the 179 municipalities of the registry gets a site of its own (an
HTTP server on 127.0.0.1) laid out one of the ways municipal sites are
(``tests/fakes/municipal_sites.py``: the open-data link in a footer, in a
sub-menu two levels down, as an image, behind a redirect, Shift_JIS and
EUC-JP pages, a CKAN catalogue on another host, a link to HARP, robots.txt
blocking us, a site drawn by JavaScript, an オープンデータ page about the
policy with no data on it, no open data), in proportions
stated below. :func:`harvesters.discover.discover` runs on every homepage
with the portal's default politeness (1 s between two requests to one
host), ``--workers`` sites at a time, and the sources found are compared
with what each site holds:

* recall: of the sites holding a source we may crawl to, the share whose
  source was found (robots.txt-blocked sites are counted apart: finding
  nothing there is right);
* precision: of the sources found, the share that are the site's source.

Goals: recall ≥ 0.95, precision ≥ 0.95. Prints the wall time.

    .venv/bin/python bench/discover.py [--workers 8] [--min-delay 1.0]

Needs nothing but Python: no database, no CKAN.
"""
from __future__ import annotations

import argparse
import collections
import concurrent.futures
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from harvesters.client import HostThrottle, HttpClient  # noqa: E402
from harvesters.discover import discover  # noqa: E402
from harvesters.municipalities import municipalities  # noqa: E402
from tests.fakes import municipal_sites  # noqa: E402
from tests.fakes.portal_server import PortalServer  # noqa: E402

#: how many of the 179 sites are laid out each way
MIX = {"footer": 27, "policy": 5, "submenu": 30, "image": 20, "redirect": 15, "shift_jis": 20, "euc_jp": 8,
       "ckan_elsewhere": 10, "harp": 20, "robots": 8, "javascript": 6, "none": 10}
GOALS = {"recall": 0.95, "precision": 0.95}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=8, help="sites searched at a time")
    parser.add_argument("--min-delay", type=float, default=1.0, help="seconds between two requests to one host")
    args = parser.parse_args()
    assert sum(MIX.values()) == 179, sum(MIX.values())

    towns = municipalities()
    layout = [name for name, count in MIX.items() for _ in range(count)]
    servers: list[PortalServer] = []
    sites = []
    for town, structure in zip(towns, layout):
        site = PortalServer().start()
        servers.append(site)
        extra = {}
        if structure == "ckan_elsewhere":
            extra["portal"] = PortalServer().start()
            servers.append(extra["portal"])
        truth = municipal_sites.STRUCTURES[structure](site, town.name, **extra)
        sites.append((town, structure, site.url + "/", truth))
    print(f"{len(sites)} simulated sites: " + ", ".join(f"{k} {v}" for k, v in MIX.items()), flush=True)

    throttle = HostThrottle(max_parallel=2, min_delay=args.min_delay)
    client = HttpClient(allow=("loopback",), throttle=throttle, max_retries=0, read_timeout=10)
    started = time.perf_counter()

    def run(site):
        town, structure, homepage, truth = site
        return site, discover(homepage, client, code=town.code)

    results = []
    with concurrent.futures.ThreadPoolExecutor(args.workers) as pool:
        for done, (site, found) in enumerate(pool.map(run, sites), 1):
            results.append((site, found))
            if done % 30 == 0 or done == len(sites):
                print(f"  {done}/{len(sites)} sites searched ({time.perf_counter() - started:.0f} s)", flush=True)
    wall = time.perf_counter() - started
    client.close()
    for server in servers:
        server.stop()

    holding = correct_sites = found_total = found_right = 0
    by_structure: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    wrong = []
    for (town, structure, homepage, truth), result in results:
        got = {("shared", f.shared) if f.kind == "shared" else (f.kind, f.url) for f in result.found}
        found_total += len(got)
        if truth is not None:
            holding += 1
            hit = truth in got
            correct_sites += hit
            found_right += hit
            by_structure[structure][0] += hit
            by_structure[structure][1] += 1
            if not hit:
                wrong.append(f"{town.name} ({structure}): missed {truth}; found {sorted(got)}; {result.problems[:2]}")
        else:
            by_structure[structure][0] += not got
            by_structure[structure][1] += 1
        extra = got - ({truth} if truth else set())
        if extra:
            wrong.append(f"{town.name} ({structure}): found what it does not hold: {sorted(extra)}")
    recall = correct_sites / holding if holding else 0.0
    precision = found_right / found_total if found_total else 0.0
    print(f"\nsites holding a source we may crawl to: {holding}; robots.txt-blocked: {MIX['robots']}")
    for structure, (right, total) in by_structure.items():
        print(f"  {structure:15} {right}/{total} as the site holds")
    print(f"recall {recall:.3f}, precision {precision:.3f} ({found_right} right of {found_total} found)")
    print(f"wall time {wall:.1f} s for {len(sites)} sites, {args.workers} at a time, "
          f"{args.min_delay:g} s between requests to one host")
    for line in wrong[:20]:
        print("  " + line)
    missed = [f"recall {recall:.3f} < {GOALS['recall']}"] if recall < GOALS["recall"] else []
    missed += [f"precision {precision:.3f} < {GOALS['precision']}"] if precision < GOALS["precision"] else []
    print("goals: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
