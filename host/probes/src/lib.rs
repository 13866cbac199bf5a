//! Host snapshot probes: systemd, containers, Kubernetes, NVIDIA GPUs and the PEFT stack, in
//! one normalised envelope rendered as NDJSON.
//!
//! ```text
//!                   SnapshotOptions (units, namespace, selector, sources, ExecConfig)
//!                                         │
//!              collect_host_snapshot (concurrent, each probe under probe_deadline)
//!      ┌──────────────┬──────────────┬────┴─────────┬────────────────┬──────────────┐
//!   systemd        docker           k8s          nvidia              peft
//!   systemctl   Engine API ─┐   kube-rs API ─┐   NVML (dlopen) ─┐    site dirs from files
//!   show per    [docker-api]│   [k8s-api]    │   [nvml]         │    (pyenv, pyvenv.cfg,
//!   unit, con-  fallback:   │   fallback:    │   fallback:      │     prefix, *.pth) else
//!   current     docker ps ◄─┘   kubectl ◄────┘   nvidia-smi  ◄──┘     one python3 sys.path
//!                                                                     + *.dist-info/METADATA
//!      └──────────────┴──────────────┴────┬─────────┴────────────────┴──────────────┘
//!                       ProbeResult{provider,status,data,error} × N
//!                                         │  status rule (model::ProbeStatus::from_parts)
//!                          HostSnapshot{captured_at_utc, results}
//!                                         │
//!                     snapshot_to_ndjson (sorted keys, compact, ASCII)
//! ```
//!
//! * Cargo features `docker-api`, `k8s-api`, `nvml` (all default) compile the API clients
//!   (bollard; kube-rs + k8s-openapi; nvml-wrapper). Without one, that probe's API path fails
//!   at once with a "not compiled in" text in `data.api_error` and its CLI answers; the output
//!   schema is the same. The `cohesix` library and `cohesix-cli` turn them off by default.
//! * Every subprocess goes through [`exec::ExecConfig::run`]: program looked up on a
//!   configurable search path (no process-global `PATH` changes), 5 s default timeout, capped
//!   output; every API call is bounded by the same timeout.
//! * Status rule: no error → `ok`; error with some data → `degraded`; error and no data →
//!   `skipped` ([`model::has_data`] defines "some data").
//! * Difference from upstream: no probe failure aborts the snapshot. Upstream raised out of
//!   the whole snapshot on a subprocess timeout, invalid kubectl JSON or an `[N/A]` cell; here
//!   each becomes that probe's `degraded`/`skipped` result with an error text.
//! * Extra data beyond upstream (documented per module): `source` (which path answered),
//!   `truncated`, `api_error` on fallback, `status_text` for containers, GPU `power_draw_w`,
//!   `power_limit_w`, `mig_mode`, `driver_version`, and `torch_cuda`, `python`, `interpreter`,
//!   `source`, `static_error` for peft.

pub mod docker;
pub mod exec;
mod join;
pub mod k8s;
pub mod model;
pub mod ndjson;
pub mod nvidia;
pub mod options;
pub mod peft;
pub mod snapshot;
pub mod systemd;
pub mod time;

pub use model::{HostSnapshot, ProbeResult, ProbeStatus};
pub use ndjson::snapshot_to_ndjson;
pub use options::{SnapshotOptions, SourceChoice};
pub use snapshot::{collect_host_snapshot, collect_host_snapshot_blocking};
