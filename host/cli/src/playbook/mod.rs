//! `cohesix-playbook`: the project's main job.
//!
//! ```text
//! cohesix-playbook --list [--format table]
//! cohesix-playbook --playbook ID [--dry-run] [--mock | --mount-root D | --rest-url U | --tcp-host H --tcp-port P]
//! cohesix-playbook --playbook ID --fleet FLEET.toml [--concurrency N] [--shard I/N | --shard-count N] [--limit a,b]
//! cohesix-playbook merge DIR...
//! ```
//!
//! Exit status: 0 success, 1 a step (or a queen) failed — the report is still written —,
//! 2 usage. Stdout: `{"report": "<path>", "audit": "<path>"}` (a fleet: `{"fleet": "<path>"}`).
//! Backend flags are mutually exclusive (a usage error names the conflict); a live run
//! without one uses the environment (`cohesix::discovery`); a dry run needs none and opens
//! no connection.

pub mod args;
mod progress;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use cohesix::auth::{insecure_allowed, resolve_rest_token, resolve_tcp_token, Secret};
use cohesix::backend::{MockOptions, TcpOptions};
use cohesix::discovery::{self, BackendSpec, ProcessEnv};
use cohesix::json::{to_string, Style};
use cohesix::playbook::{
    catalogue, fleet, run, Entry, Fleet, FleetOptions, FleetSummary, RunId, RunOptions, Shard,
};
use cohesix::Orchestrator;
use serde_json::json;

pub use args::{Cli, Command, ListFormat, RunArgs};
use progress::Display;

/// Exit status of a usage error.
const USAGE: u8 = 2;

/// What went wrong, and the exit status it maps to.
struct Fail {
    code: u8,
    message: String,
}

fn usage(message: impl Into<String>) -> Fail {
    Fail {
        code: USAGE,
        message: message.into(),
    }
}

fn failed(message: impl Into<String>) -> Fail {
    Fail {
        code: 1,
        message: message.into(),
    }
}

/// Entry point of the binary.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cohesix-playbook: {e}");
            return ExitCode::from(1);
        }
    };
    let result = rt.block_on(async {
        match &cli.command {
            Some(Command::Merge { inputs, out }) => merge(inputs, out.as_deref()),
            None => run_main(&cli.run).await,
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("cohesix-playbook: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn entries(args: &RunArgs) -> Result<Vec<Entry>, Fail> {
    let mut all = catalogue::built_in().map_err(|e| failed(crate::report::message(e)))?;
    if let Some(dir) = &args.playbook_dir {
        let extra = catalogue::load_dir(dir).map_err(|e| usage(crate::report::message(e)))?;
        for e in extra {
            if all.iter().any(|a| a.playbook.id == e.playbook.id) {
                return Err(usage(format!(
                    "playbook '{}' of {} shadows a built-in one",
                    e.playbook.id,
                    dir.display()
                )));
            }
            all.push(e);
        }
        all.sort_by(|a, b| a.playbook.id.cmp(&b.playbook.id));
    }
    Ok(all)
}

fn list(entries: &[Entry], format: ListFormat) -> String {
    match format {
        ListFormat::Json => {
            let items: Vec<_> = entries
                .iter()
                .map(|e| {
                    let [a, s, l, x] = e.playbook.counts();
                    json!({
                        "fleet": e.playbook.fleet,
                        "objective": e.playbook.objective,
                        "plan": {"approvals": a, "exports": x, "leases": l, "schedule": s},
                        "playbook_id": e.playbook.id,
                        "title": e.playbook.title,
                    })
                })
                .collect();
            to_string(&json!(items), Style::Report)
        }
        ListFormat::Table => {
            let mut out = format!(
                "{:<30} {:<7} {:>9} {:>8} {:>6} {:>7}  {}\n",
                "PLAYBOOK", "FLEET", "APPROVALS", "SCHEDULE", "LEASES", "EXPORTS", "TITLE"
            );
            for e in entries {
                let [a, s, l, x] = e.playbook.counts();
                out.push_str(&format!(
                    "{:<30} {:<7} {a:>9} {s:>8} {l:>6} {x:>7}  {}\n",
                    e.playbook.id, e.playbook.fleet, e.playbook.title
                ));
            }
            out
        }
    }
}

/// The backend the flags name, if any.
fn flagged_backend(args: &RunArgs) -> Result<Option<BackendSpec>, Fail> {
    let env = ProcessEnv;
    let timeout = Duration::try_from_secs_f64(args.timeout_s)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| usage("--timeout-s must be a positive number"))?;
    if args.mock {
        let mut o = MockOptions::new()
            .root(Some(args.mock_root.clone()))
            .include_mig(args.include_mig);
        o.role.clone_from(&args.role);
        return Ok(Some(BackendSpec::Mock(o)));
    }
    if let Some(root) = &args.mount_root {
        return Ok(Some(BackendSpec::Filesystem(root.clone())));
    }
    if let Some(url) = &args.rest_url {
        return Ok(Some(BackendSpec::Rest {
            url: url.trim_end_matches('/').to_owned(),
            timeout,
            token: resolve_rest_token(args.auth_token.as_deref(), &env),
        }));
    }
    if args.tcp_host.is_some() || args.tcp_port.is_some() {
        let allow = insecure_allowed(&env, args.allow_insecure_auth);
        let (token, _) = resolve_tcp_token(args.auth_token.as_deref(), &[], allow, &env)
            .map_err(|e| usage(crate::report::message(e)))?;
        let options = TcpOptions::new(
            args.tcp_host.clone().unwrap_or_else(|| "127.0.0.1".into()),
            args.tcp_port
                .unwrap_or(cohesix_generated::console::TCP_PORT),
            token,
        )
        .role(args.role.clone())
        .ticket(args.ticket.clone().map(Secret::new))
        .timeout(timeout)
        .max_retries(args.max_retries);
        return Ok(Some(BackendSpec::Tcp(options)));
    }
    Ok(None)
}

fn run_options(args: &RunArgs) -> Result<RunOptions, Fail> {
    let mut o = RunOptions::new().dry_run(args.dry_run);
    o.proc_snapshot = !args.no_proc_snapshot;
    o.push_host_snapshot = !args.no_push_host_snapshot && !args.no_host_snapshot;
    o.run_id = match (&args.run_id, &args.run_seed) {
        (Some(id), _) => Some(RunId::parse(id).map_err(usage)?),
        (None, Some(seed)) => Some(RunId::derive(seed)),
        (None, None) => None,
    };
    Ok(o)
}

fn pick(args: &RunArgs, all: &[Entry]) -> Result<Entry, Fail> {
    if let Some(file) = &args.playbook_file {
        return catalogue::load_file(file).map_err(|e| usage(crate::report::message(e)));
    }
    let id = args
        .playbook
        .clone()
        .or_else(|| all.first().map(|e| e.playbook.id.clone()))
        .unwrap_or_default();
    catalogue::find(all, &id).cloned().map_err(usage)
}

async fn run_main(args: &RunArgs) -> Result<u8, Fail> {
    let all = entries(args)?;
    if args.list {
        print!("{}", list(&all, args.format));
        if args.format == ListFormat::Json {
            println!();
        }
        return Ok(0);
    }
    let entry = pick(args, &all)?;
    let book = &entry.playbook;
    let options = run_options(args)?;
    let display = Arc::new(Display::choose(args.quiet));
    if let Some(path) = &args.fleet {
        return run_fleet(args, book, options, path, display).await;
    }
    let flagged = flagged_backend(args)?;
    let host = if args.no_host_snapshot {
        run::HostInput::Skip
    } else {
        run::HostInput::Collect(Box::new(run::snapshot_options(book)))
    };
    // A dry run needs no backend: nothing is written and no connection is opened.
    let orch = if args.dry_run {
        None
    } else {
        let spec = match flagged {
            Some(s) => s,
            None => {
                let allow = args.allow_insecure_auth;
                discovery::resolve(&ProcessEnv, &[], allow)
                    .map_err(|e| usage(crate::report::message(e)))?
                    .0
            }
        };
        Some(Orchestrator::new(
            spec.open().map_err(|e| failed(crate::report::message(e)))?,
        ))
    };
    let report = run::run_playbook(orch.as_ref(), book, &options, host, &*display).await;
    if let Some(o) = &orch {
        let _ = o.close().await;
    }
    let dir = args.out.join(&book.id);
    let (report_path, audit_path) = report
        .write(&dir)
        .map_err(|e| failed(crate::report::message(e)))?;
    println!(
        "{{\"report\": {}, \"audit\": {}}}",
        json!(report_path.display().to_string()),
        json!(audit_path.display().to_string())
    );
    if let Some(f) = &report.failure {
        display.line(&format!("{} failed: {}", f.step, f.error));
        return Ok(1);
    }
    Ok(0)
}

async fn run_fleet(
    args: &RunArgs,
    book: &cohesix::playbook::Playbook,
    mut run: RunOptions,
    path: &Path,
    display: Arc<Display>,
) -> Result<u8, Fail> {
    let fleet = Fleet::load(path).map_err(|e| usage(crate::report::message(e)))?;
    let shard = match (&args.shard, args.shard_count) {
        (Some(s), _) => Some(Shard::parse(s).map_err(usage)?),
        (None, Some(n)) => Shard::from_env(&ProcessEnv, n).map_err(usage)?,
        (None, None) => None,
    };
    if !run.dry_run && run.run_id.is_none() {
        // One run id for the whole fleet (a shard's Job index makes it reproducible).
        run.run_id = Some(RunId::fresh());
    }
    let host = if args.no_host_snapshot {
        None
    } else {
        Some(Arc::new(
            cohesix_probes::collect_host_snapshot(&run::snapshot_options(book)).await,
        ))
    };
    let mut options = FleetOptions::new(args.out.clone(), run);
    options.concurrency = args.concurrency;
    options.shard = shard;
    options.limit.clone_from(&args.limit);
    options.host = host;
    options.timeout = Duration::try_from_secs_f64(args.timeout_s).unwrap_or(Duration::from_secs(2));
    let summary = fleet::run_fleet(
        book,
        &fleet,
        Arc::new(ProcessEnv),
        &options,
        display.clone(),
    )
    .await
    .map_err(|e| failed(crate::report::message(e)))?;
    display.line(&table(&summary));
    let path = args.out.join(&book.id).join("fleet.json");
    println!("{{\"fleet\": {}}}", json!(path.display().to_string()));
    Ok(u8::from(summary.failures() > 0))
}

/// The fleet recap: queen, outcome, lines committed, duration.
fn table(s: &FleetSummary) -> String {
    let mut out = format!(
        "{:<24} {:<12} {:>9} {:>10}\n",
        "QUEEN", "OUTCOME", "COMMITTED", "DURATION"
    );
    for q in &s.queens {
        out.push_str(&format!(
            "{:<24} {:<12} {:>9} {:>8}ms\n",
            q.queen,
            q.outcome,
            q.committed,
            q.duration.as_millis()
        ));
    }
    out.push_str(&format!(
        "{} queens, {} failed",
        s.queens.len(),
        s.failures()
    ));
    out
}

fn summary_file(p: &Path) -> Result<PathBuf, Fail> {
    if p.is_file() {
        return Ok(p.to_owned());
    }
    if p.join("fleet.json").is_file() {
        return Ok(p.join("fleet.json"));
    }
    let found: Vec<PathBuf> = std::fs::read_dir(p)
        .map_err(|e| usage(format!("{}: {e}", p.display())))?
        .filter_map(Result::ok)
        .map(|e| e.path().join("fleet.json"))
        .filter(|f| f.is_file())
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(usage(format!("{}: no fleet.json", p.display()))),
        _ => Err(usage(format!("{}: more than one fleet.json", p.display()))),
    }
}

fn merge(inputs: &[PathBuf], out: Option<&Path>) -> Result<u8, Fail> {
    let parts = inputs
        .iter()
        .map(|p| summary_file(p).and_then(|f| FleetSummary::read(&f).map_err(usage)))
        .collect::<Result<Vec<_>, _>>()?;
    let merged = fleet::merge(&parts).map_err(usage)?;
    let text = to_string(&merged.to_value(), Style::Report);
    match out {
        Some(path) => cohesix::json::write_atomic(path, text.as_bytes())
            .map_err(|e| failed(crate::report::message(e)))?,
        None => println!("{text}"),
    }
    Ok(u8::from(merged.failures() > 0))
}
