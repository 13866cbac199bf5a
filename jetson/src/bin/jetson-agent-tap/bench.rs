//! `--bench-ping N`: PING round trips through the embassy adapter over the TAP stack.

use std::time::Instant as StdInstant;

use cohesix_core::role::Role;
use cohesix_core::session::{Config, Credentials, Session};
use cohesix_embassy::{Buffers, Client};
use cohesix_jetson::agent::Link;
use cohesix_jetson::net::TcpLink;
use embassy_time::{Duration, Instant};

use crate::args::Args;

/// Connects as `queen` (no ticket), then times `n` sequential PINGs (after 10 warm-up ones)
/// and prints one line: `bench-ping n=<n> median_us=<m> p99_us=<p> max_us=<x>`.
pub async fn ping(
    mut link: TcpLink<'static>,
    buffers: &'static mut Buffers,
    args: &Args,
    n: u32,
) -> Result<(), String> {
    let creds = Credentials::new(&args.auth_token, Role::Queen, None)
        .map_err(|e| format!("credentials: {e:?}"))?;
    let session = Session::new(Config::new(), creds).map_err(|e| format!("session: {e:?}"))?;
    link.open()
        .await
        .map_err(|e| format!("connect {}: {e:?}", args.queen))?;
    let mut client = Client::new(link, session, buffers);
    let deadline = || Instant::now() + Duration::from_secs(5);
    client
        .connect(deadline())
        .await
        .map_err(|e| format!("attach: {e:?}"))?;
    let mut samples = Vec::with_capacity(n as usize);
    for i in 0..n.saturating_add(10) {
        let t0 = StdInstant::now();
        let reply = client
            .ping(deadline())
            .await
            .map_err(|e| format!("ping: {e:?}"))?;
        let us = t0.elapsed().as_micros() as u64;
        if !reply.is_ok() {
            return Err(format!("ping refused: {reply:?}"));
        }
        if i >= 10 {
            samples.push(us);
        }
    }
    samples.sort_unstable();
    let pick = |q: f64| {
        let idx = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(idx).copied().unwrap_or(0)
    };
    println!(
        "bench-ping n={} median_us={} p99_us={} max_us={}",
        samples.len(),
        pick(0.5),
        pick(0.99),
        samples.last().copied().unwrap_or(0)
    );
    Ok(())
}
