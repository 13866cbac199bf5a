//! `lease_run`: lease a GPU, run a command under the lease, release it (host-surface §8.7).
//!
//! ```text
//! cargo run -p cohesix --example lease_run -- --mock
//! cargo run -p cohesix --example lease_run -- --tcp-host 127.0.0.1 --tcp-port 31337 \
//!     --auth-token "$TOKEN" --command sh -c 'nvidia-smi || true'
//! ```
//!
//! 1. list `/gpu` (entries without a readable `info`, like `bridge`, are skipped) →
//!    `gpu_list.json`;
//! 2. pick `--gpu`, else the first MIG slice with `--prefer-mig`, else the first GPU, else
//!    `GPU-0`;
//! 3. lease it (`gpu_lease_with_receipt`; when the target serves `/actions`, an approval for
//!    `/queen/ctl` is queued first) → `lease_receipt.json`; the last line of
//!    `/gpu/<id>/lease` → `lease.json`;
//! 4. run `--command` (default `echo ok`) with START/EXIT breadcrumbs → `run_receipt.json`;
//! 5. unless `--skip-release`, kill the lease's worker (failures are reported, not fatal);
//! 6. `audit.txt`, always.
//!
//! Artifacts go to `<out>/lease_run/`. Exit 0 when the command exited 0, 1 otherwise, 2
//! for a usage error.

mod common;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use cohesix::backend::Backend;
use cohesix::orchestrator::{GpuLeaseRequest, RunOptions};
use cohesix::{AnyBackend, Orchestrator};
use cohesix_core::control::{ApprovalRequest, GpuLease, QueenCtl};
use common::{io, write_audit, write_json, Conn, ExampleError};

/// Lease a GPU, run a command under the lease, release it.
#[derive(Parser, Debug, Clone)]
#[command(name = "lease_run")]
pub struct Args {
    /// Backend and output flags.
    #[command(flatten)]
    pub conn: Conn,
    /// The GPU to lease (default: the first listed).
    #[arg(long)]
    pub gpu: Option<String>,
    /// Prefer a MIG slice.
    #[arg(long)]
    pub prefer_mig: bool,
    /// Serve a MIG slice on the mock.
    #[arg(long)]
    pub include_mig: bool,
    /// Leased memory.
    #[arg(long, default_value_t = 4096)]
    pub mem_mb: u32,
    /// Leased streams.
    #[arg(long, default_value_t = 1)]
    pub streams: u32,
    /// Lease lifetime.
    #[arg(long, default_value_t = 120)]
    pub ttl_s: u32,
    /// Lease priority.
    #[arg(long, default_value_t = 1)]
    pub priority: u32,
    /// Keep the lease (do not kill the worker).
    #[arg(long)]
    pub skip_release: bool,
    /// The command and its arguments (the rest of the line; default `echo ok`).
    #[arg(long, num_args = 1.., allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    /// `<out>/lease_run`.
    pub dir: PathBuf,
    /// The leased GPU.
    pub gpu: String,
    /// The worker holding the lease.
    pub worker: String,
    /// The command's exit code.
    pub exit_code: i32,
    /// Whether the release was sent and committed.
    pub released: bool,
}

/// A unique approval id (ids must not repeat on one queen).
fn approval_id(what: &str) -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!("lr-{what}-{ms}-{}", std::process::id() % 100_000)
}

async fn gated(orch: &Orchestrator<AnyBackend>) -> bool {
    orch.backend()
        .list("/")
        .await
        .is_ok_and(|names| names.iter().any(|n| n == "actions"))
}

/// The GPUs with a readable `info` document.
async fn gpu_list(orch: &Orchestrator<AnyBackend>) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for id in orch.backend().list("/gpu").await.unwrap_or_default() {
        let Ok(bytes) = orch.backend().read(&format!("/gpu/{id}/info"), 4096).await else {
            continue;
        };
        if let Ok(info) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            out.push((id, info));
        }
    }
    out
}

fn pick(args: &Args, gpus: &[(String, serde_json::Value)]) -> String {
    if let Some(g) = &args.gpu {
        return g.trim().to_owned();
    }
    if args.prefer_mig {
        if let Some((id, _)) = gpus.iter().find(|(id, _)| id.starts_with("MIG-")) {
            return id.clone();
        }
    }
    gpus.first().map_or_else(
        || cohesix_generated::examples::GPU_ID.to_owned(),
        |(id, _)| id.clone(),
    )
}

/// Runs the example.
pub async fn run(args: Args) -> Result<Outcome, ExampleError> {
    let orch = args.conn.orchestrator(args.include_mig)?;
    let dir = args.conn.out_dir("lease_run")?;
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
    let gpus = gpu_list(orch).await;
    let listing: Vec<serde_json::Value> = gpus.iter().map(|(_, v)| v.clone()).collect();
    write_json(
        &dir.join("gpu_list.json"),
        &serde_json::Value::Array(listing),
    )?;
    let gpu = pick(args, &gpus);
    let policy = gated(orch).await;

    let mut req = GpuLeaseRequest::new(&gpu)
        .mem_mb(args.mem_mb)
        .streams(args.streams)
        .ttl_s(args.ttl_s)
        .priority(args.priority);
    if policy {
        req = req.approval(approval_id("spawn"));
    }
    orch.gpu_lease_with_receipt(&req, &dir.join("lease_receipt.json"))
        .await?;
    let lease_bytes = orch
        .backend()
        .read(&format!("/gpu/{gpu}/lease"), 1024)
        .await?;
    let last = cohesix::backend::lines_of(&lease_bytes)
        .pop()
        .unwrap_or_default();
    let path = dir.join("lease.json");
    std::fs::write(&path, format!("{last}\n")).map_err(io(format!("write {}", path.display())))?;
    let worker = GpuLease::decode_last(&lease_bytes)
        .map_err(cohesix::Error::from)?
        .map(|l| l.worker_id.to_owned())
        .unwrap_or_default();

    let mut command = args.command.clone();
    if command.first().is_some_and(|c| c == "--") {
        command.remove(0);
    }
    if command.is_empty() {
        command = vec!["echo".into(), "ok".into()];
    }
    let ran = orch
        .run_command_with_receipt(
            &gpu,
            &command,
            &dir.join("run_receipt.json"),
            &RunOptions::default(),
        )
        .await?;
    print!("{}", String::from_utf8_lossy(&ran.stdout));
    eprint!("{}", String::from_utf8_lossy(&ran.stderr));

    let mut released = false;
    if !args.skip_release && !worker.is_empty() {
        let mut lines = Vec::new();
        let id = approval_id("kill");
        if policy {
            lines.extend(cohesix::orchestrator::lines::prepare(&[
                ApprovalRequest::approve(&id, cohesix_generated::paths::QUEEN_CTL),
            ])?);
        }
        lines.extend(cohesix::orchestrator::lines::prepare(&[QueenCtl::kill(
            &worker,
        )])?);
        match orch.write_prepared(lines).await {
            Ok(_) => released = true,
            Err(e) => eprintln!("lease_run: release of {worker} failed: {e}"),
        }
    }
    println!(
        "lease_run: gpu={gpu} worker={worker} exit_code={} released={released} out={}",
        ran.exit_code,
        dir.display()
    );
    if ran.exit_code != 0 {
        return Err(ExampleError::Failed(cohesix::Error::Precondition(format!(
            "command exited with code {}",
            ran.exit_code
        ))));
    }
    Ok(Outcome {
        dir: dir.to_owned(),
        gpu,
        worker,
        exit_code: ran.exit_code,
        released,
    })
}

fn main() -> ExitCode {
    common::main_with("lease_run", || run(Args::parse()))
}
