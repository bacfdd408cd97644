"""Benchmark: a disaster-day spike, 200 anonymous clients at once.

On the portal of ``--ini`` (default test.ini: its database and Solr core are
EMPTIED first):

1. a simulated prefecture of ``--datasets`` datasets (bench/simulated_portals.py)
   harvested once as the nightly run does, and the merged standard tables of
   shelters (03) and AEDs (08) loaded from files of five municipalities;
2. the same portal served three ways, one after the other in this run:
   CKAN's development server (``ckan run``), gunicorn alone
   (deploy/gunicorn.conf.py), and nginx with deploy/nginx/ (rendered by
   scripts/nginx_local.py, the 60 s cache of anonymous reads) in front of
   that gunicorn, as ``make prod-local`` runs it;
3. ``--clients`` clients for ``--seconds`` each, on the disaster mix:
   shelter and AED searches in Japanese (API and search page), the near
   query of the merged tables, municipality pages and the front page; while
   nginx is measured, a harvest of the same portals runs (5 % changed).

Prints requests a second, p50/p95 per path and overall, errors, and the
ratios to the development server. Goals (2 cores): nginx ≥ 10× the
development server's throughput, p95 < 300 ms, 0 errors with the harvest
running. The load comes from one asyncio process of plain HTTP/1.1
keep-alive connections (no library in the way), on the same 2 cores.

    .venv/bin/python bench/spike.py [--datasets 4000] [--clients 200] [--seconds 60]

Needs the services (``make services``) and nginx (scripts/setup.sh). Exit 1
when a goal is missed.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from urllib.parse import quote

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))

from datastore import percentile  # noqa: E402
from bench.harvest_side_by_side import CKAN, reset_target, write_ini  # noqa: E402
from bench.simulated_portals import change_night, install, plan_prefecture  # noqa: E402
from bench.simulated_prefecture import HarvestRun, register  # noqa: E402
from tests.fakes.portal_server import PortalResponse, PortalServer  # noqa: E402
from tests.fakes.source_ckan import free_port  # noqa: E402

VENV_BIN = os.path.dirname(CKAN)
GOALS = {"ratio": 10.0, "p95_ms": 300.0}
WORDS = ["避難所", "避難場所", "ひなんじょ", "AED", "トイレ", "給水", "除雪"]
# town halls of municipalities with shelters and AEDs (lat, lng)
PLACES = {"011002": (43.0621, 141.3544), "012025": (41.7687, 140.7290), "012041": (43.7706, 142.3650),
          "012068": (42.9849, 144.3820), "012033": (43.1907, 140.9947)}


def say(text: str = "") -> None:
    print(text, flush=True)


def standard_tables(server: PortalServer) -> None:
    """Shelters and AEDs of five municipalities, merged (03, 08)."""
    from ckan.tests.helpers import call_action
    from ckanext.hokkaido.tables.load import load_resource

    rng = random.Random(3)
    site = {"user": call_action("get_site_user", {"ignore_auth": True})["name"], "ignore_auth": True}
    for no, kind, per in (("03", "避難場所", 60), ("08", "AED", 40)):
        for code, (lat, lng) in PLACES.items():
            rows = "".join(f"{kind}{n},{lat + rng.uniform(-0.05, 0.05):.5f},{lng + rng.uniform(-0.05, 0.05):.5f},"
                           f"住所{n}\n" for n in range(per))
            path = f"/standard/{no}-{code}.csv"
            server.respond(path, PortalResponse(200, ("名称,緯度,経度,住所\n" + rows).encode("utf-8"),
                                                {"Content-Type": "text/csv"}))
            made = call_action("package_create", context=dict(site), name=f"spike-{no}-{code}",
                               title=f"{kind}一覧", owner_org=code, standard_dataset=no,
                               resources=[{"url": server.url + path, "format": "CSV"}])
            load_resource(made["resources"][0]["id"])


def mix(codes: list[str]) -> list[tuple[str, str]]:
    """(kind, path), weighted by repetition: what residents open that day."""
    paths = []
    for word in WORDS:
        paths += [("search API", f"/api/3/action/package_search?q={quote(word)}&rows=10")] * 3
        paths += [("search page", f"/dataset/?q={quote(word)}")] * 2
    for code, (lat, lng) in PLACES.items():
        for no in ("03", "08"):
            paths += [("near", f"/api/3/action/hokkaido_standard_near?id={no}&lat={lat}&lng={lng}&radius=3000")] * 2
    for code in codes:
        paths.append(("municipality page", f"/municipalities/{code}"))
    paths += [("front page", "/")] * 12
    return paths


async def fetch(reader, writer, host: str, path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: spike\r\n\r\n".encode())
    await writer.drain()
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("closed")
    status = int(status_line.split()[1])
    length, chunked, close = None, False, False
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection" and value == "close":
            close = True
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length is not None:
        await reader.readexactly(length)
    else:
        await reader.read()
        close = True
    if close:
        raise EOFError(status)
    return status


async def client(port: int, paths: list[tuple[str, str]], until: float, seed: int,
                 times: dict[str, list[float]], errors: list[str]) -> None:
    rng = random.Random(seed)
    reader = writer = None
    while time.perf_counter() < until:
        kind, path = rng.choice(paths)
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 30)
            status = await asyncio.wait_for(fetch(reader, writer, f"127.0.0.1:{port}", path), 60)
        except EOFError as closed:   # an answer, then the server closed: count it, reconnect
            status = closed.args[0]
            writer.close()
            reader = writer = None
        except (OSError, asyncio.TimeoutError, ConnectionError, ValueError, asyncio.IncompleteReadError) as e:
            errors.append(f"{kind}: {type(e).__name__} {e}"[:200])
            if writer is not None:
                writer.close()
            reader = writer = None
            times[kind].append((time.perf_counter() - started) * 1000)
            continue
        times[kind].append((time.perf_counter() - started) * 1000)
        if status >= 400:
            errors.append(f"{kind}: HTTP {status} {path}")


async def spike(port: int, clients: int, seconds: float, paths: list[tuple[str, str]]):
    times: dict[str, list[float]] = {kind: [] for kind, _ in paths}
    errors: list[str] = []
    until = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(client(port, paths, until, n, times, errors) for n in range(clients)))
    return times, errors, time.perf_counter() - started


def wait_for(port: int, proc: subprocess.Popen, what: str) -> None:
    deadline = time.time() + 120
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                raise SystemExit(f"{what} did not start")
            time.sleep(0.3)


def warm(port: int, paths: list[tuple[str, str]]) -> None:
    """Each path once, as the first visitors of the day would."""
    async def go():
        times: dict[str, list[float]] = {kind: [] for kind, _ in paths}
        for kind, path in sorted(set(paths)):
            await client(port, [(kind, path)], time.perf_counter() + 0.01, 0, times, [])
    asyncio.run(go())


def report(name: str, times: dict[str, list[float]], errors: list[str], took: float) -> dict:
    every = [t for values in times.values() for t in values]
    result = {"name": name, "rps": len(every) / took, "p50": statistics.median(every) if every else 0,
              "p95": percentile(every, 95) if every else 0, "errors": len(errors)}
    say(f"{name:34s} {result['rps']:8.1f} req/s  p50 {result['p50']:7.1f} ms  p95 {result['p95']:7.1f} ms  "
        f"errors {len(errors)}" + (f"  (first: {errors[0]})" if errors else ""))
    for kind, values in times.items():
        if values:
            say(f"    {kind:30s} n {len(values):6d}  p50 {statistics.median(values):7.1f}  "
                f"p95 {percentile(values, 95):7.1f} ms")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ini", default=os.path.join(ROOT, "test.ini"))
    parser.add_argument("--datasets", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (default: the conf's)")
    args = parser.parse_args()
    ini = write_ini(os.path.abspath(args.ini), {"ckanext.hokkaido.harvest.timeout": "5",
                                                "ckanext.hokkaido.harvest.min_delay": "0",
                                                "ckanext.hokkaido.front_page.cache_seconds": "60",
                                                "ckan.tracking_enabled": "false"}, prefix="bench-spike-")
    run_dir = os.path.join(ROOT, "var", "run")
    procs: list[subprocess.Popen] = []
    try:
        prefecture = plan_prefecture(args.datasets, 179, 179)
        with PortalServer() as server:
            install(prefecture, server, timeout=5, seed=179)
            reset_target(ini)
            subprocess.run([CKAN, "-c", ini, "hokkaido", "init"], check=True, capture_output=True)
            from ckan.cli import load_config
            from ckan.config.middleware import make_app
            app = make_app(load_config(ini))
            with app._wsgi_app.test_request_context():
                register(prefecture)
            started = time.perf_counter()
            seconds, _peak, code, _out = HarvestRun(ini, None, server, 30).run()
            say(f"portal: night 1 harvested in {seconds:.0f} s (exit {code})")
            with app._wsgi_app.test_request_context():
                standard_tables(server)
                from ckan.tests.helpers import call_action
                count = call_action("package_search", rows=0)["count"]
            say(f"portal: {count} datasets, shelters and AEDs merged, ready in {time.perf_counter() - started:.0f} s")
            codes = sorted(m.code for m in prefecture.municipalities.values())
            paths = mix(codes)

            results = []
            dev_port, gunicorn_port, nginx_port = free_port(), free_port(), free_port()
            # 1. the development server
            dev = subprocess.Popen([CKAN, "-c", ini, "run", "--host", "127.0.0.1", "--port", str(dev_port),
                                    "--disable-reloader"], stdout=open(os.path.join(run_dir, "spike-dev.log"), "w"),
                                   stderr=subprocess.STDOUT, cwd=ROOT)
            procs.append(dev)
            wait_for(dev_port, dev, "the development server")
            warm(dev_port, paths)
            results.append(report("CKAN development server", *asyncio.run(
                spike(dev_port, args.clients, args.seconds, paths))))
            dev.terminate()
            dev.wait(30)
            # 2. gunicorn alone, 3. nginx in front of it (with a harvest running)
            env = {**os.environ, "CKAN_INI": ini, "HOKKAIDO_BIND": f"127.0.0.1:{gunicorn_port}",
                   "HOKKAIDO_ACCESS_LOG": "/dev/null"}
            if args.workers:
                env["WEB_CONCURRENCY"] = str(args.workers)
            gunicorn = subprocess.Popen([os.path.join(VENV_BIN, "gunicorn"), "--config",
                                         os.path.join(ROOT, "deploy", "gunicorn.conf.py"), "--pythonpath",
                                         os.path.join(ROOT, "deploy"), "wsgi:application"], env=env, cwd=ROOT,
                                        stdout=open(os.path.join(run_dir, "spike-gunicorn.log"), "w"),
                                        stderr=subprocess.STDOUT)
            procs.append(gunicorn)
            wait_for(gunicorn_port, gunicorn, "gunicorn")
            warm(gunicorn_port, paths)
            results.append(report("gunicorn alone", *asyncio.run(
                spike(gunicorn_port, args.clients, args.seconds, paths))))
            prefix = os.path.join(run_dir, "nginx-spike")
            subprocess.run(["rm", "-rf", os.path.join(prefix, "cache")], check=True)
            conf = subprocess.run([os.path.join(VENV_BIN, "python"), os.path.join(ROOT, "scripts", "nginx_local.py"),
                                   prefix, "--listen", str(nginx_port), "--upstream", str(gunicorn_port)],
                                  capture_output=True, text=True, check=True).stdout.strip()
            nginx = subprocess.Popen(["nginx", "-p", prefix, "-c", conf, "-g", "daemon off;"])
            procs.append(nginx)
            wait_for(nginx_port, nginx, "nginx")
            warm(nginx_port, paths)
            change_night(prefecture, server, 2, share=0.05)
            harvest = HarvestRun(ini, None, server, 30, force=True)
            outcome: dict = {}
            thread = threading.Thread(target=lambda: outcome.update(zip(("seconds", "peak", "code", "out"),
                                                                        harvest.run())), daemon=True)
            thread.start()
            results.append(report("nginx + gunicorn, harvest running", *asyncio.run(
                spike(nginx_port, args.clients, args.seconds, paths))))
            thread.join()
            say(f"    the harvest beside it: {outcome.get('seconds', 0):.0f} s, exit {outcome.get('code')}")
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        os.unlink(ini)

    dev_rps = results[0]["rps"] or 1e-9
    say("")
    for r in results[1:]:
        say(f"{r['name']}: {r['rps'] / dev_rps:.1f}× the development server's throughput")
    nginx_result = results[-1]
    missed = []
    if nginx_result["rps"] / dev_rps < GOALS["ratio"]:
        missed.append(f"throughput {nginx_result['rps'] / dev_rps:.1f}× < {GOALS['ratio']:g}×")
    if nginx_result["p95"] >= GOALS["p95_ms"]:
        missed.append(f"p95 {nginx_result['p95']:.0f} ms ≥ {GOALS['p95_ms']:g} ms")
    if nginx_result["errors"]:
        missed.append(f"{nginx_result['errors']} errors")
    say("goals (nginx ≥ 10× the development server, p95 < 300 ms, 0 errors): "
        + ("met" if not missed else "MISSED " + "; ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
