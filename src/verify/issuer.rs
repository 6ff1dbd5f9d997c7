//! Issuer data authentication (2021 9.1.2, 9.3.1 / 2nd ed. 12.3): the Document Signer chain,
//! the issuerAuth signature over the MSO as received, the MSO's docType and validity, and the
//! digest of every returned IssuerSignedItem.

use std::collections::HashSet;

use sha2::{Digest, Sha256, Sha384, Sha512};

use crate::cbor::Tag24;
use crate::crypto::sign1_x5chain;
use crate::msg::mso::DigestAlgorithm;
use crate::msg::{Document, MobileSecurityObject};

use super::report::{Check, DocumentReport, Elements, Failure};
use super::trust::TrustAnchors;
use super::x5chain::Profile;
use super::{path_cache, VerifyOptions};

/// The digest of `data` with `alg`, or `None` for an algorithm 18013-5 does not define.
pub(crate) fn digest(alg: &DigestAlgorithm, data: &[u8]) -> Option<Vec<u8>> {
    Some(match alg {
        DigestAlgorithm::Sha256 => Sha256::digest(data).to_vec(),
        DigestAlgorithm::Sha384 => Sha384::digest(data).to_vec(),
        DigestAlgorithm::Sha512 => Sha512::digest(data).to_vec(),
        DigestAlgorithm::Other(_) => None?,
    })
}

/// Runs issuer data authentication for `doc`, recording checks and failures in `report`.
/// Returns the MSO when it could be decoded (mdoc authentication needs its device key), whether
/// or not it is authentic; `report` says which.
pub(crate) fn verify(
    doc: &Document,
    trust: &TrustAnchors,
    at: i64,
    options: &VerifyOptions<'_>,
    report: &mut DocumentReport,
) -> Option<MobileSecurityObject> {
    let failures_before = report.failures.len();
    let sign1 = doc.issuer_signed.issuer_auth.inner();

    // 2021 9.3.3: the Document Signer certificate chains to a trusted IACA.
    let chain = sign1_x5chain(sign1).unwrap_or_default();
    let chain = path_cache::validate(&chain, trust, Profile::DocumentSigner, at, options);
    report.issuer.document_signer = chain
        .leaf
        .as_ref()
        .map(|c| c.tbs_certificate().subject().to_string());
    report.issuer.iaca = chain.anchor.map(|a| a.subject().to_string());
    if chain.is_trusted() {
        match chain.anchor {
            Some(anchor) if !anchor.allows_doc_type(&doc.doc_type) => {
                report.fail(Failure::DocTypeNotAllowedByAnchor {
                    doc_type: doc.doc_type.clone(),
                })
            }
            _ => report.pass(Check::IssuerCertificateChain),
        }
    }
    report.failures.extend(chain.failures.iter().cloned());

    // The payload is MobileSecurityObjectBytes, decoded from the bytes as received.
    let Some(payload) = sign1.payload.as_deref() else {
        report.fail(Failure::MalformedMso {
            reason: "issuerAuth has no payload".into(),
        });
        return None;
    };
    let mso = match Tag24::<MobileSecurityObject>::from_tagged_slice(payload) {
        Ok(mso) => mso.into_value(),
        Err(e) => {
            report.fail(Failure::MalformedMso {
                reason: e.to_string(),
            });
            return None;
        }
    };

    // The signature covers the payload bytes as received (verify_sign1 uses them unchanged).
    // Without a usable leaf key the chain failure above already says why.
    if let Some(key) = &chain.leaf_key {
        match options.provider.verify_sign1(sign1, key) {
            Ok(()) => report.pass(Check::IssuerSignature),
            Err(_) => report.fail(Failure::IssuerSignatureInvalid),
        }
    }

    if mso.doc_type == doc.doc_type {
        report.pass(Check::DocType);
    } else {
        report.fail(Failure::DocTypeMismatch {
            mso: mso.doc_type.clone(),
            document: doc.doc_type.clone(),
        });
    }

    check_validity(&mso, chain.leaf.as_ref(), at, report);
    let elements = check_digests(doc, &mso, report);

    // Only an authentic MSO vouches for the elements.
    if report.failures.len() == failures_before {
        report.issuer_elements = elements;
    }
    Some(mso)
}

fn check_validity(
    mso: &MobileSecurityObject,
    ds: Option<&x509_cert::Certificate>,
    at: i64,
    report: &mut DocumentReport,
) {
    let v = &mso.validity_info;
    let before = report.failures.len();
    if at < v.valid_from.unix_seconds() {
        report.fail(Failure::MsoNotYetValid {
            valid_from: v.valid_from.to_string(),
        });
    }
    if at > v.valid_until.unix_seconds() {
        report.fail(Failure::MsoExpired {
            valid_until: v.valid_until.to_string(),
        });
    }
    if let Some(ds) = ds {
        let validity = ds.tbs_certificate().validity();
        let secs = |t: x509_cert::time::Time| {
            i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        };
        let signed = v.signed.unix_seconds();
        if signed < secs(validity.not_before) || signed > secs(validity.not_after) {
            report.fail(Failure::MsoSignedOutsideCertificateValidity {
                signed: v.signed.to_string(),
            });
        }
    }
    if report.failures.len() == before {
        report.pass(Check::MsoValidity);
    }
}

/// Checks every returned item against valueDigests; returns the items whose digest matched.
fn check_digests(
    doc: &Document,
    mso: &MobileSecurityObject,
    report: &mut DocumentReport,
) -> Elements {
    let mut verified = Elements::new();
    let Some(name_spaces) = &doc.issuer_signed.name_spaces else {
        report.pass(Check::ValueDigests);
        return verified;
    };
    if let DigestAlgorithm::Other(name) = &mso.digest_algorithm {
        report.fail(Failure::UnsupportedDigestAlgorithm { name: name.clone() });
        return verified;
    }
    let before = report.failures.len();
    for (ns, items) in name_spaces {
        let digests = mso.value_digests.get(ns);
        let mut seen = HashSet::new();
        for item_bytes in items {
            let item = item_bytes.value();
            let (element, digest_id) = (&item.element_identifier, item.digest_id);
            if !seen.insert(digest_id) {
                report.fail(Failure::DuplicateDigestId {
                    namespace: ns.clone(),
                    digest_id,
                });
                continue;
            }
            let Some(expected) = digests.and_then(|d| d.0.get(&digest_id)) else {
                report.fail(Failure::DigestMissing {
                    namespace: ns.clone(),
                    element: element.clone(),
                    digest_id,
                });
                continue;
            };
            // 2021 9.1.2.5: the digest covers IssuerSignedItemBytes, tag 24 included.
            if digest(&mso.digest_algorithm, &item_bytes.tagged_bytes()).as_deref()
                == Some(expected.0.as_slice())
            {
                verified
                    .entry(ns.clone())
                    .or_default()
                    .insert(element.clone(), item.element_value.clone());
            } else {
                report.fail(Failure::DigestMismatch {
                    namespace: ns.clone(),
                    element: element.clone(),
                    digest_id,
                });
            }
        }
    }
    if report.failures.len() == before {
        report.pass(Check::ValueDigests);
    }
    verified
}
