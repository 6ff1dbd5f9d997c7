//! Cryptography of 18013-5 behind one boundary: curves, COSE keys, key agreement, session
//! encryption, MACs and signatures.
//!
//! Randomness is always an argument (`&mut impl rand_core::CryptoRng`); nothing here reads the
//! operating system's RNG. Secrets are zeroized on drop, are neither `Clone` nor serializable,
//! and print as `<redacted>`.

mod ble_ident;
mod cose_key;
mod curve;
mod ec;
mod ecdh;
mod error;
#[cfg(feature = "openssl")]
mod ossl;
mod role;
mod session;

pub use ble_ident::ble_ident;
pub use cose_key::{label as cose_key_label, CoseKey, EcY, KeyParams};
pub use curve::{Curve, KeyType};
pub use ecdh::{EphemeralPrivateKey, SharedSecret};
pub use error::CryptoError;
pub use role::Role;
pub use session::{session_salt, SessionCipher, SessionKeys};

#[cfg(test)]
mod tests;
