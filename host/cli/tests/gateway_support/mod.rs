//! Test support: a `hive-gateway --mock` process on an ephemeral loopback port, with a known
//! request token; its log (stderr) goes to a file so tests can check what it shows.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};

/// A running `hive-gateway --mock`.
pub struct Gateway {
    child: Child,
    /// Kept open: the gateway's standard output stays writable for its whole life.
    _stdout: BufReader<ChildStdout>,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// Where its log goes.
    pub log: PathBuf,
}

impl Gateway {
    /// Starts `hive-gateway --mock` with request token `token`, logging to `log`.
    pub fn start(token: &str, log: &Path) -> Self {
        let log_file = std::fs::File::create(log).expect("gateway log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_hive-gateway"))
            .args(["--mock", "--bind", "127.0.0.1:0"])
            .env("HIVE_GATEWAY_REQUEST_AUTH_TOKEN", token)
            .env_remove("HIVE_GATEWAY_BIND")
            .env_remove("HIVE_GATEWAY_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .expect("start hive-gateway");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read");
        let url = line
            .trim()
            .strip_prefix("hive-gateway listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_owned();
        Self {
            child,
            _stdout: stdout,
            url,
            log: log.to_path_buf(),
        }
    }

    /// Sends SIGTERM (kills it if that cannot be sent) and waits for it.
    pub fn terminate(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        if !sent.is_ok_and(|s| s.success()) {
            let _ = self.child.kill();
        }
        self.child.wait().expect("wait")
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        // A test that failed before `terminate` leaves no gateway behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Every file under `dir` as (relative path, bytes), sorted.
pub fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).expect("read file")));
            }
        }
    }
    out.sort();
    out
}

/// A fresh, empty directory under the system temp dir.
pub fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cohesix-restcli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}
