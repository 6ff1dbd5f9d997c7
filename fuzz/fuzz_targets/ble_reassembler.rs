//! The BLE GATT chunk reassembler on arbitrary chunks: each input byte `n` starts a chunk of
//! the next `n % 600` bytes (so chunks beyond the 512-byte attribute limit occur too).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdl_transport_ble::chunk::{chunks, Reassembler};

fuzz_target!(|data: &[u8]| {
    let mut r = Reassembler::new(1 << 16);
    let mut rest = data;
    while let Some((&n, tail)) = rest.split_first() {
        let len = (usize::from(n) * 3 % 600).min(tail.len());
        let (chunk, tail) = tail.split_at(len);
        let _ = r.handle_chunk(chunk);
        rest = tail;
    }
    while let Ok(Some(message)) = r.poll_message() {
        // What reassembles must chunk and reassemble to itself at the smallest MTU.
        let mut again = Reassembler::new(1 << 16);
        for c in chunks(&message, 23) {
            assert!(again.handle_chunk(&c).is_ok());
        }
        assert_eq!(again.poll_message(), Ok(Some(message)));
    }
});
