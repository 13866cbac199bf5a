//! The compiler reproduces the upstream compilers' hashed outputs byte for byte: the 0.3-era
//! manifests (with their derived JSON and cohsh policy) and the 0.9.0-beta manifest (whose
//! `manifest_sha256` its release bundle records).

use cohesix_manifest::compile_str;
use std::fs;
use std::path::PathBuf;

fn read_under(dir: &str, rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(dir)
        .join(rel);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture(rel: &str) -> String {
    read_under("upstream", rel)
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

/// `TICKET_TABLE_SHA256` of the shipped ticket table (spec §6.3).
const TICKET_TABLE_SHA256: &str =
    "fd0ebff1d0b4cfcc2a03a1015578545dfa68f0240e782b60ad7956c2492972eb";

#[test]
fn ticket_table_hash_matches_spec() {
    let c = compile_str(&fixture("configs/root_task.toml"), "root_task.toml").unwrap();
    assert_eq!(c.ticket_table_sha256, TICKET_TABLE_SHA256);
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

#[test]
fn release_0_9_manifest_hashes_like_the_0_9_queen() {
    let c = compile_str(
        &read_under("upstream-0.9", "configs/root_task.toml"),
        "configs/root_task.toml",
    )
    .expect("0.9 manifest compiles");
    // `manifest_sha256` of the 0.9.0-beta bundle (its generated client defaults).
    assert_eq!(
        c.manifest_sha256,
        "af1586465c29995de8086260fe57138aa3481d8ea70f42e5d37b1add06026af0"
    );
    for section in [
        "\"control_plane\"",
        "\"proc_schedule\"",
        "\"proc_lease\"",
        "\"queen_schedule_ctl\"",
        "\"max_reference_bytes_per_segment\"",
        "\"tickets\"",
        "\"affinity\"",
        "\"degrade_pressure\"",
    ] {
        assert!(c.resolved_json.contains(section), "{section}");
    }
    assert_eq!(c.ticket_table_sha256, TICKET_TABLE_SHA256);
}

#[test]
fn manifests_without_0_9_keys_resolve_without_them() {
    // The 0.3 manifests never name a 0.9 key, so none may appear in their resolved JSON
    // (that is what keeps their hashes), yet the generated code still carries the whole 0.9
    // surface with its defaults.
    for rel in [
        "configs/root_task.toml",
        "configs/root_task_regression.toml",
    ] {
        let c = compile_str(&fixture(rel), rel).unwrap();
        for key in [
            "control_plane",
            "proc_schedule",
            "proc_lease",
            "queen_schedule_ctl",
            "policy_ctl",
            "max_reference",
            "\"tickets\": {",
            "affinity",
            "pending_event_cap",
        ] {
            assert!(!c.resolved_json.contains(key), "{rel}: {key}");
        }
        let rs = &c.generated_rs;
        for line in [
            "pub const QUEEN_SCHEDULE_CTL: &str = \"/queen/schedule/ctl\";",
            "pub const POLICY_CTL: &str = \"/policy/ctl\";",
            "pub const MAX_REFERENCE_ENTRIES_PER_SEGMENT: u32 = 1024;",
            "pub const MAX_REFERENCE_MANIFEST_BYTES_PER_SEGMENT: u32 = 32768;",
            "pub const MAX_REFERENCE_BYTES_PER_SEGMENT: u64 = 1073741824;",
            "pub const REQUEST_SCHEMA: &str = \"host-ticket/v1\";",
        ] {
            assert!(rs.contains(line), "{rel}: {line}");
        }
        // Every control file and /proc node is off, with zero bounds.
        let control = rs
            .split("pub mod control_plane {")
            .nth(1)
            .and_then(|r| r.split("\n}\n").next())
            .expect("control_plane module");
        assert_eq!(
            control.matches("pub const ENABLE: bool = false;").count(),
            3
        );
        assert_eq!(control.matches("true").count(), 0);
        assert!(control.contains("pub const CTL_MAX_BYTES: usize = 0;"));
        assert!(rs.contains("\"proc_lease\":{\"summary\":false,\"active\":false"));
    }
}
