//! Sets `COHESIX_VERSION`: the package version plus `git describe --tags --always` when the
//! package is built from a git checkout (a crates.io or tarball build has no describe). Only
//! HEAD and the branch it points at are watched, so editing files does not rebuild the tools.

use std::path::PathBuf;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn main() {
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let describe = git(&["describe", "--tags", "--always"]);
    let full = match describe {
        Some(d) => format!("{version} ({d})"),
        None => version,
    };
    println!("cargo:rustc-env=COHESIX_VERSION={full}");
    // Rebuild when HEAD moves (commit, checkout).
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!(
            "cargo:rerun-if-changed={}",
            PathBuf::from(dir).join("HEAD").display()
        );
        if let (Some(common), Some(branch)) = (
            git(&["rev-parse", "--path-format=absolute", "--git-common-dir"]),
            git(&["symbolic-ref", "-q", "HEAD"]),
        ) {
            let common = PathBuf::from(common);
            println!("cargo:rerun-if-changed={}", common.join(branch).display());
            println!(
                "cargo:rerun-if-changed={}",
                common.join("packed-refs").display()
            );
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
