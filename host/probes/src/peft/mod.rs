//! PEFT runtime probe (provider `peft`): installed versions of the fine-tuning stack, read from
//! distribution metadata without importing any of the packages and, normally, without
//! starting an interpreter at all.
//!
//! ```text
//!   locate python3 ($VIRTUAL_ENV/bin, else PATH) ──► site::plan (pyenv shim, pyvenv.cfg,
//!        │                                           prefix landmark, Debian layout, user
//!        │ undecidable (script, PYTHONHOME, …)       site, PYTHONPATH, *.pth)
//!        ▼                                                 │ dirs, source "static"
//!   one `python3 -c <print sys.path>` run (exec timeout)   │
//!        │ dirs, source "interpreter"                      ▼
//!        └──────────────► metadata::find_distributions (*.dist-info / *.egg-info, PEP 503)
//! ```
//!
//! Names compare after PEP 503 normalisation and the first match along the directory order
//! wins (as `importlib.metadata` does); the version is the `Version:` header of its
//! `METADATA`/`PKG-INFO` (else the one in the directory name).
//!
//! CUDA usability when torch is present, decided statically (torch is never imported):
//! `cuda` is the CUDA version torch was built for (the `cuda` assignment in
//! `torch/version.py`, `null` for CPU-only builds); `device_count` is the number of
//! `/dev/nvidia<N>` device nodes, limited by `CUDA_VISIBLE_DEVICES` when set; `available` is
//! `cuda != null && device_count > 0`. Unlike `torch.cuda.is_available()` this does not create
//! a CUDA context, so a driver/runtime mismatch is not detected.
//!
//! Data: `{"python":path,"interpreter":path|null,"source":"static"|"interpreter",
//! "versions":{name:version|null},"torch_cuda":{"available","cuda","device_count"}|null}`,
//! plus `static_error` (why the files did not decide) when the interpreter was asked; any
//! missing package → error `missing packages: <a, b>` (degraded). `python` is the program as
//! found, `interpreter` the executable it runs (a pyenv shim resolved; static path only).

pub mod metadata;
pub mod pyenv;
pub mod site;

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

pub use metadata::{
    find_distributions, header_value, normalise_name, torch_cuda, torch_cuda_version, Distribution,
};
pub use site::{PythonEnv, SitePlan};

use crate::model::ProbeResult;
use crate::options::SnapshotOptions;

/// Provider name.
pub const PROVIDER: &str = "peft";
/// Packages reported, in this order.
pub const PACKAGES: [&str; 5] = [
    "torch",
    "transformers",
    "peft",
    "accelerate",
    "bitsandbytes",
];
/// The code given to the interpreter on the fallback path: print `sys.path`, one entry per
/// line.
pub const SYS_PATH_CODE: &str = "import sys\nfor p in sys.path: print(p)";

/// What one scan found.
type Scan = (Vec<Distribution>, Option<Value>);

/// Runs the peft probe: the static resolution, else one interpreter run; each step (and the
/// metadata scan) bounded by the exec timeout.
///
/// Cancel safety: dropping the future kills any child process it started; a metadata scan
/// already running on the blocking pool finishes on its own (it is bounded) and is discarded.
pub async fn probe_peft(opts: &SnapshotOptions) -> ProbeResult {
    let python = opts.python.as_str();
    let Some(program) = site::locate_program(python, &opts.python_env, &opts.exec) else {
        return ProbeResult::skipped(
            PROVIDER,
            format!("python interpreter unavailable: command not found: {python}"),
        );
    };
    let timeout = opts.exec.timeout;
    let (env, exec) = (opts.python_env.clone(), opts.exec.clone());
    let (root, visible) = (opts.system_root.clone(), opts.cuda_visible_devices.clone());
    let target = program.clone();
    let planned = tokio::task::spawn_blocking(move || {
        site::plan(&target, &env, &exec).map(|plan| {
            let scan = scan(&plan.dirs, &root, visible.as_deref());
            (plan, scan)
        })
    });
    let static_error = match tokio::time::timeout(timeout, planned).await {
        Ok(Ok(Ok((plan, (found, torch))))) => {
            let mut result = build_result(&program, &found, torch);
            extend(&mut result, Some(&plan.interpreter), "static", None);
            return result;
        }
        Ok(Ok(Err(reason))) => reason,
        Ok(Err(e)) => format!("static resolution failed: {e}"),
        Err(_) => "static resolution timed out".to_owned(),
    };
    let dirs = match ask_interpreter(opts, python).await {
        Ok(dirs) => dirs,
        Err(e) => return ProbeResult::skipped(PROVIDER, e),
    };
    let (root, visible) = (opts.system_root.clone(), opts.cuda_visible_devices.clone());
    let scanned = tokio::task::spawn_blocking(move || scan(&dirs, &root, visible.as_deref()));
    let (found, torch) = match tokio::time::timeout(timeout, scanned).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => return ProbeResult::skipped(PROVIDER, format!("metadata scan failed: {e}")),
        Err(_) => return ProbeResult::skipped(PROVIDER, "metadata scan timed out".to_owned()),
    };
    let mut result = build_result(&program, &found, torch);
    extend(&mut result, None, "interpreter", Some(static_error));
    result
}

/// The fallback: `sys.path` as the interpreter prints it (one run, exec timeout).
async fn ask_interpreter(opts: &SnapshotOptions, python: &str) -> Result<Vec<PathBuf>, String> {
    let out = match opts.exec.run(python, &["-c", SYS_PATH_CODE]).await {
        Ok(out) if out.success() => out,
        Ok(out) => return Err(out.error_text()),
        Err(e) => return Err(e.to_string()),
    };
    Ok(out
        .stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .collect())
}

fn scan(dirs: &[PathBuf], root: &Path, visible: Option<&str>) -> Scan {
    let found = find_distributions(dirs, &PACKAGES);
    let torch = found
        .iter()
        .find(|d| d.name == "torch")
        .map(|torch| torch_cuda(&torch.site_dir, root, visible));
    (found, torch)
}

fn extend(
    result: &mut ProbeResult,
    interpreter: Option<&Path>,
    source: &str,
    static_error: Option<String>,
) {
    if let Value::Object(data) = &mut result.data {
        let interpreter = interpreter.map(|p| p.display().to_string());
        data.insert("interpreter".into(), interpreter.into());
        data.insert("source".into(), source.into());
        if let Some(reason) = static_error {
            data.insert("static_error".into(), reason.into());
        }
    }
}

/// Builds the result from the scan (public for tests and other front-ends): `python`,
/// `versions`, `torch_cuda` and the missing-packages error.
#[must_use]
pub fn build_result(
    python: &Path,
    found: &[Distribution],
    torch_cuda: Option<Value>,
) -> ProbeResult {
    let mut versions = Map::new();
    let mut missing = Vec::new();
    for name in PACKAGES {
        match found.iter().find(|d| d.name == name) {
            Some(d) => {
                versions.insert(name.into(), d.version.clone().into());
            }
            None => {
                versions.insert(name.into(), Value::Null);
                missing.push(name);
            }
        }
    }
    let data = json!({
        "python": python.display().to_string(),
        "versions": versions,
        "torch_cuda": torch_cuda,
    });
    let error = (!missing.is_empty()).then(|| format!("missing packages: {}", missing.join(", ")));
    ProbeResult::new(PROVIDER, data, error)
}
