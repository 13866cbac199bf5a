#!/usr/bin/env bash
# Fuzz smoke run: builds every cargo-fuzz target in fuzz/ and runs each for a bounded time
# from a temporary copy of its seed corpus (git stays clean). A crash fails CI; the
# reproducer is printed and kept under $FUZZ_OUT for turning into a regression test.
#
# Env: FUZZ_SECONDS (per target, default 10: a smoke run that keeps CI short; the
#      throughput figures in docs/robustness.md come from 60-s runs by hand), FUZZ_TARGETS (space-separated subset),
#      FUZZ_OUT (where crash artifacts and logs go, default a temp dir).
set -euo pipefail

cd "$(dirname "$0")/../.."
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    # Debug build without debug info: installs much faster; cargo-fuzz only drives cargo.
    CARGO_PROFILE_DEV_DEBUG=0 cargo install cargo-fuzz --locked --debug
fi

SECONDS_PER_TARGET="${FUZZ_SECONDS:-10}"
OUT="${FUZZ_OUT:-$(mktemp -d -t cohesix-fuzz.XXXXXX)}"
mkdir -p "$OUT"

cd fuzz
# No sanitizer: the fuzzed crates forbid unsafe code, so ASan finds nothing that a plain
# build misses, and a plain build is much faster. Debug assertions catch overflow.
cargo fuzz build -s none -a

TARGETS="${FUZZ_TARGETS:-$(cargo fuzz list)}"
status=0
for t in $TARGETS; do
    corpus="$OUT/corpus/$t"
    mkdir -p "$corpus" "$OUT/artifacts/$t"
    if [ -d "corpus/$t" ]; then
        cp -R "corpus/$t/." "$corpus/"
    fi
    max_len=4096
    # Manifest seeds are whole root_task.toml files (up to ~6 KB); leave room to grow.
    [ "$t" = manifest ] && max_len=32768
    echo "== fuzz $t for ${SECONDS_PER_TARGET}s"
    if ! cargo fuzz run -s none -a "$t" "$corpus" -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
        -max_len="$max_len" -print_final_stats=1 \
        -artifact_prefix="$OUT/artifacts/$t/" >"$OUT/$t.log" 2>&1; then
        echo "!! $t FAILED; reproducer(s):"
        ls -l "$OUT/artifacts/$t/" || true
        tail -40 "$OUT/$t.log"
        status=1
    fi
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' "$OUT/$t.log" || true
done
echo "fuzz logs and artifacts: $OUT"
exit "$status"
