//! Replays the ISO/IEC 18013-5 Annex D session through the engine and prints what it
//! reproduces: the session transcript, the session keys, the SessionEstablishment and
//! SessionData messages (byte-identical to the standard's), and the decrypted DeviceRequest.
//!
//! Run: `cargo run --example annex_d`
#![allow(clippy::disallowed_methods)] // an application stand-in: it may read the clock and files

use std::time::Instant;

use mdl_proximity::cbor::{self, Tag24, Value};
use mdl_proximity::crypto::{ble_ident, Curve, EphemeralPrivateKey, Role, SessionKeys};
use mdl_proximity::msg::{DeviceEngagementBytes, DeviceRequest, DeviceResponse, Handover};
use mdl_proximity::session::{
    HolderConfig, HolderEvent, HolderSession, Input, Output, ReaderConfig, ReaderEvent,
    ReaderSession, Session,
};

const VECTORS: &str = include_str!("../tests/data/annex-d.json");

fn vector(json: &serde_json::Value, name: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let hex = json[name]["hex"]
        .as_str()
        .ok_or_else(|| format!("vector {name} missing"))?;
    Ok(hex::decode(hex)?)
}

fn check(label: &str, ours: &[u8], standard: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    let ok = ours == standard;
    println!(
        "{} {label}: {} bytes{}",
        if ok { "✔" } else { "✘" },
        ours.len(),
        if ok { ", identical to Annex D" } else { "" }
    );
    if ok {
        Ok(())
    } else {
        Err(format!("{label} differs from Annex D").into())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let json: serde_json::Value = serde_json::from_str(VECTORS)?;
    let v = |name: &str| vector(&json, name);
    let now = Instant::now();

    // The holder's engagement (from the NFC Handover Select) and the negotiated handover.
    let engagement: DeviceEngagementBytes =
        Tag24::from_tagged_slice(&v("device_engagement_bytes_nfc")?)?;
    let handover = Handover::NfcNegotiated {
        select: cbor::Bstr(v("nfc_handover_select")?),
        request: cbor::Bstr(v("nfc_handover_request")?),
    };
    let e_device_key = EphemeralPrivateKey::from_bytes(Curve::P256, &v("e_device_key_d")?)?;
    let e_reader_key = EphemeralPrivateKey::from_bytes(Curve::P256, &v("e_reader_key_d")?)?;
    println!("Annex D session (P-256, NFC negotiated handover)\n");

    // Reader: transcript and keys, then the SessionEstablishment carrying the DeviceRequest.
    let mut reader = ReaderSession::new(
        ReaderConfig::default(),
        e_reader_key,
        engagement.clone(),
        handover.clone(),
        now,
    )?;
    check(
        "SessionTranscriptBytes",
        &reader.transcript().tagged_bytes(),
        &v("session_transcript_bytes")?,
    )?;
    let z = EphemeralPrivateKey::from_bytes(Curve::P256, &v("e_reader_key_d")?)?
        .agree(engagement.value().security.e_device_key.value())?;
    let keys = SessionKeys::derive(&z, &reader.transcript().tagged_bytes(), Role::Reader);
    check("SKReader", keys.expose_sk_reader(), &v("sk_reader")?)?;
    check("SKDevice", keys.expose_sk_device(), &v("sk_device")?)?;
    check(
        "BLE Ident",
        &ble_ident(&engagement.value().security.e_device_key.tagged_bytes()),
        &v("ble_ident")?,
    )?;

    let request: DeviceRequest = cbor::from_slice(&v("device_request")?)?;
    reader.request(now, &request)?;
    let Output::Transmit(establishment) = reader.poll_output() else {
        return Err("reader sent nothing".into());
    };
    check(
        "SessionEstablishment",
        &establishment,
        &v("session_establishment")?,
    )?;

    // Holder: decrypts the request, answers with the Annex D DeviceResponse.
    let mut holder = HolderSession::new(
        HolderConfig::default(),
        e_device_key,
        engagement,
        handover,
        now,
    )?;
    holder.handle_input(Input::Message(now, &establishment));
    let mut session_data = None;
    loop {
        match holder.poll_output() {
            Output::Event(HolderEvent::Request(req)) => {
                println!(
                    "\nDecrypted DeviceRequest (version {}):",
                    req.request.version.as_str()
                );
                for doc in req.request.doc_requests.iter() {
                    let items = doc.items_request.value();
                    println!(
                        "  docType {}  readerAuth: {}",
                        items.doc_type,
                        doc.reader_auth.is_some()
                    );
                    for (ns, elements) in &items.name_spaces {
                        for (element, retain) in elements {
                            println!(
                                "    {ns} / {element}{}",
                                if *retain { "  (intent to retain)" } else { "" }
                            );
                        }
                    }
                }
                println!();
                let response: DeviceResponse = cbor::from_slice(&v("device_response")?)?;
                holder.respond(now, &response)?;
            }
            Output::Transmit(bytes) => session_data = Some(bytes),
            Output::Event(_) => {}
            Output::Timeout(_) | Output::Done => break,
        }
    }
    let session_data = session_data.ok_or("holder sent nothing")?;
    check(
        "SessionData (encrypted DeviceResponse)",
        &session_data,
        &v("session_data")?,
    )?;

    reader.handle_input(Input::Message(now, &session_data));
    if let Output::Event(ReaderEvent::Response(r)) = reader.poll_output() {
        let response = r.response?;
        let doc = response.documents.as_ref().ok_or("no documents")?.first();
        println!(
            "\nDecrypted DeviceResponse: status {}, docType {}",
            response.status.0, doc.doc_type
        );
        for (ns, items) in doc.issuer_signed.name_spaces.iter().flatten() {
            for item in items.iter() {
                let item = item.value();
                let shown = match &item.element_value {
                    Value::Text(t) => t.clone(),
                    Value::Bytes(b) => format!("<{} bytes>", b.len()),
                    Value::Tag(1004, d) => format!("{:?}", d.as_text().unwrap_or_default()),
                    other => format!("{other:?}").chars().take(60).collect(),
                };
                println!("  {ns} / {} = {shown}", item.element_identifier);
            }
        }
    }
    println!("\nAll Annex D session values reproduced.");
    Ok(())
}
