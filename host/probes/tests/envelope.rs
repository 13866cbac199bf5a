//! The status rule and the NDJSON byte format.

use cohesix_probes::model::has_data;
use cohesix_probes::ndjson::to_canonical_json;
use cohesix_probes::{snapshot_to_ndjson, HostSnapshot, ProbeResult, ProbeStatus};
use serde_json::json;

#[test]
fn status_rule_ok_degraded_skipped() {
    assert_eq!(
        ProbeStatus::from_parts(&json!({}), None),
        ProbeStatus::Ok,
        "no error is ok even without data"
    );
    assert_eq!(
        ProbeStatus::from_parts(&json!({"devices": [{"index": 0}]}), Some("x")),
        ProbeStatus::Degraded
    );
    assert_eq!(
        ProbeStatus::from_parts(&json!({"source": "cli"}), Some("x")),
        ProbeStatus::Degraded
    );
    assert_eq!(
        ProbeStatus::from_parts(&json!({}), Some("x")),
        ProbeStatus::Skipped
    );
    assert_eq!(
        ProbeStatus::from_parts(&json!({"services": {}}), Some("no services requested")),
        ProbeStatus::Skipped,
        "an empty container is not data"
    );
    assert_eq!(
        ProbeStatus::from_parts(&json!({"a": [null, ""], "b": {"c": []}}), Some("x")),
        ProbeStatus::Skipped
    );
}

#[test]
fn has_data_counts_leaves() {
    assert!(has_data(&json!(false)));
    assert!(has_data(&json!(0)));
    assert!(has_data(&json!({"x": [{"y": "z"}]})));
    assert!(!has_data(&json!(null)));
    assert!(!has_data(&json!("")));
    assert!(!has_data(&json!([[], {}])));
}

#[test]
fn result_constructors_apply_the_rule() {
    let r = ProbeResult::new("k8s", json!({"namespace": "default"}), None);
    assert_eq!(r.status, ProbeStatus::Ok);
    let r = ProbeResult::skipped("docker", "gone");
    assert_eq!(r.status, ProbeStatus::Skipped);
    assert_eq!(r.data, json!({}));
    assert_eq!(r.error.as_deref(), Some("gone"));
    assert_eq!(ProbeStatus::Degraded.to_string(), "degraded");
}

fn fixed_snapshot() -> HostSnapshot {
    let mut snapshot = HostSnapshot::new("2026-02-14T00:00:00.123456+00:00");
    snapshot.insert(ProbeResult::new(
        "nvidia",
        json!({
            "source": "nvidia-smi",
            "devices": [{
                "uuid": "GPU-92e22674-629e-c04a-147b-a07ae517ca59",
                "index": 0,
                "name": "NVIDIA H200",
                "memory_total_mb": 143771,
                "power_limit_w": 700.0,
                "mig_mode": null
            }]
        }),
        None,
    ));
    snapshot.insert(ProbeResult::skipped(
        "docker",
        "docker SDK and CLI unavailable",
    ));
    snapshot.insert(ProbeResult::new(
        "peft",
        json!({
            "versions": {"torch": "2.11.0", "bitsandbytes": null},
            "note": "\u{e9} \u{2713} \u{1F600} \"q\" \\ \n\u{7f}"
        }),
        Some("missing packages: bitsandbytes".to_owned()),
    ));
    snapshot
}

/// Expected bytes produced by Python's
/// `json.dumps(obj, sort_keys=True, separators=(",", ":"))` for the same snapshot.
const EXPECTED: &str = concat!(
    r#"{"captured_at_utc":"2026-02-14T00:00:00.123456+00:00","data":{},"error":"docker SDK and CLI unavailable","provider":"docker","status":"skipped"}"#,
    "\n",
    r#"{"captured_at_utc":"2026-02-14T00:00:00.123456+00:00","data":{"devices":[{"index":0,"memory_total_mb":143771,"mig_mode":null,"name":"NVIDIA H200","power_limit_w":700.0,"uuid":"GPU-92e22674-629e-c04a-147b-a07ae517ca59"}],"source":"nvidia-smi"},"error":null,"provider":"nvidia","status":"ok"}"#,
    "\n",
    r#"{"captured_at_utc":"2026-02-14T00:00:00.123456+00:00","data":{"note":"\u00e9 \u2713 \ud83d\ude00 \"q\" \\ \n\u007f","versions":{"bitsandbytes":null,"torch":"2.11.0"}},"error":"missing packages: bitsandbytes","provider":"peft","status":"degraded"}"#,
    "\n",
);

#[test]
fn ndjson_bytes_for_a_fixed_snapshot() {
    let text = snapshot_to_ndjson(&fixed_snapshot());
    assert_eq!(text, EXPECTED);
    assert!(text.is_ascii());
    assert!(text.ends_with('\n'));
    assert_eq!(text.lines().count(), 3);
    // Each line is valid JSON that round-trips to the result.
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("valid JSON line");
        assert!(v.get("provider").is_some());
    }
}

#[test]
fn ndjson_empty_snapshot_is_empty_string() {
    let snapshot = HostSnapshot::new("2026-02-14T00:00:00.000000+00:00");
    assert_eq!(snapshot_to_ndjson(&snapshot), "");
}

#[test]
fn canonical_json_sorts_nested_keys_by_code_point() {
    let v = json!({"b": {"z": 1, "a": [{"y": true, "x": null}]}, "a": "", "B": -1.5, "é": 0});
    assert_eq!(
        to_canonical_json(&v),
        r#"{"B":-1.5,"a":"","b":{"a":[{"x":null,"y":true}],"z":1},"\u00e9":0}"#
    );
    assert_eq!(
        to_canonical_json(&json!("\u{1}\t\r\u{8}\u{c}")),
        r#""\u0001\t\r\b\f""#
    );
}
