//! Issue 8 item 7: issuer certificate names (2021 Annex B, 7.2.1 Table 5, 9.3.3). The Document
//! Signer's stateOrProvinceName must be the IACA's when the IACA has one, and the returned
//! `issuing_country` / `issuing_jurisdiction` must match the Document Signer's countryName /
//! stateOrProvinceName. Each mismatch is a precise Failure.
#![allow(clippy::unwrap_used)]

use mdl_proximity::cbor::{self, Tag24};
use mdl_proximity::crypto::{Curve, SeededRng};
use mdl_proximity::holder::{ApproveAll, Presenter};
use mdl_proximity::issuer::pki::{issue, self_signed, CertificateProfile, CertificateSpec};
use mdl_proximity::issuer::{
    issue_mdoc, sample_mdl_name_spaces, Credential, DeviceAuthMethod, DigestIdOrder, MdocRequest,
    MdocValidity, PrivateKey, MDL_DOC_TYPE,
};
use mdl_proximity::msg::mso::DigestAlgorithm;
use mdl_proximity::msg::{DeviceRequest, FullDate, SessionTranscript, SessionTranscriptBytes};
use mdl_proximity::reader::RequestBuilder;
use mdl_proximity::verify::{self, Failure, TrustAnchors, VerificationReport};

mod common;
use common::annex_d;

const NOW: i64 = 1_767_225_600;
const YEAR: i64 = 365 * 86_400;

fn spec(profile: CertificateProfile, country: &str, state: Option<&str>) -> CertificateSpec {
    CertificateSpec {
        profile,
        common_name: format!("Test {profile:?}"),
        country: Some(country.into()),
        organization: None,
        state_or_province: state.map(Into::into),
        not_before: NOW,
        not_after: NOW + 3 * YEAR,
        issuer_alt_name_uri: Some("https://iaca.example.invalid".into()),
    }
}

/// Issues the sample mDL (issuing_country "UT", issuing_jurisdiction "UT-01") under an IACA
/// and Document Signer with the given names, presents `elements` and verifies the response.
fn verify_with(
    country: &str,
    iaca_state: Option<&str>,
    ds_state: Option<&str>,
    elements: &[&str],
) -> VerificationReport {
    let mut rng = SeededRng::new(11);
    let iaca_key = PrivateKey::generate(Curve::P256, &mut rng).unwrap();
    let iaca_signer = iaca_key.signer().unwrap();
    let iaca = self_signed(
        &spec(CertificateProfile::Iaca, country, iaca_state),
        &iaca_signer,
        &mut rng,
    )
    .unwrap();
    let ds_key = PrivateKey::generate(Curve::P256, &mut rng).unwrap();
    let ds = issue(
        &spec(CertificateProfile::DocumentSigner, country, ds_state),
        ds_key.public_key(),
        &iaca,
        &iaca_signer,
        &mut rng,
    )
    .unwrap();
    let device_key = PrivateKey::generate(Curve::P256, &mut rng).unwrap();
    let issuer_signed = issue_mdoc(
        &MdocRequest {
            doc_type: MDL_DOC_TYPE.into(),
            name_spaces: sample_mdl_name_spaces(
                FullDate::new(2026, 1, 1).unwrap(),
                FullDate::new(2031, 1, 1).unwrap(),
            ),
            device_key: device_key.public_key().clone(),
            key_authorizations: None,
            validity: MdocValidity {
                signed: NOW,
                valid_from: NOW,
                valid_until: NOW + YEAR,
                expected_update: None,
            },
            digest_algorithm: DigestAlgorithm::Sha256,
            digest_ids: DigestIdOrder::Shuffled,
        },
        &ds_key.signer().unwrap(),
        ds.der(),
        &mut rng,
    )
    .unwrap();
    let credential = Credential {
        doc_type: MDL_DOC_TYPE.into(),
        issuer_signed,
        device_key,
        device_auth: DeviceAuthMethod::Signature,
    };
    let st: SessionTranscriptBytes =
        Tag24::new(cbor::from_slice::<SessionTranscript>(&annex_d("session_transcript")).unwrap());
    let wanted: Vec<(&str, bool)> = elements.iter().map(|e| (*e, false)).collect();
    let req: DeviceRequest = cbor::from_slice(&cbor::to_vec(
        &RequestBuilder::new().mdl(&wanted).build().unwrap(),
    ))
    .unwrap();
    let response = Presenter::new(
        vec![credential.to_mdoc().unwrap()],
        ApproveAll,
        TrustAnchors::new(),
    )
    .respond(&req, &st, NOW)
    .unwrap();
    let trust = TrustAnchors::from_der(iaca.der()).unwrap();
    verify::response(&response, &st, &trust, None, NOW + 60)
}

const BOTH: &[&str] = &["family_name", "issuing_country", "issuing_jurisdiction"];

#[test]
fn matching_names_verify() {
    let report = verify_with("UT", Some("UT-01"), Some("UT-01"), BOTH);
    assert!(report.is_valid(), "{report}");
    // No stateOrProvinceName anywhere: issuing_jurisdiction has nothing to be compared with.
    let report = verify_with("UT", None, None, BOTH);
    assert!(report.is_valid(), "{report}");
}

#[test]
fn document_signer_without_the_iaca_state_fails() {
    let report = verify_with("UT", Some("UT-01"), None, &["family_name"]);
    assert_eq!(
        report.documents()[0].failures(),
        [Failure::StateOrProvinceMismatch {
            document_signer: None,
            iaca: "UT-01".into()
        }]
    );
    assert!(
        report.documents()[0].issuer_elements().is_empty(),
        "nothing vouched for"
    );
}

#[test]
fn other_state_fails_and_so_does_the_jurisdiction_element() {
    let report = verify_with("UT", Some("UT-01"), Some("UT-02"), BOTH);
    let failures = report.documents()[0].failures();
    assert_eq!(
        failures,
        [
            Failure::StateOrProvinceMismatch {
                document_signer: Some("UT-02".into()),
                iaca: "UT-01".into()
            },
            Failure::IssuingJurisdictionMismatch {
                element: "\"UT-01\"".into(),
                document_signer: "UT-02".into()
            }
        ],
        "{report}"
    );
    assert!(failures[1]
        .to_string()
        .contains("issuing_jurisdiction \"UT-01\""));
}

#[test]
fn issuing_country_other_than_the_document_signer_country_fails() {
    // The sample mDL says issuing_country "UT"; this issuer's certificates say "DE".
    let report = verify_with("DE", None, None, &["family_name", "issuing_country"]);
    assert_eq!(
        report.documents()[0].failures(),
        [Failure::IssuingCountryMismatch {
            element: "\"UT\"".into(),
            document_signer: Some("DE".into())
        }]
    );
    // Not returned, not compared.
    let report = verify_with("DE", None, None, &["family_name"]);
    assert!(report.is_valid(), "{report}");
}
