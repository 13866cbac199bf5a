#!/usr/bin/env bash
# Supply chain: cargo-deny checks licences (deny.toml's allow list), bans (OpenSSL, wildcard
# versions) and sources (crates.io only). Advisories need the online RustSec database and are
# left to a connected CI: `cargo deny check advisories`.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! cargo deny --version >/dev/null 2>&1; then
    # A debug build without debug info installs in a fraction of a release build's time and
    # checks this tree in about a second.
    CARGO_PROFILE_DEV_DEBUG=0 cargo install cargo-deny --locked --debug
fi
cargo deny --version
cargo deny --locked check --hide-inclusion-graph licenses bans sources
