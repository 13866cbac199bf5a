//! The console verbs and their protocol facts: one row per verb in one table ([`VERBS`]).
//!
//! The row is the only place a verb's facts are written down. The request renderer and the
//! server-side parser, the session (reserved verbs, `PING` fences, `END` streams, which
//! interrupted requests are safe to re-send), the adapters, the shell and the simulator all
//! read them from here ([`Verb::info`] and the shorthands on [`Verb`]).
//!
//! | verb | token | ack label | arguments | reply | effect | access |
//! |---|---|---|---|---|---|---|
//! | `Auth` | `AUTH` | `AUTH` | token | ack | session | transport (first frame) |
//! | `Attach` | `ATTACH` | `ATTACH` | role + ticket | ack | session | anyone |
//! | `Ping` | `PING` | `PING` | — | `PONG` + ack | none | anyone |
//! | `Help`, `Caps`, `Mem`, `NetStats` | `HELP` … | = token | — | no `END` | none | anyone |
//! | `Bi` | `BI` | **`BOOTINFO`** | — | no `END` | none | anyone |
//! | `Test` | `TEST` | `TEST` | — | ack | trigger | anyone |
//! | `NetTest` | `NETTEST` | `NETTEST` | — | no `END` | trigger | anyone |
//! | `Log` | `LOG` | `LOG` | — | stream | none | queen |
//! | `CacheLog` | `CACHELOG` | `CACHELOG` | `[n]` | no `END` | none | anyone |
//! | `Quit` | `QUIT` | `QUIT` | — | ack | session | anyone |
//! | `Tail` | `TAIL` | `TAIL` | path | stream | cursor | attached |
//! | `Cat`, `Ls` | `CAT`, `LS` | = token | path | stream | none | attached |
//! | `Echo` | `ECHO` | `ECHO` | path + payload | ack | write | attached |
//! | `Spawn`, `Kill` | `SPAWN`, `KILL` | = token | payload, worker id | ack, maybe a late `ERR` | write | queen |
//!
//! Sources: spec §2.2, §3.2-§3.4 and §4.6; the real-queen notes win where they differ (the
//! `TAIL` cursor, the replies without `END`, the `ERR` that may follow `OK SPAWN`/`OK KILL`).

/// What a verb takes after its token (spec §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ArgShape {
    /// Nothing (`PING`); SRV ignores extra words (except after `TEST`).
    None,
    /// An optional decimal `u16` (`CACHELOG [n]`).
    OptionalCount,
    /// The console token, a secret (`AUTH <token>`).
    Token,
    /// A role and an optional ticket, a secret (`ATTACH <role> [<ticket>]`).
    RoleTicket,
    /// One path (`TAIL|CAT|LS <path>`).
    Path,
    /// A path, then the rest of the line (`ECHO <path> <payload>`).
    PathPayload,
    /// The rest of the line (`SPAWN <payload>`).
    Payload,
    /// One worker id (`KILL <worker-id>`).
    Worker,
}

/// How the queen answers a verb (spec §3.2-§3.4, real-queen notes "Reply grammar").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ReplyShape {
    /// One ack line.
    Ack,
    /// `OK PING reply=pong` and a `PONG` text line, in either order.
    Pong,
    /// An ack and text lines with no end marker: only a following `PING` delimits them.
    Unterminated,
    /// `OK`, data lines, then `END` (a refusal is a single `ERR` line, without `END`).
    Stream,
    /// An `OK` that an `ERR` for the same verb may follow (the queen acks, then forwards):
    /// delimited by a following `PING` like [`Unterminated`](Self::Unterminated).
    AckThenError,
}

/// What a verb does on the queen, which decides whether it may be sent again after its
/// reply was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Effect {
    /// Nothing: a read that is safe to re-send after a drop (idempotent).
    None,
    /// Advances per-session state (`TAIL`'s cursor): a second send reads something else.
    Cursor,
    /// Starts something on the queen (`TEST`, `NETTEST`'s self-test).
    Trigger,
    /// Writes (`ECHO`, and `SPAWN`/`KILL` on `/queen/ctl`): write access for ticket scopes.
    Write,
    /// Drives the connection itself (`AUTH`, `ATTACH`, `QUIT`): sent by the session, never
    /// as a caller's request.
    Session,
}

/// Who may send a verb (spec §3.2 "Allowed", real-queen notes §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Access {
    /// The connection's first frame, before any console session (`AUTH`).
    Transport,
    /// Any authenticated connection, attached or not.
    Anyone,
    /// An attached session of any role; before `ATTACH` the queen answers
    /// `ERR <LABEL> reason=policy detail=unauthenticated`.
    Attached,
    /// A queen session only (same refusal for workers and unattached sessions).
    Queen,
}

/// One row of the verb table: every protocol fact about one verb.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct VerbInfo {
    /// The verb.
    pub verb: Verb,
    /// The Rust name of the verb (and of its request variant), e.g. `NetTest`.
    pub name: &'static str,
    /// The token as sent on the wire (uppercase; the queen matches it case-insensitively).
    pub token: &'static str,
    /// The label of the verb's ack line (`OK|ERR <LABEL>`).
    pub ack_label: &'static str,
    /// What follows the token.
    pub args: ArgShape,
    /// How the queen answers.
    pub reply: ReplyShape,
    /// What it does on the queen.
    pub effect: Effect,
    /// Who may send it.
    pub access: Access,
}

/// Declares [`Verb`], [`ALL_VERBS`] and [`VERBS`] from one list of rows, so that a verb
/// cannot exist without its facts.
macro_rules! verb_table {
    ($(
        $(#[$doc:meta])*
        $name:ident = $token:literal, ack $label:literal,
            $args:ident, $reply:ident, $effect:ident, $access:ident;
    )+) => {
        /// A console verb. Its facts are its row of [`VERBS`] ([`Verb::info`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub enum Verb {
            $( $(#[$doc])* $name, )+
        }

        // One `match` per column: a caller that reads one fact links only that column, not
        // whole rows (what keeps the embedded footprint small).
        impl Verb {
            /// The verb token as sent on the wire (uppercase).
            pub const fn token(self) -> &'static str {
                match self { $( Verb::$name => $token, )+ }
            }

            /// The label of this verb's ACK line (`OK|ERR <LABEL>`); `BI` acks as
            /// `BOOTINFO`.
            pub const fn ack_label(self) -> &'static str {
                match self { $( Verb::$name => $label, )+ }
            }

            /// The Rust name of the verb, e.g. `NetTest` (what `Debug` prints).
            pub const fn name(self) -> &'static str {
                match self { $( Verb::$name => stringify!($name), )+ }
            }

            /// What follows the token.
            pub const fn args(self) -> ArgShape {
                match self { $( Verb::$name => ArgShape::$args, )+ }
            }

            /// How the queen answers.
            pub const fn reply(self) -> ReplyShape {
                match self { $( Verb::$name => ReplyShape::$reply, )+ }
            }

            /// What it does on the queen.
            pub const fn effect(self) -> Effect {
                match self { $( Verb::$name => Effect::$effect, )+ }
            }

            /// Who may send it.
            pub const fn access(self) -> Access {
                match self { $( Verb::$name => Access::$access, )+ }
            }

            /// This verb's row of the table.
            pub const fn info(self) -> &'static VerbInfo {
                match self {
                    $( Verb::$name => {
                        const ROW: VerbInfo = Verb::$name.row();
                        &ROW
                    } )+
                }
            }
        }

        /// Every verb, in table order.
        pub const ALL_VERBS: [Verb; VERB_COUNT] = [$( Verb::$name ),+];

        /// The verb table: one row per verb, in [`ALL_VERBS`] order.
        pub const VERBS: [VerbInfo; VERB_COUNT] = [$( Verb::$name.row() ),+];

        /// How many verbs there are.
        pub const VERB_COUNT: usize = [$( stringify!($name) ),+].len();
    };
}

verb_table! {
    // name    token           ack label    arguments      reply         effect   access
    /// `AUTH <token>`: transport authentication, the connection's first frame.
    Auth     = "AUTH",     ack "AUTH",      Token,         Ack,          Session, Transport;
    /// `ATTACH <role> [<ticket>]`.
    Attach   = "ATTACH",   ack "ATTACH",    RoleTicket,    Ack,          Session, Anyone;
    /// `PING`.
    Ping     = "PING",     ack "PING",      None,          Pong,         None,    Anyone;
    /// `HELP`.
    Help     = "HELP",     ack "HELP",      None,          Unterminated, None,    Anyone;
    /// `BI` (acks as `BOOTINFO`).
    Bi       = "BI",       ack "BOOTINFO",  None,          Unterminated, None,    Anyone;
    /// `CAPS`.
    Caps     = "CAPS",     ack "CAPS",      None,          Unterminated, None,    Anyone;
    /// `MEM`.
    Mem      = "MEM",      ack "MEM",       None,          Unterminated, None,    Anyone;
    /// `TEST` (takes no argument; the queen answers `ERR TEST reason=policy detail=host-only`).
    Test     = "TEST",     ack "TEST",      None,          Ack,          Trigger, Anyone;
    /// `NETTEST` (triggers the network self-test).
    NetTest  = "NETTEST",  ack "NETTEST",   None,          Unterminated, Trigger, Anyone;
    /// `NETSTATS`.
    NetStats = "NETSTATS", ack "NETSTATS",  None,          Unterminated, None,    Anyone;
    /// `LOG`.
    Log      = "LOG",      ack "LOG",       None,          Stream,       None,    Queen;
    /// `CACHELOG [n]`.
    CacheLog = "CACHELOG", ack "CACHELOG",  OptionalCount, Unterminated, None,    Anyone;
    /// `QUIT`.
    Quit     = "QUIT",     ack "QUIT",      None,          Ack,          Session, Anyone;
    /// `TAIL <path>` (advances a per-session cursor).
    Tail     = "TAIL",     ack "TAIL",      Path,          Stream,       Cursor,  Attached;
    /// `CAT <path>`.
    Cat      = "CAT",      ack "CAT",       Path,          Stream,       None,    Attached;
    /// `LS <path>`.
    Ls       = "LS",       ack "LS",        Path,          Stream,       None,    Attached;
    /// `ECHO <path> <payload>`.
    Echo     = "ECHO",     ack "ECHO",      PathPayload,   Ack,          Write,   Attached;
    /// `SPAWN <payload>`.
    Spawn    = "SPAWN",    ack "SPAWN",     Payload,       AckThenError, Write,   Queen;
    /// `KILL <worker-id>`.
    Kill     = "KILL",     ack "KILL",      Worker,        AckThenError, Write,   Queen;
}

impl Verb {
    /// This verb's row, built from the columns.
    const fn row(self) -> VerbInfo {
        VerbInfo {
            verb: self,
            name: self.name(),
            token: self.token(),
            ack_label: self.ack_label(),
            args: self.args(),
            reply: self.reply(),
            effect: self.effect(),
            access: self.access(),
        }
    }

    /// The verb whose ACK carries `label` (exact, uppercase), if any.
    pub fn from_ack_label(label: &str) -> Option<Verb> {
        ALL_VERBS.into_iter().find(|v| v.ack_label() == label)
    }

    /// Parses a wire verb token, ASCII case-insensitively (`BI`, not `BOOTINFO`).
    pub fn from_token(token: &str) -> Option<Verb> {
        ALL_VERBS
            .into_iter()
            .find(|v| v.token().eq_ignore_ascii_case(token))
    }

    /// Streams: `OK`, data lines, then `END` ([`ReplyShape::Stream`]).
    pub const fn is_stream(self) -> bool {
        matches!(self.reply(), ReplyShape::Stream)
    }

    /// Multi-line replies that have no `END` marker ([`ReplyShape::Unterminated`]): the
    /// client can only delimit them by a follow-up `PING`.
    pub const fn is_unterminated_multiline(self) -> bool {
        matches!(self.reply(), ReplyShape::Unterminated)
    }

    /// Whether the session sends a `PING` fence after this verb to learn where its reply
    /// ends (no `END` marker, or a late `ERR` may follow the `OK`).
    pub const fn needs_fence(self) -> bool {
        matches!(
            self.reply(),
            ReplyShape::Unterminated | ReplyShape::AckThenError
        )
    }

    /// Reads without server-side effect ([`Effect::None`]), safe to re-send after a
    /// reconnect. Every other verb whose reply was lost has an unknown outcome.
    pub const fn is_idempotent_read(self) -> bool {
        matches!(self.effect(), Effect::None)
    }

    /// Writes ([`Effect::Write`]): write access for ticket scopes.
    pub const fn is_write(self) -> bool {
        matches!(self.effect(), Effect::Write)
    }

    /// Driven by the session itself (`AUTH`, `ATTACH`, `QUIT`), never a caller's request.
    pub const fn is_session_verb(self) -> bool {
        matches!(self.effect(), Effect::Session)
    }

    /// Whether the queen serves it before `ATTACH` (after `AUTH`).
    pub const fn allowed_before_attach(self) -> bool {
        matches!(self.access(), Access::Transport | Access::Anyone)
    }
}

impl core::fmt::Display for Verb {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.token())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The position of each verb in the table. The match is exhaustive: a verb added to the
    /// enum without being placed here does not compile, and one placed here but missing from
    /// the table (or out of order) fails below.
    const fn position(v: Verb) -> usize {
        match v {
            Verb::Auth => 0,
            Verb::Attach => 1,
            Verb::Ping => 2,
            Verb::Help => 3,
            Verb::Bi => 4,
            Verb::Caps => 5,
            Verb::Mem => 6,
            Verb::Test => 7,
            Verb::NetTest => 8,
            Verb::NetStats => 9,
            Verb::Log => 10,
            Verb::CacheLog => 11,
            Verb::Quit => 12,
            Verb::Tail => 13,
            Verb::Cat => 14,
            Verb::Ls => 15,
            Verb::Echo => 16,
            Verb::Spawn => 17,
            Verb::Kill => 18,
        }
    }

    #[test]
    fn every_verb_has_exactly_its_own_row() {
        assert_eq!(VERB_COUNT, 19);
        for (i, row) in VERBS.iter().enumerate() {
            assert_eq!(position(row.verb), i, "{row:?}");
            assert_eq!(ALL_VERBS.get(i), Some(&row.verb));
            assert_eq!(row.verb.info(), row);
            assert_eq!(std::format!("{:?}", row.verb), row.name);
        }
        let mut tokens: std::vec::Vec<_> = VERBS.iter().map(|r| r.token).collect();
        tokens.sort_unstable();
        tokens.dedup();
        assert_eq!(tokens.len(), VERB_COUNT, "tokens are unique");
        let mut labels: std::vec::Vec<_> = VERBS.iter().map(|r| r.ack_label).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), VERB_COUNT, "ack labels are unique");
    }

    #[test]
    fn row_data_is_well_formed() {
        for v in ALL_VERBS {
            assert_eq!(v.token(), v.token().to_ascii_uppercase(), "{v:?}");
            // Verbs that need an attached session are requests, not session steps.
            if !v.allowed_before_attach() {
                assert!(!v.is_session_verb(), "{v:?}");
            }
        }
    }
}
