//! The reader's side (`TagPoller` for engagement, then `EnvelopeInitiator` for a message)
//! fed arbitrary R-APDUs. Input: repeated `[len: u16 BE][R-APDU]`. Errors are fine; panics,
//! hangs and unbounded growth are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mdl_transport::{Carrier, NfcCarrier};
use mdl_transport_nfc::apdu::ResponseApdu;
use mdl_transport_nfc::envelope::{ApduSizes, EnvelopeInitiator, Progress};
use mdl_transport_nfc::poller::{PollerAction, PollerConfig, TagPoller};

fuzz_target!(|data: &[u8]| {
    let mut responses = Vec::new();
    let mut rest = data;
    while let Some((len, tail)) = rest.split_first_chunk::<2>() {
        let len = usize::from(u16::from_be_bytes(*len)).min(tail.len());
        let (r, tail) = tail.split_at(len);
        responses.push(r);
        rest = tail;
    }
    let mut responses = responses.into_iter();
    let mut poller = TagPoller::new(PollerConfig {
        carriers: vec![Carrier::Nfc(NfcCarrier {
            max_command: 255,
            max_response: 256,
        })],
        reader_engagement: Some(vec![0xA1, 0x00, 0x63, b'1', b'.', b'0']),
        collision_random: Some(1),
        link_sizes: ApduSizes::SHORT,
        request_override: None,
    });
    loop {
        match poller.poll_action() {
            Ok(Some(PollerAction::Transmit(_))) => {
                let Some(r) = responses.next() else { return };
                let Ok(r) = ResponseApdu::parse(r) else { return };
                if poller.handle_response(&r).is_err() {
                    break;
                }
            }
            Ok(Some(PollerAction::Wait(_))) => {}
            Ok(Some(PollerAction::Engaged(_))) => break,
            Ok(None) | Err(_) => break,
        }
    }
    // Whatever is left answers an ENVELOPE exchange.
    let mut envelope = EnvelopeInitiator::new(ApduSizes::SHORT).with_max_message(1 << 20);
    envelope.send(&[0x53; 600]).expect("idle");
    while envelope.poll_command().is_some() {
        let Some(r) = responses.next() else { return };
        let Ok(r) = ResponseApdu::parse(r) else { return };
        match envelope.handle_response(&r) {
            Ok(Progress::Continue) => {}
            Ok(_) | Err(_) => return,
        }
    }
});
