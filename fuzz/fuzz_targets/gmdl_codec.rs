//! The TCP transport's GmDL framing on arbitrary input, fed in two pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdl_transport_mock::GmdlCodec;

fuzz_target!(|data: &[u8]| {
    let split = data
        .first()
        .map_or(0, |b| usize::from(*b) % (data.len() + 1));
    let mut codec = GmdlCodec::new(1 << 20);
    codec.handle_bytes(&data[..split]);
    codec.handle_bytes(&data[split..]);
    while let Ok(Some(_)) = codec.poll_message() {}
});
