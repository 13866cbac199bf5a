//! The snapshot envelope: [`ProbeStatus`], [`ProbeResult`], [`HostSnapshot`] and the status rule.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

/// Outcome class of one probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProbeStatus {
    /// The probe ran and reported no error.
    Ok,
    /// The probe reported an error but still produced some data.
    Degraded,
    /// The probe reported an error and produced no data (typically: tool absent).
    Skipped,
}

impl ProbeStatus {
    /// Wire label: `ok`, `degraded` or `skipped`.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Degraded => "degraded",
            Self::Skipped => "skipped",
        }
    }

    /// The shared status rule.
    ///
    /// * no error → [`ProbeStatus::Ok`];
    /// * an error and `data` holds data (see [`has_data`]) → [`ProbeStatus::Degraded`];
    /// * an error and no data → [`ProbeStatus::Skipped`].
    #[must_use]
    pub fn from_parts(data: &Value, error: Option<&str>) -> Self {
        match error {
            None => Self::Ok,
            Some(_) if has_data(data) => Self::Degraded,
            Some(_) => Self::Skipped,
        }
    }
}

impl fmt::Display for ProbeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Whether a probe's `data` counts as "some data" for the status rule.
///
/// A value holds data when it contains at least one leaf that is a boolean, a number or a
/// non-empty string. `null`, `""`, `[]`, `{}` and containers made only of those do not count, so
/// a probe may keep its data shape (`{"services":{}}`, `{"containers":[]}`) and still be
/// `skipped`.
#[must_use]
pub fn has_data(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(_) | Value::Number(_) => true,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => items.iter().any(has_data),
        Value::Object(map) => map.values().any(has_data),
    }
}

/// The result of one probe.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeResult {
    /// Provider name, equal to the key in [`HostSnapshot::results`]
    /// (`systemd`, `docker`, `k8s`, `nvidia`, `peft`).
    pub provider: String,
    /// Status derived from `data` and `error` with [`ProbeStatus::from_parts`].
    pub status: ProbeStatus,
    /// Probe-specific data object.
    pub data: Value,
    /// Error text, if any.
    pub error: Option<String>,
}

impl ProbeResult {
    /// Builds a result, deriving the status with the shared rule.
    #[must_use]
    pub fn new(provider: impl Into<String>, data: Value, error: Option<String>) -> Self {
        let status = ProbeStatus::from_parts(&data, error.as_deref());
        Self {
            provider: provider.into(),
            status,
            data,
            error,
        }
    }

    /// A result with empty data and an error: always [`ProbeStatus::Skipped`].
    #[must_use]
    pub fn skipped(provider: impl Into<String>, error: impl Into<String>) -> Self {
        Self::new(provider, Value::Object(Map::new()), Some(error.into()))
    }
}

/// A complete host snapshot: capture time plus one result per probe that ran.
#[derive(Debug, Clone, PartialEq)]
pub struct HostSnapshot {
    /// Capture time, ISO-8601 UTC with microseconds and offset,
    /// e.g. `2026-02-14T00:00:00.123456+00:00`.
    pub captured_at_utc: String,
    /// Results keyed by provider name (sorted).
    pub results: BTreeMap<String, ProbeResult>,
}

impl HostSnapshot {
    /// Creates an empty snapshot stamped with `captured_at_utc`.
    #[must_use]
    pub fn new(captured_at_utc: impl Into<String>) -> Self {
        Self {
            captured_at_utc: captured_at_utc.into(),
            results: BTreeMap::new(),
        }
    }

    /// Inserts a result under its provider name (replacing an earlier one).
    pub fn insert(&mut self, result: ProbeResult) {
        self.results.insert(result.provider.clone(), result);
    }
}
