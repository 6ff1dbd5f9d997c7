//! Peak heap of hostile messages of about 1 MiB, on the reader (decode + `verify::response`)
//! and on the holder (decode + `build_response`), measured with a counting global allocator
//! (dhat's, started after the input is built so only the work on it counts). Issue 9 item 3:
//! at most 32 MiB. Memory, not wall-clock: this is deterministic.
//!
//! `cargo test --test hostile_heap -- --nocapture` prints the table of BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use indexmap::IndexMap;
use mdl_proximity::cbor::{self, Tag24, Value};
use mdl_proximity::crypto::{sign1_detached, sign1_embedded, SeededRng};
use mdl_proximity::holder::{build_response, ReaderIdentity, ReviewRequest, Selection};
use mdl_proximity::issuer::{
    pki::IssuerPki, sample_mdl_credential, Credential, SampleMdl, MDL_DOC_TYPE, MDL_NAMESPACE,
};
use mdl_proximity::msg::response::DeviceAuth;
use mdl_proximity::msg::{
    CoseSign1, DeviceAuthentication, DeviceRequest, DeviceResponse, SessionTranscript,
    SessionTranscriptBytes,
};
use mdl_proximity::reader::RequestBuilder;
use mdl_proximity::verify::{self, TrustAnchors};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

mod common;
use common::annex_d;

const NOW: i64 = 1_767_225_600;
const MIB: usize = 1 << 20;
const BUDGET: usize = 32 * MIB;

fn transcript() -> SessionTranscriptBytes {
    let st: SessionTranscript = cbor::from_slice(&annex_d("session_transcript")).unwrap();
    Tag24::new(st)
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

/// Peak heap (bytes) of `work`, counting only what it allocates.
fn peak(work: impl FnOnce()) -> usize {
    let profiler = dhat::Profiler::builder().testing().build();
    work();
    let stats = dhat::HeapStats::get();
    drop(profiler);
    stats.max_bytes
}

struct Fixture {
    credential: Credential,
    pki: IssuerPki,
    trust: TrustAnchors,
    honest: Vec<u8>,
}

fn fixture() -> Fixture {
    let (credential, pki) =
        sample_mdl_credential(&SampleMdl::p256(NOW), &mut SeededRng::new(3)).unwrap();
    let request = RequestBuilder::new()
        .mdl(&[("family_name", false), ("portrait", false)])
        .build()
        .unwrap();
    let honest = cbor::to_vec(&respond(&credential, &request));
    let trust = TrustAnchors::from_der(pki.iaca.der()).unwrap();
    Fixture {
        credential,
        pki,
        trust,
        honest,
    }
}

fn reader_peak(f: &Fixture, bytes: &[u8]) -> usize {
    let st = transcript();
    peak(|| {
        if let Ok(response) = cbor::from_slice::<DeviceResponse>(bytes) {
            let report = verify::response(&response, &st, &f.trust, None, NOW + 60);
            std::hint::black_box(report.to_string());
        }
    })
}

fn holder_peak(f: &Fixture, bytes: &[u8]) -> usize {
    peak(|| {
        if let Ok(request) = cbor::from_slice::<DeviceRequest>(bytes) {
            let response = respond(&f.credential, &request);
            std::hint::black_box(cbor::to_vec(&response));
        }
    })
}

/// A response whose DeviceNameSpacesBytes hold `n` small device-signed entries, signed.
fn many_device_entries(f: &Fixture, n: usize) -> Vec<u8> {
    let mut response: DeviceResponse = cbor::from_slice(&f.honest).unwrap();
    let mut elements = IndexMap::new();
    for i in 0..n {
        elements.insert(format!("{i:x}"), Value::Integer(0.into()));
    }
    let name_spaces = Tag24::new(IndexMap::from([(MDL_NAMESPACE.to_owned(), elements)]));
    let payload = DeviceAuthentication {
        session_transcript: transcript().value().clone(),
        doc_type: MDL_DOC_TYPE.into(),
        device_name_spaces: name_spaces.clone(),
    }
    .to_tagged_bytes();
    let sig = sign1_detached(&f.credential.device_key.signer().unwrap(), &payload, &[]).unwrap();
    let doc = &mut response.documents.as_mut().unwrap().as_mut_slice()[0];
    doc.device_signed.name_spaces = name_spaces;
    doc.device_signed.device_auth = DeviceAuth::Signature(CoseSign1::new(sig).unwrap());
    cbor::to_vec(&response)
}

/// A response whose issuerAuth x5chain repeats the DS certificate to about `size` bytes.
fn long_chain(f: &Fixture, size: usize) -> Vec<u8> {
    let mut response: DeviceResponse = cbor::from_slice(&f.honest).unwrap();
    let doc = &mut response.documents.as_mut().unwrap().as_mut_slice()[0];
    let payload = doc
        .issuer_signed
        .issuer_auth
        .inner()
        .payload
        .clone()
        .unwrap();
    let chain = vec![f.pki.ds.der().to_vec(); size / f.pki.ds.der().len()];
    let sign1 = sign1_embedded(&f.pki.ds_key.signer().unwrap(), payload, &chain).unwrap();
    doc.issuer_signed.issuer_auth = CoseSign1::new(sign1).unwrap();
    cbor::to_vec(&response)
}

/// A response with a 1 MiB portrait element in DeviceNameSpacesBytes.
fn big_portrait(f: &Fixture) -> Vec<u8> {
    let mut response: DeviceResponse = cbor::from_slice(&f.honest).unwrap();
    let name_spaces = Tag24::new(IndexMap::from([(
        MDL_NAMESPACE.to_owned(),
        IndexMap::from([("portrait".to_owned(), Value::Bytes(vec![0xff; MIB]))]),
    )]));
    let doc = &mut response.documents.as_mut().unwrap().as_mut_slice()[0];
    doc.device_signed.name_spaces = name_spaces;
    cbor::to_vec(&response)
}

/// A response of `n` copies of the honest document.
fn many_documents(f: &Fixture, n: usize) -> Vec<u8> {
    let mut response: DeviceResponse = cbor::from_slice(&f.honest).unwrap();
    let docs = response.documents.as_mut().unwrap();
    let doc = docs[0].clone();
    for _ in 1..n {
        docs.push(doc.clone());
    }
    cbor::to_vec(&response)
}

/// A request of `n` DocRequests for one mDL element each.
fn many_doc_requests(n: usize) -> Vec<u8> {
    let mut builder = RequestBuilder::new();
    for _ in 0..n {
        builder = builder.mdl(&[("family_name", false)]);
    }
    cbor::to_vec(&builder.build().unwrap())
}

/// A request for `n` elements (all withheld: none is held).
fn many_elements_request(n: usize) -> Vec<u8> {
    let names: Vec<String> = (0..n).map(|i| format!("{i:x}")).collect();
    let elements: Vec<(&str, bool)> = names.iter().map(|s| (s.as_str(), false)).collect();
    cbor::to_vec(&RequestBuilder::new().mdl(&elements).build().unwrap())
}

#[test]
fn hostile_messages_of_one_mib_stay_under_32_mib_of_heap() {
    let f = fixture();
    let cases: Vec<(&str, &str, Vec<u8>)> = vec![
        ("reader", "honest response (2 elements)", f.honest.clone()),
        (
            "reader",
            "DeviceNameSpacesBytes, 60 000 entries (within the item limit)",
            many_device_entries(&f, 60_000),
        ),
        (
            "reader",
            "DeviceNameSpacesBytes, 150 000 entries (over the item limit)",
            many_device_entries(&f, 150_000),
        ),
        (
            "reader",
            "issuerAuth x5chain, 1 MiB of certificates",
            long_chain(&f, MIB),
        ),
        ("reader", "300 documents", many_documents(&f, 300)),
        (
            "reader",
            "one 1 MiB device-signed byte string",
            big_portrait(&f),
        ),
        (
            "holder",
            "DeviceRequest for 60 000 elements (within the item limit)",
            many_elements_request(60_000),
        ),
        (
            "holder",
            "DeviceRequest for 150 000 elements (over the item limit)",
            many_elements_request(150_000),
        ),
        (
            "holder",
            "DeviceRequest of 15 000 DocRequests",
            many_doc_requests(15_000),
        ),
    ];
    println!("| side | input | size | peak heap |");
    println!("|---|---|---:|---:|");
    let mut over = Vec::new();
    for (side, name, bytes) in &cases {
        let heap = match *side {
            "reader" => reader_peak(&f, bytes),
            _ => holder_peak(&f, bytes),
        };
        println!(
            "| {side} | {name} | {} KiB | {:.2} MiB |",
            bytes.len() / 1024,
            heap as f64 / MIB as f64
        );
        if heap > BUDGET {
            over.push(format!("{side} {name}: {heap} bytes"));
        }
    }
    assert!(over.is_empty(), "over the 32 MiB budget: {over:?}");
}
