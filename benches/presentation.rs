//! CPU time of one whole proximity presentation, in process and sans IO: the two sessions pass
//! their messages to each other directly, so no transport, clock or scheduler is measured.
//!
//! One iteration of `full_presentation/*` is everything both sides compute for a QR-engaged
//! presentation of 6 mDL elements:
//!
//! 1. holder: EDeviceKey, DeviceEngagement, `mdoc:` URI, HolderSession;
//! 2. reader: decodes the URI, EReaderKey on the same curve, ReaderSession (ECDH, session keys),
//!    DeviceRequest (readerAuth in the `reader_auth` variant), SessionEstablishment;
//! 3. holder: ECDH, session keys, decrypts the request, `Presenter::respond` (consent, selective
//!    disclosure, deviceSignature or deviceMac), encrypts the response;
//! 4. reader: decrypts it and runs `verify::response` (x5chain to the IACA, MSO signature,
//!    digests, validity, device authentication).
//!
//! Credentials and PKIs are issued once, outside the timed loop; each fixture's presentation is
//! run and checked (report valid, the 6 elements verified) before it is timed. Baselines (P-256
//! sign + verify, each alone, P-256 keygen + ECDH, each alone, SHA-256 of 1 KiB) run in the same
//! process, so results can be read as ratios on a noisy machine (see BENCHMARKS.md).
//!
//! Run: `cargo bench --bench presentation` (a few minutes on 2 cores).

use std::error::Error;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use sha2::{Digest, Sha256};

use mdl_proximity::cbor::Tag24;
use mdl_proximity::crypto::{
    verify_signature, Curve, EphemeralPrivateKey, SeededRng, Signer, SoftwareSigner,
};
use mdl_proximity::holder::{Presenter, ReviewRequest, Selection};
use mdl_proximity::issuer::pki::ReaderPki;
use mdl_proximity::issuer::{
    sample_mdl_credential, DeviceAuthMethod, SampleMdl, MDL_DOC_TYPE, MDL_NAMESPACE,
};
use mdl_proximity::msg::engagement::{from_qr_uri, qr_uri};
use mdl_proximity::msg::{DeviceEngagement, DeviceRequest, DeviceResponse, Handover};
use mdl_proximity::reader::{ReaderKey, RequestBuilder};
use mdl_proximity::session::{
    HolderConfig, HolderEvent, HolderSession, Output, ReaderConfig, ReaderEvent, ReaderSession,
};
use mdl_proximity::verify::{self, TrustAnchors, VerificationReport};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Issuance time of the test PKIs and credentials (2026-01-01).
const ISSUED: i64 = 1_767_225_600;
/// Inspection time: one hour later, inside every validity period.
const AT: i64 = ISSUED + 3600;

/// The 6 requested mDL elements (none with intent to retain).
const ELEMENTS: [(&str, bool); 6] = [
    ("family_name", false),
    ("given_name", false),
    ("birth_date", false),
    ("portrait", false),
    ("age_over_18", false),
    ("document_number", false),
];

/// Releases everything requested; with `require_reader_auth`, also checks that readerAuth
/// verified to a trusted reader root (cheap: the verification itself is the Presenter's).
fn consent(require_reader_auth: bool) -> impl FnMut(&ReviewRequest) -> Selection {
    move |review: &ReviewRequest| {
        assert!(
            !require_reader_auth || review.reader.is_authenticated(),
            "reader not authenticated: {:?}",
            review.reader
        );
        Selection::all_requested(review)
    }
}

/// The reader's side of readerAuth: its key and certificate chain.
struct ReaderAuth {
    signer: SoftwareSigner,
    chain: Vec<Vec<u8>>,
}

/// The holder's consent hook (one type for both kinds of [`consent`]).
type Consent = Box<dyn FnMut(&ReviewRequest) -> Selection>;

/// One variant of `full_presentation`.
#[derive(Clone, Copy)]
struct Variant {
    name: &'static str,
    /// Signs the IACA, the Document Signer certificate and the MSO.
    issuer_curve: Curve,
    /// SDeviceKey's curve.
    device_curve: Curve,
    /// EDeviceKey's and EReaderKey's curve.
    session_curve: Curve,
    device_auth: DeviceAuthMethod,
    /// A signed request (P-256 reader key), verified by the holder against its reader root.
    reader_auth: bool,
}

impl Variant {
    /// Everything on `curve`, deviceSignature, no readerAuth.
    const fn on(name: &'static str, curve: Curve) -> Self {
        Self {
            name,
            issuer_curve: curve,
            device_curve: curve,
            session_curve: curve,
            device_auth: DeviceAuthMethod::Signature,
            reader_auth: false,
        }
    }
}

const VARIANTS: [Variant; 6] = [
    Variant::on("p256", Curve::P256),
    Variant {
        device_auth: DeviceAuthMethod::Mac,
        ..Variant::on("p256_mac", Curve::P256)
    },
    Variant {
        reader_auth: true,
        ..Variant::on("p256_reader_auth", Curve::P256)
    },
    Variant::on("p384", Curve::P384),
    // Ed25519 signs (IACA, DS, device key); the session agrees on X25519.
    Variant {
        session_curve: Curve::X25519,
        ..Variant::on("ed25519_x25519", Curve::ED25519)
    },
    Variant::on("brainpoolp256r1", Curve::BRAINPOOL_P256R1),
];

/// Everything issued once per variant, outside the timed loop.
struct Fixture {
    /// Curve of EDeviceKey / EReaderKey.
    session_curve: Curve,
    presenter: Presenter<Consent>,
    /// The reader's IACA trust anchors.
    iacas: TrustAnchors,
    reader_auth: Option<ReaderAuth>,
    rng: SeededRng,
}

impl Fixture {
    /// Issues the variant's PKIs and credential.
    fn new(variant: &Variant) -> Result<Self> {
        let mut rng = SeededRng::new(0x6d646c);
        let spec = SampleMdl {
            issuer_curve: variant.issuer_curve,
            device_curve: variant.device_curve,
            device_auth: variant.device_auth,
            country: "UT",
            now: ISSUED,
        };
        let (credential, pki) = sample_mdl_credential(&spec, &mut rng)?;
        let iacas = TrustAnchors::from_der(pki.iaca.der())?;
        let (reader_roots, reader_auth) = if variant.reader_auth {
            let reader = ReaderPki::generate(Curve::P256, ISSUED, &mut rng)?;
            let roots = TrustAnchors::from_der(reader.root.der())?;
            let auth = ReaderAuth {
                signer: reader.reader_key.signer()?,
                chain: vec![reader.reader.der().to_vec()],
            };
            (roots, Some(auth))
        } else {
            (TrustAnchors::new(), None)
        };
        let hook: Consent = Box::new(consent(reader_auth.is_some()));
        Ok(Self {
            session_curve: variant.session_curve,
            presenter: Presenter::new(vec![credential], hook, reader_roots),
            iacas,
            reader_auth,
            rng,
        })
    }

    /// One whole presentation; returns the reader's verification report.
    fn present(&mut self, now: Instant) -> Result<VerificationReport> {
        let done = self.exchange(now)?;
        Ok(verify::response(
            &done.response,
            done.reader.transcript(),
            &self.iacas,
            Some(done.reader.e_reader_key()),
            AT,
        ))
    }

    /// Everything up to the reader holding the decrypted DeviceResponse (not yet verified).
    fn exchange(&mut self, now: Instant) -> Result<Exchanged> {
        // Holder: engagement, shown as a QR code.
        let e_device_key = EphemeralPrivateKey::generate(self.session_curve, &mut self.rng)?;
        let engagement = Tag24::new(DeviceEngagement::new(e_device_key.public_key()?, vec![]));
        let uri = qr_uri(&engagement);
        let mut holder = HolderSession::new(
            HolderConfig::default(),
            e_device_key,
            engagement,
            Handover::Qr,
            now,
        )?;

        // Reader: scans it, establishes the session and sends the request.
        let engagement = from_qr_uri(&uri)?;
        let e_reader_key = ReaderSession::generate_key(&engagement, &mut self.rng)?;
        let mut reader = ReaderSession::new(
            ReaderConfig::default(),
            e_reader_key,
            engagement,
            Handover::Qr,
            now,
        )?;
        let request = self.request(reader.transcript())?;
        reader.request(now, &request)?;
        let establishment = transmitted(&mut reader)?;

        // Holder: decrypts, asks consent, answers.
        holder.handle_message(now, &establishment);
        let received = loop {
            match holder.poll_output() {
                Output::Event(HolderEvent::Request(r)) => break r,
                Output::Event(HolderEvent::Established) => {}
                other => return Err(format!("holder: unexpected {other:?}").into()),
            }
        };
        let transcript = holder
            .transcript()
            .ok_or("holder session not established")?;
        let response = self.presenter.respond(&received.request, transcript, AT)?;
        holder.respond(now, &response)?;
        let session_data = transmitted(&mut holder)?;

        // Reader: decrypts.
        reader.handle_message(now, &session_data);
        let received = match reader.poll_output() {
            Output::Event(ReaderEvent::Response(r)) => r,
            other => return Err(format!("reader: unexpected {other:?}").into()),
        };
        Ok(Exchanged {
            reader,
            response: received.response?,
            sizes: [uri.len(), establishment.len(), session_data.len()],
        })
    }

    fn request(
        &self,
        transcript: &mdl_proximity::msg::SessionTranscriptBytes,
    ) -> Result<DeviceRequest> {
        let builder = RequestBuilder::new().mdl(&ELEMENTS);
        Ok(match &self.reader_auth {
            Some(auth) => builder.build_signed(
                ReaderKey {
                    signer: &auth.signer,
                    certificate_chain: &auth.chain,
                },
                transcript,
            )?,
            None => builder.build().ok_or("empty request")?,
        })
    }
}

/// A presentation up to the reader holding the decrypted response.
struct Exchanged {
    reader: ReaderSession,
    response: DeviceResponse,
    /// Bytes of the `mdoc:` URI, the SessionEstablishment and the response's SessionData.
    sizes: [usize; 3],
}

/// The one message a session queued (sessions queue a Transmit, then report a Timeout).
fn transmitted<S: Polled>(session: &mut S) -> Result<Vec<u8>> {
    match session.poll() {
        Some(bytes) => Ok(bytes),
        None => Err("nothing transmitted".into()),
    }
}

trait Polled {
    fn poll(&mut self) -> Option<Vec<u8>>;
}

impl Polled for HolderSession {
    fn poll(&mut self) -> Option<Vec<u8>> {
        match self.poll_output() {
            Output::Transmit(bytes) => Some(bytes),
            _ => None,
        }
    }
}

impl Polled for ReaderSession {
    fn poll(&mut self) -> Option<Vec<u8>> {
        match self.poll_output() {
            Output::Transmit(bytes) => Some(bytes),
            _ => None,
        }
    }
}

/// Fails unless the report is valid and vouches for exactly the 6 requested elements.
fn check(report: &VerificationReport, label: &str) -> Result<()> {
    if !report.is_valid() {
        return Err(format!("{label}: verification failed:\n{report}").into());
    }
    let doc = report
        .document(MDL_DOC_TYPE)
        .ok_or_else(|| format!("{label}: no mDL in the response"))?;
    let elements = doc
        .issuer_elements()
        .get(MDL_NAMESPACE)
        .ok_or_else(|| format!("{label}: no {MDL_NAMESPACE} elements"))?;
    let mut got: Vec<&str> = elements.keys().map(String::as_str).collect();
    let mut want: Vec<&str> = ELEMENTS.iter().map(|(e, _)| *e).collect();
    got.sort_unstable();
    want.sort_unstable();
    if got != want {
        return Err(format!("{label}: verified {got:?}, requested {want:?}").into());
    }
    Ok(())
}

fn full_presentation(c: &mut Criterion) {
    let now = Instant::now();
    let mut group = c.benchmark_group("full_presentation");
    for variant in &VARIANTS {
        let name = variant.name;
        let mut fx = Fixture::new(variant).unwrap_or_else(|e| panic!("{name}: fixture: {e}"));
        let report = fx
            .present(now)
            .unwrap_or_else(|e| panic!("{name}: presentation: {e}"));
        check(&report, name).unwrap_or_else(|e| panic!("{e}"));
        let [uri, establishment, response] = fx
            .exchange(now)
            .unwrap_or_else(|e| panic!("{name}: exchange: {e}"))
            .sizes;
        eprintln!(
            "{name}: mdoc: URI {uri} B, SessionEstablishment {establishment} B, \
             response SessionData {response} B"
        );
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    fx.present(now)
                        .expect("the presentation succeeded before timing"),
                )
            });
        });
    }
    group.finish();
}

/// `Presenter::respond` and `verify::response` alone, on P-256 with deviceSignature.
fn parts(c: &mut Criterion) {
    let now = Instant::now();
    let mut fx = Fixture::new(&VARIANTS[0]).expect("P-256 fixture");
    let Exchanged {
        reader, response, ..
    } = fx.exchange(now).expect("P-256 exchange");
    let transcript = reader.transcript();
    let verify = || {
        verify::response(
            &response,
            transcript,
            &fx.iacas,
            Some(reader.e_reader_key()),
            AT,
        )
    };
    check(&verify(), "reader_verify").unwrap_or_else(|e| panic!("{e}"));
    c.benchmark_group("reader_verify")
        .bench_function("p256", |b| b.iter(|| black_box(verify())));

    let request = fx.request(transcript).expect("request");
    let mut presenter = fx.presenter;
    c.benchmark_group("holder_respond")
        .bench_function("p256", |b| {
            b.iter(|| {
                black_box(
                    presenter
                        .respond(&request, transcript, AT)
                        .expect("the presenter answered this request above"),
                )
            });
        });
}

fn baselines(c: &mut Criterion) {
    let mut group = c.benchmark_group("baseline");
    let mut rng = SeededRng::new(7);
    // A message about as long as a DeviceAuthenticationBytes (hashing is a small part).
    let msg = [0x5a_u8; 256];

    let signer = SoftwareSigner::generate(Curve::P256, &mut rng).expect("P-256 key");
    let public = signer.public_key();
    let alg = signer.algorithm();
    group.bench_function("p256_sign_verify", |b| {
        b.iter(|| {
            let sig = signer.sign(black_box(&msg)).expect("P-256 signs");
            verify_signature(&public, alg, &msg, &sig).expect("own signature verifies");
        });
    });
    group.bench_function("p256_sign", |b| {
        b.iter(|| signer.sign(black_box(&msg)).expect("P-256 signs"));
    });
    let sig = signer.sign(&msg).expect("P-256 signs");
    group.bench_function("p256_verify", |b| {
        b.iter(|| verify_signature(&public, alg, black_box(&msg), &sig).expect("verifies"));
    });

    let peer = EphemeralPrivateKey::generate(Curve::P256, &mut rng)
        .and_then(|k| k.public_key())
        .expect("P-256 peer key");
    group.bench_function("p256_keygen_ecdh", |b| {
        b.iter(|| {
            let key = EphemeralPrivateKey::generate(Curve::P256, &mut rng).expect("P-256 key");
            let public = key.public_key().expect("public key");
            let z = key.agree(black_box(&peer)).expect("ECDH");
            black_box((public, z))
        });
    });

    // The two halves of the above: a fixed-base and a variable-base scalar multiplication.
    group.bench_function("p256_keygen", |b| {
        b.iter(|| {
            EphemeralPrivateKey::generate(Curve::P256, &mut rng)
                .and_then(|key| key.public_key())
                .expect("P-256 key")
        });
    });
    let key = EphemeralPrivateKey::generate(Curve::P256, &mut rng).expect("P-256 key");
    group.bench_function("p256_ecdh", |b| {
        b.iter(|| key.agree(black_box(&peer)).expect("ECDH"));
    });

    let kib = [0xa5_u8; 1024];
    group.bench_function("sha256_1kib", |b| {
        b.iter(|| Sha256::digest(black_box(&kib)));
    });
    group.finish();
}

criterion_group! {
    name = benches;
    // Short runs: the whole bench finishes in a few minutes on 2 shared cores.
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = baselines, full_presentation, parts
}
criterion_main!(benches);
