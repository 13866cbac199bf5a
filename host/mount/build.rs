//! Marks this package's test targets for the backend conformance suite: the suite
//! (host/tests/backend_conformance.rs) adds its FUSE-mount backends when included here.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(cohesix_mount_suite)");
    println!("cargo::rustc-cfg=cohesix_mount_suite");
}
