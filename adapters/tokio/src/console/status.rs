//! Connection state shared between the driver and its handles.

use std::sync::{Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use cohesix_core::role::Role;

use crate::error::ClientError;
use crate::reply::Ack;

/// A snapshot of a console's connection (for status pages and metrics).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConsoleStatus {
    /// Attached now.
    pub connected: bool,
    /// Successful attaches so far.
    pub connects: u64,
    /// Successful attaches after the first one.
    pub reconnects: u64,
    /// The last connection or handshake error (no secrets).
    pub last_error: Option<String>,
    /// When `connected` last changed (Unix ms).
    pub last_change_unix_ms: Option<u64>,
    /// Requests on the wire or in the core session's queue.
    pub in_flight: usize,
    /// Requests waiting for the wire.
    pub waiting: usize,
    /// The role the queen confirmed on the current connection.
    pub role: Option<Role>,
}

#[derive(Debug, Default)]
struct Inner {
    status: ConsoleStatus,
    attach_ack: Option<Ack>,
}

/// What the driver publishes for its handles.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    inner: Mutex<Inner>,
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Shared {
    fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
        f(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn status(&self) -> ConsoleStatus {
        self.with(|i| i.status.clone())
    }

    pub(crate) fn attach_ack(&self) -> Option<Ack> {
        self.with(|i| {
            if i.status.connected {
                i.attach_ack.clone()
            } else {
                None
            }
        })
    }

    pub(crate) fn attached(&self, role: Option<Role>, ack: Option<Ack>, reconnect: bool) {
        self.with(|i| {
            i.status.connected = true;
            i.status.connects += 1;
            if reconnect {
                i.status.reconnects += 1;
            }
            i.status.role = role;
            i.status.last_change_unix_ms = Some(unix_ms());
            i.attach_ack = ack;
        });
    }

    pub(crate) fn disconnected(&self, why: Option<String>) {
        self.with(|i| {
            if i.status.connected {
                i.status.last_change_unix_ms = Some(unix_ms());
            }
            i.status.connected = false;
            i.status.role = None;
            if why.is_some() {
                i.status.last_error = why;
            }
        });
    }

    pub(crate) fn failed(&self, e: &ClientError) {
        self.with(|i| i.status.last_error = Some(e.to_string()));
    }

    pub(crate) fn set_load(&self, in_flight: usize, waiting: usize) {
        self.with(|i| {
            i.status.in_flight = in_flight;
            i.status.waiting = waiting;
        });
    }
}
