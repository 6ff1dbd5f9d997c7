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
//! After criterion, a paired pass times every workload again, interleaved round by round with
//! the P-256 baselines, and prints the median ratios as a Markdown table: on a shared machine
//! whose speed changes from one second to the next, ratios taken within the same few
//! milliseconds are far steadier than ratios of criterion medians taken a minute apart.
//!
//! Every workload runs once per crypto provider compiled in (`cargo bench --features aws-lc` adds
//! aws-lc-rs): groups without a suffix are the RustCrypto provider, `*_aws_lc` the aws-lc-rs
//! one. The units of every ratio, P-256 sign+verify and keygen+ECDH, are always RustCrypto's.
//! `reader_verify/*_warm` verifies with a [`PathCache`] that already holds the Document
//! Signer's path (a reader terminal seeing a known issuer again).
//!
//! Run: `cargo bench --bench presentation` (about 1.5 minutes on 2 cores), then
//! `python3 benches/medians.py` to tabulate criterion's medians. `cargo test --bench
//! presentation` runs every workload once (the checks included) as a smoke test.
#![allow(clippy::disallowed_methods)] // an application stand-in: it may read the clock and files

use std::error::Error;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use sha2::{Digest, Sha256};

use mdl_proximity::cbor::Tag24;
use mdl_proximity::crypto::{
    CryptoProvider, Curve, EphemeralPrivateKey, SeededRng, Signer, SoftwareSigner,
};
use mdl_proximity::engagement::qr::{from_qr_uri, qr_uri};
use mdl_proximity::holder::{Presenter, ReviewRequest, Selection};
use mdl_proximity::issuer::pki::ReaderPki;
use mdl_proximity::issuer::{
    sample_mdl_credential, DeviceAuthMethod, SampleMdl, MDL_DOC_TYPE, MDL_NAMESPACE,
};
use mdl_proximity::msg::{DeviceEngagement, DeviceRequest, DeviceResponse, Handover};
use mdl_proximity::reader::{ReaderKey, RequestBuilder};
use mdl_proximity::session::{
    HolderConfig, HolderEvent, HolderSession, Input, Output, ReaderConfig, ReaderEvent,
    ReaderSession, Session,
};
use mdl_proximity::verify::{self, PathCache, TrustAnchors, VerificationReport, VerifyOptions};

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

/// The criterion group of `base` for `provider`: `base` for RustCrypto, `base_aws_lc` for
/// aws-lc-rs (leaked: a few short strings per run).
fn group(base: &str, provider: CryptoProvider) -> &'static str {
    if provider == CryptoProvider::RUST_CRYPTO {
        Box::leak(base.to_owned().into_boxed_str())
    } else {
        Box::leak(
            format!(
                "{base}_{}",
                provider.name().replace('-', "_").replace("_rs", "")
            )
            .into_boxed_str(),
        )
    }
}

/// Everything issued once per variant, outside the timed loop.
struct Fixture {
    /// Computes everything on both sides.
    provider: CryptoProvider,
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
    fn new(variant: &Variant, provider: CryptoProvider) -> Result<Self> {
        let mut rng = SeededRng::new(0x6d646c);
        let spec = SampleMdl {
            issuer_curve: variant.issuer_curve,
            device_curve: variant.device_curve,
            device_auth: variant.device_auth,
            country: "UT",
            now: ISSUED,
        };
        let (mut credential, pki) = sample_mdl_credential(&spec, &mut rng)?;
        credential.device_key.set_provider(provider);
        let iacas = TrustAnchors::from_der(pki.iaca.der())?;
        let (reader_roots, reader_auth) = if variant.reader_auth {
            let reader = ReaderPki::generate(Curve::P256, ISSUED, &mut rng)?;
            let roots = TrustAnchors::from_der(reader.root.der())?;
            let auth = ReaderAuth {
                signer: SoftwareSigner::from_bytes_with(
                    provider,
                    Curve::P256,
                    reader.reader_key.expose_secret(),
                )?,
                chain: vec![reader.reader.der().to_vec()],
            };
            (roots, Some(auth))
        } else {
            (TrustAnchors::new(), None)
        };
        let hook: Consent = Box::new(consent(reader_auth.is_some()));
        Ok(Self {
            provider,
            session_curve: variant.session_curve,
            presenter: Presenter::new(vec![credential.to_mdoc()?], hook, reader_roots),
            iacas,
            reader_auth,
            rng,
        })
    }

    /// One whole presentation; returns the reader's verification report.
    fn present(&mut self, now: Instant) -> Result<VerificationReport> {
        let done = self.exchange(now)?;
        Ok(verify::response_with(
            &done.response,
            done.reader.transcript(),
            &self.iacas,
            Some(done.reader.e_reader_key()),
            AT,
            &VerifyOptions::default().with_provider(self.provider),
        ))
    }

    /// Everything up to the reader holding the decrypted DeviceResponse (not yet verified).
    fn exchange(&mut self, now: Instant) -> Result<Exchanged> {
        // Holder: engagement, shown as a QR code.
        let e_device_key =
            EphemeralPrivateKey::generate_with(self.provider, self.session_curve, &mut self.rng)?;
        let engagement = Tag24::new(DeviceEngagement::new(e_device_key.public_key()?, vec![]));
        let uri = qr_uri(&engagement);
        let mut holder = HolderSession::new(
            HolderConfig {
                provider: self.provider,
                ..HolderConfig::default()
            },
            e_device_key,
            engagement,
            Handover::Qr,
            now,
        )?;

        // Reader: scans it, establishes the session and sends the request.
        let engagement = from_qr_uri(&uri)?;
        let e_reader_key =
            ReaderSession::generate_key_with(self.provider, &engagement, &mut self.rng)?;
        let mut reader = ReaderSession::new(
            ReaderConfig {
                provider: self.provider,
                ..ReaderConfig::default()
            },
            e_reader_key,
            engagement,
            Handover::Qr,
            now,
        )?;
        let request = self.request(reader.transcript())?;
        reader.request(now, &request)?;
        let establishment = transmitted(&mut reader)?;

        // Holder: decrypts, asks consent, answers.
        holder.handle_input(Input::Message(now, &establishment));
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
        reader.handle_input(Input::Message(now, &session_data));
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

/// A named piece of work: timed by criterion, then again by the paired-ratio pass.
struct Workload {
    group: &'static str,
    name: &'static str,
    run: Box<dyn FnMut()>,
}

impl Workload {
    fn new(group: &'static str, name: &'static str, run: impl FnMut() + 'static) -> Self {
        Self {
            group,
            name,
            run: Box::new(run),
        }
    }
}

/// A message about as long as a DeviceAuthenticationBytes (hashing is a small part).
const MSG: [u8; 256] = [0x5a; 256];

/// One P-256 ECDSA sign + verify, with a fixed key.
fn sign_verify(provider: CryptoProvider, seed: u64) -> impl FnMut() {
    let signer = SoftwareSigner::generate_with(provider, Curve::P256, &mut SeededRng::new(seed))
        .expect("P-256");
    let (public, alg) = (signer.public_key(), signer.algorithm());
    move || {
        let sig = signer.sign(black_box(&MSG)).expect("P-256 signs");
        provider
            .verify_signature(&public, alg, &MSG, &sig)
            .expect("own signature verifies");
    }
}

/// One P-256 key generation (scalar and public key) + ECDH with a fixed peer.
fn keygen_ecdh(provider: CryptoProvider, seed: u64) -> impl FnMut() {
    let mut rng = SeededRng::new(seed);
    let peer = EphemeralPrivateKey::generate_with(provider, Curve::P256, &mut rng)
        .and_then(|k| k.public_key())
        .expect("P-256 peer key");
    move || {
        let key =
            EphemeralPrivateKey::generate_with(provider, Curve::P256, &mut rng).expect("P-256 key");
        let public = key.public_key().expect("public key");
        let z = key.agree(black_box(&peer)).expect("ECDH");
        black_box((public, z));
    }
}

fn baselines(provider: CryptoProvider) -> Vec<Workload> {
    let g = group("baseline", provider);
    let mut rng = SeededRng::new(7);
    let signer = SoftwareSigner::generate_with(provider, Curve::P256, &mut rng).expect("P-256 key");
    let verifier = (signer.public_key(), signer.algorithm());
    let sig = signer.sign(&MSG).expect("P-256 signs");
    let key =
        EphemeralPrivateKey::generate_with(provider, Curve::P256, &mut rng).expect("P-256 key");
    let peer = EphemeralPrivateKey::generate_with(provider, Curve::P256, &mut rng)
        .and_then(|k| k.public_key())
        .expect("P-256 peer key");
    let kib = [0xa5_u8; 1024];
    vec![
        Workload::new(g, "p256_sign_verify", sign_verify(provider, 7)),
        Workload::new(g, "p256_sign", move || {
            black_box(signer.sign(black_box(&MSG)).expect("P-256 signs"));
        }),
        Workload::new(g, "p256_verify", move || {
            let (public, alg) = &verifier;
            provider
                .verify_signature(public, *alg, black_box(&MSG), &sig)
                .expect("verifies");
        }),
        Workload::new(g, "p256_keygen_ecdh", keygen_ecdh(provider, 8)),
        // The two halves of the above: a fixed-base and a variable-base scalar multiplication.
        Workload::new(g, "p256_keygen", move || {
            let key = EphemeralPrivateKey::generate_with(provider, Curve::P256, &mut rng)
                .expect("P-256 key");
            black_box(key.public_key().expect("public key"));
        }),
        Workload::new(g, "p256_ecdh", move || {
            black_box(key.agree(black_box(&peer)).expect("ECDH"));
        }),
        Workload::new(g, "sha256_1kib", move || {
            if provider == CryptoProvider::RUST_CRYPTO {
                black_box(Sha256::digest(black_box(&kib)));
            } else {
                black_box(provider.sha256(black_box(&kib)));
            }
        }),
    ]
}

/// Every variant, each checked once (report valid, the 6 elements verified) before timing.
fn presentations(now: Instant, provider: CryptoProvider) -> Vec<Workload> {
    let g = group("full_presentation", provider);
    VARIANTS
        .iter()
        .map(|variant| {
            let name = variant.name;
            let mut fx =
                Fixture::new(variant, provider).unwrap_or_else(|e| panic!("{name}: fixture: {e}"));
            let report = fx
                .present(now)
                .unwrap_or_else(|e| panic!("{name}: presentation: {e}"));
            check(&report, name).unwrap_or_else(|e| panic!("{e}"));
            let [uri, establishment, response] = fx
                .exchange(now)
                .unwrap_or_else(|e| panic!("{name}: exchange: {e}"))
                .sizes;
            eprintln!(
                "{g}/{name}: mdoc: URI {uri} B, SessionEstablishment {establishment} B, \
                 response SessionData {response} B"
            );
            Workload::new(g, name, move || {
                black_box(
                    fx.present(now)
                        .expect("the presentation succeeded before timing"),
                );
            })
        })
        .collect()
}

/// `verify::response` (with no path cache, and with a warm one) and `Presenter::respond` alone,
/// on P-256 with deviceSignature.
fn parts(now: Instant, provider: CryptoProvider) -> Vec<Workload> {
    let mut fx = Fixture::new(&VARIANTS[0], provider).expect("P-256 fixture");
    let verified = fx.exchange(now).expect("P-256 exchange");
    let answered = fx.exchange(now).expect("P-256 exchange");
    let request = fx
        .request(answered.reader.transcript())
        .expect("P-256 request");
    let Fixture {
        mut presenter,
        iacas,
        ..
    } = fx;
    let verified = std::rc::Rc::new(verified);
    let iacas = std::rc::Rc::new(iacas);
    let cache = std::rc::Rc::new(PathCache::default());
    let verify = {
        let (verified, iacas) = (verified.clone(), iacas.clone());
        move || {
            verify::response_with(
                &verified.response,
                verified.reader.transcript(),
                &iacas,
                Some(verified.reader.e_reader_key()),
                AT,
                &VerifyOptions::default().with_provider(provider),
            )
        }
    };
    let verify_warm = {
        let cache = cache.clone();
        move || {
            verify::response_with(
                &verified.response,
                verified.reader.transcript(),
                &iacas,
                Some(verified.reader.e_reader_key()),
                AT,
                &VerifyOptions::default()
                    .with_provider(provider)
                    .with_path_cache(&cache),
            )
        }
    };
    check(&verify(), "reader_verify").unwrap_or_else(|e| panic!("{e}"));
    check(&verify_warm(), "reader_verify (cache filled)").unwrap_or_else(|e| panic!("{e}"));
    check(&verify_warm(), "reader_verify (warm)").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        cache.stats().hits,
        1,
        "the second verification hits the path cache"
    );
    // The 2021 Table 5 data-model check alone, on the verified elements (part of verify).
    let elements = verify().documents()[0].issuer_elements().clone();
    vec![
        Workload::new(group("reader_verify", provider), "p256", move || {
            black_box(verify());
        }),
        Workload::new(group("reader_data_model", provider), "p256", move || {
            black_box(mdl_proximity::verify::mdl_model::check(&elements));
        }),
        Workload::new(group("reader_verify", provider), "p256_warm", move || {
            black_box(verify_warm());
        }),
        Workload::new(group("holder_respond", provider), "p256", move || {
            black_box(
                presenter
                    .respond(&request, answered.reader.transcript(), AT)
                    .expect("the presenter answers this request"),
            );
        }),
    ]
}

/// Mean seconds of this thread's CPU time per call of `f` over `iters` calls. CPU time, not
/// wall-clock time: on a machine shared by more runnable processes than cores, the time spent
/// waiting for a CPU would otherwise land at random in the workload or in its baselines.
fn seconds_per_call(f: &mut dyn FnMut(), iters: u32) -> f64 {
    let start = cpu_time::ThreadTime::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed().as_secs_f64() / f64::from(iters)
}

/// How many calls of `f` take about 3 ms (at least 1).
fn calls_per_chunk(f: &mut dyn FnMut()) -> u32 {
    f(); // warm caches
    let per_call = seconds_per_call(f, 3).max(1e-9);
    // Truncation is intended: a whole number of calls, at most 10 000.
    (0.003 / per_call).clamp(1.0, 10_000.0) as u32
}

/// Seconds as µs or ms.
fn duration(seconds: f64) -> String {
    if seconds >= 1e-3 {
        format!("{:.2} ms", seconds * 1e3)
    } else {
        format!("{:.1} µs", seconds * 1e6)
    }
}

/// A ratio with 2 decimals, or 4 when below 0.1.
fn ratio(r: f64) -> String {
    if r >= 0.1 {
        format!("{r:.2}")
    } else {
        format!("{r:.4}")
    }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    // Rounding to the nearest index is intended (a sample quantile).
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Paired ratios, robust to a shared machine whose speed changes from second to second (and
/// timed in thread CPU time, see [`seconds_per_call`]): each
/// round times ~3 ms of P-256 sign+verify, ~3 ms (at least one call) of the workload and ~3 ms of
/// P-256 keygen+ECDH back to back, and takes the workload's time per call over each baseline's
/// time per call of that same round; the table gives the median over the rounds (and the
/// quartiles of the sign+verify ratio). Printed as Markdown.
fn paired_ratios(workloads: &mut [Workload], rounds: usize) {
    // The units are RustCrypto's whatever providers are compiled in.
    let mut sv = sign_verify(CryptoProvider::RUST_CRYPTO, 70);
    let mut ke = keygen_ecdh(CryptoProvider::RUST_CRYPTO, 80);
    let (sv_calls, ke_calls) = (calls_per_chunk(&mut sv), calls_per_chunk(&mut ke));
    println!("\npaired ratios, median of {rounds} rounds (see benches/presentation.rs)\n");
    println!("| workload | median time | ÷ sign+verify | sign+verify quartiles | ÷ keygen+ECDH |");
    println!("|---|---:|---:|---:|---:|");
    for w in workloads.iter_mut() {
        let calls = calls_per_chunk(&mut w.run);
        let (mut times, mut by_sv, mut by_ke) = (vec![], vec![], vec![]);
        for _ in 0..rounds {
            let sv_t = seconds_per_call(&mut sv, sv_calls);
            let w_t = seconds_per_call(&mut w.run, calls);
            let ke_t = seconds_per_call(&mut ke, ke_calls);
            times.push(w_t);
            by_sv.push(w_t / sv_t);
            by_ke.push(w_t / ke_t);
        }
        for v in [&mut times, &mut by_sv, &mut by_ke] {
            v.sort_by(f64::total_cmp);
        }
        println!(
            "| `{}/{}` | {} | {} | {}–{} | {} |",
            w.group,
            w.name,
            duration(quantile(&times, 0.5)),
            ratio(quantile(&by_sv, 0.5)),
            ratio(quantile(&by_sv, 0.25)),
            ratio(quantile(&by_sv, 0.75)),
            ratio(quantile(&by_ke, 0.5)),
        );
    }
}

fn main() {
    // Short runs: the whole bench finishes in a few minutes on 2 shared cores.
    let mut criterion = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let now = Instant::now();
    let mut workloads = Vec::new();
    // RustCrypto first, then aws-lc-rs when compiled in.
    for provider in CryptoProvider::all().iter().rev().copied() {
        workloads.extend(baselines(provider));
        workloads.extend(presentations(now, provider));
        workloads.extend(parts(now, provider));
    }
    for w in &mut workloads {
        let mut group = criterion.benchmark_group(w.group);
        group.bench_function(w.name, |b| b.iter(&mut w.run));
        group.finish();
    }

    // `cargo bench` passes --bench; `cargo test --bench presentation` does not (one round then,
    // as a smoke test). A name filter other than "paired" skips the pass.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filtered = args.iter().any(|a| !a.starts_with('-') && a != "paired");
    if !filtered {
        // PAIRED_ROUNDS overrides the 41 rounds (more rounds: steadier medians on a busy machine).
        let rounds = if args.iter().any(|a| a == "--bench") {
            std::env::var("PAIRED_ROUNDS")
                .ok()
                .and_then(|r| r.parse().ok())
                .unwrap_or(41)
        } else {
            1
        };
        paired_ratios(&mut workloads, rounds);
    }
    criterion.final_summary();
}
