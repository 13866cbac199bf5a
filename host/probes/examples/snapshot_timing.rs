//! Wall time of a host snapshot on this machine: each probe alone, then the whole snapshot
//! (all probes, concurrently), `N` runs each (default 20), median / min / max in milliseconds.
//!
//! Run: `cargo run -p cohesix-probes --example snapshot_timing [--release] -- [N] [--units a,b]`.
//! This is a measurement tool, not a test: nothing is asserted.

use std::time::{Duration, Instant};

use cohesix_probes::{collect_host_snapshot, HostSnapshot, SnapshotOptions};

fn only(base: &SnapshotOptions, name: &str) -> SnapshotOptions {
    let mut o = base.clone();
    o.systemd_units = if name == "systemd" {
        base.systemd_units.clone()
    } else {
        None
    };
    o.include_docker = name == "docker";
    o.include_k8s = name == "k8s";
    o.include_nvidia = name == "nvidia";
    o.include_peft = name == "peft";
    o
}

fn stats(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = samples.get(samples.len() / 2).copied().unwrap_or_default();
    let min = samples.first().copied().unwrap_or_default();
    let max = samples.last().copied().unwrap_or_default();
    format!(
        "median {:8.2} ms   min {:8.2} ms   max {:8.2} ms",
        ms(median),
        ms(min),
        ms(max)
    )
}

fn summary(snapshot: &HostSnapshot) -> String {
    snapshot
        .results
        .values()
        .map(|r| {
            let source = r.data.get("source").and_then(|s| s.as_str()).unwrap_or("-");
            format!("{}={}({source})", r.provider, r.status)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut runs = 20usize;
    let mut units = Some(vec!["ssh.service".to_owned(), "cron.service".to_owned()]);
    while let Some(arg) = args.next() {
        if arg == "--units" {
            units = args
                .next()
                .map(|u| u.split(',').map(str::to_owned).collect());
        } else if let Ok(n) = arg.parse() {
            runs = n;
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let base = SnapshotOptions {
        systemd_units: units,
        ..SnapshotOptions::default()
    };
    let cases: [(&str, SnapshotOptions); 6] = [
        ("systemd", only(&base, "systemd")),
        ("docker", only(&base, "docker")),
        ("k8s", only(&base, "k8s")),
        ("nvidia", only(&base, "nvidia")),
        ("peft", only(&base, "peft")),
        ("snapshot (all)", base.clone()),
    ];
    for (name, opts) in &cases {
        // One warm-up run (page cache, dynamic loader), reported for its statuses.
        let warm = runtime.block_on(collect_host_snapshot(opts));
        let samples = (0..runs)
            .map(|_| {
                let start = Instant::now();
                let _ = runtime.block_on(collect_host_snapshot(opts));
                start.elapsed()
            })
            .collect();
        println!("{name:<15} {}   {}", stats(samples), summary(&warm));
    }
    Ok(())
}
