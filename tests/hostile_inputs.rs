//! Bounded work for hostile peers (issue 9): each attack fed to the reader's verifier or the
//! holder, and the bound asserted (a typed failure, a capped report, a capped response).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use indexmap::IndexMap;
use mdl_proximity::cbor::{self, Tag24, Value};
use mdl_proximity::crypto::{sign1_detached, sign1_embedded, SeededRng};
use mdl_proximity::holder::{
    build_response, ReaderIdentity, ReviewRequest, Selection, MAX_DOC_REQUESTS,
    MAX_ERRORS_PER_DOCUMENT,
};
use mdl_proximity::issuer::{
    pki::IssuerPki, sample_mdl_credential, Credential, SampleMdl, MDL_DOC_TYPE, MDL_NAMESPACE,
};
use mdl_proximity::msg::response::DeviceAuth;
use mdl_proximity::msg::{
    CoseSign1, DeviceAuthentication, DeviceRequest, DeviceResponse, SessionTranscript,
    SessionTranscriptBytes,
};
use mdl_proximity::reader::RequestBuilder;
use mdl_proximity::verify::{
    self, Failure, TrustAnchors, MAX_CHAIN_LEN, MAX_DOCUMENTS, MAX_FAILURES_PER_DOCUMENT,
};

mod common;
use common::annex_d;

const NOW: i64 = 1_767_225_600;

fn transcript() -> SessionTranscriptBytes {
    let st: SessionTranscript = cbor::from_slice(&annex_d("session_transcript")).unwrap();
    Tag24::new(st)
}

fn issue() -> (Credential, IssuerPki) {
    sample_mdl_credential(&SampleMdl::p256(NOW), &mut SeededRng::new(9)).unwrap()
}

fn request(elements: &[(&str, bool)]) -> DeviceRequest {
    RequestBuilder::new().mdl(elements).build().unwrap()
}

fn respond(credential: &Credential, request: &DeviceRequest) -> DeviceResponse {
    let selections: Vec<Selection> = request
        .doc_requests
        .iter()
        .enumerate()
        .map(|(i, d)| {
            Selection::all_requested(&ReviewRequest::new(
                i,
                d,
                ReaderIdentity::Unauthenticated,
                true,
            ))
        })
        .collect();
    build_response(
        &[credential.to_mdoc().unwrap()],
        request,
        &selections,
        &transcript(),
    )
    .unwrap()
}

fn verify(response: &DeviceResponse, pki: &IssuerPki) -> verify::VerificationReport {
    let trust = TrustAnchors::from_der(pki.iaca.der()).unwrap();
    // As received: decoded from bytes.
    let response: DeviceResponse = cbor::from_slice(&cbor::to_vec(response)).unwrap();
    verify::response(&response, &transcript(), &trust, None, NOW + 60)
}

#[test]
fn long_x5chain_is_refused_unparsed() {
    // Issue 9 item 1: an x5chain repeating the Document Signer certificate 2000 times was
    // validated link by link (one signature verification each) before failing.
    let (mut credential, pki) = issue();
    let payload = credential
        .issuer_signed
        .issuer_auth
        .inner()
        .payload
        .clone()
        .unwrap();
    let chain = vec![pki.ds.der().to_vec(); 2000];
    let sign1 = sign1_embedded(&pki.ds_key.signer().unwrap(), payload, &chain).unwrap();
    credential.issuer_signed.issuer_auth = CoseSign1::new(sign1).unwrap();
    let report = verify(
        &respond(&credential, &request(&[("family_name", false)])),
        &pki,
    );
    let doc = &report.documents()[0];
    assert_eq!(
        doc.failures(),
        [Failure::ChainTooLong {
            length: 2000,
            limit: MAX_CHAIN_LEN
        }]
    );
    assert!(doc.issuer_elements().is_empty());
}

#[test]
fn document_signer_must_be_issued_directly_by_the_iaca() {
    // [DS, IACA2, IACA] where IACA2 is another CA of the same name as the DS's issuer: the DS
    // is not issued directly by the trusted IACA.
    let (credential, pki) = issue();
    let payload = credential
        .issuer_signed
        .issuer_auth
        .inner()
        .payload
        .clone()
        .unwrap();
    let chain = vec![
        pki.ds.der().to_vec(),
        pki.iaca.der().to_vec(),
        pki.iaca.der().to_vec(),
    ];
    let mut credential = credential;
    let sign1 = sign1_embedded(&pki.ds_key.signer().unwrap(), payload, &chain).unwrap();
    credential.issuer_signed.issuer_auth = CoseSign1::new(sign1).unwrap();
    let report = verify(
        &respond(&credential, &request(&[("family_name", false)])),
        &pki,
    );
    let doc = &report.documents()[0];
    assert!(!doc.is_valid());
    assert!(
        doc.failures().iter().any(|f| matches!(
            f,
            Failure::CertificateProfile { reason, .. } if reason.contains("directly")
        )),
        "{:?}",
        doc.failures()
    );
}

#[test]
fn failures_per_document_are_capped_with_one_summary() {
    // Issue 9 item 2: one failure per unauthorized device-signed element made the report as
    // large as the message. 1000 device-signed elements, none authorized by the MSO.
    let (credential, pki) = issue();
    let mut response = respond(&credential, &request(&[("family_name", false)]));
    let mut elements = IndexMap::new();
    for i in 0..1000 {
        elements.insert(format!("e{i}"), Value::Integer(i.into()));
    }
    let name_spaces = Tag24::new(IndexMap::from([(MDL_NAMESPACE.to_owned(), elements)]));
    let st = transcript();
    let payload = DeviceAuthentication {
        session_transcript: st.value().clone(),
        doc_type: MDL_DOC_TYPE.into(),
        device_name_spaces: name_spaces.clone(),
    }
    .to_tagged_bytes();
    let sig = sign1_detached(&credential.device_key.signer().unwrap(), &payload, &[]).unwrap();
    let doc = &mut response.documents.as_mut().unwrap().as_mut_slice()[0];
    doc.device_signed.name_spaces = name_spaces;
    doc.device_signed.device_auth = DeviceAuth::Signature(CoseSign1::new(sig).unwrap());
    let report = verify(&response, &pki);
    let failures = report.documents()[0].failures();
    assert_eq!(failures.len(), MAX_FAILURES_PER_DOCUMENT + 1);
    assert!(matches!(
        failures[..MAX_FAILURES_PER_DOCUMENT],
        [Failure::ElementNotAuthorized { .. }, ..]
    ));
    assert_eq!(
        failures[MAX_FAILURES_PER_DOCUMENT],
        Failure::MoreFailures {
            omitted: 1000 - MAX_FAILURES_PER_DOCUMENT
        }
    );
}

#[test]
fn documents_past_the_cap_are_not_verified() {
    let (credential, pki) = issue();
    let mut response = respond(&credential, &request(&[("family_name", false)]));
    let doc = response.documents.as_ref().unwrap()[0].clone();
    for _ in 0..MAX_DOCUMENTS + 2 {
        response.documents.as_mut().unwrap().push(doc.clone());
    }
    let report = verify(&response, &pki);
    assert_eq!(report.documents().len(), MAX_DOCUMENTS);
    assert_eq!(
        report.failures(),
        [Failure::TooManyDocuments {
            count: MAX_DOCUMENTS + 3,
            limit: MAX_DOCUMENTS
        }]
    );
    assert!(!report.is_valid());
}

#[test]
fn holder_errors_are_capped() {
    // Issue 9 item 2: a request for 5000 elements the mDL does not hold made the holder build a
    // 5000-entry `errors` map.
    let (credential, _pki) = issue();
    let names: Vec<String> = (0..5000).map(|i| format!("no_such_element_{i}")).collect();
    let elements: Vec<(&str, bool)> = names.iter().map(|n| (n.as_str(), false)).collect();
    let mut elements = elements;
    elements.push(("family_name", false));
    let response = respond(&credential, &request(&elements));
    let doc = &response.documents.as_ref().unwrap()[0];
    let errors = doc.errors.as_ref().unwrap();
    assert_eq!(errors[MDL_NAMESPACE].len(), MAX_ERRORS_PER_DOCUMENT);
}

#[test]
fn holder_answers_at_most_the_capped_number_of_doc_requests() {
    let (credential, _pki) = issue();
    let mut builder = RequestBuilder::new();
    for _ in 0..MAX_DOC_REQUESTS + 5 {
        builder = builder.mdl(&[("family_name", false)]);
    }
    let request = builder.build().unwrap();
    let response = respond(&credential, &request);
    assert_eq!(response.documents.as_ref().unwrap().len(), MAX_DOC_REQUESTS);
}
