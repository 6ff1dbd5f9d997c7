//! The full inspection over candidate DeviceResponses in the Annex D session: only the genuine content may verify.
//! The check itself is `checks::verify_response` (fuzz/checks.rs), which `tests/fuzz_replay.rs` also runs
//! over this target's corpus under a normal `cargo test`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::verify_response(data));
