//! mdoc authentication by MAC (2021 9.1.3.5): the static device key's key agreement
//! capability, EMacKey, and the deviceMac COSE_Mac0.

use std::fmt;

use coset::{
    iana::Algorithm, CborSerializable as _, CoseMac0, CoseMac0Builder, HeaderBuilder, MacContext,
    RegisteredLabelWithPrivate,
};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{
    ecdh::KaSecret, CoseKey, CryptoError, CryptoProvider, Curve, EphemeralPrivateKey, SharedSecret,
};

/// Key agreement with the static device key SDeviceKey, whose public part is the MSO's
/// deviceKey. A trait so the private key can stay in a secure element.
pub trait DeviceKeyAgreement {
    /// The curve of SDeviceKey.
    fn curve(&self) -> Curve;
    /// SDeviceKey.Pub.
    fn public_key(&self) -> CoseKey;
    /// ECDH(SDeviceKey, peer) — the peer being EReaderKey.Pub. Must reject a peer on another
    /// curve ([`CryptoError::CurveMismatch`]) or off the curve.
    fn agree(&self, peer: &CoseKey) -> Result<SharedSecret, CryptoError>;
}

/// SDeviceKey held in memory. Zeroized on drop; not `Clone`, not serializable, `Debug` redacted.
pub struct SoftwareDeviceKey {
    secret: KaSecret,
    public: CoseKey,
}

impl SoftwareDeviceKey {
    /// A fresh key on `curve` (any key-agreement curve), drawing randomness only from `rng`.
    pub fn generate<R: CryptoRng + ?Sized>(curve: Curve, rng: &mut R) -> Result<Self, CryptoError> {
        Self::generate_with(CryptoProvider::default(), curve, rng)
    }

    /// [`generate`](Self::generate) on `provider`.
    pub fn generate_with<R: CryptoRng + ?Sized>(
        provider: CryptoProvider,
        curve: Curve,
        rng: &mut R,
    ) -> Result<Self, CryptoError> {
        Self::from_secret(KaSecret::generate(provider, curve, rng)?)
    }

    /// A key from its private bytes (as [`EphemeralPrivateKey::from_bytes`]); e.g. Annex D's
    /// SDeviceKey.Priv.
    pub fn from_bytes(curve: Curve, bytes: &[u8]) -> Result<Self, CryptoError> {
        Self::from_bytes_with(CryptoProvider::default(), curve, bytes)
    }

    /// [`from_bytes`](Self::from_bytes) on `provider`.
    pub fn from_bytes_with(
        provider: CryptoProvider,
        curve: Curve,
        bytes: &[u8],
    ) -> Result<Self, CryptoError> {
        Self::from_secret(KaSecret::from_bytes(provider, curve, bytes)?)
    }

    fn from_secret(secret: KaSecret) -> Result<Self, CryptoError> {
        let public = secret.public_key()?;
        Ok(Self { secret, public })
    }
}

impl DeviceKeyAgreement for SoftwareDeviceKey {
    fn curve(&self) -> Curve {
        self.public.curve
    }
    fn public_key(&self) -> CoseKey {
        self.public.clone()
    }
    fn agree(&self, peer: &CoseKey) -> Result<SharedSecret, CryptoError> {
        self.secret.agree(peer)
    }
}

impl fmt::Debug for SoftwareDeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SoftwareDeviceKey({}, <redacted>)", self.public.curve)
    }
}

/// EMacKey (2021 9.1.3.5). Zeroized on drop; not `Clone`, not serializable, `Debug` redacted.
/// Its HMAC runs on the provider it was derived with.
pub struct EMacKey {
    key: Zeroizing<[u8; 32]>,
    provider: CryptoProvider,
}

impl EMacKey {
    /// EMacKey = HKDF-SHA256(Z, salt = SHA-256(SessionTranscriptBytes), info "EMacKey", 32),
    /// with Z = ECDH(SDeviceKey, EReaderKey) and SessionTranscriptBytes in tag-24 form.
    pub fn derive(shared: &SharedSecret, session_transcript_bytes: &[u8]) -> Self {
        Self::derive_with(CryptoProvider::default(), shared, session_transcript_bytes)
    }

    /// [`derive`](Self::derive) with `provider`'s HKDF; the key's HMAC runs on it too.
    pub fn derive_with(
        provider: CryptoProvider,
        shared: &SharedSecret,
        session_transcript_bytes: &[u8],
    ) -> Self {
        let salt = provider.sha256(session_transcript_bytes);
        Self {
            key: provider.hkdf_sha256(shared.expose_secret(), &salt, b"EMacKey"),
            provider,
        }
    }

    /// The holder's side: ECDH of SDeviceKey with EReaderKey.Pub.
    pub fn for_holder<K: DeviceKeyAgreement + ?Sized>(
        device_key: &K,
        e_reader_key: &CoseKey,
        session_transcript_bytes: &[u8],
    ) -> Result<Self, CryptoError> {
        Ok(Self::derive(
            &device_key.agree(e_reader_key)?,
            session_transcript_bytes,
        ))
    }

    /// The reader's side: ECDH of EReaderKey with SDeviceKey.Pub (the MSO's deviceKey).
    pub fn for_reader(
        e_reader_key: &EphemeralPrivateKey,
        device_key: &CoseKey,
        session_transcript_bytes: &[u8],
    ) -> Result<Self, CryptoError> {
        Self::for_reader_with(
            CryptoProvider::default(),
            e_reader_key,
            device_key,
            session_transcript_bytes,
        )
    }

    /// [`for_reader`](Self::for_reader) with `provider`'s HKDF and HMAC (the ECDH runs on the
    /// provider of `e_reader_key`).
    pub fn for_reader_with(
        provider: CryptoProvider,
        e_reader_key: &EphemeralPrivateKey,
        device_key: &CoseKey,
        session_transcript_bytes: &[u8],
    ) -> Result<Self, CryptoError> {
        Ok(Self::derive_with(
            provider,
            &e_reader_key.agree(device_key)?,
            session_transcript_bytes,
        ))
    }

    /// The key bytes, for comparing against test vectors (Annex D `emac_key`) only.
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.key
    }

    fn tag(&self, data: &[u8]) -> Vec<u8> {
        self.provider
            .hmac_sha256(self.key.as_slice(), data)
            .to_vec()
    }
}

impl fmt::Debug for EMacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EMacKey(<redacted>)")
    }
}

/// The deviceMac COSE_Mac0 (2021 9.1.3.5): alg 5 (HMAC 256/256) in the protected header
/// (exactly `a10105`), empty unprotected header, detached payload (null), tag = HMAC-SHA256
/// over MAC_structure `["MAC0", protected, h'', detached_payload]`. `detached_payload` is
/// DeviceAuthenticationBytes (tag-24 form).
pub fn create_device_mac(key: &EMacKey, detached_payload: &[u8]) -> CoseMac0 {
    let protected = HeaderBuilder::new()
        .algorithm(Algorithm::HMAC_256_256)
        .build();
    let mac0 = CoseMac0Builder::new().protected(protected).build();
    let data = coset::mac_structure_data(
        MacContext::CoseMac0,
        mac0.protected.clone(),
        &[],
        detached_payload,
    );
    CoseMac0 {
        tag: key.tag(&data),
        ..mac0
    }
}

/// Verifies a deviceMac over `detached_payload` (DeviceAuthenticationBytes). The protected
/// header must name HMAC 256/256 and is MACed as received; the payload must be detached. The
/// tag comparison is constant-time.
pub fn verify_device_mac(
    key: &EMacKey,
    mac0: &CoseMac0,
    detached_payload: &[u8],
) -> Result<(), CryptoError> {
    match &mac0.protected.header.alg {
        Some(RegisteredLabelWithPrivate::Assigned(Algorithm::HMAC_256_256)) => {}
        Some(other) => {
            return Err(CryptoError::UnsupportedAlgorithm(format!(
                "deviceMac alg {other:?}"
            )))
        }
        None => {
            return Err(CryptoError::MalformedCose(
                "deviceMac has no alg in its protected header",
            ))
        }
    }
    if mac0.payload.is_some() {
        return Err(CryptoError::MalformedCose(
            "deviceMac payload must be detached (null)",
        ));
    }
    let data = coset::mac_structure_data(
        MacContext::CoseMac0,
        mac0.protected.clone(),
        &[],
        detached_payload,
    );
    let expected = key.tag(&data);
    if bool::from(expected.ct_eq(&mac0.tag)) {
        Ok(())
    } else {
        Err(CryptoError::InvalidMac)
    }
}

/// The encoded COSE_Mac0 (untagged), as it appears in DeviceAuth.
pub fn device_mac_bytes(mac0: &CoseMac0) -> Result<Vec<u8>, CryptoError> {
    mac0.clone()
        .to_vec()
        .map_err(|_| CryptoError::MalformedCose("COSE_Mac0 not encodable"))
}
