//! Property test of NFC data retrieval (issue 6 item 1): any message from 1 to 100 000 bytes
//! crosses intact in both directions, for APDU sizes from short (255/256) to extended
//! (65 535/65 536), through the reader's EnvelopeInitiator and the card's TagEmulator, with the
//! wire encodings in between.
//!
//! Sizes are sampled, not enumerated: every length within ±2 of each chunk boundary (k pieces of
//! the command or response size, less each TLV header size) for k = 1..=3 and near 65 536, plus
//! a stride of 997 over 1..=100 000; 9 size pairs. That covers every branch of the chainer
//! (one piece, exact fit, one byte over, each TLV length form) in under a second or two.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use mdl_transport::NfcCarrier;
use mdl_transport_nfc::apdu::{CommandApdu, ResponseApdu};
use mdl_transport_nfc::card::{CardConfig, CardEvent, CardReply, HandoverMode, TagEmulator};
use mdl_transport_nfc::envelope::{ApduSizes, EnvelopeInitiator, Progress};
use mdl_transport_nfc::poller::select_mdoc;

const MAX: usize = 100_000;

fn sizes(command_data: usize, response_data: usize) -> ApduSizes {
    ApduSizes {
        command_data,
        response_data,
    }
}

fn lengths(s: ApduSizes) -> BTreeSet<usize> {
    let mut out: BTreeSet<usize> = (1..=MAX).step_by(997).collect();
    out.extend([
        1, 2, 126, 127, 128, 254, 255, 256, 65_535, 65_536, 65_537, MAX,
    ]);
    for chunk in [s.command_data, s.response_data] {
        for k in 1..=3usize {
            for header in 2..=5usize {
                for d in 0..=4usize {
                    let n = (k * chunk + d).saturating_sub(header + 2);
                    if (1..=MAX).contains(&n) {
                        out.insert(n);
                    }
                }
            }
        }
    }
    out
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

/// Sends `message` to the card and `answer` back; returns the APDU count.
fn cross(card: &mut TagEmulator, s: ApduSizes, message: &[u8], answer: &[u8]) -> usize {
    let mut reader = EnvelopeInitiator::new(s);
    reader.send(message).unwrap();
    let mut apdus = 0;
    loop {
        let command = reader.poll_command().unwrap();
        apdus += 1;
        let wire = command.to_bytes();
        assert!(wire.len() <= s.command_data + 9);
        let reply = match card.handle_apdu(&wire) {
            CardReply::Response(r) => r,
            CardReply::Deferred => {
                match card.poll_event() {
                    Some(CardEvent::Message(m)) => {
                        assert!(m == message, "message of {} bytes", message.len())
                    }
                    other => panic!("{other:?}"),
                }
                card.respond(Some(answer)).unwrap()
            }
        };
        let response = ResponseApdu::parse(&reply).unwrap();
        assert!(response.data.len() <= s.response_data);
        match reader.handle_response(&response).unwrap() {
            Progress::Continue => {}
            Progress::Message(m) => {
                assert!(m == answer, "answer of {} bytes", answer.len());
                return apdus;
            }
            Progress::NoMessage => panic!("no message"),
        }
    }
}

#[test]
fn every_message_size_crosses_both_ways_at_every_apdu_size() {
    let pairs = [
        sizes(255, 256),
        sizes(256, 257),
        sizes(255, 65_536),
        sizes(65_535, 256),
        sizes(1000, 1000),
        sizes(4096, 4096),
        sizes(32_767, 65_536),
        sizes(65_526, 65_533),
        sizes(65_535, 65_536),
    ];
    let mut total = 0;
    for s in pairs {
        let mut card = TagEmulator::new(CardConfig {
            device_engagement: vec![],
            carriers: vec![mdl_transport::Carrier::Nfc(NfcCarrier {
                max_command: s.command_data as u32,
                max_response: s.response_data as u32,
            })],
            mode: HandoverMode::Static,
            link_sizes: ApduSizes::EXTENDED,
        });
        let select = card.handle_apdu(&select_mdoc().to_bytes());
        assert_eq!(select, CardReply::Response(vec![0x90, 0x00]));
        let lens = lengths(s);
        for &len in &lens {
            let message = pattern(len, 0x5A);
            // Both directions at this size: the answer is the same length.
            let apdus = cross(&mut card, s, &message, &pattern(len, 0xA5));
            let header = |n: usize| match n {
                0..=0x7F => 2,
                0x80..=0xFF => 3,
                0x100..=0xFFFF => 4,
                _ => 5,
            };
            // Minimal: ceil(wrapped / Nc) ENVELOPEs plus ceil(wrapped / Ne) − 1 GET RESPONSEs.
            let wrapped = len + header(len);
            let minimum = wrapped.div_ceil(s.command_data) + wrapped.div_ceil(s.response_data) - 1;
            assert_eq!(apdus, minimum, "{s:?} len {len}");
            total += 1;
        }
    }
    assert!(total > 1000, "{total} cases");
}

#[test]
fn an_answer_without_le_comes_by_get_response() {
    let mut card = TagEmulator::new(CardConfig {
        device_engagement: vec![],
        carriers: vec![],
        mode: HandoverMode::Static,
        link_sizes: ApduSizes::SHORT,
    });
    card.handle_apdu(&select_mdoc().to_bytes());
    let env = CommandApdu::new(
        0,
        mdl_transport_nfc::apdu::Ins::ENVELOPE,
        0,
        0,
        vec![0x53, 1, 9],
        None,
    )
    .unwrap();
    assert_eq!(card.handle_apdu(&env.to_bytes()), CardReply::Deferred);
    let first = card.respond(Some(&[7; 300])).unwrap();
    // No data, 6100: everything (304 bytes) by GET RESPONSE.
    assert_eq!(first, [0x61, 0x00]);
}
