//! The capture from a real H200 (`fixtures/gpu/h200-2026-11-26/`, produced by
//! `cohesix-snapshot` itself): both NVIDIA paths agree, the raw tools agree, the bytes follow the
//! envelope format.

mod common;

use cohesix_probes::ndjson::to_canonical_json;
use cohesix_probes::nvidia::smi::parse_smi_csv;
use cohesix_probes::ProbeStatus;
use common::{fixture_text, query_fields, xml_text};
use serde_json::Value;

const DIR: &str = "gpu/h200-2026-11-26";
const UUID: &str = "GPU-7c639bcc-caa9-ac12-a8a3-687a8c891dc9";

fn lines(file: &str) -> Vec<(String, Value)> {
    fixture_text(&format!("{DIR}/{file}"))
        .lines()
        .map(|l| (l.to_owned(), serde_json::from_str(l).expect("json line")))
        .collect()
}

fn provider(lines: &[(String, Value)], name: &str) -> Value {
    lines
        .iter()
        .find(|(_, v)| v["provider"] == name)
        .unwrap_or_else(|| panic!("{name} line"))
        .1
        .clone()
}

fn status_of(v: &Value) -> ProbeStatus {
    match v["status"].as_str() {
        Some("ok") => ProbeStatus::Ok,
        Some("degraded") => ProbeStatus::Degraded,
        _ => ProbeStatus::Skipped,
    }
}

#[test]
fn every_line_is_canonical_and_follows_the_status_rule() {
    for file in [
        "snapshot_auto.ndjson",
        "snapshot_nvml.ndjson",
        "snapshot_smi.ndjson",
        "snapshot_nvml_missing.ndjson",
        "snapshot_other.ndjson",
        "snapshot_timeout1ms.ndjson",
    ] {
        let text = fixture_text(&format!("{DIR}/{file}"));
        assert!(text.ends_with('\n'), "{file}");
        let parsed = lines(file);
        let providers: Vec<&str> = parsed
            .iter()
            .map(|(_, v)| v["provider"].as_str().unwrap_or_default())
            .collect();
        let mut sorted = providers.clone();
        sorted.sort_unstable();
        assert_eq!(providers, sorted, "{file}: providers sorted");
        for (line, value) in &parsed {
            assert_eq!(&to_canonical_json(value), line, "{file}: canonical bytes");
            let expected = ProbeStatus::from_parts(&value["data"], value["error"].as_str());
            assert_eq!(status_of(value), expected, "{file}: status rule");
        }
    }
}

#[test]
fn nvml_and_smi_paths_agree_on_identities_and_memory() {
    let nvml = provider(&lines("snapshot_nvml.ndjson"), "nvidia");
    let smi = provider(&lines("snapshot_smi.ndjson"), "nvidia");
    assert_eq!(nvml["data"]["source"], "nvml");
    assert_eq!(smi["data"]["source"], "nvidia-smi");
    assert_eq!(nvml["status"], "ok");
    assert_eq!(smi["status"], "ok");
    assert_eq!(
        nvml["data"]["driver_version"],
        smi["data"]["driver_version"]
    );
    let (a, b) = (&nvml["data"]["devices"][0], &smi["data"]["devices"][0]);
    for key in [
        "index",
        "uuid",
        "name",
        "memory_total_mb",
        "memory_used_mb",
        "power_limit_w",
        "mig_mode",
    ] {
        assert_eq!(a[key], b[key], "{key}");
    }
    assert_eq!(a["uuid"], UUID);
    assert_eq!(a["memory_total_mb"], 143_771);
    // Fast-moving values are present on both paths.
    for key in ["power_draw_w", "temperature_c", "utilization_gpu_pct"] {
        assert!(a[key].is_number() && b[key].is_number(), "{key}");
    }
    let auto = provider(&lines("snapshot_auto.ndjson"), "nvidia");
    assert_eq!(auto["data"]["source"], "nvml", "auto prefers NVML");
}

#[test]
fn raw_nvidia_smi_outputs_agree_with_the_snapshot() {
    let cmd = fixture_text(&format!("{DIR}/smi_query_cmd.txt"));
    let fields = query_fields(&cmd);
    let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
    let raw = parse_smi_csv(
        &refs,
        &fixture_text(&format!("{DIR}/smi_query_noheader.txt")),
    );
    assert!(!raw.malformed);
    assert_eq!(raw.driver_version.as_deref(), Some("580.159.04"));
    let d = &raw.devices[0];
    assert_eq!(d.uuid.as_deref(), Some(UUID));
    assert_eq!(d.name.as_deref(), Some("NVIDIA H200"));
    assert_eq!(d.memory_total_mb, 143_771);
    assert_eq!(d.memory_used_mb, 0);
    assert_eq!(d.utilization_gpu_pct, Some(0));
    assert_eq!(d.temperature_c, Some(34));
    assert_eq!(d.power_draw_w, Some(78.24));
    assert_eq!(d.power_limit_w, Some(700.0));
    assert_eq!(d.mig_mode.as_deref(), Some("disabled"));

    let smi = provider(&lines("snapshot_smi.ndjson"), "nvidia");
    assert_eq!(smi["data"]["devices"][0]["uuid"], UUID);
    assert_eq!(
        smi["data"]["devices"][0]["memory_total_mb"],
        d.memory_total_mb
    );

    assert!(fixture_text(&format!("{DIR}/smi_L.txt")).contains(&format!("(UUID: {UUID})")));
    let xml = fixture_text(&format!("{DIR}/smi_qx.xml"));
    assert_eq!(xml_text(&xml, None, "uuid"), Some(UUID));
    assert_eq!(
        xml_text(&xml, Some("fb_memory_usage"), "total"),
        Some("143771 MiB")
    );
}

#[test]
fn fallback_skips_and_timeouts_recorded_on_the_device() {
    let missing = provider(&lines("snapshot_nvml_missing.ndjson"), "nvidia");
    assert_eq!(missing["status"], "ok");
    assert_eq!(missing["data"]["source"], "nvidia-smi");
    assert!(missing["data"]["api_error"]
        .as_str()
        .is_some_and(|e| e.starts_with("NVML unavailable (/nonexistent/libnvidia-ml.so.1")));

    let other = lines("snapshot_other.ndjson");
    for name in ["docker", "k8s", "systemd"] {
        assert_eq!(provider(&other, name)["status"], "skipped", "{name}");
    }
    assert_eq!(
        provider(&other, "systemd")["error"],
        "systemctl unavailable"
    );

    let slow = lines("snapshot_timeout1ms.ndjson");
    let nvidia = provider(&slow, "nvidia")["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(nvidia.contains("NVML timed out after 1 ms"), "{nvidia}");
    assert!(nvidia.contains("command timed out: nvidia-smi"), "{nvidia}");
    assert_eq!(provider(&slow, "peft")["status"], "skipped");
}

#[test]
fn peft_matches_the_stack_recorded_by_python() {
    let stack: Value =
        serde_json::from_str(&fixture_text("gpu/h200/peft_stack.json")).expect("peft_stack");
    let peft = provider(&lines("snapshot_auto.ndjson"), "peft");
    assert_eq!(peft["status"], "degraded");
    assert_eq!(peft["error"], "missing packages: bitsandbytes");
    for name in ["torch", "transformers", "peft", "accelerate"] {
        assert_eq!(
            peft["data"]["versions"][name], stack[name]["version"],
            "{name}"
        );
    }
    // The static CUDA verdict matches what torch itself reported on the same image.
    assert_eq!(peft["data"]["torch_cuda"], stack["torch_cuda"]);
}
