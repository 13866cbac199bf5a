//! [`Namespace`]: what the filesystem needs from a backend, called from FUSE threads
//! (blocking), and its implementation over the host library's blocking facade.

use cohesix::backend::{AnyBackend, BackendKind};
use cohesix::blocking::Backend;
use cohesix::Error;

/// How `TAIL` behaves on this backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TailCursor {
    /// One console session whose `TAIL` returns only the lines added since the previous
    /// `TAIL` of the same path; the value changes whenever a new session starts (the cursor
    /// restarts then, and the next `TAIL` repeats recent lines).
    Session(u64),
    /// Every `TAIL` returns the newest lines (a directory, a gateway with pooled sessions):
    /// new lines are found by overlap with what was already seen.
    Snapshot,
}

/// The operations the filesystem performs. Every method blocks the calling (FUSE) thread
/// until the backend answers.
pub trait Namespace: Send + Sync + 'static {
    /// Entry names of a directory.
    ///
    /// # Errors
    /// The backend's.
    fn list(&self, path: &str) -> Result<Vec<String>, Error>;

    /// The whole file (lines each ending in `\n`), at most `max` bytes.
    ///
    /// # Errors
    /// The backend's; [`Error::TooLarge`] over `max`.
    fn read(&self, path: &str, max: usize) -> Result<Vec<u8>, Error>;

    /// `TAIL`: newest whole lines within `max` bytes (see [`TailCursor`]).
    ///
    /// # Errors
    /// The backend's.
    fn tail(&self, path: &str, max: usize) -> Result<Vec<u8>, Error>;

    /// Appends one line; returns the bytes written (line + newline).
    ///
    /// # Errors
    /// The backend's; [`Error::OutcomeUnknown`] when the ack was lost.
    fn append(&self, path: &str, line: &str) -> Result<usize, Error>;

    /// The `TAIL` behaviour right now.
    fn tail_cursor(&self) -> TailCursor;

    /// A short description for messages (`tcp`, `mock`, `rest`, `filesystem`).
    fn label(&self) -> String;
}

impl Namespace for Backend {
    fn list(&self, path: &str) -> Result<Vec<String>, Error> {
        Backend::list(self, path)
    }

    fn read(&self, path: &str, max: usize) -> Result<Vec<u8>, Error> {
        Backend::read(self, path, max)
    }

    fn tail(&self, path: &str, max: usize) -> Result<Vec<u8>, Error> {
        Backend::tail(self, path, max)
    }

    fn append(&self, path: &str, line: &str) -> Result<usize, Error> {
        Backend::append(self, path, line)
    }

    fn tail_cursor(&self) -> TailCursor {
        match self.shared().as_deref() {
            Some(AnyBackend::Tcp(b)) => TailCursor::Session(b.console().status().connects),
            Some(AnyBackend::Mock(b)) => TailCursor::Session(b.console().status().connects),
            _ => TailCursor::Snapshot,
        }
    }

    fn label(&self) -> String {
        self.kind().map_or("closed", BackendKind::label).to_owned()
    }
}
