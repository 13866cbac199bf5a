//! Shared helpers of the mount tests: the FUSE probe (skip loudly outside CI, fail in CI),
//! mounts of the mock and of a TCP simulator, temporary mount points.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use cohesix::auth::Secret;
use cohesix::backend::{MockOptions, TcpOptions};
use cohesix::blocking::Backend;
use cohesix::discovery::BackendSpec;
use cohesix_mount::{mount, MountOptions, Mounted};
use cohesix_sim::{AuthToken, SimConfig, SimHandle, Simulator};

/// FUSE is mandatory with `CI=true` or `COHESIX_REQUIRE_FUSE=1` (`.ci/run` sets the latter
/// when `/dev/fuse` and `fusermount3` are there, so the tests cannot skip silently).
fn fuse_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
        || std::env::var("COHESIX_REQUIRE_FUSE").is_ok_and(|v| v == "1")
}

/// Whether FUSE mounts can run here. Outside CI a missing `/dev/fuse` skips with one loud
/// line; with `CI=true` it fails the test.
pub fn fuse_ok(test: &str) -> bool {
    match cohesix_mount::probe() {
        Ok(_) => true,
        Err(e) if fuse_required() => {
            panic!("{test}: FUSE is required in CI: {e}")
        }
        Err(e) => {
            eprintln!("!!!!! SKIPPED {test}: no FUSE here ({e}) — this test did NOT run !!!!!");
            false
        }
    }
}

/// A fresh, empty mount point.
pub fn mount_point(tag: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("cohesix-mount-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The mock backend (in-process simulator).
pub fn mock() -> Backend {
    Backend::open(&BackendSpec::Mock(MockOptions::new())).unwrap()
}

/// A TCP simulator with its own runtime.
pub struct Sim {
    pub rt: tokio::runtime::Runtime,
    pub handle: Option<SimHandle>,
    pub token: &'static str,
}

impl Sim {
    pub fn start() -> Self {
        Self::start_on("127.0.0.1:0")
    }

    pub fn start_on(bind: &str) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let token = "mount-test-token";
        let mut config = SimConfig::mock(false);
        config.token = AuthToken::new(token);
        config.bind = bind.parse().unwrap();
        let handle = rt.block_on(Simulator::spawn(config)).unwrap();
        Self {
            rt,
            handle: Some(handle),
            token,
        }
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        self.handle.as_ref().unwrap().local_addr()
    }

    pub fn options(&self) -> TcpOptions {
        let a = self.addr();
        TcpOptions::new(a.ip().to_string(), a.port(), Secret::new(self.token))
    }

    /// A blocking TCP backend to this simulator.
    pub fn backend(&self) -> Backend {
        Backend::open(&BackendSpec::Tcp(self.options())).unwrap()
    }

    pub fn stop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.rt.block_on(h.shutdown());
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Mounts `backend` at a fresh mount point.
pub fn mount_at(backend: Backend, tag: &str) -> (Mounted<Backend>, PathBuf) {
    let at = mount_point(tag);
    let m = mount(backend, MountOptions::new(&at)).unwrap();
    wait_mounted(&at);
    (m, at)
}

/// Waits until `at` is a `coh` mount.
pub fn wait_mounted(at: &Path) {
    for _ in 0..500 {
        if cohesix_mount::is_mounted(at) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{} never appeared as a coh mount", at.display());
}

/// The errno of an I/O error.
pub fn errno(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(-1)
}

/// Unmounts (by dropping the mount) and removes the mount point, in that order.
pub struct Guard(pub Option<Mounted<Backend>>, pub PathBuf);

impl Drop for Guard {
    fn drop(&mut self) {
        drop(self.0.take());
        let _ = std::fs::remove_dir(&self.1);
    }
}
