//! Shared by the `examples_*` tests: flags for `--mock` and for the queen simulator over
//! TCP (the code `coh-queen` serves), and artifact readers.
#![allow(dead_code, missing_docs)]

use std::path::Path;

use cohesix::sim::{AuthToken, SimConfig, SimHandle, Simulator};

pub const TOKEN: &str = "examples-token";

pub async fn queen() -> SimHandle {
    let mut config = SimConfig::loopback();
    config.token = AuthToken::new(TOKEN);
    Simulator::spawn(config).await.unwrap()
}

pub fn mock_flags(dir: &Path) -> Vec<String> {
    vec![
        "--mock".into(),
        "--mock-root".into(),
        dir.join("mockfs").display().to_string(),
        "--out".into(),
        dir.join("out").display().to_string(),
    ]
}

pub fn tcp_flags(sim: &SimHandle, dir: &Path) -> Vec<String> {
    vec![
        "--tcp-host".into(),
        "127.0.0.1".into(),
        "--tcp-port".into(),
        sim.local_addr().port().to_string(),
        "--auth-token".into(),
        TOKEN.into(),
        "--timeout-s".into(),
        "5".into(),
        "--max-retries".into(),
        "2".into(),
        "--out".into(),
        dir.join("out").display().to_string(),
    ]
}

pub fn argv(name: &str, flags: Vec<String>, extra: &[&str]) -> Vec<String> {
    let mut v = vec![name.to_owned()];
    v.extend(flags);
    v.extend(extra.iter().map(|s| (*s).to_owned()));
    v
}

pub fn audit_lines(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("audit.txt")).unwrap();
    assert!(text.ends_with('\n'), "{text}");
    text.lines().map(str::to_owned).collect()
}
