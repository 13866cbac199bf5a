//! Snapshot costs: NDJSON rendering, nvidia-smi parsing, and a whole snapshot on this machine
//! (whatever tools it has; on a CI/dev box most probes are skipped).
//!
//! Run: `cargo bench -p cohesix-probes --bench snapshot`.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use cohesix_probes::nvidia::smi::{parse_smi_csv, SMI_FIELDS};
use cohesix_probes::{
    collect_host_snapshot_blocking, snapshot_to_ndjson, HostSnapshot, ProbeResult, SnapshotOptions,
};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::json;

const H200_ROW: &str = "0, GPU-92e22674-629e-c04a-147b-a07ae517ca59, NVIDIA H200, 143771, 0, 0, 36, 80.25, 700.00, Disabled, 580.159.04\n";

fn sample_snapshot() -> HostSnapshot {
    let mut s = HostSnapshot::new("2026-11-26T00:00:00.000000+00:00");
    let devices: Vec<_> = (0..8)
        .map(|i| {
            json!({"index": i, "uuid": format!("GPU-{i:036}"), "name": "NVIDIA H200",
                   "memory_total_mb": 143771, "memory_used_mb": 0, "utilization_gpu_pct": 0,
                   "temperature_c": 36, "power_draw_w": 80.25, "power_limit_w": 700.0,
                   "mig_mode": "disabled"})
        })
        .collect();
    s.insert(ProbeResult::new(
        "nvidia",
        json!({"devices": devices, "source": "nvml"}),
        None,
    ));
    let pods: Vec<_> = (0..64)
        .map(|i| json!({"name": format!("pod-{i}"), "phase": "Running"}))
        .collect();
    s.insert(ProbeResult::new(
        "k8s",
        json!({"namespace": "default", "pods": pods, "phases": {"Running": 64}}),
        None,
    ));
    s.insert(ProbeResult::skipped(
        "docker",
        "docker SDK and CLI unavailable",
    ));
    s
}

fn benches(c: &mut Criterion) {
    let snapshot = sample_snapshot();
    c.bench_function("ndjson_render_8gpu_64pods", |b| {
        b.iter(|| snapshot_to_ndjson(black_box(&snapshot)))
    });
    let rows = H200_ROW.repeat(8);
    c.bench_function("smi_parse_8_rows", |b| {
        b.iter(|| parse_smi_csv(black_box(&SMI_FIELDS), black_box(&rows)))
    });
    let opts = SnapshotOptions::default();
    let mut group = c.benchmark_group("collect");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("collect_host_snapshot_local", |b| {
        b.iter(|| collect_host_snapshot_blocking(black_box(&opts)))
    });
    group.finish();
}

criterion_group!(probes, benches);
criterion_main!(probes);
