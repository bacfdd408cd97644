"""Render the production nginx configuration (deploy/nginx/) for this
checkout: ``make prod-local`` and tests/test_production_stack.py run nginx
with exactly the deployed locations, cache and limits, only with local
paths and ports (and, for a test, a shorter cache time).

    python scripts/nginx_local.py PREFIX --listen 8080 --upstream 5000 [--mcp 5001]
        [--webassets DIR] [--cache-seconds 60] [--access-log]

Writes PREFIX/nginx.conf and PREFIX/snippets/; run ``nginx -p PREFIX -c
PREFIX/nginx.conf``.
"""
from __future__ import annotations

import argparse
import os
import pwd
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEPLOY = os.path.join(ROOT, "deploy", "nginx")
SNIPPETS = ("ckan-http.conf", "ckan-locations.conf", "ckan-cache.conf", "ckan-proxy.conf", "ckan-headers.conf")


def ckan_public() -> str:
    import ckan
    return os.path.join(os.path.dirname(ckan.__file__), "public", "base") + "/"


def render(prefix: str, listen: int, upstream: int, mcp: int, webassets: str, cache_seconds: int,
           access_log: bool) -> str:
    snippets = os.path.join(prefix, "snippets")
    os.makedirs(snippets, exist_ok=True)
    for folder in ("cache", "tmp"):
        os.makedirs(os.path.join(prefix, folder), exist_ok=True)
    replacements = [
        ("/etc/nginx/snippets/", snippets + "/"),
        ("/var/cache/nginx/ckan", os.path.join(prefix, "cache")),
        ("/var/lib/ckan/webassets/", webassets.rstrip("/") + "/"),
        ("/srv/ckan/.venv/lib/python3.11/site-packages/ckan/public/base/", ckan_public()),
        ("server 127.0.0.1:5000 ", f"server 127.0.0.1:{upstream} "),
        ("proxy_pass http://127.0.0.1:5001;", f"proxy_pass http://127.0.0.1:{mcp};"),
    ]
    for name in SNIPPETS:
        with open(os.path.join(DEPLOY, name), encoding="utf-8") as f:
            text = f.read()
        for old, new in replacements:
            text = text.replace(old, new)
        if name == "ckan-cache.conf":
            text = re.sub(r"proxy_cache_valid 200 \d+s;", f"proxy_cache_valid 200 {cache_seconds}s;", text)
        with open(os.path.join(snippets, name), "w", encoding="utf-8") as f:
            f.write(text)
    user = pwd.getpwuid(os.getuid()).pw_name
    conf = os.path.join(prefix, "nginx.conf")
    tmp = os.path.join(prefix, "tmp")
    with open(conf, "w", encoding="utf-8") as f:
        f.write(f"""# rendered by scripts/nginx_local.py from deploy/nginx/ (do not edit)
{"user " + user + ";" if os.getuid() == 0 else ""}
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {os.path.join(prefix, "access.log") if access_log else "off"};
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {snippets}/ckan-http.conf;
    server {{
        listen 127.0.0.1:{listen};
        client_max_body_size 100m;
        gzip on;
        gzip_types text/css application/javascript application/json text/csv image/svg+xml;
        include {snippets}/ckan-locations.conf;
    }}
}}
""")
    return conf


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("prefix")
    parser.add_argument("--listen", type=int, default=8080)
    parser.add_argument("--upstream", type=int, default=5000)
    parser.add_argument("--mcp", type=int, default=5001)
    parser.add_argument("--webassets", default=os.path.join(ROOT, "var", "storage", "webassets"))
    parser.add_argument("--cache-seconds", type=int, default=60)
    parser.add_argument("--access-log", action="store_true")
    args = parser.parse_args(argv[1:])
    print(render(os.path.abspath(args.prefix), args.listen, args.upstream, args.mcp, args.webassets,
                 args.cache_seconds, args.access_log))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
