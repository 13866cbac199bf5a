//! `/proc` observability nodes: one `key=value` line each (spec §5.2, host-surface §3).
//! Each node the manifest sizes (`observability.proc_*.<node>_bytes`) is cut to whole lines
//! within that bound.

use cohesix_core::lifecycle::LifecycleState;
use cohesix_generated::observability::{proc_9p_session, proc_ingest, proc_pressure, proc_root};

use super::control_plane::bounded;
use super::Namespace;

/// The manifest's read bound of a `/proc` node (path below `/proc`), where it has one.
/// `/proc/schedule/*` and `/proc/lease/*` are bounded where they are rendered.
fn node_bytes(rest: &[&str]) -> Option<usize> {
    Some(match rest {
        ["9p", "session", "active"] => proc_9p_session::ACTIVE_BYTES,
        ["ingest", "p50_ms"] => proc_ingest::P50_MS_BYTES,
        ["ingest", "p95_ms"] => proc_ingest::P95_MS_BYTES,
        ["ingest", "backpressure"] => proc_ingest::BACKPRESSURE_BYTES,
        ["ingest", "queued"] => proc_ingest::QUEUED_BYTES,
        ["root", "reachable"] => proc_root::REACHABLE_BYTES,
        ["root", "last_seen_ms"] => proc_root::LAST_SEEN_MS_BYTES,
        ["root", "cut_reason"] => proc_root::CUT_REASON_BYTES,
        ["pressure", "busy"] => proc_pressure::BUSY_BYTES,
        ["pressure", "quota"] => proc_pressure::QUOTA_BYTES,
        ["pressure", "cut"] => proc_pressure::CUT_BYTES,
        ["pressure", "policy"] => proc_pressure::POLICY_BYTES,
        _ => return None,
    })
}

/// Self-test scripts under `/proc/tests`.
pub const TESTS: [(&str, &str); 1] = [("selftest_quick.coh", "attach queen")];

impl Namespace {
    pub(super) fn proc_list(&self, rest: &[&str]) -> Option<Vec<String>> {
        let strs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cp = self.features.control_plane;
        match rest {
            [] => {
                let mut v = strs(&[
                    "boot",
                    "tests",
                    "lifecycle",
                    "9p",
                    "ingest",
                    "root",
                    "pressure",
                ]);
                if cp {
                    v.extend(strs(&["schedule", "lease"]));
                }
                Some(v)
            }
            ["tests"] => Some(TESTS.iter().map(|(n, _)| n.to_string()).collect()),
            ["lifecycle"] => Some(strs(&["state", "reason", "since"])),
            ["9p"] => Some(strs(&["session"])),
            ["9p", "session"] => Some(strs(&["active"])),
            ["ingest"] => Some(strs(&[
                "p50_ms",
                "p95_ms",
                "backpressure",
                "queued",
                "watch",
            ])),
            ["root"] => Some(strs(&["reachable", "last_seen_ms", "cut_reason"])),
            ["pressure"] => Some(strs(&["busy", "quota", "cut", "policy"])),
            ["schedule"] if cp => Some(strs(&["summary", "queue"])),
            ["lease"] if cp => Some(strs(&["summary", "active", "preemptions"])),
            _ => None,
        }
    }

    fn latency(&self) -> (u64, u64) {
        let p50 = 1 + self.seed % 5;
        (p50, p50 * 3 + self.seed % 7)
    }

    /// One `/proc/ingest/watch` line, within `proc_ingest.watch_line_bytes`.
    pub(super) fn watch_line(&self, now_ms: u64) -> Vec<String> {
        let (p50, p95) = self.latency();
        let line =
            format!("watch ts_ms={now_ms} p50_ms={p50} p95_ms={p95} queued=0 backpressure=0");
        bounded(vec![line], proc_ingest::WATCH_LINE_BYTES.saturating_add(1))
    }

    pub(super) fn proc_read(&self, rest: &[&str], now_ms: u64) -> Option<Vec<String>> {
        let lines = self.proc_lines(rest, now_ms)?;
        Some(match node_bytes(rest) {
            Some(max) => bounded(lines, max),
            None => lines,
        })
    }

    fn proc_lines(&self, rest: &[&str], now_ms: u64) -> Option<Vec<String>> {
        let cp = self.features.control_plane;
        let (p50, p95) = self.latency();
        let one = |s: String| Some(vec![s]);
        match rest {
            ["tests", name] => TESTS
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, body)| vec![body.to_string()]),
            ["lifecycle", "state"] => one(format!("state={}", self.lifecycle.state.label())),
            ["lifecycle", "reason"] => one(format!("reason={}", self.lifecycle.reason)),
            ["lifecycle", "since"] => one(format!("since_ms={}", self.lifecycle.since_ms)),
            ["9p", "session", "active"] => {
                let draining = u8::from(self.lifecycle.state == LifecycleState::Draining);
                one(format!("active=1 draining={draining}"))
            }
            ["ingest", "p50_ms"] => one(format!("p50_ms={p50}")),
            ["ingest", "p95_ms"] => one(format!("p95_ms={p95}")),
            ["ingest", "backpressure"] => one("backpressure=0".into()),
            ["ingest", "queued"] => one("queued=0".into()),
            ["root", "reachable"] => one("reachable=yes".into()),
            ["root", "last_seen_ms"] => one(format!("last_seen_ms={now_ms}")),
            ["root", "cut_reason"] => one("cut_reason=none".into()),
            ["pressure", "busy"] => one("busy=0".into()),
            ["pressure", "quota"] => one("quota=0".into()),
            ["pressure", "cut"] => one("cut=0".into()),
            ["pressure", "policy"] => one(format!(
                "policy={}",
                self.log
                    .lines()
                    .filter(|l| l.starts_with("policy-deny"))
                    .count()
            )),
            ["schedule", "summary"] if cp => Some(self.schedule.summary()),
            ["schedule", "queue"] if cp => Some(self.schedule.queue()),
            ["lease", "summary"] if cp => Some(self.leases.summary()),
            ["lease", "active"] if cp => Some(self.leases.active()),
            ["lease", "preemptions"] if cp => Some(self.leases.preemptions()),
            _ => None,
        }
    }
}
