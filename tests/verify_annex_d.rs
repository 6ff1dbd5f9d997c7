//! The inspection procedure on ISO/IEC 18013-5 Annex D: the example DeviceResponse verifies
//! completely at 2021-01-01, and each alteration fails with exactly the expected Failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mdl_proximity::cbor::{self, Tag24};
use mdl_proximity::crypto::{Curve, EphemeralPrivateKey};
use mdl_proximity::msg::{DeviceResponse, Handover, SessionTranscript, SessionTranscriptBytes};
use mdl_proximity::verify::{self, CertPosition, Check, Failure, TrustAnchors, VerificationReport};
use sha2::{Digest, Sha256};

const JAN_2021: i64 = 1_609_459_200;
const JAN_2022: i64 = 1_640_995_200;
const NS: &str = "org.iso.18013.5.1";

mod common;
use common::annex_d;

fn transcript() -> SessionTranscriptBytes {
    Tag24::from_tagged_slice(&annex_d("session_transcript_bytes")).unwrap()
}

fn e_reader_key() -> EphemeralPrivateKey {
    EphemeralPrivateKey::from_bytes(Curve::P256, &annex_d("e_reader_key_d")).unwrap()
}

fn iaca() -> TrustAnchors {
    TrustAnchors::from_der(&annex_d("iaca_cert")).unwrap()
}

fn verify_bytes(response: &[u8], at: i64) -> VerificationReport {
    let response: DeviceResponse = cbor::from_slice(response).unwrap();
    verify::response(&response, &transcript(), &iaca(), Some(&e_reader_key()), at)
}

/// The response with one byte flipped at the `offset`-th byte of the first occurrence of `needle`.
fn flipped(needle: &[u8], offset: usize) -> Vec<u8> {
    let mut bytes = annex_d("device_response");
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle occurs in the response");
    bytes[at + offset] ^= 0x01;
    bytes
}

fn failures(report: &VerificationReport) -> Vec<Failure> {
    assert!(report.failures().is_empty(), "{report}");
    assert_eq!(report.documents().len(), 1);
    report.documents()[0].failures().to_vec()
}

#[test]
fn annex_d_verifies_completely_at_2021() {
    let report = verify_bytes(&annex_d("device_response"), JAN_2021);
    assert!(report.is_valid(), "{report}");
    let doc = report.document("org.iso.18013.5.1.mDL").unwrap();
    assert_eq!(
        doc.checks(),
        [
            Check::IssuerCertificateChain,
            Check::IssuerSignature,
            Check::DocType,
            Check::MsoValidity,
            Check::ValueDigests,
            Check::DeviceMac,
            Check::KeyAuthorizations,
        ]
    );
    assert_eq!(
        doc.issuer().document_signer.as_deref(),
        Some("C=US,CN=utopia ds")
    );
    assert_eq!(doc.issuer().iaca.as_deref(), Some("C=US,CN=utopia iaca"));
    let elements = &doc.issuer_elements()[NS];
    let expected = [
        ("family_name", "expected_family_name"),
        ("issue_date", "expected_issue_date"),
        ("expiry_date", "expected_expiry_date"),
        ("document_number", "expected_document_number"),
        ("portrait", "expected_portrait"),
        ("driving_privileges", "expected_driving_privileges"),
    ];
    assert_eq!(elements.len(), expected.len());
    for (element, vector) in expected {
        assert_eq!(
            cbor::value_to_vec(&elements[element]),
            annex_d(vector),
            "{element}"
        );
    }
    assert!(doc.device_elements().is_empty());
    // Printable for people.
    assert!(report.to_string().contains("VALID"));
}

#[test]
fn expired_in_2022() {
    let report = verify_bytes(&annex_d("device_response"), JAN_2022);
    assert_eq!(
        failures(&report),
        [
            Failure::CertificateExpired {
                which: CertPosition::Leaf
            },
            Failure::MsoExpired {
                valid_until: "2021-10-01T13:30:02Z".into()
            },
        ]
    );
    assert!(report.documents()[0].issuer_elements().is_empty());
}

#[test]
fn not_yet_valid_in_2019() {
    let report = verify_bytes(&annex_d("device_response"), 1_546_300_800);
    let f = failures(&report);
    assert!(f.contains(&Failure::CertificateNotYetValid {
        which: CertPosition::Leaf
    }));
    assert!(f.contains(&Failure::CertificateNotYetValid {
        which: CertPosition::TrustAnchor
    }));
    assert!(f
        .iter()
        .any(|f| matches!(f, Failure::MsoNotYetValid { .. })));
}

#[test]
fn unknown_iaca_is_untrusted() {
    let response: DeviceResponse = cbor::from_slice(&annex_d("device_response")).unwrap();
    let other = TrustAnchors::from_der(&annex_d("reader_root_cert")).unwrap();
    let report = verify::response(
        &response,
        &transcript(),
        &other,
        Some(&e_reader_key()),
        JAN_2021,
    );
    assert_eq!(
        failures(&report),
        [Failure::UntrustedIssuer {
            issuer: "C=US,CN=utopia iaca".into()
        }]
    );
    let doc = &report.documents()[0];
    assert!(!doc.is_valid());
    assert!(doc.issuer_elements().is_empty());
    // Under an untrusted chain the MSO signature is not checked (issue 9: a peer-chosen key
    // proves nothing and costs a verification).
    assert!(!doc.checks().contains(&Check::IssuerSignature));
}

#[test]
fn altered_element_value() {
    // "Doe" -> "Dod" inside the family_name IssuerSignedItem.
    let item = annex_d("issuer_signed_item_family_name");
    let value_at = item.windows(4).position(|w| w == b"cDoe").unwrap();
    let report = verify_bytes(&flipped(&item, value_at + 3), JAN_2021);
    assert_eq!(
        failures(&report),
        [Failure::DigestMismatch {
            namespace: NS.into(),
            element: "family_name".into(),
            digest_id: 0
        }]
    );
}

#[test]
fn altered_item_random() {
    let item = annex_d("issuer_signed_item_document_number");
    let random_at = item.windows(6).position(|w| w == b"random").unwrap();
    let report = verify_bytes(&flipped(&item, random_at + 6 + 4), JAN_2021);
    assert_eq!(
        failures(&report),
        [Failure::DigestMismatch {
            namespace: NS.into(),
            element: "document_number".into(),
            digest_id: 7
        }]
    );
}

#[test]
fn altered_digest_in_mso() {
    // The item vector is the tagged form (d8 18 ...), which is what the MSO digests.
    let digest = Sha256::digest(annex_d("issuer_signed_item_family_name"));
    let report = verify_bytes(&flipped(&digest, 5), JAN_2021);
    assert_eq!(
        failures(&report),
        [
            Failure::IssuerSignatureInvalid,
            Failure::DigestMismatch {
                namespace: NS.into(),
                element: "family_name".into(),
                digest_id: 0
            }
        ]
    );
}

#[test]
fn altered_mso_signature() {
    let issuer_auth = annex_d("issuer_auth");
    let report = verify_bytes(&flipped(&issuer_auth, issuer_auth.len() - 1), JAN_2021);
    assert_eq!(failures(&report), [Failure::IssuerSignatureInvalid]);
}

#[test]
fn altered_ds_certificate() {
    let ds = annex_d("ds_cert");
    let report = verify_bytes(&flipped(&ds, ds.len() - 1), JAN_2021);
    let f = failures(&report);
    assert!(
        matches!(
            f.as_slice(),
            [Failure::CertificateInvalid {
                which: CertPosition::Leaf,
                ..
            }]
        ),
        "{f:?}"
    );
    // A flipped public key breaks both the certificate and the MSO signature.
    let key_at = ds
        .windows(4)
        .position(|w| w == [0x03, 0x42, 0x00, 0x04])
        .unwrap();
    let report = verify_bytes(&flipped(&ds, key_at + 10), JAN_2021);
    let f = failures(&report);
    assert!(
        f.iter().any(|f| matches!(
            f,
            Failure::CertificateInvalid {
                which: CertPosition::Leaf,
                ..
            }
        )),
        "{f:?}"
    );
}

#[test]
fn altered_device_mac() {
    let tag = annex_d("device_mac_tag");
    let report = verify_bytes(&flipped(&tag, 0), JAN_2021);
    assert_eq!(failures(&report), [Failure::DeviceMacInvalid]);
}

#[test]
fn wrong_doc_type() {
    let mut response: DeviceResponse = cbor::from_slice(&annex_d("device_response")).unwrap();
    let mut docs = response.documents.take().unwrap().into_vec();
    docs[0].doc_type = "org.iso.18013.5.1.mDX".into();
    response.documents = mdl_proximity::cbor::NonEmpty::new(docs);
    let report = verify::response(
        &response,
        &transcript(),
        &iaca(),
        Some(&e_reader_key()),
        JAN_2021,
    );
    assert_eq!(
        failures(&report),
        [
            Failure::DocTypeMismatch {
                mso: "org.iso.18013.5.1.mDL".into(),
                document: "org.iso.18013.5.1.mDX".into()
            },
            // The docType is part of DeviceAuthentication too.
            Failure::DeviceMacInvalid,
        ]
    );
}

#[test]
fn device_mac_without_e_reader_key_is_not_accepted() {
    let response: DeviceResponse = cbor::from_slice(&annex_d("device_response")).unwrap();
    let report = verify::response(&response, &transcript(), &iaca(), None, JAN_2021);
    assert_eq!(failures(&report), [Failure::DeviceMacKeyUnavailable]);
    assert!(!report.is_valid());
}

#[test]
fn device_mac_with_another_transcript() {
    let response: DeviceResponse = cbor::from_slice(&annex_d("device_response")).unwrap();
    let mut st: SessionTranscript = transcript().into_value();
    st.handover = Handover::Qr;
    let other = Tag24::new(st);
    let report = verify::response(&response, &other, &iaca(), Some(&e_reader_key()), JAN_2021);
    assert_eq!(failures(&report), [Failure::DeviceMacInvalid]);
}

#[test]
fn error_status_is_a_response_failure() {
    let response = DeviceResponse::error(mdl_proximity::msg::ResponseStatus::CBOR_DECODING_ERROR);
    let report = verify::response(&response, &transcript(), &iaca(), None, JAN_2021);
    assert_eq!(report.failures(), [Failure::ResponseStatus { status: 11 }]);
    assert!(!report.is_valid());
}
