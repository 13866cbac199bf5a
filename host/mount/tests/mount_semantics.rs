//! `coh mount` semantics on a real FUSE mount, over the mock and over TCP to a simulator:
//! `ls`, `cat`, `stat`, `echo >>`, `printf >>`, `tail -f`, every refusal rule with its errno,
//! concurrent readers. Skipped (one loud line) only where `/dev/fuse` is absent outside CI.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cohesix::blocking::Backend;
use cohesix_mount::Mounted;
use cohesix_testsupport::proxy::AckDroppingProxy;
use support::*;

const ENOENT: i32 = 2;
const EIO: i32 = 5;
const EACCES: i32 = 13;
const EINVAL: i32 = 22;
const EFBIG: i32 = 27;
const EPERM: i32 = 1;
const ENAMETOOLONG: i32 = 36;

/// Runs `f` on a mount of the mock and on a mount of a TCP simulator.
fn each_backend(test: &str, f: impl Fn(&str, &Mounted<Backend>, &Path)) {
    if !fuse_ok(test) {
        return;
    }
    {
        let (m, at) = mount_at(mock(), &format!("{test}-mock"));
        f("mock", &m, &at);
        m.unmount().unwrap();
        assert!(!cohesix_mount::is_mounted(&at));
        let _ = std::fs::remove_dir(&at);
    }
    {
        let sim = Sim::start();
        let (m, at) = mount_at(sim.backend(), &format!("{test}-tcp"));
        f("tcp", &m, &at);
        m.unmount().unwrap();
        assert!(!cohesix_mount::is_mounted(&at));
        let _ = std::fs::remove_dir(&at);
    }
}

/// `bash -c script` in `dir`: (exit code, stdout, stderr). Bash, because its messages carry
/// the errno (dash says "I/O error" for every failed write).
fn sh(dir: &Path, script: &str) -> (i32, String, String) {
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

fn read(p: &Path) -> String {
    String::from_utf8(std::fs::read(p).unwrap()).unwrap()
}

fn err_of(r: std::io::Result<impl Sized>) -> i32 {
    match r {
        Ok(_) => 0,
        Err(e) => errno(&e),
    }
}

fn append(p: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .append(true)
        .open(p)?
        .write_all(bytes)
}

#[test]
fn ls_cat_and_stat_show_the_allowlisted_namespace() {
    each_backend("ls-cat-stat", |_, _, at| {
        let (code, out, _) = sh(at, "ls");
        assert_eq!(code, 0);
        let root: Vec<&str> = out.lines().collect();
        // The manifest allowlist, as the queen has it; nothing outside.
        assert_eq!(
            root,
            ["actions", "gpu", "host", "log", "policy", "proc", "queen", "worker"]
        );
        let (code, out, _) = sh(at, "ls gpu && cat gpu/GPU-0/info");
        assert_eq!(code, 0);
        assert!(out.contains("GPU-0\nGPU-1\n"), "{out}");
        assert!(out.contains("\"name\": \"MockGPU\""), "{out}");
        let info = at.join("gpu/GPU-0/info");
        let meta = std::fs::metadata(&info).unwrap();
        assert!(meta.is_file());
        assert_eq!(meta.len(), read(&info).len() as u64, "stat size = content");
        assert!(std::fs::metadata(at.join("proc")).unwrap().is_dir());
        let (code, out, _) = sh(
            at,
            "stat -c '%n %s %A' gpu/GPU-0/info queen/ctl log/queen.log",
        );
        assert_eq!(code, 0);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("gpu/GPU-0/info ") && lines[0].ends_with(" -rw-r--r--"));
        // Control files are write-only.
        assert_eq!(lines[1], "queen/ctl 0 --w-------");
        assert!(lines[2].ends_with(" -rw-r--r--"));
        let summary = read(&at.join("proc/lease/summary"));
        assert!(summary.starts_with("active="), "{summary}");
        // Kernel-resolved `..` stays inside the namespace's rules.
        assert_eq!(read(&at.join("gpu/../gpu/GPU-0/info")), read(&info));
        let mode = std::fs::metadata(at.join("queen/ctl"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o200);
        let df = sh(at, "df -P . | tail -1 | cut -d' ' -f1").1;
        assert_eq!(df.trim(), "coh", "the filesystem is named coh");
    });
}

#[test]
fn echo_and_printf_append_one_line_each() {
    each_backend("append", |_, m, at| {
        let before = m.fs().status().appends;
        let (code, _, err) = sh(
            at,
            "echo 'mount hello' >> log/queen.log && printf 'from printf\\n' >> log/queen.log \
             && printf 'no newline' >> log/queen.log",
        );
        assert_eq!(code, 0, "{err}");
        append(&at.join("log/queen.log"), b"from std append\n").unwrap();
        assert_eq!(m.fs().status().appends, before + 4, "one append per write");
        let (code, out, _) = sh(at, "tail -n 4 log/queen.log");
        assert_eq!(code, 0);
        assert_eq!(
            out, "mount hello\nfrom printf\nno newline\nfrom std append\n",
            "each write became exactly one line"
        );
        // A control write reaches the queen: the telemetry device it opens shows up.
        let (code, _, err) = sh(
            at,
            r#"echo '{"new":"segment","mime":"text/plain"}' >> queen/telemetry/dev-echo/ctl"#,
        );
        assert_eq!(code, 0, "{err}");
        let devices = sh(at, "ls queen/telemetry").1;
        assert!(devices.lines().any(|d| d == "dev-echo"), "{devices}");
        // A refused write says why, with the errno (the policy gate of /queen/ctl).
        let (code, _, err) = sh(at, r#"echo '{"spawn":"heartbeat","ticks":3}' >> queen/ctl"#);
        assert_eq!(code, 1);
        assert!(err.contains("Operation not permitted"), "{err}");
    });
}

#[test]
fn every_rule_answers_its_errno() {
    each_backend("rules", |_, m, at| {
        let log = at.join("log/queen.log");
        let appends = m.fs().status().appends;
        // Truncation is EPERM, with a shell's usual message.
        let (code, _, err) = sh(at, "echo x > log/queen.log");
        assert_ne!(code, 0);
        assert!(err.contains("Operation not permitted"), "{err}");
        assert_eq!(
            err_of(
                std::fs::OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(&log)
            ),
            EPERM
        );
        assert_eq!(
            err_of(
                std::fs::File::options()
                    .write(true)
                    .open(&log)
                    .and_then(|f| f.set_len(0))
            ),
            EPERM
        );
        // A write at any offset but the end is EINVAL (non-append handle: cursor 0 or end).
        let f = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
        assert_eq!(err_of(f.write_at(b"middle\n", 3)), EINVAL);
        drop(f);
        // Several lines in one write: EINVAL, nothing split.
        assert_eq!(err_of(append(&log, b"multi-a\nmulti-b\n")), EINVAL);
        // Over the 128-byte line bound: EFBIG, nothing sent.
        let long = format!("{}\n", "y".repeat(129));
        assert_eq!(err_of(append(&log, long.as_bytes())), EFBIG);
        let exact = format!("{}\n", "z".repeat(128));
        assert_eq!(err_of(append(&log, exact.as_bytes())), 0, "128 bytes fit");
        // Empty and non-ASCII lines: EINVAL.
        assert_eq!(err_of(append(&log, b"\n")), EINVAL);
        assert_eq!(err_of(append(&log, "caf\u{e9}\n".as_bytes())), EINVAL);
        assert_eq!(
            m.fs().status().appends,
            appends + 1,
            "only the 128-byte line was sent"
        );
        let text = read(&log);
        assert!(!text.contains("multi-a") && !text.contains("yyyy") && !text.contains("middle"));
        assert!(text.contains(&"z".repeat(128)));
        // The queen refuses writes to read-only nodes (EPERM) and bad payloads (EINVAL).
        assert_eq!(err_of(append(&at.join("gpu/GPU-0/info"), b"x\n")), EPERM);
        assert_eq!(
            err_of(append(&at.join("queen/schedule/ctl"), b"not json\n")),
            EINVAL
        );
        // No create, mkdir, unlink, rename, link, chmod, utimes.
        assert_eq!(err_of(append(&at.join("gpu/new-file"), b"x\n")), ENOENT);
        assert_eq!(
            err_of(
                std::fs::OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(at.join("gpu/new-file"))
            ),
            EPERM
        );
        assert_eq!(err_of(std::fs::create_dir(at.join("gpu/newdir"))), EPERM);
        assert_eq!(
            err_of(std::fs::remove_file(at.join("gpu/GPU-0/info"))),
            EPERM
        );
        assert_eq!(
            err_of(std::fs::rename(
                at.join("gpu/GPU-0/info"),
                at.join("gpu/GPU-0/x")
            )),
            EPERM
        );
        assert_eq!(
            err_of(std::fs::hard_link(
                at.join("gpu/GPU-0/info"),
                at.join("gpu/l")
            )),
            EPERM
        );
        assert_eq!(
            err_of(std::os::unix::fs::symlink("x", at.join("gpu/s"))),
            EPERM
        );
        assert_eq!(
            err_of(std::fs::set_permissions(
                at.join("gpu/GPU-0/info"),
                std::fs::Permissions::from_mode(0o600)
            )),
            EPERM
        );
        let (code, _, _) = sh(at, "touch gpu/GPU-0/info");
        assert_ne!(code, 0, "touch changes times: refused");
        // Control files cannot be read.
        assert_eq!(err_of(std::fs::read(at.join("queen/ctl"))), EACCES);
        // Outside the allowlist: EACCES (and not listed at the root).
        assert_eq!(err_of(std::fs::read_dir(at.join("trace"))), EACCES);
        assert_eq!(err_of(std::fs::read(at.join("trace/events"))), EACCES);
        assert_eq!(err_of(std::fs::metadata(at.join("kmesg"))), EACCES);
        // Missing nodes: ENOENT.
        assert_eq!(err_of(std::fs::read(at.join("gpu/GPU-9/info"))), ENOENT);
        // Path rules: over 96 bytes or a component over 64 → ENAMETOOLONG; bytes the
        // console cannot carry → EINVAL.
        let long_name = "n".repeat(70);
        assert_eq!(
            err_of(std::fs::metadata(at.join("gpu").join(&long_name))),
            ENAMETOOLONG
        );
        // Through directories that exist by shape (a telemetry device's seg/): 104 bytes.
        let deep = format!("queen/telemetry/{}/seg/{}", "d".repeat(32), "s".repeat(50));
        assert_eq!(err_of(std::fs::metadata(at.join(&deep))), ENAMETOOLONG);
        assert_eq!(err_of(std::fs::metadata(at.join("gpu/with space"))), EINVAL);
        assert_eq!(err_of(std::fs::metadata(at.join("gpu/caf\u{e9}"))), EINVAL);
        assert!(m.fs().status().refused_locally >= 6);
    });
}

/// Reads lines of a child's stdout on a thread.
fn lines_of(child: &mut std::process::Child) -> mpsc::Receiver<String> {
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn next_lines(rx: &mpsc::Receiver<String>, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut got = Vec::new();
    while got.len() < n {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => got.push(l),
            Err(_) => break,
        }
    }
    got
}

#[test]
fn tail_follow_prints_only_new_lines() {
    each_backend("tail-f", |_, _, at| {
        append(&at.join("log/queen.log"), b"before-follow\n").unwrap();
        let mut tail = Command::new("tail")
            .args(["-n", "1", "-s", "0.2", "-f", "log/queen.log"])
            .current_dir(at)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let rx = lines_of(&mut tail);
        assert_eq!(next_lines(&rx, 1), ["before-follow"]);
        for i in 1..=3 {
            append(
                &at.join("log/queen.log"),
                format!("follow-{i}\n").as_bytes(),
            )
            .unwrap();
            std::thread::sleep(Duration::from_millis(300));
        }
        let got = next_lines(&rx, 3);
        assert_eq!(
            got,
            ["follow-1", "follow-2", "follow-3"],
            "TAIL semantics: no re-read from zero"
        );
        let _ = tail.kill();
        let _ = tail.wait();
        // Nothing else arrived (no repeated lines).
        assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
    });
}

#[test]
fn tail_follow_of_a_telemetry_latest_prints_each_new_segment() {
    each_backend("tail-latest", |_, _, at| {
        let ctl = at.join("queen/telemetry/dev-follow/ctl");
        let new = br#"{"new":"segment","mime":"text/plain"}
"#;
        // A device is created by writing its ctl (the directory exists by shape).
        append(&ctl, new).unwrap();
        assert_eq!(
            read(&at.join("queen/telemetry/dev-follow/latest")),
            "seg-000001\n"
        );
        let mut tail = Command::new("tail")
            .args([
                "-n",
                "1",
                "-s",
                "0.2",
                "-f",
                "queen/telemetry/dev-follow/latest",
            ])
            .current_dir(at)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let rx = lines_of(&mut tail);
        assert_eq!(next_lines(&rx, 1), ["seg-000001"]);
        append(&ctl, new).unwrap();
        assert_eq!(next_lines(&rx, 1), ["seg-000002"]);
        append(&ctl, new).unwrap();
        assert_eq!(next_lines(&rx, 1), ["seg-000003"]);
        let _ = tail.kill();
        let _ = tail.wait();
        // A fresh reader sees the current value only.
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(
            read(&at.join("queen/telemetry/dev-follow/latest")),
            "seg-000003\n"
        );
        let segs = sh(at, "ls queen/telemetry/dev-follow/seg").1;
        assert_eq!(segs, "seg-000001\nseg-000002\nseg-000003\n");
    });
}

#[test]
fn concurrent_readers_see_consistent_content() {
    each_backend("concurrent", |_, m, at| {
        let nodes = [
            "gpu/GPU-0/info",
            "gpu/GPU-1/info",
            "proc/lease/summary",
            "gpu/GPU-0/status",
        ];
        let expected: Vec<String> = nodes.iter().map(|n| read(&at.join(n))).collect();
        std::thread::scope(|s| {
            for t in 0..8 {
                let expected = &expected;
                s.spawn(move || {
                    for i in 0..25 {
                        let k = (t + i) % nodes.len();
                        assert_eq!(&read(&at.join(nodes[k])), &expected[k], "{}", nodes[k]);
                        let _ = std::fs::metadata(at.join("log/queen.log")).unwrap();
                    }
                });
            }
            // A writer at the same time.
            s.spawn(|| {
                for i in 0..10 {
                    append(
                        &at.join("log/queen.log"),
                        format!("concurrent-{i}\n").as_bytes(),
                    )
                    .unwrap();
                }
            });
        });
        let log = read(&at.join("log/queen.log"));
        for i in 0..10 {
            assert!(log.contains(&format!("concurrent-{i}\n")), "{log}");
        }
        // RELEASE reaches the filesystem after close(2) returns: give it a moment.
        let start = Instant::now();
        while m.fs().status().handles != 0 && start.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(m.fs().status().handles, 0, "every handle was released");
    });
}

#[test]
fn a_lost_acknowledgement_is_eio_and_counted_as_outcome_unknown() {
    if !fuse_ok("lost-ack") {
        return;
    }
    let sim = Sim::start();
    let proxy = AckDroppingProxy::start(sim.addr(), "lose-this-ack");
    let mut o = sim.options();
    o.port = proxy.port();
    o.host = "127.0.0.1".into();
    let backend = Backend::open(&cohesix::discovery::BackendSpec::Tcp(o.max_retries(0))).unwrap();
    let (m, at) = mount_at(backend, "lost-ack");
    let log = at.join("log/queen.log");
    append(&log, b"acked line\n").unwrap();
    assert_eq!(err_of(append(&log, b"lose-this-ack\n")), EIO);
    let s = m.fs().status();
    assert_eq!(s.outcome_unknown, 1);
    // Never re-sent: the queen saw it exactly once (it was forwarded before the drop).
    std::thread::sleep(Duration::from_millis(200));
    let text = read(&log);
    assert_eq!(text.matches("lose-this-ack").count(), 1, "{text}");
    m.unmount().unwrap();
    let _ = std::fs::remove_dir(&at);
}
