//! Session keys and session encryption (2021 9.1.1.5).

use std::fmt;

use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::{CryptoError, CryptoProvider, Role, SharedSecret};

/// HKDF-SHA256(ikm, salt, info) to 32 bytes (the RustCrypto provider's HKDF).
pub(crate) fn hkdf32(ikm: &[u8], salt: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's limit of 255·32, so `expand` cannot fail.
    #[allow(clippy::expect_used)]
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand(info, okm.as_mut_slice())
        .expect("32 <= 255 * 32");
    okm
}

/// The HKDF salt of 2021 9.1.1.5 / 9.1.3.5: SHA-256 of SessionTranscriptBytes, the tag-24 form
/// (`d8 18 ...`) exactly as encoded in the session.
pub fn session_salt(session_transcript_bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(session_transcript_bytes).into()
}

/// SKReader and SKDevice, for one side of a session. Zeroized on drop; not `Clone`, not
/// serializable, `Debug` redacted. The session's AES-256-GCM runs on the provider the keys were
/// derived with.
pub struct SessionKeys {
    role: Role,
    provider: CryptoProvider,
    sk_reader: Zeroizing<[u8; 32]>,
    sk_device: Zeroizing<[u8; 32]>,
}

impl SessionKeys {
    /// SKReader/SKDevice = HKDF-SHA256(Z, salt = SHA-256(SessionTranscriptBytes),
    /// info "SKReader"/"SKDevice", 32) (2021 9.1.1.5). `session_transcript_bytes` is the
    /// tag-24 form (`d8 18 ...`), as received.
    pub fn derive(shared: &SharedSecret, session_transcript_bytes: &[u8], role: Role) -> Self {
        Self::derive_with(
            CryptoProvider::default(),
            shared,
            session_transcript_bytes,
            role,
        )
    }

    /// [`derive`](Self::derive) with `provider`'s SHA-256 and HKDF; the cipher made from these
    /// keys encrypts with `provider`'s AES-256-GCM.
    pub fn derive_with(
        provider: CryptoProvider,
        shared: &SharedSecret,
        session_transcript_bytes: &[u8],
        role: Role,
    ) -> Self {
        let salt = provider.sha256(session_transcript_bytes);
        Self {
            role,
            provider,
            sk_reader: provider.hkdf_sha256(shared.expose_secret(), &salt, b"SKReader"),
            sk_device: provider.hkdf_sha256(shared.expose_secret(), &salt, b"SKDevice"),
        }
    }

    /// Our side.
    pub fn role(&self) -> Role {
        self.role
    }

    /// SKReader, for comparing against test vectors (Annex D `sk_reader`) only.
    pub fn expose_sk_reader(&self) -> &[u8; 32] {
        &self.sk_reader
    }

    /// SKDevice, for comparing against test vectors (Annex D `sk_device`) only.
    pub fn expose_sk_device(&self) -> &[u8; 32] {
        &self.sk_device
    }

    /// The cipher for this side, with both counters at their start.
    pub fn into_cipher(self) -> SessionCipher {
        SessionCipher::new(self)
    }
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKeys")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// One direction of the session: key, IV identifier and the counter of the next message.
struct Direction {
    key: Zeroizing<[u8; 32]>,
    identifier: [u8; 8],
    /// The counter of the next message; `u32::MAX + 1` once exhausted.
    next: u64,
}

impl Direction {
    fn new(key: &[u8; 32], sender: Role) -> Self {
        Self {
            key: Zeroizing::new(*key),
            identifier: sender.iv_identifier(),
            next: 1,
        }
    }

    /// The IV of the next message, or `CounterExhausted`.
    fn iv(&self) -> Result<[u8; 12], CryptoError> {
        let counter = u32::try_from(self.next).map_err(|_| CryptoError::CounterExhausted)?;
        let mut iv = [0u8; 12];
        iv[..8].copy_from_slice(&self.identifier);
        iv[8..].copy_from_slice(&counter.to_be_bytes());
        Ok(iv)
    }
}

/// AES-256-GCM session encryption for one side (2021 9.1.1.5): encrypts what we send with our
/// key, decrypts what the peer sends with theirs. Empty AAD; output is ciphertext ‖ 16-byte
/// tag. IV = 8-byte identifier of the sender (reader 0, mdoc 1) ‖ 4-byte big-endian counter,
/// starting at 1 in each direction and advancing by one per message, so an IV is never reused
/// and a replayed or reordered message fails to decrypt. After 2^32 − 1 messages in a direction,
/// [`CryptoError::CounterExhausted`].
///
/// A failed decryption does not advance the counter; 2021 9.1.1.5 requires ending the session
/// (status 10) anyway.
pub struct SessionCipher {
    role: Role,
    provider: CryptoProvider,
    outgoing: Direction,
    incoming: Direction,
}

impl SessionCipher {
    /// The cipher for `keys`' side.
    pub fn new(keys: SessionKeys) -> Self {
        let (ours, theirs) = match keys.role {
            Role::Reader => (&keys.sk_reader, &keys.sk_device),
            Role::Holder => (&keys.sk_device, &keys.sk_reader),
        };
        Self {
            role: keys.role,
            provider: keys.provider,
            outgoing: Direction::new(ours, keys.role),
            incoming: Direction::new(theirs, keys.role.peer()),
        }
    }

    /// Our side.
    pub fn role(&self) -> Role {
        self.role
    }

    /// How many messages we have encrypted.
    pub fn sent(&self) -> u64 {
        self.outgoing.next - 1
    }

    /// How many messages we have decrypted.
    pub fn received(&self) -> u64 {
        self.incoming.next - 1
    }

    /// Encrypts the next outgoing message; returns ciphertext ‖ tag.
    pub fn encrypt(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let iv = self.outgoing.iv()?;
        let out = self
            .provider
            .aes256gcm_seal(&self.outgoing.key, iv, plaintext)?;
        self.outgoing.next += 1;
        Ok(out)
    }

    /// Decrypts the next incoming message (ciphertext ‖ tag).
    pub fn decrypt(&mut self, data: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let iv = self.incoming.iv()?;
        let out = self.provider.aes256gcm_open(&self.incoming.key, iv, data)?;
        self.incoming.next += 1;
        Ok(out)
    }

    /// Test hook: jump both counters (to reach exhaustion without 2^32 messages).
    #[cfg(test)]
    pub(crate) fn set_next_counters(&mut self, outgoing: u64, incoming: u64) {
        self.outgoing.next = outgoing;
        self.incoming.next = incoming;
    }
}

impl fmt::Debug for SessionCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionCipher")
            .field("role", &self.role)
            .field("provider", &self.provider)
            .field("sent", &self.sent())
            .field("received", &self.received())
            .finish_non_exhaustive()
    }
}
