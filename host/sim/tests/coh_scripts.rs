//! Runs the upstream `.coh` regression scripts (fixtures/upstream/scripts/cohsh) against the
//! simulator through a small test-local translation of the cohsh shell commands they use.

mod common;

use std::path::PathBuf;

use cohesix_sim::{Features, SimHandle};
use common::{frame, start, Client};
use serde_json::json;

fn script(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/upstream/scripts/cohsh")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// cohsh `echo <text> > <path>`: text before the first `>`, trimmed, one quote pair removed.
fn echo_parts(rest: &str) -> (String, String) {
    let (text, path) = rest.split_once('>').expect("echo without >");
    let mut text = text.trim();
    for q in ['"', '\''] {
        if text.len() >= 2 && text.starts_with(q) && text.ends_with(q) {
            text = &text[1..text.len() - 1];
        }
    }
    (text.to_string(), path.trim().to_string())
}

fn spawn_json(args: &[&str]) -> String {
    let mut ticks = 0u64;
    let mut budget = serde_json::Map::new();
    for a in args.iter().skip(1) {
        let (k, v) = a.split_once('=').expect("k=v");
        let v: u64 = v.parse().unwrap();
        match k {
            "ticks" => ticks = v,
            "ttl_s" | "ops" => {
                budget.insert(k.to_string(), json!(v));
            }
            other => panic!("spawn arg {other}"),
        }
    }
    let mut m = serde_json::Map::new();
    m.insert("spawn".into(), json!(args[0]));
    m.insert("ticks".into(), json!(ticks));
    if !budget.is_empty() {
        m.insert("budget".into(), serde_json::Value::Object(budget));
    }
    serde_json::Value::Object(m).to_string()
}

/// Sends one translated command; returns its response line (the ack, or for streams the
/// opening ack), or `None` for cohsh-local commands.
async fn run_command(c: &mut Client, sim: &SimHandle, line: &str) -> Option<String> {
    let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
    let rest = rest.trim();
    let wire = match verb {
        "help" => return None,
        "attach" => format!("ATTACH {rest}"),
        "detach" => {
            let r = c.cmd("quit").await;
            *c = Client::connect_fresh(sim).await;
            return Some(r);
        }
        "cat" | "ls" | "tail" => {
            // cohsh prints the body lines after the ack; EXPECT SUBSTR sees both.
            let (ack, lines) = c
                .stream_cmd(&format!("{} {rest}", verb.to_uppercase()))
                .await;
            let mut out = ack;
            for l in lines {
                out.push('\n');
                out.push_str(&l);
            }
            return Some(out);
        }
        "log" => {
            let (ack, _) = c.stream_cmd("TAIL /log/queen.log").await;
            return Some(ack);
        }
        "echo" => {
            let (text, path) = echo_parts(rest);
            if text == "{{msize_overflow}}" {
                let line = format!("ECHO {path} {}", "x".repeat(8256));
                c.raw(&frame(line.as_bytes())).await;
                return Some(c.recv().await);
            }
            format!("ECHO {path} {text}")
        }
        "lifecycle" => format!("ECHO /queen/lifecycle/ctl {rest}"),
        "spawn" => {
            let args: Vec<&str> = rest.split_whitespace().collect();
            format!("ECHO /queen/ctl {}", spawn_json(&args))
        }
        "kill" => format!("ECHO /queen/ctl {}", json!({ "kill": rest })),
        "bind" => {
            let (from, to) = rest.split_once(' ').unwrap();
            format!(
                "ECHO /queen/ctl {}",
                json!({"bind": {"from": from, "to": to.trim()}})
            )
        }
        "quit" => "quit".to_string(),
        other => panic!("command {other} is not translated"),
    };
    Some(c.cmd(&wire).await)
}

/// Runs `name`; returns the first failed expectation (line number, text) if any.
async fn run_script(name: &str, features: Features) -> Result<usize, String> {
    let (sim, _) = start(features).await;
    let mut c = Client::connect_fresh(&sim).await;
    let mut last: Option<String> = None;
    let mut checks = 0;
    for (no, raw) in script(name).lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with("WAIT ") {
            continue;
        }
        if let Some(exp) = line.strip_prefix("EXPECT ") {
            let resp = last.clone().unwrap_or_default();
            let ok = match exp.split_once(' ').unwrap_or((exp, "")) {
                ("OK", _) => resp.starts_with("OK"),
                ("ERR", _) => resp.starts_with("ERR"),
                ("SUBSTR", s) => resp.contains(s),
                ("NOT", s) => !resp.contains(s),
                _ => panic!("bad EXPECT {exp}"),
            };
            if !ok {
                sim.shutdown().await;
                return Err(format!("{name}:{}: {line} (got {resp:?})", no + 1));
            }
            checks += 1;
            continue;
        }
        last = run_command(&mut c, &sim, line).await;
        if line == "quit" {
            break;
        }
    }
    sim.shutdown().await;
    Ok(checks)
}

#[tokio::test]
async fn regression_scripts_pass_on_the_shipped_profile() {
    for name in [
        "9p_batch.coh",
        "boot_v0.coh",
        "busy_backpressure.coh",
        "host_absent.coh",
        "lifecycle_drain_spool.coh",
        "observe_watch.coh",
        "root_cut_basic.coh",
        "session_lifecycle.coh",
        "shard_1k.coh",
        "tcp_basic.coh",
        "telemetry_ring.coh",
    ] {
        let checks = run_script(name, Features::shipped()).await.unwrap();
        assert!(
            checks > 0 || name == "tcp_basic.coh",
            "{name} checked nothing"
        );
    }
}

#[tokio::test]
async fn regression_scripts_pass_on_the_full_profile() {
    for name in [
        "policy_gate.coh",
        "peft_roundtrip.coh",
        "busy_backpressure.coh",
        // `drain`/`quiesce` take effect only with the upstream 0.9 lifecycle.
        "lifecycle_basic.coh",
        "lifecycle_reboot_resume.coh",
        // AuditFS + replay: two host-control writes replay to FNV-1a 6df28b82c98d2471.
        "replay_journal.coh",
    ] {
        let checks = run_script(name, Features::full()).await.unwrap();
        assert!(checks > 0, "{name} checked nothing");
    }
}

#[tokio::test]
async fn run_demo_fails_at_its_first_echo_like_the_real_queen() {
    let err = run_script("run_demo.coh", Features::full())
        .await
        .unwrap_err();
    assert!(err.contains("run_demo.coh:7:"), "{err}");
    assert!(
        err.contains("argument payload exceeds allowed length"),
        "{err}"
    );
}

#[tokio::test]
async fn shipped_profile_refuses_drain_after_cordon_like_the_real_queen() {
    // The real 0.3.0-alpha2 queen answers `lifecycle drain` after `cordon` with
    // `ERR ECHO reason=policy detail=denied path=/queen/lifecycle/ctl error=EPERM`.
    let err = run_script("lifecycle_reboot_resume.coh", Features::shipped())
        .await
        .unwrap_err();
    assert!(err.starts_with("lifecycle_reboot_resume.coh:8:"), "{err}");
    assert!(
        err.contains("detail=denied path=/queen/lifecycle/ctl error=EPERM"),
        "{err}"
    );
}
