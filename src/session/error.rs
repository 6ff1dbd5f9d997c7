//! Session errors and the one function that maps them to the status a peer is sent.

use crate::cbor::DecodeError;
use crate::crypto::CryptoError;
use crate::msg::SessionStatus;

/// Why a session failed or a command was refused.
///
/// The variants say whose fault it was: [`SessionError::Decrypt`],
/// [`SessionError::InvalidMessage`], [`SessionError::KeyAgreement`] and
/// [`SessionError::PeerMisbehaved`] are the peer's; [`SessionError::TimedOut`] is the clock's;
/// the rest are local.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// A message did not decrypt (wrong key, tampered, replayed) — or our own counter ran out.
    #[error("session encryption error")]
    Decrypt(#[source] CryptoError),
    /// The peer's ephemeral key is unusable (wrong curve, not on the curve, wrong size).
    #[error("peer ephemeral key unusable")]
    KeyAgreement(#[source] CryptoError),
    /// A session message (SessionEstablishment / SessionData) that is not valid CBOR of the right
    /// shape, or exceeds the limits.
    #[error("invalid session message")]
    InvalidMessage(#[source] DecodeError),
    /// A well-formed message that is not allowed now.
    #[error("peer misbehaved: {0}")]
    PeerMisbehaved(&'static str),
    /// A deadline passed (2021 9.1.1.4 / 2nd ed. 12.2.5 time-outs).
    #[error("timed out")]
    TimedOut,
    /// The engagement asks for something this engine does not do (e.g. an unknown cipher suite).
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// A local cryptographic failure (e.g. generating a key on an unsupported curve).
    #[error("local cryptographic failure")]
    Crypto(#[source] CryptoError),
    /// The command needs an open session, and this one is closed.
    #[error("session is closed")]
    Closed,
    /// The command is not valid in the session's current state (caller's mistake).
    #[error("not allowed now: {0}")]
    InvalidState(&'static str),
}

impl SessionError {
    /// The status this engine sends the peer before closing, per 2021 9.1.1.4 / 2nd ed. 12.2.5:
    /// 10 for session encryption errors, 11 for undecodable session messages, 20 (termination)
    /// for everything else that ends a session; `None` for local mistakes that change nothing.
    ///
    /// This is the only place errors become wire statuses.
    pub fn status_to_send(&self) -> Option<SessionStatus> {
        match self {
            Self::Decrypt(_) | Self::KeyAgreement(_) => Some(SessionStatus::ENCRYPTION_ERROR),
            Self::InvalidMessage(_) => Some(SessionStatus::DECODING_ERROR),
            Self::PeerMisbehaved(_) | Self::TimedOut | Self::Unsupported(_) | Self::Crypto(_) => {
                Some(SessionStatus::SESSION_TERMINATION)
            }
            Self::Closed | Self::InvalidState(_) => None,
        }
    }
}
