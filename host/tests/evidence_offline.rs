//! The offline tools on hand-made packs: the CI summary failing on each §8.3 rule and on a
//! manifest mismatch, the timeline's fields and sort order, the SIEM export's bytes,
//! determinism and ticket hashing, and the Markdown report.
//!
//! The base pack is the one upstream's own CI/SIEM example test builds (its data, with
//! this build's manifest hash so the cross-check passes).

use std::path::{Path, PathBuf};

use cohesix::evidence::{ci, markdown, redact, siem, timeline, EvidenceError};
use serde_json::json;

const HASH: &str = cohesix_generated::MANIFEST_SHA256;
const OTHER: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

fn pretty(v: &serde_json::Value) -> Vec<u8> {
    format!("{}\n", serde_json::to_string_pretty(v).unwrap()).into_bytes()
}

/// Upstream's example pack (tools/cohesix-py/tests/test_examples_ci_siem.py), manifest
/// hash `manifest` in meta.json and bounds.json.
fn base_pack(tag: &str, manifest: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cohesix-evoff-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let meta = json!({"schema": "cohesix-evidence-pack/meta-v1", "manifest_sha256": manifest,
        "policy_sha256": "bead", "redaction_ticket": "sha256", "with_telemetry": false});
    write(&dir, "meta.json", &pretty(&meta));
    let mut bounds = cohesix::evidence::pack::local_bounds();
    bounds["manifest_sha256"] = manifest.into();
    write(&dir, "bounds.json", &pretty(&bounds));
    let summary = json!({"schema": "cohesix-evidence-pack/summary-v1", "captured": 1,
        "missing": 0, "errors": 0, "items": []});
    write(&dir, "summary.json", &pretty(&summary));
    write(&dir, "log/queen.log", b"boot ok\n");
    write(&dir, "proc/schedule/summary", b"queue=0\n");
    write(&dir, "proc/schedule/queue", b"");
    write(&dir, "proc/lease/summary", b"active=0\n");
    write(&dir, "proc/lease/active", b"");
    write(&dir, "proc/lease/preemptions", b"");
    write(&dir, "audit/export", b"{\"journal_base\":0,\"journal_next\":1,\"decisions_base\":0,\"decisions_next\":0,\"replay_enabled\":false,\"replay_max_entries\":0}\n");
    write(&dir, "audit/journal", b"{\"seq\":1,\"kind\":\"queen-ctl\",\"path\":\"/queen/ctl\",\"payload\":\"{}\",\"outcome\":\"ok\",\"error\":null,\"role\":\"queen\",\"ticket\":\"sha256:dead\"}\n");
    write(&dir, "audit/decisions", b"");
    dir
}

#[test]
fn the_base_pack_passes_and_upstreams_own_fails_only_the_manifest_check() {
    let dir = base_pack("ok", HASH);
    let c = ci::check(&dir, "p");
    assert!(c.ok(), "{}", c.to_json());
    assert!(!c.manifest.has_target());
    let v: serde_json::Value = serde_json::from_str(&c.to_json()).unwrap();
    assert_eq!(v["schema"], "cohesix-ci-evidence-pack/v1");
    assert_eq!(v["pack_dir"], "p");
    assert_eq!(v["checks"][0]["name"], "manifest_sha256");
    let _ = std::fs::remove_dir_all(&dir);

    let dir = base_pack("upstream", "deadbeef");
    let c = ci::check(&dir, "p");
    assert!(!c.ok());
    assert!(c.missing.is_empty());
    assert_eq!(
        c.errors,
        [format!(
            "manifest_sha256: pack deadbeef differs from build {HASH}"
        )]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Applies `mutate` to a fresh base pack and returns the summary.
fn broken(tag: &str, mutate: impl FnOnce(&Path)) -> ci::CiSummary {
    let dir = base_pack(tag, HASH);
    mutate(&dir);
    let c = ci::check(&dir, "p");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!c.ok(), "{tag}: {}", c.to_json());
    c
}

#[test]
fn each_rule_fails_the_summary() {
    for rel in ["meta.json", "bounds.json", "summary.json", "log/queen.log"] {
        let c = broken("required", |d| std::fs::remove_file(d.join(rel)).unwrap());
        assert!(
            c.missing.contains(&rel.to_owned()),
            "{rel}: {:?}",
            c.missing
        );
        assert!(c.errors.contains(&format!("{rel}: missing")), "{rel}");
    }
    for rel in [
        "proc/schedule/summary",
        "proc/schedule/queue",
        "proc/lease/summary",
        "proc/lease/active",
        "proc/lease/preemptions",
    ] {
        let c = broken("proc", |d| std::fs::remove_file(d.join(rel)).unwrap());
        assert_eq!(c.missing, [rel]);
        assert_eq!(c.errors, [format!("{rel}: missing")]);
    }
    let c = broken("bound", |d| write(d, "proc/lease/active", &[b'x'; 257]));
    assert_eq!(c.missing, ["proc/lease/active"]);
    assert_eq!(c.errors, ["proc/lease/active: size 257 exceeds bound 256"]);
    // A node the bounds disable need not be there, but may not exceed its bound.
    let disable = |d: &Path| {
        let mut b: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("bounds.json")).unwrap()).unwrap();
        b["observability"]["proc_schedule"]["queue"] = false.into();
        write(d, "bounds.json", &pretty(&b));
    };
    let dir = base_pack("disabled", HASH);
    disable(&dir);
    std::fs::remove_file(dir.join("proc/schedule/queue")).unwrap();
    assert!(ci::check(&dir, "p").ok());
    let _ = std::fs::remove_dir_all(&dir);
    let c = broken("disabled-big", |d| {
        disable(d);
        write(d, "proc/schedule/queue", &[b'q'; 300]);
    });
    assert_eq!(
        c.errors,
        ["proc/schedule/queue: size 300 exceeds bound 256"]
    );
    for rel in ["audit/journal", "audit/decisions"] {
        let c = broken("audit", |d| std::fs::remove_file(d.join(rel)).unwrap());
        assert_eq!(c.missing, [rel]);
    }
    // Without an export, the audit logs are optional.
    let dir = base_pack("no-export", HASH);
    for rel in ["audit/export", "audit/journal", "audit/decisions"] {
        std::fs::remove_file(dir.join(rel)).unwrap();
    }
    assert!(ci::check(&dir, "p").ok());
    let _ = std::fs::remove_dir_all(&dir);
    let c = broken("leak", |d| {
        write(
            d,
            "audit/journal",
            b"{\"ticket\":\"cohesix-ticket-00.11\"}\n",
        )
    });
    assert_eq!(c.errors, ["audit/journal: leaked ticket token"]);
    assert!(c.missing.is_empty());
    let c = broken("replay", |d| write(d, "replay/status", &[b'r'; 1025]));
    assert_eq!(c.errors, ["replay/status: size 1025 exceeds bound 1024"]);
    let c = broken("bad-bounds", |d| write(d, "bounds.json", b"not json"));
    assert!(c
        .errors
        .contains(&"bounds.json: not a JSON object".to_owned()));
    let c = broken("bad-summary", |d| {
        write(d, "summary.json", b"{\"schema\":1}")
    });
    assert!(c.errors[0].starts_with("summary.json: "), "{:?}", c.errors);
}

#[test]
fn a_manifest_mismatch_fails_naming_its_source() {
    let c = broken("boot", |d| {
        write(
            d,
            "proc/boot",
            format!("[INFO] boot manifest.sha256={HASH}\nmanifest.sha256={OTHER}\n").as_bytes(),
        )
    });
    assert!(c.missing.is_empty());
    assert_eq!(
        c.errors,
        [format!(
            "manifest_sha256: pack {HASH} differs from proc/boot {OTHER}"
        )]
    );
    assert!(c.manifest.has_target() && !c.manifest.ok());
    let c = broken("log", |d| {
        write(
            d,
            "log/queen.log",
            format!("boot complete manifest.sha256={OTHER}\n").as_bytes(),
        )
    });
    assert_eq!(
        c.errors,
        [format!(
            "manifest_sha256: pack {HASH} differs from log/queen.log {OTHER}"
        )]
    );
    let c = broken("gateway", |d| {
        let mut b: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("bounds.json")).unwrap()).unwrap();
        b["manifest_sha256"] = OTHER.into();
        write(d, "bounds.json", &pretty(&b));
    });
    assert_eq!(
        c.errors,
        [format!(
            "manifest_sha256: pack {HASH} differs from bounds.json {OTHER}"
        )]
    );
    let c = broken("meta", |d| {
        let mut m: serde_json::Value =
            serde_json::from_slice(&std::fs::read(d.join("meta.json")).unwrap()).unwrap();
        m.as_object_mut().unwrap().remove("manifest_sha256");
        write(d, "meta.json", &pretty(&m));
    });
    assert_eq!(
        c.errors,
        ["manifest_sha256: meta.json has no manifest_sha256"]
    );
    let v: serde_json::Value = serde_json::from_str(&c.to_json()).unwrap();
    assert_eq!(v["checks"][0]["ok"], false);
}

fn ticket_pack(tag: &str) -> PathBuf {
    let dir = base_pack(tag, HASH);
    let journal = [
        json!({"seq": 5, "kind": "host-control", "path": "/host/tickets/spec", "payload": r#"{"schema":"host-ticket/v1","id":"t-9","idempotency_key":"k-9","action":"k8s.drain","target":"/host/k8s/node/n1/drain"}"#, "outcome": "ok", "error": null, "role": "queen", "ticket": "none"}),
        json!({"seq": 2, "kind": "queen-ctl", "path": "/queen/ctl", "payload": "{}", "outcome": "err", "error": "denied", "role": "queen", "ticket": "cohesix-ticket-aa.bb"}),
        json!({"note": "no seq, no kind"}),
    ];
    let lines: String = journal.iter().map(|v| format!("{v}\n")).collect();
    write(&dir, "audit/journal", lines.as_bytes());
    write(
        &dir,
        "audit/decisions",
        b"{\"seq\":3,\"kind\":\"policy-gate\",\"outcome\":\"deny\",\"path\":\"/queen/ctl\",\"role\":\"queen\",\"ticket\":\"none\"}\n",
    );
    write(&dir, "host/tickets/spec", b"{\"schema\":\"host-ticket/v1\",\"id\":\"t-9\",\"idempotency_key\":\"k-9\",\"action\":\"k8s.drain\"}\n{\"schema\":\"host-ticket/v1\",\"id\":\"t-1\",\"idempotency_key\":\"k-1\",\"action\":\"systemd.stop\"}\n{\"id\":\"no-key\"}\n");
    write(&dir, "host/tickets/status", b"{\"schema\":\"host-ticket-result/v1\",\"id\":\"t-9\",\"idempotency_key\":\"k-9\",\"action\":\"k8s.drain\",\"state\":\"running\",\"message\":\"draining\"}\n");
    write(&dir, "proc/lease/active", b"id=l-2 subject=queen resource=gpu1 ttl_s=60 priority=300 state=ACTIVE seq=7\nid=l-1 subject=queen resource=gpu0 ttl_s=30 priority=1 state=ACTIVE seq=4\ngarbage line\n");
    dir
}

#[test]
fn timeline_fields_sort_order_and_markdown() {
    let dir = ticket_pack("timeline");
    let t = timeline::write(&dir).unwrap();
    assert_eq!(
        t.skipped, 2,
        "the key-less spec line and the garbage lease line"
    );
    let order: Vec<(Option<u64>, Option<u64>, String, String)> = t
        .events
        .iter()
        .map(|e| {
            (
                e.seq,
                e.lease_seq,
                e.kind.clone(),
                e.correlation_key.clone().unwrap_or_default(),
            )
        })
        .collect();
    let s = |v: &str| v.to_owned();
    assert_eq!(
        order,
        [
            (Some(2), None, s("queen-ctl"), s("")),
            (Some(3), None, s("policy-gate"), s("")),
            (Some(5), None, s("host-control"), s("t-9:k-9")),
            (None, Some(4), s("lease.active"), s("")),
            (None, Some(7), s("lease.active"), s("")),
            (None, None, s("unknown"), s("")),
            (None, None, s("host-ticket.spec"), s("t-1:k-1")),
            (None, None, s("host-ticket.spec"), s("t-9:k-9")),
            (None, None, s("host-ticket.status"), s("t-9:k-9")),
        ]
    );
    let nd = std::fs::read_to_string(dir.join("timeline.ndjson")).unwrap();
    let lines: Vec<&str> = nd.lines().collect();
    // The journal's ticket write carries the ticket's identity; keys sorted, compact.
    assert_eq!(
        lines[2],
        r#"{"correlation_key":"t-9:k-9","id":"t-9","idempotency_key":"k-9","kind":"host-control","outcome":"ok","path":"/host/tickets/spec","payload":"{\"schema\":\"host-ticket/v1\",\"id\":\"t-9\",\"idempotency_key\":\"k-9\",\"action\":\"k8s.drain\",\"target\":\"/host/k8s/node/n1/drain\"}","role":"queen","schema":"cohesix-evidence-pack/timeline-v1","seq":5,"source":"audit/journal","state":"queued","target":"/host/k8s/node/n1/drain","ticket":"none","ticket_action":"k8s.drain"}"#
    );
    assert_eq!(
        lines[4],
        r#"{"id":"l-2","kind":"lease.active","lease_seq":7,"priority":300,"resource":"gpu1","schema":"cohesix-evidence-pack/timeline-v1","source":"proc/lease/active","state":"ACTIVE","subject":"queen","ttl_s":60}"#
    );
    assert_eq!(
        lines[8],
        r#"{"correlation_key":"t-9:k-9","id":"t-9","idempotency_key":"k-9","kind":"host-ticket.status","outcome":"running","path":"/host/tickets/status","payload":"draining","schema":"cohesix-evidence-pack/timeline-v1","source":"host/tickets/status","state":"running","ticket_action":"k8s.drain"}"#
    );
    let md = std::fs::read_to_string(dir.join("timeline.md")).unwrap();
    assert_eq!(
        md,
        "# Evidence timeline\n\nevents: 9\nskipped lines: 2\n\n\
         - seq=2 kind=queen-ctl source=audit/journal outcome=err path=/queen/ctl\n\
         - seq=3 kind=policy-gate source=audit/decisions outcome=deny path=/queen/ctl\n\
         - seq=5 kind=host-control source=audit/journal outcome=ok path=/host/tickets/spec\n\
         - lease_seq=4 id=l-1 subject=queen resource=gpu0 state=ACTIVE\n\
         - lease_seq=7 id=l-2 subject=queen resource=gpu1 state=ACTIVE\n\
         - ticket=t-1:k-1 action=systemd.stop state=queued source=host/tickets/spec target=\n\
         - ticket=t-9:k-9 action=k8s.drain state=queued source=host/tickets/spec target=\n\
         - ticket=t-9:k-9 action=k8s.drain state=running source=host/tickets/status target=\n"
    );
    write(&dir, "audit/decisions", b"[1,2]\n");
    match timeline::build(&dir) {
        Err(EvidenceError::Pack { file, reason }) => {
            assert_eq!(
                (file.as_str(), reason.as_str()),
                ("audit/decisions", "line 1 is not a JSON object")
            );
        }
        other => panic!("{other:?}"),
    }
    write(&dir, "audit/decisions", b"\xff\n");
    assert!(timeline::build(&dir).is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn siem_lines_are_pythons_bytes_sorted_deterministic_and_ticket_free() {
    // Upstream's example pack: the exact line Python's json.dumps(sort_keys=True) writes.
    let dir = base_pack("siem-upstream", HASH);
    let out = siem::export(&dir).unwrap().to_ndjson();
    assert_eq!(
        out,
        "{\"error\": null, \"kind\": \"queen-ctl\", \"outcome\": \"ok\", \"path\": \"/queen/ctl\", \"payload\": \"{}\", \"role\": \"queen\", \"schema\": \"cohesix-siem-event/v1\", \"seq\": 1, \"source\": \"audit/journal\", \"ticket\": \"sha256:dead\"}\n"
    );
    let _ = std::fs::remove_dir_all(&dir);

    let dir = ticket_pack("siem");
    let a = siem::export(&dir).unwrap();
    let b = siem::export(&dir).unwrap();
    assert_eq!(a.to_ndjson(), b.to_ndjson());
    assert_eq!(a.skipped, 1);
    let text = a.to_ndjson();
    assert!(!text.contains("cohesix-ticket-"), "{text}");
    assert!(text.contains(&redact::hash_ticket("cohesix-ticket-aa.bb")));
    let labels: Vec<String> = a
        .events
        .iter()
        .map(|e| {
            format!(
                "{}/{}",
                e["source"].as_str().unwrap(),
                e["seq"].as_u64().or(e["lease_seq"].as_u64()).unwrap_or(0)
            )
        })
        .collect();
    assert_eq!(
        labels,
        [
            "audit/journal/2",
            "audit/decisions/3",
            "audit/journal/5",
            "proc/lease/active/4",
            "proc/lease/active/7",
            "audit/journal/0",
        ]
    );
    // Nulls are kept; decisions carry their own key set.
    assert_eq!(a.events[5]["kind"], serde_json::Value::Null);
    assert_eq!(
        a.events[1].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["id", "kind", "outcome", "path", "role", "schema", "seq", "source", "target", "ticket"]
    );
    assert!(text
        .lines()
        .all(|l| l.starts_with('{') && l.contains("\"schema\": \"cohesix-siem-event/v1\"")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn markdown_report_of_an_incomplete_pack_says_so() {
    let dir = ticket_pack("md");
    std::fs::remove_file(dir.join("summary.json")).unwrap();
    let md = markdown::report(&dir, "pk|1", 2);
    assert!(md.starts_with("# Evidence pack `pk\\|1`\n"), "{md}");
    assert!(
        md.contains("| summary.json | **absent: the pack is incomplete** |"),
        "{md}"
    );
    assert!(
        md.contains("| CI checks | **not ok** (1 missing, 2 errors) |"),
        "{md}"
    );
    assert!(md.contains("- summary.json: missing"), "{md}");
    assert!(md.contains("## Last 1 decisions"), "{md}");
    assert!(
        md.contains("| 3 | policy-gate | deny |  |  | /queen/ctl | queen |"),
        "{md}"
    );
    assert!(
        md.contains("events: 9 — audit/journal 3, audit/decisions 1"),
        "{md}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
