//! Fleet runs: one playbook against many queens, concurrently, with one report and audit
//! per queen, a fleet summary, and stable sharding for Kubernetes Indexed Jobs.
//!
//! ```toml
//! # FLEET.toml
//! [[queen]]
//! name = "site-a"                 # a path component: the report directory
//! tcp = "10.0.0.5:31337"          # or: rest = "http://gw:8080", or: mount = "/mnt/coh/site-a"
//! token_env = "SITE_A_TOKEN"      # the variable holding the console (or request) token
//! role = "queen"                  # optional
//! ticket_file = "site-a.ticket"   # optional (worker roles)
//! ```
//!
//! * At most `concurrency` queens run at once; one failing or unreachable queen never stops
//!   the others. Host probes run once per fleet run and every queen gets the same snapshot.
//! * Shards: a queen belongs to shard `fnv1a64(name) % count` — stable when queens are
//!   added or removed, with no coordinator. [`merge`] combines shard summaries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::Semaphore;
use toml::Spanned;

use super::model::{LoadError, Playbook};
use super::run::{run_playbook, HostInput, Progress, RunOptions};
use crate::auth::Secret;
use crate::backend::TcpOptions;
use crate::discovery::{BackendSpec, EnvSource};
use crate::error::Error;
use crate::json::{to_string, write_atomic, Style};
use crate::orchestrator::Orchestrator;

/// Most queens in one fleet file.
pub const MAX_QUEENS: usize = 100_000;
/// Default number of queens run at once.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// One queen of a fleet.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueenSpec {
    /// Name (report directory).
    pub name: String,
    /// TCP console `host:port`.
    pub tcp: Option<String>,
    /// REST gateway URL.
    pub rest: Option<String>,
    /// A mount root (directory backend).
    pub mount: Option<PathBuf>,
    /// The environment variable holding the token.
    pub token_env: Option<String>,
    /// Attach role.
    pub role: Option<String>,
    /// File holding the attach ticket.
    pub ticket_file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetFile {
    #[serde(default)]
    queen: Vec<Spanned<QueenSpec>>,
}

/// A parsed fleet file.
#[derive(Clone, Debug, Default)]
pub struct Fleet {
    /// The queens, in file order.
    pub queens: Vec<QueenSpec>,
}

impl Fleet {
    /// Parses fleet TOML (`file` names it in errors).
    ///
    /// # Errors
    /// [`LoadError`] with the line of the offending queen.
    pub fn parse(text: &str, file: &str) -> Result<Self, LoadError> {
        let err = |span: Option<std::ops::Range<usize>>, message: String| LoadError {
            file: file.to_owned(),
            line: span.map(|s| {
                text.get(..s.start)
                    .map_or(1, |b| b.bytes().filter(|&c| c == b'\n').count() + 1)
            }),
            message,
        };
        let raw: FleetFile =
            toml::from_str(text).map_err(|e| err(e.span(), e.message().to_owned()))?;
        if raw.queen.len() > MAX_QUEENS {
            return Err(err(None, format!("more than {MAX_QUEENS} queens")));
        }
        let mut seen = std::collections::HashSet::new();
        for q in &raw.queen {
            let s = q.get_ref();
            let n = &s.name;
            if n.is_empty() || n == "." || n == ".." || n.contains('/') || n.contains('\0') {
                return Err(err(
                    Some(q.span()),
                    format!("queen name '{n}' must be a path component"),
                ));
            }
            if !seen.insert(n.clone()) {
                return Err(err(
                    Some(q.span()),
                    format!("queen name '{n}' appears twice"),
                ));
            }
            let targets = [s.tcp.is_some(), s.rest.is_some(), s.mount.is_some()];
            if targets.iter().filter(|t| **t).count() != 1 {
                return Err(err(
                    Some(q.span()),
                    format!("queen '{n}' needs exactly one of tcp, rest, mount"),
                ));
            }
        }
        Ok(Self {
            queens: raw.queen.into_iter().map(Spanned::into_inner).collect(),
        })
    }

    /// Reads and parses a fleet file.
    ///
    /// # Errors
    /// [`LoadError`].
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|e| LoadError {
            file: path.display().to_string(),
            line: None,
            message: e.to_string(),
        })?;
        Self::parse(&text, &path.display().to_string())
    }
}

/// A shard: this run owns the queens with `fnv1a64(name) % count == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 0-based index.
    pub index: u32,
    /// Number of shards (≥ 1).
    pub count: u32,
}

/// FNV-1a, 64 bit: a fixed, platform-independent hash for shard assignment.
#[must_use]
pub fn fnv1a64(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Shard {
    /// Parses `I/N`.
    ///
    /// # Errors
    /// A message when it is not `I/N` with `I < N`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("shard '{s}' must be I/N"))?;
        let index: u32 = i
            .trim()
            .parse()
            .map_err(|_| format!("shard '{s}' must be I/N"))?;
        let count: u32 = n
            .trim()
            .parse()
            .map_err(|_| format!("shard '{s}' must be I/N"))?;
        Self::new(index, count)
    }

    /// A shard; `index < count`.
    ///
    /// # Errors
    /// A message when out of range.
    pub fn new(index: u32, count: u32) -> Result<Self, String> {
        if count == 0 || index >= count {
            return Err(format!(
                "shard index {index} must be below the shard count {count}"
            ));
        }
        Ok(Self { index, count })
    }

    /// The shard of a Kubernetes Indexed Job pod: `JOB_COMPLETION_INDEX` with `count`.
    ///
    /// # Errors
    /// A message naming the variable when it is not a number in range.
    pub fn from_env(env: &dyn EnvSource, count: u32) -> Result<Option<Self>, String> {
        let Some(v) = env.var("JOB_COMPLETION_INDEX") else {
            return Ok(None);
        };
        let index: u32 = v.trim().parse().map_err(|_| {
            "environment variable JOB_COMPLETION_INDEX must be an integer".to_owned()
        })?;
        Self::new(index, count).map(Some)
    }

    /// Whether this shard owns the queen `name`.
    #[must_use]
    pub fn owns(&self, name: &str) -> bool {
        fnv1a64(name) % u64::from(self.count) == u64::from(self.index)
    }
}

/// How one queen's run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueenResult {
    /// The queen.
    pub queen: String,
    /// `ok`, `failed` or `unreachable`.
    pub outcome: String,
    /// Control lines committed.
    pub committed: usize,
    /// Wall time.
    pub duration: Duration,
    /// The error, if any.
    pub error: Option<String>,
}

/// A fleet run's summary (`fleet.json`).
#[derive(Clone, Debug, Default)]
pub struct FleetSummary {
    /// The playbook.
    pub playbook_id: String,
    /// The shard this summary covers, if sharded.
    pub shard: Option<Shard>,
    /// One row per queen, sorted by name.
    pub queens: Vec<QueenResult>,
}

impl FleetSummary {
    /// Rows whose outcome is not `ok`.
    #[must_use]
    pub fn failures(&self) -> usize {
        self.queens.iter().filter(|q| q.outcome != "ok").count()
    }

    /// The `fleet.json` document.
    #[must_use]
    pub fn to_value(&self) -> Value {
        let mut totals = BTreeMap::new();
        for q in &self.queens {
            *totals.entry(q.outcome.clone()).or_insert(0usize) += 1;
        }
        json!({
            "playbook_id": self.playbook_id,
            "queens": self.queens.iter().map(|q| json!({
                "committed": q.committed,
                "duration_ms": u64::try_from(q.duration.as_millis()).unwrap_or(u64::MAX),
                "error": q.error,
                "outcome": q.outcome,
                "queen": q.queen,
            })).collect::<Vec<_>>(),
            "schema": "cohesix-playbook-fleet/v1",
            "shard": self.shard.map(|s| json!({"count": s.count, "index": s.index})),
            "totals": totals,
        })
    }

    /// Reads a `fleet.json`.
    ///
    /// # Errors
    /// A message for an unreadable or malformed file.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let v: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let bad = || {
            format!(
                "{}: not a cohesix-playbook-fleet/v1 summary",
                path.display()
            )
        };
        if v.get("schema").and_then(Value::as_str) != Some("cohesix-playbook-fleet/v1") {
            return Err(bad());
        }
        let playbook_id = v
            .get("playbook_id")
            .and_then(Value::as_str)
            .ok_or_else(bad)?
            .to_owned();
        let rows = v.get("queens").and_then(Value::as_array).ok_or_else(bad)?;
        let queens = rows
            .iter()
            .map(|r| {
                Some(QueenResult {
                    queen: r.get("queen")?.as_str()?.to_owned(),
                    outcome: r.get("outcome")?.as_str()?.to_owned(),
                    committed: usize::try_from(r.get("committed")?.as_u64()?).ok()?,
                    duration: Duration::from_millis(r.get("duration_ms")?.as_u64()?),
                    error: r.get("error").and_then(Value::as_str).map(str::to_owned),
                })
            })
            .collect::<Option<Vec<_>>>()
            .ok_or_else(bad)?;
        Ok(Self {
            playbook_id,
            shard: None,
            queens,
        })
    }
}

/// Combines shard summaries into one (rows sorted by queen; a queen in two shards is an
/// error; all must be of the same playbook).
///
/// # Errors
/// A message naming the conflict.
pub fn merge(parts: &[FleetSummary]) -> Result<FleetSummary, String> {
    let mut out = FleetSummary::default();
    let mut seen = std::collections::HashSet::new();
    for p in parts {
        if out.playbook_id.is_empty() {
            out.playbook_id.clone_from(&p.playbook_id);
        } else if out.playbook_id != p.playbook_id {
            return Err(format!(
                "summaries of different playbooks: {} and {}",
                out.playbook_id, p.playbook_id
            ));
        }
        for q in &p.queens {
            if !seen.insert(q.queen.clone()) {
                return Err(format!("queen '{}' appears in two summaries", q.queen));
            }
            out.queens.push(q.clone());
        }
    }
    out.queens.sort_by(|a, b| a.queen.cmp(&b.queen));
    Ok(out)
}

/// Options of a fleet run.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FleetOptions {
    /// Queens run at once (≥ 1).
    pub concurrency: usize,
    /// Only this shard's queens.
    pub shard: Option<Shard>,
    /// Only these queens (by name), if set.
    pub limit: Option<Vec<String>>,
    /// Reports go to `<out>/<playbook-id>/<queen>/`.
    pub out: PathBuf,
    /// The per-queen run options (one run id for the whole fleet).
    pub run: RunOptions,
    /// The host snapshot every queen's report carries.
    pub host: Option<Arc<cohesix_probes::HostSnapshot>>,
    /// Per-operation timeout of each queen's console.
    pub timeout: Duration,
}

impl FleetOptions {
    /// Defaults: [`DEFAULT_CONCURRENCY`] queens at once, no shard, no limit, no host
    /// snapshot, 2 s timeout.
    #[must_use]
    pub fn new(out: PathBuf, run: RunOptions) -> Self {
        Self {
            concurrency: DEFAULT_CONCURRENCY,
            shard: None,
            limit: None,
            out,
            run,
            host: None,
            timeout: Duration::from_secs(2),
        }
    }
}

fn spec_of(
    q: &QueenSpec,
    env: &(dyn EnvSource + Send + Sync),
    timeout: Duration,
) -> Result<BackendSpec, Error> {
    let token = q
        .token_env
        .as_deref()
        .and_then(|n| env.var(n))
        .map(|t| Secret::new(t.trim()));
    let ticket = match &q.ticket_file {
        Some(p) => Some(Secret::new(
            std::fs::read_to_string(p)
                .map_err(|e| Error::io(format!("ticket file {}", p.display()), e))?
                .trim(),
        )),
        None => None,
    };
    if let Some(root) = &q.mount {
        return Ok(BackendSpec::Filesystem(root.clone()));
    }
    if let Some(url) = &q.rest {
        return Ok(BackendSpec::Rest {
            url: url.trim_end_matches('/').to_owned(),
            timeout,
            token,
        });
    }
    let target = q.tcp.as_deref().unwrap_or_default();
    let (host, port) = target
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.trim_matches(['[', ']']), p.parse::<u16>().ok()?)))
        .ok_or_else(|| Error::Usage(format!("queen '{}': tcp must be host:port", q.name)))?;
    let token = token.ok_or_else(|| {
        Error::Auth(format!(
            "queen '{}': no console token (set token_env and that variable)",
            q.name
        ))
    })?;
    let options = TcpOptions::new(host, port, token)
        .role(q.role.clone().unwrap_or_else(|| "queen".into()))
        .ticket(ticket)
        .timeout(timeout)
        .max_retries(1);
    Ok(BackendSpec::Tcp(options))
}

async fn run_one(
    book: &Playbook,
    q: &QueenSpec,
    env: &(dyn EnvSource + Send + Sync),
    options: &FleetOptions,
    progress: &dyn Progress,
) -> QueenResult {
    let started = Instant::now();
    let row = |outcome: &str, committed: usize, error: Option<String>| QueenResult {
        queen: q.name.clone(),
        outcome: outcome.into(),
        committed,
        duration: started.elapsed(),
        error,
    };
    let backend = match spec_of(q, env, options.timeout).and_then(|s| s.open()) {
        Ok(b) => b,
        Err(e) => return row("failed", 0, Some(e.to_string())),
    };
    let orch = Orchestrator::new(backend);
    let mut run = options.run.clone();
    run.target = Some(q.name.clone());
    let host = options
        .host
        .clone()
        .map_or(HostInput::Skip, HostInput::Given);
    let report = run_playbook(Some(&orch), book, &run, host, progress).await;
    let _ = orch.close().await;
    let dir = options.out.join(&book.id).join(&q.name);
    if let Err(e) = report.write(&dir) {
        return row("failed", report.committed(), Some(e.to_string()));
    }
    match &report.failure {
        None => row("ok", report.committed(), None),
        Some(f) => {
            let unreachable = f.transport
                && report.committed() == 0
                && f.lines.iter().all(|l| l.outcome.is_not_applied());
            row(
                if unreachable { "unreachable" } else { "failed" },
                report.committed(),
                Some(f.error.clone()),
            )
        }
    }
}

/// Runs `book` on every selected queen of `fleet`, at most `concurrency` at a time; writes
/// each queen's report and `<out>/<playbook-id>/fleet.json`.
///
/// Cancel-safe in the orchestrator's sense (dropped runs may have committed a prefix).
///
/// # Errors
/// [`Error::Io`] when `fleet.json` cannot be written; queen failures are rows, not errors.
pub async fn run_fleet(
    book: &Playbook,
    fleet: &Fleet,
    env: Arc<dyn EnvSource + Send + Sync>,
    options: &FleetOptions,
    progress: Arc<dyn Progress>,
) -> Result<FleetSummary, Error> {
    let selected: Vec<&QueenSpec> = fleet
        .queens
        .iter()
        .filter(|q| options.shard.is_none_or(|s| s.owns(&q.name)))
        .filter(|q| options.limit.as_ref().is_none_or(|l| l.contains(&q.name)))
        .collect();
    let gate = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for q in selected {
        let (book, q, env, opts, progress, gate) = (
            book.clone(),
            q.clone(),
            env.clone(),
            options.clone(),
            progress.clone(),
            gate.clone(),
        );
        set.spawn(async move {
            let _permit = gate.acquire_owned().await;
            run_one(&book, &q, &*env, &opts, &*progress).await
        });
    }
    let mut rows = Vec::new();
    while let Some(r) = set.join_next().await {
        match r {
            Ok(row) => rows.push(row),
            Err(e) => rows.push(QueenResult {
                queen: "<task>".into(),
                outcome: "failed".into(),
                committed: 0,
                duration: Duration::ZERO,
                error: Some(e.to_string()),
            }),
        }
    }
    rows.sort_by(|a, b| a.queen.cmp(&b.queen));
    let summary = FleetSummary {
        playbook_id: book.id.clone(),
        shard: options.shard,
        queens: rows,
    };
    let path = options.out.join(&book.id).join("fleet.json");
    write_atomic(
        &path,
        to_string(&summary.to_value(), Style::Report).as_bytes(),
    )?;
    Ok(summary)
}
