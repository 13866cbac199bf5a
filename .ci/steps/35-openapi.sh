#!/usr/bin/env bash
# OpenAPI drift (issue 14): host/gateway/openapi.yaml must be exactly the document the
# gateway's route definitions generate (the same one it serves at /v1/openapi.yaml), and the
# /docs page and the document must not pull anything from the network.
set -euo pipefail
cd "$(dirname "$0")/../.."

tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT

cargo run -q -p cohesix-cli --bin hive-gateway -- --print-openapi > "$tmp"
if ! diff -u host/gateway/openapi.yaml "$tmp"; then
    echo "openapi drift: host/gateway/openapi.yaml is stale" >&2
    echo "fix: cargo run -p cohesix-cli --bin hive-gateway -- --print-openapi > host/gateway/openapi.yaml" >&2
    exit 1
fi
if grep -nE '<script|https?://' host/gateway/openapi.yaml; then
    echo "openapi: the document must not reference scripts or remote assets" >&2
    exit 1
fi
cargo test -q -p cohesix-gateway --test openapi
