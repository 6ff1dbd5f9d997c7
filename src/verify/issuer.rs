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
use super::x5chain::{self, Profile};
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

/// Verifications already done for earlier documents of the same response: the chain
/// validation of an x5chain and the signature of an issuerAuth depend only on their bytes (and
/// the anchors and time, fixed for a response), so a response repeating them pays once.
#[derive(Debug, Default)]
pub(crate) struct Cache<'a> {
    chains: Vec<(Vec<Vec<u8>>, x5chain::ChainReport<'a>)>,
    signatures: Vec<(Vec<u8>, bool)>,
}

/// Runs issuer data authentication for `doc`, recording checks and failures in `report`.
/// Returns the MSO when it could be decoded (mdoc authentication needs its device key), whether
/// or not it is authentic; `report` says which.
pub(crate) fn verify<'a>(
    doc: &Document,
    trust: &'a TrustAnchors,
    at: i64,
    options: &VerifyOptions<'_>,
    report: &mut DocumentReport,
    cache: &mut Cache<'a>,
) -> Option<MobileSecurityObject> {
    let failures_before = report.failure_count();
    let sign1 = doc.issuer_signed.issuer_auth.inner();

    // 2021 9.3.3: the Document Signer certificate chains to a trusted IACA.
    let chain_der = sign1_x5chain(sign1).unwrap_or_default();
    let chain = match cache.chains.iter().find(|(der, _)| *der == chain_der) {
        Some((_, done)) => done.clone(),
        None => {
            let done =
                path_cache::validate(&chain_der, trust, Profile::DocumentSigner, at, options);
            cache.chains.push((chain_der, done.clone()));
            done
        }
    };
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
    for failure in chain.failures.iter().cloned() {
        report.fail(failure);
    }

    // The payload is MobileSecurityObjectBytes, decoded from the bytes as received.
    let Some(payload) = sign1.payload.as_deref() else {
        report.fail(Failure::MalformedMso {
            reason: "issuerAuth has no payload".into(),
        });
        return None;
    };
    // Under the budget of the whole response (verify::response_with_limits opens it).
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
    // It is verified only under a trusted chain: against an untrusted Document Signer it proves
    // nothing and would cost a verification on a curve the peer chose (issue 9); the chain
    // failure above already says why the document is not authentic.
    if let (Some(key), true) = (&chain.leaf_key, chain.is_trusted()) {
        let encoded = crate::cbor::to_vec(&doc.issuer_signed.issuer_auth);
        let valid = match cache.signatures.iter().find(|(e, _)| *e == encoded) {
            Some((_, valid)) => *valid,
            None => {
                let valid = options.provider.verify_sign1(sign1, key).is_ok();
                cache.signatures.push((encoded, valid));
                valid
            }
        };
        if valid {
            report.pass(Check::IssuerSignature);
        } else {
            report.fail(Failure::IssuerSignatureInvalid);
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
    if let Some(ds) = &chain.leaf {
        let iaca = chain.anchor.map(|a| a.subject());
        for failure in super::issuer_names::check(ds, iaca, &elements) {
            report.fail(failure);
        }
    }

    // Only an authentic MSO vouches for the elements.
    if report.failure_count() == failures_before {
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
    let before = report.failure_count();
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
    if report.failure_count() == before {
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
    let before = report.failure_count();
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
    if report.failure_count() == before {
        report.pass(Check::ValueDigests);
    }
    verified
}
