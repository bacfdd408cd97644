"""Benchmark: the portal under load, CKAN's development server and gunicorn side by side.

Against the portal of ``--ini`` (default test.ini: its database and Solr core
are EMPTIED first, never point it at a portal you care about):

1. the portal is filled: ``ckan hokkaido init`` (180 organizations), an
   inventory of ``--datasets`` realistic rows (CP932 CSV, the test fakes'
   generator), the day's tracker snapshot;
2. two servers on the same ini are started: ``ckan run`` (the development
   server the README's run command used before) and gunicorn with
   ``deploy/gunicorn.conf.py`` and ``deploy/wsgi.py`` (what ``make demo`` and
   the systemd unit run);
3. each server in turn gets N closed-loop clients (threads, one keep-alive
   session each) for S seconds over a mix of what people and programs ask:
   ``package_search`` with a Japanese ``q`` and facets, the search page,
   dataset pages, ``/municipalities``, the tracker's actions, and
   ``datastore_search`` when the DataStore is on;
4. prints, per server and client count: requests/s, errors, and per
   endpoint the count, p50 and p95; then the ratios and the goals
   (0 errors at 50 clients; gunicorn ≥ 1.8× the development server's
   throughput; p95 of the API calls < 300 ms at 20 clients).

With ``--faults``, gunicorn then serves 20 clients while, in turn, Solr is
restarted, one web worker is killed (SIGKILL) and Redis is stopped and
started again; for each: the errors seen (by endpoint and kind), and the
time from the fault until every endpoint answered again.

    .venv/bin/python bench/load.py [--datasets 1000] [--seconds 30] [--clients 50]
        [--api-clients 20] [--ini test.ini] [--faults] [--only gunicorn]

Needs the services (``make services``). Exit 1 when a goal is missed.
"""
from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from typing import Optional

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
VENV_BIN = os.path.join(ROOT, ".venv", "bin")

QUERIES = ["人口", "AED", "避難所", "観光", "ごみ", "子育て", "公共施設", "統計", "道路", "予算"]
API = ("api_search", "tracker_list", "tracker_show", "datastore_search")


def say(text: str) -> None:
    print(text, flush=True)


def ckan(ini: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([os.path.join(VENV_BIN, "ckan"), "-c", ini, *args], capture_output=True,
                          text=True, cwd=ROOT)
    if check and done.returncode != 0:
        sys.exit(f"ckan {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done


def fill(ini: str, datasets: int) -> None:
    from tests.fakes.inventory_rows import realistic_rows, write_csv

    say(f"filling the portal of {ini}: emptied, then 180 organizations and {datasets} datasets")
    ckan(ini, "db", "clean", "--yes")
    ckan(ini, "db", "init")
    ckan(ini, "db", "upgrade")
    ckan(ini, "search-index", "clear")
    ckan(ini, "hokkaido", "init")
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(realistic_rows(datasets), os.path.join(tmp, "inv.csv"), encoding="cp932")
        started = time.perf_counter()
        ckan(ini, "hokkaido", "import-inventory", path)
        say(f"  imported {datasets} rows in {time.perf_counter() - started:.0f} s")
    ckan(ini, "hokkaido", "snapshot")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One server process on the ini, on its own port."""

    def __init__(self, kind: str, ini: str, log_dir: str) -> None:
        self.kind, self.ini, self.port = kind, ini, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(log_dir, f"{kind}.log"), "w")
        env = dict(os.environ)
        if kind == "dev":
            command = [os.path.join(VENV_BIN, "ckan"), "-c", ini, "run", "--host", "127.0.0.1",
                       "--port", str(self.port), "--disable-reloader"]
        else:
            env.update(CKAN_INI=ini, HOKKAIDO_BIND=f"127.0.0.1:{self.port}", HOKKAIDO_ACCESS_LOG="/dev/null")
            command = [os.path.join(VENV_BIN, "gunicorn"), "--config", os.path.join(ROOT, "deploy", "gunicorn.conf.py"),
                       "--pythonpath", os.path.join(ROOT, "deploy"), "wsgi:application"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def wait(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                sys.exit(f"{self.kind} server exited ({self.process.returncode}); see {self.log.name}")
            try:
                if requests.get(self.url + "/api/3/action/status_show", timeout=5).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        sys.exit(f"{self.kind} server did not answer within {timeout:.0f} s; see {self.log.name}")

    def workers(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def endpoints(base: str) -> dict[str, callable]:
    """name → a function giving the next URL of that endpoint."""
    session = requests.Session()
    names = session.get(base + "/api/3/action/package_list", timeout=60).json()["result"]
    facets = json.dumps(["organization", "res_format", "municipality_code"])
    resource = None
    status = session.get(base + "/api/3/action/status_show", timeout=30).json()["result"]
    if "datastore" in status.get("extensions", []):
        found = session.get(base + "/api/3/action/datastore_search", params={"resource_id": "_table_metadata"},
                            timeout=30).json()
        tables = [r["name"] for r in found.get("result", {}).get("records", [])
                  if not r["name"].startswith("_")] if found.get("success") else []
        resource = tables[0] if tables else None
    mix = {
        "api_search": lambda: "/api/3/action/package_search?" + urllib.parse.urlencode(
            {"q": random.choice(QUERIES), "facet.field": facets, "rows": 20}),
        "search_page": lambda: "/dataset/?" + urllib.parse.urlencode({"q": random.choice(QUERIES)}),
        "dataset_page": lambda: f"/dataset/{random.choice(names)}",
        "municipalities": lambda: "/municipalities",
        "tracker_list": lambda: "/api/3/action/hokkaido_municipality_list",
        "tracker_show": lambda: "/api/3/action/hokkaido_municipality_show?id=" + random.choice(
            ["011002", "012033", "012025", "010006"]),
    }
    if resource:
        mix["datastore_search"] = lambda: f"/api/3/action/datastore_search?resource_id={resource}&limit=20"
    return mix


class Load:
    """N clients for S seconds; every answer recorded as (time, endpoint, seconds, error)."""

    def __init__(self, base: str, mix: dict, clients: int, seconds: float, only: Optional[tuple] = None) -> None:
        self.base, self.mix, self.clients, self.seconds = base, mix, clients, seconds
        self.names = [n for n in mix if only is None or n in only]
        self.records: list[tuple[float, str, float, Optional[str]]] = []
        self.lock = threading.Lock()
        self.stop_at = 0.0
        self.started = 0.0

    def client(self, number: int) -> None:
        """One client: a keep-alive connection (http.client, far lighter than
        requests: the generator shares the machine with the server)."""
        host, port = urllib.parse.urlsplit(self.base).netloc.split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        turn = number
        while time.monotonic() < self.stop_at:
            name = self.names[turn % len(self.names)]
            turn += 1
            path = self.mix[name]()
            begun = time.monotonic()
            error = None
            try:
                connection.request("GET", path, headers={"Accept-Encoding": "identity"})
                answer = connection.getresponse()
                body = answer.read()
                if answer.status >= 400:
                    error = f"HTTP {answer.status}"
                    if name in API:
                        try:
                            found = json.loads(body)["error"]
                            error += f" {str(found.get('message') or found)[:80]}"
                        except (ValueError, KeyError, AttributeError, TypeError):
                            pass
                if answer.getheader("Connection", "").lower() == "close" or answer.version == 10:
                    connection.close()
            except (OSError, http.client.HTTPException) as exc:
                error = type(exc).__name__
                connection.close()
            ended = time.monotonic()
            with self.lock:
                self.records.append((ended - self.started, name, ended - begun, error))

    def run(self) -> "Load":
        self.started = time.monotonic()
        self.stop_at = self.started + self.seconds
        threads = [threading.Thread(target=self.client, args=(i,), daemon=True) for i in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return self

    def throughput(self) -> float:
        return len(self.records) / self.seconds

    def errors(self) -> int:
        return sum(1 for r in self.records if r[3])

    def percentile(self, names: tuple, q: float) -> float:
        """Seconds within which a share ``q`` of the successful answers of these endpoints came."""
        times = sorted(r[2] for r in self.records if r[1] in names and not r[3])
        return times[min(len(times) - 1, int(q * len(times)))] if times else float("nan")

    def table(self, label: str) -> None:
        say(f"\n{label}: {len(self.records)} requests in {self.seconds:.0f} s = {self.throughput():.1f} req/s, "
            f"{self.errors()} errors")
        say(f"  {'endpoint':<18}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
        for name in self.names:
            rows = [r for r in self.records if r[1] == name]
            p50, p95 = (self.percentile((name,), q) * 1000 for q in (0.5, 0.95))
            say(f"  {name:<18}{len(rows):>7}{p50:>9.0f}{p95:>9.0f}{sum(1 for r in rows if r[3]):>8}")
        kinds = collections.Counter((r[1], r[3]) for r in self.records if r[3])
        for (name, error), n in kinds.most_common(8):
            say(f"    error {name}: {error} ×{n}")


def warm(base: str, mix: dict) -> None:
    session = requests.Session()
    for _ in range(3):
        for make in mix.values():
            session.get(base + make(), timeout=120)


def fault_step(label: str, base: str, mix: dict, act, restore, seconds: float) -> dict:
    """Load at 20 clients; ``act`` at 1/4 of the time, ``restore`` right after
    (if any); report errors and the time until every endpoint answered again."""
    load = Load(base, mix, 20, seconds)
    runner = threading.Thread(target=load.run)
    runner.start()
    time.sleep(seconds / 4)
    fault_at = time.monotonic() - load.started
    act()
    if restore:
        restore()
    runner.join()
    after = [r for r in load.records if r[0] >= fault_at]
    errors = [r for r in after if r[3]]
    last_error = max((r[0] for r in errors), default=fault_at)
    recovered = {name: any(r[1] == name and not r[3] and r[0] > last_error for r in after) for name in load.names}
    load.table(f"fault: {label}")
    result = {"fault": label, "errors": len(errors),
              "recovery_s": round(last_error - fault_at, 1) if errors else 0.0,
              "every_endpoint_answers_after": all(recovered.values())}
    say(f"  → {len(errors)} errors after the fault; recovered {result['recovery_s']} s after it; "
        f"every endpoint answering again: {result['every_endpoint_answers_after']}")
    return result


def services(*args: str) -> None:
    """scripts/services.sh, at normal priority (Solr restarted by it must not inherit our nice)."""
    subprocess.run([os.path.join(ROOT, "scripts", "services.sh"), *args], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=lambda: os.nice(-10))


def faults(server: Server, mix: dict, seconds: float) -> list[dict]:
    results = []

    def restart_solr() -> None:
        pid_file = os.path.join(ROOT, "var", "run", "solr.pid")
        with open(pid_file) as f:
            pid = int(f.read().strip())
        os.kill(pid, signal.SIGTERM)
        while subprocess.run(["kill", "-0", str(pid)], capture_output=True).returncode == 0:
            time.sleep(0.2)
        services("start")

    results.append(fault_step("Solr restarted", server.url, mix, restart_solr, None, seconds))

    def kill_worker() -> None:
        os.kill(random.choice(server.workers()), signal.SIGKILL)

    results.append(fault_step("one web worker killed (SIGKILL)", server.url, mix, kill_worker, None, seconds))

    redis_port = os.environ.get("REDIS_PORT", "6379")

    def stop_redis() -> None:
        subprocess.run(["redis-cli", "-p", redis_port, "shutdown", "nosave"], capture_output=True)

    def start_redis_later() -> None:
        time.sleep(seconds / 4)
        services("start")

    worker = subprocess.Popen([os.path.join(VENV_BIN, "ckan"), "-c", server.ini, "jobs", "worker"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(5)
    results.append(fault_step("Redis stopped, started again after 1/4 of the time", server.url,
                              dict(mix), stop_redis, start_redis_later, seconds))
    results[-1]["jobs"] = _jobs_after_redis(server.ini, worker)
    say(f"  → background jobs after Redis came back: {results[-1]['jobs']}")
    return results


def _jobs_after_redis(ini: str, worker: subprocess.Popen) -> str:
    """Whether the jobs worker started before Redis stopped still runs, and a
    job enqueued now is done (the queue then lists nothing)."""
    alive = worker.poll() is None
    if not alive:  # under systemd (Restart=always) a new one would start: do that
        worker = subprocess.Popen([os.path.join(VENV_BIN, "ckan"), "-c", ini, "jobs", "worker"], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        ckan(ini, "jobs", "test")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "There are no pending jobs" in ckan(ini, "jobs", "list").stdout:
                return ("the worker kept running and did a job enqueued after" if alive
                        else "the worker exited with Redis (systemd restarts it); a new one did the job")
            time.sleep(1)
        return "a job enqueued after Redis came back was NOT done within 60 s"
    finally:
        os.killpg(worker.pid, signal.SIGTERM)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ini", default=os.path.join(ROOT, "test.ini"))
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--api-clients", type=int, default=20)
    parser.add_argument("--only", choices=("dev", "gunicorn"))
    parser.add_argument("--no-fill", action="store_true", help="use the portal as it is")
    parser.add_argument("--faults", action="store_true")
    args = parser.parse_args()
    random.seed(179)
    if not args.no_fill:
        fill(os.path.abspath(args.ini), args.datasets)
    kinds = [args.only] if args.only else ["dev", "gunicorn"]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-load-") as logs:
        servers = {kind: Server(kind, os.path.abspath(args.ini), logs) for kind in kinds}
        try:
            for server in servers.values():
                server.wait()
            mix = endpoints(servers[kinds[0]].url)
            os.nice(10)  # the generator yields the CPU to the servers it measures (both alike)
            say(f"mix: {', '.join(mix)}; {os.cpu_count()} cores; generator at nice 10")
            for kind, server in servers.items():
                warm(server.url, mix)
                full = Load(server.url, mix, args.clients, args.seconds).run()
                full.table(f"{kind}, {args.clients} clients")
                api = Load(server.url, mix, args.api_clients, args.seconds,
                           only=tuple(n for n in mix if n in API)).run()
                api.table(f"{kind}, {args.api_clients} clients, API calls only")
                results[kind] = {"rps": full.throughput(), "errors": full.errors(),
                                 "api_p95_ms": api.percentile(API, 0.95) * 1000, "api_errors": api.errors()}
            fault_results = faults(servers["gunicorn"], mix, args.seconds) if args.faults and "gunicorn" in servers \
                else []
        finally:
            for server in servers.values():
                server.stop()
    say("\nsummary (one run, same data, same machine):")
    for kind, r in results.items():
        say(f"  {kind:<9} {r['rps']:7.1f} req/s at {args.clients} clients, {r['errors']} errors; "
            f"API p95 at {args.api_clients} clients {r['api_p95_ms']:.0f} ms ({r['api_errors']} errors)")
    missed = []
    if "gunicorn" in results:
        g = results["gunicorn"]
        if g["errors"]:
            missed.append(f"{g['errors']} errors at {args.clients} clients (goal 0)")
        if not g["api_p95_ms"] < 300:
            missed.append(f"API p95 {g['api_p95_ms']:.0f} ms at {args.api_clients} clients (goal < 300 ms)")
        if "dev" in results:
            ratio = g["rps"] / results["dev"]["rps"]
            say(f"  throughput gunicorn / development server: {ratio:.2f}× (goal ≥ 1.8×)")
            if ratio < 1.8:
                missed.append(f"throughput ratio {ratio:.2f}× (goal ≥ 1.8×)")
    for fault in fault_results:
        say(f"  fault {fault['fault']}: {fault['errors']} errors, recovered in {fault['recovery_s']} s, "
            f"every endpoint answering after: {fault['every_endpoint_answers_after']}")
        if not fault["every_endpoint_answers_after"]:
            missed.append(f"{fault['fault']}: not every endpoint answered again")
    for line in missed:
        say(f"MISSED: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
