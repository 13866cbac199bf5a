//! `cohesix-playbook` as a user runs it: listing, dry and live runs on the mock, failures
//! (exit 1, report still written), usage errors (exit 2, the conflict named), fleets
//! against `coh-queen --queens`, and merging shard summaries.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cohesix-playbook"));
    cohesix_testsupport::env::hermetic(&mut c);
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run cohesix-playbook")
}

fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cohesix-pbcli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn list_prints_json_by_default_and_a_table_on_request() {
    let o = run(&["--list"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let items = v.as_array().unwrap();
    assert_eq!(items.len(), 9);
    assert_eq!(items[0]["playbook_id"], "jetson-critical-infra");
    assert_eq!(
        items[6]["plan"],
        serde_json::json!({"approvals": 3, "exports": 1, "leases": 1, "schedule": 2})
    );
    let keys: Vec<&String> = items[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["fleet", "objective", "plan", "playbook_id", "title"]);
    let o = run(&["--list", "--format", "table"]);
    let (out, _) = text(&o);
    assert!(
        out.starts_with("PLAYBOOK") && out.contains("mixed-medical-edge-ai"),
        "{out}"
    );
}

#[test]
fn every_playbook_dry_runs_on_the_mock_without_touching_it() {
    let dir = tmp("dry");
    let mock_root = dir.join("mockfs");
    let ids = [
        "jetson-critical-infra",
        "jetson-manufacturing-safety",
        "jetson-traffic-safety",
        "mac-endpoint-compliance",
        "mac-private-peft-grid",
        "mac-release-factory",
        "mixed-closed-loop-ai-factory",
        "mixed-logistics-digital-twin",
        "mixed-medical-edge-ai",
    ];
    for id in ids {
        let o = run(&[
            "--playbook",
            id,
            "--dry-run",
            "--mock",
            "--mock-root",
            mock_root.to_str().unwrap(),
            "--no-host-snapshot",
            "--quiet",
            "--out",
            dir.to_str().unwrap(),
        ]);
        let (out, err) = text(&o);
        assert!(o.status.success(), "{id}: {err}");
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        let report = json(Path::new(v["report"].as_str().unwrap()));
        assert_eq!(report["dry_run"], true);
        assert_eq!(report["run_id"], serde_json::Value::Null);
        assert_eq!(
            report["plan_execution"]["approval_writes"],
            serde_json::json!([])
        );
        assert!(Path::new(v["audit"].as_str().unwrap()).is_file());
        assert_eq!(
            std::fs::read_to_string(v["audit"].as_str().unwrap()).unwrap(),
            ""
        );
    }
    // Nothing was seeded or written: the mock was never started.
    assert!(!mock_root.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_live_mock_run_writes_its_plan_and_a_failed_step_exits_1_with_a_report() {
    let dir = tmp("live");
    let o = run(&[
        "--playbook",
        "mixed-logistics-digital-twin",
        "--mock",
        "--mock-root",
        dir.join("mockfs").to_str().unwrap(),
        "--no-host-snapshot",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let (_, err) = text(&o);
    assert!(o.status.success(), "{err}");
    // Plain progress lines when not a terminal.
    assert!(
        err.contains("approvals") && err.contains("proc-snapshot"),
        "{err}"
    );
    let report = json(&dir.join("mixed-logistics-digital-twin/report.json"));
    assert_eq!(
        report["plan_execution"]["lease_writes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(dir.join("mockfs/proc/lease/preemptions").is_file());

    // A renew of a lease that does not exist: the queen refuses; exit 1, report written.
    let book = dir.join("bad.toml");
    std::fs::write(
        &book,
        "id = \"renew-missing\"\ntitle = \"t\"\nfleet = \"mixed\"\nobjective = \"o\"\ntelemetry_device_id = \"d\"\n\
         [[leases]]\nop = \"renew\"\nid = \"no-such-lease\"\nttl_s = 30\n",
    )
    .unwrap();
    let o = run(&[
        "--playbook-file",
        book.to_str().unwrap(),
        "--mock",
        "--mock-root",
        dir.join("mock2").to_str().unwrap(),
        "--no-host-snapshot",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    let report = json(&dir.join("renew-missing/report.json"));
    assert_eq!(report["failure"]["step"], "leases");
    assert_eq!(report["failure"]["lines"][0]["outcome"], "refused");
    assert!(report["failure"]["lines"][0]["ack"]
        .as_str()
        .unwrap()
        .starts_with("ERR ECHO"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn conflicting_backend_flags_are_usage_errors_naming_the_conflict() {
    let pairs: [(&[&str], &str); 9] = [
        (&["--mock", "--tcp-host", "h"], "--tcp-host"),
        (&["--mock", "--tcp-port", "1"], "--tcp-port"),
        (&["--mock", "--rest-url", "http://x"], "--rest-url"),
        (&["--mock", "--mount-root", "/m"], "--mount-root"),
        (
            &["--mount-root", "/m", "--rest-url", "http://x"],
            "--rest-url",
        ),
        (&["--mount-root", "/m", "--tcp-host", "h"], "--tcp-host"),
        (&["--rest-url", "http://x", "--tcp-host", "h"], "--tcp-host"),
        (&["--fleet", "f.toml", "--mock"], "--mock"),
        (
            &["--playbook", "a", "--playbook-file", "b.toml"],
            "--playbook-file",
        ),
    ];
    for (args, named) in pairs {
        let o = run(args);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("cannot be used with") && err.contains(named),
            "{args:?}: {err}"
        );
    }
    for args in [
        &["--mock-root", "/x"][..],
        &["--include-mig"],
        &["--concurrency", "4"],
        &["--fleet", "f.toml", "--shard", "0/2", "--shard-count", "2"],
    ] {
        assert_eq!(run(args).status.code(), Some(2), "{args:?}");
    }
    let o = run(&["--playbook", "nope", "--dry-run"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("unknown playbook 'nope'. expected one of: jetson-critical-infra, "),
        "{err}"
    );
}

/// A fleet of two `coh-queen --queens` simulators and one unreachable queen: two reports
/// ok, one unreachable, exit 1; shard summaries merge into the whole.
#[test]
fn fleets_run_against_coh_queen_and_merge() {
    let dir = tmp("fleet");
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = probe.local_addr().unwrap().port();
    drop(probe);
    let mut queen = Command::new(env!("CARGO_BIN_EXE_coh-queen"))
        .args([
            "--bind",
            &format!("127.0.0.1:{base}"),
            "--queens",
            "2",
            "--auth-token",
            "fleet-secret",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until both answer.
    for port in [base, base + 1] {
        let mut up = false;
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                up = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(up, "coh-queen did not listen on {port}");
    }
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let fleet = dir.join("FLEET.toml");
    std::fs::write(
        &fleet,
        format!(
            "[[queen]]\nname = \"a\"\ntcp = \"127.0.0.1:{base}\"\ntoken_env = \"FT\"\n\
             [[queen]]\nname = \"b\"\ntcp = \"127.0.0.1:{}\"\ntoken_env = \"FT\"\n\
             [[queen]]\nname = \"down\"\ntcp = \"127.0.0.1:{dead}\"\ntoken_env = \"FT\"\n",
            base + 1
        ),
    )
    .unwrap();
    let args = |out: &Path, extra: &[&str]| {
        let mut a = vec![
            "--playbook".to_owned(),
            "mac-release-factory".into(),
            "--fleet".into(),
            fleet.display().to_string(),
            "--no-host-snapshot".into(),
            "--quiet".into(),
            "--out".into(),
            out.display().to_string(),
        ];
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let all = dir.join("all");
    let o = bin()
        .args(args(&all, &[]))
        .env("FT", "fleet-secret")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    let summary = json(&all.join("mac-release-factory/fleet.json"));
    assert_eq!(
        summary["totals"],
        serde_json::json!({"ok": 2, "unreachable": 1})
    );
    let mut shard_dirs = Vec::new();
    for i in 0..2 {
        let d = dir.join(format!("s{i}"));
        let o = bin()
            .args(args(&d, &["--shard-count", "2"]))
            .env("FT", "fleet-secret")
            .env("JOB_COMPLETION_INDEX", i.to_string())
            .output()
            .unwrap();
        assert!(o.status.code().is_some(), "{:?}", text(&o));
        shard_dirs.push(d.join("mac-release-factory"));
    }
    let merged = dir.join("merged.json");
    let o = bin()
        .arg("merge")
        .args(&shard_dirs)
        .args(["--out", merged.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    let m = json(&merged);
    assert_eq!(m["totals"], summary["totals"]);
    let names = |v: &serde_json::Value| -> Vec<String> {
        v["queens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q["queen"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(names(&m), names(&summary));
    // The token never reaches a report.
    for entry in walk(&dir) {
        let t = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(!t.contains("fleet-secret"), "{}", entry.display());
    }
    let _ = queen.kill();
    let _ = queen.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
