//! The nvidia probe against fake `nvidia-smi` executables (NVML pointed at a missing library).

mod common;

use std::time::Duration;

use cohesix_probes::nvidia::probe_nvidia;
use cohesix_probes::nvidia::smi::{is_null_cell, parse_smi_csv, SMI_BASE_FIELDS, SMI_FIELDS};
use cohesix_probes::{ProbeStatus, SourceChoice};
use common::FakeBin;
use serde_json::json;

const H200_ROW: &str = "0, GPU-92e22674-629e-c04a-147b-a07ae517ca59, NVIDIA H200, 143771, 0, 0, 36, 80.25, 700.00, Disabled, 580.159.04\n";

#[tokio::test]
async fn smi_fallback_reports_the_h200_row() {
    let bin = FakeBin::new();
    bin.printing("nvidia-smi", H200_ROW, 0);
    let opts = bin.options();
    let r = probe_nvidia(&opts).await;
    assert_eq!(r.status, ProbeStatus::Ok, "{r:?}");
    assert_eq!(r.error, None);
    assert_eq!(r.data["source"], "nvidia-smi");
    assert_eq!(r.data["driver_version"], "580.159.04");
    assert_eq!(r.data["truncated"], false);
    assert!(r.data["api_error"]
        .as_str()
        .is_some_and(|e| e.contains("NVML")));
    assert_eq!(
        r.data["devices"],
        json!([{
            "index": 0,
            "uuid": "GPU-92e22674-629e-c04a-147b-a07ae517ca59",
            "name": "NVIDIA H200",
            "memory_total_mb": 143771,
            "memory_used_mb": 0,
            "utilization_gpu_pct": 0,
            "temperature_c": 36,
            "power_draw_w": 80.25,
            "power_limit_w": 700.0,
            "mig_mode": "disabled"
        }])
    );
    assert_eq!(
        bin.argv("nvidia-smi"),
        vec![
            format!("--query-gpu={}", SMI_FIELDS.join(",")),
            "--format=csv,noheader,nounits".to_owned()
        ]
    );
}

#[tokio::test]
async fn not_available_cells_become_null_and_bad_rows_degrade() {
    let bin = FakeBin::new();
    let text =
        "0, GPU-a, Tesla T4, 15360, [N/A], [N/A], N/A, [Not Supported], [N/A], [N/A], 535.1\n\
                [N/A], GPU-b, Tesla T4, 15360, 1, 2, 3, 4, 5, Enabled, 535.1\n\
                2, GPU-c, short row\n";
    bin.printing("nvidia-smi", text, 0);
    let r = probe_nvidia(&bin.options()).await;
    assert_eq!(r.status, ProbeStatus::Degraded);
    assert_eq!(
        r.error.as_deref(),
        Some("one or more nvidia-smi rows were malformed")
    );
    let devices = r.data["devices"].as_array().expect("devices");
    assert_eq!(devices.len(), 1, "index-less and short rows are skipped");
    assert_eq!(devices[0]["memory_used_mb"], 0);
    assert_eq!(devices[0]["utilization_gpu_pct"], json!(null));
    assert_eq!(devices[0]["temperature_c"], json!(null));
    assert_eq!(devices[0]["power_draw_w"], json!(null));
    assert_eq!(devices[0]["mig_mode"], json!(null));
    assert_eq!(devices[0]["memory_total_mb"], 15360);
}

#[tokio::test]
async fn garbage_output_is_degraded_not_a_crash() {
    let bin = FakeBin::new();
    bin.printing("nvidia-smi", "\u{fffd}\u{0}garbage,,,\n{not csv}\n", 0);
    let r = probe_nvidia(&bin.options()).await;
    assert_eq!(r.status, ProbeStatus::Degraded);
    assert_eq!(r.data["devices"], json!([]));
}

#[tokio::test]
async fn a_rejected_field_retries_with_the_base_fields() {
    let bin = FakeBin::new();
    let out = bin.path().join("base.out");
    std::fs::write(&out, "0, GPU-x, Old GPU, 1000, 10, 5, 40\n").expect("write");
    bin.script(
        "nvidia-smi",
        &format!(
            "case \"$1\" in\n  *mig.mode*) echo 'Field \"mig.mode.current\" is not a valid field to query.' >&2; exit 2;;\n  *) /bin/cat '{}';;\nesac",
            out.display()
        ),
    );
    let r = probe_nvidia(&bin.options()).await;
    assert_eq!(r.status, ProbeStatus::Ok, "{r:?}");
    assert_eq!(
        bin.argv("nvidia-smi")[0],
        format!("--query-gpu={}", SMI_BASE_FIELDS.join(","))
    );
    let d = &r.data["devices"][0];
    assert_eq!(d["memory_used_mb"], 10);
    assert_eq!(d["power_draw_w"], json!(null));
    assert_eq!(r.data["driver_version"], json!(null));
}

#[tokio::test]
async fn failing_smi_is_degraded_with_its_stderr() {
    let bin = FakeBin::new();
    bin.failing(
        "nvidia-smi",
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n",
        9,
    );
    let r = probe_nvidia(&bin.options()).await;
    assert_eq!(r.status, ProbeStatus::Degraded);
    assert_eq!(
        r.error.as_deref(),
        Some("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")
    );
    assert_eq!(r.data["source"], "nvidia-smi");
}

/// Without the `nvml` feature NVML is not tried: nvidia-smi answers and `api_error` says the
/// client is not compiled in.
#[cfg(not(feature = "nvml"))]
#[tokio::test]
async fn without_the_nvml_client_smi_answers_and_says_so() {
    let bin = FakeBin::new();
    bin.printing("nvidia-smi", H200_ROW, 0);
    let mut opts = bin.options();
    let r = probe_nvidia(&opts).await;
    assert_eq!(r.status, ProbeStatus::Ok, "{r:?}");
    assert_eq!(r.data["source"], "nvidia-smi");
    assert_eq!(
        r.data["api_error"],
        cohesix_probes::nvidia::nvml::API_NOT_COMPILED
    );
    opts.nvidia_source = SourceChoice::Api;
    let r = probe_nvidia(&opts).await;
    assert_eq!(
        r.error.as_deref(),
        Some("NVML unavailable: NVML client not compiled in (cargo feature `nvml`)")
    );
}

#[tokio::test]
async fn missing_everything_is_skipped() {
    let bin = FakeBin::new();
    let r = probe_nvidia(&bin.options()).await;
    assert_eq!(r.status, ProbeStatus::Skipped);
    let e = r.error.expect("error");
    assert!(
        e.starts_with("NVML and nvidia-smi unavailable: nvml: "),
        "{e}"
    );
    assert!(e.ends_with("cli: command not found: nvidia-smi"), "{e}");
    assert_eq!(r.data, json!({}));
}

#[tokio::test]
async fn hanging_smi_times_out() {
    let bin = FakeBin::new();
    bin.hanging("nvidia-smi");
    let mut opts = bin.options();
    opts.exec.timeout = Duration::from_millis(300);
    let r = probe_nvidia(&opts).await;
    assert_eq!(r.status, ProbeStatus::Skipped);
    let e = r.error.expect("error");
    assert!(
        e.contains("command timed out: nvidia-smi --query-gpu="),
        "{e}"
    );
}

#[tokio::test]
async fn forced_sources_do_not_fall_back() {
    let bin = FakeBin::new();
    bin.printing("nvidia-smi", H200_ROW, 0);
    let mut opts = bin.options();
    opts.nvidia_source = SourceChoice::Api;
    let r = probe_nvidia(&opts).await;
    assert_eq!(r.status, ProbeStatus::Skipped);
    assert!(r.error.expect("error").starts_with("NVML unavailable"));
    assert!(bin.argv("nvidia-smi").is_empty(), "smi must not run");

    opts.nvidia_source = SourceChoice::Cli;
    let r = probe_nvidia(&opts).await;
    assert_eq!(r.status, ProbeStatus::Ok);
    assert_eq!(r.data.get("api_error"), None, "NVML was not tried");
}

#[tokio::test]
async fn device_cap_truncates() {
    let bin = FakeBin::new();
    let rows: String = (0..3)
        .map(|i| format!("{i}, GPU-{i}, G, 10, 1, 0, 30, 1.5, 2, Disabled, 1\n"))
        .collect();
    bin.printing("nvidia-smi", &rows, 0);
    let mut opts = bin.options();
    opts.max_devices = 2;
    let r = probe_nvidia(&opts).await;
    assert_eq!(r.data["devices"].as_array().map(Vec::len), Some(2));
    assert_eq!(r.data["truncated"], true);
}

#[test]
fn null_markers() {
    for cell in [
        "",
        " ",
        "N/A",
        "[N/A]",
        "n/a",
        "NA",
        "none",
        "Unknown",
        "[Not Supported]",
        "[Unknown Error]",
    ] {
        assert!(is_null_cell(cell), "{cell:?}");
    }
    for cell in ["0", "NVIDIA H200", "Disabled", "80.25"] {
        assert!(!is_null_cell(cell), "{cell:?}");
    }
    let r = parse_smi_csv(&["index", "temperature.gpu"], "0, 12.5\n1, -3\n");
    assert_eq!(r.devices.len(), 2);
    assert!(
        r.devices.iter().all(|d| d.temperature_c.is_none()),
        "non-integers are null"
    );
}
