#!/usr/bin/env bash
# Soak (issue 10): the release coh-queen under a one-minute mixed flood of valid writes, reads,
# pipelined PINGs and hostile connections on loopback. Fails if the queen's peak RSS passes
# the bound or a fresh client ever waits more than 2 s to be served. Prints the figures
# recorded in docs/robustness.md. COHESIX_SOAK_SECONDS shortens or lengthens it.
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build -p cohesix-cli --bin coh-queen --release
COHESIX_SOAK=1 cargo test -p cohesix-integration --test soak --release -- --nocapture
