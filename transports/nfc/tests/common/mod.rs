//! Shared by the sans-IO tests: Annex D vectors and a poller ↔ emulator pump.
#![allow(dead_code, clippy::unwrap_used, unreachable_pub)]

use mdl_transport_nfc::apdu::{CommandApdu, ResponseApdu};
use mdl_transport_nfc::card::{CardEvent, CardReply, TagEmulator};
use mdl_transport_nfc::poller::{NfcEngagement, PollerAction, TagPoller};

pub fn vector(name: &str) -> Vec<u8> {
    let json: serde_json::Value =
        serde_json::from_str(include_str!("../../../../tests/data/annex-d.json")).unwrap();
    hex::decode(json[name]["hex"].as_str().unwrap()).unwrap()
}

/// One C-APDU through the card, with the wire encodings in between; the card's answer (a
/// deferred one is not expected during engagement).
pub fn transmit(
    card: &mut TagEmulator,
    command: &CommandApdu,
    events: &mut Vec<CardEvent>,
) -> ResponseApdu {
    let reply = card.handle_apdu(&command.to_bytes());
    while let Some(e) = card.poll_event() {
        events.push(e);
    }
    match reply {
        CardReply::Response(r) => ResponseApdu::parse(&r).unwrap(),
        CardReply::Deferred => panic!("deferred during engagement"),
    }
}

/// Runs engagement to the end; returns the reader's result, the card's events and the APDUs.
pub fn engage(
    poller: &mut TagPoller,
    card: &mut TagEmulator,
) -> (NfcEngagement, Vec<CardEvent>, Vec<CommandApdu>) {
    let mut events = Vec::new();
    let mut commands = Vec::new();
    loop {
        match poller.poll_action().unwrap().expect("an action is due") {
            PollerAction::Transmit(c) => {
                let r = transmit(card, &c, &mut events);
                commands.push(c);
                poller.handle_response(&r).unwrap();
            }
            PollerAction::Wait(_) => {}
            PollerAction::Engaged(e) => return (*e, events, commands),
        }
    }
}
