//! CPU cost of hostile messages (issue 9 item 3), as ratios to an honest P-256 verification
//! measured in the same run: `verify::response` of a prepared honest P-256 response, decoded
//! from bytes (the "honest P-256 verification" of the issue; the budget is 20×).
//!
//! For every signature curve (issuer / reader PKI on that curve, the OpenSSL brainpool curves
//! included with feature `openssl`):
//!
//! - reader, decode + `verify::response`:
//!   - `honest`: the honest response on that curve (for reference);
//!   - `x5chain_1mib`: issuerAuth whose x5chain repeats the Document Signer certificate to 1 MiB;
//!   - `docs_garbage_device_sig`: 300 copies (≈ 1 MiB) of the genuine document, each with a
//!     different garbage deviceSignature (chain and MSO genuine: the most verifications a peer
//!     can force without a device key);
//!   - `docs_forged_ds`: 300 documents whose Document Signer certificate names the trusted IACA
//!     but is not signed by it (a distinct one per document);
//! - holder, decode + `Presenter::respond` (readerAuth checked against the trusted reader root):
//!   - `doc_requests_garbage_reader_auth`: 1 MiB of DocRequests, each with the genuine reader
//!     certificate chain and a garbage readerAuth signature.
//!
//! After criterion, a paired pass times each workload interleaved with the baseline and prints
//! the median ratios as the Markdown table of BENCHMARKS.md ("hostile inputs").
//!
//! Run: `cargo bench --bench hostile` (a few minutes on 2 cores).
#![allow(clippy::disallowed_methods)]

use std::error::Error;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;

use mdl_proximity::cbor::{self, Tag24};
use mdl_proximity::crypto::{sign1_embedded, Curve, SeededRng};
use mdl_proximity::holder::{ApproveAll, Presenter};
use mdl_proximity::issuer::pki::{IssuerPki, ReaderPki};
use mdl_proximity::issuer::{sample_mdl_credential, Credential, DeviceAuthMethod, SampleMdl};
use mdl_proximity::msg::response::DeviceAuth;
use mdl_proximity::msg::{
    CoseSign1, DeviceRequest, DeviceResponse, SessionTranscript, SessionTranscriptBytes,
};
use mdl_proximity::reader::{ReaderKey, RequestBuilder};
use mdl_proximity::verify::{self, TrustAnchors};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

const ISSUED: i64 = 1_767_225_600;
const AT: i64 = ISSUED + 3600;
const MIB: usize = 1 << 20;

fn transcript() -> Result<SessionTranscriptBytes> {
    // Any transcript will do; this one is built from a fixed engagement-free structure.
    let st: SessionTranscript = cbor::from_slice(&hex_vector())?;
    Ok(Tag24::new(st))
}

/// Annex D's SessionTranscript (tests/data/annex-d.json), embedded to keep the bench standalone.
fn hex_vector() -> Vec<u8> {
    let json: serde_json::Value =
        serde_json::from_str(include_str!("../tests/data/annex-d.json")).unwrap_or_default();
    hex::decode(
        json["session_transcript"]["hex"]
            .as_str()
            .unwrap_or_default(),
    )
    .unwrap_or_default()
}

struct Reader {
    trust: TrustAnchors,
    st: SessionTranscriptBytes,
}

impl Reader {
    fn verify(&self, bytes: &[u8]) -> bool {
        match cbor::from_slice::<DeviceResponse>(bytes) {
            Ok(r) => verify::response(&r, &self.st, &self.trust, None, AT).is_valid(),
            Err(_) => false,
        }
    }
}

struct Holder {
    presenter: Presenter<ApproveAll>,
    st: SessionTranscriptBytes,
}

impl Holder {
    fn respond(&mut self, bytes: &[u8]) -> usize {
        match cbor::from_slice::<DeviceRequest>(bytes) {
            Ok(req) => self
                .presenter
                .respond(&req, &self.st, AT)
                .map(|r| cbor::to_vec(&r).len())
                .unwrap_or(0),
            Err(_) => 0,
        }
    }
}

fn credential(curve: Curve) -> Result<(Credential, IssuerPki)> {
    let spec = SampleMdl {
        issuer_curve: curve,
        device_curve: curve,
        device_auth: DeviceAuthMethod::Signature,
        country: "UT",
        now: ISSUED,
    };
    Ok(sample_mdl_credential(&spec, &mut SeededRng::new(7))?)
}

fn honest_response(cred: &Credential, st: &SessionTranscriptBytes) -> Result<DeviceResponse> {
    let request = RequestBuilder::new()
        .mdl(&[("family_name", false), ("portrait", false)])
        .build()
        .ok_or("request")?;
    let mut presenter = Presenter::new(vec![cred.to_mdoc()?], ApproveAll, TrustAnchors::new());
    Ok(presenter.respond(&request, st, AT)?)
}

/// One workload: (side, name, message bytes).
type Case = (&'static str, &'static str, Vec<u8>);

/// The hostile inputs of one curve.
fn inputs(curve: Curve) -> Result<(Reader, Holder, Vec<Case>)> {
    let st = transcript()?;
    let (cred, pki) = credential(curve)?;
    let honest = honest_response(&cred, &st)?;
    let mut out = vec![("reader", "honest", cbor::to_vec(&honest))];

    // x5chain of 1 MiB.
    let mut r = honest.clone();
    let doc = &mut r.documents.as_mut().ok_or("docs")?.as_mut_slice()[0];
    let payload = doc
        .issuer_signed
        .issuer_auth
        .inner()
        .payload
        .clone()
        .ok_or("payload")?;
    let chain = vec![pki.ds.der().to_vec(); MIB / pki.ds.der().len()];
    let signer = pki.ds_key.signer()?;
    doc.issuer_signed.issuer_auth =
        CoseSign1::new(sign1_embedded(&signer, payload.clone(), &chain)?)?;
    out.push(("reader", "x5chain_1mib", cbor::to_vec(&r)));

    // 300 copies of the document, each with a different garbage deviceSignature.
    let mut r = honest.clone();
    let docs = r.documents.as_mut().ok_or("docs")?;
    let genuine = docs[0].clone();
    for i in 0..300u32 {
        let mut d = genuine.clone();
        if let DeviceAuth::Signature(sig) = &d.device_signed.device_auth {
            let mut inner = sig.inner().clone();
            let n = inner.signature.len();
            inner.signature[n - 4..].copy_from_slice(&i.to_be_bytes());
            d.device_signed.device_auth = DeviceAuth::Signature(CoseSign1::new(inner)?);
        }
        docs.push(d);
    }
    out.push(("reader", "docs_garbage_device_sig", cbor::to_vec(&r)));

    // 300 documents, each with its own Document Signer certificate that names the IACA as
    // issuer but is signed by another key (a flipped signature byte).
    let mut r = honest.clone();
    let docs = r.documents.as_mut().ok_or("docs")?;
    for i in 0..300u32 {
        let mut d = genuine.clone();
        let mut ds = pki.ds.der().to_vec();
        let n = ds.len();
        ds[n - 4..].copy_from_slice(&i.to_be_bytes());
        d.issuer_signed.issuer_auth =
            CoseSign1::new(sign1_embedded(&signer, payload.clone(), &[ds])?)?;
        docs.push(d);
    }
    out.push(("reader", "docs_forged_ds", cbor::to_vec(&r)));

    // Holder: DocRequests with the genuine reader chain and garbage readerAuth signatures.
    let reader_pki = ReaderPki::generate(curve, ISSUED, &mut SeededRng::new(8))?;
    let reader_signer = reader_pki.reader_key.signer()?;
    let one = RequestBuilder::new()
        .mdl(&[("family_name", false)])
        .build_signed(
            ReaderKey {
                signer: &reader_signer,
                certificate_chain: &[reader_pki.reader.der().to_vec()],
            },
            &st,
        )?;
    let doc_request = one.doc_requests[0].clone();
    let per = cbor::to_vec(&one).len();
    let mut request = one.clone();
    for i in 0..(MIB / per) as u32 {
        let mut dr = doc_request.clone();
        if let Some(sig) = &dr.reader_auth {
            let mut inner = sig.inner().clone();
            let n = inner.signature.len();
            inner.signature[n - 4..].copy_from_slice(&i.to_be_bytes());
            dr.reader_auth = Some(CoseSign1::new(inner)?);
        }
        request.doc_requests.push(dr);
    }
    out.push(("holder", "honest_signed_request", cbor::to_vec(&one)));
    out.push((
        "holder",
        "doc_requests_garbage_reader_auth",
        cbor::to_vec(&request),
    ));

    let reader = Reader {
        trust: TrustAnchors::from_der(pki.iaca.der())?,
        st: st.clone(),
    };
    let holder = Holder {
        presenter: Presenter::new(
            vec![cred.to_mdoc()?],
            ApproveAll,
            TrustAnchors::from_der(reader_pki.root.der())?,
        ),
        st,
    };
    Ok((reader, holder, out))
}

fn curves() -> Vec<(&'static str, Curve)> {
    let mut c = vec![
        ("p256", Curve::P256),
        ("p384", Curve::P384),
        ("p521", Curve::P521),
        ("ed25519", Curve::ED25519),
        ("ed448", Curve::ED448),
        ("brainpoolp256r1", Curve::BRAINPOOL_P256R1),
        ("brainpoolp384r1", Curve::BRAINPOOL_P384R1),
    ];
    if cfg!(feature = "openssl") {
        c.push(("brainpoolp320r1", Curve::BRAINPOOL_P320R1));
        c.push(("brainpoolp512r1", Curve::BRAINPOOL_P512R1));
    }
    c
}

/// Time per call of `f`, called at least once and for at least `min`.
fn time_per_call(min: Duration, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u32;
    while n == 0 || start.elapsed() < min {
        f();
        n += 1;
    }
    start.elapsed().as_secs_f64() / f64::from(n)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<()> {
    let mut criterion = Criterion::default()
        .configure_from_args()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    let (base_reader, _, base_inputs) = inputs(Curve::P256)?;
    let honest_p256 = base_inputs[0].2.clone();
    assert!(
        base_reader.verify(&honest_p256),
        "honest P-256 response verifies"
    );
    criterion.bench_function("baseline/honest_p256_verification", |b| {
        b.iter(|| base_reader.verify(black_box(&honest_p256)))
    });

    let mut rows = Vec::new();
    for (curve_name, curve) in curves() {
        let (reader, mut holder, cases) = inputs(curve)?;
        for (side, name, bytes) in &cases {
            let id = format!("{side}/{curve_name}/{name}");
            if *side == "reader" {
                let valid = reader.verify(bytes);
                assert_eq!(
                    valid,
                    *name == "honest",
                    "{id}: only the honest response verifies"
                );
                criterion.bench_function(&id, |b| b.iter(|| reader.verify(black_box(bytes))));
            } else {
                criterion.bench_function(&id, |b| b.iter(|| holder.respond(black_box(bytes))));
            }
            // Paired pass: 9 rounds of ≈ 30 ms baseline, then the workload (at least once).
            let mut ratios = Vec::new();
            for _ in 0..9 {
                let base = time_per_call(Duration::from_millis(30), || {
                    black_box(base_reader.verify(&honest_p256));
                });
                let work = time_per_call(Duration::from_millis(30), || {
                    if *side == "reader" {
                        black_box(reader.verify(bytes));
                    } else {
                        black_box(holder.respond(bytes));
                    }
                });
                ratios.push(work / base);
            }
            rows.push((id, bytes.len(), median(ratios)));
        }
    }
    criterion.final_summary();
    println!("\n| workload | size | CPU ÷ honest P-256 verification (median of 9 paired rounds) |");
    println!("|---|---:|---:|");
    for (id, size, ratio) in rows {
        println!("| `{id}` | {} KiB | {ratio:.2} |", size / 1024);
    }
    Ok(())
}
