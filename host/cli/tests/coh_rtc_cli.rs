//! `coh-rtc` binary: outputs and exit codes (0 ok, 1 invalid manifest, 2 usage).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn coh_rtc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coh-rtc"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("coh-rtc runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("coh-rtc-cli-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn hash_prints_manifest_sha256_alone() {
    let o = coh_rtc(&[
        "hash",
        "fixtures/upstream/configs/root_task_regression.toml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "6f0b57ee365d6fd537e869b6732bcf377ea1332a6250ccb182432d2374a80e3f\n"
    );
}

#[test]
fn check_accepts_the_shipped_manifest() {
    let o = coh_rtc(&["check", "configs/root_task.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
}

#[test]
fn compile_reproduces_generated_dir() {
    let out = scratch("compile");
    let out_arg = out.to_str().expect("utf-8 temp path");
    let o = coh_rtc(&["compile", "configs/root_task.toml", "--out", out_arg]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for rel in ["src/lib.rs", "root_task_resolved.json", "cohsh_policy.toml"] {
        let fresh = fs::read(out.join(rel)).expect("output written");
        let committed = fs::read(repo().join("generated").join(rel)).expect("committed");
        assert!(
            fresh == committed,
            "generated/{rel} differs from a fresh compile"
        );
    }
    let _ = fs::remove_dir_all(&out);
}

fn write_manifest(dir: &Path, text: &str) -> String {
    let path = dir.join("bad.toml");
    fs::write(&path, text).expect("write manifest");
    path.to_str().expect("utf-8 temp path").to_owned()
}

#[test]
fn invalid_manifest_exits_1_and_writes_nothing() {
    let dir = scratch("invalid");
    let src = fs::read_to_string(repo().join("configs/root_task.toml"))
        .expect("manifest")
        .replace("walk_depth = 8", "walk_depth = 9");
    let manifest = write_manifest(&dir, &src);
    let out = dir.join("out");
    let out_arg = out.to_str().expect("utf-8 temp path");
    let o = coh_rtc(&["compile", &manifest, "--out", out_arg]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("bad.toml:"), "{err}");
    assert!(err.contains("secure9p.walk_depth: must be <= 8"), "{err}");
    assert!(
        !out.exists(),
        "nothing may be written for an invalid manifest"
    );
    assert_eq!(coh_rtc(&["check", &manifest]).status.code(), Some(1));
    assert_eq!(coh_rtc(&["hash", &manifest]).status.code(), Some(1));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn unreadable_manifest_exits_1() {
    let o = coh_rtc(&["check", "no/such/manifest.toml"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no/such/manifest.toml"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(coh_rtc(&[]).status.code(), Some(2));
    assert_eq!(coh_rtc(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        coh_rtc(&["compile", "configs/root_task.toml"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(coh_rtc(&["hash"]).status.code(), Some(2));
    assert_eq!(coh_rtc(&["--help"]).status.code(), Some(0));
}
