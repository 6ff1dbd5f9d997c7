//! Peer bytes never panic: every Annex D message, cut at every length and with every single
//! byte changed, goes through every decoder and through both sessions. Each must answer with a
//! typed error (or a value) — a panic fails the test. Deterministic, so it runs under
//! `cargo test` as the replay of a fuzzing corpus would.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::disallowed_methods)] // an application stand-in: it may read the clock and files

use std::time::Instant;

use mdl_proximity::cbor::{self, CborCodec, Tag24};
use mdl_proximity::crypto::{CoseKey, Curve, EphemeralPrivateKey};
use mdl_proximity::engagement::nfc::handover::HandoverMessage;
use mdl_proximity::msg::{
    mso::MobileSecurityObject, DeviceEngagement, DeviceRequest, DeviceResponse, Handover,
    IssuerSignedItem, ItemsRequest, SessionData, SessionEstablishment, SessionTranscript,
};
use mdl_proximity::session::{
    HolderConfig, HolderSession, Input, Output, ReaderConfig, ReaderSession, Session,
};

mod common;
use common::annex_d;

const CBOR_VECTORS: [&str; 9] = [
    "device_engagement_qr",
    "session_establishment",
    "session_data",
    "device_request",
    "device_response",
    "mso_bytes",
    "issuer_signed_item_driving_privileges",
    "session_transcript",
    "e_device_key_cose",
];

fn decode_all(bytes: &[u8]) {
    fn one<T: CborCodec>(bytes: &[u8]) -> bool {
        cbor::from_slice::<T>(bytes).is_ok()
    }
    let _ = one::<DeviceEngagement>(bytes)
        | one::<SessionEstablishment>(bytes)
        | one::<SessionData>(bytes)
        | one::<DeviceRequest>(bytes)
        | one::<ItemsRequest>(bytes)
        | one::<DeviceResponse>(bytes)
        | one::<Tag24<MobileSecurityObject>>(bytes)
        | one::<MobileSecurityObject>(bytes)
        | one::<Tag24<IssuerSignedItem>>(bytes)
        | one::<SessionTranscript>(bytes)
        | one::<CoseKey>(bytes);
    let _ = HandoverMessage::parse(bytes);
}

/// Each prefix, and each position replaced by a few telling values.
fn variants(bytes: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    let prefixes = (0..bytes.len()).map(move |n| bytes[..n].to_vec());
    let mutations = (0..bytes.len()).flat_map(move |i| {
        [0x00u8, 0xff, 0x5b, 0x9f].into_iter().map(move |b| {
            let mut m = bytes.to_vec();
            m[i] = b;
            m
        })
    });
    prefixes.chain(mutations)
}

#[test]
fn every_decoder_survives_every_cut_and_byte_change() {
    for name in CBOR_VECTORS {
        let bytes = annex_d(name);
        decode_all(&bytes);
        for v in variants(&bytes) {
            decode_all(&v);
        }
    }
}

#[test]
fn ndef_parser_survives_every_cut_and_byte_change() {
    for name in ["nfc_handover_select", "nfc_handover_request"] {
        let bytes = annex_d(name);
        for v in variants(&bytes) {
            let _ = HandoverMessage::parse(&v);
        }
    }
}

fn drain<E>(mut poll: impl FnMut() -> Output<E>) {
    while let Output::Transmit(_) | Output::Event(_) = poll() {}
}

#[test]
fn sessions_survive_every_cut_and_byte_change_of_their_input() {
    let engagement: Tag24<DeviceEngagement> =
        Tag24::from_tagged_slice(&annex_d("device_engagement_bytes_nfc")).unwrap();
    let handover = Handover::NfcNegotiated {
        select: cbor::Bstr(annex_d("nfc_handover_select")),
        request: cbor::Bstr(annex_d("nfc_handover_request")),
    };
    let now = Instant::now();
    // The holder's first input: SessionEstablishment.
    for v in variants(&annex_d("session_establishment")).step_by(17) {
        let key = EphemeralPrivateKey::from_bytes(Curve::P256, &annex_d("e_device_key_d")).unwrap();
        let mut holder = HolderSession::new(
            HolderConfig::default(),
            key,
            engagement.clone(),
            handover.clone(),
            now,
        )
        .unwrap();
        holder.handle_input(Input::Message(now, &v));
        drain(|| holder.poll_output());
    }
    // The reader's input: SessionData.
    for v in variants(&annex_d("session_data")).step_by(41) {
        let key = EphemeralPrivateKey::from_bytes(Curve::P256, &annex_d("e_reader_key_d")).unwrap();
        let mut reader = ReaderSession::new(
            ReaderConfig::default(),
            key,
            engagement.clone(),
            handover.clone(),
            now,
        )
        .unwrap();
        reader
            .request_bytes(now, &annex_d("device_request"))
            .unwrap();
        reader.handle_input(Input::Message(now, &v));
        drain(|| reader.poll_output());
    }
}
