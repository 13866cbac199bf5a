//! One caller's request inside the console driver, and how its ending is decided.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::error::ClientError;
use crate::owned::OwnedRequest;
use crate::pump::Finished;
use crate::reply::{Ack, Reply};

/// What a streamed request hands its caller, in order: the ack, lines, then the end.
#[derive(Debug)]
pub(crate) enum StreamItem {
    /// The opening `OK` ack.
    Ack(Ack),
    /// One data line.
    Line(String),
    /// The stream ended cleanly (`END`).
    End,
    /// The request failed.
    Failed(ClientError),
}

/// Where a request's result goes.
#[derive(Debug)]
pub(crate) enum Sink {
    /// The whole reply, once.
    Reply(oneshot::Sender<Result<Reply, ClientError>>),
    /// Lines as they arrive (bounded channel; the driver never blocks on it).
    Stream(mpsc::Sender<StreamItem>),
}

impl Sink {
    /// Whether the caller stopped waiting (its future or stream was dropped).
    pub(crate) fn is_closed(&self) -> bool {
        match self {
            Self::Reply(tx) => tx.is_closed(),
            Self::Stream(tx) => tx.is_closed(),
        }
    }
}

/// A flag shared by the lines of a pipelined write batch: once one line's outcome is
/// unknown (or its connection dropped), the lines not yet on the wire are not sent.
#[derive(Debug, Default)]
pub(crate) struct BatchFlag(AtomicBool);

impl BatchFlag {
    pub(crate) fn abort(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub(crate) fn aborted(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// One request waiting for the wire or on it.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) req: OwnedRequest,
    pub(crate) sink: Sink,
    /// The whole-request deadline.
    pub(crate) deadline: Instant,
    /// Whether an interrupted idempotent read may be re-submitted after a reconnect.
    pub(crate) retry_reads: bool,
    /// Re-submissions so far.
    pub(crate) attempts: u32,
    /// The deadline passed while it was on the wire (the connection was reset for it).
    pub(crate) expired: bool,
    /// A streamed request already handed out its ack or lines (no transparent retry).
    pub(crate) delivered: bool,
    /// The batch this write belongs to, if any.
    pub(crate) batch: Option<Arc<BatchFlag>>,
    /// A reply budget other than the console's.
    pub(crate) budget: Option<usize>,
}

/// What the driver does with a request that ended.
pub(crate) enum Verdict {
    /// Hand this result to the caller.
    Done(Result<Reply, ClientError>),
    /// Put it back in the queue for the next connection.
    Retry,
}

/// Facts about the connection a request ended on.
pub(crate) struct Ending {
    /// The connection ended with a protocol violation by the peer.
    pub(crate) protocol: Option<cohesix_core::session::SessionError>,
    /// A later connection can be opened.
    pub(crate) can_reconnect: bool,
    /// Retry budget of the console.
    pub(crate) max_retries: u32,
}

impl Job {
    /// Decides the result of a finished request.
    ///
    /// * accepted, refused and over-budget replies are final;
    /// * a read interrupted by a transport fault is re-submitted while retries remain (a
    ///   streamed read only before anything was handed out);
    /// * a protocol violation is reported as such and never retried;
    /// * a write that was sent and not acknowledged is [`ClientError::OutcomeUnknown`]; one
    ///   that never reached the wire is [`ClientError::Closed`] (safe to send again, but
    ///   never sent automatically: write order matters).
    pub(crate) fn verdict(&self, finished: Finished, ending: &Ending) -> Verdict {
        let read = self.req.verb().is_idempotent_read();
        let unknown = || ClientError::OutcomeUnknown {
            line: self.req.describe(),
        };
        let failed = match finished {
            Finished::Ok(reply) => return Verdict::Done(Ok(reply)),
            Finished::Exhausted { limit } => {
                return Verdict::Done(Err(ClientError::ResourceExhausted { limit }))
            }
            Finished::Refused(ack) => return Verdict::Done(Err(ClientError::Refused(ack))),
            other => other,
        };
        if self.expired {
            return Verdict::Done(Err(match failed {
                Finished::Unknown | Finished::Retryable { sent: true } if !read => unknown(),
                _ => ClientError::Timeout { op: "request" },
            }));
        }
        if let Some(e) = ending.protocol {
            return Verdict::Done(Err(match failed {
                Finished::Unknown | Finished::Retryable { sent: true } if !read => unknown(),
                _ => ClientError::Protocol(e),
            }));
        }
        let retryable = match failed {
            Finished::Retryable { sent } => read || !sent,
            Finished::TimedOut => read,
            _ => false,
        };
        let may_retry = read
            && self.retry_reads
            && !self.delivered
            && ending.can_reconnect
            && self.attempts < ending.max_retries;
        if retryable && may_retry {
            return Verdict::Retry;
        }
        Verdict::Done(Err(match failed {
            Finished::TimedOut if read => ClientError::Timeout { op: "request" },
            Finished::Retryable { sent: false } => ClientError::Closed,
            Finished::Retryable { sent: true } if read => ClientError::Closed,
            _ => unknown(),
        }))
    }

    /// Delivers a final result to the caller (a no-op if it stopped waiting). `leftover`
    /// are streamed lines not handed out yet; they go before the end.
    pub(crate) fn finish(
        self,
        result: Result<Reply, ClientError>,
        leftover: VecDeque<String>,
        tails: &mut Tails,
    ) {
        if let Some(batch) = &self.batch {
            if matches!(
                &result,
                Err(e) if !matches!(e, ClientError::Refused(_))
            ) {
                batch.abort();
            }
        }
        match self.sink {
            Sink::Reply(tx) => {
                let _ = tx.send(result);
            }
            Sink::Stream(tx) => {
                let mut items = VecDeque::with_capacity(leftover.len() + 2);
                match result {
                    Ok(reply) => {
                        if !self.delivered {
                            items.push_back(StreamItem::Ack(reply.ack));
                        }
                        items.extend(leftover.into_iter().map(StreamItem::Line));
                        items.push_back(StreamItem::End);
                    }
                    Err(e) => {
                        items.extend(leftover.into_iter().map(StreamItem::Line));
                        items.push_back(StreamItem::Failed(e));
                    }
                }
                tails.push(tx, items, self.deadline);
            }
        }
    }
}

/// Items of streamed requests that already ended but whose callers have not taken
/// everything yet (bounded by the stream outbox per request, dropped at the deadline).
#[derive(Debug, Default)]
pub(crate) struct Tails {
    items: Vec<(mpsc::Sender<StreamItem>, VecDeque<StreamItem>, Instant)>,
}

impl Tails {
    /// Queues `items` (leftover lines first, then the end) for `tx`.
    pub(crate) fn push(
        &mut self,
        tx: mpsc::Sender<StreamItem>,
        items: VecDeque<StreamItem>,
        deadline: Instant,
    ) {
        self.items.push((tx, items, deadline));
        self.flush(Instant::now());
    }

    /// Hands out what the callers have room for; drops tails whose caller left or whose
    /// deadline passed.
    pub(crate) fn flush(&mut self, now: Instant) {
        self.items.retain_mut(|(tx, items, deadline)| {
            while let Some(item) = items.pop_front() {
                match tx.try_send(item) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(item)) => {
                        items.push_front(item);
                        break;
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => return false,
                }
            }
            !items.is_empty() && now < *deadline
        });
    }

    /// A sender with items waiting (to wake on its capacity).
    pub(crate) fn waiting_sender(&self) -> Option<mpsc::Sender<StreamItem>> {
        self.items.first().map(|(tx, _, _)| tx.clone())
    }

    /// Whether nothing is waiting.
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The earliest deadline of a waiting tail.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.items.iter().map(|(_, _, d)| *d).min()
    }
}
