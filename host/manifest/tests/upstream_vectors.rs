//! The compiler reproduces the upstream compiler's hashed outputs byte for byte.

use cohesix_manifest::compile_str;
use std::fs;
use std::path::PathBuf;

fn fixture(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/upstream")
        .join(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn shipped_manifest_resolves_byte_identically() {
    let c = compile_str(&fixture("configs/root_task.toml"), "configs/root_task.toml")
        .expect("shipped manifest compiles");
    assert_eq!(c.resolved_json, fixture("derived/root_task_resolved.json"));
    assert_eq!(
        c.manifest_sha256,
        "3a20adc55c8f975e20e8ef031422f8a09b4a7b8e524dd052bf69296ddf7ff1af"
    );
    assert_eq!(c.resolved_name, "root_task_resolved.json");
}

#[test]
fn regression_manifest_resolves_byte_identically() {
    let c = compile_str(
        &fixture("configs/root_task_regression.toml"),
        "configs/root_task_regression.toml",
    )
    .expect("regression manifest compiles");
    assert_eq!(
        c.resolved_json,
        fixture("derived/root_task_regression_resolved.json")
    );
    assert_eq!(
        c.manifest_sha256,
        "6f0b57ee365d6fd537e869b6732bcf377ea1332a6250ccb182432d2374a80e3f"
    );
}

#[test]
fn ticket_table_hash_matches_spec() {
    let c = compile_str(&fixture("configs/root_task.toml"), "root_task.toml").unwrap();
    assert_eq!(
        c.ticket_table_sha256,
        "fd0ebff1d0b4cfcc2a03a1015578545dfa68f0240e782b60ad7956c2492972eb"
    );
}

#[test]
fn cohsh_policy_is_byte_identical() {
    let c = compile_str(&fixture("configs/root_task.toml"), "root_task.toml").unwrap();
    assert_eq!(c.policy_toml, fixture("derived/cohsh_policy.toml"));
    assert_eq!(
        c.policy_sha256,
        "96262c617e5a15321d58f069f17664dfbe02ffa9e6e4df7a38169c21b4e37ee8"
    );
}
