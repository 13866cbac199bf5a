//! Executes shell commands and `.coh` scripts against a [`Backend`].
//!
//! ```text
//!  line ──► ShellCommand::parse ──► execute ──► Op(s) ──► Backend ──► Reply
//!                                      │                              │
//!                                      └── prints ack + lines ◄───────┘
//!                                          records the ACK transcript
//! ```
//!
//! Every command yields an [`Outcome`]: the first ACK line (what `EXPECT` checks) and the
//! lines printed. Replies are printed as received: the ack line, then the data lines.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use cohesix_core::lifecycle::LifecycleState;
use cohesix_core::reply::END;
use cohesix_core::request::Verb;
use cohesix_generated::paths;
use cohesix_tokio::{Ack, AckStatus, ClientError, Reply};

use super::backend::{Backend, Op};
use super::command::{EchoText, LifecycleAction, ShellCommand, HELP, MSIZE_OVERFLOW_LEN};
use super::script::{Script, Statement};
use super::telemetry;

/// Whether the shell goes on after a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Read the next command.
    Continue,
    /// `quit` was run: stop.
    Quit,
}

/// The result of one shell command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The command's first ACK line (for streams, the opening ack); what `EXPECT` checks.
    pub ack: Option<String>,
    /// The data lines printed after the ack (`EXPECT SUBSTR`/`NOT` look at them too).
    pub body: Vec<String>,
    /// Whether the shell goes on.
    pub flow: Flow,
}

/// Why a command or script stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum ShellError {
    /// The command line is not valid shell syntax (nothing was sent).
    Usage(String),
    /// The connection failed (transport, auth, outcome unknown).
    Client(ClientError),
    /// Writing output failed.
    Output(std::io::Error),
    /// A script statement failed its `EXPECT`.
    Expectation {
        /// 1-based script line.
        line: usize,
        /// The expectation, as written.
        expected: String,
        /// The ack line it was checked against.
        actual: Option<String>,
    },
    /// An `EXPECT` came before any command.
    ExpectWithoutCommand {
        /// 1-based script line.
        line: usize,
    },
}

impl std::fmt::Display for ShellError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Usage(m) => write!(f, "{m}"),
            Self::Client(e) => write!(f, "{e}"),
            Self::Output(e) => write!(f, "output: {e}"),
            Self::Expectation {
                line,
                expected,
                actual,
            } => write!(
                f,
                "line {line}: {expected} failed; ack was {}",
                actual.as_deref().unwrap_or("<none>")
            ),
            Self::ExpectWithoutCommand { line } => {
                write!(f, "line {line}: EXPECT before any command")
            }
        }
    }
}

impl std::error::Error for ShellError {}

impl From<ClientError> for ShellError {
    fn from(e: ClientError) -> Self {
        Self::Client(e)
    }
}

impl From<std::io::Error> for ShellError {
    fn from(e: std::io::Error) -> Self {
        Self::Output(e)
    }
}

/// Summary of a script run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScriptReport {
    /// Commands executed.
    pub commands: usize,
    /// `EXPECT` statements that passed.
    pub expectations: usize,
}

/// A cohsh shell bound to a backend and an output sink.
pub struct Shell<B, W> {
    backend: B,
    out: W,
    base_dir: PathBuf,
    transcript: Vec<String>,
}

impl<B: Backend, W: Write> Shell<B, W> {
    /// A shell writing to `out`; relative file arguments resolve against `base_dir`.
    pub fn new(backend: B, out: W, base_dir: PathBuf) -> Self {
        Self {
            backend,
            out,
            base_dir,
            transcript: Vec::new(),
        }
    }

    /// The normalised ACK transcript so far: ack lines (no AUTH) and `END` after each
    /// successful stream, as in the upstream transcript fixtures.
    #[must_use]
    pub fn transcript(&self) -> &[String] {
        &self.transcript
    }

    /// The backend (e.g. to close it).
    pub fn backend_mut(&mut self) -> &mut B {
        &mut self.backend
    }

    /// Consumes the shell, returning backend and output.
    pub fn into_parts(self) -> (B, W) {
        (self.backend, self.out)
    }

    /// Runs a whole script, checking each `EXPECT` against the previous command's ack.
    /// Statements after `quit` (other than the `EXPECT`s that check it) are ignored.
    ///
    /// Cancel safety: dropping the future stops the script between or inside commands;
    /// the backend stays usable (see [`cohesix_tokio::Client`]).
    ///
    /// # Errors
    /// The first failing expectation, usage error, or connection failure.
    pub async fn run_script(&mut self, script: &Script) -> Result<ScriptReport, ShellError> {
        let mut report = ScriptReport::default();
        let mut last: Option<(Option<String>, Vec<String>)> = None;
        let mut quit = false;
        for located in &script.statements {
            match &located.statement {
                // After `quit` only the EXPECTs checking it still run.
                Statement::Command(_) | Statement::Wait(_) if quit => break,
                Statement::Command(line) => {
                    let outcome = self.execute_line(line).await?;
                    report.commands += 1;
                    last = Some((outcome.ack, outcome.body));
                    quit = outcome.flow == Flow::Quit;
                }
                Statement::Expect(expect) => {
                    let Some((ack, body)) = &last else {
                        return Err(ShellError::ExpectWithoutCommand { line: located.line });
                    };
                    if !expect.check(ack.as_deref(), body) {
                        return Err(ShellError::Expectation {
                            line: located.line,
                            expected: expect.to_string(),
                            actual: ack.clone(),
                        });
                    }
                    report.expectations += 1;
                }
                Statement::Wait(ms) => tokio::time::sleep(Duration::from_millis(*ms)).await,
            }
        }
        Ok(report)
    }

    /// Reads, parses and runs the script file `path`, then prints `script ok: N commands,
    /// M expectations` to stderr. Cancel-safe as [`Shell::run_script`].
    ///
    /// # Errors
    /// A message naming `path`: unreadable, unparsable, or the script's first failure.
    pub async fn run_script_file(&mut self, path: &std::path::Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let script = Script::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let report = self
            .run_script(&script)
            .await
            .map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!(
            "script ok: {} commands, {} expectations",
            report.commands, report.expectations
        );
        Ok(())
    }

    /// Parses and executes one command line. Cancel-safe as [`Shell::run_script`].
    ///
    /// # Errors
    /// [`ShellError::Usage`] for bad syntax; [`ShellError::Client`] when the connection
    /// fails. A peer refusal (`ERR …`) is not an error: it is the outcome's ack.
    pub async fn execute_line(&mut self, line: &str) -> Result<Outcome, ShellError> {
        let command = ShellCommand::parse(line).map_err(|e| ShellError::Usage(e.0))?;
        self.execute(command).await
    }

    /// Executes one parsed command. Cancel-safe as [`Shell::run_script`].
    ///
    /// # Errors
    /// As [`Shell::execute_line`].
    pub async fn execute(&mut self, command: ShellCommand) -> Result<Outcome, ShellError> {
        let op = match command {
            ShellCommand::Attach { role, ticket } => {
                let result = self.backend.attach(&role, ticket.as_deref()).await;
                return self.finish(result, Verb::Attach.ack_label(), false, Flow::Continue);
            }
            ShellCommand::Detach | ShellCommand::Quit => {
                let flow = if matches!(command, ShellCommand::Quit) {
                    Flow::Quit
                } else {
                    Flow::Continue
                };
                // Prints the `OK QUIT` (or `ERR …`) line the queen sent; nothing when the
                // connection ended without an answer.
                return match self.backend.quit().await {
                    Ok(Some(reply)) => self.finish(Ok(reply), Verb::Quit.ack_label(), false, flow),
                    Ok(None) => Ok(Outcome {
                        ack: None,
                        body: Vec::new(),
                        flow,
                    }),
                    Err(e) => self.finish(Err(e), Verb::Quit.ack_label(), false, flow),
                };
            }
            ShellCommand::Help => {
                writeln!(self.out, "{HELP}")?;
                return Ok(Outcome {
                    ack: None,
                    body: Vec::new(),
                    flow: Flow::Continue,
                });
            }
            ShellCommand::Plain(v) => Op::Plain(v),
            ShellCommand::CacheLog(n) => Op::CacheLog(n),
            ShellCommand::Ls(p) => Op::Ls(p),
            ShellCommand::Cat(p) => Op::Cat(p),
            ShellCommand::Tail(p) => Op::Tail(p),
            ShellCommand::Log => Op::Tail(paths::LOG.to_owned()),
            ShellCommand::Echo { text, path } => match text {
                EchoText::Text(payload) => Op::Echo { path, payload },
                EchoText::MsizeOverflow => Op::EchoOversize {
                    path,
                    len: MSIZE_OVERFLOW_LEN,
                },
            },
            ShellCommand::QueenCtl(json) => Op::Echo {
                path: paths::QUEEN_CTL.to_owned(),
                payload: json,
            },
            ShellCommand::Lifecycle(action) => return self.lifecycle(action).await,
            ShellCommand::TelemetryPush { file, device } => {
                return self.telemetry_push(file, &device).await
            }
        };
        let stream = op.is_stream();
        let result = self.backend.request(&op).await;
        self.finish(result, op.label(), stream, Flow::Continue)
    }

    /// Prints a reply (or refusal), records it in the transcript and builds the outcome.
    ///
    /// A request the client refused locally (argument out of bounds, unusable ticket:
    /// nothing was sent) is shown as `ERR <LABEL> reason=client detail=<why>` so scripts
    /// can `EXPECT ERR` it; `label` names the verb for that line.
    fn finish(
        &mut self,
        result: Result<Reply, ClientError>,
        label: &str,
        stream: bool,
        flow: Flow,
    ) -> Result<Outcome, ShellError> {
        match result {
            Ok(reply) => {
                let ack = reply.ack.to_string();
                writeln!(self.out, "{ack}")?;
                let body = reply.body();
                for line in &body {
                    writeln!(self.out, "{line}")?;
                }
                self.transcript.push(ack.clone());
                if stream {
                    self.transcript.push(END.to_owned());
                }
                Ok(Outcome {
                    ack: Some(ack),
                    body,
                    flow,
                })
            }
            Err(ClientError::Refused(ack)) => {
                let ack = ack.to_string();
                writeln!(self.out, "{ack}")?;
                self.transcript.push(ack.clone());
                Ok(Outcome {
                    ack: Some(ack),
                    body: Vec::new(),
                    flow,
                })
            }
            Err(ClientError::Core(e)) => {
                let ack = format!("ERR {label} reason=client detail={e}");
                writeln!(self.out, "{ack}")?;
                Ok(Outcome {
                    ack: Some(ack),
                    body: Vec::new(),
                    flow,
                })
            }
            Err(e) => Err(ShellError::Client(e)),
        }
    }

    /// Prints and records an ack the shell synthesises itself (`LIFECYCLE`, `TELEMETRY`).
    fn local_ack(&mut self, ack: Ack) -> Result<Outcome, ShellError> {
        let line = ack.to_string();
        writeln!(self.out, "{line}")?;
        self.transcript.push(line.clone());
        Ok(Outcome {
            ack: Some(line),
            body: Vec::new(),
            flow: Flow::Continue,
        })
    }

    /// `lifecycle WORD`: reads `/proc/lifecycle/state`, refuses locally what the core's
    /// transition table does not allow from it (`ERR LIFECYCLE … reason=invalid-transition`,
    /// nothing written), else writes the word.
    async fn lifecycle(&mut self, action: LifecycleAction) -> Result<Outcome, ShellError> {
        let state_path = "/proc/lifecycle/state".to_owned();
        let read = Op::Cat(state_path);
        let reply = match self.backend.request(&read).await {
            Ok(reply) => reply,
            Err(e @ (ClientError::Refused(_) | ClientError::Core(_))) => {
                return self.finish(Err(e), read.label(), false, Flow::Continue)
            }
            Err(e) => return Err(e.into()),
        };
        let state = reply
            .body()
            .iter()
            .find_map(|l| l.trim().strip_prefix("state=").map(str::to_owned))
            .unwrap_or_default();
        // The core's table; a state this shell does not know is left to the queen to judge.
        let refused =
            LifecycleState::from_label(&state).is_some_and(|from| !action.allowed_from(from));
        if refused {
            let detail = format!(
                "action={} state={state} reason=invalid-transition",
                action.as_str()
            );
            return self.local_ack(Ack::compose(AckStatus::Err, "LIFECYCLE", Some(&detail)));
        }
        let op = Op::Echo {
            path: paths::QUEEN_LIFECYCLE_CTL.to_owned(),
            payload: action.as_str().to_owned(),
        };
        let result = self.backend.request(&op).await;
        self.finish(result, op.label(), op.is_stream(), Flow::Continue)
    }

    async fn telemetry_push(&mut self, file: PathBuf, device: &str) -> Result<Outcome, ShellError> {
        let fail = |this: &mut Self, reason: String| {
            this.local_ack(Ack::compose(
                AckStatus::Err,
                "TELEMETRY",
                Some(&format!("action=push device={device} reason={reason}")),
            ))
        };
        if device.is_empty() || device.contains('/') {
            return fail(self, "invalid device id".into());
        }
        let path = if file.is_absolute() {
            file
        } else {
            self.base_dir.join(file)
        };
        let mime = match telemetry::mime_for(&path) {
            Ok(m) => m,
            Err(e) => return fail(self, e),
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => return fail(self, format!("cannot read {}: {e}", path.display())),
        };
        let records = match telemetry::build_records(&text, mime) {
            Ok(r) => r,
            Err(e) => return fail(self, e),
        };
        let ctl_payload = match telemetry::ctl_payload(mime) {
            Ok(p) => p,
            Err(e) => return fail(self, e),
        };
        let ctl = Op::Echo {
            path: format!("/queen/telemetry/{device}/ctl"),
            payload: ctl_payload,
        };
        match self.backend.request(&ctl).await {
            Ok(_) => {}
            Err(ClientError::Refused(ack)) => return fail(self, format!("ctl refused: {ack}")),
            Err(e) => return Err(e.into()),
        }
        let latest = Op::Cat(format!("/queen/telemetry/{device}/latest"));
        let seg = match self.backend.request(&latest).await {
            Ok(reply) => reply
                .body()
                .iter()
                .rev()
                .map(|l| l.trim().to_owned())
                .find(|l| !l.is_empty()),
            Err(ClientError::Refused(ack)) => return fail(self, format!("latest refused: {ack}")),
            Err(e) => return Err(e.into()),
        };
        let Some(seg) = seg else {
            return fail(self, "no segment id in latest".into());
        };
        let seg_path = format!("/queen/telemetry/{device}/seg/{seg}");
        let mut bytes = 0;
        for record in &records {
            let op = Op::Echo {
                path: seg_path.clone(),
                payload: record.clone(),
            };
            match self.backend.request(&op).await {
                Ok(_) => bytes += record.len(),
                Err(ClientError::Refused(ack)) => {
                    return fail(self, format!("record refused: {ack}"))
                }
                Err(e) => return Err(e.into()),
            }
        }
        let detail = format!(
            "action=push device={device} seg_id={seg} records={} bytes={bytes}",
            records.len()
        );
        self.local_ack(Ack::compose(AckStatus::Ok, "TELEMETRY", Some(&detail)))
    }
}
