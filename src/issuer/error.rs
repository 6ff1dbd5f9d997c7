//! Errors of the test issuer.

use crate::cbor::DecodeError;
use crate::crypto::CryptoError;

/// Why a certificate, an mdoc or a credential could not be made or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// A key operation failed (signing, an unsupported curve, a bad private key).
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// ASN.1 encoding or decoding of a certificate failed.
    #[error("certificate encoding: {0}")]
    Der(#[from] der::Error),
    /// The caller's input does not fit the profile (e.g. a country that is not two letters).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A credential file is not valid CBOR of the documented shape.
    #[error("credential file: {0}")]
    Decode(#[from] DecodeError),
}
