//! Sans-IO engagement: TagPoller (reader) against TagEmulator (holder), static and negotiated
//! handover, Annex D's Hr/Hs byte for byte, garbage APDUs.
#![allow(clippy::unwrap_used)]

mod common;

use common::{engage, transmit, vector};
use mdl_proximity::cbor::{Bstr, Tag24};
use mdl_proximity::msg::engagement::device_engagement_from_raw;
use mdl_proximity::msg::{Handover, SessionTranscript};
use mdl_transport::{BleAddress, BleCarrier, BleMode, BleUuid, Carrier, NfcCarrier};
use mdl_transport_nfc::apdu::{CommandApdu, Ins, StatusWord};
use mdl_transport_nfc::card::{CardConfig, CardEvent, HandoverMode, TagEmulator};
use mdl_transport_nfc::envelope::ApduSizes;
use mdl_transport_nfc::poller::{EngageError, PollerAction, PollerConfig, TagPoller};

fn poller(carriers: Vec<Carrier>, link: ApduSizes) -> TagPoller {
    TagPoller::new(PollerConfig {
        carriers,
        reader_engagement: None,
        collision_random: Some(0x0102),
        link_sizes: link,
        request_override: None,
    })
}

fn nfc(max_command: u32, max_response: u32) -> Carrier {
    Carrier::Nfc(NfcCarrier {
        max_command,
        max_response,
    })
}

fn card(mode: HandoverMode, carriers: Vec<Carrier>) -> TagEmulator {
    TagEmulator::new(CardConfig {
        device_engagement: vector("device_engagement_nfc"),
        carriers,
        mode,
        link_sizes: ApduSizes::EXTENDED,
    })
}

fn engaged_event(events: &[CardEvent]) -> &mdl_transport_nfc::card::CardEngagement {
    let engaged: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            CardEvent::Engaged(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(engaged.len(), 1, "{events:?}");
    engaged[0]
}

#[test]
fn annex_d_negotiated_handover_byte_for_byte() {
    // The holder of Annex D: BLE central client mode at 28:28:37:8b:12:28.
    let ble = Carrier::Ble(BleCarrier {
        mode: BleMode::CentralClient,
        service_uuid: None,
        address: Some(BleAddress([0x28, 0x28, 0x37, 0x8b, 0x12, 0x28])),
        psm: None,
    });
    let mut card = card(HandoverMode::Negotiated, vec![ble]);
    let mut poller = TagPoller::new(PollerConfig {
        carriers: vec![],
        reader_engagement: None,
        collision_random: None,
        link_sizes: ApduSizes::SHORT,
        request_override: Some(vector("nfc_handover_request")),
    });
    let (reader, events, _) = engage(&mut poller, &mut card);
    let expected = Handover::NfcNegotiated {
        select: Bstr(vector("nfc_handover_select")),
        request: Bstr(vector("nfc_handover_request")),
    };
    assert_eq!(reader.handover, expected);
    let holder = engaged_event(&events);
    assert_eq!(holder.handover, expected);
    // The holder takes the reader's UUID for central client mode.
    let uuid: [u8; 16] = vector("ble_uuid_handover_request").try_into().unwrap();
    assert_eq!(
        holder.carriers,
        vec![Carrier::Ble(BleCarrier {
            mode: BleMode::CentralClient,
            service_uuid: Some(BleUuid(uuid)),
            address: Some(BleAddress([0x28, 0x28, 0x37, 0x8b, 0x12, 0x28])),
            psm: None,
        })]
    );
    // The SessionTranscript built from the exchanged bytes is Annex D's.
    let transcript = SessionTranscript {
        device_engagement: reader.device_engagement.clone(),
        e_reader_key: Tag24::from_bytes(
            // e_reader_key_bytes is the tagged form d818 58 4b ...: strip the tag and header.
            vector("e_reader_key_bytes")[4..].to_vec(),
        )
        .unwrap(),
        handover: reader.handover,
    };
    assert_eq!(transcript.to_bytes(), vector("session_transcript"));
}

#[test]
fn static_handover_lists_every_carrier() {
    let ble = Carrier::Ble(BleCarrier {
        mode: BleMode::PeripheralServer,
        service_uuid: Some(BleUuid([9; 16])),
        address: None,
        psm: Some(0x81),
    });
    let offered = vec![nfc(0xFFFF, 0x10000), ble];
    let mut card = card(HandoverMode::Static, offered.clone());
    let mut poller = poller(vec![], ApduSizes::SHORT);
    let (reader, events, commands) = engage(&mut poller, &mut card);
    let Handover::NfcStatic { select } = &reader.handover else {
        panic!("static expected: {:?}", reader.handover)
    };
    assert_eq!(engaged_event(&events).handover, reader.handover);
    assert_eq!(reader.carriers, offered);
    assert_eq!(
        reader.device_engagement,
        device_engagement_from_raw(vector("device_engagement_nfc")).unwrap()
    );
    // Read in short READ BINARYs: SELECT app, SELECT CC, READ CC, SELECT NDEF, READ NLEN, then
    // the message in 256-byte pieces, nothing written.
    let reads = select.0.len().div_ceil(256);
    assert_eq!(commands.len(), 5 + reads);
    assert!(commands.iter().all(|c| c.ins() != Ins::UPDATE_BINARY));
    assert!(commands.iter().all(|c| !c.is_extended()));
}

#[test]
fn negotiated_handover_selects_the_readers_first_common_carrier() {
    let reader_ble = Carrier::Ble(BleCarrier {
        mode: BleMode::CentralClient,
        service_uuid: Some(BleUuid([3; 16])),
        address: None,
        psm: None,
    });
    let holder_ble = Carrier::Ble(BleCarrier {
        mode: BleMode::CentralClient,
        service_uuid: None,
        address: None,
        psm: None,
    });
    let mut card = card(HandoverMode::Negotiated, vec![nfc(1000, 2000), holder_ble]);
    let mut poller = TagPoller::new(PollerConfig {
        carriers: vec![reader_ble, nfc(255, 256)],
        reader_engagement: Some(vec![0xA1, 0x00, 0x63, b'1', b'.', b'0']),
        collision_random: Some(7),
        link_sizes: ApduSizes::EXTENDED,
        request_override: None,
    });
    let (reader, events, _) = engage(&mut poller, &mut card);
    let holder = engaged_event(&events);
    assert_eq!(holder.handover, reader.handover);
    assert_eq!(
        holder.reader_engagement.as_deref(),
        Some(&[0xA1, 0x00, 0x63, b'1', b'.', b'0'][..])
    );
    // BLE central client comes first in the Hr: chosen, with the reader's UUID on both sides.
    let expected = Carrier::Ble(BleCarrier {
        mode: BleMode::CentralClient,
        service_uuid: Some(BleUuid([3; 16])),
        address: None,
        psm: None,
    });
    assert_eq!(holder.carriers, vec![expected.clone()]);
    assert_eq!(reader.carriers, vec![expected]);
    let Handover::NfcNegotiated { select, request } = &reader.handover else {
        panic!("negotiated expected")
    };
    assert!(
        select.0.windows(16).all(|w| w != [3; 16]),
        "no UUID in the Hs"
    );
    assert!(
        request.0.windows(16).any(|w| w == [3; 16]),
        "UUID in the Hr"
    );
}

#[test]
fn negotiated_handover_with_nfc_when_the_holder_has_no_ble() {
    let mut card = card(HandoverMode::Negotiated, vec![nfc(0xFFFF, 0x10000)]);
    let reader_ble = Carrier::Ble(BleCarrier {
        mode: BleMode::PeripheralServer,
        service_uuid: None,
        address: None,
        psm: None,
    });
    let mut poller = poller(vec![reader_ble, nfc(255, 256)], ApduSizes::SHORT);
    let (reader, events, commands) = engage(&mut poller, &mut card);
    assert_eq!(engaged_event(&events).carriers, vec![nfc(0xFFFF, 0x10000)]);
    assert_eq!(reader.carriers, vec![nfc(0xFFFF, 0x10000)]);
    // Short link: every command fits a PN53x frame.
    assert!(commands.iter().all(|c| c.to_bytes().len() <= 261));
}

#[test]
fn a_tag_without_handover_is_an_error() {
    let mut card = TagEmulator::new(CardConfig {
        device_engagement: vec![],
        carriers: vec![],
        mode: HandoverMode::Static,
        link_sizes: ApduSizes::SHORT,
    });
    // The DeviceEngagement is empty CBOR: the reader refuses it.
    let mut poller = poller(vec![], ApduSizes::SHORT);
    let mut events = Vec::new();
    let err = loop {
        match poller.poll_action() {
            Ok(Some(PollerAction::Transmit(c))) => {
                let r = transmit(&mut card, &c, &mut events);
                if let Err(e) = poller.handle_response(&r) {
                    break e;
                }
            }
            Ok(other) => panic!("{other:?}"),
            Err(e) => break e,
        }
    };
    assert!(matches!(err, EngageError::DeviceEngagement(_)), "{err}");
}

fn sw(card: &mut TagEmulator, bytes: &[u8]) -> StatusWord {
    match card.handle_apdu(bytes) {
        mdl_transport_nfc::card::CardReply::Response(r) => {
            StatusWord(u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]]))
        }
        mdl_transport_nfc::card::CardReply::Deferred => panic!("deferred"),
    }
}

#[test]
fn garbage_apdus_get_the_right_status_and_the_card_keeps_serving() {
    let mut card = card(HandoverMode::Negotiated, vec![nfc(255, 256)]);
    // Unknown AID → 6A82; unknown INS → 6D00; bad lengths → 6700; bad CLA → 6E00.
    assert_eq!(
        sw(&mut card, &[0, 0xA4, 4, 0, 3, 1, 2, 3]),
        StatusWord::FILE_NOT_FOUND
    );
    assert_eq!(
        sw(&mut card, &[0, 0x12, 0, 0]),
        StatusWord::INS_NOT_SUPPORTED
    );
    assert_eq!(sw(&mut card, &[0, 0xA4, 4]), StatusWord::WRONG_LENGTH);
    assert_eq!(
        sw(&mut card, &[0, 0xA4, 4, 0, 9, 1]),
        StatusWord::WRONG_LENGTH
    );
    assert_eq!(
        sw(&mut card, &[0x80, 0xA4, 4, 0, 1, 1]),
        StatusWord::CLA_NOT_SUPPORTED
    );
    // READ BINARY with nothing selected; ENVELOPE outside the mdoc application.
    assert_eq!(
        sw(&mut card, &[0, 0xB0, 0, 0, 2]),
        StatusWord::CONDITIONS_NOT_SATISFIED
    );
    assert_eq!(
        sw(&mut card, &[0, 0xC3, 0, 0, 2, 0x53, 0, 0]),
        StatusWord::CONDITIONS_NOT_SATISFIED
    );
    // Select the NDEF app, then an unknown file; a read past the end; an update of the CC.
    assert_eq!(
        sw(
            &mut card,
            &[0, 0xA4, 4, 0, 7, 0xD2, 0x76, 0, 0, 0x85, 1, 1, 0]
        ),
        StatusWord::OK
    );
    assert_eq!(
        sw(&mut card, &[0, 0xA4, 0, 0x0C, 2, 0xE1, 0x05]),
        StatusWord::FILE_NOT_FOUND
    );
    assert_eq!(
        sw(&mut card, &[0, 0xA4, 0, 0x0C, 2, 0xE1, 0x03]),
        StatusWord::OK
    );
    assert_eq!(
        sw(&mut card, &[0, 0xB0, 0, 0x20, 1]),
        StatusWord::WRONG_OFFSET
    );
    assert_eq!(
        sw(&mut card, &[0, 0xD6, 0, 0, 1, 0]),
        StatusWord::CONDITIONS_NOT_SATISFIED
    );
    // Writing a non-handover message: TNEP status error, not a crash.
    assert_eq!(
        sw(&mut card, &[0, 0xA4, 0, 0x0C, 2, 0xE1, 0x04]),
        StatusWord::OK
    );
    assert_eq!(
        sw(&mut card, &[0, 0xD6, 0, 0, 4, 0, 2, 0xFF, 0xFF]),
        StatusWord::OK
    );
    assert!(matches!(card.poll_event(), Some(CardEvent::PeerError(_))));
    // The mdoc application: a garbage ENVELOPE → 6F00, then a good one is served.
    assert_eq!(
        sw(&mut card, &[0, 0xA4, 4, 0, 7, 0xA0, 0, 0, 2, 0x48, 4, 0]),
        StatusWord::OK
    );
    assert_eq!(
        sw(&mut card, &[0, 0xC3, 0, 0, 2, 0x99, 0, 0]),
        StatusWord::NO_PRECISE_DIAGNOSIS
    );
    let good = CommandApdu::new(0, Ins::ENVELOPE, 0, 0, vec![0x53, 1, 0x42], Some(256)).unwrap();
    assert_eq!(
        card.handle_apdu(&good.to_bytes()),
        mdl_transport_nfc::card::CardReply::Deferred
    );
    assert_eq!(card.poll_event(), Some(CardEvent::Message(vec![0x42])));
    assert_eq!(
        card.respond(Some(b"ok")).unwrap(),
        [0x53, 2, b'o', b'k', 0x90, 0x00]
    );
}

#[test]
fn every_byte_sequence_gets_an_answer() {
    // A cheap deterministic sweep (the fuzz target goes further): short garbage never panics
    // and never defers outside the mdoc application.
    let mut card = card(HandoverMode::Negotiated, vec![nfc(255, 256)]);
    let mut x: u32 = 1;
    for len in 0..64usize {
        for _ in 0..200 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            let _ = card.handle_apdu(&bytes);
            while card.poll_event().is_some() {}
            if card.is_deferred() {
                card.respond(None).unwrap();
            }
        }
    }
}
