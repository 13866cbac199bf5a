//! `GET /metrics`: Prometheus text, from the `metrics` facade and
//! `metrics-exporter-prometheus`, with a recorder owned by each gateway (no global state, so
//! several gateways in one process keep separate figures).
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `hive_gateway_requests_total` | counter | `route`, `method`, `status` |
//! | `hive_gateway_request_duration_seconds` | histogram | `route` |
//! | `hive_gateway_rejected_total` | counter (429s) | `reason` = `queue_full` / `wait_budget` |
//! | `hive_gateway_echo_total` | counter | `outcome` |
//! | `hive_gateway_console_connects_total`, `_reconnects_total` | counter | |
//! | `hive_gateway_console_connected` | gauge | |
//! | `hive_gateway_queue_depth`, `hive_gateway_dispatched` | gauge | |
//! | `hive_gateway_proc_cache_{hits,misses,evictions}_total` | counter | |

use std::time::Duration;

use metrics::{Key, KeyName, Label, Level, Metadata, Recorder, SharedString, Unit};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

use crate::cache::CacheStats;
use crate::fair::QueueStats;

const META: Metadata<'static> = Metadata::new("hive_gateway", Level::INFO, Some(module_path!()));

/// Request latency buckets, in seconds.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.000_25, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Connection figures fed at scrape time.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConsoleFigures {
    /// Sessions attached now.
    pub connected: usize,
    /// Attaches so far.
    pub connects: u64,
    /// Re-attaches so far.
    pub reconnects: u64,
}

/// The gateway's metrics.
pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

fn key(name: &'static str, labels: Vec<Label>) -> Key {
    Key::from_parts(name, labels)
}

impl Metrics {
    /// A fresh recorder (histogram buckets for the latency).
    #[must_use]
    pub fn new() -> Self {
        let builder = PrometheusBuilder::new();
        let builder = match builder.set_buckets_for_metric(
            Matcher::Full("hive_gateway_request_duration_seconds".into()),
            &LATENCY_BUCKETS,
        ) {
            Ok(b) => b,
            // Only fails for an empty bucket list.
            Err(_) => PrometheusBuilder::new(),
        };
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let m = Self { recorder, handle };
        m.describe();
        m
    }

    fn describe(&self) {
        let d = |name: &'static str, unit: Unit, text: &'static str, kind: u8| {
            let name = KeyName::from_const_str(name);
            let text = SharedString::const_str(text);
            match kind {
                0 => self.recorder.describe_counter(name, Some(unit), text),
                1 => self.recorder.describe_gauge(name, Some(unit), text),
                _ => self.recorder.describe_histogram(name, Some(unit), text),
            }
        };
        d(
            "hive_gateway_requests_total",
            Unit::Count,
            "HTTP requests answered",
            0,
        );
        d(
            "hive_gateway_request_duration_seconds",
            Unit::Seconds,
            "HTTP request latency",
            2,
        );
        d(
            "hive_gateway_rejected_total",
            Unit::Count,
            "Requests refused with 429 (never sent to the console)",
            0,
        );
        d("hive_gateway_echo_total", Unit::Count, "ECHO outcomes", 0);
        d(
            "hive_gateway_console_connects_total",
            Unit::Count,
            "Console attaches",
            0,
        );
        d(
            "hive_gateway_console_reconnects_total",
            Unit::Count,
            "Console re-attaches after a drop",
            0,
        );
        d(
            "hive_gateway_console_connected",
            Unit::Count,
            "Console sessions attached now",
            1,
        );
        d(
            "hive_gateway_queue_depth",
            Unit::Count,
            "Requests waiting in the fair queue",
            1,
        );
        d(
            "hive_gateway_dispatched",
            Unit::Count,
            "Requests dispatched to the console now",
            1,
        );
    }

    /// One answered request.
    pub fn request(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let labels = vec![
            Label::new("route", route.to_owned()),
            Label::new("method", method.to_owned()),
            Label::new("status", status.to_string()),
        ];
        self.recorder
            .register_counter(&key("hive_gateway_requests_total", labels), &META)
            .increment(1);
        self.recorder
            .register_histogram(
                &key(
                    "hive_gateway_request_duration_seconds",
                    vec![Label::new("route", route.to_owned())],
                ),
                &META,
            )
            .record(elapsed.as_secs_f64());
    }

    /// One 429.
    pub fn rejected(&self, reason: &'static str) {
        self.recorder
            .register_counter(
                &key(
                    "hive_gateway_rejected_total",
                    vec![Label::new("reason", reason)],
                ),
                &META,
            )
            .increment(1);
    }

    /// One ECHO outcome (`committed`, `refused`, `unknown`, `not_sent`).
    pub fn echo(&self, outcome: &'static str) {
        self.recorder
            .register_counter(
                &key(
                    "hive_gateway_echo_total",
                    vec![Label::new("outcome", outcome)],
                ),
                &META,
            )
            .increment(1);
    }

    fn absolute(&self, name: &'static str, v: u64) {
        self.recorder
            .register_counter(&key(name, vec![]), &META)
            .absolute(v);
    }

    fn gauge(&self, name: &'static str, v: usize) {
        #[allow(clippy::cast_precision_loss)]
        self.recorder
            .register_gauge(&key(name, vec![]), &META)
            .set(v as f64);
    }

    /// The Prometheus text, after folding in the figures of the moment.
    #[must_use]
    pub fn render(&self, console: ConsoleFigures, queue: QueueStats, cache: CacheStats) -> String {
        self.absolute("hive_gateway_console_connects_total", console.connects);
        self.absolute("hive_gateway_console_reconnects_total", console.reconnects);
        self.gauge("hive_gateway_console_connected", console.connected);
        self.gauge(
            "hive_gateway_queue_depth",
            queue.read_waiters + queue.write_waiters,
        );
        self.gauge("hive_gateway_dispatched", queue.in_flight);
        self.absolute("hive_gateway_proc_cache_hits_total", cache.hits);
        self.absolute("hive_gateway_proc_cache_misses_total", cache.misses);
        self.absolute("hive_gateway_proc_cache_evictions_total", cache.evictions);
        self.handle.run_upkeep();
        self.handle.render()
    }

    /// Drains histogram buffers (call now and then).
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text_with_labels_and_buckets() {
        let m = Metrics::new();
        m.request("/v1/fs/cat", "GET", 200, Duration::from_millis(3));
        m.request("/v1/fs/cat", "GET", 200, Duration::from_millis(4));
        m.rejected("queue_full");
        let text = m.render(
            ConsoleFigures {
                connected: 1,
                connects: 2,
                reconnects: 1,
            },
            QueueStats::default(),
            CacheStats::default(),
        );
        assert!(
            text.contains(
                "hive_gateway_requests_total{route=\"/v1/fs/cat\",method=\"GET\",status=\"200\"} 2"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "hive_gateway_request_duration_seconds_bucket{route=\"/v1/fs/cat\",le=\"0.005\"} 2"
            ),
            "{text}"
        );
        assert!(text.contains("hive_gateway_rejected_total{reason=\"queue_full\"} 1"));
        assert!(text.contains("hive_gateway_console_reconnects_total 1"));
        assert!(text.contains("# HELP hive_gateway_requests_total"));
        // A second gateway's recorder is separate.
        assert!(!Metrics::new()
            .render(
                ConsoleFigures::default(),
                QueueStats::default(),
                CacheStats::default()
            )
            .contains("route=\"/v1/fs/cat\""));
    }
}
