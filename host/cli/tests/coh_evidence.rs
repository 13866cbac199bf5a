//! `coh evidence …` as a user runs it: a pack of the mock and of `coh-queen` over TCP (the
//! same files), timeline, CI summary (exit 0 / 2), SIEM export, the Markdown report, an
//! unreachable target (exit 1, no summary.json), a policy file of another build, usage
//! errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn coh() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_coh"));
    cohesix_testsupport::env::hermetic(&mut c);
    c
}

fn run(args: &[&str]) -> Output {
    coh().args(args).output().expect("run coh")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cohesix-cohev-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn pack_timeline_ci_siem_and_summary_of_the_mock() {
    let dir = tmp("mock");
    let o = run(&[
        "--mock",
        "evidence",
        "pack",
        "--out",
        s(&dir),
        "--with-telemetry",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(out.contains("OK CAT path=/audit/journal\n"), "{out}");
    assert!(
        out.contains(&format!(
            "evidence pack saved={} captured=14 missing=1 errors=0\n",
            dir.display()
        )),
        "{out}"
    );
    assert!(out.contains("evidence telemetry devices=1 segments=1 bytes=10 saved=telemetry/"));
    for rel in [
        "meta.json",
        "bounds.json",
        "summary.json",
        "log/queen.log",
        "audit/journal",
    ] {
        assert!(dir.join(rel).is_file(), "{rel}");
    }

    let o = run(&["evidence", "timeline", "--in", s(&dir)]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(dir.join("timeline.ndjson").is_file() && dir.join("timeline.md").is_file());
    let o = run(&["evidence", "timeline", "--input", s(&dir)]);
    assert!(o.status.success(), "--input is an alias");

    let o = run(&["evidence", "ci-summary", "--pack", s(&dir)]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["pack_dir"], s(&dir));
    let ci_file = dir.join("ci/ci-summary.json");
    let o = run(&[
        "evidence",
        "ci-summary",
        "--pack",
        s(&dir),
        "--out",
        s(&ci_file),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&ci_file).unwrap(), out);

    let o = run(&["evidence", "siem", "--pack", s(&dir)]);
    assert!(o.status.success());
    let siem_file = dir.join("siem.ndjson");
    let o2 = run(&[
        "evidence",
        "siem",
        "--pack",
        s(&dir),
        "--out",
        s(&siem_file),
    ]);
    assert!(o2.status.success());
    assert_eq!(std::fs::read(&siem_file).unwrap(), o.stdout);

    let o = run(&[
        "evidence",
        "summary",
        "--pack",
        s(&dir),
        "--format",
        "markdown",
    ]);
    let (md, _) = text(&o);
    assert!(o.status.success());
    assert!(
        md.starts_with(&format!("# Evidence pack `{}`", dir.display())),
        "{md}"
    );
    assert!(md.contains("| CI checks | ok |"), "{md}");

    // Break the pack: CI says so with exit 2.
    std::fs::remove_file(dir.join("log/queen.log")).unwrap();
    let o = run(&["evidence", "ci-summary", "--pack", s(&dir)]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["missing"], serde_json::json!(["log/queen.log"]));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn coh_queen_over_tcp_packs_the_same_files_as_the_mock() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut cfg = cohesix_sim::SimConfig::mock(false);
    cfg.token = cohesix_sim::AuthToken::new("coh-evidence-token");
    let sim = rt.block_on(cohesix_sim::Simulator::spawn(cfg)).unwrap();
    let port = sim.local_addr().port().to_string();
    let tcp = tmp("tcp");
    let o = run(&[
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--auth-token",
        "coh-evidence-token",
        "evidence",
        "pack",
        "--out",
        s(&tcp),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    rt.block_on(sim.shutdown());
    let mock = tmp("tcp-mock");
    let o = run(&["--mock", "evidence", "pack", "--out", s(&mock)]);
    assert!(o.status.success(), "{:?}", text(&o));
    let (a, b) = (files(&tcp), files(&mock));
    assert!(a.len() >= 14, "{a:?}");
    assert_eq!(a, b);
    let _ = std::fs::remove_dir_all(&tcp);
    let _ = std::fs::remove_dir_all(&mock);
}

#[test]
fn an_unreachable_target_exits_1_without_a_summary() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port().to_string()
    };
    let dir = tmp("down");
    let o = run(&[
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--auth-token",
        "t0k3n-x",
        "--timeout-s",
        "0.3",
        "evidence",
        "pack",
        "--out",
        s(&dir),
    ]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(
        err.starts_with("coh evidence: target unreachable while capturing /proc/boot"),
        "{err}"
    );
    assert!(!err.contains("t0k3n-x"), "{err}");
    assert!(!dir.join("summary.json").exists());
    assert!(out.contains("ERR CAT path=/proc/boot"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn policy_files_and_usage() {
    let dir = tmp("policy");
    let policy = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../generated/cohsh_policy.toml"
    );
    let o = run(&[
        "--mock",
        "--policy",
        policy,
        "evidence",
        "pack",
        "--out",
        s(&dir),
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let other = dir.join("other.toml");
    std::fs::write(&other, "[meta]\n").unwrap();
    let o = run(&[
        "--mock",
        "--policy",
        s(&other),
        "evidence",
        "pack",
        "--out",
        s(&dir),
    ]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("not this build's policy_sha256"), "{err}");

    let o = run(&["evidence", "summary", "--pack", s(&dir), "--format", "html"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&[
        "--mock",
        "--rest-url",
        "http://127.0.0.1:1",
        "evidence",
        "pack",
        "--out",
        "x",
    ]);
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
    let o = run(&["evidence", "pack"]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
