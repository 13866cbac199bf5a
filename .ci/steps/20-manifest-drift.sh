#!/usr/bin/env bash
# Manifest drift check: generated/ must be exactly what coh-rtc produces from
# configs/root_task.toml (generated Rust, resolved JSON, cohsh policy), and the resolved hash
# must still equal the upstream queen build's manifest_sha256.
set -euo pipefail
cd "$(dirname "$0")/../.."

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cargo run -q -p cohesix-cli --bin coh-rtc -- compile configs/root_task.toml --out "$tmp" >/dev/null

status=0
for f in src/lib.rs root_task_resolved.json cohsh_policy.toml; do
    if ! diff -u "generated/$f" "$tmp/$f"; then
        echo "manifest drift: generated/$f is stale" >&2
        status=1
    fi
done

# The shipped upstream manifests must keep resolving to their recorded hashes.
expect_hash() {
    local manifest="$1" want="$2" got
    got="$(cargo run -q -p cohesix-cli --bin coh-rtc -- hash "$manifest")"
    if [ "$got" != "$want" ]; then
        echo "manifest drift: $manifest hashes to $got, expected $want" >&2
        status=1
    fi
}
expect_hash configs/root_task.toml \
    3a20adc55c8f975e20e8ef031422f8a09b4a7b8e524dd052bf69296ddf7ff1af
expect_hash fixtures/upstream/configs/root_task_regression.toml \
    6f0b57ee365d6fd537e869b6732bcf377ea1332a6250ccb182432d2374a80e3f

if [ "$status" -ne 0 ]; then
    echo "fix: cargo run -p cohesix-cli --bin coh-rtc -- compile configs/root_task.toml --out generated" >&2
fi
exit "$status"
