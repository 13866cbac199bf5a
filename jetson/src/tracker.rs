//! Lease tracking: turns successive reads of `/gpu/<id>/lease` into job transitions, and the
//! transitions into breadcrumbs.
//!
//! ```text
//!            ACTIVE(w)                 RELEASED / ACTIVE(w') / job exits
//!   Idle ──────────────▶ Running(w) ─────────────────────────────────────▶ Idle (or Running(w'))
//!         START crumb                     EXIT crumb (+ START for w')
//! ```
//!
//! Re-reading an unchanged lease produces nothing, so the agent may poll as often as it likes,
//! and a reconnect (which re-reads the lease) never duplicates a START.

use crate::schema::{Breadcrumb, Command, Id, Lease, LeaseState};

/// The job a lease runs. Real deployments launch a CUDA workload; tests and the demo programs
/// use [`NullWorkload`].
pub trait Workload {
    /// Starts the job for `lease`.
    fn start(&mut self, lease: &Lease);
    /// Stops the job (its lease ended) and returns its exit code.
    fn stop(&mut self) -> i32;
    /// Returns `Some(code)` once if the job ended on its own.
    fn poll_exit(&mut self) -> Option<i32>;
}

/// A workload that starts instantly and exits with code 0 when its lease ends.
#[derive(Clone, Copy, Debug, Default)]
pub struct NullWorkload;

impl Workload for NullWorkload {
    fn start(&mut self, _lease: &Lease) {}
    fn stop(&mut self) -> i32 {
        0
    }
    fn poll_exit(&mut self) -> Option<i32> {
        None
    }
}

/// Up to two breadcrumbs produced by one observation (EXIT of the old job, START of the new).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Crumbs {
    /// First breadcrumb to publish.
    pub first: Option<Breadcrumb>,
    /// Second breadcrumb to publish.
    pub second: Option<Breadcrumb>,
}

impl Crumbs {
    fn one(c: Breadcrumb) -> Self {
        Self {
            first: Some(c),
            second: None,
        }
    }

    /// Iterates over the breadcrumbs in publication order.
    pub fn iter(&self) -> impl Iterator<Item = &Breadcrumb> {
        self.first.iter().chain(self.second.iter())
    }
}

/// Lease → job state machine.
#[derive(Debug)]
pub struct LeaseTracker<W> {
    command: Command,
    running: Option<Id>,
    workload: W,
}

impl<W: Workload> LeaseTracker<W> {
    /// A tracker that runs `command` under `workload` for each lease.
    pub fn new(command: Command, workload: W) -> Self {
        Self {
            command,
            running: None,
            workload,
        }
    }

    /// Worker id of the running job, if any.
    pub fn running(&self) -> Option<&str> {
        self.running.as_ref().map(|w| w.as_str())
    }

    /// Feeds the latest lease (`None`: the lease file is empty).
    pub fn observe(&mut self, lease: Option<&Lease>) -> Crumbs {
        let Some(lease) = lease else {
            return Crumbs::default();
        };
        match (lease.state, self.running.as_ref()) {
            (LeaseState::Active, Some(w)) if *w == lease.worker_id => Crumbs::default(),
            (LeaseState::Active, Some(_)) => {
                let exit = self.stop();
                let start = self.start(lease);
                Crumbs {
                    first: Some(exit),
                    second: Some(start),
                }
            }
            (LeaseState::Active, None) => Crumbs::one(self.start(lease)),
            (LeaseState::Released, Some(_)) => Crumbs::one(self.stop()),
            (LeaseState::Released, None) => Crumbs::default(),
        }
    }

    /// Checks whether the job ended on its own.
    pub fn poll_workload(&mut self) -> Crumbs {
        if self.running.is_none() {
            return Crumbs::default();
        }
        match self.workload.poll_exit() {
            Some(code) => {
                // The lease is still ACTIVE for this worker: remember it so a re-read does not
                // start the job again, but report the exit.
                Crumbs::one(Breadcrumb::exit(&self.command, code))
            }
            None => Crumbs::default(),
        }
    }

    fn start(&mut self, lease: &Lease) -> Breadcrumb {
        self.workload.start(lease);
        self.running = Some(lease.worker_id.clone());
        Breadcrumb::start(&self.command)
    }

    fn stop(&mut self) -> Breadcrumb {
        let code = self.workload.stop();
        self.running = None;
        Breadcrumb::exit(&self.command, code)
    }
}

impl<W: Workload + ?Sized> Workload for &mut W {
    fn start(&mut self, lease: &Lease) {
        (**self).start(lease)
    }
    fn stop(&mut self) -> i32 {
        (**self).stop()
    }
    fn poll_exit(&mut self) -> Option<i32> {
        (**self).poll_exit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Event;

    fn lease(state: LeaseState, worker: &str) -> Lease {
        let mut gpu = Id::new();
        gpu.push_str("GPU-0").ok();
        let mut w = Id::new();
        w.push_str(worker).ok();
        Lease {
            state,
            gpu_id: gpu,
            worker_id: w,
            mem_mb: 1024,
            streams: 1,
            ttl_s: 60,
            priority: 1,
        }
    }

    fn events(c: &Crumbs) -> ([Option<Event>; 2], [Option<i32>; 2]) {
        (
            [
                c.first.as_ref().map(|b| b.event),
                c.second.as_ref().map(|b| b.event),
            ],
            [
                c.first.as_ref().and_then(|b| b.exit_code),
                c.second.as_ref().and_then(|b| b.exit_code),
            ],
        )
    }

    struct Scripted {
        stop_code: i32,
        own_exit: Option<i32>,
        started: u32,
    }

    impl Workload for Scripted {
        fn start(&mut self, _lease: &Lease) {
            self.started += 1;
        }
        fn stop(&mut self) -> i32 {
            self.stop_code
        }
        fn poll_exit(&mut self) -> Option<i32> {
            self.own_exit.take()
        }
    }

    #[test]
    fn grant_then_release_gives_start_then_exit_once() {
        let mut t = LeaseTracker::new(Command::new(), NullWorkload);
        assert_eq!(t.observe(None), Crumbs::default());
        let a = lease(LeaseState::Active, "worker-1");
        assert_eq!(events(&t.observe(Some(&a))).0, [Some(Event::Start), None]);
        assert_eq!(t.running(), Some("worker-1"));
        // Re-reading the same lease (poll, reconnect) is silent.
        assert_eq!(t.observe(Some(&a)), Crumbs::default());
        let r = lease(LeaseState::Released, "worker-1");
        let c = t.observe(Some(&r));
        assert_eq!(events(&c), ([Some(Event::Exit), None], [Some(0), None]));
        assert_eq!(t.observe(Some(&r)), Crumbs::default());
        assert_eq!(t.running(), None);
    }

    #[test]
    fn lease_handed_to_another_worker_exits_then_starts() {
        let mut w = Scripted {
            stop_code: 7,
            own_exit: None,
            started: 0,
        };
        let mut t = LeaseTracker::new(Command::new(), &mut w);
        t.observe(Some(&lease(LeaseState::Active, "worker-1")));
        let c = t.observe(Some(&lease(LeaseState::Active, "worker-2")));
        assert_eq!(
            events(&c),
            ([Some(Event::Exit), Some(Event::Start)], [Some(7), None])
        );
        assert_eq!(c.iter().count(), 2);
        assert_eq!(t.running(), Some("worker-2"));
        drop(t);
        assert_eq!(w.started, 2);
    }

    #[test]
    fn job_exiting_on_its_own_reports_once() {
        let mut t = LeaseTracker::new(
            Command::new(),
            Scripted {
                stop_code: 0,
                own_exit: Some(3),
                started: 0,
            },
        );
        assert_eq!(t.poll_workload(), Crumbs::default(), "no job, no poll");
        t.observe(Some(&lease(LeaseState::Active, "worker-1")));
        assert_eq!(
            events(&t.poll_workload()),
            ([Some(Event::Exit), None], [Some(3), None])
        );
        assert_eq!(t.poll_workload(), Crumbs::default());
    }
}
