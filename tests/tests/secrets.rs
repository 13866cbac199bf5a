//! Secrets never leak: a full client session, a `cohsh` script, a simulator run and the error
//! paths run with a recognisable console token and a freshly minted ticket (under a
//! recognisable ticket secret), while every log line (tracing at TRACE into a buffer), every
//! file written, every printed line and every error message (Display and Debug) is captured.
//! None may contain a secret.
//!
//! The captured text is kept as a list of [`Source`]s, so later features (reports, receipts,
//! snapshots, evidence packs) add their output with one more `sources.push(..)`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cohesix_cli::shell::{Script, Shell, TcpBackend, Token};
use cohesix_core::role::Role;
use cohesix_core::ticket::{self, Claims, TicketKey, MAX_TICKET_LEN};
use cohesix_sim::{AuthToken, Features, SecretTable, SimConfig, SimHandle, Simulator};
use cohesix_tokio::{Client, ClientConfig, Credentials, RetryPolicy};
use tracing_subscriber::fmt::MakeWriter;

/// The console token.
const TOKEN: &str = "SECRET-TOKEN-9f3a";
/// The ticket MAC secret of the worker-heartbeat role.
const TICKET_SECRET: &str = "TICKET-SECRET-77c1";
/// The ticket MAC secret of the queen role.
const QUEEN_SECRET: &str = "QUEEN-SECRET-51d0";

/// One place output can go: a name (for the failure message) and what it captured.
struct Source {
    name: String,
    text: String,
}

#[derive(Default)]
struct Sources(Vec<Source>);

impl Sources {
    fn push(&mut self, name: impl Into<String>, text: impl Into<String>) {
        self.0.push(Source {
            name: name.into(),
            text: text.into(),
        });
    }

    /// Display and Debug of an error (or any value).
    fn error<E: std::fmt::Display + std::fmt::Debug>(&mut self, name: &str, e: &E) {
        self.push(format!("{name} (Display)"), e.to_string());
        self.push(format!("{name} (Debug)"), format!("{e:?}"));
    }

    fn debug<T: std::fmt::Debug>(&mut self, name: &str, v: &T) {
        self.push(format!("{name} (Debug)"), format!("{v:?}"));
    }

    /// Every file under `dir`, recursively.
    fn files(&mut self, dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                self.files(&p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                self.push(
                    format!("file {}", p.display()),
                    String::from_utf8_lossy(&bytes).into_owned(),
                );
            }
        }
    }

    fn leaks(&self, secrets: &[&str]) -> Vec<String> {
        let mut leaks = Vec::new();
        for s in &self.0 {
            for secret in secrets {
                if s.text.contains(secret) {
                    leaks.push(format!("{} leaks {secret:?}", s.name));
                }
            }
        }
        leaks
    }

    fn assert_clean(&self, secrets: &[&str]) {
        assert!(self.0.len() > 10, "too few sources captured");
        let leaks = self.leaks(secrets);
        assert!(leaks.is_empty(), "{leaks:#?}");
    }
}

/// A shared in-memory log sink for the tracing subscriber.
#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogBuf {
    type Writer = LogBuf;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn config() -> ClientConfig {
    ClientConfig::new()
        .with_op_timeout(Duration::from_millis(2000))
        .with_retry(
            RetryPolicy::DEFAULT
                .with_max_retries(1)
                .with_backoff(Duration::from_millis(10))
                .with_ceiling(Duration::from_millis(20)),
        )
        .with_heartbeat(None)
}

fn sim_config(token: &str) -> SimConfig {
    let mut c = SimConfig::loopback();
    c.features = Features::shipped();
    c.token = AuthToken::new(token);
    c.secrets = SecretTable::from_secrets([
        (Role::Queen, QUEEN_SECRET),
        (Role::WorkerHeartbeat, TICKET_SECRET),
    ])
    .expect("secret table");
    c
}

async fn spawn_sim(token: &str) -> SimHandle {
    Simulator::spawn(sim_config(token))
        .await
        .expect("simulator")
}

fn mint_ticket() -> String {
    let key = TicketKey::from_secret(TICKET_SECRET.as_bytes());
    let claims = Claims::for_role(Role::WorkerHeartbeat, Some("worker-1"), 1_700_000_000_000)
        .expect("claims");
    let mut out = [0u8; MAX_TICKET_LEN];
    ticket::mint(&claims, &key, &mut out)
        .expect("mint")
        .to_owned()
}

/// A queen ticket (a queen may attach with one; the audit journal records it).
fn mint_queen_ticket() -> String {
    let key = TicketKey::from_secret(QUEEN_SECRET.as_bytes());
    let claims = Claims::for_role(Role::Queen, Some("auditor"), 1_700_000_000_000).expect("claims");
    let mut out = [0u8; MAX_TICKET_LEN];
    ticket::mint(&claims, &key, &mut out)
        .expect("mint")
        .to_owned()
}

fn workdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("cohesix-secrets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test]
async fn no_secret_reaches_logs_files_output_or_errors() {
    let logs = LogBuf::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(logs.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let ticket = mint_ticket();
    let mac_hex = ticket.rsplit('.').next().unwrap().to_owned();
    let queen_ticket = mint_queen_ticket();
    let queen_mac = queen_ticket.rsplit('.').next().unwrap().to_owned();
    let mut sources = Sources::default();
    let dir = workdir();
    let sim = spawn_sim(TOKEN).await;
    let addr = sim.local_addr();
    sources.debug("sim config", &sim_config(TOKEN));

    // 1. A full client session as queen, then as a ticketed worker.
    let creds = Credentials::new(TOKEN, Role::Queen, None).unwrap();
    sources.debug("queen credentials", &creds);
    let mut c = Client::connect(addr, creds, config())
        .await
        .expect("queen session");
    sources.debug("client", &c);
    for r in [
        c.ls("/").await,
        c.cat("/proc/lifecycle/state").await,
        c.ping().await,
    ] {
        match r {
            Ok(reply) => sources.debug("reply", &reply),
            Err(e) => sources.error("request error", &e),
        }
    }
    match c.echo("/log/queen.log", "hello").await {
        Ok(reply) => sources.debug("echo reply", &reply),
        Err(e) => sources.error("echo error", &e),
    }
    if let Ok(reply) = c.tail("/log/queen.log").await {
        sources.push("tail body", reply.lines.joined());
    }
    let _ = c.quit().await;
    drop(c);

    let wcreds = Credentials::new(TOKEN, Role::WorkerHeartbeat, Some(&ticket)).unwrap();
    sources.debug("worker credentials", &wcreds);
    match Client::connect(addr, wcreds, config()).await {
        Ok(mut w) => {
            sources.debug("worker client", &w);
            match w.ls("/").await {
                Ok(r) => sources.debug("worker ls", &r),
                Err(e) => sources.error("worker ls", &e),
            }
            match w.echo("/log/queen.log", "denied?").await {
                Ok(r) => sources.debug("worker echo", &r),
                Err(e) => sources.error("worker echo", &e),
            }
            let _ = w.quit().await;
        }
        Err(e) => sources.error("worker connect", &e),
    }

    // 1b. The host library: a TCP backend built from options, discovery, its errors.
    {
        use cohesix::backend::{Backend, TcpBackend as LibTcp, TcpOptions};
        let options = TcpOptions::new(
            addr.ip().to_string(),
            addr.port(),
            cohesix::auth::Secret::new(TOKEN),
        );
        sources.debug("tcp options", &options);
        let b = LibTcp::connect(&options).expect("backend");
        sources.debug("tcp backend", &b);
        match b.read("/proc/lifecycle/state", 64).await {
            Ok(v) => sources.push("backend read", String::from_utf8_lossy(&v).into_owned()),
            Err(e) => sources.error("backend read", &e),
        }
        match b.append("/log/queen.log", "from the library").await {
            Ok(n) => sources.push("backend append", n.to_string()),
            Err(e) => sources.error("backend append", &e),
        }
        // A playbook run over this backend: its report and audit text.
        let book = cohesix::playbook::built_in().unwrap().remove(0).playbook;
        let orch = cohesix::Orchestrator::new(cohesix::AnyBackend::from(b.clone()));
        let report = cohesix::playbook::run_playbook(
            Some(&orch),
            &book,
            &cohesix::playbook::RunOptions::new(),
            cohesix::playbook::HostInput::Skip,
            &cohesix::playbook::Silent,
        )
        .await;
        sources.push("playbook report", report.to_json());
        sources.push("playbook audit", report.audit_text());
        let _ = b.close().await;
        let worker = options
            .clone()
            .role("worker-heartbeat")
            .ticket(Some(cohesix::auth::Secret::new(ticket.clone())));
        sources.debug("worker options", &worker);
        let env = cohesix::discovery::MapEnv::new(&[
            ("COH_AUTH_TOKEN", TOKEN),
            ("COH_TICKET", &ticket),
            ("COH_ROLE", "worker-heartbeat"),
        ]);
        match cohesix::discovery::resolve(&env, &[dir.join("none.toml")], false) {
            Ok(spec) => sources.debug("discovered spec", &spec),
            Err(e) => sources.error("discovery", &e),
        }
        let env = cohesix::discovery::MapEnv::new(&[
            ("COH_REST_URL", "http://127.0.0.1:1"),
            ("COH_REST_AUTH_TOKEN", TOKEN),
        ]);
        if let Ok(spec) = cohesix::discovery::resolve(&env, &[], false) {
            sources.debug("rest spec", &spec);
        }
        let wrong_opts = TcpOptions::new(
            addr.ip().to_string(),
            addr.port(),
            cohesix::auth::Secret::new(TOKEN),
        )
        .role("worker-gpu")
        .ticket(Some(cohesix::auth::Secret::new(ticket.clone())));
        match LibTcp::connect(&wrong_opts) {
            Ok(b) => sources.debug("mismatched backend", &b),
            Err(e) => sources.error("mismatched ticket", &e),
        }
    }

    // 2. A cohsh script, with the ticket on an attach line.
    let text = format!(
        "attach queen\nEXPECT OK\nls /\ncat /proc/lifecycle/state\necho scripted > /log/queen.log\n\
         detach\nattach worker-heartbeat {ticket}\nls /\nquit\n"
    );
    let script = Script::parse(&text).expect("script parses");
    let backend = TcpBackend::new(addr, Token::new(TOKEN), config());
    let mut out = Vec::new();
    {
        let mut shell = Shell::new(backend, &mut out, dir.clone());
        match shell.run_script(&script).await {
            Ok(report) => sources.debug("script report", &report),
            Err(e) => sources.error("script error", &e),
        }
        let transcript = shell.transcript().join("\n");
        assert!(
            transcript.contains("OK ATTACH role=worker-heartbeat"),
            "{transcript}"
        );
        sources.push("script transcript", transcript);
    }
    sources.push("cohsh output", String::from_utf8_lossy(&out).into_owned());

    // 3. Error paths.
    let wrong = spawn_sim("some-other-token").await;
    match Client::connect(
        wrong.local_addr(),
        Credentials::new(TOKEN, Role::Queen, None).unwrap(),
        config(),
    )
    .await
    {
        Ok(_) => panic!("a wrong token authenticated"),
        Err(e) => sources.error("auth rejected", &e),
    }
    let mut tampered = ticket.clone();
    tampered.pop();
    tampered.push(if ticket.ends_with('0') { '1' } else { '0' });
    match Credentials::new(TOKEN, Role::WorkerHeartbeat, Some(&tampered)) {
        Ok(creds) => match Client::connect(addr, creds, config()).await {
            Ok(_) => panic!("a tampered ticket attached"),
            Err(e) => sources.error("tampered ticket", &e),
        },
        Err(e) => sources.error("tampered ticket credentials", &e),
    }
    match Credentials::new(TOKEN, Role::WorkerGpu, Some(&ticket)) {
        Ok(_) => panic!("role mismatch accepted"),
        Err(e) => sources.error("role mismatch", &e),
    }
    match Credentials::new(&format!("{TOKEN}\u{7}"), Role::Queen, None) {
        Ok(_) => panic!("a control byte in the token accepted"),
        Err(e) => sources.error("bad token", &e),
    }
    match Credentials::new(
        TOKEN,
        Role::WorkerHeartbeat,
        Some(&format!("{ticket} {TOKEN}")),
    ) {
        Ok(c) => sources.debug("odd ticket credentials", &c),
        Err(e) => sources.error("odd ticket", &e),
    }
    let mut b = [0u8; ticket::MAX_PAYLOAD_LEN];
    let bad = TicketKey::from_secret(b"nope");
    if let Err(e) = ticket::verify_for_role(&ticket, Role::WorkerHeartbeat, &bad, &mut b) {
        sources.error("ticket mac mismatch", &e);
    }
    let mut b = [0u8; ticket::MAX_PAYLOAD_LEN];
    if let Ok(t) = ticket::decode(&ticket, &mut b) {
        sources.debug("decoded ticket", &t);
    }
    sources.debug(
        "ticket key",
        &TicketKey::from_secret(TICKET_SECRET.as_bytes()),
    );
    // A shell against the wrong-token queen.
    let backend = TcpBackend::new(wrong.local_addr(), Token::new(TOKEN), config());
    let mut out = Vec::new();
    {
        let mut shell = Shell::new(backend, &mut out, dir.clone());
        let s = Script::parse("attach queen\nls /\n").unwrap();
        match shell.run_script(&s).await {
            Ok(r) => sources.debug("wrong-token script", &r),
            Err(e) => sources.error("wrong-token script", &e),
        }
    }
    sources.push(
        "wrong-token cohsh output",
        String::from_utf8_lossy(&out).into_owned(),
    );
    wrong.shutdown().await;
    sim.shutdown().await;

    // 3b. Evidence packs of a full-surface queen whose audit journal recorded a ticketed
    // queen session's write and operator notes holding the token and secrets: the pack,
    // its timeline, SIEM export, CI summary and Markdown report, and an aborted pack's error.
    {
        use cohesix::backend::{Backend, TcpBackend as LibTcp, TcpOptions};
        use cohesix::evidence;
        let mut full = sim_config(TOKEN);
        full.features = Features::full();
        let audited = Simulator::spawn(full).await.expect("full simulator");
        let a = audited.local_addr();
        let qcreds = Credentials::new(TOKEN, Role::Queen, Some(&queen_ticket)).unwrap();
        match Client::connect(a, qcreds, config()).await {
            Ok(mut q) => {
                let line =
                    r#"{"id":"s-1","role":"worker-gpu","priority":1,"ticks":1,"budget_ms":1}"#;
                if let Err(e) = q.echo("/queen/schedule/ctl", line).await {
                    sources.error("ticketed control write", &e);
                }
                let _ = q.quit().await;
            }
            Err(e) => sources.error("ticketed queen connect", &e),
        }
        while audited.core().is_busy() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let options = TcpOptions::new(
            a.ip().to_string(),
            a.port(),
            cohesix::auth::Secret::new(TOKEN),
        );
        let b = LibTcp::connect(&options).expect("backend");
        for note in [
            format!(r#"{{"token":"{TOKEN}","nested":{{"secret":"{TICKET_SECRET}"}}}}"#),
            format!(r#"{{"password":"{QUEEN_SECRET}"}}"#),
            format!(r#"{{"note":"{}"}}"#, &ticket[..ticket.len().min(100)]),
        ] {
            if let Err(e) = b.append("/audit/journal", &note).await {
                sources.error("journal note", &e);
            }
        }
        let pack_dir = dir.join("evidence-pack");
        let audit = cohesix::Audit::new();
        match evidence::pack(
            &b,
            &evidence::PackOptions::new(&pack_dir).with_telemetry(true),
            &audit,
        )
        .await
        {
            Ok(r) => sources.debug("pack report", &r),
            Err(e) => sources.error("pack", &e),
        }
        let _ = b.close().await;
        sources.push("pack audit", audit.to_text());
        let journal = std::fs::read_to_string(pack_dir.join("audit/journal")).unwrap_or_default();
        assert!(
            journal.contains("queen-schedule") && journal.contains("sha256:"),
            "the ticketed write is not in the packed journal:\n{journal}"
        );
        match evidence::timeline::write(&pack_dir) {
            Ok(t) => sources.debug("timeline", &t),
            Err(e) => sources.error("timeline", &e),
        }
        match evidence::siem::export(&pack_dir) {
            Ok(x) => std::fs::write(pack_dir.join("siem.ndjson"), x.to_ndjson()).unwrap(),
            Err(e) => sources.error("siem", &e),
        }
        // Not even a cut ticket (the journal cuts long lines) may stay raw in a pack.
        let mut packed = Sources::default();
        packed.files(&pack_dir);
        assert!(packed.0.len() > 10, "too few pack files");
        assert!(
            packed
                .leaks(&[cohesix_core::ticket::TICKET_PREFIX])
                .is_empty(),
            "{:#?}",
            packed.leaks(&[cohesix_core::ticket::TICKET_PREFIX])
        );
        let ci = evidence::ci::check(&pack_dir, "pack");
        sources.push("ci summary", ci.to_json());
        sources.push(
            "evidence markdown",
            evidence::markdown::report(&pack_dir, "pack", 20),
        );
        audited.shutdown().await;
        let gone = LibTcp::connect(&options.timeout(Duration::from_millis(200)).max_retries(0))
            .expect("backend");
        if let Err(e) = evidence::pack(
            &gone,
            &evidence::PackOptions::new(dir.join("aborted")),
            &cohesix::Audit::new(),
        )
        .await
        {
            sources.error("aborted pack", &e);
        }
    }

    // 4. Files and logs.
    sources.files(&dir);
    let log_text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        log_text.lines().count() > 5,
        "the TRACE log captured nothing:\n{log_text}"
    );
    for (i, line) in log_text.lines().enumerate() {
        sources.push(format!("log line {i}"), line);
    }
    let _ = std::fs::remove_dir_all(&dir);

    if std::env::var_os("SECRETS_DUMP").is_some() {
        for s in &sources.0 {
            eprintln!("--- {}\n{}", s.name, s.text);
        }
    }
    // The check itself works: a planted leak is found.
    let mut planted = Sources::default();
    planted.push("planted", format!("x{TOKEN}y"));
    assert_eq!(planted.leaks(&[TOKEN]).len(), 1);
    sources.assert_clean(&[
        TOKEN,
        TICKET_SECRET,
        QUEEN_SECRET,
        &ticket,
        &mac_hex,
        &queen_ticket,
        &queen_mac,
    ]);
}
