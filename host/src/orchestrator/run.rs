//! GPU leases and leased runs with receipts (host-surface §8.5).
//!
//! * [`crate::Orchestrator::gpu_lease_with_receipt`]: optionally queue an approval for `/queen/ctl`, append the
//!   `{"spawn":"gpu","lease":{..},"budget":{..}}` line (the core's [`QueenCtl`]), read the
//!   `/proc/lease/*` nodes, write the `gpu-lease` receipt.
//! * [`crate::Orchestrator::run_command_with_receipt`]: check `/gpu/<id>/lease` (`gpu-lease/v1`, `ACTIVE`, this GPU, a worker),
//!   append a START breadcrumb (`gpu-breadcrumb/v1`) to `/gpu/<id>/status`, run the command
//!   on this host with a deadline, append the EXIT breadcrumb, write the `run` receipt.
//!
//! Both write their receipt whatever happens, then return the operation's own error; when
//! the receipt cannot be written either, [`Error::Receipt`] carries both
//! (`"lease failed: <e>; receipt failed: <e2>"`). Every line is checked before the first is
//! sent: a breadcrumb that would not fit the console's 128-byte echo bound (even with a
//! three-digit exit code) refuses the run before anything happens.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use cohesix_core::control::gpu::{BREADCRUMB_MAX_LINE_BYTES, GPU_LEASE_MAX_BYTES};
use cohesix_core::control::token::check_id;
use cohesix_core::control::{
    ApprovalRequest, Budget, GpuBreadcrumb, GpuLease, GpuLeaseSpec, GpuLeaseState, QueenCtl,
};
use cohesix_generated::paths::QUEEN_CTL;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::audit::Audit;
use super::batch::{write_lines, ControlWriteResult, PreparedLine};
use super::lines::{check_control_line, prepare};
use super::receipts::{manifest_hash_in, ActiveEntryRecord, ProcLeaseRecord, Receipt};
use super::snapshot::{read_node, LEASE_ACTIVE, LEASE_PREEMPTIONS, LEASE_SUMMARY};
use crate::backend::Backend;
use crate::error::Error;

/// Bound of the `/proc/boot` read.
const BOOT_MAX_BYTES: usize = 64 * 1024;
/// Output kept per stream of a run.
pub const RUN_OUTPUT_MAX_BYTES: usize = 64 * 1024;

/// How a leased command runs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunOptions {
    /// The command's deadline (killed after it).
    pub timeout: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(600),
        }
    }
}

impl RunOptions {
    /// Another deadline.
    #[must_use]
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }
}

/// A lease and its receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseReceipt {
    /// The receipt as written.
    pub receipt: Receipt,
    /// The committed lines (the approval, if any, and the spawn).
    pub writes: Vec<ControlWriteResult>,
}

/// A finished run and its receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReceipt {
    /// The receipt as written (`status` is `err` for a non-zero exit).
    pub receipt: Receipt,
    /// The exit code (`-1` when a signal ended the command).
    pub exit_code: i32,
    /// The first [`RUN_OUTPUT_MAX_BYTES`] of standard output.
    pub stdout: Vec<u8>,
    /// The first [`RUN_OUTPUT_MAX_BYTES`] of standard error.
    pub stderr: Vec<u8>,
}

/// The target's manifest hash: the bounds document's `manifest_sha256`, else `/proc/boot`.
pub(crate) async fn target_manifest<B: Backend + ?Sized>(
    backend: &B,
    audit: &Audit,
) -> Option<String> {
    if let Ok(Some(bounds)) = backend.bounds().await {
        if let Some(h) = bounds
            .get("manifest_sha256")
            .and_then(|v| v.as_str())
            .map(str::to_ascii_lowercase)
            .filter(|h| super::receipts::is_sha256_hex(h))
        {
            return Some(h);
        }
    }
    let node = super::snapshot::Node {
        path: "/proc/boot",
        bound: BOOT_MAX_BYTES,
        enabled: true,
    };
    let lines = read_node(backend, audit, node).await.ok()?;
    manifest_hash_in(&lines.join("\n"))
}

/// The `/proc/lease/*` nodes, each `None` when unreadable.
pub(crate) async fn proc_lease<B: Backend + ?Sized>(
    backend: &B,
    audit: &Audit,
    with_entries: bool,
) -> ProcLeaseRecord {
    let summary = read_node(backend, audit, LEASE_SUMMARY)
        .await
        .ok()
        .map(|l| l.into_iter().next().unwrap_or_default());
    let active = read_node(backend, audit, LEASE_ACTIVE).await.ok();
    let preemptions = read_node(backend, audit, LEASE_PREEMPTIONS).await.ok();
    let active_entries = with_entries.then(|| {
        active
            .iter()
            .flatten()
            .filter_map(|l| {
                use cohesix_core::control::proc::ProcLine;
                cohesix_core::control::LeaseEntry::parse(l)
                    .ok()
                    .map(|e| ActiveEntryRecord {
                        id: e.id.to_owned(),
                        subject: e.subject.to_owned(),
                        resource: e.resource.to_owned(),
                        state: e.state.to_owned(),
                        seq: e.seq,
                    })
            })
            .collect()
    });
    ProcLeaseRecord {
        summary,
        active,
        preemptions,
        active_entries,
    }
}

fn finish<T>(
    op: &'static str,
    receipt: &mut Receipt,
    path: &Path,
    result: Result<T, Error>,
) -> Result<T, Error> {
    if let Err(e) = &result {
        receipt.fail(e);
    }
    match (result, receipt.write(path)) {
        (r, Ok(())) => r,
        (r, Err(written)) => Err(Error::Receipt {
            op,
            cause: r.err().map(Box::new),
            receipt: Box::new(written),
        }),
    }
}

fn lease_lines(req: &super::receipts::GpuLeaseRequest) -> Result<Vec<PreparedLine>, Error> {
    let mut lease = GpuLeaseSpec::new(&req.gpu_id, req.mem_mb, req.streams, req.ttl_s);
    if let Some(p) = req.priority {
        lease = lease.priority(p);
    }
    let mut budget = Budget::new();
    if let Some(t) = req.budget_ttl_s {
        budget = budget.ttl_s(t);
    }
    if let Some(o) = req.budget_ops {
        budget = budget.ops(o);
    }
    let spawn = QueenCtl::spawn_gpu(lease).with_budget(budget);
    let mut out = match &req.approval_id {
        Some(id) => prepare(&[ApprovalRequest::approve(id, QUEEN_CTL)])?,
        None => Vec::new(),
    };
    out.extend(prepare(&[spawn])?);
    Ok(out)
}

/// See the module docs.
pub(crate) async fn gpu_lease<B: Backend + ?Sized>(
    backend: &B,
    audit: &Audit,
    req: &super::receipts::GpuLeaseRequest,
    receipt_out: &Path,
) -> Result<LeaseReceipt, Error> {
    let mark = audit.mark();
    let result = match lease_lines(req) {
        Ok(lines) => write_lines(backend, audit, lines)
            .await
            .map(|r| r.committed()),
        Err(e) => Err(e),
    };
    let mut receipt = Receipt::new("gpu-lease");
    receipt.request = Some(req.record());
    receipt.proc_lease = proc_lease(backend, audit, true).await;
    receipt.target_manifest_sha256 = target_manifest(backend, audit).await;
    receipt.ack = audit
        .since(mark)
        .into_iter()
        .rev()
        .find(|l| l.starts_with("OK ECHO ") || l.starts_with("ERR ECHO "));
    let writes = finish("lease", &mut receipt, receipt_out, result)?;
    Ok(LeaseReceipt { receipt, writes })
}

async fn read_capped<R: AsyncRead + Unpin>(r: Option<R>) -> Vec<u8> {
    let Some(mut r) = r else {
        return Vec::new();
    };
    let mut kept = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        match r.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = RUN_OUTPUT_MAX_BYTES.saturating_sub(kept.len());
                kept.extend_from_slice(chunk.get(..n.min(room)).unwrap_or_default());
            }
        }
    }
    kept
}

struct Ran {
    code: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

async fn spawn_and_wait(command: &[String], options: &RunOptions) -> Result<Ran, Error> {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| Error::Payload("command must not be empty".into()))?;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::io(format!("run {program}"), e))?;
    let out = child.stdout.take();
    let err = child.stderr.take();
    let work = async {
        let (stdout, stderr, status) =
            tokio::join!(read_capped(out), read_capped(err), child.wait());
        (stdout, stderr, status)
    };
    match tokio::time::timeout(options.timeout, work).await {
        Ok((stdout, stderr, status)) => {
            let status = status.map_err(|e| Error::io(format!("wait for {program}"), e))?;
            Ok(Ran {
                code: status.code().unwrap_or(-1),
                stdout,
                stderr,
            })
        }
        Err(_) => Err(Error::Precondition(format!(
            "command timed out after {} s",
            options.timeout.as_secs_f64()
        ))),
    }
}

fn crumb_line(status_path: &str, crumb: &GpuBreadcrumb<'_>) -> Result<String, Error> {
    let mut buf = vec![0u8; BREADCRUMB_MAX_LINE_BYTES + 1];
    let n = crumb.encode(&mut buf)?;
    buf.truncate(n);
    let line = String::from_utf8_lossy(&buf).into_owned();
    check_control_line(status_path, &line, BREADCRUMB_MAX_LINE_BYTES + 1)
}

async fn check_lease<B: Backend + ?Sized>(
    backend: &B,
    audit: &Audit,
    gpu_id: &str,
) -> Result<(), Error> {
    let path = format!("/gpu/{gpu_id}/lease");
    let bytes = backend.read(&path, GPU_LEASE_MAX_BYTES).await?;
    audit.push_ack(
        super::audit::AuditStatus::Ok,
        cohesix_core::request::Verb::Cat.token(),
        Some(&format!("path={path}")),
    );
    let lease = GpuLease::decode_last(&bytes)?
        .ok_or_else(|| Error::Precondition(format!("gpu {gpu_id} has no lease")))?;
    if lease.state != GpuLeaseState::Active {
        return Err(Error::Precondition(format!(
            "gpu {gpu_id} lease is {}, not ACTIVE",
            lease.state.as_str()
        )));
    }
    if lease.gpu_id != gpu_id {
        return Err(Error::Precondition(format!(
            "lease gpu_id {} does not match {gpu_id}",
            lease.gpu_id
        )));
    }
    Ok(())
}

async fn run_inner<B: Backend + ?Sized>(
    backend: &B,
    audit: &Audit,
    gpu_id: &str,
    command: &[String],
    options: &RunOptions,
) -> Result<Ran, Error> {
    check_id("gpu_id", gpu_id)?;
    if command.is_empty() {
        return Err(Error::Payload("command must not be empty".into()));
    }
    let text = command.join(" ");
    let status_path = format!("/gpu/{gpu_id}/status");
    let start = crumb_line(&status_path, &GpuBreadcrumb::start(&text))?;
    // The EXIT line must fit too, whatever the code (0..=255, or -1 for a signal).
    crumb_line(&status_path, &GpuBreadcrumb::exit(&text, 255))?;
    check_lease(backend, audit, gpu_id).await?;
    write_lines(backend, audit, vec![PreparedLine::new(&status_path, start)]).await?;
    let ran = spawn_and_wait(command, options).await;
    let code = match &ran {
        Ok(r) => r.code,
        Err(_) => -1,
    };
    let exit = crumb_line(&status_path, &GpuBreadcrumb::exit(&text, code))?;
    let wrote = write_lines(backend, audit, vec![PreparedLine::new(&status_path, exit)]).await;
    let ran = ran?;
    wrote?;
    Ok(ran)
}

/// See the module docs.
pub(crate) async fn run_command<B: Backend + ?Sized>(
    backend: &B,
    audit: &Audit,
    gpu_id: &str,
    command: &[String],
    receipt_out: &Path,
    options: &RunOptions,
) -> Result<RunReceipt, Error> {
    let gpu_id = gpu_id.trim();
    let mark = audit.mark();
    let result = run_inner(backend, audit, gpu_id, command, options).await;
    let mut receipt = Receipt::new("run");
    receipt.gpu_id = Some(gpu_id.to_owned());
    receipt.command = Some(command.to_vec());
    receipt.proc_lease = proc_lease(backend, audit, false).await;
    receipt.target_manifest_sha256 = target_manifest(backend, audit).await;
    receipt.acks = Some(
        audit
            .since(mark)
            .into_iter()
            .filter(|l| l.starts_with("OK ") || l.starts_with("ERR "))
            .collect(),
    );
    if let Ok(r) = &result {
        if r.code != 0 {
            receipt.status = "err".to_owned();
            receipt.error = Some(format!("command exited with code {}", r.code));
        }
    }
    let ran = finish("run", &mut receipt, receipt_out, result)?;
    Ok(RunReceipt {
        receipt,
        exit_code: ran.code,
        stdout: ran.stdout,
        stderr: ran.stderr,
    })
}
