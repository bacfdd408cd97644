#!/usr/bin/env bash
# Run the test suite against the real services (started by `make services`):
# database ckan_test, Solr core ckan_test, Redis db 1. Extra arguments go to
# pytest, e.g. scripts/test.sh tests/test_search.py -k 人口
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$ROOT"

say "tests: preparing databases $PG_TEST_DB, $PG_SOURCE_DB and $PG_DATASTORE_TEST_DB (emptied: a run on another CKAN version leaves its own tables)"
for db in "$PG_TEST_DB" "$PG_SOURCE_DB" "$PG_DATASTORE_TEST_DB"; do
    # the tables one statement each first: a DataStore holding thousands of
    # tables (after bench/standard_merge.py) would take more locks than one
    # transaction may hold
    printf '%s\n' "SELECT format('DROP TABLE IF EXISTS %I CASCADE', tablename) FROM pg_tables WHERE schemaname = 'public' \gexec" \
        | PGOPTIONS="--client-min-messages=warning" PGPASSWORD="$PG_PASSWORD" psql -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$db" >/dev/null
    PGOPTIONS="--client-min-messages=warning" PGPASSWORD="$PG_PASSWORD" psql -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$db" \
        -c "DROP SCHEMA IF EXISTS public CASCADE" -c "CREATE SCHEMA public" >/dev/null
done
"$VENV/bin/ckan" -c test.ini db init >/dev/null
"$VENV/bin/ckan" -c test.ini db upgrade >/dev/null
datastore_permissions test.ini "$PG_DATASTORE_TEST_DB"

say "tests: pytest --ckan-ini=test.ini $*"
set +e
"$VENV/bin/pytest" --ckan-ini=test.ini "${@:-tests}"
rc=$?
set -e
if [ $rc -eq 5 ]; then
    die "pytest collected no tests: that is a failure, not a pass"
fi
exit $rc
