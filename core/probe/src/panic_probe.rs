//! The probes' shared panic handler. Without `locate-panics` it calls a deliberately
//! undefined symbol, so linking fails if any panic path of the exercised code survives
//! optimisation; with it, panics spin so the surviving site can be found with a disassembler.

#[cfg(not(feature = "locate-panics"))]
extern "C" {
    /// Deliberately undefined: referenced only from the panic handler.
    fn cohesix_core_probe_panic_path_survived() -> !;
}

#[cfg(not(feature = "locate-panics"))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: never defined; if this call survives, linking fails (the point of the probe).
    unsafe { cohesix_core_probe_panic_path_survived() }
}

#[cfg(feature = "locate-panics")]
#[panic_handler]
#[inline(never)]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::black_box(());
    }
}
