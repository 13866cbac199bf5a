//! A mount's life: a backend restart mid-mount (the mount stays and recovers), a backend
//! lost for good (the mount ends itself, unmounted, with the reason), a stop request, and
//! an unmount from outside.

mod support;

use std::time::{Duration, Instant};

use cohesix_mount::{mount, Ended, MountOptions};
use support::*;

fn eventually(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_backend_restart_mid_mount_recovers() {
    if !fuse_ok("restart") {
        return;
    }
    let mut sim = Sim::start();
    let addr = sim.addr();
    let at = mount_point("restart");
    let m = mount(sim.backend(), MountOptions::new(&at)).unwrap();
    wait_mounted(&at);
    let info = at.join("gpu/GPU-0/info");
    let before = std::fs::read_to_string(&info).unwrap();
    std::fs::OpenOptions::new()
        .append(true)
        .open(at.join("log/queen.log"))
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"before restart\n"))
        .unwrap();
    let log = std::fs::read_to_string(at.join("log/queen.log")).unwrap();
    assert!(log.ends_with("before restart\n"), "{log}");
    sim.stop();
    // While it is down, fresh reads fail with EIO; the mount stays.
    std::thread::sleep(Duration::from_millis(1100));
    let err = std::fs::read_to_string(&info).unwrap_err();
    assert_eq!(errno(&err), 5, "{err}");
    assert!(cohesix_mount::is_mounted(&at));
    // The queen comes back on the same address: reads work again.
    let sim2 = Sim::start_on(&addr.to_string());
    eventually("reads after the restart", Duration::from_secs(15), || {
        std::fs::read_to_string(&info).is_ok_and(|t| t == before)
    });
    std::fs::OpenOptions::new()
        .append(true)
        .open(at.join("log/queen.log"))
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"after restart\n"))
        .unwrap();
    let log = std::fs::read_to_string(at.join("log/queen.log")).unwrap();
    // The log view kept what it had shown and added the new queen's lines, once each.
    assert!(log.contains("before restart\n"), "{log}");
    assert_eq!(log.matches("after restart\n").count(), 1, "{log}");
    assert!(cohesix_mount::is_mounted(&at));
    m.unmount().unwrap();
    assert!(!cohesix_mount::is_mounted(&at));
    let _ = std::fs::remove_dir(&at);
    drop(sim2);
}

#[test]
fn a_backend_lost_for_good_ends_the_mount_with_the_reason() {
    if !fuse_ok("lost") {
        return;
    }
    let mut sim = Sim::start();
    let at = mount_point("lost");
    let m = mount(
        sim.backend(),
        MountOptions::new(&at).lost_after(Duration::from_millis(1500)),
    )
    .unwrap();
    wait_mounted(&at);
    assert!(std::fs::read_dir(at.join("gpu")).is_ok());
    sim.stop();
    let started = Instant::now();
    // Nobody uses the mount: the watchdog's probes find the outage by themselves.
    let ended = m.wait().unwrap();
    match ended {
        Ended::BackendLost(reason) => assert!(reason.contains("no answer for"), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(15));
    assert!(!cohesix_mount::is_mounted(&at), "no stale mount");
    let _ = std::fs::remove_dir(&at);
}

#[test]
fn a_stop_request_and_an_outside_unmount_end_the_mount() {
    if !fuse_ok("stop") {
        return;
    }
    let (m, at) = mount_at(mock(), "stop");
    let stop = m.stopper();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        stop.stop("SIGTERM");
    });
    assert_eq!(m.wait().unwrap(), Ended::Stopped("SIGTERM".into()));
    assert!(!cohesix_mount::is_mounted(&at));
    let _ = std::fs::remove_dir(&at);

    let (m, at) = mount_at(mock(), "outside");
    let status = std::process::Command::new("fusermount3")
        .arg("-u")
        .arg(&at)
        .status();
    if status.is_err() {
        // No fusermount3 (root can still mount): unmount with umount(8).
        let _ = std::process::Command::new("umount").arg(&at).status();
    }
    assert_eq!(m.wait().unwrap(), Ended::Unmounted);
    assert!(!cohesix_mount::is_mounted(&at));
    let _ = std::fs::remove_dir(&at);
}
