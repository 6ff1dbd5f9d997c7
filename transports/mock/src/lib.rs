//! Mock transports of mdl-proximity, for tests and for two-process interop without radios.
//!
//! - [`memory`]: an in-process [`pair`] of [`Transport`](mdl_transport::Transport)s
//!   carrying whole messages over tokio channels, with seeded, reproducible impairment
//!   ([`FaultConfig`]): drop, duplicate, reorder, truncate, corrupt, delay, cut the link. Delays
//!   and cuts run on tokio's clock, so `#[tokio::test(start_paused = true)]` tests need no real
//!   sleeps.
//! - [`tcp`]: the `GmDL`-framed TCP test transport of the Android identity-credential libraries
//!   (DESIGN.md §7), over the sans-IO [`codec`]; [`TcpConnector`] and [`TcpListener`] put it
//!   behind the link traits ([`mdl_transport::Connect`], [`mdl_transport::Listen`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod codec;
pub mod fault;
mod link;
pub mod memory;
pub mod tcp;

mod rng;

pub use codec::{GmdlCodec, GmdlError};
pub use fault::{AppliedFault, Endpoint, Fault, FaultConfig, Impairments, Tap, TapEntry};
pub use link::{TcpConnector, TcpListener};
pub use memory::{pair, MemoryConfig, MemoryTransport};
pub use tcp::TcpTransport;
