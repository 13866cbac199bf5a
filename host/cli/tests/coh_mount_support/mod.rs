//! Helpers of the `coh mount` CLI tests: the FUSE probe (one loud skip line outside CI, a
//! failure with `CI=true`), `coh-queen` processes, `coh mount` processes, shell commands.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// FUSE is mandatory with `CI=true` or `COHESIX_REQUIRE_FUSE=1` (`.ci/run` sets the latter
/// when `/dev/fuse` and `fusermount3` are there, so the tests cannot skip silently).
fn fuse_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
        || std::env::var("COHESIX_REQUIRE_FUSE").is_ok_and(|v| v == "1")
}

/// Whether FUSE mounts can run here (see the module docs).
pub fn fuse_ok(test: &str) -> bool {
    match cohesix_mount::probe() {
        Ok(s) if s.fusermount.is_some() => true,
        Ok(_) | Err(_) if fuse_required() => {
            panic!("{test}: FUSE (/dev/fuse and fusermount3) is required in CI")
        }
        r => {
            eprintln!(
                "!!!!! SKIPPED {test}: no usable FUSE here ({:?}) — this test did NOT run !!!!!",
                r.err()
                    .map(|e| e.to_string())
                    .unwrap_or("no fusermount3".into())
            );
            false
        }
    }
}

/// A fresh directory under the temp dir.
pub fn tmp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cohesix-cohmount-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `coh-queen` process.
pub struct Queen {
    pub child: Child,
    pub port: u16,
    pub token: &'static str,
}

impl Queen {
    pub fn start(port: u16, token: &'static str) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_coh-queen"))
            .args([
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--auth-token",
                token,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let q = Self { child, port, token };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "coh-queen did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        q
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The `coh` transport flags for this queen.
    pub fn flags(&self) -> Vec<String> {
        vec![
            "--host".into(),
            "127.0.0.1".into(),
            "--port".into(),
            self.port.to_string(),
            "--auth-token".into(),
            self.token.into(),
        ]
    }
}

impl Drop for Queen {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `coh mount` process; its stderr goes to a file.
pub struct CohMount {
    pub child: Child,
    pub at: PathBuf,
    pub log: PathBuf,
}

impl CohMount {
    /// Starts `coh <flags> mount --at <at> <extra>` and waits for the mount.
    pub fn start(flags: &[String], at: &Path, extra: &[&str]) -> Self {
        let m = Self::spawn(flags, at, extra);
        let start = Instant::now();
        while !cohesix_mount::is_mounted(at) || !m.stderr().contains("mounted at") {
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "coh mount did not mount: {}",
                m.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        m
    }

    /// Starts it without waiting.
    pub fn spawn(flags: &[String], at: &Path, extra: &[&str]) -> Self {
        let log = at.with_extension("stderr");
        let child = Command::new(env!("CARGO_BIN_EXE_coh"))
            .args(flags)
            .arg("mount")
            .arg("--at")
            .arg(at)
            .args(extra)
            .env_remove("COHESIX_MOCK")
            .env_remove("COH_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Self {
            child,
            at: at.to_owned(),
            log,
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends `sig` (`TERM`, `INT`, `KILL`).
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    /// Waits for the process to exit (at most `limit`); its exit code.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<i32> {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s.code();
            }
            if start.elapsed() >= limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for CohMount {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !cohesix_mount::wait_unmounted(&self.at, Duration::from_secs(3)) {
            let _ = Command::new("fusermount3").arg("-u").arg(&self.at).status();
        }
    }
}

/// `bash -c script` in `dir`: (exit code, stdout, stderr).
pub fn bash(dir: &Path, script: &str) -> (i32, String, String) {
    let o = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Polls `f` until true (panics after `limit`).
pub fn eventually(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
