//! `cohesix-playbook --rest-url` through a `hive-gateway --mock` process: exit 0, the report
//! written, and every control line committed through the gateway — read back through it
//! (`GET /v1/fs/cat`) and compared with the same playbook (same run id) on `--mock`, whose
//! namespace mirror holds the same `/proc` nodes. The request token reaches no output.

mod gateway_support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use cohesix::auth::Secret;
use cohesix::backend::{lines_of, Backend, RestBackend};
use gateway_support::{files, tmp, Gateway};
use serde_json::Value;

const TOKEN: &str = "rest-playbook-token-3b8e04";
const BOOK: &str = "mixed-logistics-digital-twin";
const RUN_ID: &str = "0badcafe";

fn playbook() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cohesix-playbook"));
    cohesix_testsupport::env::hermetic(&mut c);
    c.args(["--playbook", BOOK, "--run-id", RUN_ID, "--no-host-snapshot"]);
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The `/proc` nodes the plan changes, with their read bounds (the gateway enforces the
/// bounds document's `observability` byte limits).
const NODES: [(&str, usize); 4] = [
    ("/proc/schedule/queue", 256),
    ("/proc/lease/active", 256),
    ("/proc/lease/preemptions", 256),
    ("/proc/lease/summary", 160),
];

#[test]
fn a_playbook_commits_its_plan_through_the_gateway() {
    let dir = tmp("playbook");
    let gw = Gateway::start(TOKEN, &dir.join("gateway.log"));
    let rest_out = dir.join("rest");
    let o = playbook()
        .args(["--rest-url", &gw.url, "--out", rest_out.to_str().unwrap()])
        .env("COH_REST_AUTH_TOKEN", TOKEN)
        .output()
        .expect("run cohesix-playbook");
    let out = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(!out.contains(TOKEN), "{out}");
    let printed: Value = serde_json::from_slice(&o.stdout).expect("stdout JSON");
    let report_path = rest_out.join(BOOK).join("report.json");
    assert_eq!(printed["report"], report_path.to_str().unwrap());
    let report = json(&report_path);
    assert!(report.get("failure").is_none(), "{report:#}");
    assert_eq!(report["dry_run"], false);
    assert_eq!(report["run_id"], RUN_ID);
    let plan = &report["plan_execution"];
    let count = |k: &str| plan[k].as_array().map_or(0, Vec::len);
    assert_eq!(
        (
            count("approval_writes"),
            count("schedule_writes"),
            count("lease_writes")
        ),
        (3, 2, 2),
        "{plan:#}"
    );

    // Read back through the gateway. The queen's journal records every control line it
    // committed: the report's writes, in plan order.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rest =
        RestBackend::new(&gw.url, Duration::from_secs(10), Some(Secret::new(TOKEN))).unwrap();
    let journal = rt.block_on(rest.read("/audit/journal", 64 * 1024)).unwrap();
    let committed: Vec<(String, String)> = lines_of(&journal)
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["outcome"] == "ok")
        .map(|e| {
            (
                e["path"].as_str().unwrap().into(),
                e["payload"].as_str().unwrap().into(),
            )
        })
        .collect();
    let reported: Vec<(String, String)> = ["approval_writes", "schedule_writes", "lease_writes"]
        .iter()
        .flat_map(|k| plan[*k].as_array().unwrap())
        .map(|w| {
            (
                w["path"].as_str().unwrap().into(),
                w["payload"].as_str().unwrap().into(),
            )
        })
        .collect();
    // (The journal cuts a payload to fit its line limit: the grant's loses its last byte.)
    assert_eq!(committed.len(), reported.len(), "{committed:#?}");
    for ((path, logged), (want_path, line)) in committed.iter().zip(&reported) {
        assert_eq!(path, want_path);
        assert!(
            line.starts_with(logged.as_str()) && logged.contains(&format!("-{RUN_ID}\"")),
            "{logged} is not {line}"
        );
    }
    // And the state they made: the run's (suffixed) ids.
    let through_gateway: Vec<Vec<u8>> = NODES
        .iter()
        .map(|(p, max)| rt.block_on(rest.read(p, *max)).expect(p))
        .collect();
    let queue = String::from_utf8_lossy(&through_gateway[0]);
    for id in ["logistics-plan-wave", "logistics-edge-wave"] {
        assert!(queue.contains(&format!("{id}-{RUN_ID}")), "{queue}");
    }
    let preempted = String::from_utf8_lossy(&through_gateway[2]);
    assert!(
        preempted.contains(&format!("logistics-lease-1-{RUN_ID}")),
        "{preempted}"
    );

    // The same playbook on the in-process mock commits the same lines and leaves the same
    // state (its mirror holds the /proc nodes).
    let mock_out = dir.join("mock");
    let mock_root = dir.join("mockfs");
    let o = playbook()
        .args(["--mock", "--mock-root", mock_root.to_str().unwrap()])
        .args(["--out", mock_out.to_str().unwrap()])
        .output()
        .expect("run cohesix-playbook");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let on_mock = json(&mock_out.join(BOOK).join("report.json"));
    assert_eq!(report["plan_execution"], on_mock["plan_execution"]);
    assert_eq!(report["proc_snapshot"], on_mock["proc_snapshot"]);
    for ((node, _), got) in NODES.iter().zip(&through_gateway) {
        // The mirror file of an empty node is empty where the console answers one empty
        // line: compare the lines.
        let mirrored = std::fs::read(mock_root.join(node.trim_start_matches('/'))).unwrap();
        assert_eq!(lines_of(got), lines_of(&mirrored), "{node}");
    }

    let status = gw.terminate();
    assert!(status.success(), "gateway exit on SIGTERM: {status:?}");
    for (name, bytes) in files(&dir) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(TOKEN),
            "{name} holds the token"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
