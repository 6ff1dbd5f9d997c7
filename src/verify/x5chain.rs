//! Certificate path validation for COSE x5chain (leaf first; the root may or may not be
//! included) against [`TrustAnchors`], at a given time, with the 18013-5 Annex B profiles.
//!
//! Checked: every signature up to a trust anchor, every certificate (anchor included) valid at
//! `at`, issuer name = next subject, basicConstraints cA and keyUsage keyCertSign on every issuer,
//! pathLenConstraint, the leaf profile, for a Document Signer the countryName of the IACA and
//! issuance directly by the IACA (Annex B.1.4), and at most [`MAX_CHAIN_LEN`] certificates.
//! Everything but signatures is checked first; see [`validate`] for the order and its bound.
//! Not checked: revocation (CRL/OCSP need I/O), name constraints, policies.

use der::{asn1::ObjectIdentifier, Decode};
use x509_cert::{
    ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage},
    name::Name,
    Certificate,
};

use crate::crypto::{certificate_public_key, CoseKey, CryptoProvider};

use super::report::{CertPosition, Failure};
use super::trust::{TrustAnchor, TrustAnchors};

/// Extended key usage of a Document Signer certificate (2021 Annex B.1.4).
pub const EKU_DOCUMENT_SIGNER: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.0.18013.5.1.2");
/// Extended key usage of a reader authentication certificate (2021 Annex B.1.7).
pub const EKU_READER_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.0.18013.5.1.6");
/// Extended key usage of a VICAL signer certificate (2021 Annex C.1.5).
pub const EKU_VICAL_SIGNER: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.0.18013.5.1.8");

/// Which end-entity profile the leaf must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Document Signer: keyUsage digitalSignature, EKU 1.0.18013.5.1.2, not a CA, countryName
    /// equal to the IACA's.
    DocumentSigner,
    /// mdoc reader authentication: keyUsage digitalSignature, EKU 1.0.18013.5.1.6, not a CA.
    ReaderAuth,
    /// VICAL signer: keyUsage digitalSignature, EKU 1.0.18013.5.1.8, not a CA.
    VicalSigner,
}

impl Profile {
    fn eku(self) -> ObjectIdentifier {
        match self {
            Self::DocumentSigner => EKU_DOCUMENT_SIGNER,
            Self::ReaderAuth => EKU_READER_AUTH,
            Self::VicalSigner => EKU_VICAL_SIGNER,
        }
    }
}

/// The outcome of validating one chain. The leaf and its key are kept even when the chain is not
/// trusted, so callers can go on to report signature problems too.
#[derive(Debug, Clone)]
pub struct ChainReport<'a> {
    /// The decoded leaf, if it decoded.
    pub leaf: Option<Certificate>,
    /// The leaf's public key, if usable.
    pub leaf_key: Option<CoseKey>,
    /// The anchor whose key verified the top of the chain.
    pub anchor: Option<&'a TrustAnchor>,
    /// Everything wrong with the chain; empty when it is trusted at `at`.
    pub failures: Vec<Failure>,
}

impl ChainReport<'_> {
    /// Whether the chain is trusted at the inspection time with the requested profile.
    pub fn is_trusted(&self) -> bool {
        self.failures.is_empty() && self.anchor.is_some()
    }
}

fn position(i: usize) -> CertPosition {
    if i == 0 {
        CertPosition::Leaf
    } else {
        CertPosition::Intermediate(i)
    }
}

fn invalid(which: CertPosition, reason: impl Into<String>) -> Failure {
    Failure::CertificateInvalid {
        which,
        reason: reason.into(),
    }
}

fn profile_err(which: CertPosition, reason: impl Into<String>) -> Failure {
    Failure::CertificateProfile {
        which,
        reason: reason.into(),
    }
}

/// `None` when absent, `Err` when present but undecodable or repeated.
fn extension<'a, T: Decode<'a> + der::oid::AssociatedOid>(
    cert: &'a Certificate,
    which: CertPosition,
    what: &str,
) -> Result<Option<T>, Failure> {
    cert.tbs_certificate()
        .get_extension::<T>()
        .map(|found| found.map(|(_critical, ext)| ext))
        .map_err(|e| invalid(which, format!("{what} extension: {e}")))
}

fn country(name: &Name) -> Option<String> {
    name.country().ok().flatten().map(|c| c.as_str().to_owned())
}

/// Unix seconds of a certificate time. Certificate times are after 1970 by construction of the
/// decoder, and fit i64 until the year 292 billion.
fn unix(t: x509_cert::time::Time) -> i64 {
    i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
}

fn check_validity(cert: &Certificate, which: CertPosition, at: i64, out: &mut Vec<Failure>) {
    let validity = cert.tbs_certificate().validity();
    if at < unix(validity.not_before) {
        out.push(Failure::CertificateNotYetValid { which });
    }
    if at > unix(validity.not_after) {
        out.push(Failure::CertificateExpired { which });
    }
}

fn check_issuer_profile(cert: &Certificate, which: CertPosition, out: &mut Vec<Failure>) {
    match extension::<BasicConstraints>(cert, which, "basicConstraints") {
        Ok(Some(bc)) if bc.ca => {}
        Ok(_) => out.push(profile_err(
            which,
            "issuer is not a CA (basicConstraints cA)",
        )),
        Err(f) => out.push(f),
    }
    match extension::<KeyUsage>(cert, which, "keyUsage") {
        Ok(Some(ku)) if ku.key_cert_sign() => {}
        Ok(_) => out.push(profile_err(which, "issuer keyUsage lacks keyCertSign")),
        Err(f) => out.push(f),
    }
}

fn check_leaf_profile(cert: &Certificate, profile: Profile, out: &mut Vec<Failure>) {
    let which = CertPosition::Leaf;
    match extension::<KeyUsage>(cert, which, "keyUsage") {
        Ok(Some(ku)) if ku.digital_signature() => {}
        Ok(_) => out.push(profile_err(which, "keyUsage lacks digitalSignature")),
        Err(f) => out.push(f),
    }
    match extension::<ExtendedKeyUsage>(cert, which, "extendedKeyUsage") {
        Ok(Some(eku)) if eku.0.contains(&profile.eku()) => {}
        Ok(_) => out.push(profile_err(
            which,
            format!("extendedKeyUsage lacks {}", profile.eku()),
        )),
        Err(f) => out.push(f),
    }
    match extension::<BasicConstraints>(cert, which, "basicConstraints") {
        Ok(Some(bc)) if bc.ca => out.push(profile_err(which, "end-entity certificate is a CA")),
        Ok(_) => {}
        Err(f) => out.push(f),
    }
}

/// Most certificates accepted in an x5chain. The Annex B profiles need at most a leaf, one
/// intermediate (reader authentication may have one) and a copy of the trust anchor; a longer
/// chain is refused before any certificate is parsed, so its length costs the verifier nothing.
pub const MAX_CHAIN_LEN: usize = 4;

/// The pathLenConstraint of a CA certificate, if it states one.
fn path_len(cert: &Certificate, which: CertPosition) -> Result<Option<u8>, Failure> {
    Ok(
        extension::<BasicConstraints>(cert, which, "basicConstraints")?
            .and_then(|bc| bc.path_len_constraint),
    )
}

/// Validates `chain` (DER, leaf first) to one of `anchors` at `at` (Unix seconds).
///
/// Bounded work for hostile chains (issue 9): a chain longer than [`MAX_CHAIN_LEN`] is refused
/// unparsed; names, issuer links, validity, profiles, path lengths and the anchor (by name) are
/// all checked before any signature, and no signature is verified once anything failed; then the
/// signatures are verified leaf upwards, stopping at the first that fails. So a chain costs at
/// most `MAX_CHAIN_LEN` signature verifications, on curves of certificates that name a trusted
/// anchor as their root, and none at all unless everything else is in order.
///
/// A Document Signer (and a VICAL signer) must be issued directly by the anchor (2021 Annex
/// B.1.4: the IACA signs Document Signer certificates), and every CA's pathLenConstraint bounds
/// the CAs below it.
pub fn validate<'a>(
    chain: &[Vec<u8>],
    anchors: &'a TrustAnchors,
    profile: Profile,
    at: i64,
) -> ChainReport<'a> {
    validate_with(chain, anchors, profile, at, CryptoProvider::default())
}

/// [`validate`], verifying signatures on `provider`.
pub fn validate_with<'a>(
    chain: &[Vec<u8>],
    anchors: &'a TrustAnchors,
    profile: Profile,
    at: i64,
    provider: CryptoProvider,
) -> ChainReport<'a> {
    let mut report = ChainReport {
        leaf: None,
        leaf_key: None,
        anchor: None,
        failures: Vec::new(),
    };
    if chain.is_empty() {
        report.failures.push(Failure::MissingX5Chain);
        return report;
    }
    if chain.len() > MAX_CHAIN_LEN {
        report.failures.push(Failure::ChainTooLong {
            length: chain.len(),
            limit: MAX_CHAIN_LEN,
        });
        return report;
    }
    let mut certs = Vec::with_capacity(chain.len());
    for (i, der) in chain.iter().enumerate() {
        match Certificate::from_der(der) {
            Ok(c) => certs.push(c),
            Err(e) => {
                report.failures.push(invalid(position(i), e.to_string()));
                return report;
            }
        }
    }
    match certificate_public_key(&certs[0]) {
        Ok(k) => report.leaf_key = Some(k),
        Err(e) => report
            .failures
            .push(invalid(CertPosition::Leaf, format!("public key: {e}"))),
    }
    report.leaf = certs.first().cloned();

    // The chain may end with a copy of the anchor itself: validate up to the certificate below it.
    let mut presented = certs.len();
    if presented > 1 && anchors.by_der(&chain[presented - 1]).is_some() {
        presented -= 1;
    }

    // 1. Everything but signatures.
    for i in 0..presented - 1 {
        if certs[i].tbs_certificate().issuer() != certs[i + 1].tbs_certificate().subject() {
            report.failures.push(invalid(
                position(i),
                "issuer name differs from the next certificate's subject",
            ));
        }
    }
    for (i, cert) in certs.iter().enumerate().take(presented) {
        check_validity(cert, position(i), at, &mut report.failures);
        if i > 0 {
            check_issuer_profile(cert, position(i), &mut report.failures);
            // CAs below this one in the chain (the leaf is not a CA).
            match path_len(cert, position(i)) {
                Ok(Some(max)) if i - 1 > usize::from(max) => report.failures.push(profile_err(
                    position(i),
                    format!("pathLenConstraint {max} exceeded by {} CAs below", i - 1),
                )),
                Ok(_) => {}
                Err(f) => report.failures.push(f),
            }
        }
    }
    check_leaf_profile(&certs[0], profile, &mut report.failures);
    if matches!(profile, Profile::DocumentSigner | Profile::VicalSigner) && presented > 1 {
        report.failures.push(profile_err(
            CertPosition::Leaf,
            "not issued directly by the trust anchor (2021 Annex B.1.4: the IACA signs the \
             Document Signer)",
        ));
    }
    let top = presented - 1;
    let issuer_name = certs[top].tbs_certificate().issuer();
    let candidates = anchors.by_subject(issuer_name);
    let Some(first_candidate) = candidates.first() else {
        report.failures.push(Failure::UntrustedIssuer {
            issuer: issuer_name.to_string(),
        });
        return report;
    };
    // Anchors of that name that may issue this chain; report the first one's faults otherwise.
    let usable: Vec<&TrustAnchor> = candidates
        .iter()
        .copied()
        .filter(|a| anchor_faults(a, presented, at).is_empty())
        .collect();
    if usable.is_empty() {
        report
            .failures
            .extend(anchor_faults(first_candidate, presented, at));
    }
    if profile == Profile::DocumentSigner {
        let ds = country(certs[0].tbs_certificate().subject());
        let iaca = country(issuer_name);
        match (ds, iaca) {
            (Some(ds), Some(iaca)) if ds.eq_ignore_ascii_case(&iaca) => {}
            (None, _) => report
                .failures
                .push(profile_err(CertPosition::Leaf, "no countryName")),
            (Some(ds), iaca) => report.failures.push(Failure::CountryMismatch {
                document_signer: ds,
                iaca: iaca.unwrap_or_default(),
            }),
        }
    }
    if !report.failures.is_empty() {
        return report;
    }

    // 2. Signatures, leaf upwards, stopping at the first that fails.
    for i in 0..presented - 1 {
        let verified = match certificate_public_key(&certs[i + 1]) {
            Ok(key) => provider
                .verify_certificate_signature(&chain[i], &key)
                .is_ok(),
            Err(e) => {
                report
                    .failures
                    .push(invalid(position(i + 1), format!("public key: {e}")));
                return report;
            }
        };
        if !verified {
            report
                .failures
                .push(invalid(position(i), "signature does not verify"));
            return report;
        }
    }
    report.anchor = usable.into_iter().find(|a| {
        certificate_public_key(a.certificate()).is_ok_and(|key| {
            provider
                .verify_certificate_signature(&chain[top], &key)
                .is_ok()
        })
    });
    if report.anchor.is_none() {
        report.failures.push(invalid(
            position(top),
            "signature does not verify with the trust anchor's key",
        ));
    }
    report
}

/// Why `anchor` cannot issue a chain of `presented` certificates at `at` (no signature checked).
fn anchor_faults(anchor: &TrustAnchor, presented: usize, at: i64) -> Vec<Failure> {
    let which = CertPosition::TrustAnchor;
    let mut out = Vec::new();
    check_validity(anchor.certificate(), which, at, &mut out);
    check_issuer_profile(anchor.certificate(), which, &mut out);
    match path_len(anchor.certificate(), which) {
        Ok(Some(max)) if presented - 1 > usize::from(max) => out.push(profile_err(
            which,
            format!(
                "pathLenConstraint {max} exceeded by {} CAs below",
                presented - 1
            ),
        )),
        Ok(_) => {}
        Err(f) => out.push(f),
    }
    out
}
