//! Who polls the connection: its own task, or a caller that is waiting on it anyway.
//!
//! ```text
//!   Driver::run (owner) ──┐                      ┌── wakes go to the caller that drives,
//!                         ├─ drive() ─► [connection future] (polled by one at a time,
//!   caller waiting reply ─┘    try_lock           └── else to the owner) ◄── socket, timers
//! ```
//!
//! A request is a hand-off to the connection (a bounded channel) and a reply back (a
//! oneshot). Were the connection only ever polled by its own task, every unpipelined round
//! trip would pay for two task switches, often across threads: caller → connection task to
//! write, connection task → caller with the reply. Instead a caller that would otherwise
//! sleep on its reply polls the connection future itself, on its own thread: its request
//! is written at once, and the connection's wake-ups (socket readiness, timers) go to that
//! caller while it waits, so it reads its own reply. One caller drives at a time: the one
//! that polled last (so a request future held without being polled cannot keep the
//! wake-ups from callers that wait). Once it has its reply, wake-ups go back to the
//! connection task, which keeps the connection going (heartbeats, reconnects, other
//! callers' replies, streamed lines) when nobody waits. A held, unpolled request future
//! does delay those until it is polled again or dropped, or another caller polls.
//!
//! Every poll of the connection uses the same waker, so whatever the connection registered
//! with a socket or a timer reaches whoever drives at the moment. A wake that arrives while
//! someone else is polling is never lost: the poller polls again before it lets go.
//!
//! Callers drive only on the runtime the connection task runs on, so every socket, timer and
//! connect the connection creates belongs to that runtime, whoever polls.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, TryLockError};
use std::task::{Context, Poll, Wake, Waker};

use tokio::runtime::{Handle, Id};
use tokio::sync::oneshot;

type Connection = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Polls of the connection in a row while wake-ups keep arriving during the poll, before
/// the poller lets go (and is woken to poll again).
const REPOLLS: usize = 4;

/// A waiting caller's waker: wakes its task, except while that task is polling anyway
/// (waking a running task only makes it poll again for nothing, and on a multi-threaded
/// runtime wakes another worker to steal it).
struct Relay {
    task: Mutex<Option<Waker>>,
    busy: AtomicBool,
    /// A wake-up came while the task was busy (and was not passed on).
    missed: AtomicBool,
}

impl Relay {
    fn set_task(&self, waker: &Waker) {
        let mut task = self.task.lock().unwrap_or_else(PoisonError::into_inner);
        if !task.as_ref().is_some_and(|t| t.will_wake(waker)) {
            *task = Some(waker.clone());
        }
    }
}

impl Wake for Relay {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // The task checks `missed` once it stops being busy.
        if self.busy.load(Ordering::SeqCst) {
            self.missed.store(true, Ordering::SeqCst);
            return;
        }
        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(t) = task {
            t.wake();
        }
    }
}

/// Who gets the connection's wake-ups.
#[derive(Default)]
struct Wakers {
    /// The connection task.
    owner: Option<Waker>,
    /// The caller driving now: its ticket and waker.
    caller: Option<(u64, Arc<Relay>)>,
    /// A wake-up arrived that no poll has seen yet.
    notified: bool,
}

/// The state shared by the connection task and every handle.
struct Inner {
    /// The connection; `None` once it ended or its task was dropped.
    fut: Mutex<Option<Connection>>,
    wakers: Mutex<Wakers>,
    /// The runtime the connection task runs on (set when it starts).
    runtime: OnceLock<Id>,
    /// Whether the connection task is running.
    running: AtomicBool,
    next_ticket: AtomicU64,
}

impl Inner {
    fn wakers(&self) -> MutexGuard<'_, Wakers> {
        self.wakers.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The waker every poll of the connection uses: forwards to the caller that drives, else to
/// the connection task.
struct Forward(Arc<Inner>);

impl Wake for Forward {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let (caller, owner) = {
            let mut w = self.0.wakers();
            w.notified = true;
            match &w.caller {
                Some((_, relay)) => (Some(relay.clone()), None),
                None => (None, w.owner.clone()),
            }
        };
        if let Some(relay) = caller {
            relay.wake_by_ref();
        } else if let Some(owner) = owner {
            owner.wake();
        }
    }
}

/// What a poll attempt of the connection did.
enum Drove {
    /// It polled; whether a wake-up arrived that the poll may not have seen.
    Ran { notified: bool },
    /// Someone else is polling (and sees every wake-up that arrives meanwhile).
    Busy,
    /// The connection has ended.
    Ended,
}

/// The handle side: shared by clones of one [`Console`](super::Console).
#[derive(Clone)]
pub(crate) struct Engine {
    inner: Arc<Inner>,
    forward: Waker,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("runtime", &self.inner.runtime.get())
            .field("running", &self.inner.running.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// The connection task of a [`Console`](super::Console). Run it with
/// `tokio::spawn(driver.run())` (what [`Console::connect`](super::Console::connect) does);
/// it ends once every handle is dropped and outstanding work is done, after sending `QUIT`.
#[must_use = "the driver does nothing unless its run() future is polled"]
pub struct Driver {
    engine: Engine,
    transport: Arc<str>,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// The connection split into the task that owns it and the handles' side.
pub(crate) fn engine(
    connection: impl Future<Output = ()> + Send + 'static,
    transport: Arc<str>,
) -> (Engine, Driver) {
    let inner = Arc::new(Inner {
        fut: Mutex::new(Some(Box::pin(connection))),
        wakers: Mutex::new(Wakers::default()),
        runtime: OnceLock::new(),
        running: AtomicBool::new(false),
        next_ticket: AtomicU64::new(1),
    });
    let forward = Waker::from(Arc::new(Forward(inner.clone())));
    let engine = Engine { inner, forward };
    (engine.clone(), Driver { engine, transport })
}

/// Ends the connection when the connection task's future ends or is dropped.
struct Stop<'a>(&'a Engine);

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        let inner = &self.0.inner;
        inner.running.store(false, Ordering::SeqCst);
        // Dropping the connection fails every request still waiting with `Closed`.
        let fut = inner
            .fut
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(fut);
        let caller = inner.wakers().caller.take();
        if let Some((_, relay)) = caller {
            relay.wake_by_ref();
        }
    }
}

impl Driver {
    /// Runs the connection until every handle is gone and all work is done. The future is
    /// `Send`; dropping it closes the transport without `QUIT` and fails every waiting
    /// request with [`ClientError::Closed`](crate::ClientError::Closed).
    pub async fn run(self) {
        let engine = &self.engine;
        if let Ok(handle) = Handle::try_current() {
            let _ = engine.inner.runtime.set(handle.id());
        }
        engine.inner.running.store(true, Ordering::SeqCst);
        let _stop = Stop(engine);
        std::future::poll_fn(|cx| {
            {
                let mut w = engine.inner.wakers();
                if !w.owner.as_ref().is_some_and(|o| o.will_wake(cx.waker())) {
                    w.owner = Some(cx.waker().clone());
                }
            }
            match engine.drive(None) {
                Drove::Ended => Poll::Ready(()),
                Drove::Busy => Poll::Pending,
                Drove::Ran { notified } => {
                    if notified {
                        cx.waker().wake_by_ref();
                    }
                    Poll::Pending
                }
            }
        })
        .await;
    }
}

impl Engine {
    /// Polls the connection unless someone else is polling it. `relay`: the driving
    /// caller's, whose missed wake-ups every poll covers.
    fn drive(&self, relay: Option<&Relay>) -> Drove {
        let mut slot = match self.inner.fut.try_lock() {
            Ok(slot) => slot,
            Err(TryLockError::Poisoned(p)) => {
                // A poll panicked (and the panic reached that poller): the connection's
                // state is unknown, so it ends here; its requests fail as closed.
                let mut slot = p.into_inner();
                let fut = slot.take();
                drop(slot);
                drop(fut);
                return Drove::Ended;
            }
            Err(TryLockError::WouldBlock) => return Drove::Busy,
        };
        let Some(fut) = slot.as_mut() else {
            return Drove::Ended;
        };
        let mut forward = Context::from_waker(&self.forward);
        for _ in 0..REPOLLS {
            self.inner.wakers().notified = false;
            if let Some(r) = relay {
                r.missed.store(false, Ordering::SeqCst);
            }
            if fut.as_mut().poll(&mut forward).is_ready() {
                *slot = None;
                drop(slot);
                let w = std::mem::take(&mut *self.inner.wakers());
                if let Some(owner) = w.owner {
                    owner.wake();
                }
                if let Some((_, relay)) = w.caller {
                    relay.wake_by_ref();
                }
                return Drove::Ended;
            }
            if !self.inner.wakers().notified {
                break;
            }
        }
        drop(slot);
        // A wake-up during the last poll, or before the lock was let go, may have found the
        // lock taken: the poller must poll again (its target may already have, harmlessly).
        Drove::Ran {
            notified: self.inner.wakers().notified,
        }
    }

    /// Whether the calling task may drive the connection: the connection task is running,
    /// on the runtime the caller runs on.
    fn may_drive(&self) -> bool {
        if !self.inner.running.load(Ordering::SeqCst) {
            return false;
        }
        match (self.inner.runtime.get(), Handle::try_current()) {
            (Some(home), Ok(here)) => *home == here.id(),
            _ => false,
        }
    }

    /// Runs `submit` (hands a request to the connection) and waits for its reply on `rx`,
    /// driving the connection meanwhile where allowed.
    ///
    /// Cancel-safe: dropping the future before its first poll drops `submit` unrun;
    /// later, it hands the connection's wake-ups back to the connection task and changes
    /// nothing else.
    pub(crate) async fn exchange<T, F>(
        &self,
        submit: F,
        rx: oneshot::Receiver<T>,
    ) -> Result<T, oneshot::error::RecvError>
    where
        F: FnOnce() + Send,
    {
        let relay = Arc::new(Relay {
            task: Mutex::new(None),
            busy: AtomicBool::new(false),
            missed: AtomicBool::new(false),
        });
        Wait {
            rx,
            engine: self,
            submit: Some(submit),
            ticket: self
                .may_drive()
                .then(|| self.inner.next_ticket.fetch_add(1, Ordering::Relaxed)),
            waker: Waker::from(relay.clone()),
            relay,
        }
        .await
    }

    /// Makes the caller with `ticket` the one that gets wake-ups: the latest caller to poll
    /// takes them over, so a request future that is held but not polled cannot keep them
    /// from callers that are waiting (it takes them back when it is polled again).
    fn claim(&self, ticket: u64, relay: &Arc<Relay>) {
        let mut w = self.inner.wakers();
        if !matches!(&w.caller, Some((t, _)) if *t == ticket) {
            w.caller = Some((ticket, relay.clone()));
        }
    }

    /// Hands wake-ups back to the connection task; wakes it if one is pending unseen.
    fn release(&self, ticket: u64) {
        let owner = {
            let mut w = self.inner.wakers();
            if !matches!(w.caller, Some((t, _)) if t == ticket) {
                return;
            }
            w.caller = None;
            if w.notified {
                w.owner.clone()
            } else {
                None
            }
        };
        if let Some(o) = owner {
            o.wake();
        }
    }
}

/// A request's submission and reply, driving the connection while the reply is not there.
struct Wait<'a, T, F> {
    rx: oneshot::Receiver<T>,
    engine: &'a Engine,
    /// Hands the request over; run on the first poll, after claiming the connection's
    /// wake-ups (so the hand-off wakes nobody else).
    submit: Option<F>,
    /// This caller's ticket while it may drive.
    ticket: Option<u64>,
    relay: Arc<Relay>,
    /// `relay` as a waker, for `rx`.
    waker: Waker,
}

impl<T, F: FnOnce()> Wait<'_, T, F> {
    fn stop_driving(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.engine.release(ticket);
        }
    }
}

impl<T, F: FnOnce()> Unpin for Wait<'_, T, F> {}

impl<T, F: FnOnce()> Future for Wait<'_, T, F> {
    type Output = Result<T, oneshot::error::RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.relay.set_task(cx.waker());
        this.relay.busy.store(true, Ordering::SeqCst);
        if this.ticket.is_some() && !this.engine.inner.running.load(Ordering::SeqCst) {
            this.stop_driving();
        }
        let driving = this.ticket.is_some();
        if let Some(t) = this.ticket {
            this.engine.claim(t, &this.relay);
        }
        if let Some(submit) = this.submit.take() {
            submit();
        }
        let mut notified = false;
        if driving {
            // Wake-ups so far (the hand-off's own among them) are covered by this poll, or,
            // if someone else is polling, by theirs.
            this.relay.missed.store(false, Ordering::SeqCst);
            match this.engine.drive(Some(&this.relay)) {
                Drove::Ran { notified: n } => notified = n,
                Drove::Busy => {}
                Drove::Ended => this.stop_driving(),
            }
        }
        // Not busy any more: from here on every wake-up reaches the task.
        this.relay.busy.store(false, Ordering::SeqCst);
        let mut relay_cx = Context::from_waker(&this.waker);
        if let Poll::Ready(r) = Pin::new(&mut this.rx).poll(&mut relay_cx) {
            this.stop_driving();
            return Poll::Ready(r);
        }
        // A wake-up that came after this task's last look and was not passed on: poll
        // again (once per such wake-up; one that came while someone else polled is theirs).
        if notified || this.relay.missed.swap(false, Ordering::SeqCst) {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

impl<T, F> Drop for Wait<'_, T, F> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            self.engine.release(ticket);
        }
    }
}
