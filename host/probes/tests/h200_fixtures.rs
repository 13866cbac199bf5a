//! The parsers reproduce the real H200 outputs in `fixtures/gpu/h200/` exactly.

mod common;

use cohesix_probes::nvidia::nvml::RawNvmlDevice;
use cohesix_probes::nvidia::smi::parse_smi_csv;
use cohesix_probes::nvidia::GpuDevice;
use common::{fixture_text, query_fields, xml_text};
use serde_json::Value;

const UUID: &str = "GPU-92e22674-629e-c04a-147b-a07ae517ca59";

fn h200_fields() -> Vec<String> {
    let header = fixture_text("gpu/h200/smi_query_header.txt");
    query_fields(header.lines().next().expect("command line"))
}

fn parse(fields: &[String], text: &str) -> cohesix_probes::nvidia::GpuReport {
    let refs: Vec<&str> = fields.iter().map(String::as_str).collect();
    parse_smi_csv(&refs, text)
}

#[test]
fn smi_noheader_nounits_row_is_reproduced_exactly() {
    let fields = h200_fields();
    assert_eq!(fields.len(), 20);
    let report = parse(&fields, &fixture_text("gpu/h200/smi_query_noheader.txt"));
    assert!(!report.malformed);
    assert_eq!(report.driver_version.as_deref(), Some("580.159.04"));
    assert_eq!(
        report.devices,
        vec![GpuDevice {
            index: 0,
            uuid: Some(UUID.to_owned()),
            name: Some("NVIDIA H200".to_owned()),
            memory_total_mb: 143_771,
            memory_used_mb: 0,
            utilization_gpu_pct: Some(0),
            temperature_c: Some(36),
            power_draw_w: Some(80.25),
            power_limit_w: Some(700.0),
            mig_mode: Some("disabled".to_owned()),
        }]
    );
}

#[test]
fn smi_csv_with_units_parses_to_the_same_identities() {
    // smi_query_header.txt: command line, header row, data row with units, exit line.
    let fields = h200_fields();
    let text = fixture_text("gpu/h200/smi_query_header.txt");
    let row = text.lines().nth(2).expect("data row");
    let report = parse(&fields, row);
    assert!(!report.malformed);
    let d = &report.devices[0];
    assert_eq!(d.uuid.as_deref(), Some(UUID));
    assert_eq!(d.memory_total_mb, 143_771);
    assert_eq!(d.memory_used_mb, 0);
    assert_eq!(d.utilization_gpu_pct, Some(0));
    assert_eq!(d.temperature_c, Some(37));
    assert_eq!(d.power_draw_w, Some(123.86));
    assert_eq!(d.power_limit_w, Some(700.0));
    // The header row itself is not a device: its index cell is not a number.
    let header_only = parse(&fields, text.lines().nth(1).expect("header"));
    assert!(header_only.devices.is_empty());
    assert!(header_only.malformed);
}

#[test]
fn pynvml_readings_normalise_to_the_smi_identities() {
    let doc: Value =
        serde_json::from_str(&fixture_text("gpu/h200/pynvml.json")).expect("pynvml.json");
    let gpu = &doc["gpus"][0];
    let num = |k: &str| gpu[k].as_u64().expect(k);
    let small = |k: &str| u32::try_from(num(k)).ok();
    let mig = gpu["mig_mode"][0]
        .as_u64()
        .and_then(|m| u32::try_from(m).ok());
    let raw = RawNvmlDevice {
        index: small("index").expect("index"),
        uuid: gpu["uuid"].as_str().map(str::to_owned),
        name: gpu["name"].as_str().map(str::to_owned),
        memory_total_bytes: num("memory_total"),
        memory_used_bytes: num("memory_used"),
        util_gpu: small("util_gpu"),
        temperature_c: small("temperature_c"),
        power_mw: small("power_mw"),
        power_limit_mw: small("power_limit_mw"),
        mig_current: mig,
    };
    let d = raw.normalise();
    let smi = parse(
        &h200_fields(),
        &fixture_text("gpu/h200/smi_query_noheader.txt"),
    );
    let s = &smi.devices[0];
    assert_eq!(d.index, s.index);
    assert_eq!(d.uuid, s.uuid);
    assert_eq!(d.name, s.name);
    assert_eq!(d.memory_total_mb, 143_771);
    assert_eq!(d.memory_total_mb, s.memory_total_mb);
    assert_eq!(d.power_limit_w, Some(700.0));
    assert_eq!(d.power_limit_w, s.power_limit_w);
    assert_eq!(d.mig_mode, s.mig_mode);
    // pynvml used the v1 memory call, whose "used" includes the 616 MiB driver reserve that
    // nvidia-smi (and nvml-wrapper's v2 call) leave out.
    assert_eq!(d.memory_used_mb, 615);
    assert_eq!(d.power_draw_w, Some(101.878));
    assert_eq!(d.temperature_c, Some(36));
    assert_eq!(d.utilization_gpu_pct, Some(0));
    assert_eq!(
        doc["driver_version"].as_str(),
        smi.driver_version.as_deref()
    );
}

#[test]
fn smi_list_and_xml_agree_with_the_csv() {
    let list = fixture_text("gpu/h200/smi_L.txt");
    assert!(list.contains(&format!("GPU 0: NVIDIA H200 (UUID: {UUID})")));
    let xml = fixture_text("gpu/h200/smi_qx.xml");
    assert_eq!(xml_text(&xml, None, "uuid"), Some(UUID));
    assert_eq!(xml_text(&xml, None, "product_name"), Some("NVIDIA H200"));
    assert_eq!(xml_text(&xml, None, "driver_version"), Some("580.159.04"));
    let total = xml_text(&xml, Some("fb_memory_usage"), "total").expect("fb total");
    let smi = parse(
        &h200_fields(),
        &fixture_text("gpu/h200/smi_query_noheader.txt"),
    );
    assert_eq!(
        total.trim_end_matches(" MiB").parse::<u64>().ok(),
        Some(smi.devices[0].memory_total_mb)
    );
    let mig = xml_text(&xml, Some("mig_mode"), "current_mig").expect("mig");
    assert_eq!(Some(mig.to_ascii_lowercase()), smi.devices[0].mig_mode);
}

#[test]
fn smi_apps_fixture_is_an_empty_result() {
    let apps = fixture_text("gpu/h200/smi_apps.txt");
    let body: Vec<&str> = apps
        .lines()
        .filter(|l| !l.starts_with('$') && !l.starts_with('#'))
        .collect();
    assert!(body.iter().all(|l| l.trim().is_empty()));
}
