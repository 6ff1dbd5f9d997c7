//! Whole presentations: a test issuer's mDL, the holder's Presenter (consent, selective
//! disclosure, device authentication) and the reader (signed request, verification), pumped by
//! the tokio driver over the mock transports. Per curve, per device-authentication method, with
//! consent that withholds, a doc type the holder lacks, reader authentication cases, several
//! rounds, and a tamper suite that the reader must reject with the right reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::disallowed_methods)] // an application stand-in: it may read the clock and files

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use indexmap::IndexMap;
use mdl_proximity::cbor::{self, Tag24, Value};
use mdl_proximity::crypto::{Curve, EphemeralPrivateKey, SeededRng};
use mdl_proximity::driver::{reader_exchange, reader_terminate, serve_holder, Reply, Responder};
use mdl_proximity::holder::{
    ApproveAll, ConsentHook, Presenter, ReaderIdentity, ReviewRequest, Selection,
};
use mdl_proximity::issuer::pki::ReaderPki;
use mdl_proximity::issuer::{
    sample_mdl_credential, DeviceAuthMethod, PrivateKey, SampleMdl, MDL_DOC_TYPE, MDL_NAMESPACE,
};
use mdl_proximity::msg::response::DeviceAuth;
use mdl_proximity::msg::{
    CoseSign1, DeviceEngagement, DeviceRequest, DeviceResponse, Handover, IssuerSignedItem,
};
use mdl_proximity::reader::{ReaderKey, RequestBuilder};
use mdl_proximity::session::{
    HolderConfig, HolderSession, ReaderConfig, ReaderSession, RequestReceived, Termination,
};
use mdl_proximity::verify::{Failure, TrustAnchors, VerificationReport};
use mdl_transport::Transport;
use mdl_transport_mock::{pair, MemoryConfig, TcpTransport};

const ELEMENTS: [&str; 6] = [
    "family_name",
    "given_name",
    "birth_date",
    "portrait",
    "age_over_18",
    "document_number",
];

/// The wall clock: the driver validates reader certificates at the real time, so the test PKIs
/// are issued just before it.
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[derive(Clone, Copy)]
struct Case {
    issuer_curve: Curve,
    device_curve: Curve,
    session_curve: Curve,
    device_auth: DeviceAuthMethod,
    seed: u64,
}

impl Case {
    fn p256(seed: u64) -> Self {
        Self {
            issuer_curve: Curve::P256,
            device_curve: Curve::P256,
            session_curve: Curve::P256,
            device_auth: DeviceAuthMethod::Signature,
            seed,
        }
    }
}

/// What one presentation produced.
struct Outcome {
    report: VerificationReport,
    response: DeviceResponse,
    reader_identities: Vec<ReaderIdentity>,
}

/// A responder that lets the Presenter answer, then changes the response before it is sent.
struct Tampering<R> {
    inner: R,
    tamper: fn(&mut DeviceResponse),
}

impl<R: Responder> Responder for Tampering<R> {
    fn reply(
        &mut self,
        request: &RequestReceived,
        session: &HolderSession,
        at: mdl_proximity::time::UnixTime,
    ) -> Reply {
        match self.inner.reply(request, session, at) {
            Reply::Respond(mut r) => {
                (self.tamper)(&mut r);
                Reply::Respond(r)
            }
            other => other,
        }
    }
}

/// Records who the holder saw, then delegates to another hook.
struct Recording<'a, C> {
    seen: &'a mut Vec<ReaderIdentity>,
    inner: C,
}

impl<C: ConsentHook> ConsentHook for Recording<'_, C> {
    fn review(&mut self, request: &ReviewRequest) -> Selection {
        self.seen.push(request.reader.clone());
        self.inner.review(request)
    }
}

struct Setup {
    consent: Box<dyn ConsentHook + Send>,
    trust_reader_root: bool,
    requests: Vec<DeviceRequestSpec>,
    tamper: Option<fn(&mut DeviceResponse)>,
    tamper_request: Option<fn(&mut DeviceRequest)>,
    /// The holder authenticates with a device key other than the one its MSO names.
    wrong_device_key: bool,
}

#[derive(Clone)]
enum DeviceRequestSpec {
    Mdl(Vec<&'static str>),
    Other(&'static str),
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            consent: Box::new(ApproveAll),
            trust_reader_root: true,
            requests: vec![DeviceRequestSpec::Mdl(ELEMENTS.to_vec())],
            tamper: None,
            tamper_request: None,
            wrong_device_key: false,
        }
    }
}

/// A boxed hook, so each test can pick its own.
struct AnyConsent(Box<dyn ConsentHook + Send>);

impl ConsentHook for AnyConsent {
    fn review(&mut self, request: &ReviewRequest) -> Selection {
        self.0.review(request)
    }
}

async fn present<T: Transport + 'static>(
    case: Case,
    setup: Setup,
    holder_t: T,
    mut reader_t: T,
) -> Vec<Outcome> {
    let now = unix_now() - 60;
    let mut rng = SeededRng::new(case.seed);
    let (credential, pki) = sample_mdl_credential(
        &SampleMdl {
            issuer_curve: case.issuer_curve,
            device_curve: case.device_curve,
            device_auth: case.device_auth,
            country: "UT",
            now,
        },
        &mut rng,
    )
    .unwrap();
    let reader_pki = ReaderPki::generate(Curve::P256, now, &mut rng).unwrap();
    let mut credential = credential;
    if setup.wrong_device_key {
        credential.device_key = PrivateKey::generate(case.device_curve, &mut rng).unwrap();
    }

    // Engagement and both sessions.
    let e_device_key = EphemeralPrivateKey::generate(case.session_curve, &mut rng).unwrap();
    let engagement = Tag24::new(DeviceEngagement::new(
        e_device_key.public_key().unwrap(),
        vec![],
    ));
    let mut holder = HolderSession::new(
        HolderConfig::default(),
        e_device_key,
        engagement.clone(),
        Handover::Qr,
        Instant::now(),
    )
    .unwrap();
    let e_reader_key = ReaderSession::generate_key(&engagement, &mut rng).unwrap();
    let mut reader = ReaderSession::new(
        ReaderConfig::default(),
        e_reader_key,
        engagement,
        Handover::Qr,
        Instant::now(),
    )
    .unwrap();

    // Holder task: Presenter (optionally tampering) over the driver.
    let roots = if setup.trust_reader_root {
        TrustAnchors::from_der(reader_pki.root.der()).unwrap()
    } else {
        TrustAnchors::new()
    };
    let (id_tx, id_rx) = std::sync::mpsc::channel();
    let consent = setup.consent;
    let tamper = setup.tamper;
    let holder_task = tokio::spawn(async move {
        let mut seen = Vec::new();
        {
            let presenter = Presenter::new(
                vec![credential.to_mdoc().unwrap()],
                Recording {
                    seen: &mut seen,
                    inner: AnyConsent(consent),
                },
                roots,
            );
            let mut holder_t = holder_t;
            match tamper {
                Some(tamper) => {
                    serve_holder(
                        &mut holder,
                        &mut holder_t,
                        &mut Tampering {
                            inner: presenter,
                            tamper,
                        },
                        None,
                    )
                    .await
                }
                None => {
                    let mut presenter = presenter;
                    serve_holder(&mut holder, &mut holder_t, &mut presenter, None).await
                }
            };
        }
        id_tx.send(seen).unwrap();
    });

    // Reader: one signed request per spec, verify each response.
    let signer = reader_pki.reader_key.signer().unwrap();
    let chain = vec![reader_pki.reader.der().to_vec()];
    let iaca = TrustAnchors::from_der(pki.iaca.der()).unwrap();
    let mut responses = Vec::new();
    for spec in &setup.requests {
        let builder = match spec {
            DeviceRequestSpec::Mdl(elements) => {
                RequestBuilder::new().mdl(&elements.iter().map(|e| (*e, false)).collect::<Vec<_>>())
            }
            DeviceRequestSpec::Other(doc_type) => RequestBuilder::new().doc(
                doc_type,
                IndexMap::from([(
                    "org.example".to_owned(),
                    IndexMap::from([("x".to_owned(), false)]),
                )]),
            ),
        };
        let mut request = builder
            .build_signed(
                ReaderKey {
                    signer: &signer,
                    certificate_chain: &chain,
                },
                reader.transcript(),
            )
            .unwrap();
        if let Some(t) = setup.tamper_request {
            t(&mut request);
        }
        let received = reader_exchange(&mut reader, &mut reader_t, &request, None)
            .await
            .unwrap();
        let response = received.response.unwrap();
        let report = reader.verify(&response, &iaca, (now + 60).into());
        responses.push((report, response));
    }
    reader_terminate(&mut reader, &mut reader_t, Termination::Status, None).await;
    holder_task.await.unwrap();
    let identities = id_rx.recv().unwrap();
    responses
        .into_iter()
        .map(|(report, response)| Outcome {
            report,
            response,
            reader_identities: identities.clone(),
        })
        .collect()
}

async fn present_memory(case: Case, setup: Setup) -> Vec<Outcome> {
    let (a, b) = pair(MemoryConfig::default());
    present(case, setup, a, b).await
}

fn elements_of(report: &VerificationReport) -> Vec<String> {
    let doc = report.document(MDL_DOC_TYPE).expect("an mDL");
    doc.issuer_elements()
        .get(MDL_NAMESPACE)
        .map(|e| e.keys().cloned().collect())
        .unwrap_or_default()
}

fn assert_verified(outcome: &Outcome, expected: &[&str], label: &str) {
    assert!(outcome.report.is_valid(), "{label}: {}", outcome.report);
    let mut got = elements_of(&outcome.report);
    got.sort();
    let mut want: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    want.sort();
    assert_eq!(got, want, "{label}");
}

fn failures(outcome: &Outcome) -> Vec<Failure> {
    outcome
        .report
        .all_failures()
        .map(|(_, f)| f.clone())
        .collect()
}

// ---- happy paths ----------------------------------------------------------------------------

#[tokio::test]
async fn every_signature_curve_with_device_signature() {
    for (i, curve) in Curve::SIGNATURE.into_iter().enumerate() {
        if cfg!(not(feature = "openssl"))
            && matches!(curve, Curve::BRAINPOOL_P320R1 | Curve::BRAINPOOL_P512R1)
        {
            continue;
        }
        let case = Case {
            issuer_curve: curve,
            device_curve: curve,
            ..Case::p256(100 + i as u64)
        };
        let out = present_memory(case, Setup::default()).await;
        assert_verified(&out[0], &ELEMENTS, &format!("{curve}"));
        let doc = out[0].response.documents.as_ref().unwrap().first();
        assert!(
            matches!(doc.device_signed.device_auth, DeviceAuth::Signature(_)),
            "{curve}"
        );
    }
}

#[tokio::test]
async fn every_key_agreement_curve_with_device_mac() {
    for (i, curve) in Curve::KEY_AGREEMENT.into_iter().enumerate() {
        if cfg!(not(feature = "openssl"))
            && matches!(curve, Curve::BRAINPOOL_P320R1 | Curve::BRAINPOOL_P512R1)
        {
            continue;
        }
        if matches!(curve, Curve::X25519 | Curve::X448) {
            continue; // no COSE device key on a Montgomery curve: covered by the next test
        }
        // deviceMac needs the device key on the session's curve (9.1.3.5).
        let case = Case {
            device_curve: curve,
            session_curve: curve,
            device_auth: DeviceAuthMethod::Mac,
            ..Case::p256(200 + i as u64)
        };
        let out = present_memory(case, Setup::default()).await;
        assert_verified(&out[0], &ELEMENTS, &format!("{curve}"));
        let doc = out[0].response.documents.as_ref().unwrap().first();
        assert!(
            matches!(doc.device_signed.device_auth, DeviceAuth::Mac(_)),
            "{curve}"
        );
    }
}

#[tokio::test]
async fn x25519_and_x448_sessions_with_device_signature() {
    for (seed, curve) in [(300, Curve::X25519), (301, Curve::X448)] {
        let case = Case {
            session_curve: curve,
            ..Case::p256(seed)
        };
        let out = present_memory(case, Setup::default()).await;
        assert_verified(&out[0], &ELEMENTS, &format!("{curve}"));
    }
}

#[tokio::test]
async fn over_tcp_loopback() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (h, r) = tokio::join!(TcpTransport::accept(&listener), TcpTransport::connect(addr));
    let out = present(Case::p256(400), Setup::default(), h.unwrap(), r.unwrap()).await;
    assert_verified(&out[0], &ELEMENTS, "tcp");
}

#[tokio::test]
async fn several_rounds_in_one_session() {
    let setup = Setup {
        requests: vec![
            DeviceRequestSpec::Mdl(vec!["age_over_18"]),
            DeviceRequestSpec::Mdl(vec!["family_name", "portrait"]),
        ],
        ..Setup::default()
    };
    let out = present_memory(Case::p256(500), setup).await;
    assert_verified(&out[0], &["age_over_18"], "round 1");
    assert_verified(&out[1], &["family_name", "portrait"], "round 2");
}

// ---- consent and doc types ------------------------------------------------------------------

#[tokio::test]
async fn consent_that_withholds_elements() {
    let consent = |r: &ReviewRequest| {
        let mut s = Selection::none();
        for (ns, el) in r.requested() {
            if el != "portrait" && el != "birth_date" {
                s.approve(ns, el);
            }
        }
        s
    };
    let setup = Setup {
        consent: Box::new(consent),
        ..Setup::default()
    };
    let out = present_memory(Case::p256(600), setup).await;
    assert_verified(
        &out[0],
        &[
            "family_name",
            "given_name",
            "age_over_18",
            "document_number",
        ],
        "withheld",
    );
    let doc = out[0].response.documents.as_ref().unwrap().first();
    let errors = doc.errors.as_ref().expect("withheld elements are reported");
    let mut withheld: Vec<&String> = errors[MDL_NAMESPACE].keys().collect();
    withheld.sort();
    assert_eq!(withheld, vec!["birth_date", "portrait"]);
}

#[tokio::test]
async fn a_doc_type_the_holder_lacks() {
    let setup = Setup {
        requests: vec![DeviceRequestSpec::Other("org.example.permit")],
        ..Setup::default()
    };
    let out = present_memory(Case::p256(700), setup).await;
    let response = &out[0].response;
    assert!(response.documents.is_none());
    let errors = response.document_errors.as_ref().expect("documentErrors");
    assert!(errors.first().contains_key("org.example.permit"));
    assert!(out[0].report.document(MDL_DOC_TYPE).is_none());
}

// ---- reader authentication ------------------------------------------------------------------

#[tokio::test]
async fn reader_authenticated_against_the_holders_roots() {
    let out = present_memory(Case::p256(800), Setup::default()).await;
    assert!(matches!(
        out[0].reader_identities[0],
        ReaderIdentity::Authenticated { .. }
    ));
}

#[tokio::test]
async fn reader_untrusted_without_the_root() {
    let out = present_memory(
        Case::p256(801),
        Setup {
            trust_reader_root: false,
            ..Setup::default()
        },
    )
    .await;
    assert!(matches!(
        out[0].reader_identities[0],
        ReaderIdentity::Untrusted {
            reason: Failure::UntrustedIssuer { .. }
        }
    ));
    assert_verified(&out[0], &ELEMENTS, "the holder may still approve");
}

#[tokio::test]
async fn tampered_reader_auth_is_invalid() {
    fn flip_reader_signature(request: &mut DeviceRequest) {
        let docs: Vec<_> = request.doc_requests.iter().cloned().collect();
        let mut doc = docs[0].clone();
        let mut sign1 = doc.reader_auth.take().unwrap().into_inner();
        sign1.signature[0] ^= 0x01;
        doc.reader_auth = Some(CoseSign1::new(sign1).unwrap());
        request.doc_requests = mdl_proximity::cbor::NonEmpty::one(doc);
    }
    let setup = Setup {
        tamper_request: Some(flip_reader_signature),
        ..Setup::default()
    };
    let out = present_memory(Case::p256(802), setup).await;
    assert!(
        matches!(out[0].reader_identities[0], ReaderIdentity::Invalid { .. }),
        "{:?}",
        out[0].reader_identities[0]
    );
}

// ---- tamper suite: the reader rejects with the right reason -----------------------------------

fn first_doc(r: &mut DeviceResponse) -> &mut mdl_proximity::msg::Document {
    let mut docs = r.documents.take().unwrap().into_vec();
    let doc = docs.remove(0);
    r.documents = mdl_proximity::cbor::NonEmpty::new(vec![doc]);
    &mut r.documents.as_mut().unwrap().as_mut_slice()[0]
}

async fn tampered(seed: u64, tamper: fn(&mut DeviceResponse)) -> Vec<Failure> {
    let out = present_memory(
        Case::p256(seed),
        Setup {
            tamper: Some(tamper),
            ..Setup::default()
        },
    )
    .await;
    assert!(!out[0].report.is_valid());
    failures(&out[0])
}

#[tokio::test]
async fn tampered_element_value_is_a_digest_mismatch() {
    let f = tampered(900, |r| {
        let doc = first_doc(r);
        let items = &mut doc.issuer_signed.name_spaces.as_mut().unwrap()[MDL_NAMESPACE];
        let mut item: IssuerSignedItem = items[0].value().clone();
        item.element_value = Value::Text("Mallory".into());
        items.as_mut_slice()[0] = Tag24::new(item);
    })
    .await;
    assert!(
        f.iter()
            .any(|f| matches!(f, Failure::DigestMismatch { .. })),
        "{f:?}"
    );
}

#[tokio::test]
async fn tampered_issuer_signature_is_rejected() {
    let f = tampered(901, |r| {
        let doc = first_doc(r);
        let mut sign1 = doc.issuer_signed.issuer_auth.clone().into_inner();
        sign1.signature[5] ^= 0x01;
        doc.issuer_signed.issuer_auth = CoseSign1::new(sign1).unwrap();
    })
    .await;
    assert!(f.contains(&Failure::IssuerSignatureInvalid), "{f:?}");
}

#[tokio::test]
async fn tampered_device_signature_is_rejected() {
    let f = tampered(902, |r| {
        let doc = first_doc(r);
        let DeviceAuth::Signature(s) = &doc.device_signed.device_auth else {
            panic!("signature")
        };
        let mut sign1 = s.clone().into_inner();
        sign1.signature[0] ^= 0x01;
        doc.device_signed.device_auth = DeviceAuth::Signature(CoseSign1::new(sign1).unwrap());
    })
    .await;
    assert!(f.contains(&Failure::DeviceSignatureInvalid), "{f:?}");
}

#[tokio::test]
async fn wrong_doc_type_is_rejected() {
    let f = tampered(903, |r| {
        first_doc(r).doc_type = "org.iso.18013.5.1.mDL.fake".into()
    })
    .await;
    assert!(
        f.iter()
            .any(|f| matches!(f, Failure::DocTypeMismatch { .. })),
        "{f:?}"
    );
}

#[tokio::test]
async fn element_from_another_credential_is_rejected() {
    // An IssuerSignedItem whose digest ID exists but whose salt differs (e.g. copied from another
    // mDL of the same issuer): its digest cannot match.
    let f = tampered(904, |r| {
        let doc = first_doc(r);
        let items = &mut doc.issuer_signed.name_spaces.as_mut().unwrap()[MDL_NAMESPACE];
        let mut item: IssuerSignedItem = items[0].value().clone();
        item.random.0[0] ^= 0xff;
        items.as_mut_slice()[0] = Tag24::new(item);
    })
    .await;
    assert!(
        f.iter()
            .any(|f| matches!(f, Failure::DigestMismatch { .. })),
        "{f:?}"
    );
}

#[test]
fn responses_survive_the_wire_unchanged() {
    // The Tag24 items keep their bytes through encode/decode, which the digests rely on.
    let item = Tag24::new(IssuerSignedItem {
        digest_id: 1,
        random: cbor::Bstr(vec![1; 16]),
        element_identifier: "x".into(),
        element_value: Value::Bool(true),
    });
    let back: Tag24<IssuerSignedItem> = cbor::from_slice(&cbor::to_vec(&item)).unwrap();
    assert_eq!(back.tagged_bytes(), item.tagged_bytes());
}

#[tokio::test]
async fn a_device_key_other_than_the_msos_is_rejected() {
    for (seed, auth, expected) in [
        (
            905,
            DeviceAuthMethod::Signature,
            Failure::DeviceSignatureInvalid,
        ),
        (906, DeviceAuthMethod::Mac, Failure::DeviceMacInvalid),
    ] {
        let case = Case {
            device_auth: auth,
            ..Case::p256(seed)
        };
        let out = present_memory(
            case,
            Setup {
                wrong_device_key: true,
                ..Setup::default()
            },
        )
        .await;
        let f = failures(&out[0]);
        assert!(f.contains(&expected), "{f:?}");
        assert!(elements_of(&out[0].report).is_empty() || !out[0].report.is_valid());
    }
}
