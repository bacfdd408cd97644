# Shared settings for scripts/*.sh; sourced, never run.
# Every value can be overridden from the environment.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
CACHE="${CACHE:-$ROOT/.cache}"          # downloads (Solr jars): fetched once
VAR="${VAR:-$ROOT/var}"                 # state: Solr home and data, pids, logs
RUN="$VAR/run"

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
CKAN_VERSION="${CKAN_VERSION:-2.11.6}"
SOLR_VERSION="9.10.1"

PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-ckan_default}"
PG_PASSWORD="${PG_PASSWORD:-ckan_default}"
PG_DB="${PG_DB:-ckan_default}"
PG_TEST_DB="${PG_TEST_DB:-ckan_test}"
PG_SOURCE_DB="${PG_SOURCE_DB:-ckan_source_test}"   # the second CKAN the harvest tests read
REDIS_PORT="${REDIS_PORT:-6379}"
SOLR_PORT="${SOLR_PORT:-8983}"
SOLR_HOME="$VAR/solr"
SOLR_LIB="$CACHE/solr-$SOLR_VERSION/lib"
SOLR_CORES="ckan ckan_test ckan_stock_test ckan_source_test"
SOLR_START_TIMEOUT="${SOLR_START_TIMEOUT:-180}"
CKAN_PORT="${CKAN_PORT:-5000}"

say()  { printf '\033[1m==> %s\033[0m\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

# port_in_use PORT: true when something listens on 127.0.0.1:PORT
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pid_alive FILE: true when FILE holds the pid of a running process;
# a stale file (process gone) is removed.
pid_alive() {
    local file="$1" pid
    [ -f "$file" ] || return 1
    pid="$(cat "$file" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        return 0
    fi
    warn "removing stale pid file $file (process ${pid:-?} is gone)"
    rm -f "$file"
    return 1
}
