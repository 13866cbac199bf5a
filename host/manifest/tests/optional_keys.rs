//! How the optional 0.9 keys resolve: a written key is hashed where the 0.9 compiler puts it
//! (even when it equals its default), an unwritten one is left out of the resolved JSON but
//! still generated with its effective value.

use cohesix_manifest::compile_str;
use cohesix_manifest::model::TelemetryIngest;
use std::fs;
use std::path::PathBuf;

/// The shipped 0.3-era manifest: it names none of the 0.9 keys.
fn manifest_0_3() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/upstream/configs/root_task.toml");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The generated source without its hash lines (which depend on every byte of the input).
fn constants(rs: &str) -> String {
    rs.lines()
        .filter(|l| !l.contains("SHA256") && !l.contains("manifest_sha256") && !is_hex(l))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_hex(line: &str) -> bool {
    let t = line.trim().trim_matches(|c| c == '"' || c == ';');
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

#[test]
fn a_written_table_is_completed_with_its_defaults() {
    let src = format!(
        "{}\n[control_plane.schedule]\nenable = true\nqueue_max_entries = 8\nctl_max_bytes = 512\n",
        manifest_0_3()
    );
    let c = compile_str(&src, "m.toml").unwrap();
    let v: serde_json::Value = serde_json::from_str(&c.resolved_json).unwrap();
    let cp = &v["control_plane"];
    assert_eq!(cp["schedule"]["queue_max_entries"], 8);
    assert_eq!(cp["lease"]["enable"], false);
    assert_eq!(cp["lease"]["active_max_entries"], 0);
    assert_eq!(cp["export"]["ctl_max_bytes"], 0);
    assert!(c
        .generated_rs
        .contains("    pub mod schedule {\n        /// `control_plane.schedule.ctl_max_bytes`.\n        pub const CTL_MAX_BYTES: usize = 512;"));
}

#[test]
fn writing_a_default_changes_the_hash_but_not_the_constants() {
    let base = compile_str(&manifest_0_3(), "m.toml").unwrap();
    let src = manifest_0_3().replace(
        "queen_lifecycle_ctl = \"/queen/lifecycle/ctl\"\n",
        "queen_lifecycle_ctl = \"/queen/lifecycle/ctl\"\nqueen_schedule_ctl = \"/queen/schedule/ctl\"\n",
    );
    assert_ne!(src, manifest_0_3(), "the fixture names queen_lifecycle_ctl");
    let written = compile_str(&src, "m.toml").unwrap();
    assert_ne!(written.manifest_sha256, base.manifest_sha256);
    assert!(written
        .resolved_json
        .contains("\"queen_lifecycle_ctl\": \"/queen/lifecycle/ctl\",\n    \"queen_schedule_ctl\": \"/queen/schedule/ctl\",\n    \"log\""));
    assert_eq!(
        constants(&written.generated_rs),
        constants(&base.generated_rs)
    );
}

#[test]
fn reference_sizes_are_zero_when_ingest_is_off() {
    let off = TelemetryIngest {
        max_segments_per_device: 0,
        max_bytes_per_segment: 0,
        max_total_bytes_per_device: 0,
        ..TelemetryIngest::default()
    };
    assert!(off.is_disabled());
    assert_eq!(off.max_reference_entries_or_default(), 0);
    assert_eq!(off.max_reference_manifest_bytes_or_default(), 0);
    assert_eq!(off.max_reference_bytes_or_default(), 0);
    let filled = off.filled();
    assert_eq!(filled.max_reference_entries_per_segment, Some(0));
    assert_eq!(filled.max_reference_bytes_per_segment, Some(0));
    let on = TelemetryIngest::default();
    assert_eq!(
        (
            on.max_reference_entries_or_default(),
            on.max_reference_manifest_bytes_or_default(),
            on.max_reference_bytes_or_default()
        ),
        (1024, 32 * 1024, 1 << 30)
    );
}

#[test]
fn effective_reference_defaults_follow_the_segment_size() {
    let src = manifest_0_3().replace(
        "max_bytes_per_segment = 32768\nmax_total",
        "max_bytes_per_segment = 16384\nmax_total",
    );
    assert_ne!(src, manifest_0_3());
    let src = src.replace(
        "max_bytes_per_segment = 32768\nmax_total_bytes_per_device = 131072\n\n[client_policies.coh.run.lease]",
        "max_bytes_per_segment = 16384\nmax_total_bytes_per_device = 131072\n\n[client_policies.coh.run.lease]",
    );
    let c = compile_str(&src, "m.toml").unwrap();
    let m = &c.manifest.telemetry_ingest;
    assert_eq!(m.max_reference_manifest_bytes_per_segment, None);
    assert_eq!(m.max_reference_manifest_bytes_or_default(), 16384);
    assert!(c
        .generated_rs
        .contains("pub const MAX_REFERENCE_MANIFEST_BYTES_PER_SEGMENT: u32 = 16384;"));
}
