//! Key agreement on every curve of cipher suite 1 (2021 9.1.5.2 Table 22): ephemeral session
//! keys (EDeviceKey, EReaderKey) and the shared secret Z.

use std::fmt;

use elliptic_curve::{Generate, SecretKey};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{ec, CoseKey, CryptoError, CryptoProvider, Curve};

#[cfg(feature = "aws-lc")]
use super::provider::aws_lc;

#[cfg(feature = "openssl")]
use super::ossl::{self, OsslKey};

/// The raw ECDH shared secret Z: the x-coordinate of the shared point for EC2 curves, the
/// X25519/X448 output for OKP curves. Zeroized on drop; never cloned or serialized.
pub struct SharedSecret(Zeroizing<Vec<u8>>);

impl SharedSecret {
    /// The secret bytes. For key derivation inside this module and for comparing against test
    /// vectors (Annex D `zab_session`); protocol code has no other use for them.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(<redacted>)")
    }
}

/// A private key usable for key agreement, on any supported curve.
pub(crate) enum KaSecret {
    P256(SecretKey<p256::NistP256>),
    P384(SecretKey<p384::NistP384>),
    P521(SecretKey<p521::NistP521>),
    Bp256(SecretKey<bp256::BrainpoolP256r1>),
    Bp384(SecretKey<bp384::BrainpoolP384r1>),
    X25519(Zeroizing<[u8; 32]>),
    X448(Zeroizing<[u8; 56]>),
    #[cfg(feature = "openssl")]
    Ossl(OsslKey),
    #[cfg(feature = "aws-lc")]
    AwsLc(aws_lc::KaKey),
}

fn unsupported_without_openssl(curve: Curve) -> CryptoError {
    CryptoError::UnsupportedCurve(curve)
}

impl KaSecret {
    pub(crate) fn generate<R: CryptoRng + ?Sized>(
        provider: CryptoProvider,
        curve: Curve,
        rng: &mut R,
    ) -> Result<Self, CryptoError> {
        #[cfg(feature = "aws-lc")]
        if provider.aws_lc_for(curve) && aws_lc::KaKey::handles(curve) {
            return Self::generate_aws_lc(curve, rng);
        }
        #[cfg(not(feature = "aws-lc"))]
        let _ = provider;
        Ok(match curve {
            Curve::P256 => Self::P256(SecretKey::generate_from_rng(rng)),
            Curve::P384 => Self::P384(SecretKey::generate_from_rng(rng)),
            Curve::P521 => Self::P521(SecretKey::generate_from_rng(rng)),
            Curve::BRAINPOOL_P256R1 => Self::Bp256(SecretKey::generate_from_rng(rng)),
            Curve::BRAINPOOL_P384R1 => Self::Bp384(SecretKey::generate_from_rng(rng)),
            Curve::X25519 => {
                let mut k = Zeroizing::new([0u8; 32]);
                rng.fill_bytes(k.as_mut_slice());
                Self::X25519(k)
            }
            Curve::X448 => {
                let mut k = Zeroizing::new([0u8; 56]);
                rng.fill_bytes(k.as_mut_slice());
                Self::X448(k)
            }
            #[cfg(feature = "openssl")]
            c if ossl::handles(c) => Self::Ossl(OsslKey::generate(c, rng)?),
            other => return Err(unsupported_without_openssl(other)),
        })
    }

    /// A key in AWS-LC from scalar bytes the caller's RNG drew, retrying out-of-range draws
    /// (for P-521 the top byte is masked to the one bit a 521-bit scalar has there).
    #[cfg(feature = "aws-lc")]
    fn generate_aws_lc<R: CryptoRng + ?Sized>(
        curve: Curve,
        rng: &mut R,
    ) -> Result<Self, CryptoError> {
        let len = curve
            .coordinate_len()
            .ok_or(CryptoError::UnsupportedCurve(curve))?;
        let mut buf = Zeroizing::new(vec![0u8; len]);
        // Scalars must be in [1, n): a draw fails with probability < 2^-32 on these curves
        // (P-521 once its top byte is masked), so 128 failures in a row means a broken RNG.
        for _ in 0..128 {
            rng.fill_bytes(&mut buf);
            if curve == Curve::P521 {
                buf[0] &= 0x01;
            }
            match aws_lc::KaKey::from_bytes(curve, &buf) {
                Ok(k) => return Ok(Self::AwsLc(k)),
                Err(CryptoError::InvalidPrivateKey { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(CryptoError::InvalidPrivateKey {
            curve,
            reason: "RNG produced no valid scalar in 128 draws",
        })
    }

    pub(crate) fn from_bytes(
        provider: CryptoProvider,
        curve: Curve,
        bytes: &[u8],
    ) -> Result<Self, CryptoError> {
        #[cfg(feature = "aws-lc")]
        if provider.aws_lc_for(curve) && aws_lc::KaKey::handles(curve) {
            return aws_lc::KaKey::from_bytes(curve, bytes).map(Self::AwsLc);
        }
        #[cfg(not(feature = "aws-lc"))]
        let _ = provider;
        let invalid = |reason| CryptoError::InvalidPrivateKey { curve, reason };
        let len = curve
            .coordinate_len()
            .ok_or(CryptoError::UnsupportedCurve(curve))?;
        if bytes.len() != len {
            return Err(invalid("wrong length"));
        }
        let scalar = "scalar is zero or not below the group order";
        Ok(match curve {
            Curve::P256 => Self::P256(SecretKey::from_slice(bytes).map_err(|_| invalid(scalar))?),
            Curve::P384 => Self::P384(SecretKey::from_slice(bytes).map_err(|_| invalid(scalar))?),
            Curve::P521 => Self::P521(SecretKey::from_slice(bytes).map_err(|_| invalid(scalar))?),
            Curve::BRAINPOOL_P256R1 => {
                Self::Bp256(SecretKey::from_slice(bytes).map_err(|_| invalid(scalar))?)
            }
            Curve::BRAINPOOL_P384R1 => {
                Self::Bp384(SecretKey::from_slice(bytes).map_err(|_| invalid(scalar))?)
            }
            Curve::X25519 => {
                let mut k = Zeroizing::new([0u8; 32]);
                k.copy_from_slice(bytes);
                Self::X25519(k)
            }
            Curve::X448 => {
                let mut k = Zeroizing::new([0u8; 56]);
                k.copy_from_slice(bytes);
                Self::X448(k)
            }
            #[cfg(feature = "openssl")]
            c if ossl::handles(c) => Self::Ossl(OsslKey::from_scalar(c, bytes)?),
            other => return Err(CryptoError::UnsupportedCurve(other)),
        })
    }

    pub(crate) fn curve(&self) -> Curve {
        match self {
            Self::P256(_) => Curve::P256,
            Self::P384(_) => Curve::P384,
            Self::P521(_) => Curve::P521,
            Self::Bp256(_) => Curve::BRAINPOOL_P256R1,
            Self::Bp384(_) => Curve::BRAINPOOL_P384R1,
            Self::X25519(_) => Curve::X25519,
            Self::X448(_) => Curve::X448,
            #[cfg(feature = "openssl")]
            Self::Ossl(k) => k.curve(),
            #[cfg(feature = "aws-lc")]
            Self::AwsLc(k) => k.curve(),
        }
    }

    pub(crate) fn public_key(&self) -> Result<CoseKey, CryptoError> {
        let curve = self.curve();
        Ok(match self {
            Self::P256(k) => ec::rc_public_cose(curve, &k.public_key()),
            Self::P384(k) => ec::rc_public_cose(curve, &k.public_key()),
            Self::P521(k) => ec::rc_public_cose(curve, &k.public_key()),
            Self::Bp256(k) => ec::rc_public_cose(curve, &k.public_key()),
            Self::Bp384(k) => ec::rc_public_cose(curve, &k.public_key()),
            Self::X25519(k) => CoseKey::okp(
                curve,
                x25519_dalek::x25519(**k, x25519_dalek::X25519_BASEPOINT_BYTES).to_vec(),
            ),
            Self::X448(k) => {
                // The base point is not of low order, so `x448` always returns a point.
                let public = x448::x448(**k, x448::X448_BASEPOINT_BYTES).ok_or(
                    CryptoError::InvalidPrivateKey {
                        curve,
                        reason: "X448 scalar multiplication failed",
                    },
                )?;
                CoseKey::okp(curve, public.to_vec())
            }
            #[cfg(feature = "openssl")]
            Self::Ossl(k) => k.public_cose()?,
            #[cfg(feature = "aws-lc")]
            Self::AwsLc(k) => k.public_cose()?,
        })
    }

    pub(crate) fn agree(&self, peer: &CoseKey) -> Result<SharedSecret, CryptoError> {
        let curve = self.curve();
        if peer.curve != curve {
            return Err(CryptoError::CurveMismatch {
                ours: curve,
                theirs: peer.curve,
            });
        }
        let z = match self {
            Self::P256(k) => ec::rc_agree(curve, k, &ec::sec1_point(curve, peer)?)?,
            Self::P384(k) => ec::rc_agree(curve, k, &ec::sec1_point(curve, peer)?)?,
            Self::P521(k) => ec::rc_agree(curve, k, &ec::sec1_point(curve, peer)?)?,
            Self::Bp256(k) => ec::rc_agree(curve, k, &ec::sec1_point(curve, peer)?)?,
            Self::Bp384(k) => ec::rc_agree(curve, k, &ec::sec1_point(curve, peer)?)?,
            Self::X25519(k) => {
                let u: [u8; 32] = ec::okp_bytes(curve, peer)?.try_into().map_err(|_| {
                    CryptoError::InvalidPublicKey {
                        curve,
                        reason: "public key has the wrong length",
                    }
                })?;
                Zeroizing::new(x25519_dalek::x25519(**k, u).to_vec())
            }
            Self::X448(k) => {
                let u: [u8; 56] = ec::okp_bytes(curve, peer)?.try_into().map_err(|_| {
                    CryptoError::InvalidPublicKey {
                        curve,
                        reason: "public key has the wrong length",
                    }
                })?;
                let z = x448::x448(**k, u).ok_or(CryptoError::InvalidPublicKey {
                    curve,
                    reason: "low-order point",
                })?;
                Zeroizing::new(z.to_vec())
            }
            #[cfg(feature = "openssl")]
            Self::Ossl(k) => k.agree(&ec::sec1_point(curve, peer)?)?,
            #[cfg(feature = "aws-lc")]
            Self::AwsLc(k) => k.agree(peer)?,
        };
        // RFC 7748 6.1: an all-zero output means the peer sent a low-order point. Checked for
        // every curve (cheap; impossible for a valid prime-order EC point).
        if bool::from(z.iter().fold(0u8, |acc, b| acc | b).ct_eq(&0)) {
            return Err(CryptoError::InvalidPublicKey {
                curve,
                reason: "low-order point (all-zero shared secret)",
            });
        }
        Ok(SharedSecret(z))
    }
}

/// An ephemeral private key for session key agreement: EDeviceKey (holder) or EReaderKey
/// (reader), 2021 9.1.1.4. Zeroized on drop; not `Clone`, not serializable, `Debug` redacted.
pub struct EphemeralPrivateKey {
    secret: KaSecret,
    /// Derived once at construction: engagement, transcript and checks all need it.
    public: CoseKey,
}

impl EphemeralPrivateKey {
    /// A fresh key on `curve`, drawing randomness only from `rng`.
    ///
    /// Fails with [`CryptoError::UnsupportedCurve`] for a signature-only or unknown curve, and
    /// for brainpoolP320r1/P512r1 when built without the `openssl` feature.
    pub fn generate<R: CryptoRng + ?Sized>(curve: Curve, rng: &mut R) -> Result<Self, CryptoError> {
        Self::generate_with(CryptoProvider::default(), curve, rng)
    }

    /// [`generate`](Self::generate) with `provider` computing this key's public key and every
    /// key agreement it takes part in.
    pub fn generate_with<R: CryptoRng + ?Sized>(
        provider: CryptoProvider,
        curve: Curve,
        rng: &mut R,
    ) -> Result<Self, CryptoError> {
        Self::new(KaSecret::generate(provider, curve, rng)?)
    }

    fn new(secret: KaSecret) -> Result<Self, CryptoError> {
        let public = secret.public_key()?;
        Ok(Self { secret, public })
    }

    /// A key from its private bytes: the big-endian scalar of the curve's length for EC2 curves
    /// (P-521: 66 bytes), the 32/56-byte RFC 7748 scalar for X25519/X448. Used to replay
    /// Annex D and other test vectors.
    pub fn from_bytes(curve: Curve, bytes: &[u8]) -> Result<Self, CryptoError> {
        Self::from_bytes_with(CryptoProvider::default(), curve, bytes)
    }

    /// [`from_bytes`](Self::from_bytes) on `provider`.
    pub fn from_bytes_with(
        provider: CryptoProvider,
        curve: Curve,
        bytes: &[u8],
    ) -> Result<Self, CryptoError> {
        Self::new(KaSecret::from_bytes(provider, curve, bytes)?)
    }

    /// The curve of this key.
    pub fn curve(&self) -> Curve {
        self.secret.curve()
    }

    /// The public key as a COSE_Key (EC2 keys with uncompressed x and y, 2021 9.1.5.1).
    pub fn public_key(&self) -> Result<CoseKey, CryptoError> {
        Ok(self.public.clone())
    }

    /// ECDH with the peer's public key. The peer key must be on our curve
    /// ([`CryptoError::CurveMismatch`]); its point is validated (on the curve, not the identity,
    /// not of low order); a compressed EC2 point (`y` as a sign bit) is accepted.
    pub fn agree(&self, peer: &CoseKey) -> Result<SharedSecret, CryptoError> {
        self.secret.agree(peer)
    }
}

impl fmt::Debug for EphemeralPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EphemeralPrivateKey({}, <redacted>)", self.curve())
    }
}
