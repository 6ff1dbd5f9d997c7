//! Issue 8 item 8 (2021 7.2.5; 2nd ed. 13.4.6): an age_over_NN the mDL does not hold is answered
//! with the nearest held age_over_NN that implies it, and the reader's report counts the request
//! as answered. The sample mDL holds age_over_18 = true and age_over_21 = true.
#![allow(clippy::unwrap_used)]

use mdl_proximity::cbor::{self, Tag24, Value};
use mdl_proximity::crypto::{Curve, SeededRng};
use mdl_proximity::holder::{ApproveListed, ConsentHook, Presenter};
use mdl_proximity::issuer::pki::IssuerPki;
use mdl_proximity::issuer::{
    issue_mdoc, sample_mdl_name_spaces, Credential, DeviceAuthMethod, DigestIdOrder, MdocRequest,
    MdocValidity, PrivateKey, MDL_DOC_TYPE, MDL_NAMESPACE,
};
use mdl_proximity::msg::mso::DigestAlgorithm;
use mdl_proximity::msg::response::ErrorCode;
use mdl_proximity::msg::{
    DeviceRequest, DeviceResponse, FullDate, SessionTranscript, SessionTranscriptBytes,
};
use mdl_proximity::reader::RequestBuilder;
use mdl_proximity::verify::{self, answers, Answer, TrustAnchors, VerificationReport};

mod common;
use common::annex_d;

const NOW: i64 = 1_767_225_600;

struct Issued {
    credential: Credential,
    trust: TrustAnchors,
}

/// The sample mDL, plus `extra` age attestations.
fn sample(extra: &[(&str, bool)]) -> Issued {
    let mut rng = SeededRng::new(21);
    let pki = IssuerPki::generate(Curve::P256, "UT", NOW, &mut rng).unwrap();
    let mut name_spaces = sample_mdl_name_spaces(
        FullDate::new(2026, 1, 1).unwrap(),
        FullDate::new(2031, 1, 1).unwrap(),
    );
    for (element, value) in extra {
        name_spaces[MDL_NAMESPACE].insert((*element).to_owned(), Value::Bool(*value));
    }
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
    Issued {
        credential: Credential {
            doc_type: MDL_DOC_TYPE.into(),
            issuer_signed,
            device_key,
            device_auth: DeviceAuthMethod::Signature,
        },
        trust: TrustAnchors::from_der(pki.iaca.der()).unwrap(),
    }
}

fn transcript() -> SessionTranscriptBytes {
    Tag24::new(cbor::from_slice::<SessionTranscript>(&annex_d("session_transcript")).unwrap())
}

struct Presented {
    request: DeviceRequest,
    response: DeviceResponse,
    report: VerificationReport,
}

fn present(issued: Issued, requested: &[&str], consent: impl ConsentHook) -> Presented {
    let st = transcript();
    let wanted: Vec<(&str, bool)> = requested.iter().map(|e| (*e, false)).collect();
    let request: DeviceRequest = cbor::from_slice(&cbor::to_vec(
        &RequestBuilder::new().mdl(&wanted).build().unwrap(),
    ))
    .unwrap();
    let response = Presenter::new(
        vec![issued.credential.to_mdoc().unwrap()],
        consent,
        TrustAnchors::new(),
    )
    .respond(&request, &st, NOW)
    .unwrap();
    let response: DeviceResponse = cbor::from_slice(&cbor::to_vec(&response)).unwrap();
    let report = verify::response(&response, &st, &issued.trust, None, NOW + 60);
    assert!(report.is_valid(), "{report}");
    Presented {
        request,
        response,
        report,
    }
}

fn approve(elements: &[&'static str]) -> ApproveListed {
    ApproveListed::new(elements.iter().map(|e| (MDL_NAMESPACE, *e)))
}

/// Returned element identifiers, in order.
fn returned(p: &Presented) -> Vec<String> {
    let doc = p.response.documents.as_ref().unwrap().first();
    doc.issuer_signed.name_spaces.as_ref().unwrap()[MDL_NAMESPACE]
        .iter()
        .map(|i| i.value().element_identifier.clone())
        .collect()
}

fn answers_of(p: &Presented) -> Vec<(String, Answer)> {
    let items = p.request.doc_requests.first().items_request.value();
    answers(items, &p.report.documents()[0])
        .into_iter()
        .map(|a| (a.element, a.answer))
        .collect()
}

#[test]
fn age_over_20_is_answered_by_age_over_21_true() {
    let p = present(sample(&[]), &["age_over_20"], approve(&["age_over_20"]));
    assert_eq!(returned(&p), ["age_over_21"]);
    let doc = p.response.documents.as_ref().unwrap().first();
    assert!(
        doc.errors.is_none(),
        "answered, so not listed as not returned"
    );
    assert_eq!(
        answers_of(&p),
        [(
            "age_over_20".to_owned(),
            Answer::ImpliedBy {
                element: "age_over_21".into(),
                value: true
            }
        )]
    );
}

#[test]
fn the_nearest_higher_true_is_chosen() {
    // 18 and 21 are both true and higher than 16: 18 reveals less.
    let p = present(sample(&[]), &["age_over_16"], approve(&["age_over_16"]));
    assert_eq!(returned(&p), ["age_over_18"]);
    assert!(answers_of(&p)[0].1.is_answered());
}

#[test]
fn a_substitute_also_requested_is_returned_once() {
    let p = present(
        sample(&[]),
        &["age_over_19", "age_over_21"],
        approve(&["age_over_19", "age_over_21"]),
    );
    assert_eq!(returned(&p), ["age_over_21"], "no duplicate digestID");
    let a = answers_of(&p);
    assert!(
        matches!(&a[0].1, Answer::ImpliedBy { element, value: true } if element == "age_over_21")
    );
    assert_eq!(a[1].1, Answer::Returned(Value::Bool(true)));
}

#[test]
fn the_nearest_lower_false_answers_when_no_higher_true_exists() {
    let p = present(
        sample(&[("age_over_65", false), ("age_over_60", false)]),
        &["age_over_70"],
        approve(&["age_over_70"]),
    );
    assert_eq!(returned(&p), ["age_over_65"]);
    assert_eq!(
        answers_of(&p)[0].1,
        Answer::ImpliedBy {
            element: "age_over_65".into(),
            value: false
        }
    );
}

#[test]
fn nothing_implies_age_over_25_so_it_is_not_returned() {
    // 18 and 21 true say nothing about 25; the holder has no false attestation.
    let p = present(
        sample(&[]),
        &["family_name", "age_over_25"],
        approve(&["family_name", "age_over_25"]),
    );
    assert_eq!(returned(&p), ["family_name"]);
    let doc = p.response.documents.as_ref().unwrap().first();
    assert_eq!(
        doc.errors.as_ref().unwrap()[MDL_NAMESPACE]["age_over_25"],
        ErrorCode::DATA_NOT_RETURNED
    );
    assert_eq!(answers_of(&p)[1].1, Answer::NotReturned);
}

#[test]
fn consent_covers_the_requested_element_not_the_substitute() {
    // The holder declines "over 20?": no attestation goes out in its place.
    let p = present(
        sample(&[]),
        &["family_name", "age_over_20"],
        approve(&["family_name"]),
    );
    assert_eq!(returned(&p), ["family_name"]);
    assert_eq!(answers_of(&p)[1].1, Answer::NotReturned);
}
