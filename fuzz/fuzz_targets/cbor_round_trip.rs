//! Whatever the strict decoder accepts, the encoder writes and the decoder reads back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdl_proximity::cbor::{value_from_slice, value_to_vec, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(value) = value_from_slice(data, &limits) {
        let encoded = value_to_vec(&value);
        let again = value_from_slice(&encoded, &limits).expect("our own encoding decodes");
        assert_eq!(value_to_vec(&again), encoded, "encoding is deterministic");
    }
});
