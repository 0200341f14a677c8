#!/usr/bin/env bash
# Fuzzes the API that openapi.yaml describes with schemathesis, against an
# Accord started here on a free port with a fresh database, once per
# backend. Fails on any finding: a 5xx, a status the document does not give
# for the operation, a response whose media type, headers or body the
# document does not describe, a request the server did not answer, or a
# panic in the server's log.
#
#   .ci/schemathesis.sh [sqlite] [postgres]     (both when none is named)
#
# SCHEMATHESIS        the schemathesis command (default: on PATH)
# ACCORD_BIN          the accord binary (default: built here with cargo;
#                     ACCORD_BUILD=tests builds it with the tests)
# ACCORD_TEST_POSTGRES_URL   where the PostgreSQL database is created
#                     (default postgres://postgres@127.0.0.1:5432/test)
# FUZZ_SECONDS        time budget of each backend's registry run; its admin
#                     run gets a third of it (default 60)
# FUZZ_SEED           a seed, to replay a run (default: a new one)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

SCHEMATHESIS="${SCHEMATHESIS:-schemathesis}"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
PG_ADMIN_URL="${ACCORD_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
# Everything the document says about a response. Not the checks that judge
# which inputs an API should refuse or accept: Accord reads requests as
# leniently as Confluent does, and the document says so.
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
# The admin API is fuzzed apart and signed in: a principal the fuzzer
# created would turn authentication on and leave nothing else to fuzz.
ADMIN_PATHS='^/accord/'

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

command -v "$SCHEMATHESIS" >/dev/null || die "schemathesis is not installed ($SCHEMATHESIS)"
# The venv's python has what the helpers below need.
PYTHON="$(dirname "$(command -v "$SCHEMATHESIS")")/python"
[ -x "$PYTHON" ] || PYTHON=python3

if [ -z "${ACCORD_BIN:-}" ]; then
    if [ "${ACCORD_BUILD:-}" = tests ]; then
        # The binary the test build makes (with the dev-dependencies'
        # features), so that `cargo test` afterwards builds nothing more.
        log "building accord and the tests"
        cargo test --workspace --no-run
    else
        log "building accord"
        cargo build --bin accord
    fi
    ACCORD_BIN="$(cargo metadata --format-version 1 --no-deps \
        | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/debug/accord"
fi
[ -x "$ACCORD_BIN" ] || die "no accord binary at $ACCORD_BIN"

WORK="$(mktemp -d)"
SERVER_PID=
PG_DATABASE=
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ -n "$PG_DATABASE" ]; then
        psql -X -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $PG_DATABASE WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# openapi.yaml writes the context-scoped operations once and reuses them by
# YAML alias; schemathesis's link inference mixes up operations that are
# one object, so it gets a copy with every alias written out.
"$PYTHON" -c 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), open(sys.argv[2], "w"))' \
    openapi.yaml "$WORK/openapi.json"

# A port nobody listens on now.
free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Sends a JSON request: METHOD URL [BODY [USER:PASSWORD]]. Prints the
# status on one line, then the body.
http() {
    "$PYTHON" - "$@" <<'PY'
import base64, sys, urllib.error, urllib.request
method, url = sys.argv[1], sys.argv[2]
body = sys.argv[3].encode() if len(sys.argv) > 3 else None
headers = {"Content-Type": "application/json"}
if len(sys.argv) > 4:
    headers["Authorization"] = "Basic " + base64.b64encode(sys.argv[4].encode()).decode()
request = urllib.request.Request(url, data=body, method=method, headers=headers)
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        print(response.status)
        print(response.read().decode())
except urllib.error.HTTPError as error:
    print(error.code)
    print(error.read().decode())
except OSError:
    print(0)
PY
}

start_server() {
    local database_url="$1" port
    port="$(free_port)"
    BASE="http://127.0.0.1:$port"
    # Request lines are left out: a run makes tens of thousands.
    ACCORD_LOG=warn "$ACCORD_BIN" serve --listen "127.0.0.1:$port" --database "$database_url" \
        >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    local deadline=$((SECONDS + 60))
    until [ "$(http GET "$BASE/health" 2>/dev/null | head -n 1)" = 200 ]; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            cat "$WORK/server.log" >&2
            die "accord did not start"
        fi
        [ "$SECONDS" -lt "$deadline" ] || die "accord is not healthy at $BASE after 60s"
        sleep 0.2
    done
}

stop_server() {
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

# An admin's API key, for fuzzing the admin API signed in. A key rather
# than a password: schemathesis puts the user name of `--auth` in paths,
# and a changed password would sign the rest of the run out.
admin_key() {
    local answer
    answer="$(http POST "$BASE/accord/v1/principals" \
        '{"name":"fuzz-admin","password":"fuzz-admin-password","roles":[{"role":"admin"}]}')"
    [ "${answer%%$'\n'*}" = 201 ] || die "cannot add an admin: $answer"
    answer="$(http POST "$BASE/accord/v1/keys" '{"principal":"fuzz-admin"}' fuzz-admin:fuzz-admin-password)"
    [ "${answer%%$'\n'*}" = 201 ] || die "cannot create an API key: $answer"
    printf '%s' "${answer#*$'\n'}" | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["key"])'
}

# One schemathesis run: NAME SECONDS [OPTION...]. Prints its report and a
# line with the requests it sent and the time it took.
run_schemathesis() {
    local name="$1" seconds="$2"
    shift 2
    local started=$SECONDS status=0
    # Run from the scratch directory, where schemathesis keeps its cache.
    (cd "$WORK" && "$SCHEMATHESIS" run "$WORK/openapi.json" --url "$BASE" \
        --checks "$CHECKS" \
        --max-time "$seconds" \
        --workers 1 \
        --no-color \
        --generation-database none \
        --report ndjson --report-ndjson-path "$WORK/$name.ndjson" \
        ${FUZZ_SEED:+--seed "$FUZZ_SEED"} \
        "$@") >"$WORK/$name.out" 2>&1 || status=$?
    cat "$WORK/$name.out"
    local requests
    requests="$("$PYTHON" - "$WORK/$name.ndjson" <<'PY'
import json, sys
count = 0
try:
    for line in open(sys.argv[1]):
        event = json.loads(line).get("ScenarioFinished")
        if event:
            count += len(event["recorder"].get("interactions", {}))
except OSError:
    pass
print(count)
PY
)"
    log "$name: $requests requests in $((SECONDS - started))s (schemathesis exit $status)"
    TOTAL_REQUESTS=$((TOTAL_REQUESTS + requests))
    return "$status"
}

fuzz_backend() {
    local backend="$1" database_url
    case "$backend" in
        sqlite)
            database_url="sqlite://$WORK/fuzz.db"
            ;;
        postgres)
            PG_DATABASE="accord_schemathesis_$$"
            psql -X -q "$PG_ADMIN_URL" -c "CREATE DATABASE $PG_DATABASE" >/dev/null \
                || die "cannot create a database at $PG_ADMIN_URL"
            database_url="${PG_ADMIN_URL%/*}/$PG_DATABASE"
            ;;
        *) die "unknown backend $backend (sqlite or postgres)" ;;
    esac
    log "schemathesis against accord on $backend"
    start_server "$database_url"
    local failed=0 key
    run_schemathesis "$backend-registry" "$FUZZ_SECONDS" --exclude-path-regex "$ADMIN_PATHS" || failed=1
    key="$(admin_key)"
    run_schemathesis "$backend-admin" "$((FUZZ_SECONDS / 3))" \
        --include-path-regex "$ADMIN_PATHS" --header "Authorization: Bearer $key" || failed=1
    stop_server
    if grep -q 'panicked' "$WORK/server.log"; then
        grep -B2 -A10 'panicked' "$WORK/server.log" >&2
        failed=1
    fi
    if [ -n "$PG_DATABASE" ]; then
        psql -X -q "$PG_ADMIN_URL" -c "DROP DATABASE $PG_DATABASE WITH (FORCE)" >/dev/null
        PG_DATABASE=
    fi
    rm -f "$WORK"/fuzz.db*
    return "$failed"
}

TOTAL_REQUESTS=0
fuzz_started=$SECONDS
backends=("$@")
[ "${#backends[@]}" -gt 0 ] || backends=(sqlite postgres)
failed=()
for backend in "${backends[@]}"; do
    fuzz_backend "$backend" || failed+=("$backend")
done
totals="$TOTAL_REQUESTS requests in $((SECONDS - fuzz_started))s"
[ "${#failed[@]}" -eq 0 ] || die "schemathesis found problems on: ${failed[*]} ($totals)"
log "schemathesis found nothing on: ${backends[*]} ($totals)"
