#!/usr/bin/env bash
# FUSE (`coh mount`, crate cohesix-mount): installs fuse3 (fusermount3: auto-unmount and
# unprivileged unmounts) and checks /dev/fuse. The mount tests themselves run once, in the
# final `cargo test --workspace`, which `.ci/run` starts with COHESIX_REQUIRE_FUSE=1 when FUSE
# is usable, so they fail instead of skipping: the FilesystemBackend conformance suite over
# real mounts, the mount semantics (mock and TCP), lifecycle (restart, lost backend),
# `coh mount` against coh-queen (signals, kill -9, allow-other, lost ack) and the nine
# playbooks through --mount-root; `.ci/run` then checks that no coh mount is left behind.
# The benchmark is type-checked by clippy; run it by hand:
#   cargo bench -p cohesix-mount --bench mount_vs_console
#
# Outside CI (CI unset), a machine without /dev/fuse or fusermount3 skips this step with one
# SKIP line; with CI=true they are mandatory.
set -euo pipefail
cd "$(dirname "$0")/../.."
. .ci/lib.sh

ensure_pkg fusermount3 fuse3 || true
fuse_ready() { [ -c /dev/fuse ] && command -v fusermount3 >/dev/null 2>&1; }
if ! need_or_skip "FUSE (/dev/fuse and fusermount3 from fuse3)" fuse_ready; then
    exit 0
fi
command -v fusermount3
echo "FUSE ready: the test step runs the mount tests with COHESIX_REQUIRE_FUSE=1"
