//! Why BLE data retrieval failed, naming the culprit.

use mdl_transport::TransportError;

use crate::chunk::ChunkError;
use crate::l2cap::{L2capError, PsmError};

/// Whose fault an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Culprit {
    /// The peer sent something the standard forbids, or nothing when it had to.
    Peer,
    /// The radio link or the local Bluetooth stack.
    Link,
    /// This side's configuration or call order.
    Local,
}

/// A BLE data-retrieval error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BleError {
    /// The peer's chunks are malformed (GATT).
    #[error("peer's GATT chunks: {0}")]
    Chunk(#[from] ChunkError),
    /// The peer's L2CAP framing is malformed.
    #[error("peer's L2CAP framing: {0}")]
    L2cap(#[from] L2capError),
    /// The peer's L2CAP PSM characteristic is unusable.
    #[error("peer's L2CAP PSM: {0}")]
    Psm(#[from] PsmError),
    /// The reader's Ident is not the one our engagement implies: not the reader we engaged
    /// with (2021 8.3.3.1.1.4: the mdoc terminates).
    #[error("reader's Ident {received:02x?} differs from the expected {expected:02x?}")]
    IdentMismatch {
        /// Ident derived from our EDeviceKey.
        expected: [u8; 16],
        /// What the reader served.
        received: Vec<u8>,
    },
    /// The peer wrote or notified a State value that is neither start nor end.
    #[error("peer sent State value {0:#04x}")]
    UnknownState(u8),
    /// The peer sent a State value of the wrong length.
    #[error("peer sent a State value of {0} bytes, expected 1")]
    StateLength(usize),
    /// The peer sent data before starting the session with State `0x01`.
    #[error("peer sent data before writing State 0x01 (start)")]
    DataBeforeStart,
    /// The connected GATT client never wrote State `0x01` within the start deadline.
    #[error("peer connected but never wrote State 0x01 within the deadline")]
    StartTimeout,
    /// The link dropped after the session started (no reconnect: the transaction is over).
    #[error("BLE link lost{}", if *.mid_message { " in the middle of a message" } else { "" })]
    LinkLost {
        /// A message was partly received when it dropped.
        mid_message: bool,
    },
    /// The session already ended; nothing more can be sent.
    #[error("the BLE session has ended")]
    Ended,
    /// The session has not started yet.
    #[error("the BLE session has not started")]
    NotStarted,
    /// No Bluetooth adapter of that name (or none at all).
    #[error("no Bluetooth adapter {0}")]
    AdapterMissing(String),
    /// The adapter exists but is powered off.
    #[error("Bluetooth adapter {0} is powered off")]
    AdapterOff(String),
    /// No peer advertising the service UUID appeared within the scan time.
    #[error("no peer advertising {uuid} within {seconds} s")]
    PeerNotFound {
        /// The UUID scanned for.
        uuid: String,
        /// The scan time.
        seconds: u64,
    },
    /// The peer's service lacks a characteristic 18013-5 requires.
    #[error("peer's service lacks the {0} characteristic")]
    MissingCharacteristic(&'static str),
    /// The carrier cannot be served by this side (kind, mode, missing UUID).
    #[error("unsupported carrier: {0}")]
    UnsupportedCarrier(&'static str),
    /// Nothing happened within a deadline.
    #[error("timed out {0}")]
    TimedOut(&'static str),
    /// A BlueZ / D-Bus / socket error, with its message.
    #[error("{backend}: {message}")]
    Backend {
        /// Which backend.
        backend: &'static str,
        /// What it said.
        message: String,
    },
}

impl BleError {
    /// Whose fault this is.
    pub fn culprit(&self) -> Culprit {
        match self {
            Self::Chunk(_)
            | Self::L2cap(_)
            | Self::Psm(_)
            | Self::IdentMismatch { .. }
            | Self::UnknownState(_)
            | Self::StateLength(_)
            | Self::DataBeforeStart
            | Self::StartTimeout
            | Self::MissingCharacteristic(_) => Culprit::Peer,
            Self::LinkLost { .. }
            | Self::PeerNotFound { .. }
            | Self::TimedOut(_)
            | Self::Backend { .. } => Culprit::Link,
            Self::Ended
            | Self::NotStarted
            | Self::AdapterMissing(_)
            | Self::AdapterOff(_)
            | Self::UnsupportedCarrier(_) => Culprit::Local,
        }
    }
}

impl From<BleError> for TransportError {
    fn from(e: BleError) -> Self {
        match e {
            BleError::LinkLost { .. } => TransportError::LinkLost,
            BleError::Ended => TransportError::Closed,
            BleError::StartTimeout | BleError::TimedOut(_) | BleError::PeerNotFound { .. } => {
                TransportError::TimedOut
            }
            BleError::Chunk(ChunkError::MessageTooLarge { limit }) => {
                TransportError::MessageTooLarge {
                    size: limit + 1,
                    limit,
                }
            }
            BleError::L2cap(L2capError::TooLarge { declared, limit }) => {
                TransportError::MessageTooLarge {
                    size: usize::try_from(declared).unwrap_or(usize::MAX),
                    limit,
                }
            }
            BleError::Chunk(_)
            | BleError::UnknownState(_)
            | BleError::StateLength(_)
            | BleError::DataBeforeStart => TransportError::Framing(e.to_string()),
            other => TransportError::Backend {
                backend: "ble",
                message: other.to_string(),
            },
        }
    }
}
