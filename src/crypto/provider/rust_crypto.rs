//! The pure-Rust provider's symmetric primitives (RustCrypto `hmac`, `aes-gcm`). Its key
//! agreement and signatures are the RustCrypto variants of the key types in `ecdh.rs` and
//! `sign.rs`; its HKDF is `session::hkdf32`; its SHA-2 is `HashAlg::digest`.

use aes_gcm::{
    aead::{Aead, Payload},
    Aes256Gcm, Nonce,
};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::crypto::CryptoError;

/// HMAC-SHA256.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    #[allow(clippy::expect_used)]
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// AES-256-GCM encryption with empty AAD; ciphertext ‖ tag.
pub(crate) fn aes256gcm_seal(
    key: &[u8; 32],
    iv: [u8; 12],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    // With the `zeroize` feature of aes-gcm the expanded key is wiped when dropped.
    Aes256Gcm::new(key.into())
        .encrypt(
            &Nonce::from(iv),
            Payload {
                msg: plaintext,
                aad: &[],
            },
        )
        .map_err(|_| CryptoError::Encrypt)
}

/// AES-256-GCM decryption with empty AAD of ciphertext ‖ tag.
pub(crate) fn aes256gcm_open(
    key: &[u8; 32],
    iv: [u8; 12],
    data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    Aes256Gcm::new(key.into())
        .decrypt(
            &Nonce::from(iv),
            Payload {
                msg: data,
                aad: &[],
            },
        )
        .map_err(|_| CryptoError::Decrypt)
}
