//! Whatever the strict decoder accepts, the encoder writes and the decoder reads back the same.
//! The check itself is `checks::cbor_round_trip` (fuzz/checks.rs), which `tests/fuzz_replay.rs` also runs
//! over this target's corpus under a normal `cargo test`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::cbor_round_trip(data));
