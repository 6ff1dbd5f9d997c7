//! Response building (selective disclosure, errors, documentErrors, deviceSignature,
//! deviceMac) and the reader's request builder (readerAuth, readerAuthAll).
#![allow(clippy::unwrap_used)]

use indexmap::IndexMap;
use mdl_proximity::cbor::{self, Tag24};
use mdl_proximity::crypto::{
    sign1_x5chain, verify_device_mac, verify_sign1_detached, Curve, EMacKey, EphemeralPrivateKey,
};
use mdl_proximity::holder::{
    build_response, ApproveAll, ApproveListed, ConsentHook, DenyAll, Presenter, ReaderIdentity,
    ReviewRequest, Selection,
};
use mdl_proximity::issuer::{
    issue_mdoc, pki::IssuerPki, pki::ReaderPki, sample_mdl_name_spaces, Credential,
    DeviceAuthMethod, DigestIdOrder, MdocRequest, MdocValidity, PrivateKey, MDL_DOC_TYPE,
    MDL_NAMESPACE,
};
use mdl_proximity::msg::{
    mso::DigestAlgorithm,
    response::{DeviceAuth, ErrorCode},
    DeviceAuthentication, DeviceRequest, DeviceResponse, FullDate, ReaderAuthentication,
    SessionTranscript, SessionTranscriptBytes,
};
use mdl_proximity::reader::{reader_authentication_all_bytes, ReaderKey, RequestBuilder};
use mdl_proximity::verify::{Failure, TrustAnchors};

use mdl_proximity::crypto::SeededRng as TestRng;

const NOW: i64 = 1_767_225_600;

mod common;
use common::annex_d;

/// Annex D's session transcript (EReaderKey on P-256), and EReaderKey.Priv.
fn transcript() -> (SessionTranscriptBytes, EphemeralPrivateKey) {
    let st: SessionTranscript = cbor::from_slice(&annex_d("session_transcript")).unwrap();
    let key = EphemeralPrivateKey::from_bytes(Curve::P256, &annex_d("e_reader_key_d")).unwrap();
    (Tag24::new(st), key)
}

fn credential(rng: &mut TestRng, auth: DeviceAuthMethod) -> (Credential, IssuerPki) {
    let pki = IssuerPki::generate(Curve::P256, "UT", NOW, rng).unwrap();
    let device_key = PrivateKey::generate(Curve::P256, rng).unwrap();
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
                valid_until: NOW + 86_400 * 365,
                expected_update: None,
            },
            digest_algorithm: DigestAlgorithm::Sha256,
            digest_ids: DigestIdOrder::Shuffled,
        },
        &pki.ds_key.signer().unwrap(),
        pki.ds.der(),
        rng,
    )
    .unwrap();
    (
        Credential {
            doc_type: MDL_DOC_TYPE.into(),
            issuer_signed,
            device_key,
            device_auth: auth,
        },
        pki,
    )
}

fn request() -> DeviceRequest {
    let req = RequestBuilder::new()
        .mdl(&[
            ("family_name", false),
            ("portrait", false),
            ("age_over_21", true),
            ("no_such_element", false),
        ])
        .doc(
            "org.example.other",
            IndexMap::from([(
                "org.example".to_owned(),
                IndexMap::from([("x".into(), false)]),
            )]),
        )
        .build()
        .unwrap();
    // As the holder sees it: decoded from the bytes on the wire.
    cbor::from_slice(&cbor::to_vec(&req)).unwrap()
}

fn respond(
    credential: &Credential,
    request: &DeviceRequest,
    consent: &mut dyn ConsentHook,
    st: &SessionTranscriptBytes,
) -> DeviceResponse {
    let selections: Vec<Selection> = request
        .doc_requests
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let has = d.items_request.value().doc_type == credential.doc_type;
            consent.review(&ReviewRequest::new(
                i,
                d,
                ReaderIdentity::Unauthenticated,
                has,
            ))
        })
        .collect();
    let resp = build_response(&[credential.to_mdoc().unwrap()], request, &selections, st).unwrap();
    cbor::from_slice(&cbor::to_vec(&resp)).unwrap()
}

fn device_authentication_bytes(st: &SessionTranscriptBytes, resp: &DeviceResponse) -> Vec<u8> {
    let doc = resp.documents.as_ref().unwrap().first();
    DeviceAuthentication {
        session_transcript: st.value().clone(),
        doc_type: doc.doc_type.clone(),
        device_name_spaces: doc.device_signed.name_spaces.clone(),
    }
    .to_tagged_bytes()
}

#[test]
fn only_approved_requested_elements_are_disclosed_with_bytes_unchanged() {
    let mut rng = TestRng::new(1);
    let (cred, _) = credential(&mut rng, DeviceAuthMethod::Signature);
    let (st, _) = transcript();
    let mut consent = ApproveListed::new([
        (MDL_NAMESPACE, "family_name"),
        (MDL_NAMESPACE, "age_over_21"),
        (MDL_NAMESPACE, "given_name"), // approved but not requested: never sent
    ]);
    let resp = respond(&cred, &request(), &mut consent, &st);
    assert_eq!(resp.status.0, 0);
    let doc = resp.documents.as_ref().unwrap().first();
    let items = &doc.issuer_signed.name_spaces.as_ref().unwrap()[MDL_NAMESPACE];
    let names: Vec<&str> = items
        .iter()
        .map(|i| i.value().element_identifier.as_str())
        .collect();
    assert_eq!(names, ["family_name", "age_over_21"]);
    let stored = &cred.issuer_signed.name_spaces.as_ref().unwrap()[MDL_NAMESPACE];
    for item in items {
        let original = stored
            .iter()
            .find(|s| s.value().element_identifier == item.value().element_identifier)
            .unwrap();
        assert_eq!(item.tagged_bytes(), original.tagged_bytes());
    }
    // Withheld and missing elements are reported with code 0.
    let errors = &doc.errors.as_ref().unwrap()[MDL_NAMESPACE];
    assert_eq!(errors.len(), 2);
    assert_eq!(errors["portrait"], ErrorCode::DATA_NOT_RETURNED);
    assert_eq!(errors["no_such_element"], ErrorCode::DATA_NOT_RETURNED);
    // issuerAuth is the credential's, unchanged.
    assert_eq!(
        cbor::to_vec(&doc.issuer_signed.issuer_auth),
        cbor::to_vec(&cred.issuer_signed.issuer_auth)
    );
    // The doc type the holder lacks is a document error.
    let doc_errors = resp.document_errors.as_ref().unwrap();
    assert_eq!(doc_errors.len(), 1);
    assert_eq!(doc_errors.first()["org.example.other"], ErrorCode(0));
}

#[test]
fn deny_all_withholds_every_document() {
    let mut rng = TestRng::new(2);
    let (cred, _) = credential(&mut rng, DeviceAuthMethod::Signature);
    let (st, _) = transcript();
    let resp = respond(&cred, &request(), &mut DenyAll, &st);
    assert!(resp.documents.is_none());
    assert_eq!(resp.document_errors.as_ref().unwrap().len(), 2);
    assert_eq!(resp.status.0, 0);
}

#[test]
fn device_signature_verifies_over_device_authentication_bytes() {
    let mut rng = TestRng::new(3);
    let (cred, _) = credential(&mut rng, DeviceAuthMethod::Signature);
    let (st, _) = transcript();
    let resp = respond(&cred, &request(), &mut ApproveAll, &st);
    let doc = resp.documents.as_ref().unwrap().first();
    assert!(doc.device_signed.name_spaces.value().is_empty());
    let DeviceAuth::Signature(sig) = &doc.device_signed.device_auth else {
        panic!("expected deviceSignature");
    };
    let payload = device_authentication_bytes(&st, &resp);
    verify_sign1_detached(sig.inner(), cred.device_key.public_key(), &payload).unwrap();
    let mut tampered = payload.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert!(verify_sign1_detached(sig.inner(), cred.device_key.public_key(), &tampered).is_err());
}

#[test]
fn device_mac_verifies_with_the_readers_emac_key() {
    let mut rng = TestRng::new(4);
    let (cred, _) = credential(&mut rng, DeviceAuthMethod::Mac);
    let (st, e_reader_key) = transcript();
    let resp = respond(&cred, &request(), &mut ApproveAll, &st);
    let doc = resp.documents.as_ref().unwrap().first();
    let DeviceAuth::Mac(mac) = &doc.device_signed.device_auth else {
        panic!("expected deviceMac");
    };
    let emac = EMacKey::for_reader(
        &e_reader_key,
        cred.device_key.public_key(),
        &st.tagged_bytes(),
    )
    .unwrap();
    let payload = device_authentication_bytes(&st, &resp);
    verify_device_mac(&emac, mac.inner(), &payload).unwrap();
    // Another transcript gives another key.
    let other = EMacKey::for_reader(&e_reader_key, cred.device_key.public_key(), b"x").unwrap();
    assert!(verify_device_mac(&other, mac.inner(), &payload).is_err());
}

#[test]
fn presenter_reviews_with_the_hook_and_identifies_readers() {
    let mut rng = TestRng::new(5);
    let (cred, _) = credential(&mut rng, DeviceAuthMethod::Signature);
    let (st, _) = transcript();
    let reader = ReaderPki::generate(Curve::P256, NOW, &mut rng).unwrap();
    let signer = reader.reader_key.signer().unwrap();
    let chain = vec![reader.reader.der().to_vec()];
    let req = RequestBuilder::new()
        .mdl(&[("family_name", false), ("portrait", false)])
        .build_signed(
            ReaderKey {
                signer: &signer,
                certificate_chain: &chain,
            },
            &st,
        )
        .unwrap();
    let mut seen = Vec::new();
    let hook = |r: &ReviewRequest| {
        seen.push((r.reader.clone(), r.holder_has_doc_type, r.doc_type.clone()));
        let mut s = Selection::none();
        s.approve(MDL_NAMESPACE, "family_name");
        s
    };
    // No trusted reader roots: the signature verifies but nobody vouches for the reader.
    let mut presenter = Presenter::new(vec![cred.to_mdoc().unwrap()], hook, TrustAnchors::new());
    let resp = presenter.respond(&req, &st, NOW).unwrap();
    drop(presenter);
    assert_eq!(seen.len(), 1);
    assert!(
        matches!(
            &seen[0].0,
            ReaderIdentity::Untrusted {
                reason: Failure::UntrustedIssuer { .. }
            }
        ),
        "{:?}",
        seen[0].0
    );
    assert!(seen[0].1);
    assert_eq!(seen[0].2, MDL_DOC_TYPE);

    // With the reader root trusted, the same request is from an authenticated reader.
    let mut rng = TestRng::new(5);
    let (cred, _) = credential(&mut rng, DeviceAuthMethod::Signature);
    let roots = TrustAnchors::from_der(reader.root.der()).unwrap();
    let mut identities = Vec::new();
    let mut presenter = Presenter::new(
        vec![cred.to_mdoc().unwrap()],
        |r: &ReviewRequest| {
            identities.push(r.reader.clone());
            Selection::none()
        },
        roots,
    );
    presenter.respond(&req, &st, NOW).unwrap();
    drop(presenter);
    assert!(
        matches!(&identities[0], ReaderIdentity::Authenticated { chain: c, .. } if *c == chain),
        "{:?}",
        identities[0]
    );
    let doc = resp.documents.as_ref().unwrap().first();
    assert_eq!(
        doc.issuer_signed.name_spaces.as_ref().unwrap()[MDL_NAMESPACE].len(),
        1
    );
}

#[test]
fn reader_auth_verifies_over_reader_authentication_bytes() {
    let mut rng = TestRng::new(6);
    let (st, _) = transcript();
    for curve in [Curve::P256, Curve::P384, Curve::ED25519] {
        let reader = ReaderPki::generate(curve, NOW, &mut rng).unwrap();
        let signer = reader.reader_key.signer().unwrap();
        let chain = vec![reader.reader.der().to_vec()];
        let req = RequestBuilder::new()
            .mdl(&[("age_over_18", false)])
            .doc(
                "org.example.other",
                IndexMap::from([(
                    "org.example".to_owned(),
                    IndexMap::from([("x".into(), true)]),
                )]),
            )
            .build_signed(
                ReaderKey {
                    signer: &signer,
                    certificate_chain: &chain,
                },
                &st,
            )
            .unwrap();
        assert_eq!(req.version.as_str(), "1.0");
        let req: DeviceRequest = cbor::from_slice(&cbor::to_vec(&req)).unwrap();
        assert_eq!(req.doc_requests.len(), 2);
        for doc in req.doc_requests.iter() {
            let ra = doc.reader_auth.as_ref().unwrap();
            let payload = ReaderAuthentication {
                session_transcript: st.value().clone(),
                items_request: doc.items_request.clone(),
            }
            .to_tagged_bytes();
            verify_sign1_detached(ra.inner(), reader.reader_key.public_key(), &payload).unwrap();
            assert_eq!(sign1_x5chain(ra.inner()).unwrap(), chain);
        }
    }
}

#[test]
fn reader_auth_all_signs_every_items_request_in_version_1_1() {
    let mut rng = TestRng::new(7);
    let (st, _) = transcript();
    let reader = ReaderPki::generate(Curve::P256, NOW, &mut rng).unwrap();
    let signer = reader.reader_key.signer().unwrap();
    let chain = vec![reader.reader.der().to_vec()];
    let req = RequestBuilder::new()
        .mdl(&[("age_over_18", false)])
        .build_signed_all(
            ReaderKey {
                signer: &signer,
                certificate_chain: &chain,
            },
            &st,
        )
        .unwrap();
    let req: DeviceRequest = cbor::from_slice(&cbor::to_vec(&req)).unwrap();
    assert_eq!(req.version.as_str(), "1.1");
    assert!(req.doc_requests.first().reader_auth.is_none());
    let all = req.reader_auth_all.as_ref().unwrap().first();
    let payload = reader_authentication_all_bytes(&req, &st);
    // #6.24(bstr .cbor ["ReaderAuthenticationAll", ST, [ItemsRequestBytes], null])
    let inner: Tag24<ciborium::Value> = Tag24::from_tagged_slice(&payload).unwrap();
    let ciborium::Value::Array(parts) = inner.value() else {
        panic!("array")
    };
    assert_eq!(parts.len(), 4);
    assert_eq!(parts[3], ciborium::Value::Null);
    verify_sign1_detached(all.inner(), reader.reader_key.public_key(), &payload).unwrap();
}

#[test]
fn empty_builder_builds_nothing() {
    assert!(RequestBuilder::new().build().is_none());
}
