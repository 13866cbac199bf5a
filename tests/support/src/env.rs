//! [`hermetic`]: a child process that inherits none of the Cohesix variables of the test's
//! environment (backend selection, tokens, tickets, manifests, gateway and Job settings), so
//! a developer's shell cannot change what a CLI test sees. Set what a test needs after it.

use std::process::Command;

/// Prefixes of the variables the tools read.
pub const PREFIXES: [&str; 4] = ["COHESIX_", "COH_", "COHSH_", "HIVE_GATEWAY_"];
/// Other variables the tools read (the Kubernetes Indexed Job index of `--shard-count`).
pub const OTHERS: [&str; 1] = ["JOB_COMPLETION_INDEX"];

/// Removes from `cmd` every variable of the current environment that a Cohesix tool reads.
pub fn hermetic(cmd: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        let Some(n) = name.to_str() else { continue };
        if PREFIXES.iter().any(|p| n.starts_with(p)) || OTHERS.contains(&n) {
            cmd.env_remove(&name);
        }
    }
    cmd
}
