//! [`MockBackend`]: the queen simulator in this process, **without any socket**.
//!
//! ```text
//!  MockBackend ── TcpBackend (same code as a live run) ── Console ── duplex ──► SimCore
//!       │                                                    (in-memory, this process)
//!       └─ mirror: after construction and every write, the namespace is written out under
//!          `root` (default `out/examples/mockfs`) so a person can inspect it
//! ```
//!
//! The simulator serves the 0.9 surface (`SimConfig::mock`): the §5.3 seeded tree plus what
//! upstream's mock lacks — `/proc/schedule/*` and `/proc/lease/*` that reflect writes,
//! approvals in `/actions/queue` that gate `/queen/ctl` and are consumed once, the 128-byte
//! echo bound, telemetry segments. The mock goes through the same core session, reply
//! assembly and checks as a live TCP run; only the bytes never leave the process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use cohesix_sim::{AuthToken, SimConfig};
use cohesix_tokio::{ClientConfig, Console, FnConnector};

use super::console::{credentials, TcpBackend};
use super::{Backend, BackendKind};
use crate::auth::Secret;
use crate::error::Error;

pub use cohesix_sim::serve::SimCore;

/// Most namespace nodes mirrored to disk.
pub const MIRROR_MAX_NODES: usize = 4096;
/// Most file bytes mirrored to disk.
pub const MIRROR_MAX_BYTES: usize = 8 * 1024 * 1024;

/// Options of a [`MockBackend`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct MockOptions {
    /// Where the namespace is mirrored (`None`: no mirror).
    pub root: Option<PathBuf>,
    /// Serve `/gpu/MIG-0` too.
    pub include_mig: bool,
    /// Role to attach as.
    pub role: String,
    /// Namespace surfaces (`None`: the 0.9 mock surface, `Features::mock`).
    pub features: Option<cohesix_sim::Features>,
}

impl MockOptions {
    /// Mirror to `out/examples/mockfs`, no MIG, attach as queen (upstream's defaults).
    #[must_use]
    pub fn new() -> Self {
        Self {
            root: Some(PathBuf::from(cohesix_generated::examples::MOCK_ROOT)),
            include_mig: false,
            role: "queen".into(),
            features: None,
        }
    }

    /// Other namespace surfaces (e.g. `Features::shipped()`, the real 0.3 queen's).
    #[must_use]
    pub fn features(mut self, features: cohesix_sim::Features) -> Self {
        self.features = Some(features);
        self
    }

    /// Another mirror root (`None`: no mirror).
    #[must_use]
    pub fn root(mut self, root: Option<PathBuf>) -> Self {
        self.root = root;
        self
    }

    /// Serve `MIG-0` too.
    #[must_use]
    pub fn include_mig(mut self, on: bool) -> Self {
        self.include_mig = on;
        self
    }
}

impl Default for MockOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// The in-process mock queen as a backend.
#[derive(Clone, Debug)]
pub struct MockBackend {
    inner: TcpBackend,
    core: SimCore,
    root: Option<PathBuf>,
    token: Secret,
    /// What the last mirror pass wrote: path → content fingerprint.
    mirrored: Arc<Mutex<Option<HashMap<String, u64>>>>,
}

/// A fresh token for the in-process simulator: never the placeholder, never reused.
fn mock_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut words = [0u64; 2];
    for (i, w) in words.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        h.write_usize(i);
        *w = h.finish();
    }
    format!("mock-{:016x}{:016x}", words[0], words[1])
}

/// A connector that opens a fresh in-memory connection to `core` per connect.
fn connector(core: &SimCore) -> impl cohesix_tokio::Connector<Io = tokio::io::DuplexStream> {
    let serving = core.clone();
    FnConnector::new("in-process simulator", move || {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let core = serving.clone();
        tokio::spawn(async move {
            let end = core.serve(server).await;
            tracing::trace!(?end, "mock session ended");
        });
        async move { Ok(client) }
    })
}

impl MockBackend {
    /// A fresh simulated queen, served in process, and its mirror written once. Must be
    /// called inside a tokio runtime.
    ///
    /// # Errors
    /// [`Error::Role`]/[`Error::Ticket`] for an unusable role, [`Error::Io`] when the mirror
    /// cannot be written.
    pub fn new(options: &MockOptions) -> Result<Self, Error> {
        let token = mock_token();
        let mut config = SimConfig::mock(options.include_mig);
        if let Some(f) = options.features {
            config.features = f;
        }
        config.token = AuthToken::new(token.clone());
        let core = SimCore::new(config);
        let secret = Secret::new(token);
        let creds = credentials(&secret, &options.role, None)?;
        let console = Console::with_connector(connector(&core), creds, ClientConfig::new())
            .map_err(Error::from)?;
        let me = Self {
            inner: TcpBackend::over(console, BackendKind::Mock),
            core,
            root: options.root.clone(),
            token: secret,
            mirrored: Arc::new(Mutex::new(None)),
        };
        me.mirror()?;
        Ok(me)
    }

    /// Another console session to this mock queen, attached as `role` with `ticket` (the
    /// simulator has one console slot: close the backend's own session first, as a real
    /// queen would require). Lazy, like every console.
    ///
    /// # Errors
    /// [`Error::Console`] for unusable credentials.
    pub fn attach_console(
        &self,
        role: cohesix_core::role::Role,
        ticket: Option<&str>,
        config: ClientConfig,
    ) -> Result<Console, Error> {
        let creds = cohesix_tokio::Credentials::new(self.token.expose(), role, ticket)
            .map_err(|e| Error::Console(cohesix_tokio::ClientError::Core(e.into())))?;
        Console::with_connector(connector(&self.core), creds, config).map_err(Error::from)
    }

    /// The simulator (inspect or seed its namespace in tests).
    #[must_use]
    pub fn core(&self) -> &SimCore {
        &self.core
    }

    /// The console handle underneath.
    #[must_use]
    pub fn console(&self) -> &Console {
        self.inner.console()
    }

    /// The mirror root, if any.
    #[must_use]
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// Writes the namespace under the mirror root (bounded by `MIRROR_MAX_NODES` and
    /// `MIRROR_MAX_BYTES`), rewriting only the files whose content changed and removing
    /// the ones that vanished (the first pass compares with whatever an earlier run left
    /// there), so a write costs the nodes it touched, not the whole tree.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn mirror(&self) -> Result<(), Error> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        let walk = {
            let console = self.core.console();
            let guard = console.lock().unwrap_or_else(PoisonError::into_inner);
            guard
                .namespace()
                .walk(MIRROR_MAX_NODES, MIRROR_MAX_BYTES, 0)
        };
        let io = |what: &str, e| Error::io(format!("mirror {what}"), e);
        let mut last = self.mirrored.lock().unwrap_or_else(PoisonError::into_inner);
        // First pass: what an earlier run left on disk counts as written (unlinking a whole
        // tree is slow on some filesystems); files that differ are rewritten, stale ones
        // removed below.
        let written = last.get_or_insert_with(|| on_disk(root));
        // The audit journal carries attach tickets: it is never mirrored to disk.
        let private = |p: &str| p == "/audit" || p.starts_with("/audit/");
        for dir in walk.dirs.iter().filter(|d| !private(d)) {
            std::fs::create_dir_all(root.join(dir.trim_start_matches('/')))
                .map_err(|e| io(dir, e))?;
        }
        let mut now = HashMap::with_capacity(walk.files.len());
        for (path, content) in walk.files.iter().filter(|(p, _)| !private(p)) {
            let digest = fingerprint(content);
            if written.get(path) != Some(&digest) {
                let local = root.join(path.trim_start_matches('/'));
                if let Some(parent) = local.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| io(path, e))?;
                }
                std::fs::write(&local, content).map_err(|e| io(path, e))?;
            }
            now.insert(path.clone(), digest);
        }
        for gone in written.keys().filter(|p| !now.contains_key(*p)) {
            let _ = std::fs::remove_file(root.join(gone.trim_start_matches('/')));
        }
        *written = now;
        Ok(())
    }
}

/// Files under `root` (bounded by `MIRROR_MAX_NODES`) with their content fingerprints,
/// as namespace paths.
fn on_disk(root: &Path) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            if out.len() + stack.len() >= MIRROR_MAX_NODES {
                return out;
            }
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let (Ok(rel), Ok(content)) = (p.strip_prefix(root), std::fs::read(&p)) {
                out.insert(format!("/{}", rel.display()), fingerprint(&content));
            }
        }
    }
    out
}

/// A content fingerprint (change detection only).
fn fingerprint(content: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    content.hash(&mut h);
    h.finish()
}

impl Backend for MockBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Mock
    }

    async fn list(&self, path: &str) -> Result<Vec<String>, Error> {
        self.inner.list(path).await
    }

    async fn read(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, Error> {
        self.inner.read(path, max_bytes).await
    }

    async fn tail(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, Error> {
        self.inner.tail(path, max_bytes).await
    }

    async fn append(&self, path: &str, line: &str) -> Result<usize, Error> {
        let n = self.inner.append(path, line).await?;
        if let Err(e) = self.mirror() {
            // The write is committed; only the inspection copy is stale.
            tracing::warn!(error = %e, "mock mirror not updated");
        }
        Ok(n)
    }

    async fn close(&self) -> Result<(), Error> {
        self.inner.close().await
    }
}
