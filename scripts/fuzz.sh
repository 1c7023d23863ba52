#!/usr/bin/env bash
# Fuzzes Vigie's parsers of network and API input (the crate in fuzz/: libFuzzer through
# cargo-fuzz, on the nightly toolchain): each target runs for SECONDS (default 60), one after the
# other, starting from the seeds checked in under fuzz/seeds/TARGET plus what earlier runs here
# found (fuzz/corpus/TARGET, not checked in).
#
#   scripts/fuzz.sh [SECONDS] [TARGET ...]      all targets (cargo fuzz list) when none is named
#   FUZZ_RUNS=10000000 scripts/fuzz.sh 0 syslog a number of executions instead of a time
#   scripts/fuzz.sh --build-only                builds the targets and stops (test.sh runs this in
#                                               the background, niced, while the backend's tests run)
#
# An input that panics, hangs (over 10 s) or needs over 1 GiB fails its target: the input is
# kept in fuzz/artifacts/TARGET/ (replay it with `cargo +nightly fuzz run -O -a -s none TARGET
# FILE`) and the script exits 1 after the other targets ran. Without a nightly toolchain it says
# so and exits 0; it installs cargo-fuzz from crates.io when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

build_only=false
if [[ ${1:-} == --build-only ]]; then
    build_only=true
    shift
fi
seconds=${1:-60}
shift $(($# > 0 ? 1 : 0))

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "fuzz: no nightly Rust toolchain (rustup toolchain list): fuzzing SKIPPED"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz from crates.io"
    cargo install cargo-fuzz --locked --quiet
fi

# Release with overflow checks and debug assertions; no sanitizer: the code is safe Rust, and
# without ASan a target runs several times faster.
flags=(-O -a -s none)
targets=("$@")
if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
started=$SECONDS
if ! cargo +nightly fuzz build "${flags[@]}" >"$logs/build.log" 2>&1; then
    tail -n 40 "$logs/build.log"
    echo "fuzz: the fuzz targets do not build"
    exit 1
fi
echo "fuzz: targets built in $((SECONDS - started)) s"
if $build_only; then
    exit 0
fi

if [[ -n ${FUZZ_RUNS:-} ]]; then
    limit=(-runs="$FUZZ_RUNS")
else
    limit=(-max_total_time="$seconds")
fi
failed=()
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target"
    log="$logs/$target.log"
    if cargo +nightly fuzz run "${flags[@]}" "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
        "${limit[@]}" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        echo "fuzz: $target: ${runs:-?} executions, ${rate:-?} exec/s, no crash"
    else
        echo "fuzz: $target FAILED:"
        tail -n 40 "$log"
        failed+=("$target")
    fi
done
if ((${#failed[@]} > 0)); then
    echo "fuzz: failing targets: ${failed[*]} (inputs in fuzz/artifacts/)"
    exit 1
fi
