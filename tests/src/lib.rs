//! Cross-crate and interop tests (in progress)
