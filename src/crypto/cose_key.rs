//! COSE_Key (RFC 9052 7, 18013-5 9.1.5.1) for EC2 and OKP public keys.

use crate::cbor::{CborCodec, DecodeError, Fields, MapBuilder, Value};

use super::{Curve, KeyType};

/// COSE key parameter labels (RFC 9052 7.1, RFC 9053 7.1).
pub mod label {
    /// `kty`.
    pub const KTY: i64 = 1;
    /// `kid`.
    pub const KID: i64 = 2;
    /// `alg`.
    pub const ALG: i64 = 3;
    /// `crv`.
    pub const CRV: i64 = -1;
    /// `x`.
    pub const X: i64 = -2;
    /// `y`.
    pub const Y: i64 = -3;
    /// `d` (private key; never accepted from a peer).
    pub const D: i64 = -4;
}

/// The y part of an EC2 key: the coordinate, or only its sign bit (point compression).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EcY {
    /// The full y coordinate, big-endian.
    Coordinate(Vec<u8>),
    /// The least significant bit of y (`true` = odd), RFC 9053 7.1.1.
    Sign(bool),
}

/// The public part of a COSE_Key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyParams {
    /// `kty` EC2.
    Ec2 {
        /// x coordinate, big-endian, exactly the curve's coordinate length.
        x: Vec<u8>,
        /// y coordinate or its sign.
        y: EcY,
    },
    /// `kty` OKP.
    Okp {
        /// The public key bytes.
        x: Vec<u8>,
    },
}

/// A public key as a COSE_Key: the form of EDeviceKey, EReaderKey and the MSO's deviceKey.
///
/// Decoding checks that `kty` matches the curve and that coordinate lengths fit the curve; an
/// unknown curve decodes (so that it can be reported as unsupported) but any use of it fails.
/// Encoding writes `kty`, `crv`, `x`, `y` only (2021 9.1.5.1), in that order as in Annex D.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoseKey {
    /// The curve.
    pub curve: Curve,
    /// The key material.
    pub params: KeyParams,
}

impl CoseKey {
    /// An EC2 key from uncompressed coordinates.
    pub fn ec2(curve: Curve, x: Vec<u8>, y: Vec<u8>) -> Self {
        Self {
            curve,
            params: KeyParams::Ec2 {
                x,
                y: EcY::Coordinate(y),
            },
        }
    }

    /// An OKP key.
    pub fn okp(curve: Curve, x: Vec<u8>) -> Self {
        Self {
            curve,
            params: KeyParams::Okp { x },
        }
    }

    fn check_lengths(&self) -> Result<(), DecodeError> {
        let Some(len) = self.curve.coordinate_len() else {
            return Ok(());
        };
        let ok = match &self.params {
            KeyParams::Ec2 {
                x,
                y: EcY::Coordinate(y),
            } => x.len() == len && y.len() == len,
            KeyParams::Ec2 { x, y: EcY::Sign(_) } | KeyParams::Okp { x } => x.len() == len,
        };
        if ok {
            Ok(())
        } else {
            Err(DecodeError::invalid(format!(
                "key length does not match curve {}",
                self.curve
            )))
        }
    }
}

impl CborCodec for CoseKey {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        let kty: i64 = f.required(label::KTY)?;
        let crv: i64 = f.required(label::CRV)?;
        let curve = Curve(crv);
        if let Some(expected) = curve.key_type() {
            if expected.id() != kty {
                return Err(
                    DecodeError::invalid(format!("kty {kty} does not fit curve {curve}"))
                        .within("1"),
                );
            }
        }
        let x = f.required::<crate::cbor::Bstr>(label::X)?.0;
        let params = match kty {
            KeyType::EC2_ID => {
                let y = match f.take(label::Y) {
                    Some(Value::Bytes(y)) => EcY::Coordinate(y),
                    Some(Value::Bool(b)) => EcY::Sign(b),
                    Some(other) => {
                        return Err(DecodeError::wrong_type("bstr or bool", &other).within("-3"))
                    }
                    None => return Err(DecodeError::missing("-3")),
                };
                KeyParams::Ec2 { x, y }
            }
            KeyType::OKP_ID => KeyParams::Okp { x },
            other => {
                return Err(
                    DecodeError::invalid(format!("unsupported key type {other}")).within("1"),
                )
            }
        };
        let key = Self { curve, params };
        key.check_lengths()?;
        Ok(key)
    }

    fn to_cbor(&self) -> Value {
        let kty = match self.params {
            KeyParams::Ec2 { .. } => KeyType::Ec2.id(),
            KeyParams::Okp { .. } => KeyType::Okp.id(),
        };
        let map = MapBuilder::new()
            .field(label::KTY, &kty)
            .field(label::CRV, &self.curve.0);
        match &self.params {
            KeyParams::Ec2 { x, y } => map.raw(label::X, Value::Bytes(x.clone())).raw(
                label::Y,
                match y {
                    EcY::Coordinate(y) => Value::Bytes(y.clone()),
                    EcY::Sign(s) => Value::Bool(*s),
                },
            ),
            KeyParams::Okp { x } => map.raw(label::X, Value::Bytes(x.clone())),
        }
        .build()
    }
}
