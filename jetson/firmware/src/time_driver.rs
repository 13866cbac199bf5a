//! A 1 kHz SysTick time driver for embassy-time (any Cortex-M; no vendor HAL needed).

use core::cell::{Cell, RefCell};
use core::task::Waker;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::SYST;
use cortex_m_rt::exception;
use critical_section::Mutex;
use embassy_time_driver::Driver;
use embassy_time_queue_utils::Queue;

struct SysTickDriver {
    ticks: Mutex<Cell<u64>>,
    queue: Mutex<RefCell<Queue>>,
}

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        critical_section::with(|cs| self.ticks.borrow(cs).get())
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let now = self.ticks.borrow(cs).get();
            let mut queue = self.queue.borrow_ref_mut(cs);
            if queue.schedule_wake(at, waker) {
                // Already due: let the queue fire it now rather than on the next tick.
                queue.next_expiration(now);
            }
        });
    }
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    ticks: Mutex::new(Cell::new(0)),
    queue: Mutex::new(RefCell::new(Queue::new())),
});

#[exception]
fn SysTick() {
    critical_section::with(|cs| {
        let ticks = DRIVER.ticks.borrow(cs);
        let now = ticks.get().wrapping_add(1);
        ticks.set(now);
        DRIVER.queue.borrow_ref_mut(cs).next_expiration(now);
    });
}

/// Starts SysTick at 1 kHz from a `core_hz` core clock.
pub fn init(mut syst: SYST, core_hz: u32) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload((core_hz / 1_000).saturating_sub(1));
    syst.clear_current();
    syst.enable_counter();
    syst.enable_interrupt();
}
