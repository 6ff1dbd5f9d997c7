//! NFC Connection Handover messages (Hs / Hr, 2021 8.2.2.1) as annotated JSON, with the
//! DeviceEngagement and ReaderEngagement records decoded.

use mdl_proximity::cbor::{value_from_slice, Limits};
use mdl_proximity::engagement::nfc::handover::{
    BleOob, HandoverKind, HandoverMessage, TYPE_BLE_OOB, TYPE_DEVICE_ENGAGEMENT, TYPE_NFC_CARRIER,
    TYPE_READER_ENGAGEMENT,
};
use mdl_proximity::engagement::nfc::ndef::{NdefError, Record, Tnf};
use serde_json::{json, Map, Value as Json};

use super::detect::Kind;
use super::render::{uuid, Renderer};

/// Parses and renders a handover message; the embedded engagement is checked with the typed
/// decoder and its problems are reported through `renderer`.
pub(crate) fn render_with(renderer: &mut Renderer, bytes: &[u8]) -> Result<Json, NdefError> {
    let hs = HandoverMessage::parse(bytes)?;
    let carriers: Vec<Json> = hs
        .alternative_carriers
        .iter()
        .map(|ac| {
            json!({
                "powerState": match ac.power_state.0 {
                    0 => "inactive",
                    1 => "active",
                    2 => "activating",
                    _ => "unknown",
                },
                "carrierDataReference": text_or_hex(&ac.carrier_data_reference),
                "auxiliaryDataReferences": ac
                    .auxiliary_data_references
                    .iter()
                    .map(|r| text_or_hex(r))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let records: Vec<Json> = hs.records.iter().map(|r| record(renderer, r)).collect();
    let mut out = Map::new();
    out.insert(
        "message".into(),
        json!(match hs.kind {
            HandoverKind::Select => "Handover Select (Hs)",
            HandoverKind::Request => "Handover Request (Hr)",
        }),
    );
    out.insert(
        "version".into(),
        json!(format!("{}.{}", hs.version >> 4, hs.version & 0x0f)),
    );
    if let Some(cr) = hs.collision_random {
        out.insert("collisionResolution".into(), json!(cr));
    }
    out.insert("alternativeCarriers".into(), Json::Array(carriers));
    out.insert("records".into(), Json::Array(records));
    Ok(Json::Object(out))
}

fn record(renderer: &mut Renderer, r: &Record) -> Json {
    let mut out = Map::new();
    out.insert("tnf".into(), json!(format!("{:?}", r.tnf)));
    out.insert("type".into(), text_or_hex(&r.record_type));
    if !r.id.is_empty() {
        out.insert("id".into(), text_or_hex(&r.id));
    }
    let id = String::from_utf8_lossy(&r.id).into_owned();
    let path = format!("record {id:?}");
    let decoded = if r.is(Tnf::EXTERNAL, TYPE_DEVICE_ENGAGEMENT)
        || r.is(Tnf::EXTERNAL, TYPE_READER_ENGAGEMENT)
    {
        Some(match value_from_slice(&r.payload, &Limits::default()) {
            Ok(v) => {
                if r.is(Tnf::EXTERNAL, TYPE_DEVICE_ENGAGEMENT) {
                    if let Err(e) = Kind::DeviceEngagement.validate(&v) {
                        renderer.problems.push(format!(
                            "{path}: {}",
                            e.within(Kind::DeviceEngagement.name())
                        ));
                    }
                    renderer.kind(Kind::DeviceEngagement, &v, &path)
                } else {
                    renderer.value(&v, &path)
                }
            }
            Err(e) => {
                renderer.problems.push(format!("{path}: {e}"));
                json!({ "error": e.to_string() })
            }
        })
    } else if r.is(Tnf::MEDIA, TYPE_BLE_OOB) {
        Some(ble(&r.payload))
    } else if r.is(Tnf::EXTERNAL, TYPE_NFC_CARRIER) {
        Some(json!({ "nfcCarrierVersion": r.payload.first() }))
    } else {
        None
    };
    out.insert("payload".into(), json!(hex::encode(&r.payload)));
    if let Some(d) = decoded {
        out.insert("decoded".into(), d);
    }
    Json::Object(out)
}

fn ble(payload: &[u8]) -> Json {
    match BleOob::parse(payload) {
        Ok(oob) => {
            let mut out = Map::new();
            if let Some(role) = oob.role() {
                let name = match role.0 {
                    0 => "peripheral only (mdoc peripheral server mode)",
                    1 => "central only (mdoc central client mode)",
                    2 => "both, peripheral preferred",
                    3 => "both, central preferred",
                    _ => "reserved",
                };
                out.insert("leRole".into(), json!(name));
            }
            if let Some(u) = oob.service_uuid() {
                out.insert("serviceUuid".into(), json!(uuid(&u)));
            }
            if let Some((addr, ty)) = oob.device_address() {
                let text: Vec<String> = addr.iter().map(|b| format!("{b:02X}")).collect();
                out.insert(
                    "deviceAddress".into(),
                    json!(format!(
                        "{} ({})",
                        text.join(":"),
                        if ty == 0 { "public" } else { "random" }
                    )),
                );
            }
            Json::Object(out)
        }
        Err(e) => json!({ "error": e.to_string() }),
    }
}

fn text_or_hex(b: &[u8]) -> Json {
    match std::str::from_utf8(b) {
        Ok(t) if t.chars().all(|c| !c.is_control()) => json!(t),
        _ => json!(hex::encode(b)),
    }
}
