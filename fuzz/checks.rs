//! What every fuzz target checks, one function per target, shared by the cargo-fuzz shims in
//! `fuzz_targets/` and by the stable replay of the corpora under `cargo test`
//! (`tests/fuzz_replay.rs`), so the corpora keep guarding the code without a fuzzer.
//!
//! Each function takes arbitrary bytes and panics only on a real bug: a decoder panicking, a
//! round trip that does not hold, or the verifier accepting something it must not.
#![allow(
    clippy::disallowed_methods,
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::sync::OnceLock;
use std::time::Instant;

use mdl_proximity::cbor::{from_slice, value_from_slice, value_to_vec, Limits, Tag24};
use mdl_proximity::crypto::{CoseKey, Curve, EphemeralPrivateKey};
use mdl_proximity::engagement::nfc::handover::HandoverMessage as NfcHandover;
use mdl_proximity::msg::{
    mso::MobileSecurityObject, DeviceEngagement, DeviceRequest, DeviceResponse, Handover,
    IssuerSignedItem, SessionData, SessionEstablishment, SessionTranscript, SessionTranscriptBytes,
};
use mdl_proximity::session::{HolderConfig, HolderSession, Input, Output, Session};
use mdl_proximity::verify::{self, Elements, ReaderIdentity, TrustAnchors};
use mdl_transport_mock::GmdlCodec;

/// A target's check.
pub type Check = fn(&[u8]);

/// The targets, by name (the directory names under `fuzz/corpus/`).
pub const TARGETS: [(&str, Check); 7] = [
    ("decode_message", decode_message),
    ("cbor_round_trip", cbor_round_trip),
    ("ndef_handover", ndef_handover),
    ("gmdl_codec", gmdl_codec),
    ("holder_session", holder_session),
    ("verify_response", verify_response),
    ("reader_auth", reader_auth),
];

/// Every 18013-5 message decoder on arbitrary bytes: a typed error or a value, never a panic.
pub fn decode_message(data: &[u8]) {
    let _ = from_slice::<DeviceEngagement>(data);
    let _ = from_slice::<SessionEstablishment>(data);
    let _ = from_slice::<SessionData>(data);
    let _ = from_slice::<DeviceRequest>(data);
    let _ = from_slice::<DeviceResponse>(data);
    let _ = from_slice::<MobileSecurityObject>(data);
    let _ = from_slice::<Tag24<IssuerSignedItem>>(data);
    let _ = from_slice::<SessionTranscript>(data);
    let _ = from_slice::<CoseKey>(data);
    if let Ok(uri) = std::str::from_utf8(data) {
        let _ = mdl_proximity::engagement::qr::from_qr_uri(uri);
    }
}

/// Whatever the strict decoder accepts, the encoder writes and the decoder reads back the same.
pub fn cbor_round_trip(data: &[u8]) {
    let limits = Limits::default();
    if let Ok(value) = value_from_slice(data, &limits) {
        let encoded = value_to_vec(&value);
        let again = value_from_slice(&encoded, &limits).expect("our own encoding decodes");
        assert_eq!(value_to_vec(&again), encoded, "encoding is deterministic");
    }
}

/// NDEF and Connection Handover parsing; what parses re-encodes and re-parses equal.
pub fn ndef_handover(data: &[u8]) {
    if let Ok(h) = NfcHandover::parse(data) {
        let _ = h.ble_carriers().count();
        let again = NfcHandover::parse(&h.encode()).expect("our own encoding parses");
        assert_eq!(again, h);
    }
}

/// The TCP transport's GmDL framing, input split in two at its first byte.
pub fn gmdl_codec(data: &[u8]) {
    let split = data
        .first()
        .map_or(0, |b| usize::from(*b) % (data.len() + 1));
    let mut codec = GmdlCodec::new(1 << 20);
    codec.handle_bytes(&data[..split]);
    codec.handle_bytes(&data[split..]);
    while let Ok(Some(_)) = codec.poll_message() {}
}

/// A holder session fed up to three messages (split at length bytes): no panic, outputs drain.
pub fn holder_session(data: &[u8]) {
    let key = EphemeralPrivateKey::from_bytes(Curve::P256, &[0x11; 32]).expect("valid scalar");
    let engagement = Tag24::new(DeviceEngagement::new(
        key.public_key().expect("public key"),
        vec![],
    ));
    let now = Instant::now();
    let mut holder =
        HolderSession::new(HolderConfig::default(), key, engagement, Handover::Qr, now)
            .expect("session");
    let mut rest = data;
    for _ in 0..3 {
        let n = rest.first().map_or(0, |b| usize::from(*b)).min(rest.len());
        let (msg, tail) = rest.split_at(n);
        holder.handle_input(Input::Message(now, msg));
        while let Output::Transmit(_) | Output::Event(_) = holder.poll_output() {}
        rest = tail;
    }
}

/// The Annex D session as a reader sees it (2021 Annex D.4, D.5).
struct AnnexD {
    response: Vec<u8>,
    request: Vec<u8>,
    transcript: SessionTranscriptBytes,
    iaca: TrustAnchors,
    reader_root: TrustAnchors,
    e_reader_key: EphemeralPrivateKey,
    /// What the genuine response vouches for: issuer- and device-signed elements.
    genuine: (Elements, Elements),
    /// The genuine ItemsRequest, as decoded.
    genuine_items: Vec<u8>,
}

/// 2021-01-01: inside every Annex D validity period.
const JAN_2021: i64 = 1_609_459_200;

fn vector(name: &str) -> Vec<u8> {
    let json: serde_json::Value =
        serde_json::from_str(include_str!("../tests/data/annex-d.json")).expect("vector file");
    hex::decode(json[name]["hex"].as_str().expect("vector")).expect("hex")
}

fn annex_d() -> &'static AnnexD {
    static CELL: OnceLock<AnnexD> = OnceLock::new();
    CELL.get_or_init(|| {
        let transcript = Tag24::new(from_slice(&vector("session_transcript")).expect("transcript"));
        let iaca = TrustAnchors::from_der(&vector("iaca_cert")).expect("IACA");
        let reader_root = TrustAnchors::from_der(&vector("reader_root_cert")).expect("root");
        let e_reader_key = || {
            EphemeralPrivateKey::from_bytes(Curve::P256, &vector("e_reader_key_d")).expect("key")
        };
        let response = vector("device_response");
        let decoded: DeviceResponse = from_slice(&response).expect("Annex D response");
        let report = verify::response(
            &decoded,
            &transcript,
            &iaca,
            Some(&e_reader_key()),
            JAN_2021,
        );
        assert!(report.is_valid(), "Annex D verifies: {report}");
        let doc = &report.documents()[0];
        let genuine = (doc.issuer_elements().clone(), doc.device_elements().clone());
        let request = vector("device_request");
        let decoded: DeviceRequest = from_slice(&request).expect("Annex D request");
        let genuine_items = value_to_vec(&mdl_proximity::cbor::CborCodec::to_cbor(
            decoded.doc_requests[0].items_request.value(),
        ));
        AnnexD {
            response,
            request,
            transcript,
            iaca,
            reader_root,
            e_reader_key: e_reader_key(),
            genuine,
            genuine_items,
        }
    })
}

/// Whether every element of `got` is in `genuine` with the same value (a document may
/// legitimately vouch for fewer elements, e.g. when `nameSpaces` is absent, never for others).
fn within(got: &Elements, genuine: &Elements) -> bool {
    got.iter().all(|(ns, elements)| {
        elements
            .iter()
            .all(|(id, v)| genuine.get(ns).and_then(|g| g.get(id)) == Some(v))
    })
}

/// The full inspection (2021 9.3) of a candidate DeviceResponse in the Annex D session: any
/// document reported VALID may vouch only for genuine content (a subset of it).
pub fn verify_response(data: &[u8]) {
    let d = annex_d();
    let Ok(response) = from_slice::<DeviceResponse>(data) else {
        return;
    };
    let report = verify::response(
        &response,
        &d.transcript,
        &d.iaca,
        Some(&d.e_reader_key),
        JAN_2021,
    );
    for doc in report.documents() {
        if doc.is_valid() {
            assert!(
                within(doc.issuer_elements(), &d.genuine.0)
                    && within(doc.device_elements(), &d.genuine.1),
                "a document other than the genuine one verified: {doc}"
            );
        }
    }
}

/// readerAuth verification of a candidate DeviceRequest in the Annex D session: an
/// authenticated DocRequest must carry exactly the genuine ItemsRequest.
pub fn reader_auth(data: &[u8]) {
    let d = annex_d();
    let Ok(request) = from_slice::<DeviceRequest>(data) else {
        return;
    };
    for doc_request in request.doc_requests.iter() {
        let identity = verify::reader_auth(doc_request, &d.transcript, &d.reader_root, JAN_2021);
        if let ReaderIdentity::Authenticated { .. } = identity {
            let items = value_to_vec(&mdl_proximity::cbor::CborCodec::to_cbor(
                doc_request.items_request.value(),
            ));
            assert!(
                items == d.genuine_items,
                "a forged ItemsRequest authenticated: {:?}",
                doc_request.items_request
            );
        }
    }
}

/// The Annex D messages the two new targets start from.
pub fn annex_d_seeds() -> [(&'static str, Vec<u8>); 2] {
    let d = annex_d();
    [
        ("verify_response", d.response.clone()),
        ("reader_auth", d.request.clone()),
    ]
}
