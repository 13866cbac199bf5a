#!/usr/bin/env bash
# Embedded side: no_std builds for thumbv7em, the example firmware (+ its section sizes), the
# TAP end-to-end test (agent on embassy-net/smoltcp over TAP <-> coh-queen, cohsh grants the
# lease) and a short PING round-trip benchmark over TAP.
#
# Needs root, /dev/net/tun and ip(8): the e2e test FAILS (it is not skipped) when they are
# missing. Everything runs inside network namespaces this script's tests create and delete.
set -euo pipefail
cd "$(dirname "$0")/../.."

section() { printf '\n--- 40-embedded: %s\n' "$*"; }

section "toolchain and tools"
rustup target add thumbv7em-none-eabihf
if ! command -v ip >/dev/null 2>&1 || ! command -v ss >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq iproute2 >/dev/null
fi

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
if command -v llvm-size >/dev/null 2>&1; then
    llvm-size -A "$ELF" | grep -E '^(section|\.vector_table|\.text|\.rodata|\.data|\.bss)'
else
    readelf -S -W "$ELF" | grep -E ' \.(vector_table|text|rodata|data|bss) '
fi

section "TAP end-to-end test"
[ -e /dev/net/tun ] || { echo "40-embedded: /dev/net/tun is missing; the TAP e2e test cannot run" >&2; exit 1; }
cargo build -p cohesix --bin coh-queen --bin cohsh
cargo test -p cohesix-jetson --test e2e_tap -- --ignored --nocapture

section "PING round trip over TAP (embassy adapter vs coh-queen), debug builds: smoke only"
# The figures to quote come from release builds (see jetson/bench/ping-tap.sh); CI reuses the
# debug binaries the e2e test just built to keep its time modest.
jetson/bench/ping-tap.sh 300 target/debug
