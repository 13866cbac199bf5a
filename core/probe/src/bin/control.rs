//! CONTROL probe: control payload encoders and decoders (`cohesix_core::control`), with
//! `serde-json-core` underneath, exercised on buffers the optimiser cannot see through.
#![no_std]
#![no_main]

use core::hint::black_box;

use cohesix_core::control::{
    GpuBreadcrumb, GpuLease, InlineRecord, LeaseEntry, LeaseRequest, ProcLine, QueenCtl,
    ScheduleRequest,
};

#[path = "../panic_probe.rs"]
mod panic_probe;

static mut RX: [u8; 256] = [0; 256];
static mut TX: [u8; 256] = [0; 256];

#[no_mangle]
pub extern "C" fn _start() -> ! {
    // SAFETY: single-threaded probe entry, no interrupts; each static is borrowed once here.
    let (rx, tx) = unsafe {
        (
            &mut *core::ptr::addr_of_mut!(RX),
            &mut *core::ptr::addr_of_mut!(TX),
        )
    };
    loop {
        let len = black_box(rx.len());
        let input = rx.get(..len).unwrap_or(&[]);
        // Encoders.
        let s = ScheduleRequest::new(black_box("sched-1"), black_box("worker-gpu"))
            .priority(black_box(6))
            .ticks(6)
            .budget_ms(180);
        black_box(s.encode(tx).ok());
        let l = LeaseRequest::grant(black_box("lease-1"), "queen", "gpu0", black_box(300));
        black_box(l.encode(tx).ok());
        black_box(
            GpuBreadcrumb::exit(black_box("echo ok"), black_box(0))
                .encode(tx)
                .ok(),
        );
        black_box(
            InlineRecord::new(1, "text/plain", black_box("a\"b"))
                .encode(tx)
                .ok(),
        );
        // Decoders.
        black_box(ScheduleRequest::decode(input).ok());
        black_box(LeaseRequest::decode(input).ok());
        black_box(QueenCtl::decode(input).ok());
        black_box(GpuLease::decode(input).ok());
        if let Ok(text) = core::str::from_utf8(input) {
            black_box(LeaseEntry::parse(text).ok());
        }
    }
}
