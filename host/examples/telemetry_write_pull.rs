//! `telemetry_write_pull`: push telemetry as one new segment, pull it back, check it
//! (host-surface §7.3, §8.7).
//!
//! ```text
//! cargo run -p cohesix --example telemetry_write_pull -- --mock
//! cargo run -p cohesix --example telemetry_write_pull -- --tcp-host 127.0.0.1 \
//!     --auth-token "$TOKEN" --device-id edge-7 --payload "temp=41" --payload "temp=42"
//! ```
//!
//! The source is the `--payload` lines (each followed by `\n`; default: two demo lines) or
//! the bytes of `--payload-file`. Artifacts under `<out>/telemetry_write_pull/`: `push.json`
//! (the push result), `pull/<device>/seg/<seg>` (the segment as read back), `audit.txt`.
//! Inline segments are decoded and must give back the source, byte for byte.
//! `--coh-bin` is accepted for upstream compatibility; the `coh telemetry pull` cross-check
//! is skipped (and said so).

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use cohesix::backend::Backend;
use cohesix::orchestrator::TelemetryMode;
use cohesix::{AnyBackend, Orchestrator};
use cohesix_core::control::InlineRecord;
use common::{io, write_audit, write_json, Conn, ExampleError};

/// Push telemetry and pull it back.
#[derive(Parser, Debug, Clone)]
#[command(name = "telemetry_write_pull")]
pub struct Args {
    /// Backend and output flags.
    #[command(flatten)]
    pub conn: Conn,
    /// The device.
    #[arg(long, default_value = cohesix_generated::examples::DEVICE_ID)]
    pub device_id: String,
    /// Mime type of the records.
    #[arg(long, default_value = "text/plain")]
    pub mime: String,
    /// A line of payload (repeatable).
    #[arg(long)]
    pub payload: Vec<String>,
    /// A file whose bytes are the payload.
    #[arg(long, value_name = "FILE", conflicts_with = "payload")]
    pub payload_file: Option<PathBuf>,
    /// The `coh` binary for a cross-check pull (not run: see the module docs).
    #[arg(long, value_name = "PATH")]
    pub coh_bin: Option<PathBuf>,
}

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    /// `<out>/telemetry_write_pull`.
    pub dir: PathBuf,
    /// The push result.
    pub push: cohesix::TelemetryPush,
    /// The pulled segment file.
    pub pulled: PathBuf,
}

fn source(args: &Args) -> Result<Vec<u8>, ExampleError> {
    if let Some(f) = &args.payload_file {
        return std::fs::read(f).map_err(io(format!("read {}", f.display())));
    }
    let lines = if args.payload.is_empty() {
        vec![
            "telemetry demo line 1".to_owned(),
            "telemetry demo line 2".to_owned(),
        ]
    } else {
        args.payload.clone()
    };
    Ok(lines
        .iter()
        .flat_map(|l| format!("{l}\n").into_bytes())
        .collect())
}

/// Runs the example.
pub async fn run(args: Args) -> Result<Outcome, ExampleError> {
    let orch = args.conn.orchestrator(false)?;
    let dir = args.conn.out_dir("telemetry_write_pull")?;
    let result = body(&args, &orch, &dir).await;
    write_audit(&dir, orch.audit())?;
    let _ = orch.close().await;
    result
}

async fn body(
    args: &Args,
    orch: &Orchestrator<AnyBackend>,
    dir: &std::path::Path,
) -> Result<Outcome, ExampleError> {
    let src = source(args)?;
    let push = orch
        .telemetry_push(&args.device_id, &src, &args.mime)
        .await?;
    write_json(
        &dir.join("push.json"),
        &serde_json::json!({
            "device_id": push.device_id,
            "seg_id": push.seg_id,
            "records": push.records,
            "bytes": push.bytes,
            "source_bytes": push.source_bytes,
            "mode": push.mode.as_str(),
        }),
    )?;
    let seg = format!(
        "{}/{}/seg/{}",
        cohesix::orchestrator::telemetry::TELEMETRY_ROOT,
        push.device_id,
        push.seg_id
    );
    let bytes = orch
        .backend()
        .read(
            &seg,
            cohesix_generated::coh::telemetry::MAX_BYTES_PER_SEGMENT,
        )
        .await?;
    orch.audit().push_ack(
        cohesix::orchestrator::AuditStatus::Ok,
        "PULL",
        Some(&format!("path={seg}")),
    );
    let pulled = dir
        .join("pull")
        .join(&push.device_id)
        .join("seg")
        .join(&push.seg_id);
    if let Some(parent) = pulled.parent() {
        std::fs::create_dir_all(parent).map_err(io(format!("create {}", parent.display())))?;
    }
    std::fs::write(&pulled, &bytes).map_err(io(format!("write {}", pulled.display())))?;
    if push.mode == TelemetryMode::Inline {
        let mut back = Vec::new();
        for line in cohesix::backend::lines_of(&bytes) {
            let r = InlineRecord::decode(line.as_bytes()).map_err(cohesix::Error::from)?;
            let mut buf = [0u8; 256];
            back.extend_from_slice(
                r.payload
                    .unescape_into(&mut buf)
                    .map_err(cohesix::Error::from)?
                    .as_bytes(),
            );
        }
        if back != src {
            return Err(ExampleError::Failed(cohesix::Error::Precondition(format!(
                "pulled segment {} does not give back the {} pushed bytes",
                push.seg_id,
                src.len()
            ))));
        }
    }
    if args.coh_bin.is_some() {
        let note = "coh telemetry pull cross-check skipped (not part of this release)";
        eprintln!("telemetry_write_pull: {note}");
        orch.audit().push_line(note);
    }
    println!(
        "telemetry_write_pull: device={} seg={} records={} bytes={} mode={} out={}",
        push.device_id,
        push.seg_id,
        push.records,
        push.bytes,
        push.mode.as_str(),
        dir.display()
    );
    Ok(Outcome {
        dir: dir.to_owned(),
        push,
        pulled,
    })
}

fn main() -> ExitCode {
    common::main_with("telemetry_write_pull", || run(Args::parse()))
}
