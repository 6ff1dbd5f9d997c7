//! Curve identifiers of cipher suite 1 (2021 9.1.5.2 Table 22 / 2nd ed. Table 17).

use std::fmt;

/// A COSE elliptic curve identifier (RFC 9053 / IANA "COSE Elliptic Curves").
///
/// A newtype over the wire value so that an unknown curve survives decoding and is reported as
/// [`crate::crypto::CryptoError::UnsupportedCurve`] when used, rather than failing to parse.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Curve(pub i64);

/// The kind of COSE key a curve uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// `kty` 2: x and y coordinates (NIST and brainpool curves).
    Ec2,
    /// `kty` 1: one x value (X25519, X448, Ed25519, Ed448).
    Okp,
}

impl KeyType {
    /// COSE `kty` value 1: octet key pair.
    pub const OKP_ID: i64 = 1;
    /// COSE `kty` value 2: elliptic curve with x and y.
    pub const EC2_ID: i64 = 2;

    /// The COSE `kty` value.
    pub fn id(self) -> i64 {
        match self {
            Self::Ec2 => Self::EC2_ID,
            Self::Okp => Self::OKP_ID,
        }
    }
}

impl Curve {
    /// NIST P-256 (secp256r1).
    pub const P256: Self = Self(1);
    /// NIST P-384 (secp384r1).
    pub const P384: Self = Self(2);
    /// NIST P-521 (secp521r1).
    pub const P521: Self = Self(3);
    /// X25519 (key agreement only).
    pub const X25519: Self = Self(4);
    /// X448 (key agreement only).
    pub const X448: Self = Self(5);
    /// Ed25519 (signatures only).
    pub const ED25519: Self = Self(6);
    /// Ed448 (signatures only).
    pub const ED448: Self = Self(7);
    /// brainpoolP256r1 (RFC 8734 value 256).
    pub const BRAINPOOL_P256R1: Self = Self(256);
    /// brainpoolP320r1 (RFC 8734 value 257).
    pub const BRAINPOOL_P320R1: Self = Self(257);
    /// brainpoolP384r1 (RFC 8734 value 258).
    pub const BRAINPOOL_P384R1: Self = Self(258);
    /// brainpoolP512r1 (RFC 8734 value 259).
    pub const BRAINPOOL_P512R1: Self = Self(259);

    /// Every curve an mdoc reader must support for session key agreement (2021 9.1.5.2:
    /// "Support for all curves is mandatory for an mdoc reader").
    pub const KEY_AGREEMENT: [Self; 9] = [
        Self::P256,
        Self::P384,
        Self::P521,
        Self::X25519,
        Self::X448,
        Self::BRAINPOOL_P256R1,
        Self::BRAINPOOL_P320R1,
        Self::BRAINPOOL_P384R1,
        Self::BRAINPOOL_P512R1,
    ];

    /// Every curve used for signatures (issuer, device and reader authentication).
    pub const SIGNATURE: [Self; 9] = [
        Self::P256,
        Self::P384,
        Self::P521,
        Self::ED25519,
        Self::ED448,
        Self::BRAINPOOL_P256R1,
        Self::BRAINPOOL_P320R1,
        Self::BRAINPOOL_P384R1,
        Self::BRAINPOOL_P512R1,
    ];

    /// The curve that signs for this one: the Edwards form of a Montgomery curve (X25519 →
    /// Ed25519, X448 → Ed448), the curve itself otherwise. The two forms of one curve split
    /// the work: one agrees keys, the other signs.
    pub fn signing_counterpart(self) -> Self {
        match self {
            Self::X25519 => Self::ED25519,
            Self::X448 => Self::ED448,
            c => c,
        }
    }

    /// The curve that agrees keys for this one: the Montgomery form of an Edwards curve
    /// (Ed25519 → X25519, Ed448 → X448), the curve itself otherwise.
    pub fn key_agreement_counterpart(self) -> Self {
        match self {
            Self::ED25519 => Self::X25519,
            Self::ED448 => Self::X448,
            c => c,
        }
    }

    /// The COSE key type of this curve, `None` for an unknown curve.
    pub fn key_type(self) -> Option<KeyType> {
        match self {
            Self::P256
            | Self::P384
            | Self::P521
            | Self::BRAINPOOL_P256R1
            | Self::BRAINPOOL_P320R1
            | Self::BRAINPOOL_P384R1
            | Self::BRAINPOOL_P512R1 => Some(KeyType::Ec2),
            Self::X25519 | Self::X448 | Self::ED25519 | Self::ED448 => Some(KeyType::Okp),
            _ => None,
        }
    }

    /// Length in bytes of one coordinate (EC2) or of the public key (OKP); `None` if unknown.
    pub fn coordinate_len(self) -> Option<usize> {
        Some(match self {
            Self::P256 | Self::BRAINPOOL_P256R1 | Self::X25519 | Self::ED25519 => 32,
            Self::BRAINPOOL_P320R1 => 40,
            Self::P384 | Self::BRAINPOOL_P384R1 => 48,
            Self::X448 => 56,
            Self::ED448 => 57,
            Self::P521 => 66,
            Self::BRAINPOOL_P512R1 => 64,
            _ => return None,
        })
    }

    /// The curve's common name, or `None` if unknown.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
            Self::P521 => "P-521",
            Self::X25519 => "X25519",
            Self::X448 => "X448",
            Self::ED25519 => "Ed25519",
            Self::ED448 => "Ed448",
            Self::BRAINPOOL_P256R1 => "brainpoolP256r1",
            Self::BRAINPOOL_P320R1 => "brainpoolP320r1",
            Self::BRAINPOOL_P384R1 => "brainpoolP384r1",
            Self::BRAINPOOL_P512R1 => "brainpoolP512r1",
            _ => return None,
        })
    }

    /// Looks a curve up by its common name (case-insensitive), as used on the command line.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::KEY_AGREEMENT
            .iter()
            .chain(Self::SIGNATURE.iter())
            .copied()
            .find(|c| c.name().is_some_and(|n| n.eq_ignore_ascii_case(name)))
    }
}

impl fmt::Debug for Curve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "Curve({})", self.0),
        }
    }
}

impl fmt::Display for Curve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
