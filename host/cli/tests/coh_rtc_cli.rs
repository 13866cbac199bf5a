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
fn hash_reproduces_both_upstream_queen_builds() {
    for (manifest, want) in [
        (
            "fixtures/upstream/configs/root_task.toml",
            "3a20adc55c8f975e20e8ef031422f8a09b4a7b8e524dd052bf69296ddf7ff1af\n",
        ),
        (
            "fixtures/upstream-0.9/configs/root_task.toml",
            "af1586465c29995de8086260fe57138aa3481d8ea70f42e5d37b1add06026af0\n",
        ),
    ] {
        let o = coh_rtc(&["hash", manifest]);
        assert_eq!(o.status.code(), Some(0), "{manifest}: {}", stderr(&o));
        assert_eq!(stdout(&o), want, "{manifest}");
    }
}

#[test]
fn invalid_0_9_section_names_file_line_and_column() {
    let dir = scratch("invalid-0-9");
    let src = fs::read_to_string(repo().join("configs/root_task.toml"))
        .expect("manifest")
        .replace(
            "[control_plane.export]\nenable = true\nctl_max_bytes = 2048\n",
            "[control_plane.export]\nenable = true\nctl_max_bytes = 9000\n",
        );
    let manifest = write_manifest(&dir, &src);
    let line = src
        .lines()
        .position(|l| l == "ctl_max_bytes = 9000")
        .expect("edited line")
        + 1;
    let o = coh_rtc(&["check", &manifest]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "bad.toml:{line}:17: control_plane.export.ctl_max_bytes: must be within 1..=8192 \
             when enabled"
        )),
        "{err}"
    );
    let _ = fs::remove_dir_all(&dir);
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
