//! Client footprint probe: the minimal session (`MinimalSession` = `Session<1, 2, 6>`, which
//! owns the 256-byte frame decoder) with 260-byte receive and transmit buffers, reply
//! classification and request rendering, as an embedded client links them. All state lives
//! in statics so `.data + .bss` is the static RAM footprint (budget: 2 KiB).
#![no_std]
#![no_main]

use core::hint::black_box;

use cohesix_core::request::Request;
use cohesix_core::role::Role;
use cohesix_core::session::{Config, Credentials, Event, MinimalSession, TRANSMIT_BUF_LEN};

#[path = "../panic_probe.rs"]
mod panic_probe;

/// Receive buffer (one TCP MSS-ish chunk of an embedded stack).
static mut RX: [u8; 260] = [0; 260];
/// Transmit buffer: one frame.
static mut TX: [u8; TRANSMIT_BUF_LEN] = [0; TRANSMIT_BUF_LEN];
/// The session lives in `.bss` (zeroed, written at start) via `Option`.
static mut SESSION: Option<MinimalSession> = None;

#[no_mangle]
pub extern "C" fn _start() -> ! {
    // SAFETY: single-threaded probe entry, no interrupts; each static is borrowed once here.
    let (rx, tx, slot) = unsafe {
        (
            &mut *core::ptr::addr_of_mut!(RX),
            &mut *core::ptr::addr_of_mut!(TX),
            &mut *core::ptr::addr_of_mut!(SESSION),
        )
    };
    let token = black_box("changeme");
    let Ok(creds) = Credentials::new(token, Role::Queen, None) else {
        halt()
    };
    let Ok(session) = MinimalSession::new_with_queue(Config::new(), creds) else {
        halt()
    };
    let s = slot.insert(session);
    let mut now = 0u64;
    loop {
        now = now.wrapping_add(black_box(1));
        while let Some(n) = s.poll_transmit(now, tx) {
            black_box(tx.get(..n));
        }
        let len = black_box(rx.len());
        let mut off = 0usize;
        while off < len {
            let used = s.handle_input(now, rx.get(off..len).unwrap_or(&[]));
            off = off.saturating_add(used);
            while let Some(ev) = s.poll_event() {
                if let Event::Data { line, .. } = ev {
                    black_box(line);
                }
            }
            if used == 0 {
                break;
            }
        }
        if let Some(deadline) = s.poll_timeout() {
            s.handle_timeout(deadline);
        }
        if let Ok(req) = Request::cat(black_box("/proc/lifecycle/state")) {
            let _ = s.send(&req);
        }
        if black_box(false) {
            s.handle_close();
            let _ = s.reconnect();
        }
    }
}

fn halt() -> ! {
    loop {
        black_box(());
    }
}
