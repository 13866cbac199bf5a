//! The `cohsh` binary end to end against an in-process queen simulator.

use std::path::PathBuf;
use std::process::{Command, Output};

use cohesix_sim::{Features, SimConfig, SimHandle, Simulator};

fn upstream() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/upstream"
    ))
}

async fn sim() -> SimHandle {
    let mut config = SimConfig::loopback();
    config.features = Features::shipped();
    Simulator::spawn(config).await.unwrap()
}

/// Runs cohsh with the placeholder-token opt-ins against `port`.
async fn cohsh(port: u16, args: &[&str], opt_in: bool) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cohsh"));
    cmd.current_dir(upstream())
        .args(["--tcp-host", "127.0.0.1", "--tcp-port", &port.to_string()])
        .args(["--timeout-ms", "5000"])
        .args(args)
        .env("COHSH_AUTH_TOKEN", "changeme")
        .env_remove("COHESIX_ALLOW_INSECURE_CONSOLE_AUTH")
        .env_remove("COHSH_TICKET_SECRET")
        .env_remove("COHSH_TICKET_CONFIG");
    if opt_in {
        cmd.env("COHESIX_ALLOW_INSECURE_CONSOLE_AUTH", "1")
            .arg("--allow-insecure-auth");
    }
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_an_upstream_script() {
    let s = sim().await;
    let port = s.local_addr().port();
    let out = cohsh(port, &["--script", "scripts/cohsh/9p_batch.coh"], true).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("OK ATTACH role=queen"), "{stdout}");
    assert!(stdout.contains("batch-1|batch-2|batch-3"), "{stdout}");
    assert!(text(&out.stderr).contains("script ok"));
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_expectation_exits_non_zero() {
    let s = sim().await;
    let dir = std::env::temp_dir().join(format!("cohsh-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("fail.coh");
    std::fs::write(&script, "attach queen\ncat /nope\nEXPECT OK\n").unwrap();
    let out = cohsh(
        s.local_addr().port(),
        &["--script", script.to_str().unwrap()],
        true,
    )
    .await;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("line 3: EXPECT OK failed"),
        "{}",
        text(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_placeholder_token_needs_the_opt_in() {
    let s = sim().await;
    let out = cohsh(
        s.local_addr().port(),
        &["--script", "scripts/cohsh/tcp_basic.coh"],
        false,
    )
    .await;
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("COHESIX_ALLOW_INSECURE_CONSOLE_AUTH=1"),
        "{err}"
    );
    assert!(err.contains("--allow-insecure-auth"), "{err}");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_ping_prints_figures_on_its_last_line() {
    let s = sim().await;
    let out = cohsh(
        s.local_addr().port(),
        &["bench", "ping", "--count", "40", "--pipeline", "4"],
        true,
    )
    .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let last = stdout.lines().last().unwrap();
    assert!(
        last.starts_with("ping count=40 pipeline=4 p50_us="),
        "{last}"
    );
    assert!(
        last.contains(" p99_us=") && last.contains(" rps="),
        "{last}"
    );
    s.shutdown().await;
}

#[test]
fn mints_tickets_from_the_manifest() {
    let out = Command::new(env!("CARGO_BIN_EXE_cohsh"))
        .current_dir(upstream())
        .args([
            "--mint-ticket",
            "--role",
            "worker-heartbeat",
            "--ticket-subject",
            "worker-1",
        ])
        .env(
            "COHSH_TICKET_CONFIG",
            upstream().join("configs/root_task.toml"),
        )
        .env_remove("COHSH_TICKET_SECRET")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ticket = text(&out.stdout).trim().to_owned();
    assert!(ticket.starts_with("cohesix-ticket-01010f"), "{ticket}");
    assert_eq!(ticket.len(), 178);
    // A worker ticket needs a subject.
    let out = Command::new(env!("CARGO_BIN_EXE_cohsh"))
        .current_dir(upstream())
        .args(["--mint-ticket", "--role", "worker-gpu"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

/// `telemetry push` end to end: the shell's core-encoded records pass the simulator's record
/// rules, and what a CAT of the segment returns decodes with the core's `InlineRecord` back
/// to the file's text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telemetry_push_records_round_trip_through_the_simulator() {
    use cohesix_core::control::InlineRecord;
    let s = sim().await;
    let dir = std::env::temp_dir().join(format!("cohsh-push-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = "temp=21.5 \"ok\"\ncafé=1\n".repeat(3);
    std::fs::write(dir.join("sample.txt"), &source).unwrap();
    let script = dir.join("push.coh");
    let file = dir.join("sample.txt");
    std::fs::write(
        &script,
        format!(
            "attach queen\ntelemetry push {} --device dev-9\nEXPECT OK\n\
             EXPECT SUBSTR seg_id=seg-000001\ncat /queen/telemetry/dev-9/seg/seg-000001\n\
             EXPECT OK\nquit\n",
            file.display()
        ),
    )
    .unwrap();
    let out = cohsh(
        s.local_addr().port(),
        &["--script", script.to_str().unwrap()],
        true,
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let mut joined = String::new();
    let mut records = 0u64;
    for line in stdout.lines().filter(|l| l.starts_with("{\"schema\"")) {
        let r = InlineRecord::decode(line.as_bytes()).unwrap();
        records += 1;
        assert_eq!((r.seq, r.mime), (records, "text/plain"));
        let mut buf = [0u8; 128];
        joined.push_str(r.payload.unescape_into(&mut buf).unwrap());
    }
    assert!(records > 1, "{stdout}");
    assert!(stdout.contains(&format!("records={records} ")), "{stdout}");
    assert_eq!(joined, source);
    s.shutdown().await;
}
