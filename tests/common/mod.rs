//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

/// The bytes of one Annex D vector from `tests/data/annex-d.json`.
pub(crate) fn annex_d(name: &str) -> Vec<u8> {
    let json: serde_json::Value =
        serde_json::from_str(include_str!("../data/annex-d.json")).expect("vector file is JSON");
    let hex = json[name]["hex"]
        .as_str()
        .unwrap_or_else(|| panic!("no Annex D vector {name}"));
    hex::decode(hex).expect("vector is hex")
}
