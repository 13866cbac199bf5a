//! `cat` of a 4 KiB node and one append, through a FUSE mount vs through the console
//! directly (the host library's TCP backend), against two identical simulators in the same
//! run (a simulator serves one console client at a time). Prints p50 / p90 per case.
//!
//! `cargo bench -p cohesix-mount --bench mount_vs_console [-- ITERATIONS]`
//!
//! Cases: `cat` through the mount *cold* (a write just made every cached view stale, so the
//! open fetches the node with one `CAT`), *warm* (within the 1 s TTL: served from the view),
//! and `CAT` through the console; an append as `echo line >> file` does it (open, one write,
//! close) and as one console `ECHO`. Skips with a message where FUSE is unavailable.

use std::io::Write;
use std::time::{Duration, Instant};

use cohesix::auth::Secret;
use cohesix::backend::TcpOptions;
use cohesix::blocking::Backend;
use cohesix::discovery::BackendSpec;
use cohesix_mount::{mount, MountOptions};
use cohesix_sim::{AuthToken, SimConfig, Simulator};

const DEVICE: &str = "bench-dev";
const SEG: &str = "/queen/telemetry/bench-dev/seg/seg-000001";

fn sim(rt: &tokio::runtime::Runtime) -> (cohesix_sim::SimHandle, Backend) {
    let mut config = SimConfig::mock(false);
    config.token = AuthToken::new("bench-token");
    let h = rt.block_on(Simulator::spawn(config)).expect("simulator");
    let a = h.local_addr();
    let o = TcpOptions::new(a.ip().to_string(), a.port(), Secret::new("bench-token"));
    let b = Backend::open(&BackendSpec::Tcp(o)).expect("backend");
    (h, b)
}

/// A 4 KiB segment: 32 records of 127 bytes + newline.
fn seed(b: &Backend) {
    b.append(
        &format!("/queen/telemetry/{DEVICE}/ctl"),
        r#"{"new":"segment","mime":"text/plain"}"#,
    )
    .expect("new segment");
    for i in 0..32 {
        let rec = format!("{i:03}{}", "r".repeat(124));
        b.append(SEG, &rec).expect("record");
    }
    assert_eq!(b.read(SEG, 64 * 1024).expect("read").len(), 4096);
}

fn time(n: usize, mut f: impl FnMut(), mut between: impl FnMut()) -> Vec<Duration> {
    for _ in 0..n / 10 {
        between();
        f();
    }
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        between();
        let t = Instant::now();
        f();
        v.push(t.elapsed());
    }
    v.sort();
    v
}

fn pct(v: &[Duration], p: usize) -> Duration {
    v.get((v.len() * p / 100).min(v.len().saturating_sub(1)))
        .copied()
        .unwrap_or_default()
}

fn row(name: &str, v: &[Duration]) {
    println!(
        "{name:<44} p50 {:>9.1} µs   p90 {:>9.1} µs",
        pct(v, 50).as_secs_f64() * 1e6,
        pct(v, 90).as_secs_f64() * 1e6
    );
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300);
    if let Err(e) = cohesix_mount::probe() {
        println!("mount_vs_console: SKIPPED, no FUSE here ({e})");
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (_direct_sim, direct) = sim(&rt);
    let (_mount_sim, via) = sim(&rt);
    seed(&direct);
    seed(&via);
    let at = std::env::temp_dir().join(format!("cohesix-mount-bench-{}", std::process::id()));
    let mounted = mount(via, MountOptions::new(&at)).expect("mount");
    while !cohesix_mount::is_mounted(&at) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let node = at.join(SEG.trim_start_matches('/'));
    let log = at.join("log/queen.log");
    let expect = std::fs::read(&node).expect("cat through the mount");
    assert_eq!(expect.len(), 4096);

    println!("mount_vs_console: {n} iterations each, same run, loopback simulators");
    let stale = || {
        // One append through the mount: every cached view is stale afterwards.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&log)
            .expect("log");
        f.write_all(b"bench tick\n").expect("tick");
    };
    let cold = time(
        n,
        || assert_eq!(std::fs::read(&node).expect("cat").len(), 4096),
        stale,
    );
    let warm = time(
        n,
        || assert_eq!(std::fs::read(&node).expect("cat").len(), 4096),
        || {},
    );
    let console_cat = time(
        n,
        || assert_eq!(direct.read(SEG, 64 * 1024).expect("CAT").len(), 4096),
        || {},
    );
    let mut i = 0u64;
    let mount_append = time(
        n,
        || {
            i += 1;
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&log)
                .expect("log");
            f.write_all(format!("bench append {i}\n").as_bytes())
                .expect("append");
        },
        || {},
    );
    let mut j = 0u64;
    let console_append = time(
        n,
        || {
            j += 1;
            direct
                .append("/log/queen.log", &format!("bench append {j}"))
                .expect("ECHO");
        },
        || {},
    );
    row("cat 4 KiB, mount, cold (one CAT per open)", &cold);
    row("cat 4 KiB, mount, warm (within the 1 s TTL)", &warm);
    row("CAT 4 KiB, console (TcpBackend::read)", &console_cat);
    row("append, mount (open + write + close)", &mount_append);
    row("ECHO, console (TcpBackend::append)", &console_append);
    println!(
        "backend calls through the mount: {}",
        mounted.fs().status().fetches
    );
    mounted.unmount().expect("unmount");
}
