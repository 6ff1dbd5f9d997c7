//! Issue 8 item 2: optional extensions that real peers fill in ways we do not expect never sink a
//! whole message; what we cannot interpret is kept raw and reported as a warning.
#![allow(clippy::unwrap_used)]

mod common;

use common::annex_d;
use mdl_proximity::cbor::{self, CborCodec, DecodeError, Value};
use mdl_proximity::msg::{DeviceRequest, DeviceResponse, InteropWarnings, ResponseStatus};

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

/// Annex D's DeviceRequest with `extra` entries added to its map.
fn annex_d_request_with(extra: Vec<(Value, Value)>) -> Vec<u8> {
    let Value::Map(mut entries) =
        cbor::value_from_slice(&annex_d("device_request"), &Default::default()).unwrap()
    else {
        panic!("a map")
    };
    entries.extend(extra);
    cbor::value_to_vec(&Value::Map(entries))
}

#[test]
fn untagged_device_request_info_is_kept_raw_with_a_warning() {
    // A wallet-side reader that sends deviceRequestInfo as a plain map instead of #6.24(bstr).
    let info = Value::Map(vec![(
        text("useCases"),
        Value::Array(vec![Value::Map(vec![
            (text("mandatory"), Value::Bool(true)),
            (
                text("documentSets"),
                Value::Array(vec![Value::Array(vec![Value::Integer(0.into())])]),
            ),
        ])]),
    )]);
    let bytes = annex_d_request_with(vec![
        (text("deviceRequestInfo"), info.clone()),
        (text("someFutureKey"), Value::Null),
    ]);
    let req: DeviceRequest = cbor::from_slice(&bytes).unwrap();
    // The request itself is intact: the ItemsRequest bytes (signed by readerAuth) are as received.
    assert_eq!(
        req.doc_requests.first().items_request.inner_bytes(),
        annex_d("items_request")
    );
    let raw = req
        .device_request_info
        .as_ref()
        .unwrap()
        .unparsed()
        .unwrap();
    assert_eq!(raw.value, info, "kept as received");
    assert!(
        matches!(
            raw.reason,
            DecodeError::WrongTag { .. } | DecodeError::WrongType { .. }
        ),
        "{:?}",
        raw.reason
    );
    let warnings = req.interop_warnings();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].path, "deviceRequestInfo");
    // Re-encoding forwards it unchanged (the unknown key is ignored, 2021 8.1).
    let without_unknown = annex_d_request_with(vec![(text("deviceRequestInfo"), info)]);
    assert_eq!(cbor::to_vec(&req), without_unknown);
}

#[test]
fn tagged_device_request_info_has_no_warning() {
    let info_bytes = cbor::value_to_vec(&Value::Map(vec![]));
    let bytes = annex_d_request_with(vec![(
        text("deviceRequestInfo"),
        Value::Tag(24, Box::new(Value::Bytes(info_bytes))),
    )]);
    let req: DeviceRequest = cbor::from_slice(&bytes).unwrap();
    assert!(req.device_request_info.as_ref().unwrap().known().is_some());
    assert!(req.interop_warnings().is_empty());
}

#[test]
fn empty_documents_array_is_treated_as_absent() {
    // {"version": "1.0", "documents": [], "status": 10}: seen from wallets answering with an error.
    let bytes = cbor::value_to_vec(&Value::Map(vec![
        (text("version"), text("1.0")),
        (text("documents"), Value::Array(vec![])),
        (text("status"), Value::Integer(10.into())),
    ]));
    let resp: DeviceResponse = cbor::from_slice(&bytes).unwrap();
    assert!(resp.documents.is_none());
    assert_eq!(resp.status, ResponseStatus::GENERAL_ERROR);
    // We never send the deviation: re-encoding omits the key.
    assert_eq!(
        cbor::to_vec(&resp),
        cbor::to_vec(&DeviceResponse::error(ResponseStatus::GENERAL_ERROR))
    );
    // Documents that are present but malformed are still an error (they carry the data).
    let bad = Value::Map(vec![
        (text("version"), text("1.0")),
        (text("documents"), Value::Array(vec![Value::Null])),
        (text("status"), Value::Integer(0.into())),
    ]);
    assert!(DeviceResponse::from_cbor(bad).is_err());
}

#[test]
fn annex_d_response_still_round_trips_byte_for_byte() {
    let bytes = annex_d("device_response");
    let resp: DeviceResponse = cbor::from_slice(&bytes).unwrap();
    assert_eq!(cbor::to_vec(&resp), bytes);
}
