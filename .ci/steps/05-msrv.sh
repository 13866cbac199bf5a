#!/usr/bin/env bash
# MSRV: the rust-version the manifests claim (workspace.package.rust-version) is checked with
# exactly that toolchain: the whole workspace (host crates included) and the no_std crates for
# thumbv7em. CI itself builds with the pinned toolchain of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/../.."
. .ci/lib.sh

MSRV="$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
[ -n "$MSRV" ] || { echo "05-msrv: no rust-version in Cargo.toml" >&2; exit 1; }
rustup toolchain install "$MSRV" --profile minimal --target thumbv7em-none-eabihf
echo "--- MSRV $MSRV: cargo check --workspace"
RUSTUP_TOOLCHAIN="$MSRV" cargo check --workspace --locked --target-dir target/msrv
echo "--- MSRV $MSRV: no_std crates for thumbv7em-none-eabihf"
RUSTUP_TOOLCHAIN="$MSRV" cargo check --locked --target-dir target/msrv \
    --target thumbv7em-none-eabihf -p cohesix-core -p cohesix-embassy
RUSTUP_TOOLCHAIN="$MSRV" cargo check --locked --target-dir target/msrv \
    --target thumbv7em-none-eabihf -p cohesix-jetson --no-default-features
