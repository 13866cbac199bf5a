//! The session allocates nothing: a counting global allocator watches a full session (AUTH,
//! ATTACH, 100 commands of every reply shape, QUIT) driven through the in-memory queen.
//!
//! Only allocations made on the test's own thread while the counter is armed are counted
//! (thread-local counters), so the harness's and other tests' threads cannot disturb it.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use cohesix_core::request::Request;
use cohesix_core::role::Role;
use cohesix_core::session::testkit::{Pair, Server, ServerConfig, TOKEN};
use cohesix_core::session::{Config, Credentials, Event, Session};

struct Counting;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    if ARMED.try_with(Cell::get).unwrap_or(false) {
        let _ = ALLOCS.try_with(|n| n.set(n.get() + 1));
    }
}

fn allocs() -> usize {
    ALLOCS.with(Cell::get)
}

// SAFETY: every call is forwarded unchanged to the system allocator; the wrapper only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Default, Debug, PartialEq, Eq)]
struct Tally {
    authenticated: u32,
    attached: u32,
    session_acks: u32,
    acks: u32,
    data: u32,
    ok: u32,
    other: u32,
    closed_clean: u32,
}

fn run() -> Tally {
    let creds =
        Credentials::new(TOKEN, Role::Queen, None).unwrap_or_else(|_| std::process::abort());
    let session = Session::new(Config::new().with_max_in_flight(8), creds)
        .unwrap_or_else(|_| std::process::abort());
    let mut p = Pair::new(session, Server::new(ServerConfig::new()));
    let mut t = Tally::default();
    let mut on = |e: Event<'_>| match e {
        Event::Authenticated => t.authenticated += 1,
        Event::Attached { .. } => t.attached += 1,
        // `OK ATTACH role=queen` and `OK QUIT`, borrowed from the receive buffer.
        Event::SessionAck { ack, .. } => t.session_acks += u32::from(ack.raw.starts_with("OK ")),
        Event::Ack { .. } => t.acks += 1,
        Event::Data { line, .. } => {
            // Touch the borrowed line so it is really read.
            t.data += u32::from(!line.is_empty());
        }
        Event::Completed(c) if c.outcome.is_ok() => t.ok += 1,
        Event::Closed { error: None } => t.closed_clean += 1,
        _ => t.other += 1,
    };
    p.drive(&mut on);
    let requests = [
        Request::Ls { path: "/" },
        Request::Cat {
            path: "/proc/lifecycle/state",
        },
        Request::Ping,
        Request::Echo {
            path: "/log/queen.log",
            payload: "zero-alloc",
        },
        Request::Tail {
            path: "/log/queen.log",
        },
        Request::Help,
        Request::Spawn {
            payload: "{\"spawn\":\"heartbeat\",\"ticks\":3}",
        },
        Request::Cat {
            path: "/log/queen.log",
        },
    ];
    let mut sent = 0usize;
    while sent < 100 {
        // Keep up to 8 queued; drive between bursts.
        for r in requests.iter().cycle().skip(sent).take(8.min(100 - sent)) {
            if p.client.send(r).is_err() {
                break;
            }
            sent += 1;
        }
        p.drive(&mut on);
    }
    p.advance(15_000, &mut on); // one heartbeat
    let _ = p.client.quit();
    p.drive(&mut on);
    t
}

#[test]
fn full_session_allocates_nothing() {
    ARMED.with(|a| a.set(true));
    let tally = run();
    ARMED.with(|a| a.set(false));
    let allocs = allocs();
    assert_eq!(allocs, 0, "session allocated {allocs} times");
    assert_eq!(tally.authenticated, 1);
    assert_eq!(tally.attached, 1);
    assert_eq!(tally.session_acks, 2, "{tally:?}");
    assert_eq!(tally.ok, 100, "{tally:?}");
    assert_eq!(tally.other, 0, "{tally:?}");
    assert_eq!(tally.closed_clean, 1);
    assert!(tally.data >= 100, "{tally:?}");
}

/// Encodes and decodes one payload of every control family; returns the bytes produced.
fn control_round() -> usize {
    use cohesix_core::control::*;
    let mut buf = [0u8; 512];
    let mut total = 0usize;
    let mut note = |n: Result<usize, ControlError>| {
        total += n.unwrap_or_else(|_| std::process::abort());
    };
    let s = ScheduleRequest::new("sched-edge-1", "worker-gpu")
        .priority(6)
        .ticks(6)
        .budget_ms(180);
    let n = s.encode(&mut buf).unwrap_or(0);
    note(ScheduleRequest::decode(&buf[..n]).map(|d| n + d.ticks as usize));
    let l = LeaseRequest::grant("lease-edge-1", "queen", "gpu0", 300).priority(6);
    let n = l.encode(&mut buf).unwrap_or(0);
    note(LeaseRequest::decode(&buf[..n]).map(|d| d.ttl_s.unwrap_or(0) as usize));
    note(ExportRequest::open("exp-1", 60).encode(&mut buf));
    note(ApprovalRequest::approve("a-1", "/queen/ctl").encode(&mut buf));
    let t = HostTicket::new("t-1", "k-1", "gpu.lease.grant")
        .arg("gpu_id", "GPU-0")
        .arg("ttl_s", 60u32);
    let n = t.encode(&mut buf).unwrap_or(0);
    note(HostTicket::decode(&buf[..n]).map(|d| d.args.len()));
    let k = K8sRbacIntent::new("intent-1", "ops", "edge-a", "node-1", K8sVerb::Drain).ticket();
    note(k.and_then(|k| k.encode(&mut buf)));
    let q = QueenCtl::spawn_gpu(GpuLeaseSpec::new("GPU-0", 4096, 1, 120))
        .with_budget(Budget::new().ops(64));
    let n = q.encode(&mut buf).unwrap_or(0);
    note(QueenCtl::decode(&buf[..n]).map(|_| 1));
    let n = GpuLease::active("GPU-0", "worker-1")
        .encode(&mut buf)
        .unwrap_or(0);
    note(GpuLease::decode(&buf[..n]).map(|d| d.mem_mb as usize));
    let n = GpuBreadcrumb::exit("sh -c \"x\"", 1)
        .encode(&mut buf)
        .unwrap_or(0);
    note(GpuBreadcrumb::decode(&buf[..n]).and_then(|d| d.command.len()));
    let n = InlineRecord::new(1, "text/plain", "a\"b\n\u{e9}")
        .encode(&mut buf)
        .unwrap_or(0);
    note(InlineRecord::decode(&buf[..n]).and_then(|d| d.payload.len()));
    note(
        ReferenceRecord {
            seq: 1,
            off: 0,
            len: 3,
            sha256: Sha256Digest([7; 32]),
        }
        .encode(&mut buf),
    );
    note(
        LeaseEntry::parse("id=l subject=s resource=r ttl_s=1 priority=2 state=ACTIVE seq=3")
            .and_then(|e| e.encode(&mut buf)),
    );
    total
}

#[test]
fn control_payloads_allocate_nothing() {
    ARMED.with(|a| a.set(true));
    let bytes = control_round();
    ARMED.with(|a| a.set(false));
    assert_eq!(allocs(), 0, "control payloads allocated {} times", allocs());
    assert!(bytes > 500, "{bytes}");
}

#[test]
fn the_counter_counts() {
    ARMED.with(|a| a.set(true));
    let v = std::hint::black_box(vec![1u8; 16]);
    ARMED.with(|a| a.set(false));
    drop(v);
    assert!(allocs() >= 1);
}
