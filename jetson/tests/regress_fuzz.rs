//! Regression tests for inputs found by the `jetson_schema` fuzz target (fuzz/).

use cohesix_jetson::schema::{Lease, LeaseError, LeaseState};

/// Fuzz crash `crash-53b57e89…`: a lease whose `worker_id` carries JSON escapes.
///
/// `Lease::parse` decodes with `serde_json_core::from_slice`, which hands escaped strings
/// over verbatim, so `"wo\u0001\b\tr-1"` became the id `wo\u0001\b\tr-1` (backslashes kept):
/// the parsed id is not the JSON value, and re-rendering the lease changes it. A lease
/// either must unescape (`from_slice_escaped` with a `MAX_ID_LEN` scratch buffer) or must
/// refuse escaped ids as `Malformed`. Fixed: ids are refused unless they are plain `[A-Za-z0-9._-]` tokens
/// (the core decoder, `cohesix_core::control::GpuLease::decode`, refuses escaped ids).
#[test]
fn escaped_worker_id_is_unescaped_or_refused() {
    let line = br#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-0","worker_id":"worker\u002d1","mem_mb":1024,"streams":1,"ttl_s":60,"priority":1}"#;
    match Lease::parse(line, "GPU-0") {
        Ok(lease) => {
            assert_eq!(lease.state, LeaseState::Active);
            assert_eq!(lease.worker_id.as_str(), "worker-1", "escape kept verbatim");
        }
        // Refusal is a typed `Malformed`, never another error class.
        Err(e) => assert_eq!(e, LeaseError::Malformed),
    }
}

/// Fuzz crash `crash-…` (second facet): raw control bytes inside a JSON string are not
/// valid JSON, yet the lease parser accepts them into the worker id.
#[test]
fn raw_control_bytes_in_worker_id_are_refused() {
    let line = b"{\"schema\":\"gpu-lease/v1\",\"state\":\"ACTIVE\",\"gpu_id\":\"GPU-0\",\"worker_id\":\"w\x00\x01r-1\"}";
    assert!(
        Lease::parse(line, "GPU-0").is_err(),
        "raw control bytes accepted"
    );
}

/// Plain ids keep parsing (guards the fix above against over-refusal).
#[test]
fn plain_worker_id_parses() {
    let line =
        br#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-0","worker_id":"worker-1"}"#;
    let lease = Lease::parse(line, "GPU-0").unwrap();
    assert_eq!(lease.worker_id.as_str(), "worker-1");
    assert_eq!(lease.state, LeaseState::Active);
}
