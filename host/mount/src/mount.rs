//! Mounting: [`mount`] puts a [`CohFs`] on a directory and returns a [`Mounted`] handle;
//! [`Mounted::wait`] blocks until a [`Stopper`] fires (a signal handler in the caller), the
//! mount is removed from outside (`fusermount3 -u`), or the watchdog finds the backend lost
//! for good; then it unmounts.
//!
//! ```text
//!  mount ─► probe /dev/fuse, fusermount ─► fuser session (n threads) ─► Mounted
//!                                  watchdog: Health verdict every 200 ms, probe LS / when
//!                                  failing (1 s) or idle (5 s); Lost ─► Ended::BackendLost
//!  Mounted::wait ◄─ Stopper::stop(reason) | session ended | BackendLost ─► unmount ─► Ended
//! ```
//!
//! Auto-unmount (`fusermount3 -o auto_unmount`) is on whenever the platform allows it (root,
//! or `user_allow_other` in `/etc/fuse.conf`): even a killed process leaves no stale mount.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::fs::{CohFs, FsConfig};
use crate::fuse::{self, SessionSpec};
use crate::health::Verdict;
use crate::ns::Namespace;

/// How long [`Mounted::wait`] waits for the session threads after unmounting (a process
/// that keeps a file open in a lazily unmounted mount holds them).
pub const JOIN_GRACE: Duration = Duration::from_secs(2);

/// Options of [`mount`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct MountOptions {
    /// The mount point (created if missing).
    pub at: PathBuf,
    /// Let every user use the mount (`allow_other`); off by default.
    pub allow_other: bool,
    /// How long the backend may stay unreachable before the mount gives up.
    pub lost_after: Duration,
    /// FUSE session threads (concurrent requests).
    pub threads: usize,
    /// Force auto-unmount on or off (`None`: on where the platform allows it).
    pub auto_unmount: Option<bool>,
    /// The filesystem's settings.
    pub fs: FsConfig,
}

impl MountOptions {
    /// Defaults for a mount at `at`: owner only, lost after 30 s, 4 threads.
    #[must_use]
    pub fn new(at: impl Into<PathBuf>) -> Self {
        let fs = FsConfig {
            uid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getegid().as_raw(),
            ..FsConfig::default()
        };
        Self {
            at: at.into(),
            allow_other: false,
            lost_after: Duration::from_secs(30),
            threads: 4,
            auto_unmount: None,
            fs,
        }
    }

    /// With `allow_other`.
    #[must_use]
    pub fn allow_other(mut self, on: bool) -> Self {
        self.allow_other = on;
        self
    }

    /// Another grace period before the backend counts as lost.
    #[must_use]
    pub fn lost_after(mut self, d: Duration) -> Self {
        self.lost_after = d;
        self
    }
}

/// Why mounting or unmounting failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum MountError {
    /// FUSE is not usable here (no `/dev/fuse`, no permission, no `fusermount3` where one is
    /// needed); the message says what to install or change.
    Unavailable(String),
    /// The mount point cannot be used.
    MountPoint {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The kernel or `fusermount3` refused the mount.
    Mount {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Unmounting failed.
    Unmount {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

impl core::fmt::Display for MountError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Unavailable(m) => write!(f, "FUSE unavailable: {m}"),
            Self::MountPoint { path, source } => {
                write!(f, "mount point {}: {source}", path.display())
            }
            Self::Mount { path, source } => write!(f, "mount {}: {source}", path.display()),
            Self::Unmount { path, source } => write!(f, "unmount {}: {source}", path.display()),
        }
    }
}

impl std::error::Error for MountError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::MountPoint { source, .. }
            | Self::Mount { source, .. }
            | Self::Unmount { source, .. } => Some(source),
            Self::Unavailable(_) => None,
        }
    }
}

/// What this machine offers for mounting.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Support {
    /// `fusermount3` (or `fusermount`) on `PATH`.
    pub fusermount: Option<PathBuf>,
    /// Running as root.
    pub root: bool,
    /// `/etc/fuse.conf` has `user_allow_other`.
    pub user_allow_other: bool,
}

impl Support {
    /// Whether auto-unmount can be used (with or without `allow_other`).
    #[must_use]
    pub fn auto_unmount(&self) -> bool {
        self.fusermount.is_some() && (self.root || self.user_allow_other)
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Checks that FUSE can be used: `/dev/fuse` opens read-write; finds `fusermount3`.
///
/// # Errors
/// [`MountError::Unavailable`] with what is missing.
pub fn probe() -> Result<Support, MountError> {
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/fuse")
    {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(MountError::Unavailable(
                "/dev/fuse is missing (load the fuse module; in a container pass --device \
                 /dev/fuse --cap-add SYS_ADMIN)"
                    .into(),
            ))
        }
        Err(e) => {
            return Err(MountError::Unavailable(format!(
                "/dev/fuse cannot be opened: {e}"
            )))
        }
    }
    let fusermount = on_path("fusermount3").or_else(|| on_path("fusermount"));
    let root = nix::unistd::geteuid().is_root();
    let user_allow_other = std::fs::read_to_string("/etc/fuse.conf").is_ok_and(|t| {
        t.lines()
            .any(|l| l.split('#').next().unwrap_or_default().trim() == "user_allow_other")
    });
    if fusermount.is_none() && !root {
        return Err(MountError::Unavailable(
            "fusermount3 is missing (install the fuse3 package)".into(),
        ));
    }
    Ok(Support {
        fusermount,
        root,
        user_allow_other,
    })
}

/// Why a mount ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ended {
    /// A [`Stopper`] fired (the reason it gave: `SIGTERM`, …).
    Stopped(String),
    /// The mount was removed from outside (`fusermount3 -u`, `umount`).
    Unmounted,
    /// The backend stayed unreachable (or kept refusing the credentials) past the grace
    /// period.
    BackendLost(String),
}

/// Ends a mount from another thread (a signal handler).
#[derive(Clone, Debug)]
pub struct Stopper {
    tx: mpsc::Sender<Ended>,
}

impl Stopper {
    /// Asks the mount to end with `reason`.
    pub fn stop(&self, reason: impl Into<String>) {
        let _ = self.tx.send(Ended::Stopped(reason.into()));
    }
}

/// A mounted filesystem. Dropping it unmounts like [`Mounted::unmount`] (errors are logged).
pub struct Mounted<N: Namespace> {
    fs: Arc<CohFs<N>>,
    session: Option<fuser::BackgroundSession>,
    at: PathBuf,
    tx: mpsc::Sender<Ended>,
    rx: mpsc::Receiver<Ended>,
    done: Arc<AtomicBool>,
    auto_unmount: bool,
}

impl<N: Namespace> std::fmt::Debug for Mounted<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mounted")
            .field("at", &self.at)
            .field("auto_unmount", &self.auto_unmount)
            .finish_non_exhaustive()
    }
}

/// Mounts the namespace `ns` at `options.at`.
///
/// # Errors
/// [`MountError`]: FUSE unavailable, a bad mount point (a stale mount answers "Transport
/// endpoint is not connected": remove it with `fusermount3 -u`), the mount refused.
pub fn mount<N: Namespace>(ns: N, options: MountOptions) -> Result<Mounted<N>, MountError> {
    let support = probe()?;
    if options.allow_other && !(support.root || support.user_allow_other) {
        return Err(MountError::Unavailable(
            "--allow-other needs `user_allow_other` in /etc/fuse.conf".into(),
        ));
    }
    let auto_unmount = options
        .auto_unmount
        .unwrap_or_else(|| support.auto_unmount());
    if !auto_unmount {
        tracing::warn!(
            "auto-unmount unavailable (needs fusermount3 and root or user_allow_other): a \
             killed process leaves a stale mount; `fusermount3 -u DIR` removes it"
        );
    }
    let at = &options.at;
    if let Err(source) = std::fs::create_dir_all(at) {
        return Err(MountError::MountPoint {
            path: at.clone(),
            source,
        });
    }
    match std::fs::read_dir(at) {
        Ok(_) => {}
        Err(source) => {
            return Err(MountError::MountPoint {
                path: at.clone(),
                source,
            })
        }
    }
    let fs = Arc::new(CohFs::new(ns, options.fs.clone()));
    let spec = SessionSpec {
        allow_other: options.allow_other,
        auto_unmount,
        threads: options.threads,
    };
    let session = fuse::spawn(Arc::clone(&fs), at, &spec).map_err(|source| MountError::Mount {
        path: at.clone(),
        source,
    })?;
    let (tx, rx) = mpsc::channel();
    let done = Arc::new(AtomicBool::new(false));
    watchdog(
        Arc::clone(&fs),
        options.lost_after,
        tx.clone(),
        Arc::clone(&done),
    );
    Ok(Mounted {
        fs,
        session: Some(session),
        at: at.clone(),
        tx,
        rx,
        done,
        auto_unmount,
    })
}

/// Runs the health watchdog until `done`.
fn watchdog<N: Namespace>(
    fs: Arc<CohFs<N>>,
    grace: Duration,
    tx: mpsc::Sender<Ended>,
    done: Arc<AtomicBool>,
) {
    const TICK: Duration = Duration::from_millis(200);
    const FAILING_PROBE: Duration = Duration::from_secs(1);
    const IDLE_PROBE: Duration = Duration::from_secs(5);
    let spawned = std::thread::Builder::new()
        .name("coh-mount-watchdog".into())
        .spawn(move || {
            let mut probed = Instant::now();
            while !done.load(Ordering::Acquire) {
                std::thread::sleep(TICK);
                match fs.health().verdict(grace) {
                    Verdict::Lost(reason) => {
                        let _ = tx.send(Ended::BackendLost(reason));
                        return;
                    }
                    Verdict::Failing(_) if probed.elapsed() >= FAILING_PROBE => {
                        probed = Instant::now();
                        let _ = fs.probe();
                    }
                    Verdict::Alive
                        if probed.elapsed() >= IDLE_PROBE
                            && fs
                                .health()
                                .last_ok()
                                .is_none_or(|t| t.elapsed() >= IDLE_PROBE) =>
                    {
                        probed = Instant::now();
                        let _ = fs.probe();
                    }
                    _ => {}
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("no watchdog thread ({e}): a lost backend is not detected");
    }
}

impl<N: Namespace> Drop for Mounted<N> {
    fn drop(&mut self) {
        if let Err(e) = self.finish() {
            tracing::warn!("{e}");
        }
    }
}

impl<N: Namespace> Mounted<N> {
    /// The mount point.
    #[must_use]
    pub fn at(&self) -> &Path {
        &self.at
    }

    /// Whether auto-unmount is on.
    #[must_use]
    pub fn auto_unmount(&self) -> bool {
        self.auto_unmount
    }

    /// The filesystem (counters, health).
    #[must_use]
    pub fn fs(&self) -> &CohFs<N> {
        &self.fs
    }

    /// A handle that ends the mount from another thread.
    #[must_use]
    pub fn stopper(&self) -> Stopper {
        Stopper {
            tx: self.tx.clone(),
        }
    }

    /// Blocks until the mount should end (see [`Ended`]), then unmounts.
    ///
    /// # Errors
    /// [`MountError::Unmount`] when unmounting failed.
    pub fn wait(mut self) -> Result<Ended, MountError> {
        let ended = loop {
            match self.rx.recv_timeout(Duration::from_millis(200)) {
                Ok(e) => break e,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if self.session.as_ref().is_none_or(|s| s.guard.is_finished()) {
                        break Ended::Unmounted;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break Ended::Unmounted,
            }
        };
        self.finish()?;
        Ok(ended)
    }

    /// Unmounts now.
    ///
    /// # Errors
    /// [`MountError::Unmount`].
    pub fn unmount(mut self) -> Result<(), MountError> {
        self.finish()
    }

    fn finish(&mut self) -> Result<(), MountError> {
        self.done.store(true, Ordering::Release);
        let Some(session) = self.session.take() else {
            return Ok(());
        };
        // fusermount's auto-unmount only removes a mount whose connection is dead, so a clean
        // stop unmounts here first (the session then ends with the kernel's DESTROY).
        if is_mounted(&self.at) {
            if let Err(source) = unmount_dir(&self.at) {
                tracing::warn!(at = %self.at.display(), "unmount: {source}");
            }
        }
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("coh-unmount".into())
            .spawn(move || {
                let _ = tx.send(session.umount_and_join());
            });
        if spawned.is_err() {
            return Err(MountError::Unmount {
                path: self.at.clone(),
                source: io::Error::other("no thread to unmount on"),
            });
        }
        match rx.recv_timeout(JOIN_GRACE) {
            Ok(Ok(())) | Err(_) => {
                // Not joined in time: a process still holds a file open in the detached
                // mount; its connection ends when that file (or this process) is closed.
                wait_unmounted(&self.at, JOIN_GRACE);
                if is_mounted(&self.at) {
                    return Err(MountError::Unmount {
                        path: self.at.clone(),
                        source: io::Error::other("still mounted"),
                    });
                }
                Ok(())
            }
            Ok(Err(source)) => Err(MountError::Unmount {
                path: self.at.clone(),
                source,
            }),
        }
    }
}

/// Unmounts `dir`: directly as root (lazily when busy: a process holding a file open keeps
/// only its own file), else through `fusermount3 -u` (`-uz` when busy).
fn unmount_dir(dir: &Path) -> io::Result<()> {
    use nix::mount::{umount2, MntFlags};
    if nix::unistd::geteuid().is_root() {
        return umount2(dir, MntFlags::empty())
            .or_else(|_| umount2(dir, MntFlags::MNT_DETACH))
            .map_err(io::Error::from);
    }
    let bin = on_path("fusermount3")
        .or_else(|| on_path("fusermount"))
        .ok_or_else(|| io::Error::other("fusermount3 is missing"))?;
    for args in [&["-u"][..], &["-u", "-z"]] {
        let out = std::process::Command::new(&bin)
            .args(args)
            .arg(dir)
            .output()?;
        if out.status.success() {
            return Ok(());
        }
    }
    Err(io::Error::other(format!("{} -u failed", bin.display())))
}

/// Whether `dir` is a mount point of a `coh` filesystem now (`/proc/self/mountinfo`).
#[must_use]
pub fn is_mounted(dir: &Path) -> bool {
    let Ok(dir) = std::path::absolute(dir) else {
        return false;
    };
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return false;
    };
    info.lines().any(|l| {
        let f: Vec<&str> = l.split(' ').collect();
        let point = f.get(4).map(|p| unescape(p));
        let fstype = f
            .iter()
            .position(|x| *x == "-")
            .and_then(|i| f.get(i + 1).copied());
        point.is_some_and(|p| Path::new(&p) == dir)
            && fstype.is_some_and(|t| t == "fuse.coh" || t == "fuse")
    })
}

/// Waits up to `limit` for `dir` to stop being a `coh` mount point.
pub fn wait_unmounted(dir: &Path, limit: Duration) -> bool {
    let start = Instant::now();
    while is_mounted(dir) {
        if start.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// `/proc/self/mountinfo` escapes spaces and a few bytes as `\ooo`.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let oct = b
            .get(i + 1..i + 4)
            .filter(|o| o.iter().all(|c| (b'0'..=b'7').contains(c)));
        match (b.get(i), oct) {
            (Some(b'\\'), Some(o)) => {
                let v = o
                    .iter()
                    .fold(0u8, |a, c| a.wrapping_mul(8).wrapping_add(c - b'0'));
                out.push(v);
                i += 4;
            }
            (Some(&c), _) => {
                out.push(c);
                i += 1;
            }
            (None, _) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_paths_are_unescaped() {
        assert_eq!(unescape(r"/tmp/a\040b"), "/tmp/a b");
        assert_eq!(unescape("/plain"), "/plain");
        assert!(!is_mounted(Path::new("/definitely/not/mounted")));
    }
}
