//! Issue 8 item 6: the holder verifies `readerAuthAll` (4-element form, and the 3-element form
//! an earlier Multipaz release signed); the reader sends readerAuthAll only to an mdoc that
//! advertises ReaderAuthAllSupport, per-DocRequest readerAuth otherwise.
#![allow(clippy::unwrap_used)]

use indexmap::IndexMap;
use mdl_proximity::cbor::{self, NonEmpty, Tag24};
use mdl_proximity::crypto::{sign1_detached, Curve, SeededRng};
use mdl_proximity::holder::{Presenter, ReaderIdentity, ReviewRequest, Selection};
use mdl_proximity::issuer::pki::ReaderPki;
use mdl_proximity::msg::engagement::Capabilities;
use mdl_proximity::msg::{
    CoseSign1, DeviceEngagement, DeviceRequest, Handover, Lenient, SessionTranscript,
    SessionTranscriptBytes,
};
use mdl_proximity::reader::{ReaderKey, RequestBuilder};
use mdl_proximity::verify::reader_auth_all::reader_authentication_all_bytes_3;
use mdl_proximity::verify::{reader_auth_all, reader_identities, Failure, TrustAnchors};

mod common;
use common::annex_d;

const NOW: i64 = 1_767_225_600;

/// Annex D's session transcript: its engagement has no Capabilities (a 2021 wallet).
fn annex_d_transcript() -> SessionTranscriptBytes {
    let st: SessionTranscript = cbor::from_slice(&annex_d("session_transcript")).unwrap();
    Tag24::new(st)
}

/// A transcript whose DeviceEngagement advertises (or not) ReaderAuthAllSupport.
fn transcript_with_reader_auth_all(support: Option<bool>) -> SessionTranscriptBytes {
    let mut st: SessionTranscript = annex_d_transcript().into_value();
    let mut de: DeviceEngagement = st.device_engagement.value().clone();
    de.capabilities = Some(Lenient::Known(Capabilities {
        reader_auth_all: support.map(Lenient::Known),
        ..Capabilities::default()
    }));
    st.device_engagement = Tag24::new(de);
    st.handover = Handover::Qr;
    Tag24::new(st)
}

struct Reader {
    pki: ReaderPki,
    chain: Vec<Vec<u8>>,
}

fn reader(seed: u64) -> Reader {
    let mut rng = SeededRng::new(seed);
    let pki = ReaderPki::generate(Curve::P256, NOW, &mut rng).unwrap();
    let chain = vec![pki.reader.der().to_vec()];
    Reader { pki, chain }
}

fn builder() -> RequestBuilder {
    RequestBuilder::new()
        .mdl(&[("family_name", false), ("age_over_18", false)])
        .doc(
            "org.example.other",
            IndexMap::from([(
                "org.example".to_owned(),
                IndexMap::from([("x".into(), false)]),
            )]),
        )
}

fn on_the_wire(req: &DeviceRequest) -> DeviceRequest {
    cbor::from_slice(&cbor::to_vec(req)).unwrap()
}

/// What the holder's consent hook is told about each DocRequest.
fn identities_seen(
    req: &DeviceRequest,
    st: &SessionTranscriptBytes,
    roots: TrustAnchors,
) -> Vec<ReaderIdentity> {
    let mut seen = Vec::new();
    let mut presenter = Presenter::new(
        vec![],
        |r: &ReviewRequest| {
            seen.push(r.reader.clone());
            Selection::none()
        },
        roots,
    );
    presenter.respond(req, st, NOW).unwrap();
    drop(presenter);
    seen
}

#[test]
fn holder_sees_a_request_signed_only_with_reader_auth_all_as_authenticated() {
    let r = reader(1);
    let st = transcript_with_reader_auth_all(Some(true));
    let signer = r.pki.reader_key.signer().unwrap();
    let req = builder()
        .build_signed_all(
            ReaderKey {
                signer: &signer,
                certificate_chain: &r.chain,
            },
            &st,
        )
        .unwrap();
    let req = on_the_wire(&req);
    assert!(req.doc_requests.iter().all(|d| d.reader_auth.is_none()));
    let roots = TrustAnchors::from_der(r.pki.root.der()).unwrap();
    let seen = identities_seen(&req, &st, roots);
    assert_eq!(seen.len(), 2);
    for identity in &seen {
        assert!(
            matches!(identity, ReaderIdentity::Authenticated { chain, .. } if *chain == r.chain),
            "{identity:?}"
        );
    }
    // Without trusted roots the same signature is untrusted, not unauthenticated.
    let seen = identities_seen(&req, &st, TrustAnchors::new());
    assert!(
        matches!(seen[0], ReaderIdentity::Untrusted { .. }),
        "{:?}",
        seen[0]
    );
}

#[test]
fn three_element_reader_authentication_all_of_an_earlier_multipaz_is_accepted() {
    let r = reader(2);
    let st = transcript_with_reader_auth_all(Some(true));
    let signer = r.pki.reader_key.signer().unwrap();
    let mut req = builder().build().unwrap();
    req.version = mdl_proximity::msg::Version::v1_1();
    // ["ReaderAuthenticationAll", SessionTranscript, [+ ItemsRequestBytes]]
    let payload = reader_authentication_all_bytes_3(&req, &st);
    let sign1 = sign1_detached(&signer, &payload, &r.chain).unwrap();
    req.reader_auth_all = Some(NonEmpty::one(CoseSign1::new(sign1).unwrap()));
    let req = on_the_wire(&req);
    let roots = TrustAnchors::from_der(r.pki.root.der()).unwrap();
    assert!(reader_auth_all(&req, &st, &roots, NOW).is_authenticated());
    assert!(reader_identities(&req, &st, &roots, NOW)
        .iter()
        .all(ReaderIdentity::is_authenticated));
}

#[test]
fn reader_auth_all_over_another_transcript_or_request_is_invalid() {
    let r = reader(3);
    let st = transcript_with_reader_auth_all(Some(true));
    let signer = r.pki.reader_key.signer().unwrap();
    let key = || ReaderKey {
        signer: &signer,
        certificate_chain: &r.chain,
    };
    let roots = TrustAnchors::from_der(r.pki.root.der()).unwrap();
    let req = on_the_wire(&builder().build_signed_all(key(), &st).unwrap());
    // Another session's transcript.
    let other = transcript_with_reader_auth_all(None);
    assert!(matches!(
        reader_auth_all(&req, &other, &roots, NOW),
        ReaderIdentity::Invalid {
            reason: Failure::ReaderSignatureInvalid
        }
    ));
    // The signature moved onto a request for other elements.
    let mut swapped = on_the_wire(
        &RequestBuilder::new()
            .mdl(&[("portrait", false)])
            .build()
            .unwrap(),
    );
    swapped.reader_auth_all = req.reader_auth_all.clone();
    let seen = identities_seen(&swapped, &st, roots.clone());
    assert!(
        matches!(
            seen[0],
            ReaderIdentity::Invalid {
                reason: Failure::ReaderSignatureInvalid
            }
        ),
        "{:?}",
        seen[0]
    );
    // A bad signature next to a good one: the good one counts.
    let mut two = req.clone();
    let mut sigs = swapped.reader_auth_all.clone().unwrap();
    let bad = on_the_wire(
        &RequestBuilder::new()
            .mdl(&[("x", false)])
            .build_signed_all(key(), &other)
            .unwrap(),
    );
    sigs = NonEmpty::new(vec![
        bad.reader_auth_all.unwrap().first().clone(),
        sigs.first().clone(),
    ])
    .unwrap();
    two.reader_auth_all = Some(sigs);
    assert!(reader_auth_all(&two, &st, &roots, NOW).is_authenticated());
    // No readerAuthAll and no readerAuth: unauthenticated.
    let plain = on_the_wire(&builder().build().unwrap());
    assert_eq!(
        reader_auth_all(&plain, &st, &roots, NOW),
        ReaderIdentity::Unauthenticated
    );
}

#[test]
fn per_doc_reader_auth_takes_precedence_over_reader_auth_all() {
    let r = reader(4);
    let st = annex_d_transcript();
    let signer = r.pki.reader_key.signer().unwrap();
    let key = || ReaderKey {
        signer: &signer,
        certificate_chain: &r.chain,
    };
    let roots = TrustAnchors::from_der(r.pki.root.der()).unwrap();
    let mut req = on_the_wire(&builder().build_signed(key(), &st).unwrap());
    // A readerAuthAll over another transcript does not spoil valid per-document signatures.
    let other = transcript_with_reader_auth_all(Some(true));
    req.reader_auth_all =
        on_the_wire(&builder().build_signed_all(key(), &other).unwrap()).reader_auth_all;
    assert!(reader_identities(&req, &st, &roots, NOW)
        .iter()
        .all(ReaderIdentity::is_authenticated));
}

#[test]
fn reader_signs_per_doc_request_unless_the_mdoc_advertises_reader_auth_all() {
    let r = reader(5);
    let signer = r.pki.reader_key.signer().unwrap();
    let key = || ReaderKey {
        signer: &signer,
        certificate_chain: &r.chain,
    };
    let roots = TrustAnchors::from_der(r.pki.root.der()).unwrap();
    // A 2021 wallet (Annex D: no Capabilities), Capabilities without key 3, key 3 false, and a
    // non-bool key 3: per-DocRequest readerAuth, version 1.0.
    let mut no_all = vec![
        annex_d_transcript(),
        transcript_with_reader_auth_all(None),
        transcript_with_reader_auth_all(Some(false)),
    ];
    let mut odd: SessionTranscript = transcript_with_reader_auth_all(None).into_value();
    let mut de = odd.device_engagement.value().clone();
    de.capabilities = Some(Lenient::Known(Capabilities {
        reader_auth_all: Some(Lenient::decode(ciborium::Value::Integer(1.into()))),
        ..Capabilities::default()
    }));
    odd.device_engagement = Tag24::new(de);
    no_all.push(Tag24::new(odd));
    for st in &no_all {
        let req = on_the_wire(&builder().build_authenticated(key(), st).unwrap());
        assert!(req.reader_auth_all.is_none());
        assert_eq!(req.version.as_str(), "1.0");
        assert!(req.doc_requests.iter().all(|d| d.reader_auth.is_some()));
        assert!(identities_seen(&req, st, roots.clone())
            .iter()
            .all(ReaderIdentity::is_authenticated));
    }
    // An mdoc that advertises ReaderAuthAllSupport gets one readerAuthAll, version 1.1.
    let st = transcript_with_reader_auth_all(Some(true));
    let req = on_the_wire(&builder().build_authenticated(key(), &st).unwrap());
    assert!(req.reader_auth_all.is_some());
    assert_eq!(req.version.as_str(), "1.1");
    assert!(req.doc_requests.iter().all(|d| d.reader_auth.is_none()));
    assert!(identities_seen(&req, &st, roots)
        .iter()
        .all(ReaderIdentity::is_authenticated));
}
