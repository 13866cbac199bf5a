//! `coh mount --at DIR`: the queen's namespace as a FUSE filesystem, in the foreground,
//! over the transport the global flags pick (TCP, `--rest-url`, `--mock`). See
//! `docs/mount.md` and the `cohesix_mount` crate for the semantics.
//!
//! ```text
//! coh [transport flags] mount --at DIR [--allow-other] [--lost-after-s S] [--threads N]
//! ```
//!
//! It checks the backend answers (`LS /`), mounts, prints one line on stderr, and serves
//! until SIGINT/SIGTERM (unmounts, exit 0), an unmount from outside (exit 0), or the backend
//! lost for good — unreachable (or refusing the credentials) for `--lost-after-s` seconds —
//! (unmounts, exit 1, the reason on stderr). Usage errors exit 2. Refusals and lost
//! acknowledgements are logged on stderr (`COH_LOG` filters, default
//! `info,fuser=warn`).

use std::path::PathBuf;
use std::process::ExitCode;
#[cfg(feature = "mount")]
use std::sync::mpsc;
#[cfg(feature = "mount")]
use std::time::Duration;

#[cfg(feature = "mount")]
use cohesix::blocking::Backend;
#[cfg(feature = "mount")]
use cohesix_mount::{mount, Ended, MountOptions, Stopper};

use super::Transport;

/// `coh mount` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The mount point (created if missing).
    #[arg(long)]
    pub at: PathBuf,
    /// Let every user of this machine use the mount (FUSE `allow_other`; other users need
    /// `user_allow_other` in /etc/fuse.conf). Off by default: only you (and root).
    #[arg(long)]
    pub allow_other: bool,
    /// Unmount and exit 1 once the backend has been unreachable this many seconds.
    #[arg(long, default_value_t = 30.0)]
    pub lost_after_s: f64,
    /// FUSE request threads (concurrent readers).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub threads: u16,
}

fn fail(code: u8, message: impl std::fmt::Display) -> ExitCode {
    eprintln!("coh mount: {message}");
    ExitCode::from(code)
}

/// Starts a thread that turns SIGINT/SIGTERM into a stop of the mount; returns once the
/// handlers are installed (so a signal during the mount is not lost) and the sender that
/// hands it the mount's [`Stopper`].
#[cfg(feature = "mount")]
fn signals() -> Result<mpsc::Sender<Stopper>, String> {
    let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
    let (stop_tx, stop_rx) = mpsc::channel::<Stopper>();
    std::thread::Builder::new()
        .name("coh-mount-signals".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                    return;
                }
            };
            let which = rt.block_on(async {
                use tokio::signal::unix::{signal, SignalKind};
                let (mut int, mut term) = match (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                ) {
                    (Ok(i), Ok(t)) => (i, t),
                    (Err(e), _) | (_, Err(e)) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                        return None;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                tokio::select! {
                    _ = int.recv() => Some("SIGINT"),
                    _ = term.recv() => Some("SIGTERM"),
                }
            });
            if let (Some(which), Ok(stopper)) = (which, stop_rx.recv()) {
                stopper.stop(which);
            }
        })
        .map_err(|e| e.to_string())?;
    ready_rx
        .recv()
        .map_err(|_| "the signal thread stopped".to_owned())??;
    Ok(stop_tx)
}

/// Runs `coh mount` (this build has no FUSE support: the `mount` feature is off).
#[cfg(not(feature = "mount"))]
#[must_use]
pub fn run(_transport: &Transport, _args: &Args) -> ExitCode {
    fail(
        2,
        "this coh was built without FUSE support (build cohesix-cli with its default \
         features, or `--features mount`)",
    )
}

/// Runs `coh mount`.
#[cfg(feature = "mount")]
#[must_use]
pub fn run(transport: &Transport, args: &Args) -> ExitCode {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("COH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,fuser=warn")),
        )
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
    let Some(lost_after) = Duration::try_from_secs_f64(args.lost_after_s)
        .ok()
        .filter(|d| !d.is_zero())
    else {
        return fail(2, "--lost-after-s must be a positive number");
    };
    let spec = match transport.spec() {
        Ok(s) => s,
        Err(e) => return fail(2, e),
    };
    if let Err(e) = cohesix_mount::probe() {
        return fail(1, e);
    }
    let backend = match Backend::open(&spec) {
        Ok(b) => b,
        Err(e) => return fail(1, format_args!("cannot open the backend: {e}")),
    };
    let label = cohesix_mount::Namespace::label(&backend);
    if let Err(e) = backend.list("/") {
        return fail(1, format_args!("the {label} backend does not answer: {e}"));
    }
    let stop = match signals() {
        Ok(s) => s,
        Err(e) => return fail(1, format_args!("cannot install signal handlers: {e}")),
    };
    let mut options = MountOptions::new(&args.at)
        .allow_other(args.allow_other)
        .lost_after(lost_after);
    options.threads = usize::from(args.threads);
    let mounted = match mount(backend, options) {
        Ok(m) => m,
        Err(e) => return fail(1, e),
    };
    let at = args.at.display().to_string();
    eprintln!(
        "coh mount: {label} mounted at {at} (fs coh{}{}); SIGINT or SIGTERM unmounts",
        if mounted.auto_unmount() {
            ", auto-unmount"
        } else {
            ""
        },
        if args.allow_other {
            ", allow-other"
        } else {
            ""
        }
    );
    let _ = stop.send(mounted.stopper());
    match mounted.wait() {
        Ok(Ended::Stopped(why)) => {
            eprintln!("coh mount: {why}: unmounted {at}");
            ExitCode::SUCCESS
        }
        Ok(Ended::BackendLost(why)) => fail(
            1,
            format_args!("the {label} backend is lost for good ({why}); unmounted {at}"),
        ),
        Ok(_) => {
            eprintln!("coh mount: {at} was unmounted");
            ExitCode::SUCCESS
        }
        Err(e) => fail(1, e),
    }
}
