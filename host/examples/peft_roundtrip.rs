//! `peft_roundtrip`: export a LoRA job, import two adapters into a local registry, activate
//! the previous then the new model, roll back (host-surface §8.7).
//!
//! ```text
//! cargo run -p cohesix --example peft_roundtrip -- --mock
//! ```
//!
//! Under `<out>/peft_roundtrip/`:
//!
//! * `adapters/<model>/…`: dummy adapter files (`adapter_model.safetensors`,
//!   `adapter_config.json`, `metrics.json`) standing in for a training run;
//! * `export/<job>/…`: the job's files read from `/queen/export/lora_jobs/<job>/` (each
//!   within its manifest bound);
//! * `registry/available/<model>/`: the adapter files and a `manifest.toml` with `[model]`,
//!   `[provenance]` (approval `pending`) and `[hashes]` (SHA-256 and size of every file).
//!   Importing a model twice fails with `model <id> already imported`: use a fresh `--out`
//!   or remove the registry;
//! * `registry/active` and `registry/active_state.toml` (`current`, `previous`), each
//!   activation also written to `/gpu/models/active`;
//! * `roundtrip.json` (what happened) and `audit.txt`.

mod common;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use cohesix::backend::Backend;
use cohesix::{AnyBackend, Orchestrator};
use cohesix_generated::coh::peft;
use common::{io, write_audit, write_json, Conn, ExampleError};
use sha2::{Digest, Sha256};

/// The activation node.
const MODELS_ACTIVE: &str = "/gpu/models/active";

/// Export, import, activate, roll back.
#[derive(Parser, Debug, Clone)]
#[command(name = "peft_roundtrip")]
pub struct Args {
    /// Backend and output flags.
    #[command(flatten)]
    pub conn: Conn,
    /// The LoRA job to export.
    #[arg(long, default_value = cohesix_generated::examples::JOB_ID)]
    pub job_id: String,
    /// The new model.
    #[arg(long, default_value = cohesix_generated::examples::MODEL_ID)]
    pub model_id: String,
    /// The model active before it.
    #[arg(long, default_value = "llama3-edge-v6")]
    pub previous_model_id: String,
}

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    /// `<out>/peft_roundtrip`.
    pub dir: PathBuf,
    /// Files exported from the job.
    pub exported: Vec<String>,
    /// The active model after the roll-back.
    pub active: String,
}

fn fail(m: String) -> ExampleError {
    ExampleError::Failed(cohesix::Error::Precondition(m))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ExampleError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io(format!("create {}", parent.display())))?;
    }
    std::fs::write(path, bytes).map_err(io(format!("write {}", path.display())))
}

/// Dummy adapter files of `model`; returns (name, bound) pairs.
fn adapter_files(dir: &Path, model: &str) -> Result<Vec<(&'static str, usize)>, ExampleError> {
    let base = dir.join("adapters").join(model);
    let weights: Vec<u8> = Sha256::digest(model.as_bytes())
        .iter()
        .cycle()
        .take(4096)
        .copied()
        .collect();
    write(&base.join("adapter_model.safetensors"), &weights)?;
    write(
        &base.join("adapter_config.json"),
        format!("{{\"r\":8,\"lora_alpha\":16,\"target_modules\":[\"q_proj\",\"v_proj\"],\"model\":\"{model}\"}}\n").as_bytes(),
    )?;
    write(
        &base.join("metrics.json"),
        b"{\"eval_loss\":0.42,\"steps\":100}\n",
    )?;
    Ok(vec![
        ("adapter_model.safetensors", peft::import::MAX_ADAPTER_BYTES),
        ("adapter_config.json", peft::import::MAX_LORA_BYTES),
        ("metrics.json", peft::import::MAX_METRICS_BYTES),
    ])
}

fn export_bound(name: &str) -> usize {
    match name {
        "policy.toml" => peft::export::MAX_POLICY_BYTES,
        "base_model.ref" => peft::export::MAX_BASE_MODEL_BYTES,
        _ => peft::export::MAX_TELEMETRY_BYTES,
    }
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

fn import(dir: &Path, model: &str, job: &str, base_model: &str) -> Result<(), ExampleError> {
    if model.is_empty() || model.len() > peft::activate::MAX_MODEL_ID_BYTES {
        return Err(fail(format!(
            "model id must be 1..={} bytes",
            peft::activate::MAX_MODEL_ID_BYTES
        )));
    }
    let target = dir.join("registry/available").join(model);
    if target.exists() {
        return Err(fail(format!("model {model} already imported")));
    }
    let files = adapter_files(dir, model)?;
    let mut hashes = String::new();
    for (name, bound) in files {
        let src = dir.join("adapters").join(model).join(name);
        let bytes = std::fs::read(&src).map_err(io(format!("read {}", src.display())))?;
        if bytes.len() > bound {
            return Err(fail(format!(
                "{name} of {} bytes exceeds {bound}",
                bytes.len()
            )));
        }
        write(&target.join(name), &bytes)?;
        hashes.push_str(&format!(
            "{} = {{ sha256 = {}, bytes = {} }}\n",
            toml_str(name),
            toml_str(&hex::encode(Sha256::digest(&bytes))),
            bytes.len()
        ));
    }
    let manifest = format!(
        "[model]\nid = {}\nbase_model = {}\n\n[provenance]\njob_id = {}\nsource = {}\napproval = \"pending\"\n\n[hashes]\n{hashes}",
        toml_str(model),
        toml_str(base_model),
        toml_str(job),
        toml_str(&format!("{}/{job}", peft::export::ROOT)),
    );
    if manifest.len() > peft::import::MAX_MANIFEST_BYTES {
        return Err(fail(format!("manifest of {model} exceeds its bound")));
    }
    write(&target.join("manifest.toml"), manifest.as_bytes())
}

async fn activate(
    orch: &Orchestrator<AnyBackend>,
    dir: &Path,
    current: &str,
    previous: &str,
) -> Result<(), ExampleError> {
    let registry = dir.join("registry");
    if !registry.join("available").join(current).is_dir() {
        return Err(fail(format!("model {current} is not imported")));
    }
    let state = format!(
        "current = {}\nprevious = {}\n",
        toml_str(current),
        toml_str(previous)
    );
    if state.len() > peft::activate::MAX_STATE_BYTES {
        return Err(fail("activation state exceeds its bound".into()));
    }
    orch.append_control(MODELS_ACTIVE, &[current], 0).await?;
    write(&registry.join("active"), format!("{current}\n").as_bytes())?;
    write(&registry.join("active_state.toml"), state.as_bytes())
}

/// Runs the example.
pub async fn run(args: Args) -> Result<Outcome, ExampleError> {
    let orch = args.conn.orchestrator(false)?;
    let dir = args.conn.out_dir("peft_roundtrip")?;
    let result = body(&args, &orch, &dir).await;
    write_audit(&dir, orch.audit())?;
    let _ = orch.close().await;
    result
}

async fn body(
    args: &Args,
    orch: &Orchestrator<AnyBackend>,
    dir: &Path,
) -> Result<Outcome, ExampleError> {
    let job = args.job_id.trim();
    let job_dir = format!("{}/{job}", peft::export::ROOT);
    let mut exported = Vec::new();
    let mut base_model = String::new();
    for name in orch.backend().list(&job_dir).await? {
        let path = format!("{job_dir}/{name}");
        let bytes = orch.backend().read(&path, export_bound(&name)).await?;
        orch.audit().push_ack(
            cohesix::orchestrator::AuditStatus::Ok,
            "CAT",
            Some(&format!("path={path}")),
        );
        if name == "base_model.ref" {
            base_model = String::from_utf8_lossy(&bytes).trim().to_owned();
        }
        write(&dir.join("export").join(job).join(&name), &bytes)?;
        exported.push(name);
    }
    let (new, prev) = (args.model_id.trim(), args.previous_model_id.trim());
    import(dir, prev, job, &base_model)?;
    import(dir, new, job, &base_model)?;
    activate(orch, dir, prev, "").await?;
    activate(orch, dir, new, prev).await?;
    // Roll back to the previous model.
    activate(orch, dir, prev, new).await?;
    let active = cohesix::backend::lines_of(&orch.backend().read(MODELS_ACTIVE, 1024).await?)
        .pop()
        .unwrap_or_default();
    if active != prev {
        return Err(fail(format!(
            "{MODELS_ACTIVE} holds {active:?} after the roll-back, not {prev:?}"
        )));
    }
    write_json(
        &dir.join("roundtrip.json"),
        &serde_json::json!({
            "job_id": job,
            "exported": exported,
            "imported": [prev, new],
            "activated": [prev, new],
            "rolled_back_to": prev,
            "active": active,
        }),
    )?;
    println!(
        "peft_roundtrip: job={job} exported={} active={active} out={}",
        exported.len(),
        dir.display()
    );
    Ok(Outcome {
        dir: dir.to_owned(),
        exported,
        active,
    })
}

fn main() -> ExitCode {
    common::main_with("peft_roundtrip", || run(Args::parse()))
}
