#!/usr/bin/env bash
# Core proofs (WIRE): the protocol core builds for a Cortex-M4F target (no_std, no alloc),
# with and without defmt, and the panic-free link probes link.
#
# Link probes (core/probe, standalone package, opt-level "z" + LTO + panic=abort): their
# #[panic_handler] calls an undefined symbol, so linking FAILS if any panic path of the
# exercised core code survives optimisation.
#   probe-wire   frame encoder/decoder (copying and zero-copy), reply classifier + fields,
#                request builders, path validation, server-side console parser, AUTH check.
#   probe-client Session (state machine + 256-byte decoder) with 260-byte rx/tx buffers.
# Footprint: .text and static RAM (.data + .bss) of each probe are printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
. .ci/lib.sh

TARGET=thumbv7em-none-eabihf
PROBE_DIR=target/probe
# 1: the session must be panic-free too (CLIENT_PROBE_REQUIRED=0 only reports).
CLIENT_PROBE_REQUIRED=${CLIENT_PROBE_REQUIRED:-1}

rustup target add "$TARGET" >/dev/null 2>&1 || rustup target add "$TARGET"
ensure_pkg size binutils

echo "--- cohesix-core for $TARGET (release)"
cargo build -p cohesix-core --target "$TARGET" --release
echo "--- cohesix-core for $TARGET (release, defmt)"
cargo build -p cohesix-core --target "$TARGET" --release --features defmt

probe() {
    cargo build --manifest-path core/probe/Cargo.toml --target "$TARGET" --release \
        --target-dir "$PROBE_DIR" --bin "$1"
}

footprint() {
    local bin="$PROBE_DIR/$TARGET/release/$1"
    size -A "$bin" | awk -v name="$1" '
        $1 == ".text"   { text = $2 }
        $1 == ".rodata" { ro = $2 }
        $1 == ".data"   { data = $2 }
        $1 == ".bss"    { bss = $2 }
        END {
            printf "footprint %-13s .text=%d B (%.1f KiB)  .rodata=%d B  static RAM .data+.bss=%d B (%.2f KiB)\n",
                name, text, text / 1024, ro, data + bss, (data + bss) / 1024
        }'
}

echo "--- link probe: probe-wire (must link: WIRE modules are panic-free)"
probe probe-wire
footprint probe-wire

echo "--- link probe: probe-client (session)"
if probe probe-client; then
    footprint probe-client
else
    echo "probe-client: a panic path survives in the session (undefined symbol" \
        "cohesix_core_probe_panic_path_survived). Locate it with:" >&2
    echo "  CARGO_PROFILE_RELEASE_DEBUG=2 cargo build --manifest-path core/probe/Cargo.toml" \
        "--target $TARGET --release --target-dir target/probe-locate --features locate-panics" >&2
    echo "  llvm-objdump -d -l -C target/probe-locate/$TARGET/release/probe-client | less" >&2
    if [ "$CLIENT_PROBE_REQUIRED" = "1" ]; then
        exit 1
    fi
    echo "probe-client: NOT enforced (CLIENT_PROBE_REQUIRED=0)" >&2
fi
