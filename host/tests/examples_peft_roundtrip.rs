//! `peft_roundtrip` as a library function: green with `--mock` and against the queen
//! simulator over TCP; a rerun refuses to import twice.

mod examples_support;
#[allow(dead_code, missing_docs)]
#[path = "../examples/peft_roundtrip.rs"]
mod peft_roundtrip;

use clap::Parser;
use examples_support::{argv, audit_lines, mock_flags, queen, tcp_flags};

async fn peft_green(flags: Vec<String>) -> peft_roundtrip::Outcome {
    let args = peft_roundtrip::Args::try_parse_from(argv("peft_roundtrip", flags, &[])).unwrap();
    let out = peft_roundtrip::run(args).await.unwrap();
    assert_eq!(out.active, "llama3-edge-v6");
    assert_eq!(
        out.exported,
        ["base_model.ref", "policy.toml", "telemetry.cbor"]
    );
    let d = &out.dir;
    assert_eq!(
        std::fs::read_to_string(d.join("export/job_8932/base_model.ref")).unwrap(),
        "vision-base-v1\n"
    );
    let manifest: toml::Value =
        std::fs::read_to_string(d.join("registry/available/llama3-edge-v7/manifest.toml"))
            .unwrap()
            .parse()
            .unwrap();
    assert_eq!(manifest["model"]["id"].as_str(), Some("llama3-edge-v7"));
    assert_eq!(
        manifest["model"]["base_model"].as_str(),
        Some("vision-base-v1")
    );
    assert_eq!(manifest["provenance"]["approval"].as_str(), Some("pending"));
    let weights = &manifest["hashes"]["adapter_model.safetensors"];
    assert_eq!(weights["bytes"].as_integer(), Some(4096));
    assert_eq!(weights["sha256"].as_str().unwrap().len(), 64);
    let state: toml::Value = std::fs::read_to_string(d.join("registry/active_state.toml"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(state["current"].as_str(), Some("llama3-edge-v6"));
    assert_eq!(state["previous"].as_str(), Some("llama3-edge-v7"));
    assert_eq!(
        std::fs::read_to_string(d.join("registry/active")).unwrap(),
        "llama3-edge-v6\n"
    );
    let audit = audit_lines(d);
    let activations: Vec<&String> = audit
        .iter()
        .filter(|l| l.starts_with("OK ECHO path=/gpu/models/active"))
        .collect();
    assert_eq!(activations.len(), 3, "{audit:?}");
    out
}

#[tokio::test]
async fn peft_roundtrip_with_mock_and_against_the_queen() {
    let dir = tempfile::tempdir().unwrap();
    peft_green(mock_flags(dir.path())).await;
    // A rerun into the same registry refuses to import twice.
    let args =
        peft_roundtrip::Args::try_parse_from(argv("peft_roundtrip", mock_flags(dir.path()), &[]))
            .unwrap();
    let e = peft_roundtrip::run(args).await.unwrap_err();
    assert_eq!(e.to_string(), "model llama3-edge-v6 already imported");
    assert_eq!(e.code(), 1);

    let dir = tempfile::tempdir().unwrap();
    let sim = queen().await;
    peft_green(tcp_flags(&sim, dir.path())).await;
    sim.shutdown().await;
}
