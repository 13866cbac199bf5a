//! Cohesix console protocol core: sans-IO, `no_std`, allocation-free, panic-free.
#![no_std]
#![forbid(unsafe_code)]

pub mod error;
pub mod frame;
pub mod path;
pub mod request;
pub mod command;
pub mod reply;
pub mod ticket;
pub mod session;
