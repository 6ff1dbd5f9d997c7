//! The TCP transport's GmDL framing on arbitrary input, fed in two pieces.
//! The check itself is `checks::gmdl_codec` (fuzz/checks.rs), which `tests/fuzz_replay.rs` also runs
//! over this target's corpus under a normal `cargo test`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::gmdl_codec(data));
