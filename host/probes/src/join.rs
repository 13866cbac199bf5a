//! [`join_all`]: polls a bounded set of futures concurrently on the current task (no spawning,
//! so dropping the join drops every future and kills their children).

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// Runs `futures` concurrently and returns their outputs in input order.
///
/// Cancel safety: dropping the returned future drops every unfinished input future.
pub(crate) async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pending: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(move |cx| {
        let mut all_done = true;
        for (future, slot) in pending.iter_mut().zip(outputs.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(output) => *slot = Some(output),
                    Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            Poll::Ready(outputs.iter_mut().filter_map(Option::take).collect())
        } else {
            Poll::Pending
        }
    })
    .await
}
