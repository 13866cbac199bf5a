//! The agent against an in-memory queen: lease grant → START, release → EXIT, queen restart
//! → reconnect with the spool drained in order, spool overflow counted, refusals handled.
//! The lease, restart and park scenarios also run on [`MinimalAgent`] (the core's
//! `MinimalSession`, the firmware's configuration) and must behave identically.

mod support;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use cohesix_core::role::Role;
use cohesix_core::ticket::TicketSecret;
use cohesix_embassy::Buffers;
use cohesix_jetson::agent::{Agent, Cycle, MinimalAgent};
use cohesix_jetson::config::manifest_ticket_secret;
use cohesix_jetson::schema::Lease;
use cohesix_jetson::spool::DEFAULT_CAPACITY;
use cohesix_jetson::{AgentConfig, AttachAs, NullWorkload, Workload};
use embassy_futures::block_on;
use support::{GpuQueen, QueenLink, ACTIVE, RELEASED, TOKEN};

const START: &str =
    r#"{"schema":"gpu-breadcrumb/v1","event":"START","command":"echo ok","status":"RUNNING"}"#;

fn exit(code: i32) -> String {
    let status = if code == 0 { "OK" } else { "FAILED" };
    format!(
        r#"{{"schema":"gpu-breadcrumb/v1","event":"EXIT","command":"echo ok","status":"{status}","exit_code":{code}}}"#
    )
}

fn gpu_secret() -> TicketSecret<'static> {
    manifest_ticket_secret(Role::WorkerGpu).expect("manifest has a worker-gpu secret")
}

fn cfg() -> AgentConfig {
    AgentConfig::new("GPU-0", "jetson-7", "echo ok").unwrap()
}

fn agent<'b, W: Workload, const N: usize, const Q: usize, const WI: usize, const E: usize>(
    q: &Rc<RefCell<GpuQueen>>,
    buffers: &'b mut Buffers,
    workload: W,
    secret: TicketSecret<'static>,
) -> Agent<'b, QueenLink, W, N, Q, WI, E> {
    agent_with(cfg(), q, buffers, workload, secret)
}

fn agent_with<'b, W: Workload, const N: usize, const Q: usize, const WI: usize, const E: usize>(
    cfg: AgentConfig,
    q: &Rc<RefCell<GpuQueen>>,
    buffers: &'b mut Buffers,
    workload: W,
    secret: TicketSecret<'static>,
) -> Agent<'b, QueenLink, W, N, Q, WI, E> {
    Agent::new(
        cfg,
        QueenLink::new(q.clone()),
        buffers,
        workload,
        TOKEN,
        secret,
        1_700_000_000_000,
    )
    .unwrap()
}

#[test]
fn grant_starts_release_exits_once_each() {
    let q = GpuQueen::new();
    let mut buffers = Buffers::new();
    let a: Agent<'_, _, _> = agent(&q, &mut buffers, NullWorkload, gpu_secret());
    grant_then_release(&q, a);
}

#[test]
fn minimal_session_grant_starts_release_exits_once_each() {
    let q = GpuQueen::new();
    let mut buffers = Buffers::new();
    let a: MinimalAgent<'_, _, _> = agent(&q, &mut buffers, NullWorkload, gpu_secret());
    grant_then_release(&q, a);
}

fn grant_then_release<const Q: usize, const WI: usize, const E: usize>(
    q: &Rc<RefCell<GpuQueen>>,
    mut a: Agent<'_, QueenLink, NullWorkload, { DEFAULT_CAPACITY }, Q, WI, E>,
) {
    block_on(async {
        assert_eq!(a.cycle().await, Cycle::Ok);
        assert!(q.borrow().status.is_empty(), "no lease, no breadcrumb");
        assert_eq!(
            q.borrow().subjects,
            vec!["jetson-7".to_string()],
            "ticket subject = agent id"
        );

        q.borrow_mut().set_lease(ACTIVE);
        assert_eq!(a.cycle().await, Cycle::Ok);
        assert_eq!(q.borrow().status, vec![START.to_string()]);
        assert_eq!(a.running(), Some("worker-1"));
        assert_eq!(a.cycle().await, Cycle::Ok);
        assert_eq!(q.borrow().status.len(), 1, "an unchanged lease is silent");

        q.borrow_mut().set_lease(RELEASED);
        assert_eq!(a.cycle().await, Cycle::Ok);
        assert_eq!(q.borrow().status, vec![START.to_string(), exit(0)]);
        assert_eq!(a.running(), None);
    });
    let s = a.stats();
    assert_eq!(
        (s.attaches, s.published, s.disconnects, s.spool_dropped),
        (1, 2, 0, 0)
    );
    assert_eq!(s.lease_reads, 3);
}

#[test]
fn queen_restart_reconnects_and_drains_spool_in_order() {
    let q = GpuQueen::new();
    let mut buffers = Buffers::new();
    let a: Agent<'_, _, _> = agent(&q, &mut buffers, NullWorkload, gpu_secret());
    restart_and_drain(&q, a);
}

#[test]
fn minimal_session_queen_restart_reconnects_and_drains_spool_in_order() {
    let q = GpuQueen::new();
    let mut buffers = Buffers::new();
    let a: MinimalAgent<'_, _, _> = agent(&q, &mut buffers, NullWorkload, gpu_secret());
    restart_and_drain(&q, a);
}

fn restart_and_drain<const Q: usize, const WI: usize, const E: usize>(
    q: &Rc<RefCell<GpuQueen>>,
    mut a: Agent<'_, QueenLink, NullWorkload, { DEFAULT_CAPACITY }, Q, WI, E>,
) {
    block_on(async {
        q.borrow_mut().set_lease(ACTIVE);
        // The queen dies while the START breadcrumb is on the wire.
        q.borrow_mut().crash_on_echo = 1;
        assert_eq!(a.cycle().await, Cycle::Offline);
        assert_eq!(a.spooled(), 1, "unacknowledged START kept");
        assert!(q.borrow().status.is_empty());

        // Still down: cycles fail, back-off grows, nothing is lost.
        q.borrow_mut().up = false;
        let b0 = a.backoff_ms();
        assert_eq!(a.cycle().await, Cycle::Offline);
        assert_eq!(a.cycle().await, Cycle::Offline);
        assert!(a.backoff_ms() > b0);
        assert!(a.backoff_ms() <= cohesix_generated::retry::CEILING_MS);
        assert_eq!(a.spooled(), 1);

        // The queen comes back; meanwhile the lease was released.
        q.borrow_mut().up = true;
        q.borrow_mut().set_lease(RELEASED);
        assert_eq!(a.cycle().await, Cycle::Ok);
        assert_eq!(
            a.backoff_ms(),
            cohesix_generated::retry::BACKOFF_MS,
            "reset on attach"
        );
    });
    assert_eq!(
        q.borrow().status,
        vec![START.to_string(), exit(0)],
        "spool first, in order"
    );
    let s = a.stats();
    assert_eq!(s.attaches, 2);
    assert_eq!(s.disconnects, 1);
    assert_eq!(s.connect_failures, 2);
    assert_eq!(a.spooled(), 0);
}

/// A job that restarts itself and exits with the queued codes, one per poll.
struct Exits(Rc<RefCell<VecDeque<i32>>>);

impl Workload for Exits {
    fn start(&mut self, _lease: &Lease) {}
    fn stop(&mut self) -> i32 {
        0
    }
    fn poll_exit(&mut self) -> Option<i32> {
        self.0.borrow_mut().pop_front()
    }
}

#[test]
fn spool_overflow_drops_oldest_and_counts() {
    let q = GpuQueen::new();
    let exits = Rc::new(RefCell::new(VecDeque::new()));
    let mut buffers = Buffers::new();
    let mut a: Agent<'_, _, _, 2> = agent(&q, &mut buffers, Exits(exits.clone()), gpu_secret());
    block_on(async {
        q.borrow_mut().set_lease(ACTIVE);
        assert_eq!(a.cycle().await, Cycle::Ok);
        // The queen goes away; the job keeps exiting (codes 1..=5) while offline.
        q.borrow_mut().crash();
        q.borrow_mut().up = false;
        for code in 1..=5 {
            exits.borrow_mut().push_back(code);
            assert_eq!(a.cycle().await, Cycle::Offline);
        }
        assert_eq!(a.spooled(), 2);
        assert_eq!(a.stats().spool_dropped, 3);
        q.borrow_mut().up = true;
        assert_eq!(a.cycle().await, Cycle::Ok);
    });
    assert_eq!(q.borrow().status, vec![START.to_string(), exit(4), exit(5)]);
    assert_eq!(a.stats().spool_dropped, 3);
    assert_eq!(a.stats().published, 3);
}

#[test]
fn refused_breadcrumbs_are_counted_not_retried_forever() {
    let q = GpuQueen::new();
    let mut buffers = Buffers::new();
    let mut a: Agent<'_, _, _> = agent(&q, &mut buffers, NullWorkload, gpu_secret());
    block_on(async {
        q.borrow_mut().refuse_echo = true;
        q.borrow_mut().set_lease(ACTIVE);
        assert_eq!(a.cycle().await, Cycle::Ok);
    });
    assert_eq!(a.stats().refused, 1);
    assert_eq!(a.spooled(), 0);
    assert!(q.borrow().status.is_empty());
}

#[test]
fn wrong_ticket_secret_is_denied_and_backs_off() {
    let q = GpuQueen::new();
    let mut buffers = Buffers::new();
    let mut a: Agent<'_, _, _> = agent(
        &q,
        &mut buffers,
        NullWorkload,
        TicketSecret::from_text("not-the-secret"),
    );
    block_on(async {
        for _ in 0..6 {
            assert_eq!(a.cycle().await, Cycle::Offline);
        }
    });
    assert_eq!(q.borrow().denied, 6);
    assert_eq!(a.stats().attaches, 0);
    assert_eq!(a.backoff_ms(), cohesix_generated::retry::CEILING_MS);
}

#[test]
fn malformed_lease_is_counted_and_ignored() {
    let q = GpuQueen::new();
    let mut buffers = Buffers::new();
    let mut a: Agent<'_, _, _> = agent(&q, &mut buffers, NullWorkload, gpu_secret());
    block_on(async {
        q.borrow_mut().set_lease(
            r#"{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-9","worker_id":"w"}"#,
        );
        assert_eq!(a.cycle().await, Cycle::Ok);
    });
    assert_eq!(a.stats().lease_errors, 1);
    assert_eq!(
        a.last_lease_error(),
        Some(cohesix_jetson::LeaseError::OtherGpu)
    );
    assert!(q.borrow().status.is_empty());
}

#[test]
fn worker_echo_denied_like_the_real_queen_is_counted() {
    let q = GpuQueen::new();
    q.borrow_mut().deny_worker_echo = true;
    let mut buffers = Buffers::new();
    let mut a: Agent<'_, _, _> = agent(&q, &mut buffers, NullWorkload, gpu_secret());
    block_on(async {
        q.borrow_mut().set_lease(ACTIVE);
        assert_eq!(a.cycle().await, Cycle::Ok);
    });
    assert_eq!(a.running(), Some("worker-1"), "the lease is still followed");
    assert_eq!((a.stats().refused, a.spooled()), (1, 0));
    assert!(q.borrow().status.is_empty());
}

fn parking_cfg() -> AgentConfig {
    cfg()
        .with_attach_as(AttachAs::Queen)
        .with_hold_connection(false)
}

#[test]
fn queen_role_without_holding_the_console_quits_each_cycle() {
    let q = GpuQueen::new();
    let mut buffers = Buffers::new();
    let a: Agent<'_, _, _> = agent_with(
        parking_cfg(),
        &q,
        &mut buffers,
        NullWorkload,
        TicketSecret::from_text("unused"),
    );
    park_each_cycle(&q, a);
}

#[test]
fn minimal_session_queen_role_without_holding_the_console_quits_each_cycle() {
    let q = GpuQueen::new();
    let mut buffers = Buffers::new();
    let a: MinimalAgent<'_, _, _> = agent_with(
        parking_cfg(),
        &q,
        &mut buffers,
        NullWorkload,
        TicketSecret::from_text("unused"),
    );
    park_each_cycle(&q, a);
}

fn park_each_cycle<const Q: usize, const WI: usize, const E: usize>(
    q: &Rc<RefCell<GpuQueen>>,
    mut a: Agent<'_, QueenLink, NullWorkload, { DEFAULT_CAPACITY }, Q, WI, E>,
) {
    q.borrow_mut().deny_worker_echo = true;
    block_on(async {
        q.borrow_mut().set_lease(ACTIVE);
        assert_eq!(a.cycle().await, Cycle::Ok);
        assert!(!a.is_attached(), "console released");
        q.borrow_mut().set_lease(RELEASED);
        assert_eq!(a.cycle().await, Cycle::Ok);
    });
    assert_eq!(q.borrow().status, vec![START.to_string(), exit(0)]);
    assert_eq!(q.borrow().quits, 2);
    assert!(q.borrow().subjects.is_empty(), "no ticket sent as queen");
    let s = a.stats();
    assert_eq!((s.attaches, s.disconnects, s.published), (2, 0, 2));
}

#[test]
fn minimal_agent_is_much_smaller() {
    // The point of `MinimalAgent`: the session no longer dominates the agent's RAM.
    let default = core::mem::size_of::<Agent<'static, QueenLink, NullWorkload>>();
    let minimal = core::mem::size_of::<MinimalAgent<'static, QueenLink, NullWorkload>>();
    println!("size_of: minimal {minimal} B, default {default} B");
    assert!(
        minimal + 4000 < default,
        "minimal {minimal} B vs default {default} B"
    );
}
