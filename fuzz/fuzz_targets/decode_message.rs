//! Every 18013-5 message decoder on arbitrary bytes: a typed error or a value, never a panic.
//! The check itself is `checks::decode_message` (fuzz/checks.rs), which `tests/fuzz_replay.rs` also runs
//! over this target's corpus under a normal `cargo test`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::decode_message(data));
