//! `mdl inspect` shows what a peer sent that we keep raw (issue 8 item 2): the raw value in
//! `"value"` and one line per part in `"warnings"`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use mdl_proximity::cbor::{self, Value};
use serde_json::Value as Json;

fn inspect_ok(arg: &str) -> Json {
    let out = Command::new(env!("CARGO_BIN_EXE_mdl"))
        .args(["inspect", arg])
        .output()
        .expect("run mdl");
    assert!(
        out.status.success(),
        "inspect failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// An Annex D vector by name (hex in tests/data/annex-d.json).
fn annex_d(name: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/annex-d.json"
    ))
    .expect("Annex D vectors");
    let json: Json = serde_json::from_str(&text).expect("vectors are JSON");
    let hex = json[name]["hex"].as_str().expect("vector present");
    hex::decode(hex).expect("hex")
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn inspect_shows_raw_origin_info_and_capability_with_warnings() {
    let Value::Map(mut entries) =
        cbor::value_from_slice(&annex_d("device_engagement_qr"), &Default::default()).unwrap()
    else {
        panic!("a map")
    };
    entries[0].1 = text("1.1");
    entries.push((
        Value::Integer(5.into()),
        Value::Array(vec![Value::Map(vec![
            (text("cat"), Value::Integer(1.into())),
            (text("type"), Value::Integer(1.into())),
        ])]),
    ));
    entries.push((
        Value::Integer(6.into()),
        Value::Map(vec![(Value::Integer(3.into()), text("yes"))]),
    ));
    let hex_in = hex::encode(cbor::value_to_vec(&Value::Map(entries)));
    let j = inspect_ok(&hex_in);
    assert_eq!(j["type"], "DeviceEngagement");
    // The raw values are shown.
    assert_eq!(j["value"]["originInfos"][0]["cat"], 1);
    assert!(
        j["value"]["capabilities"].to_string().contains("yes"),
        "{j}"
    );
    let warnings: Vec<&str> = j["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("5[0]: ") && warnings[0].contains("details"),
        "{warnings:?}"
    );
    assert!(warnings[1].starts_with("6.3: "), "{warnings:?}");
}

#[test]
fn inspect_shows_untagged_device_request_info_with_a_warning() {
    let Value::Map(mut entries) =
        cbor::value_from_slice(&annex_d("device_request"), &Default::default()).unwrap()
    else {
        panic!("a map")
    };
    entries.push((
        text("deviceRequestInfo"),
        Value::Map(vec![(text("vendorHint"), Value::Integer(7.into()))]),
    ));
    let j = inspect_ok(&hex::encode(cbor::value_to_vec(&Value::Map(entries))));
    assert_eq!(j["type"], "DeviceRequest");
    assert!(
        j["value"]["deviceRequestInfo"]
            .to_string()
            .contains("vendorHint"),
        "{j}"
    );
    let warnings = j["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0]
        .as_str()
        .unwrap()
        .starts_with("deviceRequestInfo: "));
}

#[test]
fn annex_d_messages_have_no_warnings() {
    for name in ["device_engagement_qr", "device_request", "device_response"] {
        let j = inspect_ok(&hex::encode(annex_d(name)));
        assert_eq!(j["warnings"], serde_json::json!([]), "{name}");
    }
}
