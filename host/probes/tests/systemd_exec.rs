//! The systemd probe and the subprocess runner against fake executables.

mod common;

use std::time::Duration;

use cohesix_probes::exec::{CommandOutput, ExecError};
use cohesix_probes::systemd::{parse_show, probe_systemd};
use cohesix_probes::ProbeStatus;
use common::FakeBin;
use serde_json::json;

fn units(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// A fake systemctl answering per unit (its second argument).
fn fake_systemctl(bin: &FakeBin) {
    bin.script(
        "systemctl",
        "case \"$2\" in\n\
         sshd.service) printf 'ActiveState=active\\nSubState=running\\nUnitFileState=enabled\\n';;\n\
         partial.service) printf 'ActiveState=inactive\\nUnitFileState=\\nnoise line\\n';;\n\
         hang.service) exec /bin/sleep 30;;\n\
         *) echo \"Failed to get properties: Unit $2 not loaded.\" >&2; exit 1;;\n\
         esac",
    );
}

#[tokio::test]
async fn reports_each_unit() {
    let bin = FakeBin::new();
    fake_systemctl(&bin);
    let exec = bin.exec(Duration::from_secs(5));
    let r = probe_systemd(&exec, &units(&["sshd.service", "partial.service"])).await;
    assert_eq!(r.status, ProbeStatus::Ok, "{r:?}");
    assert_eq!(r.provider, "systemd");
    assert_eq!(
        r.data,
        json!({"services": {
            "sshd.service": {"status": "ok", "active": "active", "sub": "running", "unit_file": "enabled"},
            "partial.service": {"status": "ok", "active": "inactive", "sub": "unknown", "unit_file": ""}
        }})
    );
    // Units are queried concurrently: the last recorded argv is either unit's.
    let argv = bin.argv("systemctl");
    assert_eq!(argv.len(), 4, "{argv:?}");
    assert_eq!(argv[0], "show");
    assert!(argv[1] == "sshd.service" || argv[1] == "partial.service");
    assert_eq!(
        argv[2..],
        units(&[
            "--property=ActiveState,SubState,UnitFileState",
            "--no-pager"
        ])
    );
}

/// Each unit's query waits until the other's has started: only concurrent queries can both
/// answer before the (generous) timeout.
#[tokio::test]
async fn units_are_queried_concurrently() {
    let bin = FakeBin::new();
    let dir = bin.path().display().to_string();
    bin.script(
        "systemctl",
        &format!(
            ": > \"{dir}/started-$2\"
             case \"$2\" in a.service) other=b.service;; *) other=a.service;; esac
             i=0
             while [ ! -e \"{dir}/started-$other\" ]; do i=$((i+1)); [ $i -gt 200 ] && exit 3; /bin/sleep 0.05; done
             printf 'ActiveState=active\\nSubState=running\\nUnitFileState=enabled\\n'"
        ),
    );
    let exec = bin.exec(Duration::from_secs(30));
    let r = probe_systemd(&exec, &units(&["a.service", "b.service"])).await;
    assert_eq!(r.status, ProbeStatus::Ok, "{r:?}");
    assert_eq!(r.data["services"]["a.service"]["active"], "active");
    assert_eq!(r.data["services"]["b.service"]["active"], "active");
}

#[tokio::test]
async fn failing_and_hanging_units_degrade_without_aborting() {
    let bin = FakeBin::new();
    fake_systemctl(&bin);
    let exec = bin.exec(Duration::from_millis(300));
    let r = probe_systemd(
        &exec,
        &units(&["sshd.service", "nope.service", "hang.service", "--evil"]),
    )
    .await;
    assert_eq!(r.status, ProbeStatus::Degraded);
    assert_eq!(r.error.as_deref(), Some("one or more services failed"));
    let s = &r.data["services"];
    assert_eq!(s["sshd.service"]["status"], "ok");
    assert_eq!(
        s["nope.service"],
        json!({"status": "error", "error": "Failed to get properties: Unit nope.service not loaded."})
    );
    assert_eq!(s["hang.service"]["status"], "error");
    assert!(s["hang.service"]["error"]
        .as_str()
        .is_some_and(|e| e.starts_with("command timed out: systemctl show hang.service")));
    assert_eq!(
        s["--evil"],
        json!({"status": "error", "error": "invalid unit name"})
    );
}

#[tokio::test]
async fn missing_tool_and_empty_request_are_skipped() {
    let bin = FakeBin::new();
    let exec = bin.exec(Duration::from_secs(5));
    let r = probe_systemd(&exec, &units(&["sshd.service"])).await;
    assert_eq!(r.status, ProbeStatus::Skipped);
    assert_eq!(r.error.as_deref(), Some("systemctl unavailable"));
    assert_eq!(r.data, json!({"services": {}}));
    let r = probe_systemd(&exec, &[]).await;
    assert_eq!(r.status, ProbeStatus::Skipped);
    assert_eq!(r.error.as_deref(), Some("no services requested"));
}

#[test]
fn garbage_show_output_reads_unknown() {
    assert_eq!(
        parse_show("\u{0}\u{1}garbage\n=\nActiveState\n"),
        json!({"status": "ok", "active": "unknown", "sub": "unknown", "unit_file": "unknown"})
    );
}

#[tokio::test]
async fn exec_reports_not_found_timeout_and_oversized_output() {
    let bin = FakeBin::new();
    bin.hanging("slow");
    bin.script("loud", "/usr/bin/yes 0123456789 | /usr/bin/head -c 100000");
    bin.printing("ok", "hello\n", 0);
    let mut exec = bin.exec(Duration::from_millis(300));
    exec.max_output_bytes = 1000;

    let e = exec.run("absent-tool", &[]).await.expect_err("absent");
    assert_eq!(
        e,
        ExecError::NotFound {
            program: "absent-tool".into()
        }
    );
    assert_eq!(e.to_string(), "command not found: absent-tool");

    let e = exec.run("slow", &["a", "b"]).await.expect_err("slow");
    assert_eq!(e.to_string(), "command timed out: slow a b");

    let e = exec.run("loud", &[]).await.expect_err("loud");
    assert_eq!(e.to_string(), "command output exceeded 1000 bytes: loud");

    let out = exec.run("ok", &[]).await.expect("ok");
    assert_eq!(out.stdout, "hello\n");
    assert!(out.success());
    // The child saw the configured PATH.
    bin.script("showpath", "echo \"$PATH\"");
    let out = exec.run("showpath", &[]).await.expect("showpath");
    assert_eq!(out.stdout.trim(), bin.path().display().to_string());
}

#[test]
fn error_text_prefers_stderr_and_truncates() {
    let out = CommandOutput {
        code: Some(1),
        stdout: "out".into(),
        stderr: format!("  {}  ", "é".repeat(600)),
    };
    assert_eq!(out.error_text().chars().count(), 512);
    let out = CommandOutput {
        code: Some(3),
        stdout: " only stdout \n".into(),
        stderr: " \n".into(),
    };
    assert_eq!(out.error_text(), "only stdout");
    let out = CommandOutput {
        code: Some(3),
        stdout: String::new(),
        stderr: String::new(),
    };
    assert_eq!(out.error_text(), "exit status 3");
}
