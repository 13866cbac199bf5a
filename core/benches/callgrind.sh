#!/usr/bin/env bash
# Instructions per 64-byte-payload frame on the decode path (FrameDecoder::push + frame +
# clear_frame), measured with valgrind --tool=callgrind.
#
# For each API (`copy`: push + frame + clear_frame; `zero-copy`: decode) runs the
# `decode_count` example twice (decode 0 frames, decode 10000 frames from the same prebuilt stream) and divides the difference of total instruction counts (Ir) by 10000,
# so setup and process start-up cancel out. Target: <= 50 instructions per frame.
#
# Usage: core/benches/callgrind.sh        (from the repository root; needs valgrind)
set -euo pipefail
cd "$(dirname "$0")/../.."

FRAMES=10000
TARGET=${CALLGRIND_TARGET_IR:-50}
command -v valgrind >/dev/null || { echo "valgrind not installed" >&2; exit 1; }

cargo build -q -p cohesix-core --release --example decode_count
BIN=target/release/examples/decode_count
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ir() {
    valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.$1.$2" "$BIN" "$1" "$2" \
        >/dev/null 2>"$TMP/log.$1.$2"
    # Total "Ir" from the "summary:" (or "totals:") line of the callgrind output.
    awk '/^(summary|totals):/ {print $2; exit}' "$TMP/cg.$1.$2"
}

STATUS=0
for MODE in copy zero-copy; do
    BASE=$(ir 0 "$MODE")
    FULL=$(ir "$FRAMES" "$MODE")
    PER=$(( (FULL - BASE) / FRAMES ))
    REM=$(( ((FULL - BASE) % FRAMES) * 100 / FRAMES ))
    printf 'callgrind %-9s: base=%s Ir, %s frames=%s Ir -> %d.%02d instructions/frame (target <= %s)\n' \
        "$MODE" "$BASE" "$FRAMES" "$FULL" "$PER" "$REM" "$TARGET"
    if [ "$PER" -gt "$TARGET" ]; then STATUS=1; fi
done
if [ "${CALLGRIND_ENFORCE:-0}" = "1" ] && [ "$STATUS" -ne 0 ]; then
    echo "callgrind: over target" >&2
    exit 1
fi
