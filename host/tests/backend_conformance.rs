//! One conformance suite, three backends: the in-process mock, a directory (seeded with the
//! mock's mirror, as a `coh mount` of the same queen would look), and TCP to a simulator
//! serving the same surface. Every operation must give the same result and the same kind of
//! error on all three.
//!
//! Included as is by host/mount/tests/backend_conformance_mount.rs, whose build sets
//! `cohesix_mount_suite`: the rig then also holds the filesystem backend over real FUSE
//! mounts (`coh mount` of a TCP simulator and of the mock), held to the same results.

use std::path::PathBuf;

use cohesix::auth::Secret;
use cohesix::backend::{
    AnyBackend, Backend, FilesystemBackend, MockBackend, MockOptions, TcpBackend, TcpOptions,
};
use cohesix::{Error, ErrorKind};
use cohesix_sim::{AuthToken, SimConfig, SimHandle, Simulator};

struct Rig {
    backends: Vec<(&'static str, AnyBackend)>,
    _sim: SimHandle,
    _dir: PathBuf,
    /// What the extra backends need alive (mounts, their queen).
    _extra: Vec<Box<dyn std::any::Any + Send>>,
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "cohesix-conformance-{tag}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[allow(unexpected_cfgs)]
async fn rig(tag: &str) -> Rig {
    let dir = temp_dir(tag);
    let mirror = dir.join("mockfs");
    let mock = MockBackend::new(&MockOptions::new().root(Some(mirror.clone()))).unwrap();
    // The directory backend gets its own copy of the mirror (so writes through it do not
    // race the mock's next mirror pass).
    let fs_root = dir.join("mount");
    copy_tree(&mirror, &fs_root);
    let fs = FilesystemBackend::new(&fs_root).unwrap();
    let mut config = SimConfig::mock(false);
    config.token = AuthToken::new("conformance-token");
    let sim = Simulator::spawn(config).await.unwrap();
    let addr = sim.local_addr();
    let tcp = TcpBackend::connect(&TcpOptions::new(
        addr.ip().to_string(),
        addr.port(),
        Secret::new("conformance-token"),
    ))
    .unwrap();
    #[allow(unused_mut)]
    let mut backends: Vec<(&'static str, AnyBackend)> = vec![
        ("mock", mock.into()),
        ("filesystem", fs.into()),
        ("tcp", tcp.into()),
    ];
    #[allow(unused_mut)]
    let mut extra: Vec<Box<dyn std::any::Any + Send>> = Vec::new();
    #[cfg(cohesix_mount_suite)]
    backends.extend(crate::mount_backends(tag, &mut extra).await);
    Rig {
        backends,
        _sim: sim,
        _dir: dir,
        _extra: extra,
    }
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), &dst).unwrap();
        }
    }
}

/// Runs `op` on every backend and asserts the same outcome; returns it.
macro_rules! same {
    ($rig:expr, |$b:ident| $op:expr) => {{
        let mut seen: Vec<(&str, String)> = Vec::new();
        for (name, $b) in &$rig.backends {
            let out = $op.await;
            seen.push((name, format!("{out:?}")));
        }
        let first = seen[0].1.clone();
        for (name, got) in &seen {
            assert_eq!(got, &first, "{name} differs from {}", seen[0].0);
        }
        first
    }};
}

fn kind(r: Result<impl std::fmt::Debug, Error>) -> String {
    match r {
        Ok(v) => format!("ok {v:?}"),
        Err(e) => format!("{:?} missing={} {}", e.kind(), e.is_missing(), message(&e)),
    }
}

/// The message where every backend words it the same (checks done before any I/O).
fn message(e: &Error) -> String {
    match e.kind() {
        ErrorKind::Caller | ErrorKind::Resource => e.to_string(),
        _ => String::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_backend_lists_reads_and_refuses_alike() {
    let rig = rig("read").await;
    let gpus = same!(rig, |b| b.list("/gpu"));
    assert!(gpus.contains("GPU-0") && gpus.contains("GPU-1"), "{gpus}");
    let info = same!(rig, |b| async {
        text(b.read("/gpu/GPU-0/info", 4096).await)
    });
    assert!(info.contains("MockGPU"), "{info}");
    same!(rig, |b| async {
        lines(b.read("/proc/lease/summary", 160).await)
    });
    same!(rig, |b| async { kind(b.read("/gpu/GPU-0/info", 8).await) });
    let missing = same!(rig, |b| async { kind(b.read("/gpu/GPU-9/info", 64).await) });
    assert!(missing.contains("Refused missing=true"), "{missing}");
    same!(rig, |b| async { kind(b.list("/gpu/GPU-0/info").await) });
    let bad = same!(rig, |b| async { kind(b.read("relative", 8).await) });
    assert!(bad.contains("paths must be absolute"), "{bad}");
    same!(rig, |b| async { kind(b.read("/a/../b", 8).await) });
    same!(rig, |b| async { kind(b.tail("/log/queen.log", 0).await) });
}

fn text(r: Result<Vec<u8>, Error>) -> Result<String, String> {
    r.map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|e| e.to_string())
}

fn lines(r: Result<Vec<u8>, Error>) -> Result<Vec<String>, String> {
    r.map(|b| cohesix::backend::lines_of(&b))
        .map_err(|e| e.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_backend_appends_alike() {
    let rig = rig("append").await;
    // bytes_written is the line plus its newline on every backend.
    let n = same!(rig, |b| b.append("/log/queen.log", "conformance hello\n"));
    assert_eq!(n, "Ok(18)");
    let tail = same!(rig, |b| async {
        let t = b.tail("/log/queen.log", 4096).await.unwrap();
        String::from_utf8(t)
            .unwrap()
            .ends_with("conformance hello\n")
    });
    assert_eq!(tail, "true");
    let multi = same!(rig, |b| async {
        kind(b.append("/log/queen.log", "a\nb").await)
    });
    assert!(
        multi.contains("echo payload must be a single line"),
        "{multi}"
    );
    let long = "x".repeat(129);
    let over = same!(rig, |b| async {
        kind(b.append("/log/queen.log", &long).await)
    });
    assert!(over.contains("echo payload exceeds 128 bytes"), "{over}");
    let empty = same!(rig, |b| async {
        kind(b.append("/log/queen.log", "  \n").await)
    });
    assert!(empty.contains("must not be empty"), "{empty}");
    same!(rig, |b| async {
        kind(b.append("/log/queen.log", "caf\u{e9}").await)
    });
}
