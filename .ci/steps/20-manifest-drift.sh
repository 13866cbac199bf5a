#!/usr/bin/env bash
# Manifest drift check: generated/ must be exactly what coh-rtc produces from
# configs/root_task.toml (generated Rust, resolved JSON, cohsh policy), and the shipped
# upstream manifests (0.3-era and 0.9.0-beta) must still resolve to their queen builds'
# manifest_sha256. configs/root_task.toml extends the 0.9 mount allowlist, so its own hash is
# checked against the MANIFEST_SHA256 committed in generated/.
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
expect_hash fixtures/upstream/configs/root_task.toml \
    3a20adc55c8f975e20e8ef031422f8a09b4a7b8e524dd052bf69296ddf7ff1af
expect_hash fixtures/upstream/configs/root_task_regression.toml \
    6f0b57ee365d6fd537e869b6732bcf377ea1332a6250ccb182432d2374a80e3f
expect_hash fixtures/upstream-0.9/configs/root_task.toml \
    af1586465c29995de8086260fe57138aa3481d8ea70f42e5d37b1add06026af0

# Our own manifest hashes to the value generated/ was built with.
committed="$(grep -A1 '^pub const MANIFEST_SHA256' generated/src/lib.rs | grep -o '[0-9a-f]\{64\}' | head -n 1)"
expect_hash configs/root_task.toml "$committed"

if [ "$status" -ne 0 ]; then
    echo "fix: cargo run -p cohesix-cli --bin coh-rtc -- compile configs/root_task.toml --out generated" >&2
fi
exit "$status"
