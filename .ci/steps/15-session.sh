#!/usr/bin/env bash
# Session proofs (SESSION): the client link probe (core/probe, bin probe-client: the whole
# Session driving loop) must link with a panic handler that references an undefined symbol,
# i.e. no panic path survives in the session; and the testkit (queen model) builds no_std.
# The zero-allocation test, pair-harness tests and property tests run in `cargo test`;
# `cargo clippy --all-targets` type-checks the session bench (core/benches/session.rs).
set -euo pipefail
cd "$(dirname "$0")/../.."
. .ci/lib.sh

TARGET=thumbv7em-none-eabihf
rustup target add "$TARGET" >/dev/null 2>&1 || rustup target add "$TARGET"

echo "--- link probe: probe-client (session must be panic-free)"
cargo build --manifest-path core/probe/Cargo.toml --target "$TARGET" --release \
    --target-dir target/probe --bin probe-client

echo "--- cohesix-core testkit builds for $TARGET (no_std, no alloc)"
cargo build -p cohesix-core --target "$TARGET" --features testkit

echo "--- footprint budget: minimal client (.text <= 16 KiB, .data+.bss <= 2 KiB)"
ensure_pkg size binutils
size -A "target/probe/$TARGET/release/probe-client" | awk '
    $1 == ".text" { text = $2 } $1 == ".data" { data = $2 } $1 == ".bss" { bss = $2 }
    END {
        printf "probe-client: .text=%d B  .data=%d B  .bss=%d B  static RAM=%d B\n", text, data, bss, data + bss
        if (text > 16384) { print "FAIL: .text over 16 KiB"; exit 1 }
        if (data + bss > 2048) { print "FAIL: static RAM over 2 KiB"; exit 1 }
    }'
