//! Signatures: the [`Signer`] capability (so device, reader and issuer keys can live in a
//! secure element or HSM), a software implementation for every signature curve of 18013-5
//! (2021 9.1.5.2 Table 22 / 2nd ed. Table 17), and verification.
//!
//! ECDSA signatures are in COSE form (RFC 9053 2.1): r ‖ s, each as long as the curve's field
//! (P-521: 66 bytes). Algorithms are COSE's: ES256 (P-256, brainpoolP256r1), ES384 (P-384,
//! brainpoolP320r1, brainpoolP384r1), ES512 (P-521, brainpoolP512r1), EdDSA (Ed25519, Ed448).

use std::fmt;

use coset::iana::Algorithm;
use ecdsa::signature::{hazmat::PrehashVerifier, Signer as _};
use elliptic_curve::{
    sec1::{FromSec1Point, ModulusSize, ToSec1Point},
    AffinePoint, CurveArithmetic, FieldBytesSize,
};
use rand_core::CryptoRng;
use sha2::{Digest, Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

use super::{ec, CoseKey, CryptoError, CryptoProvider, Curve};

#[cfg(feature = "openssl")]
use super::ossl::{self, OsslKey};
#[cfg(feature = "aws-lc")]
use super::provider::aws_lc;

/// A signing key that may live outside this process (secure element, HSM, platform keystore).
///
/// Implementations return signatures in COSE form: r ‖ s for ECDSA, the 64/114-byte signature
/// for EdDSA.
pub trait Signer {
    /// The COSE algorithm this key signs with (ES256, ES384, ES512 or EdDSA).
    fn algorithm(&self) -> Algorithm;
    /// The public key, as it appears in certificates and the MSO's deviceKey.
    fn public_key(&self) -> CoseKey;
    /// Signs `msg` (the whole message: hashing is the signer's job).
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// The hash of an ECDSA algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    pub(crate) fn digest(self, msg: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(msg).to_vec(),
            Self::Sha384 => Sha384::digest(msg).to_vec(),
            Self::Sha512 => Sha512::digest(msg).to_vec(),
        }
    }
}

/// The COSE signature algorithm 18013-5 uses with `curve`.
pub fn signature_algorithm(curve: Curve) -> Result<Algorithm, CryptoError> {
    Ok(match curve {
        Curve::P256 | Curve::BRAINPOOL_P256R1 => Algorithm::ES256,
        Curve::P384 | Curve::BRAINPOOL_P320R1 | Curve::BRAINPOOL_P384R1 => Algorithm::ES384,
        Curve::P521 | Curve::BRAINPOOL_P512R1 => Algorithm::ES512,
        Curve::ED25519 | Curve::ED448 => Algorithm::EdDSA,
        other => return Err(CryptoError::UnsupportedCurve(other)),
    })
}

/// The hash of `alg` when used with a key on `curve`, enforcing the pairs of 18013-5.
fn ecdsa_hash(alg: Algorithm, curve: Curve) -> Result<HashAlg, CryptoError> {
    let expected = signature_algorithm(curve)?;
    if expected != alg {
        return Err(CryptoError::UnsupportedAlgorithm(format!(
            "{alg:?} with a {curve} key"
        )));
    }
    Ok(match alg {
        Algorithm::ES256 => HashAlg::Sha256,
        Algorithm::ES384 => HashAlg::Sha384,
        _ => HashAlg::Sha512,
    })
}

enum SignKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    Bp256(ecdsa::SigningKey<bp256::BrainpoolP256r1>),
    Bp384(ecdsa::SigningKey<bp384::BrainpoolP384r1>),
    Ed25519(ed25519_dalek::SigningKey),
    // Boxed: the expanded Ed448 key is twice the size of the others (clippy large_enum_variant).
    Ed448(Box<ed448_goldilocks::SigningKey>),
    #[cfg(feature = "openssl")]
    Ossl(OsslKey),
    #[cfg(feature = "aws-lc")]
    AwsLc(aws_lc::SignKey),
}

/// A private signing key held in memory, for every signature curve of 18013-5. Zeroized on
/// drop; not `Clone`, not serializable, `Debug` redacted.
///
/// ECDSA on the RustCrypto curves uses deterministic nonces (RFC 6979); on brainpoolP320r1 and
/// brainpoolP512r1 (OpenSSL), and on P-256/384/521 with `CryptoProvider::AWS_LC`, the nonce
/// comes from the library's own DRBG.
pub struct SoftwareSigner {
    key: SignKey,
    public: CoseKey,
}

impl SoftwareSigner {
    /// A fresh key on `curve`, drawing randomness only from `rng`.
    pub fn generate<R: CryptoRng + ?Sized>(curve: Curve, rng: &mut R) -> Result<Self, CryptoError> {
        Self::generate_with(CryptoProvider::default(), curve, rng)
    }

    /// [`generate`](Self::generate) on `provider` (the scalar or seed still comes from `rng`).
    pub fn generate_with<R: CryptoRng + ?Sized>(
        provider: CryptoProvider,
        curve: Curve,
        rng: &mut R,
    ) -> Result<Self, CryptoError> {
        let len = match curve {
            Curve::ED25519 => 32,
            Curve::ED448 => 57,
            #[cfg(feature = "openssl")]
            c if ossl::handles(c) => {
                return Self::from_key(curve, SignKey::Ossl(OsslKey::generate(c, rng)?))
            }
            c => {
                signature_algorithm(c)?;
                c.coordinate_len().ok_or(CryptoError::UnsupportedCurve(c))?
            }
        };
        let mut buf = Zeroizing::new(vec![0u8; len]);
        // EC scalars must be in [1, n): retry the (rare, < 2^-32 for these curves, except
        // P-521 whose top byte we mask) out-of-range draws.
        for _ in 0..128 {
            rng.fill_bytes(&mut buf);
            if curve == Curve::P521 {
                buf[0] &= 0x01;
            }
            match Self::from_bytes_with(provider, curve, &buf) {
                Err(CryptoError::InvalidPrivateKey { .. }) => continue,
                other => return other,
            }
        }
        Err(CryptoError::InvalidPrivateKey {
            curve,
            reason: "RNG produced no valid scalar in 128 draws",
        })
    }

    /// A key from its private bytes: the big-endian scalar of the curve's length for ECDSA
    /// (P-521: 66 bytes), the 32-byte (Ed25519) or 57-byte (Ed448) secret key for EdDSA.
    pub fn from_bytes(curve: Curve, bytes: &[u8]) -> Result<Self, CryptoError> {
        Self::from_bytes_with(CryptoProvider::default(), curve, bytes)
    }

    /// [`from_bytes`](Self::from_bytes) on `provider`.
    pub fn from_bytes_with(
        provider: CryptoProvider,
        curve: Curve,
        bytes: &[u8],
    ) -> Result<Self, CryptoError> {
        #[cfg(feature = "aws-lc")]
        if provider.aws_lc_for(curve) && aws_lc::SignKey::handles(curve) {
            return Self::from_key(
                curve,
                SignKey::AwsLc(aws_lc::SignKey::from_bytes(curve, bytes)?),
            );
        }
        #[cfg(not(feature = "aws-lc"))]
        let _ = provider;
        let invalid = |reason| CryptoError::InvalidPrivateKey { curve, reason };
        let scalar = "scalar is zero, not below the group order, or of the wrong length";
        // RustCrypto's `from_slice` zero-pads scalars a few bytes short; every provider takes
        // exactly the curve's length, as documented.
        if curve.key_type() == Some(super::KeyType::Ec2)
            && Some(bytes.len()) != curve.coordinate_len()
        {
            return Err(invalid(scalar));
        }
        let key = match curve {
            Curve::P256 => {
                SignKey::P256(ecdsa::SigningKey::from_slice(bytes).map_err(|_| invalid(scalar))?)
            }
            Curve::P384 => {
                SignKey::P384(ecdsa::SigningKey::from_slice(bytes).map_err(|_| invalid(scalar))?)
            }
            Curve::P521 => {
                if bytes.len() != 66 {
                    return Err(invalid(scalar));
                }
                SignKey::P521(ecdsa::SigningKey::from_slice(bytes).map_err(|_| invalid(scalar))?)
            }
            Curve::BRAINPOOL_P256R1 => {
                SignKey::Bp256(ecdsa::SigningKey::from_slice(bytes).map_err(|_| invalid(scalar))?)
            }
            Curve::BRAINPOOL_P384R1 => {
                SignKey::Bp384(ecdsa::SigningKey::from_slice(bytes).map_err(|_| invalid(scalar))?)
            }
            Curve::ED25519 => {
                let secret: &[u8; 32] = bytes
                    .try_into()
                    .map_err(|_| invalid("Ed25519 keys are 32 bytes"))?;
                SignKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(secret))
            }
            Curve::ED448 => SignKey::Ed448(Box::new(
                ed448_goldilocks::SigningKey::try_from(bytes)
                    .map_err(|_| invalid("Ed448 keys are 57 bytes"))?,
            )),
            #[cfg(feature = "openssl")]
            c if ossl::handles(c) => SignKey::Ossl(OsslKey::from_scalar(c, bytes)?),
            other => return Err(CryptoError::UnsupportedCurve(other)),
        };
        Self::from_key(curve, key)
    }

    fn from_key(curve: Curve, key: SignKey) -> Result<Self, CryptoError> {
        let public = match &key {
            SignKey::P256(k) => ec::rc_public_cose(curve, &k.verifying_key().into()),
            SignKey::P384(k) => ec::rc_public_cose(curve, &k.verifying_key().into()),
            SignKey::P521(k) => ec::rc_public_cose(curve, &k.verifying_key().into()),
            SignKey::Bp256(k) => ec::rc_public_cose(curve, &k.verifying_key().into()),
            SignKey::Bp384(k) => ec::rc_public_cose(curve, &k.verifying_key().into()),
            SignKey::Ed25519(k) => CoseKey::okp(curve, k.verifying_key().to_bytes().to_vec()),
            SignKey::Ed448(k) => CoseKey::okp(curve, k.verifying_key().to_bytes().to_vec()),
            #[cfg(feature = "openssl")]
            SignKey::Ossl(k) => k.public_cose()?,
            #[cfg(feature = "aws-lc")]
            SignKey::AwsLc(k) => k.public_cose(curve),
        };
        Ok(Self { key, public })
    }

    /// The curve of this key.
    pub fn curve(&self) -> Curve {
        self.public.curve
    }
}

impl Signer for SoftwareSigner {
    fn algorithm(&self) -> Algorithm {
        // Every curve a SoftwareSigner can be built on has an algorithm.
        signature_algorithm(self.public.curve).unwrap_or(Algorithm::Reserved)
    }

    fn public_key(&self) -> CoseKey {
        self.public.clone()
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let fail = |e: ecdsa::Error| CryptoError::Signer(e.to_string());
        Ok(match &self.key {
            SignKey::P256(k) => k
                .try_sign(msg)
                .map_err(fail)
                .map(|s: p256::ecdsa::Signature| s.to_bytes().to_vec())?,
            SignKey::P384(k) => k
                .try_sign(msg)
                .map_err(fail)
                .map(|s: p384::ecdsa::Signature| s.to_bytes().to_vec())?,
            SignKey::P521(k) => k
                .try_sign(msg)
                .map_err(fail)
                .map(|s: p521::ecdsa::Signature| s.to_bytes().to_vec())?,
            SignKey::Bp256(k) => k
                .try_sign(msg)
                .map_err(fail)
                .map(|s: bp256::r1::ecdsa::Signature| s.to_bytes().to_vec())?,
            SignKey::Bp384(k) => k
                .try_sign(msg)
                .map_err(fail)
                .map(|s: bp384::r1::ecdsa::Signature| s.to_bytes().to_vec())?,
            SignKey::Ed25519(k) => ed25519_dalek::Signer::sign(k, msg).to_bytes().to_vec(),
            SignKey::Ed448(k) => k.sign_raw(msg).to_bytes().to_vec(),
            #[cfg(feature = "openssl")]
            SignKey::Ossl(k) => {
                let hash = ecdsa_hash(self.algorithm(), self.public.curve)?;
                k.sign_prehash(&hash.digest(msg))?
            }
            #[cfg(feature = "aws-lc")]
            SignKey::AwsLc(k) => k.sign(msg)?,
        })
    }
}

impl fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SoftwareSigner({}, <redacted>)", self.public.curve)
    }
}

/// Verifies `sig` (COSE form) over `msg` with `key` under `alg`.
///
/// The algorithm must fit the key's curve as in 18013-5 (e.g. ES256 needs P-256 or
/// brainpoolP256r1), else [`CryptoError::UnsupportedAlgorithm`]. Ed25519 verification is strict
/// (rejects small-order keys and non-canonical signatures).
///
/// Runs on [`CryptoProvider::default`]; [`CryptoProvider::verify_signature`] takes a provider.
pub fn verify_signature(
    key: &CoseKey,
    alg: Algorithm,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), CryptoError> {
    verify_signature_with(CryptoProvider::default(), key, alg, msg, sig)
}

/// [`verify_signature`] on `provider`.
pub(crate) fn verify_signature_with(
    provider: CryptoProvider,
    key: &CoseKey,
    alg: Algorithm,
    msg: &[u8],
    sig: &[u8],
) -> Result<(), CryptoError> {
    let curve = key.curve;
    match (alg, curve) {
        (Algorithm::EdDSA, Curve::ED25519) | (Algorithm::EdDSA, Curve::ED448) => {
            verify_eddsa(key, msg, sig)
        }
        (Algorithm::EdDSA, other) => Err(CryptoError::UnsupportedAlgorithm(format!(
            "EdDSA with a {other} key"
        ))),
        (Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512, _) => {
            let hash = ecdsa_hash(alg, curve)?;
            provider.verify_ecdsa_prehash(key, &provider.digest(hash, msg), sig)
        }
        (other, _) => Err(CryptoError::UnsupportedAlgorithm(format!("{other:?}"))),
    }
}

/// EdDSA verification (Ed25519 or Ed448, pure, no context).
pub(crate) fn verify_eddsa(key: &CoseKey, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
    let curve = key.curve;
    let raw = ec::okp_bytes(curve, key)?;
    let bad_key = CryptoError::InvalidPublicKey {
        curve,
        reason: "not a valid curve point",
    };
    match curve {
        Curve::ED25519 => {
            let raw: &[u8; 32] = raw.try_into().map_err(|_| bad_key)?;
            let vk = ed25519_dalek::VerifyingKey::from_bytes(raw).map_err(|_| {
                CryptoError::InvalidPublicKey {
                    curve,
                    reason: "not a valid curve point",
                }
            })?;
            let sig = ed25519_dalek::Signature::from_slice(sig)
                .map_err(|_| CryptoError::InvalidSignature)?;
            vk.verify_strict(msg, &sig)
                .map_err(|_| CryptoError::InvalidSignature)
        }
        Curve::ED448 => {
            let raw: &[u8; 57] = raw.try_into().map_err(|_| bad_key)?;
            let vk = ed448_goldilocks::VerifyingKey::from_bytes(raw).map_err(|_| {
                CryptoError::InvalidPublicKey {
                    curve,
                    reason: "not a valid curve point",
                }
            })?;
            let sig = ed448_goldilocks::Signature::from_slice(sig)
                .map_err(|_| CryptoError::InvalidSignature)?;
            vk.verify_raw(&sig, msg)
                .map_err(|_| CryptoError::InvalidSignature)
        }
        other => Err(CryptoError::UnsupportedCurve(other)),
    }
}

fn rc_verify_prehash<C>(
    curve: Curve,
    sec1: &[u8],
    digest: &[u8],
    sig: &[u8],
) -> Result<(), CryptoError>
where
    C: ecdsa::EcdsaCurve + CurveArithmetic,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
    FieldBytesSize<C>: ModulusSize,
{
    let vk = ecdsa::VerifyingKey::<C>::from(ec::rc_public::<C>(curve, sec1)?);
    let sig = ecdsa::Signature::<C>::from_slice(sig).map_err(|_| CryptoError::InvalidSignature)?;
    vk.verify_prehash(digest, &sig)
        .map_err(|_| CryptoError::InvalidSignature)
}

/// ECDSA verification of an r‖s signature over an already computed digest (any hash: X.509
/// certificates may pair hashes and curves freely), with RustCrypto or OpenSSL; see
/// [`CryptoProvider`] for the dispatch.
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
    let sec1 = ec::sec1_point(curve, key)?;
    match curve {
        Curve::P256 => rc_verify_prehash::<p256::NistP256>(curve, &sec1, digest, sig),
        Curve::P384 => rc_verify_prehash::<p384::NistP384>(curve, &sec1, digest, sig),
        Curve::P521 => rc_verify_prehash::<p521::NistP521>(curve, &sec1, digest, sig),
        Curve::BRAINPOOL_P256R1 => {
            rc_verify_prehash::<bp256::BrainpoolP256r1>(curve, &sec1, digest, sig)
        }
        Curve::BRAINPOOL_P384R1 => {
            rc_verify_prehash::<bp384::BrainpoolP384r1>(curve, &sec1, digest, sig)
        }
        #[cfg(feature = "openssl")]
        c if ossl::handles(c) => ossl::verify_prehash(c, &sec1, digest, sig),
        other => Err(CryptoError::UnsupportedCurve(other)),
    }
}
