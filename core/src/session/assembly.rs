//! Reply assembly: which request an inbound line belongs to, and when a reply is complete.
//!
//! Rules (spec §3.2–3.4, §9.12/§9.15, real-queen notes "Reply grammar"):
//!
//! | reply shape | verbs | complete when |
//! |---|---|---|
//! | stream | `LS` `CAT` `TAIL` `LOG` | `OK`, data lines, `END` (an `ERR` never has `END`) |
//! | ping | `PING` | `OK PING` (a `PONG` before it is noted; one after it is owed, see below) |
//! | fenced multi-line | `HELP` `BI` `CAPS` `MEM` `NETSTATS` `CACHELOG` `NETTEST` | the PING fence sent right after it completes; text before and after its `OK` is its data |
//! | fenced write | `SPAWN` `KILL` | the PING fence completes (grace for a late `ERR <V>` after the `OK`) |
//! | single ack | `ECHO` `TEST` | the `OK`/`ERR` line |
//!
//! A fence completes on its `OK PING` plus its `PONG`, or on its `OK PING` followed by any
//! other line (processed normally afterwards, except an `ERR <V>` for the fence's SPAWN/KILL
//! owner, which refuses it), or on its `OK PING` followed by `FENCE_QUIET_MS` of silence.
//!
//! * ACKs are matched on the label of the oldest frame still waiting for its ack;
//!   `ERR PARSE` / `ERR FRAME` terminate that frame whatever its label.
//! * An `ERR <V>` that matches no waiting frame goes to the oldest already-acked, incomplete
//!   request with that label (the SPAWN/KILL/TAIL "OK then ERR" case).
//! * An `OK <V>` that matches a *later* waiting frame means the queen dropped the frames
//!   before it (it keeps only 8 inbound lines): those complete as
//!   [`Outcome::NoReply`](super::Outcome::NoReply).
//! * `PONG`: first to a fence waiting for it after its `OK PING`; else it pays one owed
//!   PONG (`pong_credit`, left by PINGs that completed without theirs; the credit expires
//!   when data of a later request shows the PONG will not come, except a `PONG` as that
//!   request's first line); else, while no stream is open, it is noted on the oldest
//!   PING-type frame not yet acked (PONG-first order); else it is data or stray.
//! * `OK QUIT` while a stream is open (it overtook the data) waits for that stream's `END`
//!   or the close.
//! * Other text goes to the oldest open stream (acked, no `END` yet) or fenced multi-line
//!   request; otherwise it is reported as [`Event::Stray`](super::Event::Stray) (pre-auth
//!   flush lines, `ERR: NineDoor unavailable`, ...).

use crate::reply::{Ack, Line, Status};
use crate::request::Verb;
use crate::role::Role;
use crate::verb::ReplyShape;

use super::error::{AttachError, SessionError};
use super::machine::{Done, Entry, Kind, Machine, Pending, Phase, FENCE_QUIET_MS};

impl<const Q: usize, const W: usize, const E: usize> Machine<Q, W, E> {
    /// Feeds one classified inbound line.
    pub(super) fn on_line(&mut self, now: u64, line: Line<'_>) {
        if self.is_closed() {
            return;
        }
        let pong = matches!(line, Line::Text(t) if is_pong(t));
        let handled = match self.awaiting_fence() {
            Some(fence) if pong => {
                self.finish_ping(fence);
                true
            }
            Some(fence) => {
                self.late_refusal(fence, &line) || {
                    self.settle_fence(fence);
                    self.dispatch(&line)
                }
            }
            None => self.dispatch(&line),
        };
        if handled {
            self.refresh_deadline(now);
        } else {
            self.push_event(Pending::Stray);
        }
        self.fence_quiet = match (self.awaiting_fence(), self.fence_quiet) {
            (Some(f), Some((seq, at))) if f.seq == seq => Some((seq, at)),
            (Some(f), _) => Some((
                f.seq,
                now.saturating_add(FENCE_QUIET_MS.min(self.config.op_timeout_ms)),
            )),
            (None, _) => None,
        };
        if self.quit_acked && !self.stream_open() {
            self.close(None);
        }
    }

    fn dispatch(&mut self, line: &Line<'_>) -> bool {
        match line {
            Line::Ack(ack) => self.on_ack(ack),
            Line::End => self.on_end(),
            Line::Text(text) => self.on_text(text),
        }
    }

    /// An acked user stream (`LS`/`CAT`/`TAIL`/`LOG`) still waits for its `END`.
    pub(super) fn stream_open(&self) -> bool {
        self.wire
            .iter()
            .any(|e| e.acked && e.verb.is_stream() && e.user_id().is_some())
    }

    /// The fence whose `OK PING` arrived while its `PONG` has not.
    pub(super) fn awaiting_fence(&self) -> Option<Entry> {
        self.wire
            .iter()
            .find(|e| matches!(e.kind, Kind::Fence(_)) && e.acked && !e.pong)
            .copied()
    }

    /// Completes a fence without its `PONG` (another line arrived, or the quiet deadline
    /// passed): the queen has moved on, so its owner's reply is complete. The `PONG` is
    /// still owed.
    pub(super) fn settle_fence(&mut self, fence: Entry) {
        self.owe_pong(fence.seq);
        self.finish_ping(fence);
    }

    /// SPAWN/KILL grace: an `ERR <V>` for the fence's owner while the fence waits for its
    /// `PONG` still refuses the owner.
    fn late_refusal(&mut self, fence: Entry, line: &Line<'_>) -> bool {
        let (Line::Ack(ack), Kind::Fence(Some(owner))) = (line, fence.kind) else {
            return false;
        };
        let Some(o) = self
            .wire
            .iter()
            .find(|o| o.kind == Kind::User(owner))
            .copied()
        else {
            return false;
        };
        if ack.status != Status::Err || o.verb.ack_label() != ack.label {
            return false;
        }
        self.remove(fence.seq);
        self.owe_pong(fence.seq);
        self.refuse(o);
        true
    }

    /// The PING `seq` completed without its `PONG`: accept one later `PONG` silently.
    fn owe_pong(&mut self, seq: u32) {
        self.pong_credit = self.pong_credit.saturating_add(1);
        self.pong_owed_seq = seq;
    }

    /// A data line or `END` of the request `seq` arrived. The queen delivers data lines in
    /// order, so when `seq` was sent after every PING that still owes a `PONG`, those PONGs
    /// would have come first: they were dropped, and the credit expires.
    fn expire_credit_before(&mut self, seq: u32) {
        if self.pong_credit > 0 && seq_after(seq, self.pong_owed_seq) {
            self.pong_credit = 0;
        }
    }

    fn position(&self, f: impl Fn(&Entry) -> bool) -> Option<usize> {
        self.wire.iter().position(f)
    }

    fn entry(&self, i: usize) -> Option<Entry> {
        self.wire.iter().nth(i).copied()
    }

    fn entry_mut(&mut self, i: usize) -> Option<&mut Entry> {
        self.wire.iter_mut().nth(i)
    }

    /// Removes the frame `seq`, keeping order (rotation instead of `retain`, which has a
    /// panic path in heapless).
    fn remove(&mut self, seq: u32) {
        for _ in 0..self.wire.len() {
            if let Some(e) = self.wire.pop_front() {
                if e.seq != seq {
                    let _ = self.wire.push_back(e);
                }
            }
        }
    }

    fn on_ack(&mut self, ack: &Ack<'_>) -> bool {
        if let Some(i) = self.position(|e| !e.acked) {
            if let Some(e) = self.entry(i) {
                let label_ok = ack.label == e.verb.ack_label()
                    && !(e.kind == Kind::Auth && ack.detail.is_some() && ack.is_ok());
                if label_ok || ack.is_terminal_error() {
                    self.apply_ack(i, e, ack);
                    return true;
                }
            }
        }
        if ack.status == Status::Err {
            let late = self
                .position(|e| e.acked && e.user_id().is_some() && e.verb.ack_label() == ack.label);
            if let Some(e) = late.and_then(|i| self.entry(i)) {
                self.refuse(e);
                return true;
            }
        } else if let Some(target) = self
            .wire
            .iter()
            .find(|e| !e.acked && e.kind != Kind::Auth && e.verb.ack_label() == ack.label)
            .copied()
        {
            // An OK for a later frame: the queen dropped the unanswered frames before it
            // (its inbound queue keeps 8 lines); they were never executed.
            self.skip_unanswered_before(target.seq);
            if let Some(i) = self.position(|e| e.seq == target.seq) {
                self.apply_ack(i, target, ack);
                return true;
            }
        }
        false
    }

    /// Completes every unacked frame older than `seq` as never answered.
    fn skip_unanswered_before(&mut self, seq: u32) {
        while let Some(e) = self
            .wire
            .iter()
            .take_while(|e| e.seq != seq)
            .find(|e| !e.acked)
            .copied()
        {
            match e.kind {
                Kind::User(id) => {
                    self.remove(e.seq);
                    for f in self.wire.iter_mut() {
                        if f.kind == Kind::Fence(Some(id)) {
                            f.kind = Kind::Fence(None);
                        }
                    }
                    self.push_event(Pending::Done(id, e.verb, Done::NoReply, e.lines));
                }
                // The queen moved past the fence: its owner's output is complete.
                Kind::Fence(_) => self.finish_ping(e),
                _ => self.remove(e.seq),
            }
        }
    }

    fn apply_ack(&mut self, i: usize, e: Entry, ack: &Ack<'_>) {
        let ok = ack.is_ok() && !ack.is_terminal_error();
        match e.kind {
            Kind::Auth => {
                if ok {
                    self.remove(e.seq);
                    self.phase = Phase::Attach { sent: false };
                    self.push_event(Pending::Authenticated);
                } else {
                    self.close(Some(SessionError::AuthRejected));
                }
            }
            Kind::Attach => {
                if ok {
                    self.remove(e.seq);
                    let role = ack
                        .field("role")
                        .and_then(Role::from_label)
                        .unwrap_or(self.creds.role());
                    self.role = Some(role);
                    self.phase = Phase::Ready;
                    self.push_event(Pending::SessionAck(Verb::Attach));
                    self.push_event(Pending::Attached(role));
                } else {
                    // The raw refusal first, then the completions and `Closed`.
                    self.push_event(Pending::SessionAck(Verb::Attach));
                    self.close(Some(SessionError::AttachRejected(AttachError::from_ack(
                        ack,
                    ))));
                }
            }
            Kind::Quit => {
                self.remove(e.seq);
                self.push_event(Pending::SessionAck(Verb::Quit));
                if self.stream_open() {
                    // `OK QUIT` overtook an open stream: keep delivering its lines until
                    // `END` or the close that follows (which interrupts it).
                    self.quit_acked = true;
                } else {
                    self.close(None);
                }
            }
            Kind::Heartbeat => {
                // Complete on `OK PING` alone; its PONG may come later or never.
                self.remove(e.seq);
                if ok && !e.pong {
                    self.owe_pong(e.seq);
                }
            }
            Kind::Fence(_) => {
                if ok && !e.pong {
                    // Wait for the PONG, the next line or the quiet deadline (`on_line`).
                    if let Some(m) = self.entry_mut(i) {
                        m.acked = true;
                    }
                } else if ok {
                    self.finish_ping(Entry { acked: true, ..e });
                } else {
                    // The fence was processed (refused): the owner's output is complete.
                    self.finish_ping(e);
                }
            }
            Kind::User(id) => {
                if !ok {
                    self.refuse(e);
                    return;
                }
                if let Some(m) = self.entry_mut(i) {
                    m.acked = true;
                }
                self.push_event(Pending::Ack(id, e.verb));
                if e.verb.reply() == ReplyShape::Pong && !e.pong {
                    self.owe_pong(e.seq);
                }
                if !e.verb.is_stream() && !e.fenced {
                    self.remove(e.seq);
                    self.push_event(Pending::Done(id, e.verb, Done::Ok, e.lines));
                }
            }
        }
    }

    /// Completes a user entry with the current frame's `ERR` ack; orphans its fence.
    fn refuse(&mut self, e: Entry) {
        let Some(id) = e.user_id() else { return };
        self.remove(e.seq);
        for f in self.wire.iter_mut() {
            if f.kind == Kind::Fence(Some(id)) {
                f.kind = Kind::Fence(None);
            }
        }
        self.push_event(Pending::Refused(id, e.verb, e.lines));
    }

    /// A PING-type frame is answered: complete it (and a fence's owner).
    fn finish_ping(&mut self, e: Entry) {
        self.remove(e.seq);
        match e.kind {
            Kind::User(id) => {
                let done = if e.acked { Done::Ok } else { Done::NoReply };
                self.push_event(Pending::Done(id, e.verb, done, e.lines));
            }
            Kind::Fence(Some(owner)) => {
                let Some(o) = self
                    .wire
                    .iter()
                    .find(|o| o.kind == Kind::User(owner))
                    .copied()
                else {
                    return;
                };
                self.remove(o.seq);
                let done = if o.acked { Done::Ok } else { Done::NoReply };
                self.push_event(Pending::Done(owner, o.verb, done, o.lines));
            }
            _ => {}
        }
    }

    fn on_end(&mut self) -> bool {
        let Some(e) = self
            .wire
            .iter()
            .find(|e| e.acked && e.verb.is_stream() && e.user_id().is_some())
            .copied()
        else {
            return false;
        };
        self.expire_credit_before(e.seq);
        if let Some(id) = e.user_id() {
            self.remove(e.seq);
            self.push_event(Pending::Done(id, e.verb, Done::Ok, e.lines));
        }
        true
    }

    fn on_text(&mut self, text: &str) -> bool {
        let owner = self.position(|e| {
            e.user_id().is_some()
                && ((e.verb.is_stream() && e.acked) || e.verb.is_unterminated_multiline())
        });
        let pong = is_pong(text);
        // Data of a request sent after the PINGs that owe a PONG: those PONGs would have
        // come first (the queen keeps data lines in order), so they were dropped. The only
        // exception is a PONG as that request's first line, which is the owed one.
        if let Some(o) = owner.and_then(|i| self.entry(i)).filter(|o| o.acked) {
            if !(pong && o.lines == 0) {
                self.expire_credit_before(o.seq);
            }
        }
        if pong {
            if let Some(left) = self.pong_credit.checked_sub(1) {
                // A late PONG of a PING that already completed on its `OK PING`.
                self.pong_credit = left;
                return true;
            }
            if !self.stream_open() {
                // PONG before its `OK PING` (spec §2.5: either order).
                if let Some(m) = self
                    .wire
                    .iter_mut()
                    .find(|e| e.verb.reply() == ReplyShape::Pong && !e.acked && !e.pong)
                {
                    m.pong = true;
                    return true;
                }
            }
        }
        let Some(m) = owner.and_then(|i| self.entry_mut(i)) else {
            return false;
        };
        m.lines = m.lines.saturating_add(1);
        let (kind, verb) = (m.kind, m.verb);
        if let Kind::User(id) = kind {
            self.push_event(Pending::Data(id, verb));
        }
        true
    }
}

/// An exact `PONG` line (surrounding whitespace tolerated, as the queen's own parser does).
fn is_pong(text: &str) -> bool {
    text.trim() == "PONG"
}

/// `a` was sent after `b` (sequence numbers wrap).
fn seq_after(a: u32, b: u32) -> bool {
    let d = a.wrapping_sub(b);
    d != 0 && d < u32::MAX / 2
}
