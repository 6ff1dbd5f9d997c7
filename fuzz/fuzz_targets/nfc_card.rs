//! The holder's Type 4 Tag (`TagEmulator`, negotiated handover, NFC data retrieval) fed a
//! sequence of arbitrary C-APDUs. Input: repeated `[len: u16 BE][C-APDU]`. Every APDU must get
//! an answer (a status word, or a deferral answered next), never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdl_transport::{Carrier, NfcCarrier};
use mdl_transport_nfc::card::{CardConfig, CardReply, HandoverMode, TagEmulator};
use mdl_transport_nfc::envelope::ApduSizes;

fuzz_target!(|data: &[u8]| {
    let mut card = TagEmulator::new(CardConfig {
        device_engagement: vec![0xA0],
        carriers: vec![Carrier::Nfc(NfcCarrier {
            max_command: 1000,
            max_response: 300,
        })],
        mode: if data.first().is_some_and(|b| b & 1 == 1) {
            HandoverMode::Static
        } else {
            HandoverMode::Negotiated
        },
        link_sizes: ApduSizes::EXTENDED,
    });
    let mut rest = data.get(1..).unwrap_or_default();
    while let Some((len, tail)) = rest.split_first_chunk::<2>() {
        let len = usize::from(u16::from_be_bytes(*len)).min(tail.len());
        let (apdu, tail) = tail.split_at(len);
        rest = tail;
        match card.handle_apdu(apdu) {
            CardReply::Response(r) => assert!(r.len() >= 2),
            CardReply::Deferred => {
                let r = card.respond(Some(apdu)).expect("a deferral is pending");
                assert!(r.len() >= 2);
            }
        }
        while card.poll_event().is_some() {}
    }
});
