//! brainpoolP320r1 and brainpoolP512r1 through OpenSSL (feature `openssl`): RustCrypto has no
//! crate for these two curves, and a reader must support all curves (2021 9.1.5.2).
//!
//! Key generation draws its scalar from the caller's RNG. ECDSA signing is the one place where
//! randomness is not an argument: OpenSSL draws the nonce from its own DRBG (the `openssl` crate
//! exposes no deterministic-nonce signing). This only affects software signing on these two
//! curves, which only test issuers and test devices do.

use openssl::{
    bn::{BigNum, BigNumContext},
    derive::Deriver,
    ec::{EcGroup, EcKey, EcPoint, PointConversionForm},
    ecdsa::EcdsaSig,
    nid::Nid,
    pkey::{PKey, Private, Public},
};
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::{ec, CoseKey, CryptoError, Curve};

fn backend(e: openssl::error::ErrorStack) -> CryptoError {
    CryptoError::Backend(e.to_string())
}

/// Whether `curve` is served by this backend.
pub(crate) fn handles(curve: Curve) -> bool {
    curve == Curve::BRAINPOOL_P320R1 || curve == Curve::BRAINPOOL_P512R1
}

fn group(curve: Curve) -> Result<EcGroup, CryptoError> {
    let nid = match curve {
        Curve::BRAINPOOL_P320R1 => Nid::BRAINPOOL_P320R1,
        Curve::BRAINPOOL_P512R1 => Nid::BRAINPOOL_P512R1,
        other => return Err(CryptoError::UnsupportedCurve(other)),
    };
    EcGroup::from_curve_name(nid).map_err(backend)
}

/// A private key on one of the OpenSSL-backed curves. OpenSSL clears the scalar when the key is
/// freed (`EC_KEY_free` uses `BN_clear_free`).
pub(crate) struct OsslKey {
    curve: Curve,
    key: EcKey<Private>,
}

impl OsslKey {
    /// A key from a big-endian scalar of exactly the curve's length, 0 < d < n.
    pub(crate) fn from_scalar(curve: Curve, bytes: &[u8]) -> Result<Self, CryptoError> {
        let group = group(curve)?;
        let len = curve
            .coordinate_len()
            .ok_or(CryptoError::UnsupportedCurve(curve))?;
        if bytes.len() != len {
            return Err(CryptoError::InvalidPrivateKey {
                curve,
                reason: "scalar has the wrong length",
            });
        }
        let d = BigNum::from_slice(bytes).map_err(backend)?;
        let mut ctx = BigNumContext::new().map_err(backend)?;
        let mut order = BigNum::new().map_err(backend)?;
        group.order(&mut order, &mut ctx).map_err(backend)?;
        if d.num_bits() == 0 || d >= order {
            return Err(CryptoError::InvalidPrivateKey {
                curve,
                reason: "scalar is zero or not below the group order",
            });
        }
        let mut public = EcPoint::new(&group).map_err(backend)?;
        public
            .mul_generator2(&group, &d, &mut ctx)
            .map_err(backend)?;
        let key = EcKey::from_private_components(&group, &d, &public).map_err(backend)?;
        Ok(Self { curve, key })
    }

    /// A fresh key from the caller's RNG, by rejection sampling of scalars.
    pub(crate) fn generate<R: CryptoRng + ?Sized>(
        curve: Curve,
        rng: &mut R,
    ) -> Result<Self, CryptoError> {
        let len = curve
            .coordinate_len()
            .ok_or(CryptoError::UnsupportedCurve(curve))?;
        let mut buf = Zeroizing::new(vec![0u8; len]);
        // Both orders are just below 2^bits with bits = 8·len, so a draw succeeds with
        // probability about 1/2 or better; 128 failures in a row means a broken RNG.
        for _ in 0..128 {
            rng.fill_bytes(&mut buf);
            match Self::from_scalar(curve, &buf) {
                Err(CryptoError::InvalidPrivateKey { .. }) => continue,
                other => return other,
            }
        }
        Err(CryptoError::Backend(
            "RNG produced no valid scalar in 128 draws".into(),
        ))
    }

    /// The curve of this key.
    pub(crate) fn curve(&self) -> Curve {
        self.curve
    }

    /// The public key as an uncompressed EC2 COSE key.
    pub(crate) fn public_cose(&self) -> Result<CoseKey, CryptoError> {
        let mut ctx = BigNumContext::new().map_err(backend)?;
        let bytes = self
            .key
            .public_key()
            .to_bytes(
                self.key.group(),
                PointConversionForm::UNCOMPRESSED,
                &mut ctx,
            )
            .map_err(backend)?;
        Ok(ec::cose_from_uncompressed(self.curve, &bytes))
    }

    /// ECDH with a peer's SEC1 point: the x-coordinate of d·Q.
    pub(crate) fn agree(&self, sec1: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let peer = parse_public(self.curve, sec1)?;
        let ours = PKey::from_ec_key(self.key.clone()).map_err(backend)?;
        let theirs = PKey::from_ec_key(peer).map_err(backend)?;
        let mut deriver = Deriver::new(&ours).map_err(backend)?;
        deriver.set_peer(&theirs).map_err(backend)?;
        Ok(Zeroizing::new(deriver.derive_to_vec().map_err(backend)?))
    }

    /// ECDSA over a digest; the signature as r‖s, each the curve's length.
    pub(crate) fn sign_prehash(&self, digest: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let len = self
            .curve
            .coordinate_len()
            .ok_or(CryptoError::UnsupportedCurve(self.curve))?;
        let sig = EcdsaSig::sign(digest, &self.key).map_err(backend)?;
        let len = i32::try_from(len).map_err(|_| CryptoError::UnsupportedCurve(self.curve))?;
        let mut out = sig.r().to_vec_padded(len).map_err(backend)?;
        out.extend(sig.s().to_vec_padded(len).map_err(backend)?);
        Ok(out)
    }
}

/// Parses and validates a peer point (on the curve, not the identity, in the right subgroup).
fn parse_public(curve: Curve, sec1: &[u8]) -> Result<EcKey<Public>, CryptoError> {
    let invalid = CryptoError::InvalidPublicKey {
        curve,
        reason: "not a point on the curve",
    };
    let group = group(curve)?;
    let mut ctx = BigNumContext::new().map_err(backend)?;
    let point = EcPoint::from_bytes(&group, sec1, &mut ctx).map_err(|_| invalid)?;
    let key = EcKey::from_public_key(&group, &point).map_err(backend)?;
    key.check_key().map_err(|_| CryptoError::InvalidPublicKey {
        curve,
        reason: "not a valid public point",
    })?;
    Ok(key)
}

/// Checks a SEC1 point on an OpenSSL-backed curve.
pub(crate) fn check_point(curve: Curve, sec1: &[u8]) -> Result<(), CryptoError> {
    parse_public(curve, sec1).map(|_| ())
}

/// ECDSA verification over a digest with an r‖s signature.
pub(crate) fn verify_prehash(
    curve: Curve,
    sec1: &[u8],
    digest: &[u8],
    sig: &[u8],
) -> Result<(), CryptoError> {
    let len = curve
        .coordinate_len()
        .ok_or(CryptoError::UnsupportedCurve(curve))?;
    if sig.len() != 2 * len {
        return Err(CryptoError::InvalidSignature);
    }
    let key = parse_public(curve, sec1)?;
    let (r, s) = sig.split_at(len);
    let r = BigNum::from_slice(r).map_err(backend)?;
    let s = BigNum::from_slice(s).map_err(backend)?;
    let sig = EcdsaSig::from_private_components(r, s).map_err(backend)?;
    match sig.verify(digest, &key) {
        Ok(true) => Ok(()),
        _ => Err(CryptoError::InvalidSignature),
    }
}
