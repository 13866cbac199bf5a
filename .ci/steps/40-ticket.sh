#!/usr/bin/env bash
# Ticket module (core/src/ticket): the keyed-BLAKE3 codec must build for a bare-metal target
# (blake3 without std) with and without the defmt derives.
set -euo pipefail
cd "$(dirname "$0")/../.."
rustup target add thumbv7em-none-eabihf
cargo build -p cohesix-core --target thumbv7em-none-eabihf
cargo build -p cohesix-core --target thumbv7em-none-eabihf --features defmt
