//! A holder session (Annex D keys and engagement) fed arbitrary messages: no panic, and its
//! The check itself is `checks::holder_session` (fuzz/checks.rs), which `tests/fuzz_replay.rs` also runs
//! over this target's corpus under a normal `cargo test`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::holder_session(data));
