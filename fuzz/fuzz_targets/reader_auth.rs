//! readerAuth verification over candidate DeviceRequests in the Annex D session: only the genuine ItemsRequest may authenticate.
//! The check itself is `checks::reader_auth` (fuzz/checks.rs), which `tests/fuzz_replay.rs` also runs
//! over this target's corpus under a normal `cargo test`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::reader_auth(data));
