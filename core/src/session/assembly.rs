//! Reply assembly: which request an inbound line belongs to, and when a reply is complete.
//!
//! Rules (spec §3.2–3.4, §9.12/§9.15, real-queen notes "Reply grammar"):
//!
//! | reply shape | verbs | complete when |
//! |---|---|---|
//! | stream | `LS` `CAT` `TAIL` `LOG` | `OK`, data lines, `END` (an `ERR` never has `END`) |
//! | ping | `PING` | both `OK PING` and `PONG` arrived, in either order |
//! | fenced multi-line | `HELP` `BI` `CAPS` `MEM` `NETSTATS` `CACHELOG` `NETTEST` | the PING fence sent right after it completes; text before and after its `OK` is its data |
//! | fenced write | `SPAWN` `KILL` | the PING fence completes (grace for a late `ERR <V>` after the `OK`) |
//! | single ack | `ECHO` `TEST` | the `OK`/`ERR` line |
//!
//! * ACKs are matched on the label of the oldest frame still waiting for its ack;
//!   `ERR PARSE` / `ERR FRAME` terminate that frame whatever its label.
//! * An `ERR <V>` that matches no waiting frame goes to the oldest already-acked, incomplete
//!   request with that label (the SPAWN/KILL/TAIL "OK then ERR" case).
//! * An `OK <V>` that matches a *later* waiting frame means the queen dropped the frames
//!   before it (it keeps only 8 inbound lines): those complete as
//!   [`Outcome::NoReply`](super::Outcome::NoReply).
//! * `PONG` goes to the oldest PING-type frame (user PING, fence, heartbeat) without one.
//! * Other text goes to the oldest open stream (acked, no `END` yet) or fenced multi-line
//!   request; otherwise it is reported as [`Event::Stray`](super::Event::Stray) (pre-auth
//!   flush lines, `ERR: NineDoor unavailable`, ...).

use crate::reply::{Ack, Line, Status};
use crate::request::Verb;
use crate::role::Role;

use super::error::{AttachError, SessionError};
use super::machine::{Done, Entry, Kind, Machine, Pending, Phase};

impl Machine {
    /// Feeds one classified inbound line.
    pub(super) fn on_line(&mut self, now: u64, line: Line<'_>) {
        if self.is_closed() {
            return;
        }
        let handled = match line {
            Line::Ack(ack) => self.on_ack(&ack),
            Line::End => self.on_end(),
            Line::Text(text) => self.on_text(text),
        };
        if handled {
            self.refresh_deadline(now);
        } else {
            self.push_event(Pending::Stray);
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
                    self.push_event(Pending::Attached(role));
                } else {
                    self.close(Some(SessionError::AttachRejected(AttachError::from_ack(
                        ack,
                    ))));
                }
            }
            Kind::Quit => {
                self.remove(e.seq);
                self.close(None);
            }
            Kind::Fence(_) | Kind::Heartbeat => {
                if ok {
                    if let Some(m) = self.entry_mut(i) {
                        m.acked = true;
                    }
                    self.maybe_finish_ping(e.seq);
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
                if e.verb == Verb::Ping {
                    self.maybe_finish_ping(e.seq);
                } else if !e.verb.is_stream() && !e.fenced {
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

    fn maybe_finish_ping(&mut self, seq: u32) {
        let Some(e) = self.wire.iter().find(|e| e.seq == seq).copied() else {
            return;
        };
        if e.acked && e.pong {
            self.finish_ping(e);
        }
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
        if let Some(id) = e.user_id() {
            self.remove(e.seq);
            self.push_event(Pending::Done(id, e.verb, Done::Ok, e.lines));
        }
        true
    }

    fn on_text(&mut self, text: &str) -> bool {
        if text.trim() == "PONG" {
            if let Some(i) = self.position(|e| e.verb == Verb::Ping && !e.pong) {
                let Some(m) = self.entry_mut(i) else {
                    return false;
                };
                m.pong = true;
                let seq = m.seq;
                self.maybe_finish_ping(seq);
                return true;
            }
        }
        let owner = self.position(|e| {
            e.user_id().is_some()
                && ((e.verb.is_stream() && e.acked) || e.verb.is_unterminated_multiline())
        });
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
