#!/usr/bin/env bash
# Set up everything the portal needs on this machine, idempotently:
# Debian packages, the virtualenv with CKAN and its extensions, Solr's jars
# (downloaded once into .cache/), the Solr home with our cores and ckan.ini.
# A second run only checks and reuses what is there.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

system_packages() {
    local missing=()
    command -v pg_ctlcluster >/dev/null || missing+=(postgresql)
    command -v redis-server  >/dev/null || missing+=(redis-server)
    command -v pg_config     >/dev/null || missing+=(libpq-dev)
    command -v chromium      >/dev/null || missing+=(chromium)
    command -v chromedriver  >/dev/null || missing+=(chromium-driver)
    command -v curl          >/dev/null || missing+=(curl)
    # Japanese glyphs for headless-browser screenshots
    fc-list :lang=ja 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
    ldconfig -p 2>/dev/null | grep -q libmagic.so.1 || missing+=(libmagic1)
    command -v java >/dev/null || die "Java 17 is needed for Solr (install openjdk-17-jre-headless)"
    command -v mvn  >/dev/null || missing+=(maven)
    # nginx in front of gunicorn for `make prod-local` and its tests (deploy/nginx/)
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
    if [ ${#missing[@]} -eq 0 ]; then
        say "system packages: all present"
        return
    fi
    say "system packages: installing ${missing[*]}"
    [ "$(id -u)" = 0 ] || die "run as root, or install these Debian packages first: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

virtualenv() {
    local stamp="$VENV/.hokkaido-stamp" want
    want="ckan==$CKAN_VERSION xloader==$XLOADER_VERSION $(sha1sum "$ROOT/setup.py" "$ROOT/requirements.txt" | sha1sum | cut -c1-12)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$VENV/bin/ckan" ]; then
        say "virtualenv: $VENV is up to date"
        return
    fi
    say "virtualenv: installing CKAN $CKAN_VERSION and extensions into $VENV"
    [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install -q -U pip wheel setuptools
    "$VENV/bin/pip" install -q "ckan[requirements,dev]==$CKAN_VERSION"
    # ours second: on CKAN 2.11 the MCP SDK needs a newer typing-extensions
    # than 2.11 pins (4.13 for 4.12.2); pip moves it and says so, CKAN runs with it
    "$VENV/bin/pip" install -q -r "$ROOT/requirements.txt"
    # the DataStore's loader; its dependencies are in requirements.txt
    "$VENV/bin/pip" install -q --no-deps "ckanext-xloader==$XLOADER_VERSION"
    "$VENV/bin/pip" install -q --no-deps -e "$ROOT"
    echo "$want" > "$stamp"
}

solr_jars() {
    local stamp="$SOLR_LIB/.complete" want
    want="$(sha1sum "$ROOT/scripts/solr-pom.xml" | cut -c1-12)"
    if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        say "solr: jars cached in $SOLR_LIB"
        return
    fi
    say "solr: downloading Solr $SOLR_VERSION jars from Maven Central (once)"
    rm -rf "$SOLR_LIB"
    mkdir -p "$SOLR_LIB"
    if ! mvn -q -B -f "$ROOT/scripts/solr-pom.xml" dependency:copy-dependencies \
            -DoutputDirectory="$SOLR_LIB" -DincludeScope=runtime >"$CACHE/mvn.log" 2>&1; then
        # Maven keeps what it fetched in ~/.m2: retry from there without network
        mvn -o -q -B -f "$ROOT/scripts/solr-pom.xml" dependency:copy-dependencies \
            -DoutputDirectory="$SOLR_LIB" -DincludeScope=runtime >>"$CACHE/mvn.log" 2>&1 \
            || die "could not fetch Solr $SOLR_VERSION from Maven Central; see $CACHE/mvn.log"
    fi
    ls "$SOLR_LIB"/solr-core-*.jar "$SOLR_LIB"/lucene-analysis-kuromoji-*.jar \
       "$SOLR_LIB"/lucene-analysis-icu-*.jar "$SOLR_LIB"/icu4j-*.jar >/dev/null \
        || die "Solr jars incomplete in $SOLR_LIB; see $CACHE/mvn.log"
    echo "$want" > "$stamp"
}

solr_home() {
    say "solr: writing cores (${SOLR_CORES}) under $SOLR_HOME"
    local ckan_schema derived synonyms
    ckan_schema="$("$VENV/bin/python" -c 'import ckan, os; print(os.path.join(os.path.dirname(ckan.__file__), "config", "solr", "schema.xml"))')"
    derived="$(mktemp)" synonyms="$(mktemp)"
    # the stewards' synonyms are folded as the analysis folds what is typed
    "$VENV/bin/python" "$ROOT/schemas/solr/derive_schema.py" "$ckan_schema" "$derived" \
        "$ROOT/schemas/solr/synonyms-ja.txt" "$synonyms" || die "solr: could not derive the schema (above)"
    mkdir -p "$SOLR_HOME"
    cp "$ROOT/schemas/solr/solr.xml" "$SOLR_HOME/solr.xml"
    local core conf
    for core in $SOLR_CORES; do
        conf="$SOLR_HOME/$core/conf"
        mkdir -p "$conf"
        cp "$ROOT/schemas/solr/solrconfig.xml" "$ROOT/schemas/solr/synonyms.txt" \
           "$ROOT/schemas/solr/protwords.txt" "$ROOT/schemas/solr/mapping-ja.txt" \
           "$ROOT/schemas/solr/mapping-kana.txt" "$conf/"
        cp "$synonyms" "$conf/synonyms-ja.txt"
        if [ "$core" = ckan_stock_test ]; then
            # CKAN's own schema, untouched: the baseline the tests compare with
            cp "$ckan_schema" "$conf/schema.xml"
        else
            cp "$derived" "$conf/schema.xml"
        fi
        printf 'name=%s\n' "$core" > "$SOLR_HOME/$core/core.properties"
    done
    rm -f "$derived" "$synonyms"
    # a Solr already serving (another CKAN version's schema) reads the files again
    if curl -sf --max-time 5 "http://127.0.0.1:$SOLR_PORT/solr/admin/cores?action=STATUS" >/dev/null 2>&1; then
        for core in $SOLR_CORES; do
            curl -sf --max-time 120 "http://127.0.0.1:$SOLR_PORT/solr/admin/cores?action=RELOAD&core=$core" >/dev/null \
                || warn "solr: could not reload core $core; restart Solr (make stop) to use its new schema"
        done
    fi
}

ckan_ini() {
    local ini="$ROOT/ckan.ini"
    if [ ! -f "$ini" ]; then
        say "ckan: generating $ini"
        "$VENV/bin/ckan" generate config "$ini" >/dev/null
    fi
    portal_settings "$ini" \
        "postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB" \
        "http://127.0.0.1:$SOLR_PORT/solr/ckan" \
        "redis://127.0.0.1:$REDIS_PORT/0" \
        "http://127.0.0.1:$CKAN_PORT" "$VAR/storage" \
        "postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DATASTORE_DB" \
        "postgresql://$PG_RO_USER:$PG_RO_PASSWORD@127.0.0.1:$PG_PORT/$PG_DATASTORE_DB"
    # the demo has no nginx in front: the MCP server's own port (scripts/demo.sh)
    "$VENV/bin/ckan" config-tool "$ini" "ckanext.hokkaido.mcp.url = http://127.0.0.1:${MCP_PORT:-5001}/mcp" >/dev/null
    # INFO, not DEBUG: a thousand debug lines would bury the commands' progress lines
    "$VENV/bin/ckan" config-tool "$ini" -s logger_ckanext -e "level=INFO" >/dev/null
    mkdir -p "$VAR/storage"
    say "ckan: $ini configured"
}

# axe-core, the accessibility engine the browser tests run in Chromium
# (tests/accessibility.py), from the npm registry; the tarball is checked
# against the registry's published sha512 before it is unpacked
AXE_VERSION=4.10.2
AXE_INTEGRITY="sha512-RE3mdQ7P3FRSe7eqCWoeQ/Z9QXrtniSjp1wUjt5nRC3WIpz5rSCve6o3fsZ2aCpJtrZjSZgjwXAoTO5k4tEI0w=="
axe_core() {
    local dir="$CACHE/axe-core-$AXE_VERSION" tgz="$CACHE/axe-core-$AXE_VERSION.tgz"
    if [ -f "$dir/axe.min.js" ]; then
        say "axe-core: $AXE_VERSION cached"
        return
    fi
    say "axe-core: downloading $AXE_VERSION from the npm registry (once)"
    curl -fsSL --retry 3 -o "$tgz" "https://registry.npmjs.org/axe-core/-/axe-core-$AXE_VERSION.tgz" \
        || die "axe-core: download failed (registry.npmjs.org unreachable?)"
    local got
    got="sha512-$("$PYTHON" -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$tgz")"
    [ "$got" = "$AXE_INTEGRITY" ] || { rm -f "$tgz"; die "axe-core: $tgz does not match the registry's sha512"; }
    mkdir -p "$dir"
    tar -xzf "$tgz" -C "$dir" --strip-components=1 package/axe.min.js package/LICENSE
    rm -f "$tgz"
}

translations() {
    # the portal's Japanese catalogue (ITranslation of the hokkaido plugin)
    "$VENV/bin/pybabel" compile -D ckanext-hokkaido \
        -d "$ROOT/ckanext/hokkaido/i18n" -l ja --statistics 2>&1 | sed 's/^/    /'
}

mkdir -p "$CACHE" "$RUN"
system_packages
virtualenv
solr_jars
solr_home
axe_core
translations
ckan_ini
say "setup complete"
