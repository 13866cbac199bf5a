#!/usr/bin/env bash
# Embedded side: no_std builds for thumbv7em, the example firmware (+ its section sizes), the
# TAP end-to-end test (agent on embassy-net/smoltcp over TAP <-> coh-queen, cohsh grants the
# lease) and a short PING round-trip benchmark over TAP.
#
# The TAP parts need root, /dev/net/tun and ip(8). With CI=true they are mandatory (missing
# ones fail the step); outside CI they are skipped with one SKIP line. Everything runs inside
# network namespaces this script's tests create and delete.
set -euo pipefail
cd "$(dirname "$0")/../.."
. .ci/lib.sh

section() { printf '\n--- 40-embedded: %s\n' "$*"; }

section "toolchain and tools"
rustup target add thumbv7em-none-eabihf
ensure_pkg ip iproute2 || true
ensure_pkg ss iproute2 || true

section "no_std libraries for thumbv7em-none-eabihf"
cargo build -p cohesix-embassy --target thumbv7em-none-eabihf
cargo build -p cohesix-embassy --target thumbv7em-none-eabihf --features defmt,log
cargo build -p cohesix-jetson --target thumbv7em-none-eabihf --no-default-features
cargo build -p cohesix-jetson --target thumbv7em-none-eabihf --no-default-features --features defmt

section "example firmware (jetson/firmware, standalone workspace)"
(
    cd jetson/firmware
    CARGO_TARGET_DIR=../../target/firmware cargo build --release --target thumbv7em-none-eabihf
)
ELF=target/firmware/thumbv7em-none-eabihf/release/cohesix-jetson-firmware
SIZE=size
command -v llvm-size >/dev/null 2>&1 && SIZE=llvm-size
"$SIZE" -A "$ELF" | grep -E '^(section|\.vector_table|\.text|\.rodata|\.data|\.bss)'

section "firmware footprint budget"
# Static RAM was 25,424 B with the 16-slot host session; with MinimalAgent (the core's
# MinimalSession) and right-sized embassy-net buffers it is ~12.1 KB. The budgets leave room
# for toolchain drift but catch a session or buffer silently growing back.
BSS_BUDGET=16384
TEXT_BUDGET=81920
section_size() { "$SIZE" -A "$ELF" | awk -v s="$1" '$1 == s { print $2 }'; }
BSS=$(section_size .bss)
DATA=$(section_size .data)
TEXT=$(section_size .text)
echo "static RAM (.data + .bss): $((DATA + BSS)) B (budget $BSS_BUDGET B); .text: $TEXT B (budget $TEXT_BUDGET B)"
[ "$((DATA + BSS))" -le "$BSS_BUDGET" ] || { echo "40-embedded: firmware static RAM over budget" >&2; exit 1; }
[ "$TEXT" -le "$TEXT_BUDGET" ] || { echo "40-embedded: firmware .text over budget" >&2; exit 1; }

section "TAP end-to-end test"
tap_ready() { is_root && [ -e /dev/net/tun ] && command -v ip >/dev/null 2>&1 && command -v ss >/dev/null 2>&1; }
if ! need_or_skip "TAP end-to-end (root, /dev/net/tun, ip, ss)" tap_ready; then
    exit 0
fi
cargo build -p cohesix-cli --bin coh-queen --bin cohsh
cargo test -p cohesix-jetson --test e2e_tap -- --ignored --nocapture

section "PING round trip over TAP (embassy adapter vs coh-queen), debug builds: smoke only"
# The figures to quote come from release builds (see jetson/bench/ping-tap.sh); CI reuses the
# debug binaries the e2e test just built to keep its time modest.
jetson/bench/ping-tap.sh 300 target/debug
