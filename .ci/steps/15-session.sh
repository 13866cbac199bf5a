#!/usr/bin/env bash
# Session proofs (SESSION): the client link probe (core/probe, bin probe-client: the whole
# Session driving loop) must link with a panic handler that references an undefined symbol,
# i.e. no panic path survives in the session; and the testkit (queen model) builds no_std.
# The zero-allocation test, pair-harness tests and property tests run in `cargo test`;
# `cargo clippy --all-targets` type-checks the session bench (core/benches/session.rs).
set -euo pipefail
cd "$(dirname "$0")/../.."

TARGET=thumbv7em-none-eabihf
rustup target add "$TARGET" >/dev/null 2>&1 || rustup target add "$TARGET"

echo "--- link probe: probe-client (session must be panic-free)"
cargo build --manifest-path core/probe/Cargo.toml --target "$TARGET" --release \
    --target-dir target/probe --bin probe-client

echo "--- cohesix-core testkit builds for $TARGET (no_std, no alloc)"
cargo build -p cohesix-core --target "$TARGET" --features testkit
