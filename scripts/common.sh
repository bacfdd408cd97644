# Shared settings for scripts/*.sh; sourced, never run.
# Every value can be overridden from the environment.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The CKAN release the portal runs on (README, "CKAN versions"); another one
# gets a virtualenv of its own, e.g. `make test CKAN_VERSION=2.11.6` uses .venv-2.11.6
CKAN_DEFAULT_VERSION="2.12.0"
CKAN_VERSION="${CKAN_VERSION:-$CKAN_DEFAULT_VERSION}"
if [ "$CKAN_VERSION" = "$CKAN_DEFAULT_VERSION" ]; then
    VENV="${VENV:-$ROOT/.venv}"
else
    VENV="${VENV:-$ROOT/.venv-$CKAN_VERSION}"
fi
CACHE="${CACHE:-$ROOT/.cache}"          # downloads (Solr jars): fetched once
VAR="${VAR:-$ROOT/var}"                 # state: Solr home and data, pids, logs
RUN="$VAR/run"

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
SOLR_VERSION="9.10.1"

PG_PORT="${PG_PORT:-5432}"
PG_USER="${PG_USER:-ckan_default}"
PG_PASSWORD="${PG_PASSWORD:-ckan_default}"
PG_DB="${PG_DB:-ckan_default}"
PG_TEST_DB="${PG_TEST_DB:-ckan_test}"
PG_SOURCE_DB="${PG_SOURCE_DB:-ckan_source_test}"   # the second CKAN the harvest tests read
PG_RESTORE_DB="${PG_RESTORE_DB:-ckan_restore_test}" # the empty stack the backup test restores into
# the DataStore: tables in their own databases, written by PG_USER, read by a read-only user
PG_DATASTORE_DB="${PG_DATASTORE_DB:-datastore_default}"
PG_DATASTORE_TEST_DB="${PG_DATASTORE_TEST_DB:-datastore_test}"
PG_DATASTORE_RESTORE_DB="${PG_DATASTORE_RESTORE_DB:-datastore_restore_test}" # the backup test's second DataStore
PG_RO_USER="${PG_RO_USER:-datastore_ro}"
PG_RO_PASSWORD="${PG_RO_PASSWORD:-datastore_ro}"
XLOADER_VERSION="2.6.0"
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

# portal_settings INI DB_URL SOLR_URL REDIS_URL SITE_URL STORAGE_PATH:
# the portal's settings, the same for the demo (setup.sh) and a production
# host (production-ini.sh); everything else in INI is left as it is.
portal_settings() {
    local ini="$1" db="$2" solr="$3" redis="$4" site="$5" storage="$6" datastore_write="$7" datastore_read="$8"
    local redis_host redis_port import_processes harvest_workers
    # the nightly harvest's writing processes: one per core, at most 4; none on one core
    import_processes="$(nproc)"
    [ "$import_processes" -gt 4 ] && import_processes=4
    [ "$import_processes" -lt 2 ] && import_processes=0
    # and one source more read at once than processes write, so none waits for records
    harvest_workers=2
    [ "$import_processes" -gt 0 ] && harvest_workers=$((import_processes + 1))
    redis_host="$(printf '%s' "$redis" | sed -E 's#^redis://([^:/]+).*#\1#')"
    redis_port="$(printf '%s' "$redis" | sed -E 's#^redis://[^:/]+:([0-9]+).*#\1#; t; s#.*#6379#')"
    "$VENV/bin/ckan" config-tool "$ini" \
        "sqlalchemy.url = $db" \
        "solr_url = $solr" \
        "ckan.redis.url = $redis" \
        "ckan.site_url = $site" \
        "ckan.site_title = 北海道オープンデータポータル" \
        "ckan.plugins = activity hokkaido scheming_datasets harvest hokkaido_harvest hokkaido_ckan_harvester hokkaido_shirasagi_harvester hokkaido_dcat_harvester hokkaido_catalog_csv_harvester hokkaido_webpage_harvester datastore hokkaido_tables xloader datatables_view charts_view dcat structured_data" \
        "ckan.datastore.write_url = $datastore_write" \
        "ckan.datastore.read_url = $datastore_read" \
        "ckan.views.default_views = image_view datatables_view" \
        "ckanext.xloader.jobs_db.uri = $db" \
        "ckanext.xloader.unidecode_headers = false" \
        "ckanext.xloader.formats = loaded-by-ckanext-hokkaido" \
        "scheming.dataset_schemas = ckanext.hokkaido:schemas/hokkaido_dataset.yaml" \
        "scheming.dataset_fallback = false" \
        "ckanext.dcat.rdf.profiles = euro_dcat_ap_3 hokkaido_dcat" \
        "ckanext.dcat.structured_data.profiles = schemaorg hokkaido_schemaorg" \
        "ckanext.dcat.enable_content_negotiation = true" \
        "ckan.locale_default = ja" \
        "ckan.locale_order = ja en" \
        "ckan.locales_offered = ja en" \
        "ckan.display_timezone = Asia/Tokyo" \
        "ckan.storage_path = $storage" \
        "ckan.uploads_enabled = true" \
        "ckan.max_resource_size = 100" \
        "ckan.dataset.create_on_ui_requires_resources = true" \
        "ckan.csrf_protection.ignore_extensions = false" \
        "ckanext.hokkaido.harvest.import_processes = $import_processes" \
        "ckanext.hokkaido.harvest.workers = $harvest_workers" \
        "ckan.auth.create_user_via_web = true" \
        "ckan.auth.user_create_organizations = false" \
        "ckan.auth.user_create_groups = false" \
        "ckan.gravatar_default = disabled" \
        "ckan.harvest.mq.type = redis" \
        "ckan.harvest.mq.hostname = $redis_host" \
        "ckan.harvest.mq.port = $redis_port" >/dev/null
}

# datastore_permissions INI DB: the DataStore's rights (the write user owns
# the tables, the read-only user may only read them), as CKAN writes them
datastore_permissions() {
    local sql
    # the SQL only: CKAN's log lines go to stdout too (test.ini's console handler)
    sql="$("$VENV/bin/ckan" -c "$1" datastore set-permissions 2>/dev/null \
        | grep -v -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:,]+ ')" \
        || die "ckan datastore set-permissions failed for $1"
    printf '%s\n' "$sql" | runuser -u postgres -- psql -p "$PG_PORT" -q -v ON_ERROR_STOP=1 -d "$2" >/dev/null \
        || die "could not set the DataStore's permissions on $2"
    # trigram indexes for searching inside tables (ckanext/hokkaido/tables/search.py)
    runuser -u postgres -- psql -p "$PG_PORT" -q -v ON_ERROR_STOP=1 -d "$2" \
        -c "CREATE EXTENSION IF NOT EXISTS pg_trgm" >/dev/null \
        || die "could not create the pg_trgm extension on $2"
}
