//! Blocking facades over the async API, for scripts and programs without an executor
//! (reqwest's `blocking` pattern).
//!
//! ```text
//!  caller thread ── Runtime::block_on(fut) ──bounded channel──► "cohesix-rt" thread
//!        ▲                                                       current-thread runtime
//!        └──────────── result (oneshot) ◄──── spawned task ◄─────┘ (console drivers live here)
//! ```
//!
//! * A [`Runtime`] owns one thread running a current-thread tokio runtime; every call is
//!   spawned there and the caller blocks on its result. Construction errors come back from
//!   [`Runtime::new`]; a dead runtime thread is an error, never a panic.
//! * The blocking methods work from any thread: plain threads, `spawn_blocking`, FUSE
//!   request threads, even an async task (which they block, so prefer the async API there).
//!   The work always runs on the runtime's own thread, so a caller's executor is never
//!   needed and cannot deadlock it; only a call made *on* that thread (from inside a future
//!   it runs) is refused with [`Error::Usage`], because it would wait for itself.
//! * [`Backend`] wraps any backend; dropping its last clone closes the connection (`QUIT`,
//!   bounded by one second) and then stops the thread.

use std::future::Future;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use std::cell::Cell;

use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

use crate::backend::{AnyBackend, Backend as _, BackendKind};
use crate::discovery::{self, BackendSpec, ProcessEnv, Source};
use crate::error::Error;

pub use crate::orchestrator::blocking::Orchestrator;

type Job = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// Jobs that may wait for the runtime thread before callers block on sending.
const JOB_QUEUE: usize = 64;

/// How long a caller sleeps before retrying a full job queue.
const QUEUE_FULL_PAUSE: Duration = Duration::from_millis(1);

thread_local! {
    /// Set on a runtime thread: a blocking call there would wait for itself.
    static ON_RUNTIME_THREAD: Cell<bool> = const { Cell::new(false) };
}

struct RtInner {
    tx: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for RtInner {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
    }
}

/// A runtime on its own thread for the blocking facades. Cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RtInner>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("blocking::Runtime")
    }
}

fn dead() -> Error {
    Error::Io {
        what: "blocking runtime".into(),
        source: std::io::Error::other("the runtime thread has stopped"),
    }
}

impl Runtime {
    /// Starts the runtime thread.
    ///
    /// # Errors
    /// [`Error::Io`] when the thread or runtime cannot be created.
    pub fn new() -> Result<Self, Error> {
        let (tx, mut rx) = mpsc::channel::<Job>(JOB_QUEUE);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("cohesix-rt".into())
            .spawn(move || {
                ON_RUNTIME_THREAD.with(|f| f.set(true));
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => {
                        let _ = ready_tx.send(Ok(()));
                        rt
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                rt.block_on(async move {
                    while let Some(job) = rx.recv().await {
                        tokio::spawn(job);
                    }
                });
            })
            .map_err(|e| Error::io("start the blocking runtime", e))?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(Error::io("build the blocking runtime", e)),
            Err(_) => return Err(dead()),
        }
        Ok(Self {
            inner: Arc::new(RtInner {
                tx: Some(tx),
                thread: Some(thread),
            }),
        })
    }

    /// Runs `fut` on the runtime thread and waits for its output.
    ///
    /// Callable from any thread except the runtime's own (see the module docs); it never
    /// panics, whatever the caller's context.
    ///
    /// # Errors
    /// [`Error::Usage`] on the runtime thread itself; [`Error::Io`] if the runtime thread
    /// died.
    pub fn block_on<F>(&self, fut: F) -> Result<F::Output, Error>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if ON_RUNTIME_THREAD.with(Cell::get) {
            return Err(Error::Usage(
                "a blocking cohesix call was made on the cohesix runtime thread itself (from a \
                 future it runs); use the async API there"
                    .into(),
            ));
        }
        // std channels and `try_send`: unlike tokio's `blocking_*`, these never panic inside
        // an async context.
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let mut job: Job = Box::pin(async move {
            let _ = tx.send(fut.await);
        });
        let sender = self.inner.tx.as_ref().ok_or_else(dead)?;
        loop {
            match sender.try_send(job) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) => {
                    job = back;
                    std::thread::sleep(QUEUE_FULL_PAUSE);
                }
                Err(TrySendError::Closed(_)) => return Err(dead()),
            }
        }
        rx.recv().map_err(|_| dead())
    }
}

struct BackendInner {
    rt: Runtime,
    backend: Option<Arc<AnyBackend>>,
}

impl Drop for BackendInner {
    fn drop(&mut self) {
        if let Some(b) = self.backend.take() {
            let _ = self.rt.block_on(async move {
                let _ = tokio::time::timeout(Duration::from_secs(1), b.close()).await;
            });
        }
    }
}

/// A blocking handle to any backend (clone it freely; all clones share one connection).
#[derive(Clone)]
pub struct Backend {
    inner: Arc<BackendInner>,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("blocking::Backend")
            .field("kind", &self.kind())
            .finish()
    }
}

impl Backend {
    /// Builds the backend `spec` describes (on a new runtime thread).
    ///
    /// # Errors
    /// As [`BackendSpec::open`].
    pub fn open(spec: &BackendSpec) -> Result<Self, Error> {
        let rt = Runtime::new()?;
        let spec = spec.clone();
        let backend = rt.block_on(async move { spec.open() })??;
        Ok(Self::wrap(rt, backend))
    }

    /// [`discovery::from_env`], blocking.
    ///
    /// # Errors
    /// As [`discovery::resolve`] and [`BackendSpec::open`].
    pub fn from_env() -> Result<(Self, Source), Error> {
        let (spec, source) = discovery::resolve(&ProcessEnv, &[], false)?;
        Ok((Self::open(&spec)?, source))
    }

    /// Wraps an async backend already bound to `rt`.
    #[must_use]
    pub fn wrap(rt: Runtime, backend: AnyBackend) -> Self {
        Self {
            inner: Arc::new(BackendInner {
                rt,
                backend: Some(Arc::new(backend)),
            }),
        }
    }

    fn call<T, F, Fut>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(Arc<AnyBackend>) -> Fut,
        Fut: Future<Output = Result<T, Error>> + Send + 'static,
    {
        let b = self.inner.backend.clone().ok_or_else(dead)?;
        self.inner.rt.block_on(f(b))?
    }

    /// The runtime the backend lives on (for other blocking facades over it).
    #[must_use]
    pub fn runtime(&self) -> &Runtime {
        &self.inner.rt
    }

    /// The async backend (use it only on [`Backend::runtime`]).
    #[must_use]
    pub fn shared(&self) -> Option<Arc<AnyBackend>> {
        self.inner.backend.clone()
    }

    /// Which kind of backend this is.
    #[must_use]
    pub fn kind(&self) -> Option<BackendKind> {
        self.inner.backend.as_ref().map(|b| b.kind())
    }

    /// [`Backend::list`](crate::backend::Backend::list), blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn list(&self, path: &str) -> Result<Vec<String>, Error> {
        let path = path.to_owned();
        self.call(move |b| async move { b.list(&path).await })
    }

    /// [`Backend::read`](crate::backend::Backend::read), blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn read(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, Error> {
        let path = path.to_owned();
        self.call(move |b| async move { b.read(&path, max_bytes).await })
    }

    /// [`Backend::tail`](crate::backend::Backend::tail), blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn tail(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, Error> {
        let path = path.to_owned();
        self.call(move |b| async move { b.tail(&path, max_bytes).await })
    }

    /// [`Backend::append`](crate::backend::Backend::append), blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn append(&self, path: &str, line: &str) -> Result<usize, Error> {
        let (path, line) = (path.to_owned(), line.to_owned());
        self.call(move |b| async move { b.append(&path, &line).await })
    }

    /// [`Backend::close`](crate::backend::Backend::close), blocking.
    ///
    /// # Errors
    /// As the async call.
    pub fn close(&self) -> Result<(), Error> {
        self.call(|b| async move { b.close().await })
    }
}
