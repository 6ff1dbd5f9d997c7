//! Why a session failed (the close reason's error) and why a command was refused — two types,
//! because one names the peer or the clock and the other the caller — and the one function that
//! maps a failure to the status the peer is sent.

use crate::cbor::DecodeError;
use crate::crypto::CryptoError;
use crate::msg::SessionStatus;

/// Why a session failed: the peer's fault, the clock's, or an engagement this engine cannot
/// serve. Carried in [`CloseReason::Failed`](super::CloseReason::Failed); the session sent the
/// status of [`SessionError::status_to_send`] before closing.
///
/// [`SessionError::Decrypt`], [`SessionError::InvalidMessage`], [`SessionError::KeyAgreement`]
/// and [`SessionError::PeerMisbehaved`] are the peer's; [`SessionError::TimedOut`] is the
/// clock's; [`SessionError::Unsupported`] names what the engagement asked for;
/// [`SessionError::CounterExhausted`] and [`SessionError::Crypto`] are local.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// A message did not decrypt (wrong key, tampered, replayed).
    #[error("session encryption error")]
    Decrypt(#[source] CryptoError),
    /// This side's message counter ran out (2021 9.1.1.5: 2^32 messages); the session ends.
    #[error("session message counter exhausted")]
    CounterExhausted,
    /// The peer's ephemeral key is unusable (wrong curve, not on the curve, wrong size).
    #[error("peer ephemeral key unusable")]
    KeyAgreement(#[source] CryptoError),
    /// A session message (SessionEstablishment / SessionData) that is not valid CBOR of the right
    /// shape, or exceeds the limits.
    #[error("invalid session message")]
    InvalidMessage(#[source] DecodeError),
    /// A well-formed message that is not allowed now.
    #[error("peer misbehaved: {0}")]
    PeerMisbehaved(PeerMisbehaved),
    /// A deadline passed (2021 9.1.1.4 / 2nd ed. 12.2.5 time-outs).
    #[error("timed out")]
    TimedOut,
    /// The engagement asks for something this engine does not do.
    #[error("unsupported: {0}")]
    Unsupported(Unsupported),
    /// A local cryptographic failure (e.g. deriving a public key on an unsupported curve).
    #[error("local cryptographic failure")]
    Crypto(#[source] CryptoError),
}

/// A well-formed message the peer was not allowed to send at that point (2021 9.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PeerMisbehaved {
    /// The holder sent a DeviceResponse (SessionData with data) that answers no request: before
    /// the reader's first request, or more responses than requests (2021 9.1.1.4: the mdoc only
    /// answers requests).
    #[error("the holder sent a response to no request")]
    UnsolicitedResponse,
}

/// Something an engagement asks for that this engine does not implement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unsupported {
    /// A cipher suite other than 1 (2021 9.1.5.2), with the identifier received.
    #[error("cipher suite {0} (only 1 is defined)")]
    CipherSuite(i64),
}

impl SessionError {
    /// The status this engine sends the peer before closing, per 2021 9.1.1.4 / 2nd ed. 12.2.5:
    /// 10 for session encryption errors, 11 for undecodable session messages, 20 (termination)
    /// for everything else that ends a session.
    ///
    /// This is the only place errors become wire statuses.
    pub fn status_to_send(&self) -> Option<SessionStatus> {
        match self {
            Self::Decrypt(_) | Self::KeyAgreement(_) => Some(SessionStatus::ENCRYPTION_ERROR),
            Self::InvalidMessage(_) => Some(SessionStatus::DECODING_ERROR),
            Self::PeerMisbehaved(_)
            | Self::TimedOut
            | Self::Unsupported(_)
            | Self::Crypto(_)
            | Self::CounterExhausted => Some(SessionStatus::SESSION_TERMINATION),
        }
    }
}

/// Why a command (`respond`, `request`, `set_handover`, …) was refused: the caller's mistake or
/// a session that is no longer open. A refused command changes nothing and sends nothing,
/// except [`CommandError::CounterExhausted`], which ends the session (its
/// [`CloseReason`](super::CloseReason) says so).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The session is closed.
    #[error("session is closed")]
    Closed,
    /// No session keys yet: the holder has received no request.
    #[error("session not established (no request received yet)")]
    NotEstablished,
    /// This side's message counter ran out; the session has closed.
    #[error("session message counter exhausted")]
    CounterExhausted,
    /// The session transcript is fixed (after SessionEstablishment); the handover cannot change.
    #[error("the session transcript is already fixed")]
    TranscriptFixed,
    /// The engagement given to a new holder session does not carry its EDeviceKey.
    #[error("the engagement does not carry this EDeviceKey")]
    EngagementKeyMismatch,
    /// A local cryptographic failure (the ephemeral key's public half could not be derived).
    #[error("local cryptographic failure")]
    Crypto(#[source] CryptoError),
}
