//! Issue 8 item 9: returned `org.iso.18013.5.1` elements are checked against 2021 Table 5 on the
//! reader; violations are per-element warnings in the verification report, failures in strict
//! mode.
#![allow(clippy::unwrap_used)]

use indexmap::IndexMap;
use mdl_proximity::cbor::{self, Tag24, Value};
use mdl_proximity::crypto::{Curve, SeededRng};
use mdl_proximity::holder::{ApproveAll, Presenter};
use mdl_proximity::issuer::pki::IssuerPki;
use mdl_proximity::issuer::{
    issue_mdoc, sample_mdl_name_spaces, Credential, DeviceAuthMethod, DigestIdOrder, MdocRequest,
    MdocValidity, PrivateKey, MDL_DOC_TYPE, MDL_NAMESPACE,
};
use mdl_proximity::msg::mso::DigestAlgorithm;
use mdl_proximity::msg::{
    DeviceRequest, DeviceResponse, FullDate, SessionTranscript, SessionTranscriptBytes,
};
use mdl_proximity::reader::RequestBuilder;
use mdl_proximity::verify::{self, Failure, TrustAnchors, VerificationReport};

mod common;
use common::annex_d;

const NOW: i64 = 1_767_225_600;

/// The sample mDL with `overrides`, all of it presented and verified.
fn verified(overrides: Vec<(&str, Value)>) -> VerificationReport {
    let mut rng = SeededRng::new(9);
    let pki = IssuerPki::generate(Curve::P256, "UT", NOW, &mut rng).unwrap();
    let mut name_spaces = sample_mdl_name_spaces(
        FullDate::new(2026, 1, 1).unwrap(),
        FullDate::new(2031, 1, 1).unwrap(),
    );
    for (element, value) in overrides {
        name_spaces[MDL_NAMESPACE].insert(element.to_owned(), value);
    }
    let elements: Vec<String> = name_spaces[MDL_NAMESPACE].keys().cloned().collect();
    let device_key = PrivateKey::generate(Curve::P256, &mut rng).unwrap();
    let issuer_signed = issue_mdoc(
        &MdocRequest {
            doc_type: MDL_DOC_TYPE.into(),
            name_spaces,
            device_key: device_key.public_key().clone(),
            key_authorizations: None,
            validity: MdocValidity {
                signed: NOW,
                valid_from: NOW,
                valid_until: NOW + 86_400,
                expected_update: None,
            },
            digest_algorithm: DigestAlgorithm::Sha256,
            digest_ids: DigestIdOrder::Shuffled,
        },
        &pki.ds_key.signer().unwrap(),
        pki.ds.der(),
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
    let wanted: Vec<(&str, bool)> = elements.iter().map(|e| (e.as_str(), false)).collect();
    let request: DeviceRequest = cbor::from_slice(&cbor::to_vec(
        &RequestBuilder::new().mdl(&wanted).build().unwrap(),
    ))
    .unwrap();
    let response = Presenter::new(
        vec![credential.to_mdoc().unwrap()],
        ApproveAll,
        TrustAnchors::new(),
    )
    .respond(&request, &st, NOW)
    .unwrap();
    let response: DeviceResponse = cbor::from_slice(&cbor::to_vec(&response)).unwrap();
    let trust = TrustAnchors::from_der(pki.iaca.der()).unwrap();
    verify::response(&response, &st, &trust, None, NOW + 60)
}

#[test]
fn the_sample_mdl_has_no_warnings() {
    let report = verified(vec![]);
    assert!(report.is_valid(), "{report}");
    assert_eq!(report.documents()[0].warnings(), []);
    assert!(report.strict().is_valid());
}

#[test]
fn non_conformant_elements_are_warnings_per_element_and_failures_when_strict() {
    let privilege = Value::Map(vec![(
        Value::Text("issue_date".into()),
        Value::Tag(1004, Box::new(Value::Text("2003-06-01".into()))),
    )]);
    let report = verified(vec![
        // What issuers have been seen to send: an untagged birth date, a sex letter, a PNG
        // portrait, a privilege without its category, a three-letter country.
        ("birth_date", Value::Text("1985-04-12".into())),
        ("sex", Value::Text("F".into())),
        (
            "portrait",
            Value::Bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
        ),
        ("driving_privileges", Value::Array(vec![privilege])),
        ("resident_country", Value::Text("UTO".into())),
        ("age_over_18", Value::Integer(1.into())),
    ]);
    // Lenient by default: the document is valid (the issuer signed what it signed)...
    assert!(report.is_valid(), "{report}");
    let doc = &report.documents()[0];
    let warned: IndexMap<&str, &str> = doc
        .warnings()
        .iter()
        .map(|w| (w.element.as_str(), w.problem.as_str()))
        .collect();
    assert_eq!(
        warned.keys().copied().collect::<Vec<_>>(),
        [
            "birth_date",
            "portrait",
            "driving_privileges",
            "sex",
            "resident_country",
            "age_over_18"
        ],
        "{warned:?}"
    );
    assert!(warned["birth_date"].contains("tag 1004"));
    assert!(warned["driving_privileges"].contains("vehicle_category_code missing"));
    assert!(report
        .to_string()
        .contains("warning: org.iso.18013.5.1/sex"));
    // ... and the elements are still shown.
    assert_eq!(
        doc.issuer_elements()[MDL_NAMESPACE]["sex"],
        Value::Text("F".into())
    );
    // Strict: each warning is a precise failure.
    let strict = report.strict();
    assert!(!strict.is_valid());
    let failures = strict.documents()[0].failures();
    assert_eq!(failures.len(), 6);
    assert!(failures.contains(&Failure::DataModel {
        namespace: MDL_NAMESPACE.into(),
        element: "resident_country".into(),
        problem: "\"UTO\" is not an ISO 3166-1 alpha-2 code".into(),
    }));
    assert!(strict.documents()[0].warnings().is_empty());
}

#[test]
fn annex_d_elements_conform() {
    let response: DeviceResponse = cbor::from_slice(&annex_d("device_response")).unwrap();
    let st: SessionTranscriptBytes =
        Tag24::from_tagged_slice(&annex_d("session_transcript_bytes")).unwrap();
    let trust = TrustAnchors::from_der(&annex_d("iaca_cert")).unwrap();
    let e_reader_key = mdl_proximity::crypto::EphemeralPrivateKey::from_bytes(
        Curve::P256,
        &annex_d("e_reader_key_d"),
    )
    .unwrap();
    // Annex D's validity period: 2020-10-01 .. 2021-10-01.
    let report = verify::response(&response, &st, &trust, Some(&e_reader_key), 1_609_459_200);
    assert!(report.is_valid(), "{report}");
    assert_eq!(report.documents()[0].warnings(), [], "{report}");
}
