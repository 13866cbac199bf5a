//! [`Gateway`]: the shared state every handler gets (`State<Gateway>`), and the status
//! document.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cohesix::auth::Secret;
use cohesix_tokio::Request;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::TokenCheck;
use crate::bounds::{find_manifest_sha, Bounds};
use crate::cache::ProcCache;
use crate::config::GatewayConfig;
use crate::fair::FairQueue;
use crate::metrics::{ConsoleFigures, Metrics};
use crate::sessions::{SessionError, Sessions};

/// Reply budget of the `LOG` snapshot scanned for the target's manifest hash.
const TARGET_SCAN_BYTES: usize = 64 * 1024;
/// Time allowed for that scan.
const TARGET_SCAN_TIME: Duration = Duration::from_secs(1);

/// Broker counters of `/v1/meta/status` (upstream's names first, then this gateway's).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct BrokerStatus {
    /// Writes waiting in the fair queue now.
    pub control_waiters: usize,
    /// Reads waiting in the fair queue now.
    pub telemetry_waiters: usize,
    /// Writes dispatched so far.
    pub control_checkouts: u64,
    /// Reads dispatched so far.
    pub telemetry_checkouts: u64,
    /// 429s because a queue was full.
    pub pool_exhausted: u64,
    /// Requests that waited their turn before being dispatched.
    pub checkout_retries: u64,
    /// 429s because the wait budget passed.
    pub timeout_rejections: u64,
    /// Kept for upstream compatibility; always 0 (one fair queue, no pool yields).
    pub telemetry_yields: u64,
    /// `/proc` reads answered from the cache.
    pub proc_cache_hits: u64,
    /// `/proc` reads that went to the console.
    pub proc_cache_misses: u64,
    /// `/proc` cache entries evicted.
    pub proc_cache_evictions: u64,
    /// Requests waiting now (all kinds).
    pub queue_depth: usize,
    /// Requests dispatched to the console now.
    pub dispatched: usize,
    /// Principals with requests waiting now.
    pub principals: usize,
}

/// `GET /v1/meta/status` (upstream's fields in upstream's order, then `sessions` and `role`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct StatusDoc {
    /// Every console session is attached.
    pub connected: bool,
    /// The last connection error (no secrets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When `connected` last changed (Unix ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_change_unix_ms: Option<u64>,
    /// Re-attaches after a drop, all sessions.
    pub reconnects: u64,
    /// Attaches, all sessions.
    pub connects: u64,
    /// Fair-queue and cache counters.
    pub broker: BrokerStatus,
    /// Console sessions.
    pub sessions: usize,
    /// The role the queen confirmed for the (first) session, while attached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// Errors building a gateway.
#[derive(Debug)]
#[non_exhaustive]
pub enum GatewayError {
    /// The console(s).
    Sessions(SessionError),
    /// Binding the listener.
    Bind(std::io::Error),
}

impl core::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Sessions(e) => write!(f, "{e}"),
            Self::Bind(e) => write!(f, "cannot listen: {e}"),
        }
    }
}

impl std::error::Error for GatewayError {}

pub(crate) struct Inner {
    pub(crate) config: GatewayConfig,
    pub(crate) check: TokenCheck,
    pub(crate) queue: FairQueue,
    pub(crate) cache: ProcCache,
    pub(crate) sessions: Arc<Sessions>,
    pub(crate) metrics: Metrics,
    pub(crate) openapi_yaml: String,
    pub(crate) next_request: AtomicU64,
    target: Mutex<Option<(u64, Option<String>)>>,
    target_busy: AtomicBool,
}

/// The gateway: configuration, console sessions, fair queue, cache, metrics. Cheap to clone
/// (one `Arc`); the axum state of every route.
#[derive(Clone)]
pub struct Gateway {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("bind", &self.inner.config.bind)
            .field("sessions", &self.inner.sessions)
            .field("public_reads", &self.inner.config.public_reads)
            .finish_non_exhaustive()
    }
}

/// Clears a busy flag when dropped (also when the future holding it is).
struct Busy<'a>(&'a AtomicBool);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// A random token nobody knows (mock mode without a request token).
fn unknowable_token() -> Secret {
    use std::hash::{BuildHasher, Hasher};
    let mut s = String::from("unset-");
    for i in 0..4u8 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u8(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        s.push_str(&format!("{:016x}", h.finish()));
    }
    Secret::new(s)
}

impl Gateway {
    /// Builds the gateway (the console sessions start connecting in the background). Must
    /// run inside a tokio runtime.
    ///
    /// # Errors
    /// [`GatewayError::Sessions`].
    pub fn new(config: GatewayConfig) -> Result<Self, GatewayError> {
        let sessions = Sessions::open(&config.console, config.sessions, config.client)
            .map_err(GatewayError::Sessions)?;
        sessions.warm_up();
        let token = config.request_token.clone().unwrap_or_else(|| {
            tracing::warn!("no request auth token: no request can authenticate");
            unknowable_token()
        });
        let openapi_yaml = crate::routes::openapi_yaml();
        let inner = Arc::new(Inner {
            check: TokenCheck::new(&token),
            queue: FairQueue::new(config.queue),
            cache: ProcCache::new(config.cache_ttl, config.cache_entries),
            sessions: Arc::new(sessions),
            metrics: Metrics::new(),
            openapi_yaml,
            next_request: AtomicU64::new(1),
            target: Mutex::new(None),
            target_busy: AtomicBool::new(false),
            config,
        });
        // Histogram buffers are drained now and then even when nobody scrapes.
        let weak = Arc::downgrade(&inner);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(10));
            loop {
                tick.tick().await;
                match weak.upgrade() {
                    Some(i) => i.metrics.upkeep(),
                    None => break,
                }
            }
        });
        Ok(Self { inner })
    }

    /// The router (every route, the access log, the body limit).
    pub fn router(&self) -> axum::Router {
        crate::routes::router(self.clone())
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &GatewayConfig {
        &self.inner.config
    }

    pub(crate) fn token_check(&self) -> &TokenCheck {
        &self.inner.check
    }

    pub(crate) fn public_reads(&self) -> bool {
        self.inner.config.public_reads
    }

    pub(crate) fn bounds(&self) -> &Bounds {
        &self.inner.config.bounds
    }

    /// The fair queue.
    #[must_use]
    pub fn queue(&self) -> &FairQueue {
        &self.inner.queue
    }

    /// The console sessions.
    #[must_use]
    pub fn sessions(&self) -> &Arc<Sessions> {
        &self.inner.sessions
    }

    fn figures(&self) -> ConsoleFigures {
        let st = self.inner.sessions.status();
        ConsoleFigures {
            connected: st.iter().filter(|s| s.connected).count(),
            connects: st.iter().map(|s| s.connects).sum(),
            reconnects: st.iter().map(|s| s.reconnects).sum(),
        }
    }

    /// The status document now.
    #[must_use]
    pub fn status(&self) -> StatusDoc {
        let st = self.inner.sessions.status();
        let q = self.inner.queue.stats();
        let c = self.inner.cache.stats();
        StatusDoc {
            connected: !st.is_empty() && st.iter().all(|s| s.connected),
            last_error: st.iter().find_map(|s| s.last_error.clone()),
            last_change_unix_ms: st.iter().filter_map(|s| s.last_change_unix_ms).max(),
            reconnects: st.iter().map(|s| s.reconnects).sum(),
            connects: st.iter().map(|s| s.connects).sum(),
            broker: BrokerStatus {
                control_waiters: q.write_waiters,
                telemetry_waiters: q.read_waiters,
                control_checkouts: q.write_checkouts,
                telemetry_checkouts: q.read_checkouts,
                pool_exhausted: q.queue_full,
                checkout_retries: q.waited,
                timeout_rejections: q.budget_rejections,
                telemetry_yields: 0,
                proc_cache_hits: c.hits,
                proc_cache_misses: c.misses,
                proc_cache_evictions: c.evictions,
                queue_depth: q.read_waiters + q.write_waiters,
                dispatched: q.in_flight,
                principals: q.principals,
            },
            sessions: st.len(),
            role: st
                .first()
                .and_then(|s| s.role)
                .map(|r| r.label().to_owned()),
        }
    }

    /// The Prometheus text now.
    #[must_use]
    pub fn metrics_text(&self) -> String {
        self.inner.metrics.render(
            self.figures(),
            self.inner.queue.stats(),
            self.inner.cache.stats(),
        )
    }

    /// The OpenAPI document served at `/v1/openapi.yaml`.
    #[must_use]
    pub fn openapi_yaml(&self) -> &str {
        &self.inner.openapi_yaml
    }

    /// The target's manifest hash, read once per connection from its boot log line (in the
    /// `LOG` snapshot while the log is young; `None` when it cannot be read).
    /// Cancel-safe (a dropped call leaves the cached value as it was).
    pub async fn target_manifest_sha(&self) -> Option<String> {
        let console = self.inner.sessions.first()?.clone();
        let status = console.status();
        let cached = self
            .inner
            .target
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match cached {
            Some((connects, sha)) if connects == status.connects => return sha,
            cached if !status.connected => return cached.and_then(|c| c.1),
            _ => {}
        }
        if self.inner.target_busy.swap(true, Ordering::AcqRel) {
            return None;
        }
        let _busy = Busy(&self.inner.target_busy);
        // `LOG` is a snapshot of the newest log lines (no TAIL cursor moves); the queen logs
        // its manifest hash at boot, so it is there while the log is young.
        let read = async {
            let reply = console
                .request_limited(Request::Log, TARGET_SCAN_BYTES)
                .await
                .ok()?;
            let preview = reply.ack.field("data").map(str::to_owned);
            find_manifest_sha(reply.lines.iter().chain(preview.as_deref()))
        };
        let sha = tokio::time::timeout(TARGET_SCAN_TIME, read)
            .await
            .ok()
            .flatten();
        *self
            .inner
            .target
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((status.connects, sha.clone()));
        sha
    }

    /// Closes the console sessions (`QUIT`). Cancel-safe.
    pub async fn close(&self) {
        self.inner.sessions.close().await;
    }
}
