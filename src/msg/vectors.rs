//! Annex D golden vectors for the tests of this module family.

/// The Annex D vector file, shared with the other test suites.
const ANNEX_D: &str = include_str!("../../tests/data/annex-d.json");

/// The bytes of the Annex D vector `name` (panics in tests when absent: a broken fixture).
#[allow(clippy::expect_used)]
pub(crate) fn annex_d(name: &str) -> Vec<u8> {
    let json: serde_json::Value =
        serde_json::from_str(ANNEX_D).expect("annex-d.json is valid JSON");
    let hex_text = json[name]["hex"]
        .as_str()
        .unwrap_or_else(|| panic!("no vector {name}"));
    hex::decode(hex_text).expect("vector hex is valid")
}

/// Decodes `bytes` as `T`, re-encodes, and asserts the same bytes come back.
#[allow(clippy::expect_used)]
pub(crate) fn assert_round_trip<T: crate::cbor::CborCodec>(bytes: &[u8]) -> T {
    let value: T = crate::cbor::from_slice(bytes).expect("decodes");
    assert_eq!(
        hex::encode(crate::cbor::to_vec(&value)),
        hex::encode(bytes),
        "round trip changed the bytes"
    );
    value
}

/// Decodes `bytes` as `T` and returns the error (panics if decoding succeeds).
pub(crate) fn decode_err<T: crate::cbor::CborCodec + std::fmt::Debug>(
    bytes: &[u8],
) -> crate::cbor::DecodeError {
    match crate::cbor::from_slice::<T>(bytes) {
        Ok(v) => panic!("expected an error, decoded {v:?}"),
        Err(e) => e,
    }
}

/// Encodes a value tree and decodes it as `T`.
pub(crate) fn decode_value<T: crate::cbor::CborCodec>(
    value: crate::cbor::Value,
) -> Result<T, crate::cbor::DecodeError> {
    crate::cbor::from_slice(&crate::cbor::value_to_vec(&value))
}
