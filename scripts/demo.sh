#!/usr/bin/env bash
# Initialise the portal database and serve CKAN on 127.0.0.1:5000 in Japanese,
# through gunicorn as a production host does (deploy/gunicorn.conf.py: 2 x
# cores + 1 workers, static files from WhiteNoise), with CKAN's background
# jobs worker beside it. SERVER=dev (`make dev`) serves with CKAN's
# development server instead; SERVER=nginx (`make prod-local`) puts nginx
# with deploy/nginx/ in front of gunicorn on :8080. Ctrl-C stops CKAN and the
# worker; `make stop` stops PostgreSQL, Redis and Solr.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"
CKAN=("$VENV/bin/ckan" -c "$ROOT/ckan.ini")

say "ckan: database schema and harvest migrations"
"${CKAN[@]}" db init >/dev/null
"${CKAN[@]}" db upgrade >/dev/null
say "ckan: the DataStore's permissions (write user $PG_USER, read-only user $PG_RO_USER)"
datastore_permissions "$ROOT/ckan.ini" "$PG_DATASTORE_DB"

SYSADMIN="${SYSADMIN:-admin}"
SYSADMIN_PASSWORD="${SYSADMIN_PASSWORD:-hokkaido-admin}"
if ! "${CKAN[@]}" user show "$SYSADMIN" 2>/dev/null | grep -q "name=$SYSADMIN"; then
    "${CKAN[@]}" user add "$SYSADMIN" email="$SYSADMIN@example.invalid" \
        password="$SYSADMIN_PASSWORD" >/dev/null
fi
"${CKAN[@]}" sysadmin add "$SYSADMIN" >/dev/null 2>&1 || true

say "portal: the prefecture's and the 179 municipalities' organizations"
"${CKAN[@]}" hokkaido init 2>/dev/null | tail -n 1
say "portal: the seed's sample of the prefecture's data inventory"
"${CKAN[@]}" hokkaido import-inventory \
    "$ROOT/ckanext/hokkaido/data/seed_inventory.csv" 2>/dev/null | tail -n 1
say "portal: harvest sources for the known municipal portals"
"${CKAN[@]}" hokkaido register-known-portals 2>/dev/null | tail -n 1
"${CKAN[@]}" hokkaido snapshot 2>/dev/null | tail -n 1
# the standard datasets merged across Hokkaido (empty until tables are loaded)
"${CKAN[@]}" hokkaido standard rebuild >"$RUN/standard-rebuild.log" 2>&1 \
    || say "standard datasets: the rebuild failed, see $RUN/standard-rebuild.log"
if "${CKAN[@]}" hokkaido harvest --help >/dev/null 2>&1 && [ "${DEMO_HARVEST:-1}" = 1 ]; then
    # the real portals are on the internet: harvest them in the background;
    # without a connection every source reports a clean error instead
    say "portal: harvesting the known portals in the background (log: $RUN/demo-harvest.log)"
    nohup "${CKAN[@]}" hokkaido harvest --all >"$RUN/demo-harvest.log" 2>&1 &
fi

if port_in_use "$CKAN_PORT"; then
    die "port $CKAN_PORT is already taken (an earlier 'make demo' still running?). Stop it, or set CKAN_PORT."
fi

# CKAN's background jobs (RQ on Redis), stopped with the server
say "ckan: background jobs worker (log: $RUN/jobs-worker.log)"
# the priority queue first: a steward's upload before the nightly bulk (tables/__init__.py)
"${CKAN[@]}" jobs worker priority default >"$RUN/jobs-worker.log" 2>&1 &
WORKER=$!
# the MCP server for AI assistants (ckanext/hokkaido/mcp), its own process
MCP_PORT="${MCP_PORT:-5001}"
if port_in_use "$MCP_PORT"; then
    warn "port $MCP_PORT is taken: the MCP server is not started (set MCP_PORT)"
    MCP=""
else
    say "mcp: Streamable HTTP on http://127.0.0.1:$MCP_PORT/mcp (log: $RUN/mcp.log; see /ai)"
    "${CKAN[@]}" hokkaido mcp --http --port "$MCP_PORT" --workers 2 >"$RUN/mcp.log" 2>&1 &
    MCP=$!
fi
trap 'kill $WORKER $MCP 2>/dev/null || true' EXIT

LOGIN="sysadmin login: $SYSADMIN / $SYSADMIN_PASSWORD; Ctrl-C to stop CKAN, 'make stop' for the services"
if [ "${SERVER:-gunicorn}" = dev ]; then
    say "ckan: serving http://127.0.0.1:$CKAN_PORT with CKAN's development server ($LOGIN)"
    "${CKAN[@]}" run --host 127.0.0.1 --port "$CKAN_PORT" --disable-reloader
elif [ "${SERVER:-gunicorn}" = nginx ]; then
    # `make prod-local`: the stack as deployed, nginx (deploy/nginx/, rendered
    # with this checkout's paths by scripts/nginx_local.py) in front of gunicorn
    NGINX_PORT="${NGINX_PORT:-8080}"
    port_in_use "$NGINX_PORT" && die "port $NGINX_PORT is already taken: stop that program, or set NGINX_PORT."
    "${CKAN[@]}" asset build >/dev/null 2>&1 || warn "ckan asset build failed; CKAN builds the bundles on first use"
    CKAN_INI="$ROOT/ckan.ini" HOKKAIDO_BIND="127.0.0.1:$CKAN_PORT" \
        "$VENV/bin/gunicorn" --config "$ROOT/deploy/gunicorn.conf.py" --pythonpath "$ROOT/deploy" wsgi:application \
        >"$RUN/gunicorn.log" 2>&1 &
    GUNICORN=$!
    trap 'kill $WORKER $MCP $GUNICORN 2>/dev/null || true' EXIT
    conf="$("$VENV/bin/python" "$ROOT/scripts/nginx_local.py" "$RUN/nginx" --listen "$NGINX_PORT" \
        --upstream "$CKAN_PORT" --mcp "$MCP_PORT" --webassets "$VAR/storage/webassets")"
    nginx -t -q -p "$RUN/nginx" -c "$conf" || die "nginx refused $conf"
    say "ckan: serving http://127.0.0.1:$NGINX_PORT through nginx (anonymous reads cached 60 s), gunicorn on :$CKAN_PORT ($LOGIN)"
    nginx -p "$RUN/nginx" -c "$conf" -g 'daemon off;'
else
    "${CKAN[@]}" asset build >/dev/null 2>&1 || warn "ckan asset build failed; CKAN builds the bundles on first use"
    say "ckan: serving http://127.0.0.1:$CKAN_PORT with gunicorn ($LOGIN)"
    CKAN_INI="$ROOT/ckan.ini" HOKKAIDO_BIND="127.0.0.1:$CKAN_PORT" \
        "$VENV/bin/gunicorn" --config "$ROOT/deploy/gunicorn.conf.py" --pythonpath "$ROOT/deploy" wsgi:application
fi
