//! NDEF and Connection Handover parsing on arbitrary bytes; what parses re-encodes and re-parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdl_proximity::engagement::nfc::handover::HandoverMessage;

fuzz_target!(|data: &[u8]| {
    if let Ok(h) = Handover::parse(data) {
        let _ = h.ble_carriers().count();
        let again = Handover::parse(&h.encode()).expect("our own encoding parses");
        assert_eq!(again, h);
    }
});
