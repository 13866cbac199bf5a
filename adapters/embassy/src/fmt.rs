//! Crate-private logging macros: emit to `defmt` and/or `log` when those features are on
//! (both may be), and type-check but discard the arguments when neither is.

macro_rules! log_debug {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        defmt::debug!($($arg)*);
        #[cfg(feature = "log")]
        log::debug!($($arg)*);
        #[cfg(not(any(feature = "defmt", feature = "log")))]
        {
            let _ = || ::core::format_args!($($arg)*);
        }
    }};
}

macro_rules! log_warn {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        defmt::warn!($($arg)*);
        #[cfg(feature = "log")]
        log::warn!($($arg)*);
        #[cfg(not(any(feature = "defmt", feature = "log")))]
        {
            let _ = || ::core::format_args!($($arg)*);
        }
    }};
}

pub(crate) use {log_debug, log_warn};
