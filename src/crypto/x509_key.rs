//! Public keys of X.509 certificates (RFC 5280 SubjectPublicKeyInfo) as COSE keys, and
//! verification of a certificate's signature with its issuer's key (RFC 5758, RFC 8410).

use der::{
    asn1::{AnyRef, BitString, ObjectIdentifier, UintRef},
    Decode, Encode, Reader, SliceReader, Tag, Tagged as _,
};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;

use super::{
    ec,
    sign::{verify_eddsa, HashAlg},
    CoseKey, CryptoError, CryptoProvider, Curve, EcY, KeyParams,
};

/// Object identifiers of public-key and signature algorithms and of named curves.
pub mod oid {
    use der::asn1::ObjectIdentifier;

    /// id-ecPublicKey (RFC 5480).
    pub const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
    /// secp256r1 / P-256.
    pub const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
    /// secp384r1 / P-384.
    pub const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
    /// secp521r1 / P-521.
    pub const P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
    /// brainpoolP256r1 (RFC 5639).
    pub const BRAINPOOL_P256R1: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.36.3.3.2.8.1.1.7");
    /// brainpoolP320r1.
    pub const BRAINPOOL_P320R1: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.36.3.3.2.8.1.1.9");
    /// brainpoolP384r1.
    pub const BRAINPOOL_P384R1: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.36.3.3.2.8.1.1.11");
    /// brainpoolP512r1.
    pub const BRAINPOOL_P512R1: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("1.3.36.3.3.2.8.1.1.13");
    /// id-Ed25519 (RFC 8410): key and signature algorithm.
    pub const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
    /// id-Ed448 (RFC 8410): key and signature algorithm.
    pub const ED448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.113");
    /// ecdsa-with-SHA256 (RFC 5758).
    pub const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
    /// ecdsa-with-SHA384.
    pub const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
    /// ecdsa-with-SHA512.
    pub const ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
}

/// The 18013-5 curve of an X.509 / PKCS#8 named-curve OID (id-ecPublicKey parameters), if any.
pub fn curve_of_named_curve(oid: &ObjectIdentifier) -> Option<Curve> {
    NAMED_CURVES.iter().find(|(o, _)| o == oid).map(|(_, c)| *c)
}

const NAMED_CURVES: [(ObjectIdentifier, Curve); 7] = [
    (oid::P256, Curve::P256),
    (oid::P384, Curve::P384),
    (oid::P521, Curve::P521),
    (oid::BRAINPOOL_P256R1, Curve::BRAINPOOL_P256R1),
    (oid::BRAINPOOL_P320R1, Curve::BRAINPOOL_P320R1),
    (oid::BRAINPOOL_P384R1, Curve::BRAINPOOL_P384R1),
    (oid::BRAINPOOL_P512R1, Curve::BRAINPOOL_P512R1),
];

fn cert_err(what: &str, e: impl std::fmt::Display) -> CryptoError {
    CryptoError::Certificate(format!("{what}: {e}"))
}

/// Checks that a SEC1 point is on `curve` (and not the identity).
fn check_point(curve: Curve, sec1: &[u8]) -> Result<(), CryptoError> {
    match curve {
        Curve::P256 => ec::rc_public::<p256::NistP256>(curve, sec1).map(|_| ()),
        Curve::P384 => ec::rc_public::<p384::NistP384>(curve, sec1).map(|_| ()),
        Curve::P521 => ec::rc_public::<p521::NistP521>(curve, sec1).map(|_| ()),
        Curve::BRAINPOOL_P256R1 => ec::rc_public::<bp256::BrainpoolP256r1>(curve, sec1).map(|_| ()),
        Curve::BRAINPOOL_P384R1 => ec::rc_public::<bp384::BrainpoolP384r1>(curve, sec1).map(|_| ()),
        #[cfg(feature = "openssl")]
        c if super::ossl::handles(c) => super::ossl::check_point(c, sec1),
        other => Err(CryptoError::UnsupportedCurve(other)),
    }
}

/// The public key of a SubjectPublicKeyInfo as a COSE key: id-ecPublicKey on one of the
/// named curves of 18013-5 (point validated; a compressed point becomes [`EcY::Sign`]), or
/// Ed25519 / Ed448.
pub fn cose_key_from_spki(spki: &SubjectPublicKeyInfoOwned) -> Result<CoseKey, CryptoError> {
    let alg = &spki.algorithm;
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| CryptoError::Certificate("public key BIT STRING has unused bits".into()))?;
    if alg.oid == oid::ED25519 || alg.oid == oid::ED448 {
        let curve = if alg.oid == oid::ED25519 {
            Curve::ED25519
        } else {
            Curve::ED448
        };
        let cose = CoseKey::okp(curve, key.to_vec());
        ec::okp_bytes(curve, &cose)?;
        return Ok(cose);
    }
    if alg.oid != oid::EC_PUBLIC_KEY {
        return Err(CryptoError::UnsupportedAlgorithm(format!(
            "public key algorithm {}",
            alg.oid
        )));
    }
    let named: ObjectIdentifier = alg
        .parameters
        .as_ref()
        .ok_or_else(|| CryptoError::Certificate("id-ecPublicKey without a named curve".into()))?
        .decode_as()
        .map_err(|e| cert_err("id-ecPublicKey parameters are not a named curve", e))?;
    let curve = curve_of_named_curve(&named)
        .ok_or_else(|| CryptoError::UnsupportedAlgorithm(format!("named curve {named}")))?;
    let len = curve
        .coordinate_len()
        .ok_or(CryptoError::UnsupportedCurve(curve))?;
    let invalid = |reason| CryptoError::InvalidPublicKey { curve, reason };
    let cose = match key.first() {
        Some(0x04) if key.len() == 1 + 2 * len => ec::cose_from_uncompressed(curve, key),
        Some(tag @ (0x02 | 0x03)) if key.len() == 1 + len => CoseKey {
            curve,
            params: KeyParams::Ec2 {
                x: key[1..].to_vec(),
                y: EcY::Sign(*tag == 0x03),
            },
        },
        _ => return Err(invalid("not a SEC1 point of the curve's size")),
    };
    check_point(curve, key)?;
    Ok(cose)
}

/// [`cose_key_from_spki`] from DER bytes.
pub fn cose_key_from_spki_der(der: &[u8]) -> Result<CoseKey, CryptoError> {
    let spki = SubjectPublicKeyInfoOwned::from_der(der)
        .map_err(|e| cert_err("SubjectPublicKeyInfo", e))?;
    cose_key_from_spki(&spki)
}

/// The subject public key of a certificate as a COSE key.
pub fn certificate_public_key(cert: &Certificate) -> Result<CoseKey, CryptoError> {
    cose_key_from_spki(cert.tbs_certificate().subject_public_key_info())
}

/// Our public key as a SubjectPublicKeyInfo (EC keys as uncompressed points), so that a test
/// issuer can put it into certificates.
pub fn spki_from_cose_key(key: &CoseKey) -> Result<SubjectPublicKeyInfoOwned, CryptoError> {
    let (algorithm, bits) = match key.curve {
        Curve::ED25519 | Curve::ED448 => {
            let raw = ec::okp_bytes(key.curve, key)?;
            let oid = if key.curve == Curve::ED25519 {
                oid::ED25519
            } else {
                oid::ED448
            };
            (
                AlgorithmIdentifierOwned {
                    oid,
                    parameters: None,
                },
                raw.to_vec(),
            )
        }
        curve => {
            let named = NAMED_CURVES
                .iter()
                .find(|(_, c)| *c == curve)
                .map(|(o, _)| *o)
                .ok_or(CryptoError::UnsupportedCurve(curve))?;
            // A key holding only the sign of y stays compressed (RFC 5480 2.2 allows it).
            let sec1 = ec::sec1_point(curve, key)?;
            check_point(curve, &sec1)?;
            let params =
                der::Any::encode_from(&named).map_err(|e| cert_err("encoding curve OID", e))?;
            (
                AlgorithmIdentifierOwned {
                    oid: oid::EC_PUBLIC_KEY,
                    parameters: Some(params),
                },
                sec1,
            )
        }
    };
    let subject_public_key =
        BitString::from_bytes(&bits).map_err(|e| cert_err("encoding public key", e))?;
    Ok(SubjectPublicKeyInfoOwned {
        algorithm,
        subject_public_key,
    })
}

/// [`spki_from_cose_key`] as DER.
pub fn spki_der_from_cose_key(key: &CoseKey) -> Result<Vec<u8>, CryptoError> {
    spki_from_cose_key(key)?
        .to_der()
        .map_err(|e| cert_err("encoding SubjectPublicKeyInfo", e))
}

/// The raw DER of the TBSCertificate inside a certificate, as received (never re-encoded).
fn tbs_bytes(cert_der: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let outer = AnyRef::from_der(cert_der).map_err(|e| cert_err("certificate", e))?;
    let mut reader = SliceReader::new(outer.value()).map_err(|e| cert_err("certificate", e))?;
    let tbs = AnyRef::decode(&mut reader).map_err(|e| cert_err("TBSCertificate", e))?;
    // DER lengths are minimal (the der crate rejects others), so this re-emits the same bytes.
    tbs.to_der().map_err(|e| cert_err("TBSCertificate", e))
}

/// An ECDSA-Sig-Value (DER SEQUENCE of r, s) as COSE r‖s for a curve with `len`-byte scalars.
fn ecdsa_der_to_raw(sig: &[u8], len: usize) -> Result<Vec<u8>, CryptoError> {
    let seq = AnyRef::from_der(sig).map_err(|_| CryptoError::InvalidSignature)?;
    if seq.tag() != Tag::Sequence {
        return Err(CryptoError::InvalidSignature);
    }
    let mut reader = SliceReader::new(seq.value()).map_err(|_| CryptoError::InvalidSignature)?;
    let r = UintRef::decode(&mut reader).map_err(|_| CryptoError::InvalidSignature)?;
    let s = UintRef::decode(&mut reader).map_err(|_| CryptoError::InvalidSignature)?;
    if !reader.is_finished() {
        return Err(CryptoError::InvalidSignature);
    }
    let mut out = vec![0u8; 2 * len];
    for (i, part) in [r.as_bytes(), s.as_bytes()].into_iter().enumerate() {
        if part.len() > len {
            return Err(CryptoError::InvalidSignature);
        }
        let end = (i + 1) * len;
        out[end - part.len()..end].copy_from_slice(part);
    }
    Ok(out)
}

/// Verifies the signature of the certificate `cert_der` with its issuer's public key:
/// ecdsa-with-SHA256/384/512 (any hash with any of our ECDSA curves) or Ed25519 / Ed448. The
/// signed bytes are the TBSCertificate exactly as received.
///
/// Runs on [`CryptoProvider::default`]; [`CryptoProvider::verify_certificate_signature`] takes a
/// provider.
pub fn verify_certificate_signature(
    cert_der: &[u8],
    issuer_key: &CoseKey,
) -> Result<(), CryptoError> {
    verify_certificate_signature_with(CryptoProvider::default(), cert_der, issuer_key)
}

/// [`verify_certificate_signature`] on `provider`.
pub(crate) fn verify_certificate_signature_with(
    provider: CryptoProvider,
    cert_der: &[u8],
    issuer_key: &CoseKey,
) -> Result<(), CryptoError> {
    let cert = Certificate::from_der(cert_der).map_err(|e| cert_err("certificate", e))?;
    let tbs = tbs_bytes(cert_der)?;
    let sig = cert
        .signature()
        .as_bytes()
        .ok_or_else(|| CryptoError::Certificate("signature BIT STRING has unused bits".into()))?;
    let alg = &cert.signature_algorithm().oid;
    let hash = if *alg == oid::ECDSA_SHA256 {
        Some(HashAlg::Sha256)
    } else if *alg == oid::ECDSA_SHA384 {
        Some(HashAlg::Sha384)
    } else if *alg == oid::ECDSA_SHA512 {
        Some(HashAlg::Sha512)
    } else {
        None
    };
    match hash {
        Some(hash) => {
            let len = issuer_key
                .curve
                .coordinate_len()
                .ok_or(CryptoError::UnsupportedCurve(issuer_key.curve))?;
            provider.verify_ecdsa_prehash(
                issuer_key,
                &provider.digest(hash, &tbs),
                &ecdsa_der_to_raw(sig, len)?,
            )
        }
        None if (*alg == oid::ED25519 && issuer_key.curve == Curve::ED25519)
            || (*alg == oid::ED448 && issuer_key.curve == Curve::ED448) =>
        {
            verify_eddsa(issuer_key, &tbs, sig)
        }
        None => Err(CryptoError::UnsupportedAlgorithm(format!(
            "certificate signature algorithm {alg} with a {} key",
            issuer_key.curve
        ))),
    }
}
