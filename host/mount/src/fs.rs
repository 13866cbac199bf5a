//! [`CohFs`]: the filesystem's operations in plain types (no FUSE types), over any
//! [`Namespace`]. The FUSE adapter (`fuse.rs`) only translates.
//!
//! ```text
//!  lookup ─► name rules ─► allowlist ─► parent listing (or shape) ─► type (shape or LS probe)
//!  getattr/open(read) ─► fetch if older than the TTL or a write happened since ─► View
//!  read ─► served from the View; a read at the end polls again (tail -f)
//!  write ─► offset rule ─► one line ─► bound ─► one append ─► every cache stale
//! ```
//!
//! No lock is held across a backend call except the node's own `refresh` lock, which keeps
//! one fetch per node at a time (so `TAIL` results merge in order) while other nodes proceed.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use cohesix::backend::{prepare_line, ECHO_BOUND};
use cohesix::{Error, ErrorKind};

use crate::fault::{self, Fault};
use crate::health::Health;
use crate::ns::{Namespace, TailCursor};
use crate::rules::{self, Access, Allowlist};
use crate::shape::{self, Class, Kind};
use crate::table::{Handle, Handles, Listing, Node, NodeState, Nodes, OpenMode, ROOT};
use crate::view::{View, VIEWS_BUDGET};

/// Settings of the filesystem.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FsConfig {
    /// Which paths are shown.
    pub allowlist: Allowlist,
    /// How long attributes, entries, listings and contents stay fresh (upstream: 1 s).
    pub ttl: Duration,
    /// How often a read at the end of a file polls again (`tail -f`).
    pub poll: Duration,
    /// The most bytes one fetch of a node may return.
    pub read_max: usize,
    /// Owner of every node.
    pub uid: u32,
    /// Group of every node.
    pub gid: u32,
}

impl Default for FsConfig {
    fn default() -> Self {
        Self {
            allowlist: Allowlist::default(),
            ttl: Duration::from_secs(1),
            poll: Duration::from_millis(cohesix_generated::tail::POLL_MS_MIN),
            read_max: 64 * 1024,
            uid: 0,
            gid: 0,
        }
    }
}

/// A node's attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr {
    /// Inode number.
    pub ino: u64,
    /// Type.
    pub kind: Kind,
    /// Size in bytes (a file's view end; 0 for directories and unread nodes).
    pub size: u64,
    /// Permission bits.
    pub perm: u16,
    /// Last change seen.
    pub mtime: SystemTime,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

/// One directory entry of [`CohFs::readdir`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// Inode number.
    pub ino: u64,
    /// Type.
    pub kind: Kind,
    /// Name.
    pub name: String,
    /// Offset of the entry after this one.
    pub next: u64,
}

/// Counters of the filesystem (for logs and tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FsStatus {
    /// Appends the target acknowledged.
    pub appends: u64,
    /// Writes refused before reaching the backend (offset, lines, bound, truncation).
    pub refused_locally: u64,
    /// Appends the target refused.
    pub refused_remotely: u64,
    /// Appends whose acknowledgement was lost.
    pub outcome_unknown: u64,
    /// Backend calls (`LS`, `CAT`, `TAIL`, `ECHO`).
    pub fetches: u64,
    /// Inodes known now.
    pub nodes: usize,
    /// Handles open now.
    pub handles: usize,
    /// Bytes all views hold now (bounded by [`VIEWS_BUDGET`] plus the views being read).
    pub view_bytes: usize,
}

/// One fetch: the bytes, and for a `TAIL` the cursor state before and after it.
type Fetched = (Vec<u8>, Option<(TailCursor, TailCursor)>);

/// The filesystem.
pub struct CohFs<N> {
    ns: N,
    config: FsConfig,
    nodes: Mutex<Nodes>,
    handles: Mutex<Handles>,
    epoch: AtomicU64,
    status: Mutex<FsStatus>,
    health: Arc<Health>,
    started: SystemTime,
    /// Bytes all views hold (see [`VIEWS_BUDGET`]).
    held: AtomicUsize,
}

impl<N> std::fmt::Debug for CohFs<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CohFs")
            .field("config", &self.config)
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<N: Namespace> CohFs<N> {
    /// A filesystem over `ns`.
    pub fn new(ns: N, config: FsConfig) -> Self {
        Self {
            ns,
            config,
            nodes: Mutex::new(Nodes::default()),
            handles: Mutex::new(Handles::default()),
            epoch: AtomicU64::new(0),
            status: Mutex::new(FsStatus::default()),
            health: Arc::new(Health::default()),
            started: SystemTime::now(),
            held: AtomicUsize::new(0),
        }
    }

    /// The namespace underneath.
    pub fn namespace(&self) -> &N {
        &self.ns
    }

    /// The settings.
    pub fn config(&self) -> &FsConfig {
        &self.config
    }

    /// The backend's health (shared with the watchdog).
    pub fn health(&self) -> &Arc<Health> {
        &self.health
    }

    /// The counters.
    pub fn status(&self) -> FsStatus {
        let mut s = *lock(&self.status);
        s.nodes = lock(&self.nodes).len();
        s.handles = lock(&self.handles).len();
        s.view_bytes = self.held.load(Ordering::Acquire);
        s
    }

    /// Calls the backend and records the outcome.
    fn call<T>(&self, f: impl FnOnce(&N) -> Result<T, Error>) -> Result<T, Error> {
        let r = f(&self.ns);
        self.health.record(&r);
        lock(&self.status).fetches += 1;
        r
    }

    /// Probes the backend (`LS /`), for the watchdog.
    ///
    /// # Errors
    /// The backend's.
    pub fn probe(&self) -> Result<(), Error> {
        self.call(|ns| ns.list("/")).map(|_| ())
    }

    fn node(&self, ino: u64) -> Result<Node, Fault> {
        lock(&self.nodes).get(ino).ok_or(Fault::NotFound)
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    fn fresh(&self, fetched: Option<Instant>, epoch: u64, within: Duration) -> bool {
        fetched.is_some_and(|t| t.elapsed() < within) && epoch == self.epoch()
    }

    // ---- directories -------------------------------------------------------------------

    /// The allowed names in the directory `node` (cached for the TTL).
    fn listing(&self, node: &Node) -> Result<Vec<String>, Fault> {
        let _one = lock(&node.state.refresh);
        if let Some(l) = lock(&node.state.listing).as_ref() {
            if self.fresh(Some(l.at), l.epoch, self.config.ttl) {
                return Ok(l.names.clone());
            }
        }
        let epoch = self.epoch();
        let path = node.path.as_str();
        let extra = shape::children(path);
        let mut names = match self.call(|ns| ns.list(path)) {
            Ok(n) => n,
            Err(e) if e.is_missing() && !extra.is_empty() => Vec::new(),
            Err(e) => return Err(fault::of_read(&e)),
        };
        names.extend(extra.iter().map(|s| (*s).to_owned()));
        names.retain(|n| {
            let child = rules::join(path, n);
            rules::check(&child).is_ok() && self.config.allowlist.access(&child) != Access::Denied
        });
        names.sort();
        names.dedup();
        *lock(&node.state.listing) = Some(Listing {
            names: names.clone(),
            at: Instant::now(),
            epoch,
        });
        Ok(names)
    }

    /// The type of an existing `path`.
    fn kind_of(&self, path: &str) -> Result<Kind, Fault> {
        if let Some((_, k)) = lock(&self.nodes).find(path) {
            return Ok(k);
        }
        if self.config.allowlist.access(path) == Access::Ancestor {
            return Ok(Kind::Dir);
        }
        if let Some(k) = shape::kind_hint(path) {
            return Ok(k);
        }
        match self.call(|ns| ns.list(path)) {
            Ok(_) => Ok(Kind::Dir),
            Err(e) if matches!(e.kind(), ErrorKind::Refused | ErrorKind::Caller) => Ok(Kind::File),
            Err(e) => Err(fault::of_read(&e)),
        }
    }

    /// Looks `name` up in `parent`; one more kernel reference on success.
    ///
    /// # Errors
    /// `EINVAL`/`ENAMETOOLONG` for the path rules, `EACCES` outside the allowlist,
    /// `ENOENT` for names the target does not have, `EIO` when it cannot be asked.
    pub fn lookup(&self, parent: u64, name: &[u8]) -> Result<Attr, Fault> {
        let name = std::str::from_utf8(name).map_err(|_| Fault::Invalid)?;
        let dir = self.node(parent)?;
        if dir.kind != Kind::Dir {
            return Err(Fault::NotDir);
        }
        let path = rules::join(&dir.path, name);
        rules::check(&path)?;
        if self.config.allowlist.access(&path) == Access::Denied {
            return Err(Fault::Access);
        }
        if !shape::unlisted(&path) && !self.listing(&dir)?.iter().any(|n| n == name) {
            return Err(Fault::NotFound);
        }
        let kind = self.kind_of(&path)?;
        let (ino, node) = lock(&self.nodes).insert(&path, kind, 1)?;
        Ok(self.attr(ino, &node))
    }

    /// The kernel dropped `n` references to `ino`.
    pub fn forget(&self, ino: u64, n: u64) {
        lock(&self.nodes).forget(ino, n);
    }

    /// Attributes of `ino` (a file is fetched when stale; a failed fetch keeps the last
    /// known size).
    ///
    /// # Errors
    /// `ENOENT` for an unknown inode.
    pub fn getattr(&self, ino: u64) -> Result<Attr, Fault> {
        let node = self.node(ino)?;
        Ok(self.attr(ino, &node))
    }

    fn attr(&self, ino: u64, node: &Node) -> Attr {
        let mut a = Attr {
            ino,
            kind: node.kind,
            size: 0,
            perm: 0o755,
            mtime: self.started,
            uid: self.config.uid,
            gid: self.config.gid,
        };
        if node.kind == Kind::File {
            let _ = self.refresh(node, self.config.ttl);
            let v = lock(&node.state.view);
            a.size = v.end();
            a.mtime = v.changed;
            let readable =
                shape::class(&node.path) != Class::WriteOnly && v.readable != Some(false);
            a.perm = if readable { 0o644 } else { 0o200 };
        }
        a
    }

    /// Opens the directory `ino`: its entries are taken now.
    ///
    /// # Errors
    /// `ENOTDIR`, or the listing's fault.
    pub fn opendir(&self, ino: u64) -> Result<u64, Fault> {
        let node = self.node(ino)?;
        if node.kind != Kind::Dir {
            return Err(Fault::NotDir);
        }
        let names = self.listing(&node)?;
        let mut entries = Vec::with_capacity(names.len());
        for name in names {
            let path = rules::join(&node.path, &name);
            let Ok(kind) = self.kind_of(&path) else {
                continue;
            };
            let Ok((child, _)) = lock(&self.nodes).insert(&path, kind, 0) else {
                continue;
            };
            entries.push((name, child, kind));
        }
        lock(&self.handles).insert(Handle {
            ino,
            mode: OpenMode::default(),
            cursor: 0,
            shift: 0,
            entries: Some(entries),
        })
    }

    /// Entries of an open directory from `offset` on (`.` and `..` first).
    ///
    /// # Errors
    /// `EBADF` for an unknown handle.
    pub fn readdir(&self, ino: u64, fh: u64, offset: u64) -> Result<Vec<DirEntry>, Fault> {
        let parent = {
            let nodes = lock(&self.nodes);
            match nodes.get(ino) {
                Some(n) if n.path != "/" => {
                    let up = n.path.rsplit_once('/').map_or("/", |(p, _)| p);
                    let up = if up.is_empty() { "/" } else { up };
                    nodes.find(up).map_or(ROOT, |(i, _)| i)
                }
                _ => ROOT,
            }
        };
        let mut handles = lock(&self.handles);
        let h = handles.get_mut(fh).ok_or(Fault::BadHandle)?;
        let entries = h.entries.as_ref().ok_or(Fault::BadHandle)?;
        let all = [
            (".".to_owned(), ino, Kind::Dir),
            ("..".to_owned(), parent, Kind::Dir),
        ]
        .into_iter()
        .chain(entries.iter().cloned());
        Ok(all
            .enumerate()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .map(|(i, (name, ino, kind))| DirEntry {
                ino,
                kind,
                name,
                next: i as u64 + 1,
            })
            .collect())
    }

    /// Closes a directory handle.
    pub fn releasedir(&self, fh: u64) {
        lock(&self.handles).remove(fh);
    }

    // ---- files -------------------------------------------------------------------------

    /// Fetches `node` unless fetched within `within` (and no write happened since).
    fn refresh(&self, node: &Node, within: Duration) -> Result<(), Fault> {
        let class = shape::class(&node.path);
        if class == Class::WriteOnly {
            return Ok(());
        }
        let _one = lock(&node.state.refresh);
        {
            let v = lock(&node.state.view);
            if self.fresh(v.fetched, v.epoch, within) {
                return if v.too_big {
                    Err(Fault::TooBig)
                } else {
                    Ok(())
                };
            }
        }
        let epoch = self.epoch();
        let path = node.path.as_str();
        let max = self.config.read_max;
        let result = match class {
            Class::Stream => {
                let before = self.ns.tail_cursor();
                let r = self.call(|ns| ns.tail(path, max));
                let after = self.ns.tail_cursor();
                r.map(|bytes| (bytes, Some((before, after))))
            }
            _ => self.call(|ns| ns.read(path, max)).map(|b| (b, None)),
        };
        let mut v = lock(&node.state.view);
        let held_before = v.held();
        let out = Self::merge(&mut v, result, epoch);
        let held_after = v.held();
        drop(v);
        if held_after >= held_before {
            let total = self
                .held
                .fetch_add(held_after - held_before, Ordering::AcqRel)
                + (held_after - held_before);
            if total > VIEWS_BUDGET {
                self.shed(node);
            }
        } else {
            self.held
                .fetch_sub(held_before - held_after, Ordering::AcqRel);
        }
        out
    }

    /// Drops the views no handle reads (not `keep`'s) once all views outgrow the budget,
    /// and recounts what is held (evicted inodes took theirs with them).
    fn shed(&self, keep: &Node) {
        let states: Vec<Arc<NodeState>> = lock(&self.nodes).states();
        let mut total = 0;
        for st in states {
            let mut v = lock(&st.view);
            if !Arc::ptr_eq(&st, &keep.state) && v.readers == 0 {
                v.forget();
            }
            total += v.held();
        }
        self.held.store(total, Ordering::Release);
    }

    /// Merges one fetch's outcome into `v`.
    fn merge(v: &mut View, result: Result<Fetched, Error>, epoch: u64) -> Result<(), Fault> {
        match result {
            Ok((bytes, cursor)) => {
                match cursor {
                    Some((before, after)) => {
                        let overlap = before != after
                            || before == TailCursor::Snapshot
                            || v.tail_cursor != Some(before);
                        v.tail_cursor = Some(after);
                        v.merge_stream(&bytes, overlap);
                    }
                    None => v.merge_snapshot(bytes),
                }
                v.readable = Some(true);
                v.too_big = false;
                v.fetched = Some(Instant::now());
                v.epoch = epoch;
                Ok(())
            }
            Err(e) => {
                let f = fault::of_read(&e);
                match f {
                    // The target answered: remember it for the TTL.
                    Fault::NotFound | Fault::Access | Fault::Perm => {
                        v.readable = Some(false);
                        v.fetched = Some(Instant::now());
                        v.epoch = epoch;
                    }
                    Fault::TooBig => {
                        v.too_big = true;
                        v.fetched = Some(Instant::now());
                        v.epoch = epoch;
                    }
                    _ => {}
                }
                Err(f)
            }
        }
    }

    /// Opens the file `ino`.
    ///
    /// # Errors
    /// `EPERM` for `O_TRUNC` (files are append-only); `EACCES` reading a control file or a
    /// node the target will not read; `ENOENT`/`EFBIG`/`EIO` when the fetch fails.
    pub fn open(&self, ino: u64, mode: OpenMode) -> Result<u64, Fault> {
        let node = self.node(ino)?;
        if node.kind != Kind::File {
            return Err(Fault::IsDir);
        }
        if mode.truncate && mode.write {
            tracing::info!(path = %node.path, "refused: truncation (files are append-only; use >>)");
            lock(&self.status).refused_locally += 1;
            return Err(Fault::Perm);
        }
        if mode.read {
            if shape::class(&node.path) == Class::WriteOnly {
                return Err(Fault::Access);
            }
            match self.refresh(&node, self.config.ttl) {
                Ok(()) => {}
                Err(Fault::NotFound) if lock(&node.state.view).readable == Some(false) => {
                    return Err(Fault::Access)
                }
                Err(f) => return Err(f),
            }
            if lock(&node.state.view).readable == Some(false) {
                return Err(Fault::Access);
            }
        }
        let fh = lock(&self.handles).insert(Handle {
            ino,
            mode,
            cursor: 0,
            shift: 0,
            entries: None,
        })?;
        lock(&self.nodes).opened(ino, 1);
        if mode.read {
            lock(&node.state.view).readers += 1;
        }
        Ok(fh)
    }

    /// Reads up to `size` bytes at `offset`.
    ///
    /// # Errors
    /// `EBADF` for an unknown handle or one not opened for reading.
    pub fn read(&self, ino: u64, fh: u64, offset: u64, size: usize) -> Result<Vec<u8>, Fault> {
        let node = self.node(ino)?;
        let shift = {
            let mut hs = lock(&self.handles);
            let h = hs.get_mut(fh).ok_or(Fault::BadHandle)?;
            if !h.mode.read || h.ino != ino {
                return Err(Fault::BadHandle);
            }
            h.shift
        };
        let at = offset.saturating_add(shift);
        if at >= lock(&node.state.view).end() {
            // At the end: anything new? (tail -f). A failed poll is just "nothing new".
            let _ = self.refresh(&node, self.config.poll);
        }
        let v = lock(&node.state.view);
        let mut at = at;
        if at < v.base() {
            // The reader started before the first byte still kept: skip what was evicted.
            let skip = v.base() - at;
            at = v.base();
            if let Some(h) = lock(&self.handles).get_mut(fh) {
                h.shift += skip;
            }
        }
        Ok(v.slice(at, size).to_vec())
    }

    /// Writes `data` at `offset` (`append`: the handle has `O_APPEND` now): one line, one
    /// append.
    ///
    /// # Errors
    /// `EINVAL` for a write at another offset than the handle's end, with several lines, an
    /// empty or non-ASCII line; `EFBIG` over the 128-byte echo bound (nothing is sent);
    /// `EIO` when the acknowledgement was lost (logged as outcome unknown; never re-sent);
    /// the target's refusal otherwise.
    pub fn write(
        &self,
        ino: u64,
        fh: u64,
        offset: u64,
        data: &[u8],
        append: bool,
    ) -> Result<usize, Fault> {
        let node = self.node(ino)?;
        let (append, cursor) = {
            let mut hs = lock(&self.handles);
            let h = hs.get_mut(fh).ok_or(Fault::BadHandle)?;
            if !h.mode.write || h.ino != ino {
                return Err(Fault::BadHandle);
            }
            (append || h.mode.append, h.cursor)
        };
        let end = lock(&node.state.view).end();
        let refuse = |why: &str, f: Fault| {
            tracing::info!(path = %node.path, offset, len = data.len(), "refused write: {why}");
            lock(&self.status).refused_locally += 1;
            Err(f)
        };
        if !append && offset != cursor && offset != end {
            return refuse("not at the end (files are append-only)", Fault::Invalid);
        }
        let Ok(text) = std::str::from_utf8(data) else {
            return refuse("not UTF-8", Fault::Invalid);
        };
        let line = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(text);
        if line.contains(['\n', '\r']) {
            return refuse("several lines (one write is one line)", Fault::Invalid);
        }
        if line.trim_matches(' ').len() > ECHO_BOUND {
            return refuse("over the 128-byte line bound", Fault::TooBig);
        }
        let path = node.path.as_str();
        // The library's own checks (empty, printable ASCII), before anything is sent.
        let Ok(line) = prepare_line(path, line, true) else {
            return refuse("empty or not printable ASCII", Fault::Invalid);
        };
        let result = self.call(|ns| ns.append(path, line));
        self.epoch.fetch_add(1, Ordering::AcqRel);
        match result {
            Ok(_) => {
                lock(&self.status).appends += 1;
                if let Some(h) = lock(&self.handles).get_mut(fh) {
                    h.cursor = offset.max(h.cursor) + data.len() as u64;
                }
                Ok(data.len())
            }
            Err(e) if e.kind() == ErrorKind::Unknown => {
                lock(&self.status).outcome_unknown += 1;
                tracing::warn!(
                    path,
                    "outcome unknown: the append was sent and its acknowledgement lost; it may \
                     or may not have been applied and is not re-sent ({e})"
                );
                Err(Fault::Io)
            }
            Err(e) => {
                let f = fault::of_write(&e);
                if e.kind() == ErrorKind::Refused {
                    lock(&self.status).refused_remotely += 1;
                }
                tracing::info!(path, errno = f.name(), "append failed: {e}");
                Err(f)
            }
        }
    }

    /// Closes a file handle.
    pub fn release(&self, ino: u64, fh: u64) {
        let Some(h) = lock(&self.handles).remove(fh) else {
            return;
        };
        lock(&self.nodes).opened(ino, -1);
        if h.mode.read {
            if let Ok(node) = self.node(ino) {
                let mut v = lock(&node.state.view);
                v.readers = v.readers.saturating_sub(1);
            }
        }
    }

    /// Attribute changes: none is supported. A size (`>` truncation, `truncate`) is `EPERM`
    /// even when it equals the current one (a silent no-op would make `>` look like it
    /// worked); so are modes, owners and times.
    ///
    /// # Errors
    /// `EPERM` (`ENOENT` for an unknown inode).
    pub fn setattr(&self, ino: u64, size: Option<u64>) -> Result<Attr, Fault> {
        let node = self.node(ino)?;
        let what = if size.is_some() {
            "truncation (files are append-only; use >>)"
        } else {
            "setattr (the namespace has no modes, owners or times)"
        };
        tracing::info!(path = %node.path, "refused: {what}");
        lock(&self.status).refused_locally += 1;
        Err(Fault::Perm)
    }
}
