#!/usr/bin/env bash
# Runs every fuzz target for a fixed time and prints, per target, the
# executions and whether it found a crash. Not part of CI; see README.md.
#
#   fuzz/run.sh                      every target, 60 s each
#   FUZZ_SECONDS=600 fuzz/run.sh compat_pairs
#
# Settings (environment):
#   FUZZ_SECONDS     time per target (default 60)
#   FUZZ_SANITIZER   address (default) or none: safe Rust gains little from
#                    ASan, and `none` runs about twice the executions
#   FUZZ_NICE        niceness of the build and the runs (default 19: the
#                    machine is shared)
#   FUZZ_KEEP_GOING  1: run in libFuzzer's fork mode and go on after a
#                    crash, so that one known fault does not hide the next
#                    (every crash found is listed)
#
# cargo fuzz passes nightly-only flags to rustc (-Zsanitizer, -Cpasses
# for coverage). Only the stable toolchain is installed, so RUSTC_BOOTSTRAP=1
# lets stable rustc accept them; the code built is the stable compiler's.
# The build keeps debug assertions and overflow checks on (`-a`), so an
# arithmetic overflow is a finding, not a silent wrap.
set -euo pipefail

FUZZ_DIR=$(cd "$(dirname "$0")" && pwd)
cd "$FUZZ_DIR"

SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
SANITIZER=${FUZZ_SANITIZER:-address}
NICE=${FUZZ_NICE:-19}
ALL_TARGETS=(parse_avro parse_protobuf parse_json_schema compat_pairs serde_frame)
TARGETS=("${@:-${ALL_TARGETS[@]}}")
export RUSTC_BOOTSTRAP=1

# Longer than any seed (the largest is under 2 KiB); longer inputs only
# slow each execution down.
max_len() {
    case "$1" in
        serde_frame) echo 512 ;;
        compat_pairs) echo 8192 ;;
        *) echo 4096 ;;
    esac
}

command -v cargo-fuzz >/dev/null || {
    echo "cargo-fuzz is missing: cargo install cargo-fuzz" >&2
    exit 1
}

python3 seed.py
BUILD_FLAGS=(--release --debug-assertions --sanitizer "$SANITIZER")
nice -n "$NICE" cargo fuzz build "${BUILD_FLAGS[@]}"

mkdir -p logs
KEEP_GOING_FLAGS=()
if [[ ${FUZZ_KEEP_GOING:-0} == 1 ]]; then
    KEEP_GOING_FLAGS=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi
declare -A EXECUTIONS FINDING
for target in "${TARGETS[@]}"; do
    log="logs/$target.log"
    echo "run: $target for ${SECONDS_PER_TARGET}s (log: fuzz/$log)"
    mkdir -p "artifacts/$target"
    touch "logs/$target.start"
    status=0
    nice -n "$NICE" cargo fuzz run "${BUILD_FLAGS[@]}" "$target" "corpus/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" \
        -max_len="$(max_len "$target")" \
        -rss_limit_mb=2048 \
        -timeout=10 \
        -print_final_stats=1 \
        ${KEEP_GOING_FLAGS[@]+"${KEEP_GOING_FLAGS[@]}"} \
        >"$log" 2>&1 || status=$?
    # Fork mode prints no final stats: its last status line counts them.
    EXECUTIONS[$target]=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [[ -z ${EXECUTIONS[$target]} ]]; then
        EXECUTIONS[$target]=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$log" | tail -1)
    fi
    # The crashes of this run: in fork mode only the files tell, the log
    # has no child's output.
    artifacts=$(find "artifacts/$target" -type f -newer "logs/$target.start" | sed 's|^|fuzz/|' | sort)
    if [[ -n $artifacts ]]; then
        reasons=$(grep -o 'panicked at [^ ]*\|ERROR: libFuzzer: [a-z-]*' "$log" | sort -u | paste -sd ';' - || true)
        if [[ -z $reasons ]]; then
            reasons=$(grep -o 'oom/timeout/crash: [0-9/]*' "$log" | tail -1 || true)
        fi
        FINDING[$target]="CRASH ($reasons): $(echo "$artifacts" | paste -sd ' ' -)"
    elif [[ $status -ne 0 ]]; then
        FINDING[$target]="run failed (exit $status), see fuzz/$log"
    else
        FINDING[$target]="none"
    fi
done

echo
printf '%-18s %12s  %s\n' target executions finding
for target in "${TARGETS[@]}"; do
    printf '%-18s %12s  %s\n' "$target" "${EXECUTIONS[$target]:-?}" "${FINDING[$target]}"
done
echo "Reproduce a crash: RUSTC_BOOTSTRAP=1 cargo fuzz run ${BUILD_FLAGS[*]} TARGET ARTIFACT"
echo "Minimize it:       RUSTC_BOOTSTRAP=1 cargo fuzz tmin ${BUILD_FLAGS[*]} TARGET ARTIFACT"
