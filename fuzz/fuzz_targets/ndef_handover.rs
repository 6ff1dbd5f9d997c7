//! NDEF and Connection Handover parsing on arbitrary bytes; what parses re-encodes and re-parses.
//! The check itself is `checks::ndef_handover` (fuzz/checks.rs), which `tests/fuzz_replay.rs` also runs
//! over this target's corpus under a normal `cargo test`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::ndef_handover(data));
