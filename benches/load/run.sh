#!/usr/bin/env bash
# HTTP load benchmark of Accord, with wrk. See "Benchmarks" in README.md.
#
#   benches/load/run.sh            eight workloads on SQLite and PostgreSQL,
#                                  each beside a bare axum server (the ceiling)
#   benches/load/run.sh replicas   three Accords on one PostgreSQL database,
#                                  16 writers registering new schemas
#   benches/load/run.sh large      200,000 stored schemas on SQLite: start-up
#                                  time, GET /schemas?limit=1000, RSS
#   benches/load/run.sh auth       GET by id and register-new on SQLite without
#                                  authentication, then with an API key and
#                                  with HTTP Basic, as ratios to the first
#
# Environment: DURATION (wrk's -d, default 5s), CONNECTIONS (default 32),
# ACCORD_BIN (an accord binary to measure instead of this tree's release
# build, e.g. an earlier commit's, to compare two builds in one sitting),
# ACCORD_BENCH_POSTGRES_URL (a database on the server where the benchmark may
# create and drop its own; default postgres://postgres@127.0.0.1:5432/test).
# Needs cargo, curl, python3, psql and wrk (installed with apt-get if missing).
set -euo pipefail

MODE=${1:-workloads}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-32}
POSTGRES_ADMIN_URL=${ACCORD_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
HEALTH_DEADLINE_SECONDS=60
CONTENT_TYPE=application/vnd.schemaregistry.v1+json

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/benches/load
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
ACCORD=${ACCORD_BIN:-$TARGET/release/accord}
CEILING=$TARGET/release/examples/load_ceiling
WORK=$(mktemp -d "${TMPDIR:-/tmp}/accord-load.XXXXXX")
RUN_ID=$(date +%s)_$$

log() { printf '%s\n' "$*" >&2; }
die() { log "run.sh: $*"; exit 1; }

# ---------------------------------------------------------------- cleanup

STARTED_PIDS=()
CREATED_DATABASES=()

cleanup() {
    local pid database
    for pid in "${STARTED_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    for database in "${CREATED_DATABASES[@]}"; do
        psql "$POSTGRES_ADMIN_URL" -qAt -v ON_ERROR_STOP=1 \
            -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null ||
            log "run.sh: could not drop database $database"
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
# Exiting on a signal runs the EXIT trap too.
trap 'exit 130' INT
trap 'exit 143' TERM

# Stops one process this script started, and waits for it to exit.
stop() {
    local pid=$1 kept=() other
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for other in "${STARTED_PIDS[@]}"; do
        [[ $other == "$pid" ]] || kept+=("$other")
    done
    STARTED_PIDS=("${kept[@]}")
}

# ---------------------------------------------------------------- setup

need_tools() {
    local missing=()
    command -v wrk >/dev/null || missing+=(wrk)
    [[ $MODE == large ]] || command -v psql >/dev/null || missing+=(postgresql-client)
    if ((${#missing[@]})); then
        log "installing ${missing[*]} with apt-get"
        { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; } ||
            die "install ${missing[*]} and run again"
    fi
    local tool
    for tool in cargo curl python3; do
        command -v "$tool" >/dev/null || die "$tool is needed"
    done
}

build() {
    if [ -n "${ACCORD_BIN:-}" ] && [ -x "$CEILING" ]; then
        log "measuring $ACCORD_BIN (not building)"
        return
    fi
    log "building accord and load_ceiling (release)"
    (cd "$ROOT" && cargo build --quiet --release --bin accord --example load_ceiling)
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The URL of database $1 on the admin URL's server.
database_url() {
    python3 - "$POSTGRES_ADMIN_URL" "$1" <<'EOF'
import sys, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
print(urllib.parse.urlunsplit(url._replace(path="/" + sys.argv[2])))
EOF
}

# Creates a fresh database; sets DATABASE_URL.
create_database() {
    local name=accord_load_${RUN_ID}_$1
    psql "$POSTGRES_ADMIN_URL" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$name\"" >/dev/null
    CREATED_DATABASES+=("$name")
    DATABASE_URL=$(database_url "$name")
}

# Polls GET $1/health until it answers 200; fails after the deadline or if
# process $2 exits first.
wait_healthy() {
    local url=$1 pid=$2 deadline=$((SECONDS + HEALTH_DEADLINE_SECONDS))
    while ((SECONDS < deadline)); do
        kill -0 "$pid" 2>/dev/null || die "process $pid exited before $url/health answered"
        if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url/health" || true) == 200 ]]; then
            return 0
        fi
        sleep 0.01
    done
    die "$url/health did not answer 200 within ${HEALTH_DEADLINE_SECONDS}s"
}

# Starts Accord on database $1, logging to $2; sets ACCORD_PID and ACCORD_URL.
start_accord() {
    local port
    port=$(free_port)
    "$ACCORD" serve --listen "127.0.0.1:$port" --database "$1" >"$2" 2>&1 &
    ACCORD_PID=$!
    STARTED_PIDS+=("$ACCORD_PID")
    ACCORD_URL=http://127.0.0.1:$port
    wait_healthy "$ACCORD_URL" "$ACCORD_PID"
}

# Starts the ceiling answering every request with the bytes of file $1; sets
# CEILING_PID and CEILING_URL.
start_ceiling() {
    local port
    port=$(free_port)
    "$CEILING" "127.0.0.1:$port" "$1" >"$WORK/ceiling.log" 2>&1 &
    CEILING_PID=$!
    STARTED_PIDS+=("$CEILING_PID")
    CEILING_URL=http://127.0.0.1:$port
    wait_healthy "$CEILING_URL" "$CEILING_PID"
}

# "VmRSS VmHWM" of process $1, in MiB.
memory_mib() {
    awk '/^VmRSS:/ { rss = $2 } /^VmHWM:/ { hwm = $2 }
         END { printf "%.1f %.1f", rss / 1024, hwm / 1024 }' "/proc/$1/status"
}

# ---------------------------------------------------------------- wrk

# Runs wrk against URL $1 with $2 connections; the environment says what to
# send (REQUESTS or NEW_SUBJECT_PREFIX, see load.lua). Prints
# "requests_per_second p50_ms p99_ms errors".
run_wrk() {
    local url=$1 connections=$2 output
    output=$(wrk -t1 -c"$connections" -d"$DURATION" --timeout 10s -s "$HERE/load.lua" "$url") ||
        die "wrk failed against $url: $output"
    awk '/^WRK_RESULT/ {
            for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
            printf "%.0f %.2f %.2f %d\n", r["requests"] / (r["duration_us"] / 1e6),
                r["p50_us"] / 1000, r["p99_us"] / 1000, r["non2xx"] + r["socket_errors"]
            found = 1
         }
         END { exit !found }' <<<"$output" || die "no WRK_RESULT from wrk: $output"
}

# Sends request line $1 of a request list (METHOD TAB PATH [TAB BODY]) to
# URL $2 and writes the response body to $3; fails unless the answer is 200.
capture() {
    local method path body status
    IFS=$'\t' read -r method path body <<<"$1"
    local args=(-s -o "$3" -w '%{http_code}' -X "$method" --max-time 30)
    if [[ -n $body ]]; then
        args+=(-H "Content-Type: $CONTENT_TYPE" --data-binary "$body")
    fi
    status=$(curl "${args[@]}" "$2$path")
    if [[ $status != 200 ]]; then
        tail -n 20 "$WORK"/accord-*.log >&2 || true
        die "$method $path answered $status: $(cat "$3")"
    fi
}

# ---------------------------------------------------------------- workloads

WORKLOADS=(ids guids latest lookup register_existing compat_latest compat_transitive register_new)

describe() {
    case $1 in
        ids) echo 'GET /schemas/ids/{id}' ;;
        guids) echo 'GET /schemas/guids/{guid}' ;;
        latest) echo 'GET /subjects/{s}/versions/latest' ;;
        lookup) echo 'POST /subjects/{s} (lookup)' ;;
        register_existing) echo 'POST /subjects/{s}/versions (registered)' ;;
        compat_latest) echo 'POST /compatibility/…/versions/latest' ;;
        compat_transitive) echo 'POST /compatibility/… FULL_TRANSITIVE, 100 versions' ;;
        register_new) echo 'POST /subjects/{s}/versions (new schema)' ;;
    esac
}

TABLE_HEADER='| backend | workload | Accord req/s | p50 ms | p99 ms | errors | ceiling req/s | ceiling p99 ms | Accord / ceiling |
|---|---|--:|--:|--:|--:|--:|--:|--:|'

# Runs every workload against one backend; appends rows to $WORK/rows.md and
# a memory line to $WORK/memory.md.
bench_backend() {
    local backend=$1 database=$2 workload request_line rps p50 p99 errors ceiling_rps ceiling_p99 rss hwm
    log "== $backend: starting Accord and seeding"
    start_accord "$database" "$WORK/accord-$backend.log"
    mkdir -p "$WORK/$backend"
    python3 "$HERE/seed.py" "$ACCORD_URL" "$WORK/$backend"
    for workload in "${WORKLOADS[@]}"; do
        if [[ $workload == register_new ]]; then
            request_line=$(printf 'POST\t/subjects/capture-%s/versions\t%s' "$backend" \
                '{"schema":"{\"type\":\"record\",\"name\":\"Capture\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"}]}"}')
            export NEW_SUBJECT_PREFIX=new-$backend
            unset REQUESTS
        else
            request_line=$(head -n1 "$WORK/$backend/$workload.req")
            export REQUESTS=$WORK/$backend/$workload.req
            unset NEW_SUBJECT_PREFIX
        fi
        capture "$request_line" "$ACCORD_URL" "$WORK/body.json"
        read -r rps p50 p99 errors <<<"$(run_wrk "$ACCORD_URL" "$CONNECTIONS")"
        start_ceiling "$WORK/body.json"
        read -r ceiling_rps _ ceiling_p99 _ <<<"$(run_wrk "$CEILING_URL" "$CONNECTIONS")"
        stop "$CEILING_PID"
        printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$backend" "$(describe "$workload")" \
            "$rps" "$p50" "$p99" "$errors" "$ceiling_rps" "$ceiling_p99" \
            "$(awk -v a="$rps" -v c="$ceiling_rps" 'BEGIN { printf "%.2f", a / c }')" |
            tee -a "$WORK/rows.md" >&2
    done
    unset REQUESTS NEW_SUBJECT_PREFIX
    read -r rss hwm <<<"$(memory_mib "$ACCORD_PID")"
    printf -- '- %s: Accord VmRSS %s MiB, VmHWM %s MiB after the run\n' "$backend" "$rss" "$hwm" |
        tee -a "$WORK/memory.md" >&2
    stop "$ACCORD_PID"
}

mode_workloads() {
    : >"$WORK/rows.md"
    : >"$WORK/memory.md"
    bench_backend sqlite "sqlite://$WORK/accord.db"
    create_database workloads
    bench_backend postgres "$DATABASE_URL"
    {
        printf '## Accord under load (wrk -t1 -c%s -d%s, %s)\n\n' "$CONNECTIONS" "$DURATION" "$(date -u +%Y-%m-%d)"
        printf '%s\n' "$TABLE_HEADER"
        cat "$WORK/rows.md"
        printf '\n'
        cat "$WORK/memory.md"
    } >"$WORK/report.md"
}

# ---------------------------------------------------------------- replicas

REPLICA_CONNECTIONS=(6 5 5)

mode_replicas() {
    local replica pids=() urls=() wrk_pids=() versions ids total=0 rps p50 p99 errors rss hwm
    create_database replicas
    log "== starting three Accords on one PostgreSQL database"
    # One at a time, so that only the first runs the migrations.
    for replica in 0 1 2; do
        start_accord "$DATABASE_URL" "$WORK/accord-replica-$replica.log"
        pids+=("$ACCORD_PID")
        urls+=("$ACCORD_URL")
    done
    log "== 16 writers registering new schemas for $DURATION"
    for replica in 0 1 2; do
        NEW_SUBJECT_PREFIX=replica-$replica run_wrk "${urls[$replica]}" "${REPLICA_CONNECTIONS[$replica]}" \
            >"$WORK/replica-$replica.result" &
        wrk_pids+=($!)
    done
    for replica in 0 1 2; do
        wait "${wrk_pids[$replica]}" || die "wrk against replica $replica failed"
    done
    {
        printf '## Accord replicas: 3 processes, one PostgreSQL database, 16 writers registering new schemas (wrk -d%s, %s)\n\n' \
            "$DURATION" "$(date -u +%Y-%m-%d)"
        printf '| replica | connections | register-new req/s | p50 ms | p99 ms | errors | VmRSS MiB | VmHWM MiB |\n'
        printf '|---|--:|--:|--:|--:|--:|--:|--:|\n'
        for replica in 0 1 2; do
            read -r rps p50 p99 errors <"$WORK/replica-$replica.result"
            read -r rss hwm <<<"$(memory_mib "${pids[$replica]}")"
            total=$((total + rps))
            printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$replica" "${REPLICA_CONNECTIONS[$replica]}" \
                "$rps" "$p50" "$p99" "$errors" "$rss" "$hwm"
        done
        printf '| **cluster** | 16 | **%s** | | | | | |\n' "$total"
        # Every request registered a different schema, so every stored
        # version must have an id of its own.
        read -r versions ids <<<"$(psql "$DATABASE_URL" -qAt -F ' ' -v ON_ERROR_STOP=1 \
            -c 'SELECT count(*), count(DISTINCT schema_id) FROM subject_versions')"
        printf '\nStored after the run: %s subject versions with %s distinct ids' "$versions" "$ids"
        if ((versions == ids)); then
            printf '.\n'
        else
            printf ' — DIFFERENT SCHEMAS SHARE AN ID.\n'
        fi
    } >"$WORK/report.md"
}

# ---------------------------------------------------------------- large

LARGE_SCHEMAS=200000

mode_large() {
    local database=sqlite://$WORK/large.db started healthy times=() run seconds rss hwm
    log "== creating the SQLite database and a template schema"
    start_accord "$database" "$WORK/accord-large-seed.log"
    capture "$(printf 'POST\t/subjects/large-1/versions\t%s' \
        '{"schema":"{\"type\":\"record\",\"name\":\"Large1\",\"namespace\":\"bench.large\",\"fields\":[{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"name\",\"type\":\"string\"}]}"}')" \
        "$ACCORD_URL" "$WORK/body.json"
    stop "$ACCORD_PID"
    log "== copying the template to $LARGE_SCHEMAS schemas with SQL"
    python3 "$HERE/seed_large.py" "$WORK/large.db" "$LARGE_SCHEMAS"
    log "== restarting Accord on $LARGE_SCHEMAS schemas"
    started=$(date +%s%N)
    start_accord "$database" "$WORK/accord-large.log"
    healthy=$(date +%s%N)
    for run in 1 2 3 4 5; do
        seconds=$(curl -s -o "$WORK/list.json" -w '%{time_total}' --max-time 120 "$ACCORD_URL/schemas?limit=1000")
        times+=("$(awk -v s="$seconds" 'BEGIN { printf "%.1f", s * 1000 }')")
        if [[ $run == 1 ]]; then
            python3 -c 'import json, sys; n = len(json.load(open(sys.argv[1]))); sys.exit(n != 1000 and f"GET /schemas?limit=1000 returned {n} schemas")' "$WORK/list.json"
        fi
    done
    read -r rss hwm <<<"$(memory_mib "$ACCORD_PID")"
    {
        printf '## Accord with %s stored schemas (SQLite, %s)\n\n' "$LARGE_SCHEMAS" "$(date -u +%Y-%m-%d)"
        printf '| measure | value |\n|---|--:|\n'
        printf '| process start to /health 200 | %s ms |\n' "$(((healthy - started) / 1000000))"
        printf '| GET /schemas?limit=1000, 5 runs | %s ms |\n' "${times[*]}"
        printf '| VmRSS after | %s MiB |\n| VmHWM after | %s MiB |\n' "$rss" "$hwm"
    } >"$WORK/report.md"
}

# ---------------------------------------------------------------- auth

AUTH_PASSWORD=bench-password-1

mode_auth() {
    local database=sqlite://$WORK/auth.db key basic workload label rps p50 p99 errors
    local -A base=()
    log "== auth: starting Accord without authentication and seeding"
    start_accord "$database" "$WORK/accord-auth.log"
    mkdir -p "$WORK/auth"
    python3 "$HERE/seed.py" "$ACCORD_URL" "$WORK/auth"
    : >"$WORK/rows.md"
    # $1 label, $2 a slug for subject names, $3 Authorization header (or empty)
    run_auth_workloads() {
        for workload in ids register_new; do
            if [[ $workload == register_new ]]; then
                export NEW_SUBJECT_PREFIX=auth-$2
                unset REQUESTS
            else
                export REQUESTS=$WORK/auth/$workload.req
                unset NEW_SUBJECT_PREFIX
            fi
            if [[ -n $3 ]]; then export AUTHORIZATION=$3; else unset AUTHORIZATION; fi
            read -r rps p50 p99 errors <<<"$(run_wrk "$ACCORD_URL" "$CONNECTIONS")"
            [[ $errors == 0 ]] || die "$1 $workload: $errors errors"
            [[ -n ${base[$workload]:-} ]] || base[$workload]=$rps
            printf '| %s | %s | %s | %s | %s | %s |\n' "$(describe "$workload")" "$1" "$rps" "$p50" "$p99" \
                "$(awk -v a="$rps" -v b="${base[$workload]}" 'BEGIN { printf "%.2f", a / b }')" |
                tee -a "$WORK/rows.md" >&2
        done
        unset REQUESTS NEW_SUBJECT_PREFIX AUTHORIZATION
    }
    run_auth_workloads "no authentication" open ""
    log "== auth: adding an admin user and an API key"
    "$ACCORD" user add bench --role admin --password "$AUTH_PASSWORD" --database "$database" >/dev/null
    key=$("$ACCORD" key create bench --database "$database" 2>/dev/null)
    basic="Basic $(printf 'bench:%s' "$AUTH_PASSWORD" | base64 -w0)"
    # The server notices within 2 s (it polls the security tables).
    local deadline=$((SECONDS + 30))
    until [[ $(curl -s -o /dev/null -w '%{http_code}' "$ACCORD_URL/subjects") == 401 ]]; do
        ((SECONDS < deadline)) || die "authentication did not turn on"
        sleep 0.2
    done
    run_auth_workloads "API key (Bearer)" key "Bearer $key"
    run_auth_workloads "HTTP Basic (Argon2id, cached)" basic "$basic"
    {
        printf '## Accord with authentication (SQLite, wrk -t1 -c%s -d%s, %s)\n\n' "$CONNECTIONS" "$DURATION" "$(date -u +%Y-%m-%d)"
        printf '| workload | credentials | req/s | p50 ms | p99 ms | / no authentication |\n|---|---|--:|--:|--:|--:|\n'
        cat "$WORK/rows.md"
    } >"$WORK/report.md"
}

# ---------------------------------------------------------------- main

case $MODE in
    workloads | replicas | large | auth) ;;
    *) die "usage: $0 [workloads|replicas|large|auth]" ;;
esac
need_tools
build
"mode_$MODE"
case $MODE in
    workloads) report=$TARGET/load-bench.md ;;
    *) report=$TARGET/load-bench-$MODE.md ;;
esac
cp "$WORK/report.md" "$report"
printf '\n'
cat "$report"
log ""
log "written to $report"
