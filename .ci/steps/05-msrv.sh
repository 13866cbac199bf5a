#!/usr/bin/env bash
# MSRV: the libraries claim the workspace rust-version (1.91, the smoltcp floor) and are
# checked with exactly that toolchain: on the host the protocol core, generated constants,
# both adapters, the Jetson agent, the simulator, the manifest compiler, the probes (without
# their optional docker/k8s/nvml integrations) and the host library with its REST backend;
# the no_std crates also for thumbv7em. The operator-tool packages (cohesix-cli,
# cohesix-gateway, cohesix-mount) and the test crates declare the pinned toolchain CI builds
# with (.ci/run), 1.95, as their rust-version.
set -euo pipefail
cd "$(dirname "$0")/../.."
. .ci/lib.sh

MSRV="$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
[ -n "$MSRV" ] || { echo "05-msrv: no rust-version in Cargo.toml" >&2; exit 1; }
rustup toolchain install "$MSRV" --profile minimal --target thumbv7em-none-eabihf
echo "--- MSRV $MSRV: cargo check of the libraries"
RUSTUP_TOOLCHAIN="$MSRV" cargo check --locked --target-dir target/msrv \
    -p cohesix-core -p cohesix-generated -p cohesix-tokio -p cohesix-embassy \
    -p cohesix-jetson -p cohesix-sim -p cohesix-manifest -p cohesix --features cohesix/rest
echo "--- MSRV $MSRV: no_std crates for thumbv7em-none-eabihf"
RUSTUP_TOOLCHAIN="$MSRV" cargo check --locked --target-dir target/msrv \
    --target thumbv7em-none-eabihf -p cohesix-core -p cohesix-embassy
RUSTUP_TOOLCHAIN="$MSRV" cargo check --locked --target-dir target/msrv \
    --target thumbv7em-none-eabihf -p cohesix-jetson --no-default-features
