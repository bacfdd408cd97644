#!/usr/bin/env bash
# Write the ini of a production host (README, "Production"):
#
#   scripts/production-ini.sh /etc/ckan/ckan.ini https://opendata.example.lg.jp
#
# The database, Solr and Redis addresses come from the environment
# (CKAN_DB_URL, CKAN_SOLR_URL, CKAN_REDIS_URL, CKAN_DATASTORE_WRITE_URL,
# CKAN_DATASTORE_READ_URL; the demo's on this host
# otherwise), files live under /var/lib/ckan, logs under /var/log/ckan.
# A new file gets fresh secrets from `ckan generate config` (the session
# and CSRF key, the API tokens' JWT secret); an existing file keeps its
# secrets and has only the settings below rewritten, so the script can be
# run again after an upgrade.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

INI="${1:?usage: $0 INI SITE_URL}"
SITE="${2:?usage: $0 INI SITE_URL}"
DATA="${CKAN_DATA_DIR:-/var/lib/ckan}"
LOGS="${CKAN_LOG_DIR:-/var/log/ckan}"
DB="${CKAN_DB_URL:-postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB}"
SOLR="${CKAN_SOLR_URL:-http://127.0.0.1:$SOLR_PORT/solr/ckan}"
REDIS="${CKAN_REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}"
DATASTORE_WRITE="${CKAN_DATASTORE_WRITE_URL:-postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DATASTORE_DB}"
DATASTORE_READ="${CKAN_DATASTORE_READ_URL:-postgresql://$PG_RO_USER:$PG_RO_PASSWORD@127.0.0.1:$PG_PORT/$PG_DATASTORE_DB}"
[ -x "$VENV/bin/ckan" ] || die "no CKAN in $VENV: run scripts/setup.sh first"

# A production host never runs on the demo's passwords, which this
# repository publishes: give the addresses (with their passwords) in the
# environment, or set PG_PASSWORD and PG_RO_PASSWORD to passwords of your own.
for url in "$DB" "$DATASTORE_WRITE" "$DATASTORE_READ"; do
    for known in ckan_default datastore_ro; do
        case "$url" in
            *":$known@"*) die "a database address uses the well-known password '$known'; set CKAN_DB_URL, CKAN_DATASTORE_WRITE_URL and CKAN_DATASTORE_READ_URL (or PG_PASSWORD, PG_RO_PASSWORD) to your own passwords / 公開されている既定のパスワードは本番では使えません";;
        esac
    done
done

if [ ! -f "$INI" ]; then
    mkdir -p "$(dirname "$INI")"
    (umask 077 && "$VENV/bin/ckan" generate config "$INI" >/dev/null)
    say "generated $INI with new secrets (mode 600)"
fi
portal_settings "$INI" "$DB" "$SOLR" "$REDIS" "$SITE" "$DATA" "$DATASTORE_WRITE" "$DATASTORE_READ"
"$VENV/bin/ckan" config-tool "$INI" \
    "debug = false" \
    "ckan.webassets.path = $DATA/webassets" \
    "ckan.cache_expires = 60" \
    "ckan.auth.create_user_via_web = true" \
    "ckan.auth.user_create_organizations = false" \
    "ckan.auth.user_create_groups = false" \
    "REMEMBER_COOKIE_SAMESITE = Lax" \
    "REMEMBER_COOKIE_SECURE = true" \
    "SESSION_COOKIE_SAMESITE = Lax" \
    "SESSION_COOKIE_SECURE = true" \
    "ckan.harvest.log_scope = 0" >/dev/null

# Logs to files that logrotate rotates (deploy/logrotate/ckan): a
# WatchedFileHandler reopens its file once it has been moved, so the web
# workers, the jobs worker and the nightly harvest may share it.
if ! grep -q '^\[handler_file\]' "$INI"; then
    cat >> "$INI" <<INI

[handler_file]
class = logging.handlers.WatchedFileHandler
args = ('$LOGS/ckan.log', 'a', 'utf-8')
level = NOTSET
formatter = generic
INI
fi
"$VENV/bin/ckan" config-tool "$INI" -s handlers "keys = console, file" >/dev/null
for logger in root ckan ckanext werkzeug; do
    "$VENV/bin/ckan" config-tool "$INI" -s "logger_$logger" "handlers = file" >/dev/null
done
"$VENV/bin/ckan" config-tool "$INI" -s logger_ckanext "level = INFO" >/dev/null
mkdir -p "$DATA" "$LOGS"
say "$INI: production settings for $SITE (files in $DATA, logs in $LOGS)"
