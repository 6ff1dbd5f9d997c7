//! The one error type of the crypto boundary.

use super::Curve;

/// What went wrong in a cryptographic operation. Every variant names the culprit: a curve, an
/// algorithm, a key, or the peer's data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The curve is unknown, not valid for this operation (e.g. Ed25519 for key agreement), or
    /// needs a backend this build does not have (brainpoolP320r1/P512r1 without `openssl`).
    #[error("curve {0} is not supported for this operation")]
    UnsupportedCurve(Curve),
    /// The algorithm is unknown, or does not fit the key's curve (e.g. ES256 with a P-384 key).
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// A public key is unusable: wrong key type, wrong coordinate length, not on the curve,
    /// the identity, or a low-order point.
    #[error("invalid {curve} public key: {reason}")]
    InvalidPublicKey {
        /// The curve the key claims or was expected to be on.
        curve: Curve,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A private key is unusable: wrong length, zero, or not below the group order.
    #[error("invalid {curve} private key: {reason}")]
    InvalidPrivateKey {
        /// The curve.
        curve: Curve,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The peer's key is on a different curve than ours (2021 9.1.5.2: EReaderKey uses the
    /// curve of EDeviceKey).
    #[error("curve mismatch: our key is on {ours}, the peer's on {theirs}")]
    CurveMismatch {
        /// Our key's curve.
        ours: Curve,
        /// The peer key's curve.
        theirs: Curve,
    },
    /// AES-256-GCM authentication failed: wrong key or IV (counter), or tampered data.
    #[error("session decryption failed (authentication tag mismatch)")]
    Decrypt,
    /// AES-256-GCM refused to encrypt (message too long for GCM).
    #[error("session encryption failed (message too long)")]
    Encrypt,
    /// The 32-bit message counter of one direction is used up (2021 9.1.1.5: never reuse an IV).
    #[error("session message counter exhausted")]
    CounterExhausted,
    /// A signature does not verify, or is malformed (wrong length, bad DER).
    #[error("signature verification failed")]
    InvalidSignature,
    /// A MAC tag does not verify.
    #[error("MAC verification failed")]
    InvalidMac,
    /// A COSE structure lacks something this operation needs, or has it in the wrong form.
    #[error("malformed COSE structure: {0}")]
    MalformedCose(&'static str),
    /// A certificate could not be decoded or uses something unsupported.
    #[error("certificate: {0}")]
    Certificate(String),
    /// An external signer (HSM, secure element) failed.
    #[error("signer failed: {0}")]
    Signer(String),
    /// The cryptographic backend (OpenSSL) failed unexpectedly.
    #[error("crypto backend failed: {0}")]
    Backend(String),
}
