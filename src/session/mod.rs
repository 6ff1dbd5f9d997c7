//! What both session roles share: the data retrieval phase of 18013-5, sans IO.
//!
//! The role state machines live with their role ([`crate::holder::HolderSession`],
//! [`crate::reader::ReaderSession`]) and are re-exported here; this module holds what they have
//! in common: the [`Session`] trait, its [`Input`] and [`Output`], [`CloseReason`], the errors and
//! the time-outs.
//!
//! # The run loop
//!
//! A session never performs I/O, reads a clock or sleeps. Its driver (the tokio one in
//! `mdl_proximity::driver`, or your own) follows one contract:
//!
//! 1. Feed every input to [`Session::handle_input`]: [`Input::Message`] for each message from
//!    the transport, [`Input::TransportEnded`] / [`Input::TransportLost`] when the transport
//!    ends, and [`Input::Timeout`] when the instant of [`Session::poll_timeout`] passes.
//! 2. After any input or command (`request`, `respond`, `terminate`), drain
//!    [`Session::poll_output`] until it returns [`Output::Timeout`] (wait for input or that
//!    instant) or [`Output::Done`] (the session is over: close the transport).
//!    [`Output::Transmit`] goes to the transport in order; [`Output::Event`] goes to the
//!    application.
//!
//! ```no_run
//! # use mdl_proximity::session::{HolderSession, HolderEvent, Input, Output, Session};
//! # fn send(_: Vec<u8>) {}
//! # fn wait_for_input_until(_: std::time::Instant) -> Option<Vec<u8>> { None }
//! # fn run(mut session: HolderSession) {
//! loop {
//!     let deadline = loop {
//!         match session.poll_output() {
//!             Output::Transmit(bytes) => send(bytes),
//!             Output::Event(HolderEvent::Request(req)) => { /* consent, then session.respond(..) */ }
//!             Output::Event(_) => {}
//!             Output::Timeout(at) => break at,
//!             Output::Done => return,
//!         }
//!     };
//!     let now = std::time::Instant::now(); // the driver reads the clock, never the session
//!     match wait_for_input_until(deadline) {
//!         Some(bytes) => session.handle_input(Input::Message(now, &bytes)),
//!         None => session.handle_input(Input::Timeout(now)),
//!     }
//! }
//! # }
//! ```
//!
//! Commands a session refuses return a [`CommandError`] (the caller's mistake, or a closed
//! session); failures that end a session are a [`SessionError`] in [`CloseReason::Failed`].
//! Errors become wire statuses in exactly one place, [`SessionError::status_to_send`]: a message
//! that does not decrypt gets status 10 and the session closes; an undecodable session message
//! gets 11 and closes; a request that decrypts but does not decode or validate gets a
//! DeviceResponse with status 11 or 12 and the session goes on; a peer's status closes the
//! session without a reply.

mod error;
mod io;

pub use error::{CommandError, PeerMisbehaved, SessionError, Unsupported};
pub(crate) use io::Outbox;
pub use io::{CloseReason, Input, Output, Session, Timeouts};

// The role state machines live in their role's folder; re-exported here so that one `use`
// brings in a session and the outputs it is drained through.
pub use crate::holder::{HolderConfig, HolderEvent, HolderSession, RequestReceived};
pub use crate::reader::{
    ReaderConfig, ReaderEvent, ReaderSession, ResponseReceived, Termination, CIPHER_SUITE_1,
};

#[cfg(test)]
mod tests;
