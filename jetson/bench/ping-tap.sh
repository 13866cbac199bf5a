#!/usr/bin/env bash
# PING round trip through the embassy adapter over TAP (embassy-net/smoltcp in user space)
# against the queen simulator, inside a private network namespace. Prints one line:
#   bench-ping n=<n> median_us=<m> p99_us=<p> max_us=<x>
# Usage (as root, from the repo root, after `cargo build --release -p cohesix-jetson
# -p cohesix-cli --bin jetson-agent-tap --bin coh-queen`): jetson/bench/ping-tap.sh [COUNT] [PROFILE_DIR]
set -euo pipefail
COUNT="${1:-2000}"
BIN="${2:-target/release}"
NS="cohx-bench-$$"
TOKEN="bench-$$-token"
QPID=""
cleanup() {
    if [ -n "$QPID" ]; then kill "$QPID" 2>/dev/null || true; wait "$QPID" 2>/dev/null || true; fi
    ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
[ -e /dev/net/tun ] || { echo "ping-tap: /dev/net/tun missing" >&2; exit 1; }
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" tuntap add dev cohtap0 mode tap
ip -n "$NS" addr add 10.231.0.1/30 dev cohtap0
ip -n "$NS" link set cohtap0 up
ip netns exec "$NS" "$BIN/coh-queen" --bind 10.231.0.1:31337 --allow-non-loopback \
    --auth-token "$TOKEN" --profile shipped >/dev/null 2>&1 &
QPID=$!
# Bounded wait for the listener (the agent's connect is bounded too).
for _ in $(seq 1 50); do
    if ip netns exec "$NS" ss -ltn 2>/dev/null | grep -q '10.231.0.1:31337'; then break; fi
    sleep 0.1
done
RUST_LOG=warn timeout 300 ip netns exec "$NS" "$BIN/jetson-agent-tap" --tap cohtap0 \
    --ip 10.231.0.2/30 --queen 10.231.0.1:31337 --auth-token "$TOKEN" --bench-ping "$COUNT"
