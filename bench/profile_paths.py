"""What a request costs inside CKAN, path by path (issue 34, 3).

Calls each path of the disaster-day mix ``--requests`` times through the
portal's own WSGI app (no server, no network: only CKAN's cost), under
cProfile, on the portal of ``--ini`` as it is (run bench/spike.py first for
a filled one; nothing is emptied here). For each path: the mean time per
request, and where it goes by layer (by the file of each function's own
time): per-request middleware (Flask, Werkzeug, CKAN's app and before/after
request), plugin hooks (CKAN's plugin machinery), ckanext-hokkaido's own
code, other extensions, templates (Jinja2 and CKAN's helpers), Solr
(pysolr, the HTTP client), PostgreSQL (SQLAlchemy, psycopg2), and the rest
of CKAN; then the five functions of ours with the largest cumulative time.

    .venv/bin/python bench/profile_paths.py [--ini test.ini] [--requests 30]
"""
from __future__ import annotations

import argparse
import collections
import cProfile
import logging
import os
import pstats
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

LAYERS = [  # (layer, substrings of a function's file), first match wins
    ("ours", ("/ckanext/hokkaido/", "/harvesters/")),
    ("templates", ("/jinja2/", "/ckan/lib/helpers.py", "/ckan/lib/jinja_extensions.py", "/markupsafe/",
                   "/ckan/lib/webassets_tools.py", "/webassets/")),
    ("Solr", ("/pysolr", "/ckan/lib/search/", "/requests/", "/urllib3/", "/http/client.py", "socket.py",
              "/ssl.py")),
    ("PostgreSQL", ("/sqlalchemy/", "/psycopg2/")),
    ("middleware", ("/flask/", "/werkzeug/", "/ckan/config/middleware/", "/flask_login/", "/flask_wtf/",
                    "/ckan/views/__init__.py", "/flask_session/", "/itsdangerous/", "/babel/", "/flask_babel/")),
    ("plugin hooks", ("/ckan/plugins/", "/ckan/lib/plugins.py")),
    ("other extensions", ("/ckanext/",)),
    ("CKAN", ("/ckan/",)),
]


def layer_of(filename: str) -> str:
    for layer, parts in LAYERS:
        if any(p in filename for p in parts):
            return layer
    return "Python and the rest"


def paths(client) -> list[tuple[str, str]]:
    found = client.get("/api/3/action/package_search?rows=1&sort=metadata_modified+desc").get_json()
    dataset = found["result"]["results"][0]["name"] if found["result"]["results"] else "none"
    return [
        ("search API", "/api/3/action/package_search?q=%E9%81%BF%E9%9B%A3%E6%89%80&rows=10"),
        ("search page", "/dataset/?q=%E9%81%BF%E9%9B%A3%E6%89%80"),
        ("tracker page", "/municipalities"),
        ("tracker action", "/api/3/action/hokkaido_municipality_list"),
        ("municipality page", "/municipalities/011002"),
        ("dataset page", f"/dataset/{dataset}"),
        ("front page", "/"),
        ("near query", "/api/3/action/hokkaido_standard_near?id=03&lat=43.0621&lng=141.3544&radius=3000"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ini", default=os.path.join(ROOT, "test.ini"))
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()

    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(os.path.abspath(args.ini)))
    logging.disable(logging.INFO)
    client = app._wsgi_app.test_client()
    for name, path in paths(client):
        for _ in range(3):   # warm: templates compiled, caches filled, as a serving worker's are
            status = client.get(path).status_code
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        for _ in range(args.requests):
            client.get(path)
        profile.disable()
        mean = (time.perf_counter() - started) * 1000 / args.requests
        stats = pstats.Stats(profile)
        by_layer: dict[str, float] = collections.defaultdict(float)
        total = 0.0
        ours = []
        for (filename, _line, function), (_cc, _nc, tottime, cumtime, _callers) in stats.stats.items():
            by_layer[layer_of(filename)] += tottime
            total += tottime
            if layer_of(filename) == "ours":
                ours.append((cumtime, f"{os.path.relpath(filename, ROOT)}:{function}"))
        shares = "  ".join(f"{layer} {by_layer[layer] / total * 100:4.1f}%"
                           for layer, _ in sorted(by_layer.items(), key=lambda kv: -kv[1])[:6])
        print(f"{name:18s} HTTP {status}  {mean:7.1f} ms/request   {shares}")
        for cumtime, where in sorted(ours, reverse=True)[:5]:
            print(f"    ours: {cumtime * 1000 / args.requests:6.1f} ms  {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
