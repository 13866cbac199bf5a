//! [`collect_host_snapshot`]: runs the selected probes concurrently and gathers their results.

use crate::docker::probe_docker;
use crate::k8s::probe_kubernetes;
use crate::model::{HostSnapshot, ProbeResult};
use crate::nvidia::probe_nvidia;
use crate::options::SnapshotOptions;
use crate::peft::probe_peft;
use crate::systemd::probe_systemd;
use crate::time::now_utc_iso8601;

/// Collects a host snapshot.
///
/// Probes run concurrently on the current tokio runtime (the snapshot takes about as long as
/// the slowest probe, never longer than [`SnapshotOptions::probe_deadline`]); result keys are
/// `systemd`
/// (only when [`SnapshotOptions::systemd_units`] is `Some`), `docker`, `k8s`, `nvidia`, `peft`
/// (each when included). No probe failure aborts the snapshot: a missing tool, a timeout or bad
/// output becomes that probe's `skipped`/`degraded` result. (Upstream raised out of the whole
/// snapshot on a subprocess timeout, a missing binary in its helper, invalid kubectl JSON or
/// an `[N/A]` nvidia-smi cell.)
///
/// Needs a tokio runtime with IO and time enabled (process support uses the IO driver).
/// Cancel safety: dropping the future kills any running child process; the result is lost.
pub async fn collect_host_snapshot(opts: &SnapshotOptions) -> HostSnapshot {
    let mut snapshot = HostSnapshot::new(now_utc_iso8601());
    let deadline = opts.probe_deadline;
    let systemd = async {
        match &opts.systemd_units {
            Some(units) => Some(
                bounded(
                    deadline,
                    crate::systemd::PROVIDER,
                    probe_systemd(&opts.exec, units),
                )
                .await,
            ),
            None => None,
        }
    };
    let docker = when(
        opts.include_docker,
        bounded(deadline, crate::docker::PROVIDER, probe_docker(opts)),
    );
    let k8s = when(
        opts.include_k8s,
        bounded(deadline, crate::k8s::PROVIDER, probe_kubernetes(opts)),
    );
    let nvidia = when(
        opts.include_nvidia,
        bounded(deadline, crate::nvidia::PROVIDER, probe_nvidia(opts)),
    );
    let peft = when(
        opts.include_peft,
        bounded(deadline, crate::peft::PROVIDER, probe_peft(opts)),
    );
    let (systemd, docker, k8s, nvidia, peft) = tokio::join!(systemd, docker, k8s, nvidia, peft);
    for result in [systemd, docker, k8s, nvidia, peft].into_iter().flatten() {
        snapshot.insert(result);
    }
    snapshot
}

/// Runs `probe` under `deadline`; past it the probe is dropped (its children killed) and
/// reported skipped.
async fn bounded(
    deadline: std::time::Duration,
    provider: &str,
    probe: impl std::future::Future<Output = ProbeResult>,
) -> ProbeResult {
    match tokio::time::timeout(deadline, probe).await {
        Ok(result) => result,
        Err(_) => ProbeResult::skipped(
            provider,
            format!("probe deadline of {} ms passed", deadline.as_millis()),
        ),
    }
}

async fn when(
    enabled: bool,
    probe: impl std::future::Future<Output = ProbeResult>,
) -> Option<ProbeResult> {
    if enabled {
        Some(probe.await)
    } else {
        None
    }
}

/// Blocking form of [`collect_host_snapshot`]: builds a current-thread runtime, collects, and
/// shuts the runtime down without waiting for NVML calls that overran their timeout.
///
/// # Errors
/// The runtime could not be created (resource exhaustion).
pub fn collect_host_snapshot_blocking(opts: &SnapshotOptions) -> std::io::Result<HostSnapshot> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let snapshot = runtime.block_on(collect_host_snapshot(opts));
    runtime.shutdown_background();
    Ok(snapshot)
}
