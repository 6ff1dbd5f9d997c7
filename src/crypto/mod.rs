//! Cryptography of 18013-5 behind one boundary: curves, COSE keys, key agreement, session
//! encryption, MACs and signatures.
//!
//! Which library computes what is a [`CryptoProvider`]: pure Rust by default, aws-lc-rs with
//! feature `aws-lc` (then also the default). Constructors and functions without a provider
//! argument use [`CryptoProvider::default`]; the `_with` forms take one.
//!
//! Randomness is always an argument (`&mut impl rand_core::CryptoRng`); nothing here reads the
//! operating system's RNG. Secrets are zeroized on drop, are neither `Clone` nor serializable,
//! and print as `<redacted>`.
//!
//! # Key hygiene: what is wiped, and what dependencies leave behind
//!
//! - **Ours, wiped on drop**: ephemeral and static private scalars (`Zeroizing` arrays),
//!   ECDH/X25519/X448 shared secrets, SKReader/SKDevice, EMacKey and every HKDF output buffer.
//! - **HKDF and HMAC state** (the PRK and the inner/outer hash states keyed by the shared
//!   secret): `hkdf` has no zeroize feature, but its state is an `Hmac<Sha256>` whose SHA-256
//!   cores and block buffers wipe themselves on drop with the `zeroize` features of `sha2` and
//!   `hmac` (→ `digest/zeroize`, `block-buffer/zeroize`), which this crate enables.
//! - **AES-GCM** expanded keys: wiped by `aes-gcm`'s `zeroize` feature (enabled).
//! - **Left behind by dependencies**: `x25519_dalek::x25519` and `x448::x448` take the scalar
//!   by value, so the copy passed on the stack (and the clamped copy inside those functions) is
//!   not wiped; the RustCrypto `ecdh::SharedSecret` and `SecretKey` wipe themselves, but their
//!   intermediate field elements on the stack are not; OpenSSL (`openssl` feature) frees
//!   `EC_KEY`/`BIGNUM` private values with `BN_clear_free`, outside our control; the
//!   `PrivateKey::to_cose_value` tree of the test issuer (`crate::issuer`) holds `d` in a plain
//!   `Value` (its callers serialize it into a `Zeroizing` buffer, but the tree is not wiped).

mod ble_ident;
mod cose_key;
mod cose_sign;
mod curve;
mod ec;
mod ecdh;
mod error;
mod mac;
#[cfg(feature = "openssl")]
mod ossl;
mod provider;
mod role;
mod seeded_rng;
mod session;
mod sign;
mod x509_key;

pub use ble_ident::ble_ident;
pub use cose_key::{label as cose_key_label, CoseKey, EcY, KeyParams};
pub use cose_sign::{
    sign1_algorithm, sign1_detached, sign1_embedded, sign1_x5chain, verify_sign1,
    verify_sign1_detached, X5CHAIN_LABEL,
};
pub use curve::{Curve, KeyType};
pub use ecdh::{EphemeralPrivateKey, SharedSecret};
pub use error::CryptoError;
pub use mac::{
    create_device_mac, device_mac_bytes, verify_device_mac, DeviceKeyAgreement, EMacKey,
    SoftwareDeviceKey,
};
pub use provider::CryptoProvider;
pub use role::Role;
pub use seeded_rng::SeededRng;
pub use session::{session_salt, SessionCipher, SessionKeys};
pub use sign::{signature_algorithm, verify_signature, Signer, SoftwareSigner};
pub use x509_key::{
    certificate_public_key, cose_key_from_spki, cose_key_from_spki_der, curve_of_named_curve, oid,
    spki_der_from_cose_key, spki_from_cose_key, verify_certificate_signature,
};

#[cfg(test)]
pub(crate) mod tests;
