//! deviceSignature and keyAuthorizations on the Annex D document, re-signed with Annex D's
//! SDeviceKey (the MSO's device key) instead of its deviceMac.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use indexmap::IndexMap;
use mdl_proximity::cbor::{self, Tag24, Value};
use mdl_proximity::crypto::{sign1_detached, Curve, SoftwareSigner};
use mdl_proximity::msg::response::{DeviceAuth, DeviceNameSpaces};
use mdl_proximity::msg::{CoseSign1, DeviceResponse, Document, SessionTranscriptBytes};
use mdl_proximity::verify::{self, Check, Failure, TrustAnchors};

const JAN_2021: i64 = 1_609_459_200;

mod common;
use common::annex_d;

fn transcript() -> SessionTranscriptBytes {
    Tag24::from_tagged_slice(&annex_d("session_transcript_bytes")).unwrap()
}

fn signed_document(device_ns: DeviceNameSpaces) -> Document {
    let response: DeviceResponse = cbor::from_slice(&annex_d("device_response")).unwrap();
    let mut doc = response.documents.unwrap().into_vec().remove(0);
    doc.device_signed.name_spaces = Tag24::new(device_ns);
    let key = SoftwareSigner::from_bytes(Curve::P256, &annex_d("s_device_key_d")).unwrap();
    let payload = verify::device_authentication_bytes(&transcript(), &doc);
    let sig = sign1_detached(&key, &payload, &[]).unwrap();
    doc.device_signed.device_auth = DeviceAuth::Signature(CoseSign1::new(sig).unwrap());
    doc
}

fn check(doc: &Document) -> verify::DocumentReport {
    let iaca = TrustAnchors::from_der(&annex_d("iaca_cert")).unwrap();
    verify::document(doc, &transcript(), &iaca, None, JAN_2021)
}

#[test]
fn device_authentication_bytes_match_annex_d() {
    let response: DeviceResponse = cbor::from_slice(&annex_d("device_response")).unwrap();
    let doc = response.documents.unwrap().into_vec().remove(0);
    assert_eq!(
        verify::device_authentication_bytes(&transcript(), &doc),
        annex_d("device_authentication_bytes")
    );
}

#[test]
fn device_signature_verifies_without_e_reader_key() {
    let report = check(&signed_document(DeviceNameSpaces::new()));
    assert!(report.is_valid(), "{report}");
    assert!(report.checks().contains(&Check::DeviceSignature));
}

#[test]
fn tampered_device_signature_is_invalid() {
    let mut doc = signed_document(DeviceNameSpaces::new());
    // Same signature over different DeviceNameSpacesBytes.
    doc.device_signed.name_spaces = Tag24::new(IndexMap::from([(
        "org.iso.18013.5.1".to_owned(),
        IndexMap::new(),
    )]));
    let report = check(&doc);
    assert_eq!(report.failures(), [Failure::DeviceSignatureInvalid]);
}

#[test]
fn unauthorized_device_signed_element_is_reported() {
    let ns = IndexMap::from([(
        "org.example.unlisted".to_owned(),
        IndexMap::from([("pin_ok".to_owned(), Value::Bool(true))]),
    )]);
    let report = check(&signed_document(ns));
    assert_eq!(
        report.failures(),
        [Failure::ElementNotAuthorized {
            namespace: "org.example.unlisted".into(),
            element: "pin_ok".into()
        }]
    );
    assert!(report.checks().contains(&Check::DeviceSignature));
    assert!(report.device_elements().is_empty());
}
