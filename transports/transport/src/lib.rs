//! The message-oriented transport trait of mdl-proximity.
//!
//! ISO/IEC 18013-5 data retrieval exchanges whole messages (SessionEstablishment, SessionData);
//! each transport (BLE, NFC, the mocks) frames them its own way (BLE chunks, L2CAP length prefix,
//! APDU chaining, TCP `GmDL` records). A [`Transport`] hides that framing: it carries one complete
//! message per call, and reports the transport-specific end of a session (BLE State `0x02`,
//! a closed socket) as [`Incoming::End`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::future::Future;

mod carrier;
mod link;

pub use carrier::{
    BleAddress, BleCarrier, BleMode, BleUuid, Carrier, CarrierKind, NfcCarrier, SessionBinding,
    TcpCarrier,
};
pub use link::{Connect, Listen};

/// What a transport delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// One complete message, as the peer sent it.
    Message(Vec<u8>),
    /// The peer ended the session by the transport's own means (2021 9.1.1.4: e.g. BLE State
    /// characteristic `0x02`, or the TCP test transport's orderly close).
    End,
}

/// Why a transport failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The link went away without an orderly end (BLE disconnect, NFC field lost, reset socket).
    /// 18013-5 does not reconnect: this ends the transaction.
    #[error("link lost")]
    LinkLost,
    /// A message larger than the transport or the peer accepts.
    #[error("message of {size} bytes exceeds the limit of {limit} bytes")]
    MessageTooLarge {
        /// Size of the message.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The peer's framing is broken (bad chunk header, bad length prefix, bad APDU).
    #[error("framing error: {0}")]
    Framing(String),
    /// The transport was already closed.
    #[error("transport closed")]
    Closed,
    /// Nothing arrived within the transport's own time limit.
    #[error("timed out")]
    TimedOut,
    /// An operating-system I/O error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A radio backend error (BlueZ, PC/SC, libnfc), with the backend's message.
    #[error("{backend}: {message}")]
    Backend {
        /// Which backend.
        backend: &'static str,
        /// The backend's description.
        message: String,
    },
}

/// A bidirectional channel carrying whole 18013-5 messages between holder and reader.
///
/// Implementations must deliver messages in order and whole (or fail with a [`TransportError`]);
/// they never interpret the bytes. The session engine above decides what is sent and when.
pub trait Transport: Send {
    /// Sends one complete message.
    fn send(&mut self, message: &[u8]) -> impl Future<Output = Result<(), TransportError>> + Send;

    /// Waits for the next message or the peer's transport-specific end.
    fn receive(&mut self) -> impl Future<Output = Result<Incoming, TransportError>> + Send;

    /// Sends the transport-specific session end (2021 9.1.1.4: BLE State `0x02`, the GATT
    /// server's notification of it, an L2CAP close) without releasing the link. Transports with
    /// no such signal (NFC, whose end is SessionData status 20; the TCP test transport) keep
    /// this default, which does nothing.
    fn end(&mut self) -> impl Future<Output = Result<(), TransportError>> + Send {
        async { Ok(()) }
    }

    /// Ends the session by the transport's own means and releases the link.
    fn close(&mut self) -> impl Future<Output = Result<(), TransportError>> + Send;

    /// The largest message this transport carries, in bytes.
    fn max_message_size(&self) -> usize {
        usize::MAX
    }
}
