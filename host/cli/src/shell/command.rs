//! cohsh shell commands: parsing a command line into a [`ShellCommand`].
//!
//! The shell language is richer than the console wire grammar. High-level commands become
//! `ECHO` writes to control files (spec §3.5):
//!
//! | shell | wire |
//! |---|---|
//! | `echo TEXT > PATH` | `ECHO PATH TEXT` |
//! | `spawn heartbeat ticks=N [ttl_s=T] [ops=O]` | `ECHO /queen/ctl {"spawn":"heartbeat",...}` |
//! | `spawn gpu gpu_id= mem_mb= streams= ttl_s= [priority=] [budget_ttl_s=] [budget_ops=]` | `ECHO /queen/ctl {"spawn":"gpu","lease":{...}}` |
//! | `kill ID` | `ECHO /queen/ctl {"kill":"ID"}` |
//! | `bind SRC DST` | `ECHO /queen/ctl {"bind":{"from":SRC,"to":DST}}` |
//! | `mount SVC PATH` | `ECHO /queen/ctl {"mount":{"service":SVC,"at":PATH}}` |
//! | `lifecycle ACTION` | `CAT /proc/lifecycle/state`, then `ECHO /queen/lifecycle/ctl ACTION` |
//! | `log` | `TAIL /log/queen.log` |
//! | `telemetry push FILE --device ID` | ctl write, `CAT .../latest`, record writes |

use core::fmt;
use std::collections::BTreeMap;
use std::path::PathBuf;

use cohesix_generated::paths;

/// The `{{msize_overflow}}` sentinel of upstream scripts (spec §3.6).
pub const MSIZE_OVERFLOW_SENTINEL: &str = "{{msize_overflow}}";
/// Payload length the sentinel expands to (just over one Secure9P msize).
pub const MSIZE_OVERFLOW_LEN: usize = cohesix_generated::secure9p::MSIZE as usize + 64;

/// Lifecycle control actions written to `/queen/lifecycle/ctl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifecycleAction {
    /// ONLINE/DEGRADED → DRAINING.
    Cordon,
    /// DRAINING → QUIESCED.
    Drain,
    /// Back to ONLINE from any other state.
    Resume,
    /// ONLINE/DEGRADED/DRAINING → QUIESCED.
    Quiesce,
    /// Any state but BOOTING → BOOTING.
    Reset,
}

impl LifecycleAction {
    /// The word written to the control file.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Cordon => "cordon",
            Self::Drain => "drain",
            Self::Resume => "resume",
            Self::Quiesce => "quiesce",
            Self::Reset => "reset",
        }
    }

    fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "cordon" => Self::Cordon,
            "drain" => Self::Drain,
            "resume" => Self::Resume,
            "quiesce" => Self::Quiesce,
            "reset" => Self::Reset,
            _ => return None,
        })
    }

    /// Whether the action is a valid transition from `state` (an upper-case lifecycle
    /// state such as `ONLINE`). The shell refuses invalid transitions locally.
    #[must_use]
    pub fn allowed_from(self, state: &str) -> bool {
        match self {
            Self::Cordon => matches!(state, "ONLINE" | "DEGRADED"),
            Self::Drain => state == "DRAINING",
            Self::Resume => state != "ONLINE",
            Self::Quiesce => matches!(state, "ONLINE" | "DEGRADED" | "DRAINING"),
            Self::Reset => state != "BOOTING",
        }
    }
}

/// The text of an `echo` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EchoText {
    /// Ordinary single-line text (quotes removed).
    Text(String),
    /// The `{{msize_overflow}}` sentinel: an oversize payload meant to draw `ERR FRAME`.
    MsizeOverflow,
}

/// Wire verbs the shell sends as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlainVerb {
    /// `ping`
    Ping,
    /// `bi`
    Bi,
    /// `caps`
    Caps,
    /// `mem`
    Mem,
    /// `netstats`
    NetStats,
    /// `nettest`
    NetTest,
    /// `test`
    Test,
}

/// A parsed shell command.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShellCommand {
    /// `attach ROLE [TICKET]` (connects first when needed).
    Attach {
        /// Role label.
        role: String,
        /// Optional ticket.
        ticket: Option<String>,
    },
    /// `detach`: `quit` and close; a later `attach` opens a new connection.
    Detach,
    /// `quit`: ends the session and the shell.
    Quit,
    /// `help`: the shell's own help (local).
    Help,
    /// A verb sent as is.
    Plain(PlainVerb),
    /// `cachelog [N]`.
    CacheLog(Option<u16>),
    /// `ls PATH`.
    Ls(String),
    /// `cat PATH`.
    Cat(String),
    /// `tail PATH`.
    Tail(String),
    /// `log` (sent as `TAIL /log/queen.log`).
    Log,
    /// `echo TEXT > PATH`.
    Echo {
        /// The text.
        text: EchoText,
        /// Target path.
        path: String,
    },
    /// A JSON control write to `/queen/ctl` (`spawn`, `kill`, `bind`, `mount`).
    QueenCtl(String),
    /// `lifecycle ACTION`.
    Lifecycle(LifecycleAction),
    /// `telemetry push FILE --device ID`.
    TelemetryPush {
        /// Source file (relative paths resolve against the script's base directory).
        file: PathBuf,
        /// Device id.
        device: String,
    },
}

/// Why a shell command line was refused locally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn usage(msg: impl Into<String>) -> UsageError {
    UsageError(msg.into())
}

/// The shell's help text.
pub const HELP: &str = "\
Commands:
  attach ROLE [TICKET]     connect (AUTH) and attach as ROLE
  detach                   quit the session and close the connection
  ls|cat|tail PATH         read a directory, file, or stream snapshot
  log                      tail /log/queen.log
  echo TEXT > PATH         append one line to PATH
  spawn heartbeat ticks=N [ttl_s=T] [ops=O]
  spawn gpu gpu_id=ID mem_mb=M streams=S ttl_s=T [priority=P] [budget_ttl_s=T] [budget_ops=O]
  kill ID | bind SRC DST | mount SERVICE PATH
  lifecycle cordon|drain|resume|quiesce|reset
  telemetry push FILE --device ID
  ping | bi | caps | mem | netstats | nettest | cachelog [N] | test
  help | quit";

impl ShellCommand {
    /// Parses one shell command line (already trimmed of comments).
    ///
    /// # Errors
    /// [`UsageError`] for an unknown command or bad arguments; nothing is sent.
    pub fn parse(line: &str) -> Result<Self, UsageError> {
        let line = line.trim();
        let (verb, rest) = match line.split_once(char::is_whitespace) {
            Some((verb, rest)) => (verb, rest.trim()),
            None => (line, ""),
        };
        let args: Vec<&str> = rest.split_whitespace().collect();
        let one_path = |name: &str| -> Result<String, UsageError> {
            match args.as_slice() {
                [path] => Ok((*path).to_owned()),
                _ => Err(usage(format!("{name} takes exactly one argument: path"))),
            }
        };
        let no_args = |cmd: Self| -> Result<Self, UsageError> {
            if args.is_empty() {
                Ok(cmd)
            } else {
                Err(usage(format!("{verb} takes no arguments")))
            }
        };
        match verb.to_ascii_lowercase().as_str() {
            "attach" | "login" => match args.as_slice() {
                [role] => Ok(Self::Attach {
                    role: (*role).to_owned(),
                    ticket: None,
                }),
                [role, ticket] => Ok(Self::Attach {
                    role: (*role).to_owned(),
                    ticket: Some((*ticket).to_owned()),
                }),
                _ => Err(usage("attach takes a role and an optional ticket")),
            },
            "detach" => no_args(Self::Detach),
            "quit" | "exit" => Ok(Self::Quit),
            "help" => Ok(Self::Help),
            "ping" => no_args(Self::Plain(PlainVerb::Ping)),
            "bi" => no_args(Self::Plain(PlainVerb::Bi)),
            "caps" => no_args(Self::Plain(PlainVerb::Caps)),
            "mem" => no_args(Self::Plain(PlainVerb::Mem)),
            "netstats" => no_args(Self::Plain(PlainVerb::NetStats)),
            "nettest" => no_args(Self::Plain(PlainVerb::NetTest)),
            "test" => no_args(Self::Plain(PlainVerb::Test)),
            "cachelog" => match args.as_slice() {
                [] => Ok(Self::CacheLog(None)),
                [n] => n
                    .parse()
                    .map(|n| Self::CacheLog(Some(n)))
                    .map_err(|_| usage("cachelog count must be 0..=65535")),
                _ => Err(usage("cachelog takes at most one argument")),
            },
            "ls" => one_path("ls").map(Self::Ls),
            "cat" => one_path("cat").map(Self::Cat),
            "tail" => one_path("tail").map(Self::Tail),
            "log" => no_args(Self::Log),
            "echo" => parse_echo(rest),
            "spawn" => build_spawn(&args).map(Self::QueenCtl),
            "kill" => match args.as_slice() {
                [id] => Ok(Self::QueenCtl(format!(
                    "{{\"kill\":\"{}\"}}",
                    json_str(id, "worker id")?
                ))),
                _ => Err(usage("kill takes exactly one argument: worker id")),
            },
            "bind" => match args.as_slice() {
                [from, to] => Ok(Self::QueenCtl(format!(
                    "{{\"bind\":{{\"from\":\"{}\",\"to\":\"{}\"}}}}",
                    json_str(from, "bind source")?,
                    json_str(to, "bind target")?
                ))),
                _ => Err(usage("bind takes exactly two arguments: src dst")),
            },
            "mount" => match args.as_slice() {
                [service, at] => Ok(Self::QueenCtl(format!(
                    "{{\"mount\":{{\"service\":\"{}\",\"at\":\"{}\"}}}}",
                    json_str(service, "service name")?,
                    json_str(at, "mount path")?
                ))),
                _ => Err(usage("mount takes exactly two arguments: service path")),
            },
            "lifecycle" => match args.as_slice() {
                [word] => LifecycleAction::parse(word)
                    .map(Self::Lifecycle)
                    .ok_or_else(|| usage("lifecycle needs cordon|drain|resume|quiesce|reset")),
                _ => Err(usage("lifecycle needs cordon|drain|resume|quiesce|reset")),
            },
            "telemetry" => match args.as_slice() {
                ["push", file, "--device", device] | ["push", "--device", device, file] => {
                    Ok(Self::TelemetryPush {
                        file: PathBuf::from(file),
                        device: (*device).to_owned(),
                    })
                }
                _ => Err(usage("usage: telemetry push FILE --device ID")),
            },
            _ => Err(usage(format!("unknown command '{verb}' (try help)"))),
        }
    }

    /// The wire path a control write goes to, for commands that become an `ECHO`.
    #[must_use]
    pub fn echo_target(&self) -> Option<&str> {
        match self {
            Self::QueenCtl(_) => Some(paths::QUEEN_CTL),
            Self::Lifecycle(_) => Some(paths::QUEEN_LIFECYCLE_CTL),
            Self::Echo { path, .. } => Some(path),
            _ => None,
        }
    }
}

fn parse_echo(rest: &str) -> Result<ShellCommand, UsageError> {
    let Some((raw_text, path)) = rest.split_once('>') else {
        return Err(usage("echo requires syntax: echo <text> > <path>"));
    };
    let path = path.trim();
    if path.is_empty() || path.contains(char::is_whitespace) {
        return Err(usage("echo requires one target path after '>'"));
    }
    let text = if raw_text.contains(MSIZE_OVERFLOW_SENTINEL) {
        EchoText::MsizeOverflow
    } else {
        EchoText::Text(unquote(raw_text.trim()).to_owned())
    };
    if let EchoText::Text(t) = &text {
        if t.contains(['\n', '\r', '\0']) {
            return Err(usage("echo text must be a single line"));
        }
    }
    Ok(ShellCommand::Echo {
        text,
        path: path.to_owned(),
    })
}

/// Removes one pair of surrounding `"…"` or `'…'` quotes.
fn unquote(text: &str) -> &str {
    for q in ['"', '\''] {
        if text.len() >= 2 && text.starts_with(q) && text.ends_with(q) {
            return text.get(1..text.len() - 1).unwrap_or(text);
        }
    }
    text
}

/// Accepts a value for embedding in a JSON string only if it needs no escaping.
fn json_str<'a>(value: &'a str, what: &str) -> Result<&'a str, UsageError> {
    if value
        .chars()
        .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
    {
        Ok(value)
    } else {
        Err(usage(format!(
            "{what} must be printable ASCII without quotes"
        )))
    }
}

fn kv_args(args: &[&str]) -> Result<BTreeMap<String, String>, UsageError> {
    let mut map = BTreeMap::new();
    for arg in args {
        let Some((k, v)) = arg.split_once('=') else {
            return Err(usage(format!("invalid option '{arg}': expected key=value")));
        };
        if k.is_empty() || v.is_empty() {
            return Err(usage(format!("invalid option '{arg}': expected key=value")));
        }
        if map.insert(k.to_ascii_lowercase(), v.to_owned()).is_some() {
            return Err(usage(format!("duplicate option '{arg}'")));
        }
    }
    Ok(map)
}

fn take_num(
    map: &mut BTreeMap<String, String>,
    key: &str,
    required: bool,
) -> Result<Option<u64>, UsageError> {
    match map.remove(key) {
        Some(v) => v
            .parse::<u64>()
            .map(Some)
            .map_err(|_| usage(format!("option '{key}' must be a non-negative integer"))),
        None if required => Err(usage(format!("missing required option '{key}'"))),
        None => Ok(None),
    }
}

fn budget(ttl: Option<u64>, ops: Option<u64>) -> String {
    let items: Vec<String> = [("ttl_s", ttl), ("ops", ops)]
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("\"{k}\":{v}")))
        .collect();
    if items.is_empty() {
        String::new()
    } else {
        format!(",\"budget\":{{{}}}", items.join(","))
    }
}

fn build_spawn(args: &[&str]) -> Result<String, UsageError> {
    let Some((kind, opts)) = args.split_first() else {
        return Err(usage("spawn needs a kind: heartbeat or gpu"));
    };
    let mut map = kv_args(opts)?;
    let payload = match kind.to_ascii_lowercase().as_str() {
        "heartbeat" | "worker" | "worker-heartbeat" => {
            let ticks = take_num(&mut map, "ticks", true)?.unwrap_or(0);
            let ttl = take_num(&mut map, "ttl_s", false)?;
            let ops = take_num(&mut map, "ops", false)?;
            format!(
                "{{\"spawn\":\"heartbeat\",\"ticks\":{ticks}{}}}",
                budget(ttl, ops)
            )
        }
        "gpu" | "worker-gpu" => {
            let gpu_id = map
                .remove("gpu_id")
                .ok_or_else(|| usage("missing required option 'gpu_id'"))?;
            let gpu_id = json_str(&gpu_id, "gpu_id")?.to_owned();
            let mem = take_num(&mut map, "mem_mb", true)?.unwrap_or(0);
            let streams = take_num(&mut map, "streams", true)?.unwrap_or(0);
            let ttl = take_num(&mut map, "ttl_s", true)?.unwrap_or(0);
            let prio = take_num(&mut map, "priority", false)?
                .map(|p| format!(",\"priority\":{p}"))
                .unwrap_or_default();
            let b_ttl = take_num(&mut map, "budget_ttl_s", false)?;
            let b_ops = take_num(&mut map, "budget_ops", false)?;
            format!(
                "{{\"spawn\":\"gpu\",\"lease\":{{\"gpu_id\":\"{gpu_id}\",\"mem_mb\":{mem},\"streams\":{streams},\"ttl_s\":{ttl}{prio}}}{}}}",
                budget(b_ttl, b_ops)
            )
        }
        other => return Err(usage(format!("unknown spawn kind '{other}'"))),
    };
    if let Some(extra) = map.keys().next() {
        return Err(usage(format!("unknown spawn option '{extra}'")));
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> ShellCommand {
        ShellCommand::parse(line).unwrap()
    }

    #[test]
    fn echo_form_and_quotes() {
        assert_eq!(
            p("echo batch-1 > /log/queen.log"),
            ShellCommand::Echo {
                text: EchoText::Text("batch-1".into()),
                path: "/log/queen.log".into()
            }
        );
        assert_eq!(
            p(r#"echo '{"new":"segment","mime":"text/plain"}' > /queen/telemetry/dev-1/ctl"#),
            ShellCommand::Echo {
                text: EchoText::Text(r#"{"new":"segment","mime":"text/plain"}"#.into()),
                path: "/queen/telemetry/dev-1/ctl".into()
            }
        );
        assert_eq!(
            p("echo {{msize_overflow}} > /log/queen.log"),
            ShellCommand::Echo {
                text: EchoText::MsizeOverflow,
                path: "/log/queen.log".into()
            }
        );
        assert!(ShellCommand::parse("echo hello").is_err());
        assert!(ShellCommand::parse("echo hi > ").is_err());
    }

    #[test]
    fn queen_ctl_payloads_match_upstream_shapes() {
        assert_eq!(
            p("spawn heartbeat ticks=10 ttl_s=60"),
            ShellCommand::QueenCtl(
                r#"{"spawn":"heartbeat","ticks":10,"budget":{"ttl_s":60}}"#.into()
            )
        );
        assert_eq!(
            p("spawn heartbeat ticks=3"),
            ShellCommand::QueenCtl(r#"{"spawn":"heartbeat","ticks":3}"#.into())
        );
        assert_eq!(
            p("spawn heartbeat ticks=1 ttl_s=30 ops=5"),
            ShellCommand::QueenCtl(
                r#"{"spawn":"heartbeat","ticks":1,"budget":{"ttl_s":30,"ops":5}}"#.into()
            )
        );
        assert_eq!(
            p("spawn gpu gpu_id=GPU-0 mem_mb=4096 streams=2 ttl_s=120 priority=1"),
            ShellCommand::QueenCtl(
                r#"{"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":4096,"streams":2,"ttl_s":120,"priority":1}}"#
                    .into()
            )
        );
        assert_eq!(
            p("kill worker-2"),
            ShellCommand::QueenCtl(r#"{"kill":"worker-2"}"#.into())
        );
        assert_eq!(
            p("bind /queen /host/queen"),
            ShellCommand::QueenCtl(r#"{"bind":{"from":"/queen","to":"/host/queen"}}"#.into())
        );
        assert_eq!(
            p("mount logs /logs"),
            ShellCommand::QueenCtl(r#"{"mount":{"service":"logs","at":"/logs"}}"#.into())
        );
        assert_eq!(p("kill w").echo_target(), Some("/queen/ctl"));
        assert!(ShellCommand::parse("spawn heartbeat").is_err());
        assert!(ShellCommand::parse("spawn heartbeat ticks=1 bogus=2").is_err());
        assert!(ShellCommand::parse("spawn heartbeat ticks=x").is_err());
        assert!(ShellCommand::parse("kill a\"b").is_err());
    }

    #[test]
    fn lifecycle_transitions() {
        use LifecycleAction::*;
        assert_eq!(p("lifecycle drain"), ShellCommand::Lifecycle(Drain));
        assert!(!Drain.allowed_from("ONLINE"));
        assert!(Drain.allowed_from("DRAINING"));
        assert!(Quiesce.allowed_from("ONLINE"));
        assert!(Resume.allowed_from("QUIESCED"));
        assert!(!Resume.allowed_from("ONLINE"));
        assert!(Cordon.allowed_from("ONLINE"));
        assert!(!Cordon.allowed_from("DRAINING"));
        assert!(Reset.allowed_from("QUIESCED"));
        assert!(!Reset.allowed_from("BOOTING"));
        assert!(ShellCommand::parse("lifecycle explode").is_err());
    }

    #[test]
    fn reads_verbs_and_errors() {
        assert_eq!(p("ls /"), ShellCommand::Ls("/".into()));
        assert_eq!(p("CAT /proc/boot"), ShellCommand::Cat("/proc/boot".into()));
        assert_eq!(p("log"), ShellCommand::Log);
        assert_eq!(p("cachelog 32"), ShellCommand::CacheLog(Some(32)));
        assert_eq!(p("bi"), ShellCommand::Plain(PlainVerb::Bi));
        assert_eq!(
            p("attach worker-heartbeat tkt"),
            ShellCommand::Attach {
                role: "worker-heartbeat".into(),
                ticket: Some("tkt".into())
            }
        );
        assert_eq!(
            p("telemetry push f.txt --device d1"),
            ShellCommand::TelemetryPush {
                file: "f.txt".into(),
                device: "d1".into()
            }
        );
        assert!(ShellCommand::parse("ls").is_err());
        assert!(ShellCommand::parse("ls /a /b").is_err());
        assert!(ShellCommand::parse("frobnicate").is_err());
        assert!(ShellCommand::parse("cachelog 70000").is_err());
        assert!(ShellCommand::parse("pool bench ops=1").is_err());
    }
}
