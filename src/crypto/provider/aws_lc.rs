//! The aws-lc-rs provider (feature `aws-lc`): AWS-LC's assembly P-256/384/521, X25519 and
//! Ed25519, and its HKDF, HMAC, AES-256-GCM and SHA-2.
//!
//! Keys come from bytes the caller's RNG drew (never from AWS-LC's RNG), so key generation stays
//! reproducible. AWS-LC draws ECDSA nonces from its own DRBG (aws-lc-rs ignores the `rng`
//! argument of `EcdsaKeyPair::sign`).

use aws_lc_rs::{
    aead, agreement, digest, hkdf, hmac,
    signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _},
};
use zeroize::Zeroizing;

use crate::crypto::{ec, sign::HashAlg, CoseKey, CryptoError, Curve};

/// Whether AWS-LC serves `curve` (key agreement or signing).
pub(crate) fn handles(curve: Curve) -> bool {
    matches!(
        curve,
        Curve::P256 | Curve::P384 | Curve::P521 | Curve::X25519 | Curve::ED25519
    )
}

fn agreement_alg(curve: Curve) -> Option<&'static agreement::Algorithm> {
    Some(match curve {
        Curve::P256 => &agreement::ECDH_P256,
        Curve::P384 => &agreement::ECDH_P384,
        Curve::P521 => &agreement::ECDH_P521,
        Curve::X25519 => &agreement::X25519,
        _ => return None,
    })
}

/// A key-agreement private key in AWS-LC (P-256/384/521, X25519). AWS-LC clears the scalar
/// when the key is freed.
pub(crate) struct KaKey {
    curve: Curve,
    key: agreement::PrivateKey,
}

impl KaKey {
    /// Whether this backend does key agreement on `curve`.
    pub(crate) fn handles(curve: Curve) -> bool {
        agreement_alg(curve).is_some()
    }

    /// From the big-endian scalar (EC) or the RFC 7748 scalar (X25519), of the curve's length.
    pub(crate) fn from_bytes(curve: Curve, bytes: &[u8]) -> Result<Self, CryptoError> {
        let alg = agreement_alg(curve).ok_or(CryptoError::UnsupportedCurve(curve))?;
        if Some(bytes.len()) != curve.coordinate_len() {
            return Err(CryptoError::InvalidPrivateKey {
                curve,
                reason: "wrong length",
            });
        }
        let key = agreement::PrivateKey::from_private_key(alg, bytes).map_err(|_| {
            CryptoError::InvalidPrivateKey {
                curve,
                reason: "scalar is zero or not below the group order",
            }
        })?;
        Ok(Self { curve, key })
    }

    pub(crate) fn curve(&self) -> Curve {
        self.curve
    }

    /// The public key (EC2 uncompressed, or the X25519 u-coordinate).
    pub(crate) fn public_cose(&self) -> Result<CoseKey, CryptoError> {
        let public = self
            .key
            .compute_public_key()
            .map_err(|_| CryptoError::Backend("aws-lc: public key derivation failed".into()))?;
        Ok(match self.curve {
            Curve::X25519 => CoseKey::okp(self.curve, public.as_ref().to_vec()),
            curve => ec::cose_from_uncompressed(curve, public.as_ref()),
        })
    }

    /// ECDH with the peer's COSE key (already checked to be on our curve): the x-coordinate of
    /// d·Q (EC2) or the X25519 output. AWS-LC validates the point (on the curve, not the
    /// identity); the caller rejects an all-zero X25519 output.
    pub(crate) fn agree(&self, peer: &CoseKey) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let curve = self.curve;
        let bytes = match curve {
            Curve::X25519 => ec::okp_bytes(curve, peer)?.to_vec(),
            _ => ec::sec1_point(curve, peer)?,
        };
        let alg = self.key.algorithm();
        agreement::agree(
            &self.key,
            agreement::UnparsedPublicKey::new(alg, &bytes),
            CryptoError::InvalidPublicKey {
                curve,
                reason: "not a point on the curve",
            },
            |z| Ok(Zeroizing::new(z.to_vec())),
        )
    }
}

/// A signing key in AWS-LC.
pub(crate) enum SignKey {
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

fn signing_alg(curve: Curve) -> Option<&'static signature::EcdsaSigningAlgorithm> {
    Some(match curve {
        Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
        _ => return None,
    })
}

/// DER of the named-curve OID of a NIST curve (RFC 5480), tag and length included.
fn named_curve_oid_der(curve: Curve) -> Option<&'static [u8]> {
    Some(match curve {
        Curve::P256 => &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
        Curve::P384 => &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22],
        Curve::P521 => &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23],
        _ => return None,
    })
}

/// RFC 5915 ECPrivateKey without the optional public key (AWS-LC derives it):
/// `SEQUENCE { INTEGER 1, OCTET STRING d, [0] namedCurve }`. Every length here is below 128
/// (P-521: 78 bytes of content), so each is one byte.
fn rfc5915_der(curve: Curve, d: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let oid = named_curve_oid_der(curve)?;
    let content_len = 3 + 2 + d.len() + 2 + oid.len();
    let mut der = Zeroizing::new(Vec::with_capacity(2 + content_len));
    der.extend_from_slice(&[0x30, u8::try_from(content_len).ok()?]);
    der.extend_from_slice(&[0x02, 0x01, 0x01]);
    der.extend_from_slice(&[0x04, u8::try_from(d.len()).ok()?]);
    der.extend_from_slice(d);
    der.extend_from_slice(&[0xa0, u8::try_from(oid.len()).ok()?]);
    der.extend_from_slice(oid);
    Some(der)
}

impl SignKey {
    /// Whether this backend signs on `curve`.
    pub(crate) fn handles(curve: Curve) -> bool {
        signing_alg(curve).is_some() || curve == Curve::ED25519
    }

    /// From the big-endian scalar of the curve's length (ECDSA) or the 32-byte seed (Ed25519).
    pub(crate) fn from_bytes(curve: Curve, bytes: &[u8]) -> Result<Self, CryptoError> {
        let invalid = |reason| CryptoError::InvalidPrivateKey { curve, reason };
        if curve == Curve::ED25519 {
            if bytes.len() != 32 {
                return Err(invalid("Ed25519 keys are 32 bytes"));
            }
            return Ed25519KeyPair::from_seed_unchecked(bytes)
                .map(Self::Ed25519)
                .map_err(|_| invalid("Ed25519 seed rejected"));
        }
        let alg = signing_alg(curve).ok_or(CryptoError::UnsupportedCurve(curve))?;
        let scalar = "scalar is zero, not below the group order, or of the wrong length";
        if Some(bytes.len()) != curve.coordinate_len() {
            return Err(invalid(scalar));
        }
        let der = rfc5915_der(curve, bytes).ok_or(invalid(scalar))?;
        EcdsaKeyPair::from_private_key_der(alg, &der)
            .map(Self::Ecdsa)
            .map_err(|_| invalid(scalar))
    }

    /// The public key as a COSE key.
    pub(crate) fn public_cose(&self, curve: Curve) -> CoseKey {
        match self {
            Self::Ecdsa(k) => ec::cose_from_uncompressed(curve, k.public_key().as_ref()),
            Self::Ed25519(k) => CoseKey::okp(curve, k.public_key().as_ref().to_vec()),
        }
    }

    /// Signs `msg` (hashing included): r‖s for ECDSA, 64 bytes for Ed25519.
    pub(crate) fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match self {
            Self::Ecdsa(k) => {
                // aws-lc-rs ignores this argument: AWS-LC draws the nonce from its own DRBG.
                let unused = aws_lc_rs::rand::SystemRandom::new();
                k.sign(&unused, msg)
                    .map(|s| s.as_ref().to_vec())
                    .map_err(|_| CryptoError::Signer("aws-lc: ECDSA signing failed".into()))
            }
            Self::Ed25519(k) => Ok(k.sign(msg).as_ref().to_vec()),
        }
    }
}

/// The ASN.1-signature verification algorithm for a curve and a hash (X.509 certificates may
/// pair them freely).
fn verification_alg(
    curve: Curve,
    hash: HashAlg,
) -> Option<&'static signature::EcdsaVerificationAlgorithm> {
    use signature::*;
    Some(match (curve, hash) {
        (Curve::P256, HashAlg::Sha256) => &ECDSA_P256_SHA256_ASN1,
        (Curve::P256, HashAlg::Sha384) => &ECDSA_P256_SHA384_ASN1,
        (Curve::P256, HashAlg::Sha512) => &ECDSA_P256_SHA512_ASN1,
        (Curve::P384, HashAlg::Sha256) => &ECDSA_P384_SHA256_ASN1,
        (Curve::P384, HashAlg::Sha384) => &ECDSA_P384_SHA384_ASN1,
        (Curve::P384, HashAlg::Sha512) => &ECDSA_P384_SHA512_ASN1,
        (Curve::P521, HashAlg::Sha256) => &ECDSA_P521_SHA256_ASN1,
        (Curve::P521, HashAlg::Sha384) => &ECDSA_P521_SHA384_ASN1,
        (Curve::P521, HashAlg::Sha512) => &ECDSA_P521_SHA512_ASN1,
        _ => return None,
    })
}

fn digest_alg(hash: HashAlg) -> &'static digest::Algorithm {
    match hash {
        HashAlg::Sha256 => &digest::SHA256,
        HashAlg::Sha384 => &digest::SHA384,
        HashAlg::Sha512 => &digest::SHA512,
    }
}

/// One DER INTEGER from a big-endian unsigned value: leading zeros stripped, a zero byte
/// prepended when the top bit is set.
fn der_uint(out: &mut Vec<u8>, value: &[u8]) {
    let first = value.iter().position(|b| *b != 0).unwrap_or(value.len());
    let value = &value[first..];
    let pad = value.first().is_none_or(|b| b & 0x80 != 0);
    out.push(0x02);
    // At most 67 bytes (P-521 with a pad byte): a short-form length.
    out.push((value.len() + usize::from(pad)) as u8);
    if pad {
        out.push(0);
    }
    out.extend_from_slice(value);
}

/// ECDSA-Sig-Value (RFC 5480: `SEQUENCE { r INTEGER, s INTEGER }`) from COSE r‖s, whose halves
/// are at most 66 bytes (P-521).
pub(crate) fn ecdsa_sig_der(raw: &[u8]) -> Vec<u8> {
    let (r, s) = raw.split_at(raw.len() / 2);
    let mut body = Vec::with_capacity(raw.len() + 6);
    der_uint(&mut body, r);
    der_uint(&mut body, s);
    let mut out = Vec::with_capacity(body.len() + 3);
    out.push(0x30);
    // Up to 2 × 69 = 138 bytes: long form above 127.
    if body.len() >= 0x80 {
        out.push(0x81);
    }
    out.push(body.len() as u8);
    out.extend_from_slice(&body);
    out
}

/// ECDSA verification over a digest of any SHA-2 length with an r‖s signature.
pub(crate) fn verify_ecdsa_prehash(
    key: &CoseKey,
    digest: &[u8],
    sig: &[u8],
) -> Result<(), CryptoError> {
    let curve = key.curve;
    let len = curve
        .coordinate_len()
        .ok_or(CryptoError::UnsupportedCurve(curve))?;
    if sig.len() != 2 * len {
        return Err(CryptoError::InvalidSignature);
    }
    let hash = match digest.len() {
        32 => HashAlg::Sha256,
        48 => HashAlg::Sha384,
        64 => HashAlg::Sha512,
        _ => return Err(CryptoError::InvalidSignature),
    };
    let alg = verification_alg(curve, hash).ok_or(CryptoError::UnsupportedCurve(curve))?;
    let sec1 = ec::sec1_point(curve, key)?;
    let public = signature::UnparsedPublicKey::new(alg, &sec1)
        .parse()
        .map_err(|_| CryptoError::InvalidPublicKey {
            curve,
            reason: "not a point on the curve",
        })?;
    let digest = digest::Digest::import_less_safe(digest, digest_alg(hash))
        .map_err(|_| CryptoError::InvalidSignature)?;
    public
        .verify_digest_sig(&digest, &ecdsa_sig_der(sig))
        .map_err(|_| CryptoError::InvalidSignature)
}

/// SHA-2 of `data`.
pub(crate) fn digest(hash: HashAlg, data: &[u8]) -> Vec<u8> {
    digest::digest(digest_alg(hash), data).as_ref().to_vec()
}

/// HMAC-SHA256.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// The output length of an HKDF expansion.
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-SHA256 to 32 bytes.
pub(crate) fn hkdf32(ikm: &[u8], salt: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut okm = Zeroizing::new([0u8; 32]);
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(ikm);
    // 32 bytes is far below HKDF-SHA256's limit of 255·32, so neither step can fail.
    #[allow(clippy::expect_used)]
    prk.expand(&[info], Len(32))
        .and_then(|okm_ref| okm_ref.fill(okm.as_mut_slice()))
        .expect("32 <= 255 * 32");
    okm
}

fn aead_key(key: &[u8; 32]) -> Result<aead::LessSafeKey, CryptoError> {
    aead::UnboundKey::new(&aead::AES_256_GCM, key)
        .map(aead::LessSafeKey::new)
        .map_err(|_| CryptoError::Backend("aws-lc: AES-256-GCM key rejected".into()))
}

/// AES-256-GCM encryption with empty AAD; ciphertext ‖ tag.
pub(crate) fn aes256gcm_seal(
    key: &[u8; 32],
    iv: [u8; 12],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut buf = Vec::with_capacity(plaintext.len() + aead::AES_256_GCM.tag_len());
    buf.extend_from_slice(plaintext);
    aead_key(key)?
        .seal_in_place_append_tag(
            aead::Nonce::assume_unique_for_key(iv),
            aead::Aad::empty(),
            &mut buf,
        )
        .map_err(|_| CryptoError::Encrypt)?;
    Ok(buf)
}

/// AES-256-GCM decryption with empty AAD of ciphertext ‖ tag.
pub(crate) fn aes256gcm_open(
    key: &[u8; 32],
    iv: [u8; 12],
    data: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut buf = data.to_vec();
    let len = aead_key(key)?
        .open_in_place(
            aead::Nonce::assume_unique_for_key(iv),
            aead::Aad::empty(),
            &mut buf,
        )
        .map_err(|_| CryptoError::Decrypt)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdsa_sig_der_pads_strips_and_uses_long_lengths() {
        // r with its top bit set gets a 0 pad; s with leading zeros is stripped.
        let mut raw = vec![0u8; 64];
        raw[0] = 0x80;
        raw[63] = 0x01;
        let der = ecdsa_sig_der(&raw);
        assert_eq!(&der[..5], &[0x30, 0x26, 0x02, 0x21, 0x00]);
        assert_eq!(&der[der.len() - 3..], &[0x02, 0x01, 0x01]);
        // A zero value is one zero byte.
        let der = ecdsa_sig_der(&[0u8; 64]);
        assert_eq!(der, [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]);
        // P-521 sized, both halves with the top bit set: 2 × (2 + 67) = 138 bytes of content.
        let der = ecdsa_sig_der(&[0xff; 132]);
        assert_eq!(&der[..3], &[0x30, 0x81, 138]);
        assert_eq!(der.len(), 141);
    }

    #[test]
    fn rfc5915_lengths_fit_one_byte() {
        for curve in [Curve::P256, Curve::P384, Curve::P521] {
            let len = curve.coordinate_len().unwrap_or_default();
            let der = rfc5915_der(curve, &vec![1u8; len]).expect("encodes");
            assert_eq!(usize::from(der[1]) + 2, der.len());
            assert!(SignKey::from_bytes(curve, &vec![1u8; len]).is_ok());
        }
    }
}
