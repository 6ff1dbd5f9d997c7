//! Whole presentations (engagement, session establishment, request, consent, response with
//! deviceSignature or deviceMac, verification) on every crypto provider compiled in: the matrix
//! of curves with holder and reader on the same provider, and cross-provider sessions with the
//! holder on one provider and the reader on another. Sans IO: the sessions hand their messages
//! to each other directly.
#![allow(clippy::disallowed_methods, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use mdl_proximity::cbor::Tag24;
use mdl_proximity::crypto::{
    CryptoProvider, Curve, EphemeralPrivateKey, SeededRng, SoftwareSigner,
};
use mdl_proximity::holder::{Presenter, ReviewRequest, Selection};
use mdl_proximity::issuer::pki::ReaderPki;
use mdl_proximity::issuer::{
    sample_mdl_credential, DeviceAuthMethod, SampleMdl, MDL_DOC_TYPE, MDL_NAMESPACE,
};
use mdl_proximity::msg::response::DeviceAuth;
use mdl_proximity::msg::{DeviceEngagement, DeviceResponse, Handover};
use mdl_proximity::reader::{ReaderKey, RequestBuilder};
use mdl_proximity::session::{
    HolderConfig, HolderEvent, HolderSession, Input, Output, ReaderConfig, ReaderEvent,
    ReaderSession, Session,
};
use mdl_proximity::verify::{self, TrustAnchors, VerificationReport, VerifyOptions};

const ISSUED: i64 = 1_767_225_600;
const AT: i64 = ISSUED + 3600;
const ELEMENTS: [(&str, bool); 3] = [
    ("family_name", false),
    ("birth_date", false),
    ("age_over_18", false),
];

#[derive(Debug, Clone, Copy)]
struct Case {
    issuer_curve: Curve,
    device_curve: Curve,
    session_curve: Curve,
    device_auth: DeviceAuthMethod,
    reader_auth: bool,
}

impl Case {
    const fn signature(curve: Curve, session_curve: Curve) -> Self {
        Self {
            issuer_curve: curve,
            device_curve: curve,
            session_curve,
            device_auth: DeviceAuthMethod::Signature,
            reader_auth: false,
        }
    }

    const fn mac(curve: Curve) -> Self {
        Self {
            issuer_curve: Curve::P256,
            device_curve: curve,
            session_curve: curve,
            device_auth: DeviceAuthMethod::Mac,
            reader_auth: false,
        }
    }
}

fn openssl_only(curve: Curve) -> bool {
    matches!(curve, Curve::BRAINPOOL_P320R1 | Curve::BRAINPOOL_P512R1)
}

/// Every signature curve (deviceSignature, P-256 session), every EC key-agreement curve
/// (deviceMac), X25519 and X448 sessions, and readerAuth.
fn matrix() -> Vec<Case> {
    let mut cases = Vec::new();
    for curve in Curve::SIGNATURE {
        cases.push(Case::signature(curve, Curve::P256));
    }
    for curve in Curve::KEY_AGREEMENT {
        if curve.key_type() == Some(mdl_proximity::crypto::KeyType::Ec2) {
            cases.push(Case::mac(curve));
        }
    }
    cases.push(Case::signature(Curve::ED25519, Curve::X25519));
    cases.push(Case::signature(Curve::ED448, Curve::X448));
    cases.push(Case {
        reader_auth: true,
        ..Case::signature(Curve::P256, Curve::P256)
    });
    cases
        .into_iter()
        .filter(|c| {
            cfg!(feature = "openssl")
                || ![c.issuer_curve, c.device_curve, c.session_curve]
                    .into_iter()
                    .any(openssl_only)
        })
        .collect()
}

/// One presentation: the holder (session, EDeviceKey, device key) on `holder`, the reader
/// (session, EReaderKey, readerAuth key, verification) on `reader`.
fn present(
    case: Case,
    holder: CryptoProvider,
    reader: CryptoProvider,
    seed: u64,
) -> (DeviceResponse, VerificationReport) {
    let label = format!("{case:?}, holder {holder}, reader {reader}");
    let mut rng = SeededRng::new(seed);
    let spec = SampleMdl {
        issuer_curve: case.issuer_curve,
        device_curve: case.device_curve,
        device_auth: case.device_auth,
        country: "UT",
        now: ISSUED,
    };
    let (mut credential, pki) = sample_mdl_credential(&spec, &mut rng).unwrap();
    credential.device_key.set_provider(holder);
    let iacas = TrustAnchors::from_der(pki.iaca.der()).unwrap();
    let reader_pki = ReaderPki::generate(Curve::P256, ISSUED, &mut rng).unwrap();
    let reader_signer =
        SoftwareSigner::from_bytes_with(reader, Curve::P256, reader_pki.reader_key.expose_secret())
            .unwrap();
    let reader_chain = vec![reader_pki.reader.der().to_vec()];
    let roots = TrustAnchors::from_der(reader_pki.root.der()).unwrap();
    let expect_reader_auth = case.reader_auth;
    let consent = move |review: &ReviewRequest| {
        assert_eq!(review.reader.is_authenticated(), expect_reader_auth);
        Selection::all_requested(review)
    };
    let mut presenter = Presenter::new(vec![credential.to_mdoc().unwrap()], consent, roots);
    let now = Instant::now();

    // Holder: engagement.
    let e_device_key =
        EphemeralPrivateKey::generate_with(holder, case.session_curve, &mut rng).unwrap();
    let engagement = Tag24::new(DeviceEngagement::new(
        e_device_key.public_key().unwrap(),
        vec![],
    ));
    let holder_config = HolderConfig {
        provider: holder,
        ..HolderConfig::default()
    };
    let mut holder_session = HolderSession::new(
        holder_config,
        e_device_key,
        engagement.clone(),
        Handover::Qr,
        now,
    )
    .unwrap();

    // Reader: key, session, request.
    let e_reader_key = ReaderSession::generate_key_with(reader, &engagement, &mut rng).unwrap();
    let reader_config = ReaderConfig {
        provider: reader,
        ..ReaderConfig::default()
    };
    let mut reader_session =
        ReaderSession::new(reader_config, e_reader_key, engagement, Handover::Qr, now).unwrap();
    let builder = RequestBuilder::new().mdl(&ELEMENTS);
    let request = if case.reader_auth {
        builder
            .build_signed(
                ReaderKey {
                    signer: &reader_signer,
                    certificate_chain: &reader_chain,
                },
                reader_session.transcript(),
            )
            .unwrap()
    } else {
        builder.build().unwrap()
    };
    reader_session.request(now, &request).unwrap();
    let Output::Transmit(establishment) = reader_session.poll_output() else {
        panic!("{label}: no SessionEstablishment")
    };

    // Holder: decrypts, answers.
    holder_session.handle_input(Input::Message(now, &establishment));
    let received = loop {
        match holder_session.poll_output() {
            Output::Event(HolderEvent::Request(r)) => break r,
            Output::Event(HolderEvent::Established) => {}
            other => panic!("{label}: holder: {other:?}"),
        }
    };
    let transcript = holder_session.transcript().unwrap();
    let response = presenter
        .respond(&received.request, transcript, AT)
        .unwrap();
    holder_session.respond(now, &response).unwrap();
    let Output::Transmit(session_data) = holder_session.poll_output() else {
        panic!("{label}: no SessionData")
    };

    // Reader: decrypts, verifies.
    reader_session.handle_input(Input::Message(now, &session_data));
    let Output::Event(ReaderEvent::Response(received)) = reader_session.poll_output() else {
        panic!("{label}: no response")
    };
    let response = received.response.unwrap();
    let options = VerifyOptions::default().with_provider(reader);
    let report = verify::response_with(
        &response,
        reader_session.transcript(),
        &iacas,
        Some(reader_session.e_reader_key()),
        AT,
        &options,
    );
    (response, report)
}

fn assert_verified(case: Case, holder: CryptoProvider, reader: CryptoProvider, seed: u64) {
    let (response, report) = present(case, holder, reader, seed);
    let label = format!("{case:?}, holder {holder}, reader {reader}");
    assert!(report.is_valid(), "{label}:\n{report}");
    let doc = report.document(MDL_DOC_TYPE).unwrap();
    let mut got: Vec<_> = doc.issuer_elements()[MDL_NAMESPACE]
        .keys()
        .cloned()
        .collect();
    got.sort();
    assert_eq!(got, ["age_over_18", "birth_date", "family_name"], "{label}");
    let device_auth = &response
        .documents
        .as_ref()
        .unwrap()
        .first()
        .device_signed
        .device_auth;
    match case.device_auth {
        DeviceAuthMethod::Signature => assert!(matches!(device_auth, DeviceAuth::Signature(_))),
        DeviceAuthMethod::Mac => assert!(matches!(device_auth, DeviceAuth::Mac(_))),
    }
}

#[test]
fn presentation_matrix_on_every_provider() {
    for provider in CryptoProvider::all() {
        for (i, case) in matrix().into_iter().enumerate() {
            assert_verified(case, *provider, *provider, 1000 + i as u64);
        }
    }
}

#[test]
fn cross_provider_sessions() {
    let cases = [
        Case::signature(Curve::P256, Curve::P256),
        Case::signature(Curve::P384, Curve::P384),
        Case::signature(Curve::P521, Curve::P521),
        Case::signature(Curve::ED25519, Curve::X25519),
        Case::signature(Curve::BRAINPOOL_P256R1, Curve::BRAINPOOL_P256R1),
        Case::mac(Curve::P256),
        Case::mac(Curve::P384),
        Case {
            reader_auth: true,
            ..Case::signature(Curve::P256, Curve::P256)
        },
    ];
    for holder in CryptoProvider::all() {
        for reader in CryptoProvider::all() {
            for (i, case) in cases.into_iter().enumerate() {
                assert_verified(case, *holder, *reader, 2000 + i as u64);
            }
        }
    }
}

/// The provider a key is built on is the one that computes with it: the RustCrypto provider
/// signs ECDSA with RFC 6979 nonces (the same signature twice), AWS-LC with random nonces.
#[test]
fn a_device_key_signs_on_its_provider() {
    let d = [0x42u8; 32];
    let msg = b"DeviceAuthenticationBytes";
    let rc = SoftwareSigner::from_bytes_with(CryptoProvider::RUST_CRYPTO, Curve::P256, &d).unwrap();
    use mdl_proximity::crypto::Signer as _;
    assert_eq!(rc.sign(msg).unwrap(), rc.sign(msg).unwrap());
    #[cfg(feature = "aws-lc")]
    {
        let aws = SoftwareSigner::from_bytes_with(CryptoProvider::AWS_LC, Curve::P256, &d).unwrap();
        assert_eq!(aws.public_key(), rc.public_key());
        let (a, b) = (aws.sign(msg).unwrap(), aws.sign(msg).unwrap());
        assert_ne!(a, b, "AWS-LC draws a fresh nonce per signature");
        for provider in CryptoProvider::all() {
            for sig in [&a, &b] {
                provider
                    .verify_signature(&rc.public_key(), rc.algorithm(), msg, sig)
                    .unwrap();
            }
        }
    }
}

#[test]
fn the_default_is_the_fastest_provider_compiled_in() {
    assert_eq!(CryptoProvider::default(), CryptoProvider::fastest());
    assert_eq!(CryptoProvider::all()[0], CryptoProvider::fastest());
    let expected = if cfg!(feature = "aws-lc") {
        "aws-lc-rs"
    } else {
        "RustCrypto"
    };
    assert_eq!(CryptoProvider::fastest().name(), expected);
    assert_eq!(HolderConfig::default().provider, CryptoProvider::fastest());
    assert_eq!(ReaderConfig::default().provider, CryptoProvider::fastest());
    assert_eq!(
        CryptoProvider::RUST_CRYPTO.backend_for(Curve::P256),
        Some("RustCrypto")
    );
    #[cfg(feature = "aws-lc")]
    {
        assert_eq!(
            CryptoProvider::AWS_LC.backend_for(Curve::P256),
            Some("aws-lc-rs")
        );
        // Fallback per curve.
        assert_eq!(
            CryptoProvider::AWS_LC.backend_for(Curve::BRAINPOOL_P256R1),
            Some("RustCrypto")
        );
        assert_eq!(
            CryptoProvider::AWS_LC.backend_for(Curve::X448),
            Some("RustCrypto")
        );
    }
    assert_eq!(CryptoProvider::RUST_CRYPTO.backend_for(Curve(99)), None);
}
