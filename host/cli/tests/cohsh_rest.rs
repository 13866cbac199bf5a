//! `cohsh --rest-url` runs a `.coh` script through a `hive-gateway --mock` process, and the
//! gateway stops cleanly on SIGTERM.

use std::path::PathBuf;
use std::process::Command;

mod gateway_support;

const TOKEN: &str = "rest-shell-token-4e1";

/// A `hive-gateway --mock` with this file's token (its log in the temp directory).
fn start_gateway() -> gateway_support::Gateway {
    let log = std::env::temp_dir().join(format!("cohsh-rest-gw-{}.log", std::process::id()));
    gateway_support::Gateway::start(TOKEN, &log)
}

fn script(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cohsh-rest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write script");
    p
}

fn cohsh(url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cohsh"));
    c.args(["--rest-url", url])
        .env_remove("HIVE_GATEWAY_REQUEST_AUTH_TOKEN")
        .env_remove("COHSH_REST_AUTH_TOKEN")
        .env("COH_REST_AUTH_TOKEN", TOKEN);
    c
}

const SCRIPT: &str = "\
attach queen
EXPECT OK
EXPECT SUBSTR transport=rest
ls /
EXPECT SUBSTR entries=
cat /proc/lifecycle/state
EXPECT SUBSTR state=ONLINE
echo rest-shell-line > /log/queen.log
EXPECT OK
EXPECT SUBSTR bytes=
tail /log/queen.log
EXPECT OK
cat /no/such/node
EXPECT ERR
EXPECT SUBSTR invalid-path
bi
EXPECT ERR
EXPECT SUBSTR not-available-over-rest
ping
EXPECT OK
lifecycle cordon
EXPECT OK
cat /proc/lifecycle/state
EXPECT SUBSTR DRAINING
quit
EXPECT OK
";

#[test]
fn a_script_runs_through_the_gateway() {
    let gw = start_gateway();
    let path = script("ok.coh", SCRIPT);
    let out = cohsh(&gw.url)
        .args(["--script"])
        .arg(&path)
        .output()
        .expect("run cohsh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("OK ATTACH role=queen transport=rest"),
        "{stdout}"
    );
    assert!(stdout.contains("rest-shell-line"), "{stdout}");
    assert!(stdout.contains("state=DRAINING"), "{stdout}");
    assert!(stderr.contains("15 expectations"), "{stderr}");

    // A failing expectation fails the run; a wrong token fails it without showing the token.
    let bad = script(
        "bad.coh",
        "attach queen\ncat /proc/lifecycle/state\nEXPECT SUBSTR state=OFFLINE\n",
    );
    let out = cohsh(&gw.url)
        .arg("--script")
        .arg(&bad)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("EXPECT SUBSTR state=OFFLINE failed"));
    let out = cohsh(&gw.url)
        .args(["--rest-auth-token", "wrong-secret-88", "--script"])
        .arg(&path)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("invalid request auth token"), "{all}");
    assert!(
        !all.contains("wrong-secret-88") && !all.contains(TOKEN),
        "{all}"
    );

    let status = gw.terminate();
    assert!(status.success(), "gateway exit on SIGTERM: {status:?}");
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn the_gateway_refuses_unsafe_starts() {
    let out = Command::new(env!("CARGO_BIN_EXE_hive-gateway"))
        .args(["--tcp-port", "1"])
        .env_remove("COH_AUTH_TOKEN")
        .env_remove("COHSH_AUTH_TOKEN")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("tcp auth token must be configured in non-mock mode"));
    let out = Command::new(env!("CARGO_BIN_EXE_hive-gateway"))
        .args(["--mock", "--bind", "0.0.0.0:0"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-non-loopback-bind"));
    let out = Command::new(env!("CARGO_BIN_EXE_hive-gateway"))
        .arg("--print-openapi")
        .output()
        .expect("run");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        cohesix_gateway::routes::openapi_yaml()
    );
}
