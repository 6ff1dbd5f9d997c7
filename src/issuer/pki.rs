//! A test PKI with the certificate profiles of 18013-5 Annex B (2021 B.1 / 2nd ed. Annex B):
//! IACA root, Document Signer, reader root CA and reader authentication certificate.
//!
//! Certificates are X.509 v3, built from `x509-cert` / `der` types and signed through our
//! [`Signer`] (so the issuing key may live in an HSM): ECDSA signatures (COSE r ‖ s) are
//! re-encoded as a DER `ECDSA-Sig-Value` (RFC 5758 / RFC 3279), EdDSA signatures go in as they
//! are (RFC 8410). Every signature curve of 18013-5 works, as issuer or as subject.
//!
//! What each profile puts in (Annex B Tables B.1–B.8, abridged):
//!
//! | profile | basicConstraints | keyUsage (critical) | extKeyUsage (critical) | key ids |
//! |---|---|---|---|---|
//! | IACA | critical, cA, pathLen 0 | keyCertSign, cRLSign | — | SKI |
//! | Document Signer | — | digitalSignature | 1.0.18013.5.1.2 | AKI, SKI |
//! | reader root CA | critical, cA, pathLen 0 | keyCertSign, cRLSign | — | SKI |
//! | reader authentication | — | digitalSignature | 1.0.18013.5.1.6 | AKI, SKI |
//!
//! IACA and Document Signer also carry issuerAlternativeName (a URI), which Annex B makes
//! mandatory; the Document Signer's country must equal its IACA's. Key identifiers are the
//! leftmost 160 bits of the SHA-256 of the subjectPublicKey bits (RFC 7093 section 2 method 1).
//! CRL distribution points are not written (these certificates are for tests).

use std::str::FromStr as _;
use std::time::Duration;

use der::{
    asn1::{BitString, GeneralizedTime, Ia5String, OctetString, UintRef, UtcTime},
    oid::{AssociatedOid, ObjectIdentifier},
    pem::LineEnding,
    Decode as _, Encode, EncodePem as _, Sequence,
};
use rand_core::CryptoRng;
use sha2::{Digest as _, Sha256};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::{
    certificate::Version,
    ext::{
        pkix::{
            name::GeneralName, AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage,
            IssuerAltName, KeyUsage, KeyUsages, SubjectKeyIdentifier,
        },
        Extension, Extensions,
    },
    name::Name,
    serial_number::SerialNumber,
    time::{Time, Validity},
    Certificate,
};

use crate::crypto::{oid, spki_from_cose_key, CoseKey, CryptoError, Curve, Signer};

use super::{IssueError, PrivateKey};

/// extKeyUsage of a Document Signer certificate (2021 B.1.4): `1.0.18013.5.1.2`.
pub const EKU_DOCUMENT_SIGNER: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.0.18013.5.1.2");
/// extKeyUsage of a reader authentication certificate (2021 B.1.7): `1.0.18013.5.1.6`.
pub const EKU_READER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.0.18013.5.1.6");

/// Which Annex B certificate profile to issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateProfile {
    /// Issuing Authority CA root (self-signed; signs Document Signers).
    Iaca,
    /// Document Signer: signs the MSO (issuerAuth).
    DocumentSigner,
    /// Root CA of reader authentication certificates (self-signed).
    ReaderRootCa,
    /// Reader authentication: signs readerAuth.
    ReaderAuthentication,
}

impl CertificateProfile {
    fn is_ca(self) -> bool {
        matches!(self, Self::Iaca | Self::ReaderRootCa)
    }
}

/// What goes into one certificate besides its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateSpec {
    /// The profile.
    pub profile: CertificateProfile,
    /// Subject commonName.
    pub common_name: String,
    /// Subject countryName: two upper-case letters (ISO 3166-1 alpha-2). Annex B requires it
    /// for IACA and Document Signer.
    pub country: Option<String>,
    /// Subject organizationName, if any.
    pub organization: Option<String>,
    /// Subject stateOrProvinceName, if any (2021 Annex B: when the IACA has one, its Document
    /// Signers carry the same).
    pub state_or_province: Option<String>,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// issuerAlternativeName as a URI (Annex B: mandatory for IACA and Document Signer).
    pub issuer_alt_name_uri: Option<String>,
}

/// A certificate made here: its DER bytes and the parsed form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCertificate {
    der: Vec<u8>,
    certificate: Certificate,
}

impl TestCertificate {
    /// Parses DER bytes.
    pub fn from_der(der: Vec<u8>) -> Result<Self, IssueError> {
        let certificate = Certificate::from_der(&der)?;
        Ok(Self { der, certificate })
    }

    /// The DER encoding (what goes into x5chain).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The parsed certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// PEM (`-----BEGIN CERTIFICATE-----`, LF line endings).
    pub fn to_pem(&self) -> Result<String, IssueError> {
        Ok(self.certificate.to_pem(LineEnding::LF)?)
    }
}

/// A self-signed certificate (IACA or reader root CA) for `signer`'s own key.
pub fn self_signed<S: Signer + ?Sized, R: CryptoRng + ?Sized>(
    spec: &CertificateSpec,
    signer: &S,
    rng: &mut R,
) -> Result<TestCertificate, IssueError> {
    if !spec.profile.is_ca() {
        return Err(IssueError::InvalidInput(format!(
            "{:?} certificates are issued by a CA, not self-signed",
            spec.profile
        )));
    }
    let subject = subject_name(spec)?;
    build(spec, &signer.public_key(), &subject, None, signer, rng)
}

/// A certificate for `subject_key`, issued by `issuer` (whose private key is `issuer_signer`).
pub fn issue<S: Signer + ?Sized, R: CryptoRng + ?Sized>(
    spec: &CertificateSpec,
    subject_key: &CoseKey,
    issuer: &TestCertificate,
    issuer_signer: &S,
    rng: &mut R,
) -> Result<TestCertificate, IssueError> {
    if spec.profile.is_ca() {
        return Err(IssueError::InvalidInput(format!(
            "{:?} certificates are self-signed",
            spec.profile
        )));
    }
    let issuer_name = issuer.certificate.tbs_certificate().subject();
    if spec.profile == CertificateProfile::DocumentSigner {
        // 2021 B.1.4: the Document Signer's countryName is the IACA's.
        let iaca_country = issuer_name.country()?.map(|c| c.as_str().to_owned());
        if iaca_country.is_none() || iaca_country != spec.country {
            return Err(IssueError::InvalidInput(
                "a Document Signer needs the country of its IACA".into(),
            ));
        }
    }
    let subject = subject_name(spec)?;
    build(
        spec,
        subject_key,
        &subject,
        Some(issuer_name.clone()),
        issuer_signer,
        rng,
    )
}

/// An IACA and one Document Signer, with their keys.
#[derive(Debug)]
pub struct IssuerPki {
    /// The IACA's private key.
    pub iaca_key: PrivateKey,
    /// The IACA root certificate (the reader's trust anchor).
    pub iaca: TestCertificate,
    /// The Document Signer's private key (signs MSOs).
    pub ds_key: PrivateKey,
    /// The Document Signer certificate (x5chain of issuerAuth).
    pub ds: TestCertificate,
}

impl IssuerPki {
    /// Fresh keys on `curve` for both, IACA valid 10 years and Document Signer 3 years from
    /// `now` (Unix seconds), subject `C=country`, CN "Test IACA `country`" / "Test DS `country`".
    pub fn generate<R: CryptoRng + ?Sized>(
        curve: Curve,
        country: &str,
        now: i64,
        rng: &mut R,
    ) -> Result<Self, IssueError> {
        const YEAR: i64 = 365 * 86_400;
        let iaca_key = PrivateKey::generate(curve, rng)?;
        let iaca_signer = iaca_key.signer()?;
        let iaca = self_signed(
            &CertificateSpec {
                profile: CertificateProfile::Iaca,
                common_name: format!("Test IACA {country}"),
                country: Some(country.to_owned()),
                organization: None,
                state_or_province: None,
                not_before: now,
                not_after: now + 10 * YEAR,
                issuer_alt_name_uri: Some("https://iaca.example.invalid".into()),
            },
            &iaca_signer,
            rng,
        )?;
        let ds_key = PrivateKey::generate(curve, rng)?;
        let ds = issue(
            &CertificateSpec {
                profile: CertificateProfile::DocumentSigner,
                common_name: format!("Test DS {country}"),
                country: Some(country.to_owned()),
                organization: None,
                state_or_province: None,
                not_before: now,
                not_after: now + 3 * YEAR,
                issuer_alt_name_uri: Some("https://iaca.example.invalid".into()),
            },
            ds_key.public_key(),
            &iaca,
            &iaca_signer,
            rng,
        )?;
        Ok(Self {
            iaca_key,
            iaca,
            ds_key,
            ds,
        })
    }
}

/// A reader root CA and one reader authentication certificate, with their keys.
#[derive(Debug)]
pub struct ReaderPki {
    /// The root CA's private key.
    pub root_key: PrivateKey,
    /// The reader root CA certificate (the holder's trust anchor for reader authentication).
    pub root: TestCertificate,
    /// The reader's private key (signs readerAuth).
    pub reader_key: PrivateKey,
    /// The reader authentication certificate.
    pub reader: TestCertificate,
}

impl ReaderPki {
    /// Fresh keys on `curve`, root valid 10 years and reader certificate 1 year from `now`.
    pub fn generate<R: CryptoRng + ?Sized>(
        curve: Curve,
        now: i64,
        rng: &mut R,
    ) -> Result<Self, IssueError> {
        const YEAR: i64 = 365 * 86_400;
        let root_key = PrivateKey::generate(curve, rng)?;
        let root_signer = root_key.signer()?;
        let root = self_signed(
            &CertificateSpec {
                profile: CertificateProfile::ReaderRootCa,
                common_name: "Test reader root CA".into(),
                country: None,
                organization: Some("mdl-proximity tests".into()),
                state_or_province: None,
                not_before: now,
                not_after: now + 10 * YEAR,
                issuer_alt_name_uri: None,
            },
            &root_signer,
            rng,
        )?;
        let reader_key = PrivateKey::generate(curve, rng)?;
        let reader = issue(
            &CertificateSpec {
                profile: CertificateProfile::ReaderAuthentication,
                common_name: "Test reader".into(),
                country: None,
                organization: Some("mdl-proximity tests".into()),
                state_or_province: None,
                not_before: now,
                not_after: now + YEAR,
                issuer_alt_name_uri: None,
            },
            reader_key.public_key(),
            &root,
            &root_signer,
            rng,
        )?;
        Ok(Self {
            root_key,
            root,
            reader_key,
            reader,
        })
    }
}

// ---- building ---------------------------------------------------------------------------------

/// TBSCertificate (RFC 5280 4.1), written out so that the signature algorithm and every field
/// are ours to set (x509-cert's own type keeps its fields private).
#[derive(Sequence)]
struct Tbs {
    #[asn1(context_specific = "0", default = "Default::default")]
    version: Version,
    serial_number: SerialNumber,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    validity: Validity,
    subject: Name,
    subject_public_key_info: SubjectPublicKeyInfoOwned,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    extensions: Option<Extensions>,
}

/// Certificate (RFC 5280 4.1) around already-encoded TBS bytes.
#[derive(Sequence)]
struct CertificateOut<'a> {
    tbs_certificate: der::asn1::AnyRef<'a>,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// `ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }` (RFC 3279 2.2.3).
#[derive(Sequence)]
struct EcdsaSigValue<'a> {
    r: UintRef<'a>,
    s: UintRef<'a>,
}

fn build<S: Signer + ?Sized, R: CryptoRng + ?Sized>(
    spec: &CertificateSpec,
    subject_key: &CoseKey,
    subject: &Name,
    issuer: Option<Name>,
    signer: &S,
    rng: &mut R,
) -> Result<TestCertificate, IssueError> {
    let signature = signature_algorithm(signer)?;
    let spki = spki_from_cose_key(subject_key)?;
    let issuer_key = signer.public_key();
    let self_signed = issuer.is_none();
    let extensions = extensions(spec, &spki, &spki_from_cose_key(&issuer_key)?, self_signed)?;
    let tbs = Tbs {
        version: Version::V3,
        serial_number: random_serial(rng)?,
        signature: signature.clone(),
        issuer: issuer.unwrap_or_else(|| subject.clone()),
        validity: Validity::new(time(spec.not_before)?, time(spec.not_after)?),
        subject: subject.clone(),
        subject_public_key_info: spki,
        extensions: Some(extensions),
    };
    let tbs_der = tbs.to_der()?;
    let raw = signer.sign(&tbs_der)?;
    let sig_bytes = if signature.oid == oid::ED25519 || signature.oid == oid::ED448 {
        raw
    } else {
        ecdsa_sig_value(&raw)?
    };
    let der = CertificateOut {
        tbs_certificate: der::asn1::AnyRef::from_der(&tbs_der)?,
        signature_algorithm: signature,
        signature: BitString::from_bytes(&sig_bytes)?,
    }
    .to_der()?;
    TestCertificate::from_der(der)
}

/// The X.509 signature algorithm for a signer's COSE algorithm (RFC 5758, RFC 8410).
fn signature_algorithm<S: Signer + ?Sized>(
    signer: &S,
) -> Result<AlgorithmIdentifierOwned, IssueError> {
    use coset::iana::Algorithm;
    let oid = match signer.algorithm() {
        Algorithm::ES256 => oid::ECDSA_SHA256,
        Algorithm::ES384 => oid::ECDSA_SHA384,
        Algorithm::ES512 => oid::ECDSA_SHA512,
        Algorithm::EdDSA => match signer.public_key().curve {
            Curve::ED25519 => oid::ED25519,
            Curve::ED448 => oid::ED448,
            other => return Err(CryptoError::UnsupportedCurve(other).into()),
        },
        other => {
            return Err(CryptoError::UnsupportedAlgorithm(format!("{other:?}")).into());
        }
    };
    // RFC 5758 3.2 and RFC 8410 3: the parameters are absent.
    Ok(AlgorithmIdentifierOwned {
        oid,
        parameters: None,
    })
}

/// COSE r ‖ s as a DER ECDSA-Sig-Value.
fn ecdsa_sig_value(raw: &[u8]) -> Result<Vec<u8>, IssueError> {
    if raw.is_empty() || !raw.len().is_multiple_of(2) {
        return Err(CryptoError::Signer("ECDSA signature is not r ‖ s".into()).into());
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    Ok(EcdsaSigValue {
        r: UintRef::new(r)?,
        s: UintRef::new(s)?,
    }
    .to_der()?)
}

/// A positive serial number of exactly 20 bytes (RFC 5280 4.1.2.2: at most 20 octets): the top
/// bit is cleared (positive) and the next one set (so the first byte is never zero).
fn random_serial<R: CryptoRng + ?Sized>(rng: &mut R) -> Result<SerialNumber, IssueError> {
    let mut bytes = [0u8; 20];
    rng.fill_bytes(&mut bytes);
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    Ok(SerialNumber::new(&bytes)?)
}

/// UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5).
fn time(unix_seconds: i64) -> Result<Time, IssueError> {
    let secs = u64::try_from(unix_seconds)
        .map_err(|_| IssueError::InvalidInput("certificate times before 1970".into()))?;
    let dt = der::DateTime::from_unix_duration(Duration::from_secs(secs))?;
    Ok(if dt.year() < 2050 {
        Time::UtcTime(UtcTime::from_date_time(dt)?)
    } else {
        Time::GeneralTime(GeneralizedTime::from_date_time(dt))
    })
}

/// Escapes an RFC 4514 attribute value.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && matches!(c, '#' | ' '))
            || (i + 1 == value.chars().count() && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn subject_name(spec: &CertificateSpec) -> Result<Name, IssueError> {
    let needs_country = matches!(
        spec.profile,
        CertificateProfile::Iaca | CertificateProfile::DocumentSigner
    );
    if spec.common_name.is_empty() {
        return Err(IssueError::InvalidInput("empty commonName".into()));
    }
    // RFC 4514 lists the most specific attribute first; Name::from_str reverses, so the
    // encoded order is C, O, CN.
    let mut parts = vec![format!("CN={}", escape(&spec.common_name))];
    if let Some(o) = &spec.organization {
        parts.push(format!("O={}", escape(o)));
    }
    if let Some(st) = &spec.state_or_province {
        parts.push(format!("ST={}", escape(st)));
    }
    match &spec.country {
        Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) => {
            parts.push(format!("C={c}"));
        }
        Some(c) => {
            return Err(IssueError::InvalidInput(format!(
                "country {c:?} is not two upper-case letters"
            )))
        }
        None if needs_country => {
            return Err(IssueError::InvalidInput(format!(
                "{:?} certificates need a country",
                spec.profile
            )))
        }
        None => {}
    }
    Ok(Name::from_str(&parts.join(","))?)
}

fn key_id(spki: &SubjectPublicKeyInfoOwned) -> Result<OctetString, IssueError> {
    // RFC 7093 2 method 1: leftmost 160 bits of SHA-256 of the subjectPublicKey BIT STRING.
    let bits = spki.subject_public_key.raw_bytes();
    Ok(OctetString::new(Sha256::digest(bits)[..20].to_vec())?)
}

fn extension<T: Encode + AssociatedOid>(
    value: &T,
    critical: bool,
) -> Result<Extension, IssueError> {
    Ok(Extension {
        extn_id: T::OID,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

fn extensions(
    spec: &CertificateSpec,
    subject: &SubjectPublicKeyInfoOwned,
    issuer: &SubjectPublicKeyInfoOwned,
    self_signed: bool,
) -> Result<Extensions, IssueError> {
    let mut out = Vec::new();
    if !self_signed {
        out.push(extension(
            &AuthorityKeyIdentifier {
                key_identifier: Some(key_id(issuer)?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
            false,
        )?);
    }
    out.push(extension(&SubjectKeyIdentifier(key_id(subject)?), false)?);
    let usage = if spec.profile.is_ca() {
        KeyUsages::KeyCertSign | KeyUsages::CRLSign
    } else {
        KeyUsages::DigitalSignature.into()
    };
    out.push(extension(&KeyUsage(usage), true)?);
    match spec.profile {
        CertificateProfile::Iaca | CertificateProfile::ReaderRootCa => {
            out.push(extension(
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: Some(0),
                },
                true,
            )?);
        }
        CertificateProfile::DocumentSigner => {
            out.push(extension(
                &ExtendedKeyUsage(vec![EKU_DOCUMENT_SIGNER]),
                true,
            )?);
        }
        CertificateProfile::ReaderAuthentication => {
            out.push(extension(&ExtendedKeyUsage(vec![EKU_READER_AUTH]), true)?);
        }
    }
    match (&spec.issuer_alt_name_uri, spec.profile) {
        (Some(uri), _) => {
            let name = GeneralName::UniformResourceIdentifier(Ia5String::new(uri)?);
            out.push(extension(&IssuerAltName(vec![name]), false)?);
        }
        (None, CertificateProfile::Iaca | CertificateProfile::DocumentSigner) => {
            return Err(IssueError::InvalidInput(format!(
                "{:?} certificates need an issuerAlternativeName (2021 B.1)",
                spec.profile
            )));
        }
        (None, _) => {}
    }
    Ok(out)
}
