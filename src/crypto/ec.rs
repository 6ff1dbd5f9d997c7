//! Shared plumbing for the short-Weierstrass curves: COSE_Key <-> SEC1 points, and the
//! RustCrypto generic operations used by key agreement and ECDSA.

use elliptic_curve::{
    sec1::{FromSec1Point, ModulusSize, ToSec1Point},
    AffinePoint, CurveArithmetic, FieldBytesSize, PublicKey, SecretKey,
};
use zeroize::Zeroizing;

use super::{CoseKey, CryptoError, Curve, EcY, KeyParams, KeyType};

/// The SEC1 encoding of an EC2 COSE key's point: `04 || x || y`, or `02/03 || x` when the
/// peer sent only the sign of y (RFC 9053 7.1.1). Checks `kty` and coordinate lengths; whether
/// the point is on the curve is checked by the backend that parses it.
pub(crate) fn sec1_point(curve: Curve, key: &CoseKey) -> Result<Vec<u8>, CryptoError> {
    let len = curve
        .coordinate_len()
        .ok_or(CryptoError::UnsupportedCurve(curve))?;
    if curve.key_type() != Some(KeyType::Ec2) {
        return Err(CryptoError::UnsupportedCurve(curve));
    }
    let KeyParams::Ec2 { x, y } = &key.params else {
        return Err(CryptoError::InvalidPublicKey {
            curve,
            reason: "key type is OKP, the curve needs EC2",
        });
    };
    if x.len() != len {
        return Err(CryptoError::InvalidPublicKey {
            curve,
            reason: "x coordinate has the wrong length",
        });
    }
    let mut out = Vec::with_capacity(1 + 2 * len);
    match y {
        EcY::Coordinate(y) => {
            if y.len() != len {
                return Err(CryptoError::InvalidPublicKey {
                    curve,
                    reason: "y coordinate has the wrong length",
                });
            }
            out.push(0x04);
            out.extend_from_slice(x);
            out.extend_from_slice(y);
        }
        EcY::Sign(odd) => {
            out.push(if *odd { 0x03 } else { 0x02 });
            out.extend_from_slice(x);
        }
    }
    Ok(out)
}

/// The raw key of an OKP COSE key, checking `kty` and length.
pub(crate) fn okp_bytes(curve: Curve, key: &CoseKey) -> Result<&[u8], CryptoError> {
    let len = curve
        .coordinate_len()
        .ok_or(CryptoError::UnsupportedCurve(curve))?;
    let KeyParams::Okp { x } = &key.params else {
        return Err(CryptoError::InvalidPublicKey {
            curve,
            reason: "key type is EC2, the curve needs OKP",
        });
    };
    if x.len() != len {
        return Err(CryptoError::InvalidPublicKey {
            curve,
            reason: "public key has the wrong length",
        });
    }
    Ok(x)
}

/// An EC2 COSE key from an uncompressed SEC1 point (`04 || x || y`).
pub(crate) fn cose_from_uncompressed(curve: Curve, sec1: &[u8]) -> CoseKey {
    let coords = sec1.get(1..).unwrap_or_default();
    let (x, y) = coords.split_at(coords.len() / 2);
    CoseKey::ec2(curve, x.to_vec(), y.to_vec())
}

/// Parses and validates a peer point on a RustCrypto curve (on the curve, not the identity).
pub(crate) fn rc_public<C>(curve: Curve, sec1: &[u8]) -> Result<PublicKey<C>, CryptoError>
where
    C: CurveArithmetic,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
    FieldBytesSize<C>: ModulusSize,
{
    PublicKey::<C>::from_sec1_bytes(sec1).map_err(|_| CryptoError::InvalidPublicKey {
        curve,
        reason: "not a point on the curve",
    })
}

/// Our public key as an uncompressed EC2 COSE key.
pub(crate) fn rc_public_cose<C>(curve: Curve, public: &PublicKey<C>) -> CoseKey
where
    C: CurveArithmetic,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
    FieldBytesSize<C>: ModulusSize,
{
    cose_from_uncompressed(curve, public.to_sec1_point(false).as_bytes())
}

/// ECDH on a RustCrypto curve: the x-coordinate of d·Q (SEC1 ECKA-DH, 18013-5 9.1.5.1).
pub(crate) fn rc_agree<C>(
    curve: Curve,
    secret: &SecretKey<C>,
    sec1: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError>
where
    C: CurveArithmetic,
    AffinePoint<C>: FromSec1Point<C> + ToSec1Point<C>,
    FieldBytesSize<C>: ModulusSize,
{
    let peer = rc_public::<C>(curve, sec1)?;
    let z = secret.diffie_hellman(&peer);
    Ok(Zeroizing::new(z.raw_secret_bytes().to_vec()))
}
