//! The agent loop: connect (with back-off), drain the spool, poll the lease, publish.
//!
//! ```text
//!   ┌─▶ link.open + AUTH/ATTACH ──fail──▶ sleep backoff (200 ms ×2 … 2000 ms) ─┐
//!   │        │ ok                                                              │
//!   │        ▼                                                                 │
//!   │   flush spool: ECHO /gpu/<id>/status <crumb>  (pop only on OK ECHO)      │
//!   │        ▼                                                                 │
//!   │   CAT /gpu/<id>/lease → tracker → START/EXIT crumbs → spool → flush      │
//!   │        ▼                                                                 │
//!   └── sleep poll_ms ◀──────── connection error: abort link, reconnect ◀──────┘
//! ```
//!
//! All state that must survive a reconnect (spool, tracker, counters) lives in [`Agent`], not
//! in futures, so every `async fn` here is cancel-safe in the sense that dropping it loses no
//! breadcrumb (an unacknowledged one is sent again; delivery is at-least-once).

use cohesix_core::request::Request;
use cohesix_core::role::Role;
use cohesix_core::session::{
    Config, Credentials, Session, SessionError, MAX_PENDING_EVENTS, MAX_QUEUED, MAX_WIRE_FRAMES,
};
use cohesix_core::ticket::{self, Budget, Claims, TicketError, TicketSecret, MAX_TICKET_LEN};
use cohesix_embassy::{Buffers, Client, Reply, DEFAULT_RX_LEN};
use cohesix_generated::console::{MAX_LINE_LEN, MAX_PATH_LEN};
use cohesix_generated::retry;
use core::fmt::Write as _;
use embassy_time::{Duration, Instant, Timer};
use embedded_io_async::{Read, Write};
use heapless::String;

use crate::config::{AgentConfig, AttachAs};
use crate::schema::{Breadcrumb, Lease, LeaseError, MAX_BREADCRUMB_LEN};
use crate::spool::{Pushed, Spool, DEFAULT_CAPACITY};
use crate::tracker::{Crumbs, LeaseTracker, Workload};

/// A reconnectable byte pipe to the queen (an embassy-net socket, an in-memory pipe, ...).
#[allow(async_fn_in_trait)]
pub trait Link: Read + Write {
    /// Opens a fresh connection (aborting any previous one).
    ///
    /// Cancel safety: implementations must leave the link closed-or-open, never half-open;
    /// the agent calls `abort` before every `open`.
    async fn open(&mut self) -> Result<(), LinkError>;
    /// Drops the connection at once.
    fn abort(&mut self);
}

/// Opening a link failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum LinkError {
    /// Nobody listens / connection refused or reset.
    Refused,
    /// The connect did not finish in time.
    TimedOut,
    /// Local problem (no route, bad state).
    Local,
}

/// The agent could not be set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SetupError {
    /// The ticket could not be minted.
    Ticket(TicketError),
    /// The core refused the credentials or configuration.
    Session(SessionError),
}

/// Counters the agent keeps (all saturating).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Stats {
    /// Successful AUTH + ATTACH.
    pub attaches: u32,
    /// Failed connection attempts (link or handshake).
    pub connect_failures: u32,
    /// Connections lost after attaching.
    pub disconnects: u32,
    /// Breadcrumbs acknowledged by the queen.
    pub published: u32,
    /// Breadcrumbs the queen refused (dropped: they would be refused again).
    pub refused: u32,
    /// Breadcrumbs dropped because the spool was full.
    pub spool_dropped: u32,
    /// Lease reads that did not parse.
    pub lease_errors: u32,
    /// Lease reads that succeeded.
    pub lease_reads: u32,
}

/// Result of one breadcrumb ECHO.
enum Published {
    /// `OK ECHO`: pop it.
    Acked,
    /// `ERR ECHO` (or unrenderable): pop and count it; resending cannot help.
    Refused,
    /// No verdict (connection lost, timed out): keep it, reconnect.
    Broken,
}

/// What one [`Agent::cycle`] achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Cycle {
    /// Attached, spool drained, lease read.
    Ok,
    /// Could not (re)connect; the caller should wait [`Agent::backoff_ms`] before the next cycle.
    Offline,
}

/// The session configuration the agent runs with: it waits for each reply before the next
/// request, so one request in flight is all it needs (what [`MinimalAgent`] relies on).
pub const SESSION_CONFIG: Config = Config::new().with_max_in_flight(1);

/// The Jetson agent over link `L`, running workload `W`, spooling up to `N` breadcrumbs.
///
/// `Q`, `WIRE`, `EV` are the capacities of its core session (`Session<Q, WIRE, EV>`); the
/// defaults are the core's host defaults. The agent keeps one request in flight
/// ([`SESSION_CONFIG`]), so an MCU uses [`MinimalAgent`] (the core's `MinimalSession`).
pub struct Agent<
    'b,
    L: Link,
    W: Workload,
    const N: usize = DEFAULT_CAPACITY,
    const Q: usize = MAX_QUEUED,
    const WIRE: usize = MAX_WIRE_FRAMES,
    const EV: usize = MAX_PENDING_EVENTS,
> {
    cfg: AgentConfig,
    client: Client<'b, L, DEFAULT_RX_LEN, Q, WIRE, EV>,
    tracker: LeaseTracker<W>,
    spool: Spool<N>,
    stats: Stats,
    attached: bool,
    backoff_ms: u64,
    lease_path: String<MAX_PATH_LEN>,
    status_path: String<MAX_PATH_LEN>,
    last_error: Option<LeaseError>,
}

/// An [`Agent`] on the core's `MinimalSession` (`Session<1, 2, 6>`): the smallest session
/// that fits the agent (one request in flight), for RAM-tight firmware.
pub type MinimalAgent<'b, L, W, const N: usize = DEFAULT_CAPACITY> = Agent<'b, L, W, N, 1, 2, 6>;

impl<L: Link, W: Workload, const N: usize, const Q: usize, const WIRE: usize, const EV: usize>
    core::fmt::Debug for Agent<'_, L, W, N, Q, WIRE, EV>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Agent")
            .field("cfg", &self.cfg)
            .field("stats", &self.stats)
            .field("spooled", &self.spool.len())
            .finish_non_exhaustive()
    }
}

/// Mints the agent's `worker-gpu` ticket: subject = agent id, no ops/ttl budget (the agent
/// polls for as long as it runs and reconnects with the same ticket).
pub fn mint_ticket(
    agent_id: &str,
    secret: TicketSecret<'_>,
    issued_at_ms: u64,
    out: &mut [u8; MAX_TICKET_LEN],
) -> Result<usize, TicketError> {
    let mut claims = Claims::for_role(Role::WorkerGpu, Some(agent_id), issued_at_ms)?;
    claims.budget = Budget::NONE;
    ticket::mint(&claims, &secret.key(), out).map(str::len)
}

impl<
        'b,
        L: Link,
        W: Workload,
        const N: usize,
        const Q: usize,
        const WIRE: usize,
        const EV: usize,
    > Agent<'b, L, W, N, Q, WIRE, EV>
{
    /// Builds an agent: mints its ticket from `secret` and prepares the session (nothing is
    /// sent before the first [`cycle`](Self::cycle)).
    pub fn new(
        cfg: AgentConfig,
        link: L,
        buffers: &'b mut Buffers,
        workload: W,
        auth_token: &str,
        secret: TicketSecret<'_>,
        issued_at_ms: u64,
    ) -> Result<Self, SetupError> {
        let creds = match cfg.attach_as {
            AttachAs::Queen => {
                Credentials::new(auth_token, Role::Queen, None).map_err(SetupError::Session)?
            }
            AttachAs::WorkerGpu => {
                let mut ticket_buf = [0u8; MAX_TICKET_LEN];
                let len = mint_ticket(&cfg.agent_id, secret, issued_at_ms, &mut ticket_buf)
                    .map_err(SetupError::Ticket)?;
                let ticket = ticket_buf
                    .get(..len)
                    .and_then(|b| core::str::from_utf8(b).ok())
                    .ok_or(SetupError::Ticket(TicketError::TooLong(MAX_TICKET_LEN)))?;
                let creds = Credentials::new(auth_token, Role::WorkerGpu, Some(ticket))
                    .map_err(SetupError::Session);
                ticket_buf = [0; MAX_TICKET_LEN];
                core::hint::black_box(&mut ticket_buf);
                creds?
            }
        };
        let session = Session::<Q, WIRE, EV>::new_with_queue(SESSION_CONFIG, creds)
            .map_err(SetupError::Session)?;
        let mut lease_path = String::new();
        let mut status_path = String::new();
        let gpu = cfg.gpu_id.as_str();
        // Both fit: "/gpu/" + 32-byte id + "/status" = 44 < MAX_PATH_LEN.
        let _ = write!(lease_path, "/gpu/{gpu}/lease");
        let _ = write!(status_path, "/gpu/{gpu}/status");
        Ok(Self {
            tracker: LeaseTracker::new(cfg.command.clone(), workload),
            cfg,
            client: Client::new(link, session, buffers),
            spool: Spool::new(),
            stats: Stats::default(),
            attached: false,
            backoff_ms: retry::BACKOFF_MS,
            lease_path,
            status_path,
            last_error: None,
        })
    }

    /// Counters.
    pub fn stats(&self) -> Stats {
        Stats {
            spool_dropped: self.spool.dropped(),
            ..self.stats
        }
    }

    /// Breadcrumbs waiting for the queen.
    pub fn spooled(&self) -> usize {
        self.spool.len()
    }

    /// The configuration.
    pub fn config(&self) -> &AgentConfig {
        &self.cfg
    }

    /// Worker id of the running job, if any.
    pub fn running(&self) -> Option<&str> {
        self.tracker.running()
    }

    /// Last lease parse error (cleared by a good read).
    pub fn last_lease_error(&self) -> Option<LeaseError> {
        self.last_error
    }

    /// Whether the agent is attached right now.
    pub fn is_attached(&self) -> bool {
        self.attached
    }

    /// Current reconnect back-off (doubles per failure up to the manifest ceiling).
    pub fn backoff_ms(&self) -> u64 {
        self.backoff_ms
    }

    /// The link (e.g. for statistics).
    pub fn link_mut(&mut self) -> &mut L {
        self.client.io_mut()
    }

    /// Runs cycles until `stop`, sleeping `poll_ms` between good cycles and the back-off
    /// between failed ones.
    ///
    /// Cancel-safe: see the [module docs](self).
    pub async fn run_until(&mut self, stop: Instant) -> Stats {
        while Instant::now() < stop {
            let pause = match self.cycle().await {
                Cycle::Ok => self.cfg.poll_ms,
                Cycle::Offline => self.backoff_ms,
            };
            let wake = Instant::now() + Duration::from_millis(pause);
            Timer::at(wake.min(stop)).await;
        }
        self.stats()
    }

    /// One cycle: (re)connect if needed, flush the spool, read the lease, publish.
    ///
    /// Cancel-safe: see the [module docs](self).
    pub async fn cycle(&mut self) -> Cycle {
        // The job runs locally whether or not the queen is reachable: its exits are spooled
        // even while offline.
        let crumbs = self.tracker.poll_workload();
        self.enqueue(&crumbs);
        if !self.attached && !self.connect().await {
            return Cycle::Offline;
        }
        if !self.flush().await {
            return self.lost();
        }
        match self.read_lease().await {
            Ok(lease) => {
                let crumbs = self.tracker.observe(lease.as_ref());
                self.enqueue(&crumbs);
            }
            Err(true) => return self.lost(),
            Err(false) => {}
        }
        if !self.flush().await {
            return self.lost();
        }
        if !self.cfg.hold_connection {
            self.park().await;
        }
        Cycle::Ok
    }

    /// Lets go of the console (QUIT, then close) so other clients can use the queen.
    /// Cancel-safe: a dropped park leaves a session the next `connect` restarts.
    async fn park(&mut self) {
        let deadline = self.deadline();
        let _ = self.client.quit(deadline).await;
        self.client.io_mut().abort();
        self.attached = false;
    }

    fn deadline(&self) -> Instant {
        Instant::now() + Duration::from_millis(retry::TIMEOUT_MS)
    }

    /// Opens the link and attaches. Cancel-safe: a dropped attempt leaves `attached` false,
    /// and the next attempt aborts the link and restarts the session first.
    async fn connect(&mut self) -> bool {
        let link = self.client.io_mut();
        link.abort();
        let opened = link.open().await;
        let ok = match opened {
            Ok(()) => {
                let restarted = self.client.restart();
                match restarted {
                    Ok(()) => {
                        let deadline = self.deadline();
                        self.client.connect(deadline).await.is_ok()
                    }
                    Err(_) => false,
                }
            }
            Err(_) => false,
        };
        if ok {
            self.attached = true;
            self.backoff_ms = retry::BACKOFF_MS;
            self.stats.attaches = self.stats.attaches.saturating_add(1);
        } else {
            self.client.io_mut().abort();
            self.stats.connect_failures = self.stats.connect_failures.saturating_add(1);
            self.backoff_ms = self.backoff_ms.saturating_mul(2).min(retry::CEILING_MS);
        }
        ok
    }

    fn lost(&mut self) -> Cycle {
        self.attached = false;
        self.client.io_mut().abort();
        self.stats.disconnects = self.stats.disconnects.saturating_add(1);
        Cycle::Offline
    }

    fn enqueue(&mut self, crumbs: &Crumbs) {
        for c in crumbs.iter() {
            if let Ok(Pushed::DroppedOldest) | Err(_) = self.spool.push(c) {
                // Counted by the spool (overflow) or impossible (codec); nothing else to do.
            }
        }
    }

    /// Sends spooled breadcrumbs oldest-first; `false` when the connection broke.
    /// Cancel-safe: a record leaves the spool only after its `OK ECHO`.
    async fn flush(&mut self) -> bool {
        while let Some(front) = self.spool.front() {
            let Ok(crumb) = front else {
                // A corrupted record can never be sent: drop it.
                self.spool.pop_front();
                continue;
            };
            match self.publish(&crumb).await {
                Published::Acked => {
                    self.spool.pop_front();
                    self.stats.published = self.stats.published.saturating_add(1);
                }
                Published::Refused => {
                    self.spool.pop_front();
                    self.stats.refused = self.stats.refused.saturating_add(1);
                }
                // Timed out, interrupted, unknown: keep it and reconnect.
                Published::Broken => return false,
            }
        }
        true
    }

    /// One `ECHO` of one breadcrumb. Cancel-safe: the caller pops the record only on
    /// [`Published::Acked`].
    async fn publish(&mut self, crumb: &Breadcrumb) -> Published {
        let mut line = [0u8; MAX_BREADCRUMB_LEN];
        let Ok(n) = crumb.render(&mut line) else {
            return Published::Refused;
        };
        let payload = line
            .get(..n)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("");
        let Ok(request) = Request::echo(&self.status_path, payload) else {
            return Published::Refused;
        };
        let deadline = self.deadline();
        match self.client.request(&request, deadline, |_| {}).await {
            Ok(Reply::Ok { .. }) => Published::Acked,
            Ok(Reply::Refused { .. }) => Published::Refused,
            Ok(_) | Err(_) => Published::Broken,
        }
    }

    /// Reads the lease file. `Err(true)`: connection broke; `Err(false)`: unreadable lease.
    /// Cancel-safe: nothing is changed before the reply is complete.
    async fn read_lease(&mut self) -> Result<Option<Lease>, bool> {
        let mut last: String<MAX_LINE_LEN> = String::new();
        let request = Request::cat(&self.lease_path).map_err(|_| false)?;
        let deadline = self.deadline();
        let reply = self
            .client
            .request(&request, deadline, |line| {
                if !line.trim().is_empty() {
                    last.clear();
                    let _ = last.push_str(line);
                }
            })
            .await;
        match reply {
            Ok(Reply::Ok { .. }) => {}
            // No lease file yet (the queen refuses an unknown path): nothing leased.
            Ok(Reply::Refused { .. }) => return Ok(None),
            Ok(_) | Err(_) => return Err(true),
        }
        if last.is_empty() {
            return Ok(None);
        }
        match Lease::parse(last.as_bytes(), &self.cfg.gpu_id) {
            Ok(lease) => {
                self.stats.lease_reads = self.stats.lease_reads.saturating_add(1);
                self.last_error = None;
                Ok(Some(lease))
            }
            Err(e) => {
                self.stats.lease_errors = self.stats.lease_errors.saturating_add(1);
                self.last_error = Some(e);
                Err(false)
            }
        }
    }
}
