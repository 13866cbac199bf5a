//! Bounded subprocess execution: program lookup on a configurable `PATH`, a wall-clock timeout
//! and a cap on captured output.
//!
//! The `PATH` used to find a program (and handed to the child) comes from [`ExecConfig::path`],
//! never from mutating the process environment, so concurrent callers (and tests) can point
//! probes at different fake tool directories without racing.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// Default timeout of every subprocess and API call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default cap on the bytes captured from each of a child's stdout and stderr.
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 8 * 1024 * 1024;
/// Error texts taken from a failed command are cut to this many characters.
pub const MAX_ERROR_CHARS: usize = 512;

/// How subprocesses are run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecConfig {
    /// Search path for programs, also passed to children as `PATH`; `None` uses this process's
    /// `PATH`.
    pub path: Option<OsString>,
    /// Wall-clock limit for one command (spawn to exit, output included).
    pub timeout: Duration,
    /// Cap on captured bytes per stream; a child that writes more is killed.
    pub max_output_bytes: usize,
}

impl Default for ExecConfig {
    fn default() -> Self {
        Self {
            path: None,
            timeout: DEFAULT_TIMEOUT,
            max_output_bytes: DEFAULT_MAX_OUTPUT_BYTES,
        }
    }
}

/// Why a command produced no [`CommandOutput`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExecError {
    /// The program is not on the search path (environment: install the tool).
    NotFound {
        /// Program name as requested.
        program: String,
    },
    /// The command did not finish within the timeout and was killed (peer/resource).
    TimedOut {
        /// The argv joined by spaces.
        argv: String,
    },
    /// The command wrote more than the output cap and was killed (peer/resource).
    OutputTooLarge {
        /// The argv joined by spaces.
        argv: String,
        /// The cap in bytes.
        limit: usize,
    },
    /// The program exists but could not be started or waited for (environment).
    Spawn {
        /// The argv joined by spaces.
        argv: String,
        /// OS error text.
        reason: String,
    },
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound { program } => write!(f, "command not found: {program}"),
            Self::TimedOut { argv } => write!(f, "command timed out: {argv}"),
            Self::OutputTooLarge { argv, limit } => {
                write!(f, "command output exceeded {limit} bytes: {argv}")
            }
            Self::Spawn { argv, reason } => write!(f, "command failed to run: {argv}: {reason}"),
        }
    }
}

impl std::error::Error for ExecError {}

/// What a finished command produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Captured stdout (lossy UTF-8).
    pub stdout: String,
    /// Captured stderr (lossy UTF-8).
    pub stderr: String,
}

impl CommandOutput {
    /// Whether the command exited with status 0.
    #[must_use]
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Error text of a failed command: stderr (else stdout, else the exit status), trimmed,
    /// first [`MAX_ERROR_CHARS`] characters.
    #[must_use]
    pub fn error_text(&self) -> String {
        let stderr = self.stderr.trim();
        let text = if stderr.is_empty() {
            self.stdout.trim()
        } else {
            stderr
        };
        if text.is_empty() {
            return match self.code {
                Some(code) => format!("exit status {code}"),
                None => "terminated by a signal".to_owned(),
            };
        }
        text.chars().take(MAX_ERROR_CHARS).collect()
    }
}

impl ExecConfig {
    /// The search path in effect: [`ExecConfig::path`], else this process's `PATH`.
    #[must_use]
    pub fn effective_search_path(&self) -> Option<OsString> {
        self.path.clone().or_else(|| std::env::var_os("PATH"))
    }

    /// Resolves `program` to an executable file: names containing `/` are taken as paths,
    /// others are searched in the configured `PATH`.
    #[must_use]
    pub fn find_program(&self, program: &str) -> Option<PathBuf> {
        if program.contains('/') {
            let path = PathBuf::from(program);
            return is_executable(&path).then_some(path);
        }
        let search = self.effective_search_path()?;
        std::env::split_paths(&search)
            .filter(|dir| !dir.as_os_str().is_empty())
            .map(|dir| dir.join(program))
            .find(|candidate| is_executable(candidate))
    }

    /// Whether `path` is a regular file with an execute bit set.
    pub(crate) fn is_executable(path: &Path) -> bool {
        is_executable(path)
    }

    /// Runs `program args…` with stdin closed, the configured `PATH`, timeout and output cap.
    ///
    /// A non-zero exit is not an error here: inspect [`CommandOutput::code`].
    ///
    /// Cancel safety: dropping the future kills the child (`kill_on_drop`).
    pub async fn run(&self, program: &str, args: &[&str]) -> Result<CommandOutput, ExecError> {
        let argv = std::iter::once(program)
            .chain(args.iter().copied())
            .collect::<Vec<_>>()
            .join(" ");
        let Some(resolved) = self.find_program(program) else {
            return Err(ExecError::NotFound {
                program: program.to_owned(),
            });
        };
        let mut command = Command::new(&resolved);
        command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(path) = &self.path {
            command.env("PATH", path);
        }
        let limit = self.max_output_bytes;
        let work = async {
            let mut child = spawn_retrying(&mut command).map_err(|e| ExecError::Spawn {
                argv: argv.clone(),
                reason: e.to_string(),
            })?;
            let stdout = child.stdout.take();
            let stderr = child.stderr.take();
            let (out, err) = tokio::join!(read_bounded(stdout, limit), read_bounded(stderr, limit));
            let (Some(out), Some(err)) = (out, err) else {
                return Err(ExecError::OutputTooLarge {
                    argv: argv.clone(),
                    limit,
                });
            };
            let status = child.wait().await.map_err(|e| ExecError::Spawn {
                argv: argv.clone(),
                reason: e.to_string(),
            })?;
            Ok(CommandOutput {
                code: status.code(),
                stdout: String::from_utf8_lossy(&out).into_owned(),
                stderr: String::from_utf8_lossy(&err).into_owned(),
            })
        };
        match tokio::time::timeout(self.timeout, work).await {
            Ok(result) => result,
            Err(_) => Err(ExecError::TimedOut { argv }),
        }
    }
}

/// `ETXTBSY`: the executable is still open for writing somewhere (typically a file written
/// just before, while another thread forked).
const ETXTBSY: i32 = 26;

/// Spawns, retrying a few times on `ETXTBSY`.
fn spawn_retrying(command: &mut Command) -> std::io::Result<tokio::process::Child> {
    let mut attempt = 0u32;
    loop {
        match command.spawn() {
            Err(e) if e.raw_os_error() == Some(ETXTBSY) && attempt < 5 => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(10 * u64::from(attempt)));
            }
            other => return other,
        }
    }
}

/// Reads a stream to its end, at most `limit` bytes; `None` when the stream holds more.
async fn read_bounded<R: AsyncRead + Unpin>(stream: Option<R>, limit: usize) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let Some(stream) = stream else {
        return Some(buf);
    };
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut limited = stream.take(cap);
    // A read error ends the capture; what was read so far is kept.
    let _ = limited.read_to_end(&mut buf).await;
    (buf.len() <= limit).then_some(buf)
}

/// Whether `path` is a regular file with an execute bit set.
fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Builds a search path string from directories (helper for callers and tests).
#[must_use]
pub fn join_search_path<I, P>(dirs: I) -> OsString
where
    I: IntoIterator<Item = P>,
    P: AsRef<OsStr>,
{
    std::env::join_paths(dirs.into_iter().map(|d| PathBuf::from(d.as_ref()))).unwrap_or_default()
}

/// The detail of a probe whose SDK and CLI both failed: `api: <e>; cli: <e>`, or `cli: <e>`
/// when the SDK was not tried.
pub(crate) fn fallback_detail(
    api_error: Option<&str>,
    cli_error: &dyn std::fmt::Display,
) -> String {
    match api_error {
        Some(api) => format!("api: {api}; cli: {cli_error}"),
        None => format!("cli: {cli_error}"),
    }
}
