//! A holder session (Annex D keys and engagement) fed arbitrary messages: no panic, and its
//! outputs always drain.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use mdl_proximity::cbor::Tag24;
use mdl_proximity::crypto::{Curve, EphemeralPrivateKey};
use mdl_proximity::msg::{DeviceEngagement, Handover};
use mdl_proximity::session::{HolderConfig, HolderSession, Input, Output, Session};

fuzz_target!(|data: &[u8]| {
    let key = EphemeralPrivateKey::from_bytes(Curve::P256, &[0x11; 32]).expect("valid scalar");
    let engagement = Tag24::new(DeviceEngagement::new(
        key.public_key().expect("public key"),
        vec![],
    ));
    let now = Instant::now();
    let mut holder =
        HolderSession::new(HolderConfig::default(), key, engagement, Handover::Qr, now)
            .expect("session");
    // Split the input into up to three messages at its first two bytes.
    let mut rest = data;
    for _ in 0..3 {
        let n = rest.first().map_or(0, |b| usize::from(*b)).min(rest.len());
        let (msg, tail) = rest.split_at(n);
        holder.handle_input(Input::Message(now, msg));
        while let Output::Transmit(_) | Output::Event(_) = holder.poll_output() {}
        rest = tail;
    }
});
