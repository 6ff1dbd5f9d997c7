//! The BLE L2CAP length-prefix framing on arbitrary input, fed in two pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdl_transport_ble::l2cap::{parse_psm, L2capCodec};

fuzz_target!(|data: &[u8]| {
    let _ = parse_psm(data);
    let split = data.first().map_or(0, |b| usize::from(*b) % (data.len() + 1));
    let mut codec = L2capCodec::new(1 << 20);
    codec.handle_bytes(&data[..split]);
    codec.handle_bytes(&data[split..]);
    while let Ok(Some(_)) = codec.poll_message() {}
});
