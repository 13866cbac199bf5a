//! The nine built-in playbooks through `cohesix-playbook --mount-root` against a `coh mount`
//! of `coh-queen`, and through `--tcp-host` against a second, identical `coh-queen`: the
//! same control lines, the same audit, the same `/proc` snapshot and telemetry segment (the
//! host snapshot itself is machine state captured twice, so only its push is compared by
//! device, segment and mode).

mod coh_mount_support;

use std::path::Path;
use std::process::Command;

use coh_mount_support::*;
use serde_json::Value;

fn playbook(args: &[String]) -> std::process::Output {
    cohesix_testsupport::env::hermetic(&mut Command::new(env!("CARGO_BIN_EXE_cohesix-playbook")))
        .args(args)
        .output()
        .unwrap()
}

fn ids() -> Vec<String> {
    let o = playbook(&["--list".into()]);
    assert!(o.status.success());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p["playbook_id"].as_str().unwrap().to_owned())
        .collect()
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// What must match between the transports.
fn comparable(report: &Value, audit: &str) -> Value {
    let push = &report["telemetry_push"];
    let audit: Vec<String> = audit
        .lines()
        .map(|l| {
            // A telemetry record's size follows the host snapshot's bytes: keep the path.
            if l.contains("path=/queen/telemetry/") && l.contains("/seg/") {
                l.split(" bytes=").next().unwrap_or(l).to_owned()
            } else {
                l.to_owned()
            }
        })
        .collect();
    serde_json::json!({
        "plan_execution": report["plan_execution"],
        "proc_snapshot": report["proc_snapshot"],
        "run_id": report["run_id"],
        "failure": report["failure"],
        "dry_run": report["dry_run"],
        "push": [push["device_id"], push["seg_id"], push["mode"]],
        "audit": audit,
    })
}

#[test]
fn the_nine_playbooks_write_the_same_control_lines_through_a_mount_as_over_tcp() {
    if !fuse_ok("playbooks through coh mount") {
        return;
    }
    let dir = tmp("playbooks");
    let tcp_queen = Queen::start(free_port(), "pb-tcp-token");
    let mount_queen = Queen::start(free_port(), "pb-mount-token");
    let at = dir.join("m");
    let m = CohMount::start(&mount_queen.flags(), &at, &[]);
    let ids = ids();
    assert_eq!(ids.len(), 9, "{ids:?}");
    for id in &ids {
        let common = |out: &Path| -> Vec<String> {
            vec![
                "--playbook".into(),
                id.clone(),
                "--run-seed".into(),
                format!("mount-{id}"),
                "--quiet".into(),
                "--out".into(),
                out.display().to_string(),
            ]
        };
        let tcp_out = dir.join("tcp");
        let mut args = common(&tcp_out);
        args.extend([
            "--tcp-host".into(),
            "127.0.0.1".into(),
            "--tcp-port".into(),
            tcp_queen.port.to_string(),
            "--auth-token".into(),
            tcp_queen.token.into(),
        ]);
        let o_tcp = playbook(&args);
        let mount_out = dir.join("mount");
        let mut args = common(&mount_out);
        args.extend(["--mount-root".into(), at.display().to_string()]);
        let o_mount = playbook(&args);
        assert_eq!(
            o_mount.status.code(),
            o_tcp.status.code(),
            "{id}: {} / {} / {}",
            String::from_utf8_lossy(&o_tcp.stderr),
            String::from_utf8_lossy(&o_mount.stderr),
            m.stderr()
        );
        let r_tcp = json(&tcp_out.join(id).join("report.json"));
        let r_mount = json(&mount_out.join(id).join("report.json"));
        let a_tcp = std::fs::read_to_string(tcp_out.join(id).join("audit.txt")).unwrap();
        let a_mount = std::fs::read_to_string(mount_out.join(id).join("audit.txt")).unwrap();
        assert_eq!(
            comparable(&r_mount, &a_mount),
            comparable(&r_tcp, &a_tcp),
            "{id}: mount vs tcp"
        );
        // The runs did write: approvals reached /actions (upstream's mount fails there).
        let writes = r_mount["plan_execution"]["approval_writes"]
            .as_array()
            .unwrap();
        assert!(!writes.is_empty(), "{id}");
        assert!(r_mount["failure"].is_null(), "{id}: {}", r_mount["failure"]);
        assert!(
            r_mount["telemetry_push"]["seg_id"].is_string(),
            "{id}: the host snapshot was pushed through the mount"
        );
    }
    drop(m);
    let _ = std::fs::remove_dir_all(&dir);
}
