//! The peft probe's interpreter fallback: a fake `python3` script printing `sys.path` (a script
//! is never resolved statically), fake site-packages built from the H200 fixture's versions,
//! fake `/dev/nvidia<N>` nodes. The static path is in `peft_static.rs`.

mod common;

use std::time::Duration;

use cohesix_probes::peft::{
    find_distributions, header_value, normalise_name, probe_peft, torch_cuda_version,
};
use cohesix_probes::ProbeStatus;
use common::{dist_info, fixture_text, FakeBin};
use serde_json::{json, Value};

/// Builds a site-packages from `fixtures/gpu/h200/peft_stack.json` and a fake python3.
fn h200_environment(bin: &FakeBin) -> Value {
    let stack: Value =
        serde_json::from_str(&fixture_text("gpu/h200/peft_stack.json")).expect("peft_stack.json");
    let site = bin.path().join("venv/lib/python3.12/site-packages");
    let shadow = bin.path().join("later");
    std::fs::create_dir_all(&site).expect("site");
    std::fs::create_dir_all(&shadow).expect("shadow");
    for (name, entry) in stack.as_object().expect("object") {
        if let Some(version) = entry["version"].as_str() {
            // Directory names use the escaped form (`nvidia_ml_py`), METADATA the real name.
            let escaped = name.replace('-', "_");
            dist_info(&site, &format!("{escaped}-{version}"), name, version);
        }
    }
    // A second, later copy of torch must not win.
    dist_info(&shadow, "torch-1.0.0", "torch", "1.0.0");
    let torch = site.join("torch");
    std::fs::create_dir_all(&torch).expect("torch dir");
    let cuda = stack["torch_cuda"]["cuda"].as_str().expect("cuda");
    std::fs::write(
        torch.join("version.py"),
        format!("from typing import Optional\n__version__ = '2.11.0'\ndebug = False\ncuda: Optional[str] = '{cuda}'\ngit_version = 'abc'\n"),
    )
    .expect("version.py");
    let dev = bin.path().join("root/dev");
    std::fs::create_dir_all(&dev).expect("dev");
    for node in ["nvidia0", "nvidiactl", "nvidia-uvm", "nvidia-caps"] {
        std::fs::write(dev.join(node), "").expect("node");
    }
    let paths = format!(
        "/nonexistent/python312.zip\n{}\n\n{}\n",
        site.display(),
        shadow.display()
    );
    bin.printing("python3", &paths, 0);
    stack
}

#[tokio::test]
async fn reproduces_the_h200_stack() {
    let bin = FakeBin::new();
    let stack = h200_environment(&bin);
    let r = probe_peft(&bin.options()).await;
    assert_eq!(r.status, ProbeStatus::Degraded, "{r:?}");
    assert_eq!(r.error.as_deref(), Some("missing packages: bitsandbytes"));
    for name in ["torch", "transformers", "peft", "accelerate"] {
        assert_eq!(r.data["versions"][name], stack[name]["version"], "{name}");
    }
    assert_eq!(r.data["versions"]["bitsandbytes"], json!(null));
    assert_eq!(r.data["versions"]["torch"], "2.11.0");
    assert_eq!(r.data["torch_cuda"], stack["torch_cuda"]);
    assert_eq!(
        r.data["python"],
        bin.path().join("python3").display().to_string()
    );
    assert_eq!(bin.argv("python3")[0], "-c");
    // A wrapper script is not second-guessed: the interpreter is asked, once.
    assert_eq!(r.data["source"], "interpreter");
    assert_eq!(r.data["interpreter"], json!(null));
    assert!(r.data["static_error"]
        .as_str()
        .is_some_and(|e| e.contains("not a native executable")));
}

#[tokio::test]
async fn cuda_visibility_and_cpu_builds() {
    let bin = FakeBin::new();
    h200_environment(&bin);
    let mut opts = bin.options();
    opts.cuda_visible_devices = Some(String::new());
    let r = probe_peft(&opts).await;
    assert_eq!(
        r.data["torch_cuda"],
        json!({"available": false, "cuda": "13.0", "device_count": 0})
    );
    opts.cuda_visible_devices = Some("0,-1,2".into());
    let r = probe_peft(&opts).await;
    assert_eq!(r.data["torch_cuda"]["device_count"], 1);

    // No device nodes: CUDA build but nothing to run on.
    opts.cuda_visible_devices = None;
    opts.system_root = bin.path().join("elsewhere");
    let r = probe_peft(&opts).await;
    assert_eq!(r.data["torch_cuda"]["available"], false);
}

#[tokio::test]
async fn missing_broken_and_hanging_python() {
    let bin = FakeBin::new();
    let r = probe_peft(&bin.options()).await;
    assert_eq!(r.status, ProbeStatus::Skipped);
    assert_eq!(
        r.error.as_deref(),
        Some("python interpreter unavailable: command not found: python3")
    );

    bin.failing("python3", "Fatal Python error: init_fs_encoding\n", 1);
    let r = probe_peft(&bin.options()).await;
    assert_eq!(r.status, ProbeStatus::Skipped);
    assert_eq!(
        r.error.as_deref(),
        Some("Fatal Python error: init_fs_encoding")
    );

    bin.hanging("python3");
    let mut opts = bin.options();
    opts.exec.timeout = Duration::from_millis(300);
    let r = probe_peft(&opts).await;
    assert_eq!(r.status, ProbeStatus::Skipped);
    assert!(r
        .error
        .expect("error")
        .starts_with("command timed out: python3 -c"));

    // Garbage sys.path: nothing found, every package missing, still a result.
    bin.printing("python3", "\u{0}\u{7}garbage\n/\n", 0);
    let r = probe_peft(&bin.options()).await;
    assert_eq!(r.status, ProbeStatus::Degraded);
    assert_eq!(
        r.error.as_deref(),
        Some("missing packages: torch, transformers, peft, accelerate, bitsandbytes")
    );
    assert_eq!(r.data["torch_cuda"], json!(null));
}

#[test]
fn metadata_helpers() {
    assert_eq!(normalise_name("Nvidia_ML.py"), "nvidia-ml-py");
    assert_eq!(normalise_name("bitsandbytes"), "bitsandbytes");
    assert_eq!(
        header_value("Name: x\nversion:  1.2.3 \n\nVersion: 9\n", "Version").as_deref(),
        Some("1.2.3")
    );
    assert_eq!(header_value("Name: x\n\nVersion: 9\n", "Version"), None);
    assert_eq!(
        torch_cuda_version("cuda = '12.1'\n").as_deref(),
        Some("12.1")
    );
    assert_eq!(torch_cuda_version("cuda: Optional[str] = None\n"), None);
    assert_eq!(
        torch_cuda_version("cudnn = '9'\ncuda = \"11.8\"  # x\n").as_deref(),
        Some("11.8")
    );

    // egg-info (file and directory forms) and dir-name version fallback.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("peft-0.3.0-py3.11.egg-info"),
        "Name: peft\nVersion: 0.3.0\n",
    )
    .expect("egg file");
    std::fs::create_dir_all(dir.path().join("accelerate-0.20.0.dist-info")).expect("no METADATA");
    let found = find_distributions(
        &[dir.path().to_path_buf()],
        &["peft", "accelerate", "torch"],
    );
    let pairs: Vec<(&str, &str)> = found
        .iter()
        .map(|d| (d.name.as_str(), d.version.as_str()))
        .collect();
    assert_eq!(pairs, vec![("accelerate", "0.20.0"), ("peft", "0.3.0")]);
}
