//! Upstream `.coh` scripts through the `cohsh` shell against the simulator, and the
//! ACK-sequence goldens of the upstream transcripts.

use cohesix_integration::{
    run_script, sim, transcript_fixture, upstream_dir, Surfaces, SIM_SCRIPTS, SKIPPED_SCRIPTS,
};

#[tokio::test]
async fn upstream_scripts_pass_their_expectations() {
    let dir = upstream_dir().join("scripts/cohsh");
    for (name, surfaces) in SIM_SCRIPTS {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        // A frozen server clock keeps the per-second scope limits of telemetry_ring.coh
        // independent of how fast this machine runs the script.
        let (s, t) = cohesix_integration::sim_frozen_clock(surfaces.features()).await;
        let run = run_script(&t, &text).await;
        let report = run
            .result
            .unwrap_or_else(|e| panic!("{name}: {e}\n--- output ---\n{}", run.output));
        assert!(report.commands > 0, "{name}");
        s.shutdown().await;
    }
}

#[test]
fn every_upstream_script_is_run_or_skipped_with_a_reason() {
    let mut listed: Vec<&str> = SIM_SCRIPTS
        .iter()
        .map(|(n, _)| *n)
        .chain(SKIPPED_SCRIPTS.iter().map(|(n, _)| *n))
        .collect();
    listed.sort_unstable();
    let mut on_disk: Vec<String> = std::fs::read_dir(upstream_dir().join("scripts/cohsh"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".coh"))
        .collect();
    on_disk.sort_unstable();
    assert_eq!(listed, on_disk);
}

#[tokio::test]
async fn a_failing_expectation_is_reported_with_its_line() {
    let (s, t) = sim(Surfaces::Shipped.features()).await;
    let run = run_script(&t, "attach queen\nEXPECT OK\ncat /nope\nEXPECT OK\nquit\n").await;
    let err = run.result.unwrap_err().to_string();
    assert!(err.starts_with("line 4: EXPECT OK failed"), "{err}");
    assert!(err.contains("ERR CAT"), "{err}");
    s.shutdown().await;
}

#[tokio::test]
async fn boot_v0_transcript_golden() {
    let (s, t) = sim(Surfaces::Shipped.features()).await;
    let text = std::fs::read_to_string(upstream_dir().join("scripts/cohsh/boot_v0.coh")).unwrap();
    let run = run_script(&t, &text).await;
    run.result.unwrap();
    assert_eq!(run.transcript, transcript_fixture("boot_v0", "tcp"));
    s.shutdown().await;
}

#[tokio::test]
async fn converge_v0_transcript_golden() {
    let (s, t) = sim(Surfaces::Shipped.features()).await;
    // The converge flow: attach, log, spawn (a 53-byte /queen/ctl write), tail telemetry.
    let script = "attach queen\nlog\nspawn heartbeat ticks=10 ops=100\nEXPECT OK\n\
                  tail /worker/worker-1/telemetry\nEXPECT OK\nquit\n";
    let run = run_script(&t, script).await;
    run.result.unwrap();
    assert_eq!(run.transcript, transcript_fixture("converge_v0", "tcp"));
    s.shutdown().await;
}

#[tokio::test]
async fn abuse_transcript_in_its_queen_form() {
    // The fixture is the harness form (`reason=denied`, `reason=throttled delay_ms=250`);
    // the queen writes `reason=policy detail=denied` and `reason=quota detail=throttled
    // delay_ms=N` (spec §9.1). Compare causes, and the delay bound.
    let (s, t) = cohesix_integration::sim_frozen_clock(Surfaces::Shipped.features()).await;
    // A well-formed worker ticket whose MAC was made with the wrong secret.
    let claims = cohesix_core::ticket::Claims::for_role(
        cohesix_tokio::Role::WorkerHeartbeat,
        Some("w1"),
        42,
    )
    .unwrap();
    let key = cohesix_core::ticket::TicketKey::from_secret(b"wrong");
    let mut out = [0u8; cohesix_core::ticket::MAX_TICKET_LEN];
    let bad = cohesix_core::ticket::mint(&claims, &key, &mut out).unwrap();
    let script = format!("attach worker-heartbeat {bad}\nattach worker-heartbeat {bad}\n");
    let lines = run_script(&t, &script).await.transcript;
    let golden = transcript_fixture("abuse", "tcp");
    assert_eq!(lines.len(), golden.len(), "{lines:?}");
    let cause = |l: &str| {
        let detail = l.split(' ').find_map(|w| w.strip_prefix("detail="));
        let reason = l.split(' ').find_map(|w| w.strip_prefix("reason="));
        detail.or(reason).unwrap_or("").to_owned()
    };
    for (got, want) in lines.iter().zip(&golden) {
        assert!(got.starts_with("ERR ATTACH "), "{got}");
        assert_eq!(cause(got), cause(want), "{got} vs {want}");
    }
    s.shutdown().await;
}

#[tokio::test]
async fn shipped_lifecycle_refuses_quiesce_and_drain_like_the_real_queen() {
    // Observed on the real 0.3.0-alpha2 queen: `quiesce` from ONLINE and `drain` after
    // `cordon` are refused with EPERM and the state stays where it was.
    let (s, t) = sim(Surfaces::Shipped.features()).await;
    let script = "attach queen\n\
                  lifecycle quiesce\nEXPECT ERR\n\
                  EXPECT SUBSTR detail=denied path=/queen/lifecycle/ctl error=EPERM\n\
                  lifecycle cordon\nEXPECT OK\n\
                  lifecycle drain\nEXPECT ERR\nEXPECT SUBSTR error=EPERM\n\
                  cat /proc/lifecycle/state\nEXPECT SUBSTR state=DRAINING\n\
                  lifecycle resume\nEXPECT OK\nquit\n";
    let run = run_script(&t, script).await;
    run.result
        .unwrap_or_else(|e| panic!("{e}\n--- output ---\n{}", run.output));
    s.shutdown().await;
}
