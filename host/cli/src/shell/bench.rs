//! `cohsh bench ping`: PING round-trip statistics.

use core::fmt;
use std::time::{Duration, Instant};

use cohesix_tokio::{ClientError, Console, Request, MAX_PIPELINE};

/// Summary of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BenchStats {
    /// PINGs completed.
    pub count: usize,
    /// Requests in flight per round.
    pub pipeline: usize,
    /// Median round trip.
    pub p50: Duration,
    /// 99th percentile round trip.
    pub p99: Duration,
    /// Completed requests per second.
    pub rps: f64,
}

impl fmt::Display for BenchStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ping count={} pipeline={} p50_us={} p99_us={} rps={:.0}",
            self.count,
            self.pipeline,
            self.p50.as_micros(),
            self.p99.as_micros(),
            self.rps
        )
    }
}

/// The `q`-quantile (0.0..=1.0, nearest rank) of sorted samples.
#[must_use]
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.saturating_sub(1).min(sorted.len() - 1))
        .copied()
        .unwrap_or_default()
}

/// Builds statistics from per-request round trips and the wall time of the run.
#[must_use]
pub fn stats(mut samples: Vec<Duration>, pipeline: usize, wall: Duration) -> BenchStats {
    samples.sort_unstable();
    let secs = wall.as_secs_f64();
    BenchStats {
        count: samples.len(),
        pipeline,
        p50: quantile(&samples, 0.50),
        p99: quantile(&samples, 0.99),
        rps: if secs > 0.0 {
            samples.len() as f64 / secs
        } else {
            0.0
        },
    }
}

/// Sends `count` PINGs, `pipeline` (1..=8) at a time, timing each round trip (for a
/// pipelined round, every request in it is charged the round's time).
///
/// Cancel-safe: dropping the future leaves the client usable (figures are lost).
///
/// # Errors
/// The first failed PING.
pub async fn ping(
    client: &Console,
    count: usize,
    pipeline: usize,
) -> Result<BenchStats, ClientError> {
    let k = pipeline.clamp(1, MAX_PIPELINE);
    let mut samples = Vec::with_capacity(count);
    let started = Instant::now();
    let mut left = count;
    while left > 0 {
        let n = left.min(k);
        let t = Instant::now();
        if n == 1 {
            client.ping().await?;
        } else {
            let reqs = vec![Request::Ping; n];
            for r in client.pipeline(&reqs).await? {
                r?;
            }
        }
        let rtt = t.elapsed();
        samples.extend(std::iter::repeat_n(rtt, n));
        left -= n;
    }
    Ok(stats(samples, k, started.elapsed()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_nearest_rank() {
        let s: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        assert_eq!(quantile(&s, 0.5), Duration::from_micros(50));
        assert_eq!(quantile(&s, 0.99), Duration::from_micros(99));
        assert_eq!(quantile(&s, 1.0), Duration::from_micros(100));
        assert_eq!(quantile(&[], 0.5), Duration::ZERO);
        let st = stats(s, 1, Duration::from_secs(2));
        assert_eq!(st.count, 100);
        assert!((st.rps - 50.0).abs() < 1e-9);
        assert_eq!(
            st.to_string(),
            "ping count=100 pipeline=1 p50_us=50 p99_us=99 rps=50"
        );
    }
}
