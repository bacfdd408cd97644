#!/usr/bin/env bash
# Start, stop or show the services the portal and its tests use:
# PostgreSQL (Debian's cluster), Redis and Solr (Solr's own JettySolrRunner).
# `start` is idempotent: a service of ours that already runs is reused,
# a stale pid file is cleaned up, and a port held by another program is
# reported instead of being fought over.
#
# usage: scripts/services.sh start|stop|status
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

pg_cluster() {
    # prints "VERSION NAME" of the first Debian PostgreSQL cluster
    pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1, $2}'
}

pg_as_postgres() {
    runuser -u postgres -- "$@"
}

start_postgres() {
    local cluster
    cluster="$(pg_cluster)"
    [ -n "$cluster" ] || die "no PostgreSQL cluster found; run scripts/setup.sh (it installs Debian's postgresql)"
    if pg_lsclusters --no-header | awk 'NR==1 {print $4}' | grep -q online; then
        say "postgresql: cluster $cluster already running, reusing it"
    else
        if port_in_use "$PG_PORT"; then
            die "port $PG_PORT is taken by another program, not our PostgreSQL cluster $cluster. Stop it, or set PG_PORT."
        fi
        say "postgresql: starting cluster $cluster"
        # pg_ctlcluster recognises a postmaster.pid left by a killed server
        pg_ctlcluster $cluster start || die "PostgreSQL did not start; see /var/log/postgresql/"
    fi
    pg_as_postgres psql -p "$PG_PORT" -qtAc "SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'" | grep -q 1 \
        || pg_as_postgres psql -p "$PG_PORT" -qc "CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD'"
    # the DataStore's read-only user (its rights are set by `ckan datastore set-permissions`)
    pg_as_postgres psql -p "$PG_PORT" -qtAc "SELECT 1 FROM pg_roles WHERE rolname='$PG_RO_USER'" | grep -q 1 \
        || pg_as_postgres psql -p "$PG_PORT" -qc "CREATE ROLE $PG_RO_USER LOGIN PASSWORD '$PG_RO_PASSWORD' NOSUPERUSER NOCREATEDB NOCREATEROLE"
    local db
    for db in "$PG_DB" "$PG_TEST_DB" "$PG_SOURCE_DB" "$PG_RESTORE_DB" "$PG_DATASTORE_DB" "$PG_DATASTORE_TEST_DB" "$PG_DATASTORE_RESTORE_DB"; do
        pg_as_postgres psql -p "$PG_PORT" -qtAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
            || pg_as_postgres createdb -p "$PG_PORT" -O "$PG_USER" -E UTF8 -T template0 "$db"
    done
    say "postgresql: databases $PG_DB, $PG_TEST_DB, $PG_SOURCE_DB, $PG_RESTORE_DB, $PG_DATASTORE_DB, $PG_DATASTORE_TEST_DB and $PG_DATASTORE_RESTORE_DB ready on port $PG_PORT"
}

stop_postgres() {
    local cluster
    cluster="$(pg_cluster)"
    [ -n "$cluster" ] || return 0
    pg_ctlcluster $cluster stop 2>/dev/null && say "postgresql: stopped" || true
}

redis_ping() {
    # a listener that is not Redis may never answer: bound the wait
    [ "$(timeout 3 redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
}

start_redis() {
    local pidfile="$RUN/redis-$REDIS_PORT.pid"
    if redis_ping; then
        say "redis: already answering on port $REDIS_PORT, reusing it"
        return
    fi
    pid_alive "$pidfile" && die "redis (pid $(cat "$pidfile")) runs but does not answer on port $REDIS_PORT; see $RUN/redis-$REDIS_PORT.log"
    port_in_use "$REDIS_PORT" && die "port $REDIS_PORT is taken by another program, not Redis. Stop it, or set REDIS_PORT."
    say "redis: starting on 127.0.0.1:$REDIS_PORT"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes \
        --pidfile "$pidfile" --logfile "$RUN/redis-$REDIS_PORT.log" --dir "$RUN" --save '' --appendonly no
    local i
    for i in $(seq 50); do
        redis_ping && return
        sleep 0.2
    done
    die "redis did not answer within 10 s; see $RUN/redis-$REDIS_PORT.log"
}

stop_redis() {
    if pid_alive "$RUN/redis-$REDIS_PORT.pid"; then
        timeout 5 redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || kill "$(cat "$RUN/redis-$REDIS_PORT.pid")"
        say "redis: stopped"
    fi
}

solr_cores_status() {
    # names only: with indexInfo Solr opens every core's searcher for the
    # answer, which can take longer than the timeout while a core commits
    curl -sf --max-time 15 "http://127.0.0.1:$SOLR_PORT/solr/admin/cores?action=STATUS&indexInfo=false&wt=json" 2>/dev/null
}

solr_ready() {
    # true when every one of our cores is loaded
    local status core
    status="$(solr_cores_status)" || return 1
    for core in $SOLR_CORES; do
        printf '%s' "$status" | grep -q "\"name\":\"$core\"" || return 1
    done
}

start_solr() {
    local pidfile="$RUN/solr.pid"
    [ -f "$SOLR_LIB/.complete" ] || die "Solr jars missing from $SOLR_LIB; run scripts/setup.sh first"
    if solr_ready; then
        say "solr: already serving our cores on port $SOLR_PORT, reusing it"
        return
    fi
    if pid_alive "$pidfile" && solr_cores_status >/dev/null; then
        # our Solr runs, but a core added by a newer setup is not loaded yet,
        # or it answered the first question late
        local core loaded=0
        for core in $SOLR_CORES; do
            solr_cores_status | grep -q "\"name\":\"$core\"" && continue
            loaded=1
            say "solr: loading new core $core"
            rm -f "$SOLR_HOME/$core/core.properties"
            curl -sf --max-time 60 "http://127.0.0.1:$SOLR_PORT/solr/admin/cores?action=CREATE&name=$core&instanceDir=$core" >/dev/null \
                || die "Solr could not load core $core; see $RUN/solr.log"
        done
        if [ $loaded = 0 ]; then
            say "solr: already serving our cores on port $SOLR_PORT, reusing it"
            return
        fi
    elif ! pid_alive "$pidfile"; then
        if port_in_use "$SOLR_PORT"; then
            if solr_cores_status >/dev/null; then
                die "another Solr answers on port $SOLR_PORT without our cores ($SOLR_CORES). Stop it, or set SOLR_PORT."
            fi
            die "port $SOLR_PORT is taken by another program, not Solr. Stop it, or set SOLR_PORT."
        fi
        say "solr: starting Solr $SOLR_VERSION (JettySolrRunner) on 127.0.0.1:$SOLR_PORT"
        # JettySolrRunner.main serves the Solr home in the working directory on
        # 127.0.0.1:8983/solr; SOLR_PORT other than 8983 is not supported by it.
        [ "$SOLR_PORT" = 8983 ] || die "JettySolrRunner listens on 8983 only; SOLR_PORT=$SOLR_PORT cannot be honoured"
        (cd "$SOLR_HOME" && exec nohup java -Xms256m -Xmx1g \
            -Dsolr.log.dir="$RUN" -Dlog4j2.level=WARN \
            -cp "$SOLR_LIB/*" org.apache.solr.embedded.JettySolrRunner \
            >"$RUN/solr.log" 2>&1 </dev/null) &
        echo $! > "$pidfile"
    else
        say "solr: process $(cat "$pidfile") is starting, waiting for it"
    fi
    local deadline=$((SECONDS + SOLR_START_TIMEOUT))
    while [ $SECONDS -lt $deadline ]; do
        solr_ready && { say "solr: cores ready ($SOLR_CORES)"; return; }
        pid_alive "$pidfile" || die "Solr exited during start-up; last lines of $RUN/solr.log:
$(tail -n 20 "$RUN/solr.log")"
        sleep 1
    done
    die "Solr did not load its cores within ${SOLR_START_TIMEOUT}s (SOLR_START_TIMEOUT); see $RUN/solr.log"
}

stop_solr() {
    local pidfile="$RUN/solr.pid" pid i
    pid_alive "$pidfile" || return 0
    pid="$(cat "$pidfile")"
    kill "$pid"
    for i in $(seq 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 1
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    say "solr: stopped"
}

status() {
    local cluster
    cluster="$(pg_cluster)"
    printf 'postgresql  %s\n' "$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1"/"$2" "$4" port "$3}')"
    printf 'redis       %s\n' "$(redis_ping && echo "online port $REDIS_PORT" || echo down)"
    printf 'solr        %s\n' "$(solr_ready && echo "online port $SOLR_PORT ($SOLR_CORES)" || echo down)"
}

mkdir -p "$RUN"
case "${1:-}" in
    start)  start_postgres; start_redis; start_solr ;;
    stop)   stop_solr; stop_redis; stop_postgres ;;
    status) status ;;
    *) die "usage: $0 start|stop|status" ;;
esac
