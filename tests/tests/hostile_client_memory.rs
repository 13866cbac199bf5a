//! Class: stream replies have a memory bound. A counting allocator in this test binary
//! measures what the client holds while a peer floods it with one-byte data lines.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use cohesix_testsupport::frame;
use cohesix_testsupport::scripted::{accept_attached, listener, read_line, send_lines};
use cohesix_tokio::{ClientConfig, ClientError, Console, Credentials, Request, Role};
use tokio::io::AsyncWriteExt;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts bytes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const MIB: usize = 1024 * 1024;

/// 10 MB of one-byte lines: the collected reply fails with `ResourceExhausted` at the 4 MiB
/// default budget, the client's heap stays within a few MiB of that, and the connection
/// is still in step afterwards. A streamed read (2 MB of such lines) sees every line with
/// a heap bounded by the stream channel. 12 MB without `END`: memory stays bounded and the
/// request ends by itself (per-line deadline once the peer goes silent).
#[test]
fn floods_of_one_byte_lines_stay_within_the_budget() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (l, addr) = listener().await;
        // A one-byte line is 5 bytes on the wire and costs 5 bytes of budget.
        let lines_10mb = 10 * MIB / 5;
        let lines_2mb = 2 * MIB / 5;
        let lines_4mib = 4 * MIB / 5;
        let peer = tokio::spawn(async move {
            let mut s = accept_attached(&l).await;
            let one = frame(b"x");
            let mut burst = Vec::with_capacity(8 * MIB);
            for lines in [lines_10mb, 0, lines_2mb] {
                let req = read_line(&mut s).await.unwrap();
                assert!(req == "CAT /big" || req == "PING", "{req}");
                if req == "PING" {
                    send_lines(&mut s, &["OK PING reply=pong", "PONG"]).await;
                    continue;
                }
                burst.clear();
                burst.extend(frame(b"OK CAT path=/big data=x"));
                s.write_all(&burst).await.unwrap();
                let mut sent = 0;
                while sent < lines {
                    burst.clear();
                    for _ in 0..(64 * 1024).min(lines - sent) {
                        burst.extend_from_slice(&one);
                    }
                    sent += burst.len() / one.len();
                    s.write_all(&burst).await.unwrap();
                }
                s.write_all(&frame(b"END")).await.unwrap();
            }
            // Three budgets' worth without END, then silence (the client gives up itself).
            let req = read_line(&mut s).await.unwrap();
            assert_eq!(req, "CAT /big");
            s.write_all(&frame(b"OK CAT path=/big data=x"))
                .await
                .unwrap();
            let mut sent = 0;
            while sent < 3 * lines_4mib {
                burst.clear();
                for _ in 0..64 * 1024 {
                    burst.extend_from_slice(&one);
                }
                sent += 64 * 1024;
                if s.write_all(&burst).await.is_err() {
                    break;
                }
            }
            s
        });
        let c = Console::connect(
            addr.to_string(),
            Credentials::new("changeme", Role::Queen, None).unwrap(),
            ClientConfig::new()
                .with_op_timeout(Duration::from_secs(1))
                .with_request_timeout(Duration::from_secs(20))
                .with_heartbeat(None),
        )
        .unwrap();
        c.ready().await.unwrap();
        let base = LIVE.load(Ordering::SeqCst);
        PEAK.store(base, Ordering::SeqCst);
        let err = match c.cat("/big").await {
            Ok(r) => panic!("a reply of {} lines fit the budget", r.lines.len()),
            Err(e) => e,
        };
        assert!(
            matches!(err, ClientError::ResourceExhausted { limit } if limit == 4 * MIB),
            "{err:?}"
        );
        let grew = PEAK.load(Ordering::SeqCst).saturating_sub(base);
        assert!(grew < 12 * MIB, "the client held {} MiB", grew / MIB);
        c.ping().await.unwrap();

        // Streamed: every line, bounded memory.
        PEAK.store(LIVE.load(Ordering::SeqCst), Ordering::SeqCst);
        let base = LIVE.load(Ordering::SeqCst);
        let mut s = c.stream(Request::cat("/big").unwrap()).await.unwrap();
        let mut n = 0usize;
        while let Some(line) = s.next_line().await.unwrap() {
            assert_eq!(line, "x");
            n += 1;
        }
        assert_eq!(n, lines_2mb);
        let grew = PEAK.load(Ordering::SeqCst).saturating_sub(base);
        assert!(grew < 4 * MIB, "streaming held {} MiB", grew / MIB);

        // 40 MB, no END: bounded, and the request ends (budget first, deadline at worst).
        PEAK.store(LIVE.load(Ordering::SeqCst), Ordering::SeqCst);
        let base = LIVE.load(Ordering::SeqCst);
        let err = match c.cat("/big").await {
            Ok(r) => panic!("an endless reply of {} lines completed", r.lines.len()),
            Err(e) => e,
        };
        assert!(
            matches!(
                err,
                ClientError::Timeout { .. } | ClientError::ResourceExhausted { .. }
            ),
            "{err:?}"
        );
        let grew = PEAK.load(Ordering::SeqCst).saturating_sub(base);
        assert!(grew < 12 * MIB, "the client held {} MiB", grew / MIB);
        drop(peer);
    });
}
