//! Evidence packs against hostile or failing targets: a scripted backend (over-long and
//! multi-byte error texts, non-UTF-8 and non-JSON audit logs, the real queen's
//! `invalid-path`, a gateway's own bounds), a target that is unreachable from the start,
//! and one that drops mid-pack (a TCP proxy that closes after N bytes and accepts no more).

mod evidence_support;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use cohesix::auth::Secret;
use cohesix::backend::{Backend, BackendKind, TcpBackend, TcpOptions};
use cohesix::evidence::{self, ci, summary::DETAIL_MAX_BYTES, EvidenceError, PackOptions, Status};
use cohesix::sim::{AuthToken, SimConfig, Simulator};
use cohesix::{Audit, Error};
use cohesix_tokio::Ack;
use evidence_support::{tempdir, tree, TOKEN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Answer = fn() -> Result<Vec<u8>, Error>;

/// A backend answering from a table; every read is recorded with its bound.
struct Scripted {
    nodes: HashMap<&'static str, Answer>,
    bounds: Option<serde_json::Value>,
    reads: Mutex<Vec<(String, usize)>>,
}

fn invalid_path(path: &str) -> Error {
    let line = format!("ERR CAT reason=policy detail=invalid-path path={path} error=invalid path");
    Error::Refused {
        verb: "CAT",
        ack: Ack::parse(&line).unwrap(),
    }
}

impl Backend for Scripted {
    fn kind(&self) -> BackendKind {
        BackendKind::Rest
    }
    async fn list(&self, path: &str) -> Result<Vec<String>, Error> {
        Err(invalid_path(path))
    }
    async fn read(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, Error> {
        self.reads
            .lock()
            .unwrap()
            .push((path.to_owned(), max_bytes));
        match self.nodes.get(path) {
            Some(f) => f(),
            None => Err(invalid_path(path)),
        }
    }
    async fn tail(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, Error> {
        self.read(path, max_bytes).await
    }
    async fn append(&self, _: &str, _: &str) -> Result<usize, Error> {
        Err(Error::Usage("read only".into()))
    }
    async fn bounds(&self) -> Result<Option<serde_json::Value>, Error> {
        Ok(self.bounds.clone())
    }
}

const OTHER_HASH: &str = "abababababababababababababababababababababababababababababababab";

#[tokio::test]
async fn hostile_answers_are_recorded_never_saved_unsanitised_and_details_are_cut_on_characters() {
    let mut nodes: HashMap<&'static str, Answer> = HashMap::new();
    nodes.insert("/proc/boot", || {
        Ok(format!("boot \u{0}ok \n manifest.sha256={OTHER_HASH}\n")
            .into_bytes()
            .into_iter()
            .chain(*b"\xff\xfe raw\n")
            .collect())
    });
    nodes.insert("/proc/lease/summary", || {
        Err(Error::Precondition(format!("x{}", "€".repeat(300))))
    });
    nodes.insert("/proc/lease/active", || {
        Err(Error::TooLarge {
            op: "read",
            path: "/proc/lease/active".into(),
            max: 256,
        })
    });
    nodes.insert("/proc/lease/preemptions", || Ok(Vec::new()));
    nodes.insert("/log/other.log", || Ok(b"line one\nline two\n".to_vec()));
    nodes.insert("/audit/export", || {
        Ok(br#"{"journal_base":10,"journal_next":50,"decisions_base":0,"decisions_next":0,"replay_enabled":false,"replay_max_entries":0}"#.to_vec())
    });
    nodes.insert("/audit/journal", || {
        Ok(b"{\"seq\":1,\"p\":\"\xff\"}\n".to_vec())
    });
    nodes.insert("/audit/decisions", || {
        Ok(b"{\"seq\":1}\nnot json {\"token\":\"SECRET-X1\"}\n".to_vec())
    });
    nodes.insert("/replay/status", || {
        Err(Error::Precondition(
            "replay refused for cohesix-ticket-00aa.ff11 \n(see log)".into(),
        ))
    });
    let mut bounds = evidence::pack::local_bounds();
    bounds["manifest_sha256"] = OTHER_HASH.into();
    bounds["paths"]["log"] = "/log/other.log".into();
    bounds["observability"]["proc_schedule"]["summary"] = false.into();
    bounds["observability"]["proc_schedule"]["queue"] = false.into();
    let b = Scripted {
        nodes,
        bounds: Some(bounds),
        reads: Mutex::new(Vec::new()),
    };
    let dir = tempdir("hostile");
    // A pack that was here before: its journal must not survive as if captured now.
    std::fs::create_dir_all(dir.join("audit")).unwrap();
    std::fs::write(dir.join("audit/journal"), b"{\"old\":true}\n").unwrap();
    std::fs::write(dir.join("summary.json"), b"{}").unwrap();

    let r = evidence::pack(&b, &PackOptions::new(&dir), &Audit::new())
        .await
        .unwrap();
    assert_eq!(r.bounds_source, evidence::BoundsSource::Target);
    let item = |rel: &str| {
        r.summary
            .items
            .iter()
            .find(|i| i.saved_as == rel)
            .unwrap_or_else(|| panic!("{rel}"))
            .clone()
    };
    // Raw text captures keep their bytes (non-UTF-8 included).
    let boot = std::fs::read(dir.join("proc/boot")).unwrap();
    assert!(boot.ends_with(b"\xff\xfe raw\n"));
    assert_eq!(item("proc/boot").bytes, Some(boot.len()));
    // Disabled by the gateway's bounds: missing, never read.
    let reads = b.reads.lock().unwrap().clone();
    for rel in ["proc/schedule/summary", "proc/schedule/queue"] {
        assert_eq!(item(rel).status, Status::Missing);
        assert!(
            !reads.iter().any(|(p, _)| p.ends_with(rel)),
            "{rel} was read"
        );
    }
    // The export's window is the journal's read bound.
    assert!(reads.contains(&("/audit/journal".into(), 40)), "{reads:?}");
    assert!(reads.contains(&("/log/other.log".into(), evidence::pack::LOG_MAX_BYTES)));
    assert_eq!(item("log/other.log").status, Status::Captured);
    // An over-long multi-byte detail is cut on a character boundary.
    let d = item("proc/lease/summary").detail.unwrap();
    assert!(
        d.len() <= DETAIL_MAX_BYTES && d.len() > DETAIL_MAX_BYTES - 3,
        "{}",
        d.len()
    );
    assert!(d.ends_with('€'));
    assert_eq!(item("proc/lease/summary").status, Status::Error);
    assert_eq!(
        item("proc/lease/active").detail.as_deref(),
        Some("read /proc/lease/active exceeds max bytes 256")
    );
    // JSONL that is not UTF-8 or not JSON: an error item, nothing written.
    for (rel, why) in [
        ("audit/journal", "audit/journal is not UTF-8"),
        (
            "audit/decisions",
            "audit/decisions line 2 is not valid JSON",
        ),
    ] {
        let it = item(rel);
        assert_eq!(it.status, Status::Error, "{rel}");
        assert!(it.detail.as_deref().unwrap().starts_with(why), "{it:?}");
        assert!(!dir.join(rel).exists(), "{rel} written");
    }
    // A detail never carries a raw ticket or a line break.
    let replay = item("replay/status").detail.unwrap();
    assert!(
        !replay.contains("cohesix-ticket-") && !replay.contains('\n'),
        "{replay}"
    );
    assert!(replay.contains("sha256:"), "{replay}");
    // The real queen's invalid-path is missing, not an error.
    assert_eq!(item("host/tickets/spec").status, Status::Missing);
    assert_eq!(r.summary.errors(), 5, "{:#?}", r.summary.items);
    for (rel, bytes) in tree(&dir) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains("SECRET-X1"),
            "{rel}"
        );
    }
    // CI: the gateway's manifest and the target's /proc/boot differ from this build's.
    let c = ci::check(&dir, "hostile");
    assert!(!c.ok());
    assert!(c.missing.contains(&"audit/journal".to_owned()));
    let mism: Vec<&String> = c
        .errors
        .iter()
        .filter(|e| e.starts_with("manifest_sha256:"))
        .collect();
    assert_eq!(mism.len(), 2, "{:?}", c.errors);
    assert!(mism[0].ends_with(&format!("bounds.json {OTHER_HASH}")));
    assert!(mism[1].ends_with(&format!("proc/boot {OTHER_HASH}")));
    let _ = std::fs::remove_dir_all(&dir);
}

fn fast(port: u16) -> TcpOptions {
    TcpOptions::new("127.0.0.1", port, Secret::new(TOKEN))
        .timeout(Duration::from_millis(500))
        .max_retries(1)
}

#[tokio::test]
async fn an_unreachable_target_aborts_without_a_summary() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempdir("unreachable");
    std::fs::write(dir.join("summary.json"), b"{\"stale\":true}").unwrap();
    let b = TcpBackend::connect(&fast(port)).unwrap();
    let e = evidence::pack(&b, &PackOptions::new(&dir), &Audit::new())
        .await
        .unwrap_err();
    match &e {
        EvidenceError::Target { path, captured, .. } => {
            assert_eq!((path.as_str(), *captured), ("/proc/boot", 0));
        }
        other => panic!("{other:?}"),
    }
    let text = e.to_string();
    assert!(
        text.starts_with("target unreachable while capturing /proc/boot")
            && text.contains("summary.json not written"),
        "{text}"
    );
    assert!(!dir.join("summary.json").exists());
    assert!(dir.join("meta.json").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Accepts one connection, forwards both ways until `limit` bytes came back from the
/// queen, then closes both sides; the listener is gone by then (reconnects are refused).
async fn dropping_proxy(upstream: std::net::SocketAddr, limit: usize) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (client, _) = listener.accept().await.unwrap();
        drop(listener);
        let server = tokio::net::TcpStream::connect(upstream).await.unwrap();
        let (mut cr, mut cw) = client.into_split();
        let (mut sr, mut sw) = server.into_split();
        let up = tokio::spawn(async move {
            let _ = tokio::io::copy(&mut cr, &mut sw).await;
        });
        let mut sent = 0;
        let mut buf = [0u8; 64];
        while sent < limit {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n.min(limit - sent),
            };
            if cw.write_all(&buf[..n]).await.is_err() {
                break;
            }
            sent += n;
        }
        up.abort();
        let _ = cw.shutdown().await;
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_drops_mid_pack_aborts_and_leaves_only_whole_files() {
    let mut cfg = SimConfig::mock(false);
    cfg.token = AuthToken::new(TOKEN);
    // The complete pack of an identical queen, for comparison.
    let whole = tempdir("drop-whole");
    let sim = Simulator::spawn(cfg.clone()).await.unwrap();
    let b = TcpBackend::connect(&fast(sim.local_addr().port())).unwrap();
    evidence::pack(&b, &PackOptions::new(&whole), &Audit::new())
        .await
        .unwrap();
    let complete = tree(&whole);
    sim.shutdown().await;

    let sim = Simulator::spawn(cfg).await.unwrap();
    let port = dropping_proxy(sim.local_addr(), 400).await;
    let dir = tempdir("drop");
    let b = TcpBackend::connect(&fast(port)).unwrap();
    let e = evidence::pack(&b, &PackOptions::new(&dir), &Audit::new())
        .await
        .unwrap_err();
    let EvidenceError::Target { path, captured, .. } = &e else {
        panic!("{e:?}");
    };
    assert!(*captured >= 1, "dropped too early to test anything: {e}");
    assert!(path.starts_with('/'), "{e}");
    let partial = tree(&dir);
    assert!(!partial.iter().any(|(n, _)| n == "summary.json"));
    assert!(partial.len() >= 3, "{partial:?}");
    for (name, bytes) in &partial {
        assert!(!name.ends_with(".partial"), "{name}");
        let want = complete.iter().find(|(n, _)| n == name).map(|(_, b)| b);
        assert_eq!(Some(bytes), want, "{name} is not whole");
    }
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&whole);
}
