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
