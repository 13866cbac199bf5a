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
//!
//! `/queen/ctl` payloads are the core's [`QueenCtl`] encodings, so the shell refuses what
//! the core refuses (zero integers, non-token ids, invalid paths) with the core's messages,
//! before anything is sent. Lifecycle words and their transition table are the core's
//! ([`cohesix_core::lifecycle`]), the same table the simulator applies.

use core::fmt;
use std::collections::BTreeMap;
use std::path::PathBuf;

use cohesix_core::control::{Budget, GpuLeaseSpec, QueenCtl};
use cohesix_core::request::Verb;
use cohesix_core::verb::ArgShape;
use cohesix_generated::console::MAX_LINE_LEN;
use cohesix_generated::paths;

pub use cohesix_core::lifecycle::LifecycleAction;

/// The `{{msize_overflow}}` sentinel of upstream scripts (spec §3.6).
pub const MSIZE_OVERFLOW_SENTINEL: &str = "{{msize_overflow}}";
/// Payload length the sentinel expands to (just over one Secure9P msize).
pub const MSIZE_OVERFLOW_LEN: usize = cohesix_generated::secure9p::MSIZE as usize + 64;

/// The text of an `echo` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EchoText {
    /// Ordinary single-line text (quotes removed).
    Text(String),
    /// The `{{msize_overflow}}` sentinel: an oversize payload meant to draw `ERR FRAME`.
    MsizeOverflow,
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
    /// A console verb without arguments sent as is (`ping`, `bi`, `caps`, `mem`, `netstats`,
    /// `nettest`, `test`): see [`plain_verb`].
    Plain(Verb),
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
            "spawn" => build_spawn(&args),
            "kill" => match args.as_slice() {
                [id] => queen_ctl(QueenCtl::kill(id)),
                _ => Err(usage("kill takes exactly one argument: worker id")),
            },
            "bind" => match args.as_slice() {
                [from, to] => queen_ctl(QueenCtl::bind(from, to)),
                _ => Err(usage("bind takes exactly two arguments: src dst")),
            },
            "mount" => match args.as_slice() {
                [service, at] => queen_ctl(QueenCtl::mount(service, at)),
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
            word => match plain_verb(word) {
                Some(v) => no_args(Self::Plain(v)),
                None => Err(usage(format!("unknown command '{verb}' (try help)"))),
            },
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

/// The console verb a shell word sends as is: a verb of the core's table that takes no
/// arguments and is not driven by the session (`attach`/`quit` are shell commands). The
/// shell's own `help` and `log` are matched before this.
#[must_use]
pub fn plain_verb(word: &str) -> Option<Verb> {
    Verb::from_token(word).filter(|v| v.args() == ArgShape::None && !v.is_session_verb())
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

/// A `/queen/ctl` write: the core's encoding, or its refusal message.
fn queen_ctl(cmd: QueenCtl<'_>) -> Result<ShellCommand, UsageError> {
    let mut buf = [0u8; MAX_LINE_LEN];
    let n = cmd.encode(&mut buf).map_err(|e| usage(e.to_string()))?;
    let json = buf.get(..n).and_then(|b| std::str::from_utf8(b).ok());
    json.map(|j| ShellCommand::QueenCtl(j.to_owned()))
        .ok_or_else(|| usage("queen ctl payload is not UTF-8"))
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
) -> Result<Option<u32>, UsageError> {
    match map.remove(key) {
        Some(v) => v.parse::<u32>().map(Some).map_err(|_| {
            usage(format!(
                "option '{key}' must be an integer in 0..={}",
                u32::MAX
            ))
        }),
        None if required => Err(usage(format!("missing required option '{key}'"))),
        None => Ok(None),
    }
}

fn need(map: &mut BTreeMap<String, String>, key: &str) -> Result<u32, UsageError> {
    take_num(map, key, true)?.ok_or_else(|| usage(format!("missing required option '{key}'")))
}

/// Refuses the first option nobody took.
fn no_extra(map: &BTreeMap<String, String>) -> Result<(), UsageError> {
    match map.keys().next() {
        Some(extra) => Err(usage(format!("unknown spawn option '{extra}'"))),
        None => Ok(()),
    }
}

fn build_spawn(args: &[&str]) -> Result<ShellCommand, UsageError> {
    let Some((kind, opts)) = args.split_first() else {
        return Err(usage("spawn needs a kind: heartbeat or gpu"));
    };
    let mut map = kv_args(opts)?;
    match kind.to_ascii_lowercase().as_str() {
        "heartbeat" | "worker" | "worker-heartbeat" => {
            let ticks = need(&mut map, "ticks")?;
            let budget = Budget {
                ttl_s: take_num(&mut map, "ttl_s", false)?,
                ops: take_num(&mut map, "ops", false)?,
            };
            no_extra(&map)?;
            queen_ctl(QueenCtl::spawn_heartbeat(ticks).with_budget(budget))
        }
        "gpu" | "worker-gpu" => {
            let gpu_id = map
                .remove("gpu_id")
                .ok_or_else(|| usage("missing required option 'gpu_id'"))?;
            let mut lease = GpuLeaseSpec::new(
                &gpu_id,
                need(&mut map, "mem_mb")?,
                need(&mut map, "streams")?,
                need(&mut map, "ttl_s")?,
            );
            lease.priority = take_num(&mut map, "priority", false)?;
            let budget = Budget {
                ttl_s: take_num(&mut map, "budget_ttl_s", false)?,
                ops: take_num(&mut map, "budget_ops", false)?,
            };
            no_extra(&map)?;
            queen_ctl(QueenCtl::spawn_gpu(lease).with_budget(budget))
        }
        other => Err(usage(format!("unknown spawn kind '{other}'"))),
    }
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
        assert_eq!(
            p("spawn gpu gpu_id=GPU-0 mem_mb=1 streams=1 ttl_s=1 budget_ttl_s=5 budget_ops=9"),
            ShellCommand::QueenCtl(
                r#"{"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":1,"streams":1,"ttl_s":1},"budget":{"ttl_s":5,"ops":9}}"#
                    .into()
            )
        );
    }

    /// The core's `QueenCtl` rules refuse before anything is sent, with the core's messages.
    #[test]
    fn queen_ctl_refusals_use_the_core_messages() {
        let err = |line: &str| ShellCommand::parse(line).unwrap_err().0;
        assert_eq!(err("spawn heartbeat ticks=0"), "ticks must be > 0");
        assert_eq!(
            err("spawn heartbeat ticks=1 ops=0"),
            "budget_ops must be > 0"
        );
        assert_eq!(
            err("spawn gpu gpu_id=GPU-0 mem_mb=0 streams=1 ttl_s=1"),
            "mem_mb must be > 0"
        );
        assert_eq!(
            err("spawn gpu gpu_id=GPU:0 mem_mb=1 streams=1 ttl_s=1"),
            "gpu_id must use ASCII token characters [A-Za-z0-9._-]"
        );
        assert_eq!(
            err("kill a\"b"),
            "worker_id must use ASCII token characters [A-Za-z0-9._-]"
        );
        assert_eq!(
            err(&format!("kill {}", "w".repeat(33))),
            "worker_id exceeds 32 bytes"
        );
        assert_eq!(err("bind queen /host/queen"), "paths must be absolute");
        assert_eq!(
            err("bind /a/../b /c"),
            "path component '..' is not permitted"
        );
        assert_eq!(
            err("mount a/b /logs"),
            "service must use ASCII token characters [A-Za-z0-9._-]"
        );
        assert_eq!(
            err("spawn heartbeat ticks=4294967296"),
            "option 'ticks' must be an integer in 0..=4294967295"
        );
    }

    #[test]
    fn lifecycle_words_are_the_core_actions() {
        use LifecycleAction::*;
        assert_eq!(p("lifecycle drain"), ShellCommand::Lifecycle(Drain));
        assert_eq!(p("lifecycle reset"), ShellCommand::Lifecycle(Reset));
        assert!(ShellCommand::parse("lifecycle explode").is_err());
        assert!(ShellCommand::parse("lifecycle Drain").is_err());
        assert!(ShellCommand::parse("lifecycle").is_err());
    }

    /// Every argument-less console verb of the core's table is a shell word sending it as
    /// is, except the shell's own `help` and `log` and the session's `quit`.
    #[test]
    fn plain_words_are_the_tables_argument_less_verbs() {
        use cohesix_core::request::ALL_VERBS;
        for v in ALL_VERBS {
            let word = v.token().to_ascii_lowercase();
            let parsed = ShellCommand::parse(&word);
            match v {
                Verb::Help => assert_eq!(parsed, Ok(ShellCommand::Help)),
                Verb::Log => assert_eq!(parsed, Ok(ShellCommand::Log)),
                Verb::Quit => assert_eq!(parsed, Ok(ShellCommand::Quit)),
                _ if v.args() == ArgShape::None => {
                    assert_eq!(parsed, Ok(ShellCommand::Plain(v)), "{word}");
                    assert_eq!(
                        ShellCommand::parse(&format!("{word} x")),
                        Err(usage(format!("{word} takes no arguments")))
                    );
                }
                _ => assert!(!matches!(parsed, Ok(ShellCommand::Plain(_))), "{word}"),
            }
        }
    }

    #[test]
    fn reads_verbs_and_errors() {
        assert_eq!(p("ls /"), ShellCommand::Ls("/".into()));
        assert_eq!(p("CAT /proc/boot"), ShellCommand::Cat("/proc/boot".into()));
        assert_eq!(p("log"), ShellCommand::Log);
        assert_eq!(p("cachelog 32"), ShellCommand::CacheLog(Some(32)));
        assert_eq!(p("bi"), ShellCommand::Plain(Verb::Bi));
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
