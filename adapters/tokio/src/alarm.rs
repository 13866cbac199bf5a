//! One re-armable timer for a loop that waits again and again with changing deadlines.
//!
//! Creating a `tokio::time::Sleep` per wait registers an entry in the runtime's timer wheel
//! on its first poll and removes it when dropped: two locked wheel operations on every pass
//! of a request loop, although the deadlines are seconds away and nearly always outlived by
//! the reply. An [`Alarm`] keeps one entry armed and moves it only when an earlier deadline
//! is asked for; a later deadline keeps the earlier entry, which then fires early, is seen
//! to be early and is re-armed. So a steady stream of requests, each with a deadline a few
//! seconds out, touches the wheel about once per deadline period instead of twice per
//! request.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::time::{sleep_until, Instant, Sleep};

/// A timer entry re-armed only when needed.
#[derive(Debug)]
pub(crate) struct Alarm {
    /// Created on the first poll, so an alarm can be built outside a runtime.
    sleep: Option<Pin<Box<Sleep>>>,
    /// The instant the entry fires at; `None` when it is not armed (new, or fired).
    armed: Option<Instant>,
}

impl Alarm {
    pub(crate) fn new() -> Self {
        Self {
            sleep: None,
            armed: None,
        }
    }

    /// `Ready` once `at` has passed; otherwise registers `cx` to be woken by then (or
    /// earlier, harmlessly: the next poll re-arms).
    pub(crate) fn poll_at(&mut self, cx: &mut Context<'_>, at: Instant) -> Poll<()> {
        let sleep = self.sleep.get_or_insert_with(|| Box::pin(sleep_until(at)));
        loop {
            if self.armed.is_none_or(|armed| at < armed) {
                sleep.as_mut().reset(at);
                self.armed = Some(at);
            }
            match sleep.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(()) => {
                    let fired = self.armed.take();
                    if fired.is_some_and(|f| f >= at) || Instant::now() >= at {
                        return Poll::Ready(());
                    }
                    // Fired for an earlier deadline that is no longer asked for.
                }
            }
        }
    }
}
