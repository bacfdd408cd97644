"""Benchmark: a steward's upload while the nightly bulk fills the queue.

On the portal of ``--ini`` (default test.ini): ``--bulk`` table loads are
queued as the harvest queues them (CKAN's default queue), then a steward
publishes a dataset with a CSV through ``package_create`` as themselves;
one real worker (``ckan jobs worker priority default``, as ``make demo``
and the systemd unit start it) runs. Printed: seconds from the steward's
save until their table is loaded (previewable), and how many bulk loads
ran before it. With ``--fifo`` the same is measured with the steward's
load put on the bulk queue, as every load was before (side by side, in
one run). Goal: < 60 s with 500 bulk loads queued. The queues are emptied
at the end.

    .venv/bin/python bench/steward_priority.py [--bulk 500] [--fifo] [--ini test.ini]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from tests.fakes.portal_server import PortalResponse, PortalServer  # noqa: E402  (before CKAN imports a `tests` of its own)

CSV = ("名称,住所\r\n" + "".join(f"施設{n},札幌市中央区{n}丁目\r\n" for n in range(200))).encode("cp932")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ini", default=os.path.join(ROOT, "test.ini"))
    parser.add_argument("--bulk", type=int, default=500)
    parser.add_argument("--fifo", action="store_true", help="also measure the steward's load on the bulk queue")
    args = parser.parse_args()

    from ckan.cli import load_config
    from ckan.config.middleware import make_app
    from ckan.lib import jobs
    from ckan.plugins import toolkit
    from ckan.tests.helpers import call_action


    flask_app = getattr(make_app(load_config(args.ini)), "_wsgi_app", None)
    results = {}
    with flask_app.test_request_context(), PortalServer() as files:
        from ckanext.hokkaido import tables
        from ckanext.hokkaido.tables import store
        files.respond("/t.csv", PortalResponse(200, CSV, {"Content-Type": "text/csv"}))
        site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"], "ignore_auth": True}
        steward = call_action("user_create", context=dict(site), name=f"steward-{uuid.uuid4().hex[:6]}",
                              email="steward@example.jp", password="Hokkaido-steward-1")
        org = call_action("organization_create", context=dict(site), name=f"bench-{uuid.uuid4().hex[:8]}",
                          users=[{"name": steward["name"], "capacity": "editor"}])
        modes = [("priority queue", False)] + ([("one FIFO queue (before)", True)] if args.fifo else [])
        for label, fifo in modes:
            for name in tables.WORKER_QUEUES:
                jobs.get_queue(name).empty()
            bulk = call_action("package_create", context=dict(site), name=f"bulk-{uuid.uuid4().hex[:8]}",
                               title="bulk", owner_org=org["id"],
                               resources=[{"url": f"{files.url}/t.csv?{n}", "format": "CSV"} for n in range(args.bulk)])
            for resource in bulk["resources"]:   # as the harvest queues them
                tables.queue(resource)
            worker = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "ckan"), "-c", args.ini,
                                       "jobs", "worker", *tables.WORKER_QUEUES],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
            try:
                time.sleep(3)  # the worker is busy with the bulk
                toolkit.config["ckanext.hokkaido.tables.auto_load"] = not fifo
                started = time.perf_counter()
                own = call_action("package_create", context={"user": steward["name"], "ignore_auth": False},
                                  name=f"own-{uuid.uuid4().hex[:8]}", title="職員の表", owner_org=org["id"],
                                  resources=[{"url": f"{files.url}/t.csv?own", "format": "CSV"}])
                mine = own["resources"][0]["id"]
                if fifo:   # every load on one queue, as before
                    tables.queue(own["resources"][0])
                while (store.get(mine) or {}).get("status") != "loaded":
                    if time.perf_counter() - started > 3600:
                        raise SystemExit("the steward's table was not loaded within an hour")
                    time.sleep(0.25)
                seconds = time.perf_counter() - started
                before = sum(1 for r in bulk["resources"] if (store.get(r["id"]) or {}).get("status") == "loaded")
                results[label] = seconds
                print(f"{label:26s} steward's table previewable after {seconds:7.1f} s; "
                      f"bulk loads done by then: {before} of {args.bulk}", flush=True)
            finally:
                worker.terminate()
                worker.wait(timeout=60)
                for name in tables.WORKER_QUEUES:
                    jobs.get_queue(name).empty()
    ok = results["priority queue"] < 60
    if len(results) == 2:
        print(f"ratio FIFO / priority: {results['one FIFO queue (before)'] / results['priority queue']:.0f}x")
    print("goal (< 60 s with %d bulk loads queued): %s" % (args.bulk, "met" if ok else "MISSED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
