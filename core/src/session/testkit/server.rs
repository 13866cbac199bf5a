//! In-memory model of the queen's TCP console (SRV behaviour plus real-queen observations).

use core::fmt::Write as _;

use cohesix_generated::console::MAX_LINE_LEN;
use heapless::{Deque, String};

use crate::attach_guard::{AttachGuard, GuardVerdict};
use crate::frame::{encode_frame_raw, FrameDecoder};
use crate::reply::END;
use crate::role::Role;
use crate::ticket::{self, TicketKey, MAX_PAYLOAD_LEN};
use crate::verb::{Access, Verb};

use crate::session::TRANSMIT_BUF_LEN;

/// The token the model accepts by default (the real queen's placeholder).
pub const TOKEN: &str = "changeme";

/// Outbound byte capacity of the model (frames waiting for the client).
pub const SERVER_OUT_CAP: usize = 8192;

/// Lines kept in the model's `/log/queen.log`.
const LOG_CAP: usize = 8;

/// How the model answers a bad AUTH.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthFailure {
    /// Close without a word (the real queen).
    Close,
    /// `ERR AUTH reason=invalid-token`, then close (SRV source).
    ErrThenClose,
}

/// Behaviour switches of the model. [`ServerConfig::new`] is the real queen.
#[derive(Clone, Copy, Debug)]
pub struct ServerConfig {
    /// Accepted console token.
    pub token: &'static str,
    /// AUTH failure behaviour.
    pub auth_failure: AuthFailure,
    /// Send `PONG` before `OK PING` (the priority-queue reordering, spec §2.5).
    pub pong_first: bool,
    /// Send `HELP` text before `OK HELP` (spec order) instead of after it (real queen).
    pub help_text_first: bool,
    /// Harness error forms (`ERR ATTACH reason=denied`, `reason=throttled delay_ms=N`).
    pub harness_errors: bool,
    /// `SPAWN`/`KILL` get a bridge `ERR` after their `OK`.
    pub bridge_errors: bool,
    /// COHSH-mock quirk: `OK AUTH detail=present-token` as soon as the connection opens.
    pub greet_ok_auth_detail: bool,
    /// A pre-auth flush summary text line right after `OK AUTH`.
    pub preauth_flush_text: bool,
    /// Read everything, answer nothing (for deadline tests).
    pub mute: bool,
    /// Real-queen reordering (measured in QEMU): a stream body of more than one data line
    /// is held back after its `OK` and delivered when the next command other than
    /// `PING`/`QUIT` is processed or when output is polled. A `PING` arriving while a body
    /// is held gets only `OK PING` (its `PONG` is dropped); `QUIT` gets `OK QUIT`, then the
    /// held body without its `END`, then the close.
    pub real_queen_reorder: bool,
}

impl ServerConfig {
    /// The real queen's behaviour.
    pub const fn new() -> Self {
        Self {
            token: TOKEN,
            auth_failure: AuthFailure::Close,
            pong_first: false,
            help_text_first: false,
            harness_errors: false,
            bridge_errors: false,
            greet_ok_auth_detail: false,
            preauth_flush_text: false,
            mute: false,
            real_queen_reorder: false,
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// Ticket secret per role in the model's manifest (the shipped `[[tickets]]` values).
pub const fn role_secret(role: Role) -> &'static [u8] {
    match role {
        Role::Queen => b"bootstrap",
        Role::WorkerHeartbeat => b"worker",
        Role::WorkerGpu => b"worker-gpu",
        Role::WorkerBus => b"worker-bus",
        Role::WorkerLora => b"worker-lora",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conn {
    WaitingAuth,
    Authenticated,
    Closed,
}

type Text = String<MAX_LINE_LEN>;

/// In-memory model of the queen's TCP console (one connection at a time; throttle, limiter
/// and log survive [`reconnect`](Server::reconnect) as on the real queen).
#[derive(Debug)]
pub struct Server {
    cfg: ServerConfig,
    decoder: FrameDecoder<MAX_LINE_LEN>,
    out: Deque<u8, SERVER_OUT_CAP>,
    /// Stream body held back in `real_queen_reorder` mode (encoded frames).
    held: Deque<u8, SERVER_OUT_CAP>,
    /// While a stream command runs in reorder mode: frames still to go out before the rest
    /// is held.
    divert: Option<u8>,
    conn: Conn,
    role: Option<Role>,
    guard: AttachGuard,
    log: Deque<String<64>, LOG_CAP>,
    frames_received: u32,
    next_worker: u32,
}

impl Server {
    /// A model with a freshly accepted connection.
    pub fn new(cfg: ServerConfig) -> Self {
        let mut s = Self {
            cfg,
            decoder: FrameDecoder::new(),
            out: Deque::new(),
            held: Deque::new(),
            divert: None,
            conn: Conn::WaitingAuth,
            role: None,
            guard: AttachGuard::new(),
            log: Deque::new(),
            frames_received: 0,
            next_worker: 1,
        };
        s.accept();
        s
    }

    fn accept(&mut self) {
        self.conn = Conn::WaitingAuth;
        self.role = None;
        self.decoder.reset();
        self.out.clear();
        self.held.clear();
        self.divert = None;
        if self.cfg.greet_ok_auth_detail {
            self.emit("OK AUTH detail=present-token");
        }
    }

    /// A new connection (the previous one is dropped).
    pub fn reconnect(&mut self) {
        self.accept();
    }

    /// The client side went away.
    pub fn disconnect(&mut self) {
        self.conn = Conn::Closed;
        self.role = None;
    }

    /// Whether the model closed (or lost) the connection.
    pub fn is_closed(&self) -> bool {
        self.conn == Conn::Closed
    }

    /// Bytes waiting for the client.
    pub fn pending_output(&self) -> usize {
        self.out.len()
    }

    /// Frames received on all connections.
    pub fn frames_received(&self) -> u32 {
        self.frames_received
    }

    /// The attached role, if any.
    pub fn role(&self) -> Option<Role> {
        self.role
    }

    /// Mutable behaviour switches (change them between steps).
    pub fn config_mut(&mut self) -> &mut ServerConfig {
        &mut self.cfg
    }

    /// Moves up to `buf.len()` output bytes into `buf`; returns how many.
    pub fn poll_output(&mut self, buf: &mut [u8]) -> usize {
        self.flush_held();
        let mut n = 0usize;
        for slot in buf.iter_mut() {
            match self.out.pop_front() {
                Some(b) => {
                    *slot = b;
                    n = n.saturating_add(1);
                }
                None => break,
            }
        }
        n
    }

    /// Feeds client bytes at server time `now`; all are consumed (after a close they are
    /// discarded).
    pub fn handle_input(&mut self, now: u64, bytes: &[u8]) -> usize {
        let mut used = 0usize;
        while let Some(rest) = bytes.get(used..).filter(|r| !r.is_empty()) {
            if self.conn == Conn::Closed {
                return bytes.len();
            }
            let (n, res) = self.decoder.push_counted(rest);
            used = used.saturating_add(n);
            if res.is_err() {
                // Pre- and post-auth framing failures: the model simply closes.
                self.conn = Conn::Closed;
                return bytes.len();
            }
            let mut line = [0u8; MAX_LINE_LEN];
            let len = match self.decoder.frame() {
                Some(f) => match line.get_mut(..f.len()) {
                    Some(dst) => {
                        dst.copy_from_slice(f);
                        f.len()
                    }
                    None => 0,
                },
                None => {
                    if n == 0 {
                        break;
                    }
                    continue;
                }
            };
            self.decoder.clear_frame();
            self.frames_received = self.frames_received.saturating_add(1);
            let text = line.get(..len).and_then(|b| core::str::from_utf8(b).ok());
            match text {
                Some(t) => self.on_line(now, t),
                None => self.conn = Conn::Closed,
            }
        }
        used
    }

    fn emit(&mut self, line: &str) {
        let hold = match self.divert {
            Some(0) => true,
            Some(n) => {
                self.divert = Some(n.saturating_sub(1));
                false
            }
            None => false,
        };
        let dst = if hold { &mut self.held } else { &mut self.out };
        let mut frame = [0u8; TRANSMIT_BUF_LEN];
        if let Ok(n) = encode_frame_raw(line.as_bytes(), &mut frame) {
            for b in frame.iter().take(n) {
                let _ = dst.push_back(*b);
            }
        }
    }

    /// Moves the held stream body to the output.
    fn flush_held(&mut self) {
        while let Some(b) = self.held.pop_front() {
            let _ = self.out.push_back(b);
        }
    }

    /// Start offsets of the frames in `held`.
    fn held_frames(&self) -> impl Iterator<Item = usize> + '_ {
        let mut pos = 0usize;
        core::iter::from_fn(move || {
            let mut hdr = [0u8; 4];
            for (i, h) in hdr.iter_mut().enumerate() {
                *h = *self.held.iter().nth(pos.checked_add(i)?)?;
            }
            let len = usize::try_from(u32::from_le_bytes(hdr)).ok()?.max(4);
            let start = pos;
            pos = pos.checked_add(len)?;
            Some(start)
        })
    }

    /// Reorder mode: a command's effect on held stream bodies, before it runs. Returns
    /// whether the command was fully answered here.
    fn reorder(&mut self, verb: Option<Verb>) -> bool {
        match verb {
            Some(Verb::Ping) if !self.held.is_empty() => {
                // The ACK overtakes the held body; the PONG is dropped.
                self.emit("OK PING reply=pong");
                true
            }
            Some(Verb::Ping) => false,
            Some(Verb::Quit) => {
                self.emit("OK QUIT");
                // The connection closes before the body's END goes out.
                if let Some(last) = self.held_frames().last() {
                    while self.held.len() > last {
                        let _ = self.held.pop_back();
                    }
                }
                self.flush_held();
                self.conn = Conn::Closed;
                self.role = None;
                true
            }
            _ => {
                self.flush_held();
                false
            }
        }
    }

    fn emitf(&mut self, args: core::fmt::Arguments<'_>) {
        let mut t = Text::new();
        let _ = t.write_fmt(args);
        self.emit(&t);
    }

    fn on_line(&mut self, now: u64, line: &str) {
        match self.conn {
            Conn::Closed => {}
            Conn::WaitingAuth => self.on_auth(line),
            Conn::Authenticated => {
                if !self.cfg.mute {
                    self.on_command(now, line);
                }
            }
        }
    }

    fn on_auth(&mut self, line: &str) {
        let ok = line.len() == 5usize.saturating_add(self.cfg.token.len())
            && line.strip_prefix("AUTH ") == Some(self.cfg.token);
        if self.cfg.mute {
            if ok {
                self.conn = Conn::Authenticated;
            }
            return;
        }
        if ok {
            self.conn = Conn::Authenticated;
            self.emit("OK AUTH");
            if self.cfg.preauth_flush_text {
                self.emit("[net-console] pre-auth summary reason=auth-flush flushed=0 dropped=0");
            }
        } else {
            if self.cfg.auth_failure == AuthFailure::ErrThenClose {
                self.emit("ERR AUTH reason=invalid-token");
            }
            self.conn = Conn::Closed;
        }
    }

    fn on_command(&mut self, now: u64, line: &str) {
        let line = line.trim();
        let (word, rest) = match line.split_once(' ') {
            Some((v, r)) => (v, r.trim()),
            None => (line, ""),
        };
        let verb = Verb::from_token(word);
        let arg = rest.split(' ').next().unwrap_or("");
        if self.cfg.real_queen_reorder {
            if self.reorder(verb) {
                return;
            }
            if verb.is_some_and(Verb::is_stream) {
                // Hold everything after the ack; a body of at most one line plus END is
                // delivered at once (a one-line CAT stays strictly in order).
                self.divert = Some(1);
            }
        }
        if word.is_empty() {
            self.emit("ERR PARSE reason=policy detail=empty command");
        } else {
            self.dispatch(now, verb, rest, arg);
        }
        self.divert = None;
        if self.held_frames().count() <= 2 {
            self.flush_held();
        }
    }

    /// Whether the attached role may send `verb` (the table's access column).
    fn may_send(&self, verb: Verb) -> bool {
        match verb.access() {
            Access::Attached => self.role.is_some(),
            Access::Queen => self.role == Some(Role::Queen),
            _ => true,
        }
    }

    fn dispatch(&mut self, now: u64, verb: Option<Verb>, rest: &str, arg: &str) {
        let Some(verb) = verb else {
            return self.emit("ERR PARSE reason=policy detail=unsupported console command");
        };
        let label = verb.ack_label();
        if !self.may_send(verb) {
            return self.emitf(format_args!(
                "ERR {label} reason=policy detail=unauthenticated"
            ));
        }
        match verb {
            Verb::Ping => self.ping(),
            Verb::Help => self.help(),
            Verb::Bi => {
                self.emit("[bi] build=testkit");
                self.emitf(format_args!("OK {label}"));
            }
            Verb::Quit => {
                self.emitf(format_args!("OK {label}"));
                self.conn = Conn::Closed;
                self.role = None;
            }
            Verb::Attach => self.attach(now, rest),
            Verb::Ls => self.ls(arg),
            Verb::Cat => self.cat(arg),
            Verb::Tail => self.tail(arg),
            Verb::Log => {
                self.emitf(format_args!("OK {label}"));
                self.log_lines();
                self.emit(END);
            }
            Verb::Echo => self.echo(rest),
            Verb::Spawn => {
                self.emitf(format_args!("OK {label} payload={rest}"));
                if self.cfg.bridge_errors {
                    self.emit(
                        "ERR SPAWN reason=policy detail=invalid-payload error=invalid payload",
                    );
                }
            }
            Verb::Kill => {
                self.emitf(format_args!("OK {label} id={arg}"));
                if self.cfg.bridge_errors {
                    self.emit("ERR KILL reason=policy detail=invalid-path error=invalid path");
                }
            }
            Verb::Test => self.emitf(format_args!("ERR {label} reason=policy detail=host-only")),
            // Not served by this model (AUTH is not a console command).
            Verb::Auth
            | Verb::Caps
            | Verb::Mem
            | Verb::NetTest
            | Verb::NetStats
            | Verb::CacheLog => {
                self.emit("ERR PARSE reason=policy detail=unsupported console command")
            }
        }
    }

    fn ping(&mut self) {
        if self.cfg.pong_first {
            self.emit("PONG");
            self.emit("OK PING reply=pong");
        } else {
            self.emit("OK PING reply=pong");
            self.emit("PONG");
        }
    }

    fn help(&mut self) {
        const TEXT: [&str; 4] = ["Commands:", "  help", "  ping", "  quit"];
        if !self.cfg.help_text_first {
            self.emit("OK HELP");
        }
        for l in TEXT {
            self.emit(l);
        }
        if self.cfg.help_text_first {
            self.emit("OK HELP");
        }
    }

    fn attach_err(&mut self, srv_reason: &str, tag: &str, delay: Option<u64>) {
        let mut t = Text::new();
        let _ = if self.cfg.harness_errors {
            write!(t, "ERR ATTACH reason={tag}")
        } else {
            write!(t, "ERR ATTACH reason={srv_reason} detail={tag}")
        };
        if let Some(d) = delay {
            let _ = write!(t, " delay_ms={d}");
        }
        self.emit(&t);
    }

    fn attach(&mut self, now: u64, rest: &str) {
        if let Some(remaining) = self.guard.throttled(now) {
            self.attach_err("quota", "throttled", Some(remaining));
            return;
        }
        let (role_label, ticket) = match rest.split_once(' ') {
            Some((r, t)) => (r, t.trim()),
            None => (rest, ""),
        };
        if role_label.is_empty() {
            self.emit("ERR PARSE reason=policy detail=missing required argument: role");
            return;
        }
        let Some(role) = Role::from_label(role_label) else {
            self.attach_err("policy", "invalid-role", None);
            return;
        };
        let validated = if ticket.is_empty() {
            role == Role::Queen
        } else {
            let key = TicketKey::from_secret(role_secret(role));
            let mut buf = [0u8; MAX_PAYLOAD_LEN];
            let verified = ticket::verify_for_role(ticket, role, &key, &mut buf).is_ok();
            verified
        };
        match self.guard.judge(validated, now) {
            GuardVerdict::RateLimited(delay) => {
                return self.attach_err("quota", "rate-limited", Some(delay))
            }
            GuardVerdict::Denied => return self.attach_err("policy", "denied", None),
            GuardVerdict::Accepted => {}
        }
        self.guard.success();
        self.role = Some(role);
        self.emitf(format_args!("OK ATTACH role={}", role.label()));
    }

    fn invalid_path(&mut self, verb: &str, path: &str) {
        self.emitf(format_args!(
            "ERR {verb} reason=policy detail=invalid-path path={path} error=invalid path"
        ));
    }

    fn ls(&mut self, path: &str) {
        let entries: &[&str] = match path {
            "/" => &["gpu", "log", "proc"],
            "/log" => &["queen.log"],
            "/proc" => &["lifecycle"],
            _ => return self.invalid_path(Verb::Ls.ack_label(), path),
        };
        self.emitf(format_args!("OK LS path={path} entries={}", entries.len()));
        for e in entries {
            self.emit(e);
        }
        self.emit(END);
    }

    fn cat(&mut self, path: &str) {
        match path {
            "/proc/lifecycle/state" => {
                self.emitf(format_args!("OK CAT path={path} data=state=ONLINE"));
                self.emit("state=ONLINE");
            }
            "/gpu/GPU-0/info" => {
                self.emitf(format_args!(
                    "OK CAT path={path} data={{|\"id\":\"GPU-0\"|}}"
                ));
                self.emit("{");
                self.emit("\"id\":\"GPU-0\"");
                self.emit("}");
            }
            "/log/queen.log" => {
                // The real queen sends no body lines here, only the preview.
                let mut t = Text::new();
                let _ = write!(t, "OK CAT path={path} data=");
                for (i, l) in self.log.iter().enumerate() {
                    let _ = if i == 0 {
                        t.push_str(l)
                    } else {
                        t.push('|').and_then(|()| t.push_str(l))
                    };
                }
                self.emit(&t);
            }
            _ => return self.invalid_path(Verb::Cat.ack_label(), path),
        }
        self.emit(END);
    }

    fn log_lines(&mut self) {
        let mut copy: Deque<String<64>, LOG_CAP> = Deque::new();
        for l in self.log.iter() {
            let _ = copy.push_back(l.clone());
        }
        for l in copy.iter() {
            self.emit(l);
        }
    }

    fn tail(&mut self, path: &str) {
        if path != "/log/queen.log" {
            self.emitf(format_args!(
                "ERR TAIL reason=policy detail=invalid-path path={path}"
            ));
            return;
        }
        self.emitf(format_args!("OK TAIL path={path}"));
        self.log_lines();
        self.emit(END);
    }

    fn echo(&mut self, rest: &str) {
        let Some((path, payload)) = rest.split_once(' ') else {
            self.emit("ERR PARSE reason=policy detail=missing required argument: payload");
            return;
        };
        let payload = payload.trim_start();
        let worker_ok = path.starts_with("/bus/") || path.starts_with("/lora/");
        if self.role != Some(Role::Queen) && !worker_ok {
            self.emit("ERR ECHO reason=policy detail=denied");
            return;
        }
        match path {
            "/log/queen.log" => {
                if self.log.is_full() {
                    let _ = self.log.pop_front();
                }
                let mut l: String<64> = String::new();
                for c in payload.chars() {
                    if l.push(c).is_err() {
                        break;
                    }
                }
                let _ = self.log.push_back(l);
            }
            "/queen/ctl" => {
                self.next_worker = self.next_worker.saturating_add(1);
            }
            p if worker_ok && !p.is_empty() => {}
            _ => return self.invalid_path(Verb::Echo.ack_label(), path),
        }
        self.emitf(format_args!("OK ECHO path={path} bytes={}", payload.len()));
    }
}
