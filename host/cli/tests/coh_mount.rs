//! `coh mount` as an operator runs it: mounts of `coh-queen` (TCP) and of the mock, shell
//! use, SIGTERM/SIGINT unmounts (exit 0, no stale mount), a killed process leaves no stale
//! mount (auto-unmount), a queen restart mid-mount, a queen lost for good (exit 1, the
//! reason), a lost acknowledgement logged as outcome unknown, `--allow-other` opt-in,
//! usage errors and unreachable backends before anything is mounted.

mod coh_mount_support;

use std::io::Write;
use std::time::Duration;

use coh_mount_support::*;

#[test]
fn mounts_coh_queen_over_tcp_and_unmounts_on_sigterm() {
    if !fuse_ok("coh mount tcp") {
        return;
    }
    let dir = tmp("tcp");
    let queen = Queen::start(free_port(), "cli-mount-token");
    let at = dir.join("m");
    let mut m = CohMount::start(&queen.flags(), &at, &[]);
    assert!(m.stderr().contains("tcp mounted at"), "{}", m.stderr());
    let (code, out, err) = bash(
        &at,
        "ls && cat gpu/GPU-0/info && stat -c '%s %F' gpu/GPU-0/info proc \
         && echo 'from the cli test' >> log/queen.log && tail -n 1 log/queen.log",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("actions\ngpu\nhost\nlog\npolicy\nproc\nqueen\nworker\n"),
        "{out}"
    );
    assert!(out.contains("\"id\": \"GPU-0\""), "{out}");
    assert!(out.contains(" regular file\n0 directory\n"), "{out}");
    assert!(out.ends_with("from the cli test\n"), "{out}");
    // A refusal is explained on the mount's stderr.
    let (code, _, err) = bash(&at, "echo x > log/queen.log");
    assert_eq!(code, 1);
    assert!(err.contains("Operation not permitted"), "{err}");
    m.signal("TERM");
    assert_eq!(
        m.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        m.stderr()
    );
    let log = m.stderr();
    assert!(log.contains("refused: truncation"), "{log}");
    assert!(log.contains("SIGTERM: unmounted"), "{log}");
    assert!(
        !cohesix_mount::is_mounted(&at),
        "no stale mount after SIGTERM"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn mounts_the_mock_and_unmounts_on_sigint() {
    if !fuse_ok("coh mount mock") {
        return;
    }
    let dir = tmp("mock");
    let at = dir.join("m");
    let mut m = CohMount::start(&["--mock".into()], &at, &[]);
    let (code, out, _) = bash(&at, "cat gpu/GPU-1/info");
    assert_eq!(code, 0);
    assert!(out.contains("MockGPU"), "{out}");
    m.signal("INT");
    assert_eq!(m.wait_exit(Duration::from_secs(10)), Some(0));
    assert!(m.stderr().contains("SIGINT: unmounted"), "{}", m.stderr());
    assert!(!cohesix_mount::is_mounted(&at));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_killed_mount_leaves_no_stale_mount() {
    if !fuse_ok("coh mount kill -9") {
        return;
    }
    let dir = tmp("kill");
    let at = dir.join("m");
    let mut m = CohMount::start(&["--mock".into()], &at, &[]);
    assert!(m.stderr().contains("auto-unmount"), "{}", m.stderr());
    m.signal("KILL");
    assert!(m.wait_exit(Duration::from_secs(10)).is_none_or(|c| c != 0));
    // fusermount3's auto-unmount removes the mount of a dead process.
    assert!(
        cohesix_mount::wait_unmounted(&at, Duration::from_secs(10)),
        "stale mount after kill -9"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_queen_restart_mid_mount_recovers() {
    if !fuse_ok("coh mount restart") {
        return;
    }
    let dir = tmp("restart");
    let port = free_port();
    let mut queen = Queen::start(port, "cli-restart-token");
    let at = dir.join("m");
    let mut m = CohMount::start(&queen.flags(), &at, &[]);
    let info = at.join("gpu/GPU-0/info");
    let before = std::fs::read_to_string(&info).unwrap();
    queen.kill();
    std::thread::sleep(Duration::from_millis(1100));
    assert!(std::fs::read_to_string(&info).is_err(), "the queen is down");
    let _queen2 = Queen::start(port, "cli-restart-token");
    eventually("reads after the restart", Duration::from_secs(15), || {
        std::fs::read_to_string(&info).is_ok_and(|t| t == before)
    });
    let (code, _, err) = bash(&at, "echo 'after the restart' >> log/queen.log");
    assert_eq!(code, 0, "{err}");
    assert!(
        m.wait_exit(Duration::from_millis(100)).is_none(),
        "still mounted"
    );
    m.signal("TERM");
    assert_eq!(
        m.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        m.stderr()
    );
    assert!(!cohesix_mount::is_mounted(&at));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_queen_lost_for_good_unmounts_with_a_clear_message() {
    if !fuse_ok("coh mount lost") {
        return;
    }
    let dir = tmp("lost");
    let mut queen = Queen::start(free_port(), "cli-lost-token");
    let at = dir.join("m");
    let mut m = CohMount::start(&queen.flags(), &at, &["--lost-after-s", "1"]);
    queen.kill();
    assert_eq!(
        m.wait_exit(Duration::from_secs(20)),
        Some(1),
        "{}",
        m.stderr()
    );
    let log = m.stderr();
    assert!(
        log.contains("backend is lost for good (no answer for"),
        "{log}"
    );
    assert!(log.contains("unmounted"), "{log}");
    assert!(!cohesix_mount::is_mounted(&at), "no stale mount");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_lost_acknowledgement_is_eio_and_logged_as_outcome_unknown() {
    if !fuse_ok("coh mount lost ack") {
        return;
    }
    let dir = tmp("ack");
    let queen = Queen::start(free_port(), "cli-ack-token");
    let proxy = ack_dropping_proxy(queen.port, "drop-this-ack");
    let mut flags = queen.flags();
    flags[3] = proxy.to_string();
    let at = dir.join("m");
    let m = CohMount::start(&flags, &at, &[]);
    let err = std::fs::OpenOptions::new()
        .append(true)
        .open(at.join("log/queen.log"))
        .unwrap()
        .write_all(b"drop-this-ack\n")
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(5), "{err}");
    eventually(
        "the outcome-unknown log line",
        Duration::from_secs(5),
        || m.stderr().contains("outcome unknown"),
    );
    // Nothing was re-sent: the line is in the log once (the queen may still hold the cut
    // session for a moment: reads fail with EIO until it lets go).
    let mut log = String::new();
    eventually(
        "a read after the cut",
        Duration::from_secs(10),
        || match std::fs::read_to_string(at.join("log/queen.log")) {
            Ok(t) => {
                log = t;
                true
            }
            Err(_) => false,
        },
    );
    assert_eq!(log.matches("drop-this-ack").count(), 1, "{log}");
    drop(m);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The ack-dropping proxy of the test-support crate in front of the queen at `port`; its port.
fn ack_dropping_proxy(port: u16, trigger: &'static str) -> u16 {
    let to = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    cohesix_testsupport::proxy::AckDroppingProxy::start(to, trigger).port()
}

#[test]
fn allow_other_is_opt_in() {
    if !fuse_ok("coh mount allow-other") {
        return;
    }
    if std::process::Command::new("setpriv")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("!!!!! SKIPPED allow_other_is_opt_in: no setpriv — this test did NOT run !!!!!");
        return;
    }
    let dir = tmp("other");
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let as_nobody = |at: &std::path::Path| {
        std::process::Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "cat"])
            .arg(at.join("gpu/GPU-0/info"))
            .output()
            .unwrap()
    };
    let at = dir.join("owner");
    let m = CohMount::start(&["--mock".into()], &at, &[]);
    let o = as_nobody(&at);
    if nix_is_root() {
        assert!(!o.status.success(), "another user is refused by default");
    }
    drop(m);
    let at = dir.join("all");
    let m = CohMount::start(&["--mock".into()], &at, &["--allow-other"]);
    assert!(m.stderr().contains("allow-other"), "{}", m.stderr());
    let o = as_nobody(&at);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("MockGPU"));
    drop(m);
    let _ = std::fs::remove_dir_all(&dir);
}

fn nix_is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

#[test]
fn usage_errors_and_unreachable_backends_fail_before_mounting() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_coh"))
            .args(args)
            .env_remove("COHESIX_MOCK")
            .output()
            .unwrap()
    };
    let o = run(&["mount"]);
    assert_eq!(o.status.code(), Some(2), "--at is required");
    let o = run(&[
        "--mock",
        "--rest-url",
        "http://127.0.0.1:1",
        "mount",
        "--at",
        "/tmp/x",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = run(&["--mock", "mount", "--at", "/tmp/x", "--lost-after-s", "0"]);
    assert_eq!(o.status.code(), Some(2));
    if !fuse_ok("coh mount unreachable") {
        return;
    }
    let dir = tmp("unreachable");
    let dead = free_port();
    for flags in [
        vec![
            "--host",
            "127.0.0.1",
            "--port",
            &dead.to_string(),
            "--auth-token",
            "t",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>(),
        vec![
            "--rest-url".into(),
            format!("http://127.0.0.1:{dead}"),
            "--rest-auth-token".into(),
            "t".into(),
        ],
    ] {
        let at = dir.join("m");
        let mut m = CohMount::spawn(&flags, &at, &[]);
        assert_eq!(m.wait_exit(Duration::from_secs(30)), Some(1), "{flags:?}");
        assert!(m.stderr().starts_with("coh mount: "), "{}", m.stderr());
        assert!(!cohesix_mount::is_mounted(&at));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
