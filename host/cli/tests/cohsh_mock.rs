//! The README's main job: `cohsh --transport mock` runs a script against the built-in
//! simulator and fails when an expectation fails.

use std::process::Command;

fn cohsh() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cohsh"));
    c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    c.env_remove("COHSH_AUTH_TOKEN");
    c
}

#[test]
fn fleet_demo_runs_on_the_mock_backend() {
    let out = cohsh()
        .args(["--transport", "mock", "--script", "examples/fleet_demo.coh"])
        .output()
        .expect("run cohsh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("OK ATTACH role=queen"), "{stdout}");
    assert!(stdout.contains("\"state\":\"ACTIVE\""), "{stdout}");
    assert!(stdout.contains("\"state\":\"RELEASED\""), "{stdout}");
    assert!(stdout.contains("state=DRAINING"), "{stdout}");
    assert!(stderr.contains("17 expectations"), "{stderr}");
}

#[test]
fn a_failed_expectation_fails_the_mock_run() {
    let dir = std::env::temp_dir().join(format!("cohsh-mock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let script = dir.join("bad.coh");
    std::fs::write(
        &script,
        "attach queen\ncat /proc/lifecycle/state\nEXPECT SUBSTR state=OFFLINE\n",
    )
    .expect("write script");
    let out = cohsh()
        .args(["--transport", "mock", "--script"])
        .arg(&script)
        .output()
        .expect("run cohsh");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("EXPECT SUBSTR state=OFFLINE failed"),
        "{stderr}"
    );
}

#[test]
fn mock_full_profile_gates_queen_ctl_behind_approvals() {
    let dir = std::env::temp_dir().join(format!("cohsh-mock-full-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let script = dir.join("gate.coh");
    std::fs::write(
        &script,
        "attach queen\nspawn heartbeat ticks=3\nEXPECT ERR\nEXPECT SUBSTR EPERM\nquit\n",
    )
    .expect("write script");
    let out = cohsh()
        .args(["--transport", "mock", "--mock-profile", "full", "--script"])
        .arg(&script)
        .output()
        .expect("run cohsh");
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
}

/// `--transport mock` drives the simulator in process over an in-memory transport: while
/// an attached session is open, the process holds no IP socket (no listener, no loopback
/// connection; the runtime's own Unix socket pair for signals is not network I/O).
#[test]
fn the_mock_transport_opens_no_socket() {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cohsh()
        .args(["--transport", "mock"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cohsh");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"attach queen\nping\n").expect("write");
    stdin.flush().expect("flush");
    // Give it time to attach and answer.
    std::thread::sleep(std::time::Duration::from_millis(800));
    let fds = std::fs::read_dir(format!("/proc/{}/fd", child.id())).expect("fd dir");
    let inodes: Vec<String> = fds
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .map(|p| p.display().to_string())
        .filter_map(|p| {
            p.strip_prefix("socket:[")
                .and_then(|r| r.strip_suffix(']'))
                .map(str::to_owned)
        })
        .collect();
    // Every IP socket of the system, by inode (column 10 of /proc/net/{tcp,udp}{,6}).
    let mut ip_inodes = Vec::new();
    for table in ["tcp", "tcp6", "udp", "udp6"] {
        let text = std::fs::read_to_string(format!("/proc/{}/net/{table}", child.id()))
            .unwrap_or_default();
        for line in text.lines().skip(1) {
            if let Some(inode) = line.split_whitespace().nth(9) {
                ip_inodes.push(inode.to_owned());
            }
        }
    }
    let sockets: Vec<&String> = inodes.iter().filter(|i| ip_inodes.contains(i)).collect();
    stdin.write_all(b"quit\n").expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("OK ATTACH role=queen"), "{stdout}");
    assert!(
        stdout.contains("PONG") || stdout.contains("OK PING"),
        "{stdout}"
    );
    assert!(
        sockets.is_empty(),
        "IP sockets open during a mock session: {sockets:?}"
    );
}
