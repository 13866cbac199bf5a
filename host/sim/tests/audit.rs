//! AuditFS and replay over the console (full profile), and their absence on the shipped
//! profile (the real 0.3 queen answers `invalid-path`).

mod common;

use cohesix_core::role::Role;
use cohesix_core::ticket::{self, Claims, TicketKey, MAX_TICKET_LEN};
use cohesix_sim::Features;
use common::{start, Client};
use serde_json::Value;

async fn cat(c: &mut Client, path: &str) -> Vec<String> {
    let (ack, lines) = c.stream_cmd(&format!("CAT {path}")).await;
    assert!(ack.starts_with("OK CAT"), "{path}: {ack}");
    lines
}

fn parse(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|l| {
            assert!(l.len() <= 256, "{} bytes", l.len());
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"))
        })
        .collect()
}

fn bytes(lines: &[String]) -> u64 {
    lines.iter().map(|l| l.len() as u64 + 1).sum()
}

async fn echo(c: &mut Client, path: &str, text: &str) -> String {
    c.cmd(&format!("ECHO {path} {text}")).await
}

#[tokio::test]
async fn control_writes_and_policy_decisions_are_recorded() {
    let (sim, _) = start(Features::full()).await;
    let mut c = Client::queen(&sim).await;
    let spawn = r#"{"spawn":"heartbeat","ticks":1}"#;
    let writes: [(&str, String, bool); 9] = [
        (
            "/actions/queue",
            r#"{"id":"approve-1","target":"/queen/ctl","decision":"approve"}"#.into(),
            true,
        ),
        ("/queen/ctl", spawn.into(), true),
        ("/queen/ctl", spawn.into(), false),
        (
            "/queen/schedule/ctl",
            r#"{"id":"j1","role":"worker-gpu","priority":1,"ticks":2,"budget_ms":3}"#.into(),
            true,
        ),
        (
            "/queen/lease/ctl",
            r#"{"op":"grant","id":"l1","subject":"j1","resource":"GPU-0","ttl_s":60}"#.into(),
            true,
        ),
        (
            "/queen/export/ctl",
            r#"{"op":"open","id":"e1","ttl_s":60}"#.into(),
            true,
        ),
        (
            "/host/tickets/spec",
            r#"{"schema":"host-ticket/v1","id":"t1","idempotency_key":"k1","action":"k8s.drain"}"#
                .into(),
            true,
        ),
        ("/queen/lifecycle/ctl", "explode".into(), false),
        ("/log/queen.log", "not a control write".into(), true),
    ];
    for (path, text, ok) in &writes {
        let ack = echo(&mut c, path, text).await;
        assert_eq!(ack.starts_with("OK ECHO"), *ok, "{path}: {ack}");
    }
    assert!(echo(&mut c, "/nowhere/ctl", "x")
        .await
        .contains("invalid-path"));

    let journal = cat(&mut c, "/audit/journal").await;
    assert!(journal[0].starts_with(r#"{"seq":"#));
    let j = parse(&journal);
    let kinds: Vec<&str> = j.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "policy-queue",
            "queen-ctl",
            "queen-ctl",
            "queen-schedule",
            "queen-lease",
            "queen-export",
            "host-control",
            "queen-lifecycle"
        ]
    );
    for (e, (path, text, ok)) in j.iter().zip(writes.iter()) {
        assert_eq!(e["path"], *path);
        assert_eq!(e["payload"], text.as_str());
        assert_eq!(e["outcome"], if *ok { "ok" } else { "err" });
        assert_eq!(e["role"], "queen");
        assert_eq!(e["ticket"], "none");
        let keys: Vec<&String> = e.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 8, "{e}");
    }
    assert_eq!(j[2]["error"], "denied");
    assert_eq!(j[7]["error"], "invalid-payload");
    assert!(j[1]["error"].is_null());

    let decisions = cat(&mut c, "/audit/decisions").await;
    let d = parse(&decisions);
    let shape: Vec<(String, String)> = d
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().into(),
                e["outcome"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want = [
        ("policy-action", "approve"),
        ("policy-gate", "allow"),
        ("queen-ctl", "ok"),
        ("policy-gate", "deny"),
    ];
    assert_eq!(
        shape,
        want.map(|(k, o)| (k.to_string(), o.to_string())).to_vec()
    );
    assert_eq!(
        (d[0]["id"].as_str(), d[0]["target"].as_str()),
        (Some("approve-1"), Some("/queen/ctl"))
    );
    assert!(d[0].get("path").is_none());
    assert_eq!(d[1]["id"], "approve-1");
    assert_eq!(d[1]["path"], "/queen/ctl");
    assert_eq!(d[2]["id"], "worker-1");
    assert!(d[3].get("id").is_none() && d[3]["path"] == "/queen/ctl");
    // One seq counter over both logs, no gaps.
    let mut seqs: Vec<u64> = j
        .iter()
        .chain(d.iter())
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    seqs.sort();
    assert_eq!(seqs, (1..=12).collect::<Vec<u64>>());

    let export = parse(&cat(&mut c, "/audit/export").await);
    assert_eq!(export.len(), 1);
    let x = &export[0];
    assert_eq!(x["journal_base"], 0);
    assert_eq!(x["journal_next"], bytes(&journal));
    assert_eq!(x["decisions_base"], 0);
    assert_eq!(x["decisions_next"], bytes(&decisions));
    assert_eq!(x["replay_enabled"], true);
    assert_eq!(x["replay_max_entries"], 64);
    for ro in ["/audit/decisions", "/audit/export", "/replay/status"] {
        assert_eq!(
            echo(&mut c, ro, "{}").await,
            format!("ERR ECHO reason=policy detail=denied path={ro} error=EPERM")
        );
    }
    assert_eq!(
        c.stream_cmd("LS /audit").await.1,
        ["journal", "decisions", "export"]
    );
    assert_eq!(c.stream_cmd("LS /replay").await.1, ["ctl", "status"]);
    assert_eq!(cat(&mut c, "/replay/status").await, [r#"{"state":"idle"}"#]);
    let from = format!(r#"{{"from":{}}}"#, bytes(&journal[..5]));
    assert!(echo(&mut c, "/replay/ctl", &from)
        .await
        .starts_with("OK ECHO"));
    let st = parse(&cat(&mut c, "/replay/status").await);
    assert_eq!(st[0]["state"], "ok");
    assert_eq!(st[0]["entries"], 3, "the writes after the first five");
    sim.shutdown().await;
}

#[tokio::test]
async fn the_attach_ticket_is_recorded() {
    let (sim, _) = start(Features::full()).await;
    let mut c = Client::connect_fresh(&sim).await;
    let claims = Claims::for_role(Role::Queen, None, 1_700_000_000_000).unwrap();
    let mut buf = [0u8; MAX_TICKET_LEN];
    let t = ticket::mint(&claims, &TicketKey::from_secret(b"bootstrap"), &mut buf)
        .unwrap()
        .to_string();
    assert_eq!(
        c.cmd(&format!("ATTACH queen {t}")).await,
        "OK ATTACH role=queen"
    );
    assert!(echo(&mut c, "/queen/lifecycle/ctl", "cordon")
        .await
        .starts_with("OK"));
    let j = parse(&cat(&mut c, "/audit/journal").await);
    let got = j[0]["ticket"].as_str().unwrap();
    assert!(got.len() > 40 && t.starts_with(got), "{got} vs {t}");
    // Re-attaching without a ticket records `none` again.
    assert_eq!(c.cmd("ATTACH queen").await, "OK ATTACH role=queen");
    assert!(echo(&mut c, "/queen/lifecycle/ctl", "resume")
        .await
        .starts_with("OK"));
    let j = parse(&cat(&mut c, "/audit/journal").await);
    assert_eq!(j[1]["ticket"], "none");
    sim.shutdown().await;
}

#[tokio::test]
async fn windows_stay_bounded_and_catable() {
    let (sim, _) = start(Features::full()).await;
    let mut c = Client::queen(&sim).await;
    for i in 0..300 {
        let word = if i % 2 == 0 { "cordon" } else { "resume" };
        assert!(echo(&mut c, "/queen/lifecycle/ctl", word)
            .await
            .starts_with("OK"));
        assert!(echo(&mut c, "/queen/ctl", r#"{"kill":"worker-9"}"#)
            .await
            .starts_with("ERR"));
    }
    let journal = cat(&mut c, "/audit/journal").await;
    let decisions = cat(&mut c, "/audit/decisions").await;
    assert!(journal.len() <= cohesix_sim::namespace::AUDIT_MAX_LINES);
    let x = &parse(&cat(&mut c, "/audit/export").await)[0];
    let (jb, jn) = (
        x["journal_base"].as_u64().unwrap(),
        x["journal_next"].as_u64().unwrap(),
    );
    assert!(jb > 0);
    assert_eq!(jn - jb, bytes(&journal));
    assert!(jn - jb <= cohesix_generated::ecosystem::audit::JOURNAL_MAX_BYTES as u64);
    let (db, dn) = (
        x["decisions_base"].as_u64().unwrap(),
        x["decisions_next"].as_u64().unwrap(),
    );
    assert!(db > 0);
    assert_eq!(dn - db, bytes(&decisions));
    // The newest entry is the last write.
    let last = parse(&journal[journal.len() - 1..]);
    assert_eq!(last[0]["kind"], "queen-ctl");
    let drops = sim.console().lock().unwrap().namespace().drops();
    assert!(drops.audit_journal_lines > 0 && drops.audit_decision_lines > 0);
    // A replay from before the window is refused.
    assert!(echo(&mut c, "/replay/ctl", r#"{"from":0}"#)
        .await
        .starts_with("ERR ECHO"));
    assert!(cat(&mut c, "/replay/status").await[0].starts_with(r#"{"state":"err","error":"stale"#));
    sim.shutdown().await;
}

#[tokio::test]
async fn shipped_profile_has_no_audit_or_replay() {
    let (sim, _) = start(Features::shipped()).await;
    let mut c = Client::queen(&sim).await;
    let (_, root) = c.stream_cmd("LS /").await;
    assert!(
        !root.iter().any(|e| e == "audit" || e == "replay"),
        "{root:?}"
    );
    for p in [
        "/audit/export",
        "/audit/journal",
        "/audit/decisions",
        "/replay/status",
    ] {
        assert_eq!(
            c.cmd(&format!("CAT {p}")).await,
            format!("ERR CAT reason=policy detail=invalid-path path={p} error=invalid path")
        );
    }
    assert!(c
        .cmd("LS /audit")
        .await
        .starts_with("ERR LS reason=policy detail=invalid-path"));
    assert!(echo(&mut c, "/replay/ctl", r#"{"from":0}"#)
        .await
        .contains("invalid-path"));
    assert!(echo(&mut c, "/queen/lifecycle/ctl", "cordon")
        .await
        .starts_with("OK"));
    sim.shutdown().await;
}
