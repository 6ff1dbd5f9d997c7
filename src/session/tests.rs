//! Sessions driven as a pair on a virtual clock: no transport, no sleeps.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::disallowed_methods)] // an application stand-in: it may read the clock and files

use std::time::{Duration, Instant};

use crate::cbor::{self, Tag24};
use crate::crypto::tests::util::TestRng;
use crate::crypto::{Curve, EphemeralPrivateKey};
use crate::msg::{
    DeviceEngagement, DeviceRequest, DeviceResponse, Handover, ResponseStatus, SessionData,
    SessionStatus,
};

use super::*;

fn engagement_for(key: &EphemeralPrivateKey) -> crate::msg::DeviceEngagementBytes {
    Tag24::new(DeviceEngagement::new(key.public_key().unwrap(), vec![]))
}

struct Pair {
    holder: HolderSession,
    reader: ReaderSession,
    now: Instant,
    holder_events: Vec<HolderEvent>,
    reader_events: Vec<ReaderEvent>,
    to_holder: Vec<Vec<u8>>,
    to_reader: Vec<Vec<u8>>,
}

impl Pair {
    fn new(curve: Curve, seed: u64) -> Self {
        let mut rng = TestRng::new(seed);
        let now = Instant::now();
        let e_device_key = EphemeralPrivateKey::generate(curve, &mut rng).unwrap();
        let engagement = engagement_for(&e_device_key);
        let holder = HolderSession::new(
            HolderConfig::default(),
            e_device_key,
            engagement.clone(),
            Handover::Qr,
            now,
        )
        .unwrap();
        let e_reader_key = ReaderSession::generate_key(&engagement, &mut rng).unwrap();
        let reader = ReaderSession::new(
            ReaderConfig::default(),
            e_reader_key,
            engagement,
            Handover::Qr,
            now,
        )
        .unwrap();
        Self {
            holder,
            reader,
            now,
            holder_events: vec![],
            reader_events: vec![],
            to_holder: vec![],
            to_reader: vec![],
        }
    }

    /// Drains both sides' outputs into the queues and event lists.
    fn drain(&mut self) {
        loop {
            match self.holder.poll_output() {
                Output::Transmit(b) => self.to_reader.push(b),
                Output::Event(e) => self.holder_events.push(e),
                Output::Timeout(_) | Output::Done => break,
            }
        }
        loop {
            match self.reader.poll_output() {
                Output::Transmit(b) => self.to_holder.push(b),
                Output::Event(e) => self.reader_events.push(e),
                Output::Timeout(_) | Output::Done => break,
            }
        }
    }

    /// Delivers all queued messages both ways until quiet.
    fn deliver(&mut self) {
        self.drain();
        while !self.to_holder.is_empty() || !self.to_reader.is_empty() {
            for m in std::mem::take(&mut self.to_holder) {
                self.holder.handle_input(Input::Message(self.now, &m));
            }
            for m in std::mem::take(&mut self.to_reader) {
                self.reader.handle_input(Input::Message(self.now, &m));
            }
            self.drain();
        }
    }

    fn take_request(&mut self) -> RequestReceived {
        let idx = self
            .holder_events
            .iter()
            .position(|e| matches!(e, HolderEvent::Request(_)))
            .expect("a request event");
        match self.holder_events.remove(idx) {
            HolderEvent::Request(r) => *r,
            _ => unreachable!(),
        }
    }

    fn take_response(&mut self) -> ResponseReceived {
        let idx = self
            .reader_events
            .iter()
            .position(|e| matches!(e, ReaderEvent::Response(_)))
            .expect("a response event");
        match self.reader_events.remove(idx) {
            ReaderEvent::Response(r) => *r,
            _ => unreachable!(),
        }
    }

    fn holder_closed(&self) -> Option<&CloseReason> {
        self.holder_events.iter().find_map(|e| match e {
            HolderEvent::Closed(r) => Some(r),
            _ => None,
        })
    }

    fn reader_closed(&self) -> Option<&CloseReason> {
        self.reader_events.iter().find_map(|e| match e {
            ReaderEvent::Closed(r) => Some(r),
            _ => None,
        })
    }
}

fn sample_request(element: &str) -> DeviceRequest {
    let bytes = {
        // {"version": "1.0", "docRequests": [{"itemsRequest": 24(<<{"docType": .., "nameSpaces": {..}}>>)}]}
        use crate::cbor::{MapBuilder, Value};
        let items = MapBuilder::new()
            .field("docType", &"org.iso.18013.5.1.mDL".to_owned())
            .raw(
                "nameSpaces",
                Value::Map(vec![(
                    Value::Text("org.iso.18013.5.1".into()),
                    Value::Map(vec![(Value::Text(element.into()), Value::Bool(false))]),
                )]),
            )
            .build();
        let items = cbor::value_to_vec(&items);
        let doc = MapBuilder::new()
            .raw(
                "itemsRequest",
                Value::Tag(24, Box::new(Value::Bytes(items))),
            )
            .build();
        cbor::value_to_vec(
            &MapBuilder::new()
                .field("version", &"1.0".to_owned())
                .raw("docRequests", Value::Array(vec![doc]))
                .build(),
        )
    };
    cbor::from_slice(&bytes).unwrap()
}

fn ok_response() -> DeviceResponse {
    DeviceResponse::error(ResponseStatus::OK)
}

#[test]
fn full_exchange_on_every_curve() {
    for (i, curve) in Curve::KEY_AGREEMENT.into_iter().enumerate() {
        if cfg!(not(feature = "openssl"))
            && matches!(curve, Curve::BRAINPOOL_P320R1 | Curve::BRAINPOOL_P512R1)
        {
            continue;
        }
        let mut p = Pair::new(curve, i as u64);
        let request = sample_request("family_name");
        p.reader.request(p.now, &request).unwrap();
        p.deliver();
        assert!(
            matches!(p.holder_events.first(), Some(HolderEvent::Established)),
            "{curve}"
        );
        let got = p.take_request();
        assert_eq!(got.request, request, "{curve}");
        p.holder.respond(p.now, &ok_response()).unwrap();
        p.deliver();
        let resp = p.take_response();
        assert_eq!(resp.response.unwrap(), ok_response(), "{curve}");
        // The transcript both sides computed is the same.
        assert_eq!(
            p.holder.transcript().unwrap().tagged_bytes(),
            p.reader.transcript().tagged_bytes(),
            "{curve}"
        );
    }
}

#[test]
fn multiple_rounds_then_reader_terminates_with_status_20() {
    let mut p = Pair::new(Curve::P256, 7);
    for round in 0..3 {
        p.reader
            .request(p.now, &sample_request(&format!("e{round}")))
            .unwrap();
        p.deliver();
        let req = p.take_request();
        assert_eq!(req.request, sample_request(&format!("e{round}")));
        p.holder.respond(p.now, &ok_response()).unwrap();
        p.deliver();
        p.take_response();
    }
    p.reader.terminate(p.now, Termination::Status);
    p.deliver();
    assert!(matches!(p.reader_closed(), Some(CloseReason::Terminated)));
    assert!(matches!(
        p.holder_closed(),
        Some(CloseReason::PeerStatus(SessionStatus::SESSION_TERMINATION))
    ));
    assert!(p.holder.is_closed() && p.reader.is_closed());
    assert!(matches!(p.holder.poll_output(), Output::Done));
}

#[test]
fn holder_terminates_with_status_20() {
    let mut p = Pair::new(Curve::P256, 8);
    p.reader.request(p.now, &sample_request("x")).unwrap();
    p.deliver();
    p.holder.terminate(p.now);
    p.deliver();
    assert!(matches!(p.holder_closed(), Some(CloseReason::Terminated)));
    assert!(matches!(
        p.reader_closed(),
        Some(CloseReason::PeerStatus(SessionStatus::SESSION_TERMINATION))
    ));
}

#[test]
fn respond_and_terminate_sends_data_and_status_together() {
    let mut p = Pair::new(Curve::P256, 9);
    p.reader.request(p.now, &sample_request("x")).unwrap();
    p.deliver();
    p.holder
        .respond_and_terminate(p.now, &ok_response())
        .unwrap();
    p.drain();
    assert_eq!(p.to_reader.len(), 1, "one message carries both");
    let msg: SessionData = cbor::from_slice(&p.to_reader[0]).unwrap();
    assert!(msg.data().is_some());
    assert_eq!(msg.status(), Some(SessionStatus::SESSION_TERMINATION));
    p.deliver();
    assert!(p.take_response().response.is_ok());
    assert!(matches!(
        p.reader_closed(),
        Some(CloseReason::PeerStatus(SessionStatus::SESSION_TERMINATION))
    ));
}

#[test]
fn tampered_establishment_gets_status_10_and_closes() {
    let mut p = Pair::new(Curve::P256, 10);
    p.reader.request(p.now, &sample_request("x")).unwrap();
    p.drain();
    let mut msg = p.to_holder.pop().unwrap();
    let last = msg.len() - 1;
    msg[last] ^= 0x01; // inside the GCM tag
    p.holder.handle_input(Input::Message(p.now, &msg));
    p.drain();
    let sent: SessionData = cbor::from_slice(&p.to_reader[0]).unwrap();
    assert_eq!(sent.status(), Some(SessionStatus::ENCRYPTION_ERROR));
    assert!(sent.data().is_none());
    assert!(matches!(
        p.holder_closed(),
        Some(CloseReason::Failed(SessionError::Decrypt(_)))
    ));
    p.deliver();
    assert!(matches!(
        p.reader_closed(),
        Some(CloseReason::PeerStatus(SessionStatus::ENCRYPTION_ERROR))
    ));
}

#[test]
fn replayed_message_fails_to_decrypt() {
    let mut p = Pair::new(Curve::P256, 11);
    p.reader.request(p.now, &sample_request("x")).unwrap();
    p.deliver();
    p.take_request();
    p.reader.request(p.now, &sample_request("y")).unwrap();
    p.drain();
    let second = p.to_holder[0].clone();
    p.deliver();
    p.take_request();
    p.holder.handle_input(Input::Message(p.now, &second)); // the same SessionData again
    p.drain();
    assert!(matches!(
        p.holder_closed(),
        Some(CloseReason::Failed(SessionError::Decrypt(_)))
    ));
}

#[test]
fn undecodable_session_message_gets_status_11() {
    let mut p = Pair::new(Curve::P256, 12);
    p.holder.handle_input(Input::Message(p.now, &[0xa1, 0x01])); // truncated map
    p.drain();
    let sent: SessionData = cbor::from_slice(&p.to_reader[0]).unwrap();
    assert_eq!(sent.status(), Some(SessionStatus::DECODING_ERROR));
    assert!(matches!(
        p.holder_closed(),
        Some(CloseReason::Failed(SessionError::InvalidMessage(_)))
    ));
}

#[test]
fn reader_gets_status_11_for_garbage() {
    let mut p = Pair::new(Curve::P256, 13);
    p.reader.request(p.now, &sample_request("x")).unwrap();
    p.drain();
    p.reader
        .handle_input(Input::Message(p.now, b"not cbor at all"));
    p.drain();
    let sent: SessionData = cbor::from_slice(p.to_holder.last().unwrap()).unwrap();
    assert_eq!(sent.status(), Some(SessionStatus::DECODING_ERROR));
    assert!(matches!(
        p.reader_closed(),
        Some(CloseReason::Failed(SessionError::InvalidMessage(_)))
    ));
    // The holder receives the status and closes without replying.
    p.deliver();
    assert!(matches!(
        p.holder_closed(),
        Some(CloseReason::PeerStatus(SessionStatus::DECODING_ERROR))
    ));
    assert!(p.to_reader.is_empty());
}

#[test]
fn request_that_is_not_cbor_gets_response_status_11_and_session_continues() {
    let mut p = Pair::new(Curve::P256, 14);
    p.reader.request_bytes(p.now, &[0xff, 0x00]).unwrap();
    p.deliver();
    assert!(p
        .holder_events
        .iter()
        .any(|e| matches!(e, HolderEvent::RequestRejected(_))));
    let resp = p.take_response().response.unwrap();
    assert_eq!(resp.status, ResponseStatus::CBOR_DECODING_ERROR);
    assert!(resp.documents.is_none());
    // Still open: a good request works.
    p.reader.request(p.now, &sample_request("x")).unwrap();
    p.deliver();
    p.take_request();
    assert!(!p.holder.is_closed());
}

#[test]
fn request_of_wrong_shape_gets_response_status_12() {
    let mut p = Pair::new(Curve::P256, 15);
    p.reader
        .request_bytes(
            p.now,
            &cbor::value_to_vec(&crate::cbor::Value::Array(vec![])),
        )
        .unwrap();
    p.deliver();
    assert_eq!(
        p.take_response().response.unwrap().status,
        ResponseStatus::CBOR_VALIDATION_ERROR
    );
}

#[test]
fn holder_times_out_waiting_for_establishment() {
    let mut p = Pair::new(Curve::P256, 16);
    let Output::Timeout(deadline) = p.holder.poll_output() else {
        panic!("a deadline")
    };
    assert_eq!(deadline, p.now + Timeouts::DEFAULT_ESTABLISHMENT);
    p.holder
        .handle_input(Input::Timeout(deadline - Duration::from_millis(1)));
    assert!(!p.holder.is_closed());
    p.holder.handle_input(Input::Timeout(deadline));
    p.drain();
    assert!(
        p.to_reader.is_empty(),
        "no session keys yet: an establishment time-out sends nothing, not status 20"
    );
    assert!(matches!(
        p.holder_closed(),
        Some(CloseReason::Failed(SessionError::TimedOut))
    ));
}

#[test]
fn inactivity_deadline_moves_with_traffic() {
    let mut p = Pair::new(Curve::P256, 17);
    p.reader.request(p.now, &sample_request("x")).unwrap();
    p.deliver();
    p.now += Duration::from_secs(200);
    p.holder.respond(p.now, &ok_response()).unwrap();
    p.deliver();
    let Output::Timeout(deadline) = p.holder.poll_output() else {
        panic!("a deadline")
    };
    assert_eq!(deadline, p.now + Timeouts::DEFAULT_INACTIVITY);
    p.holder.handle_input(Input::Timeout(deadline));
    p.drain();
    let sent: SessionData = cbor::from_slice(p.to_reader.last().unwrap()).unwrap();
    assert_eq!(
        sent.status(),
        Some(SessionStatus::SESSION_TERMINATION),
        "best-effort status 20"
    );
    assert!(matches!(
        p.holder_closed(),
        Some(CloseReason::Failed(SessionError::TimedOut))
    ));
}

#[test]
fn reader_times_out_waiting_for_response() {
    let mut p = Pair::new(Curve::P256, 18);
    p.reader.request(p.now, &sample_request("x")).unwrap();
    p.drain();
    p.reader
        .handle_input(Input::Timeout(p.now + Timeouts::DEFAULT_INACTIVITY));
    p.drain();
    assert!(matches!(
        p.reader_closed(),
        Some(CloseReason::Failed(SessionError::TimedOut))
    ));
}

#[test]
fn transport_end_and_loss_close_without_sending() {
    let mut p = Pair::new(Curve::P256, 19);
    p.holder.handle_input(Input::TransportEnded(p.now));
    p.reader.handle_input(Input::TransportLost(
        p.now,
        Some(mdl_transport::TransportError::LinkLost),
    ));
    p.drain();
    assert!(p.to_holder.is_empty() && p.to_reader.is_empty());
    assert!(matches!(
        p.holder_closed(),
        Some(CloseReason::TransportEnded)
    ));
    assert!(matches!(
        p.reader_closed(),
        Some(CloseReason::TransportLost(Some(
            mdl_transport::TransportError::LinkLost
        )))
    ));
}

#[test]
fn commands_in_the_wrong_state_are_refused() {
    let mut p = Pair::new(Curve::P256, 20);
    assert!(matches!(
        p.holder.respond(p.now, &ok_response()),
        Err(CommandError::NotEstablished)
    ));
    p.holder.terminate(p.now);
    assert!(matches!(
        p.holder.respond(p.now, &ok_response()),
        Err(CommandError::Closed)
    ));
    p.reader.terminate(p.now, Termination::Transport);
    p.drain();
    assert!(
        p.to_holder.is_empty(),
        "transport termination sends nothing"
    );
    assert!(matches!(
        p.reader.request(p.now, &sample_request("x")),
        Err(CommandError::Closed)
    ));
}

#[test]
fn reader_key_on_another_curve_is_rejected() {
    let mut rng = TestRng::new(21);
    let e_device_key = EphemeralPrivateKey::generate(Curve::P256, &mut rng).unwrap();
    let engagement = engagement_for(&e_device_key);
    let other = EphemeralPrivateKey::generate(Curve::P384, &mut rng).unwrap();
    let err = ReaderSession::new(
        ReaderConfig::default(),
        other,
        engagement,
        Handover::Qr,
        Instant::now(),
    )
    .unwrap_err();
    assert!(matches!(err, SessionError::KeyAgreement(_)));
}

#[test]
fn holder_rejects_establishment_with_key_on_another_curve() {
    let mut p = Pair::new(Curve::P256, 22);
    let mut rng = TestRng::new(99);
    let other = EphemeralPrivateKey::generate(Curve::P384, &mut rng).unwrap();
    let msg = crate::msg::SessionEstablishment {
        e_reader_key: Tag24::new(other.public_key().unwrap()),
        data: cbor::Bstr(vec![0; 32]),
    };
    p.holder
        .handle_input(Input::Message(p.now, &cbor::to_vec(&msg)));
    p.drain();
    let sent: SessionData = cbor::from_slice(&p.to_reader[0]).unwrap();
    assert_eq!(sent.status(), Some(SessionStatus::ENCRYPTION_ERROR));
    assert!(matches!(
        p.holder_closed(),
        Some(CloseReason::Failed(SessionError::KeyAgreement(_)))
    ));
}

#[test]
fn handover_can_be_set_until_establishment() {
    let mut p = Pair::new(Curve::P256, 23);
    p.holder.set_handover(Handover::Qr).unwrap();
    p.reader.request(p.now, &sample_request("x")).unwrap();
    p.deliver();
    assert!(matches!(
        p.holder.set_handover(Handover::Qr),
        Err(CommandError::TranscriptFixed)
    ));
}

#[test]
fn engagement_must_carry_the_holder_key() {
    let mut rng = TestRng::new(24);
    let k1 = EphemeralPrivateKey::generate(Curve::P256, &mut rng).unwrap();
    let k2 = EphemeralPrivateKey::generate(Curve::P256, &mut rng).unwrap();
    let err = HolderSession::new(
        HolderConfig::default(),
        k1,
        engagement_for(&k2),
        Handover::Qr,
        Instant::now(),
    );
    assert!(matches!(err, Err(CommandError::EngagementKeyMismatch)));
}

#[test]
fn status_mapping_is_the_standard_one() {
    use crate::crypto::CryptoError;
    assert_eq!(
        SessionError::TimedOut.status_to_send(),
        Some(SessionStatus::SESSION_TERMINATION)
    );
    assert_eq!(
        SessionError::PeerMisbehaved(PeerMisbehaved::UnsolicitedResponse).status_to_send(),
        Some(SessionStatus::SESSION_TERMINATION)
    );
    assert_eq!(
        SessionError::Decrypt(CryptoError::Decrypt).status_to_send(),
        Some(SessionStatus::ENCRYPTION_ERROR)
    );
    assert_eq!(
        SessionError::InvalidMessage(crate::cbor::DecodeError::Truncated { offset: 0 })
            .status_to_send(),
        Some(SessionStatus::DECODING_ERROR)
    );
    assert_eq!(
        SessionError::CounterExhausted.status_to_send(),
        Some(SessionStatus::SESSION_TERMINATION)
    );
}

/// One request, two responses (the holder's real response replayed): the second answers nothing.
#[test]
fn reader_closes_on_a_response_to_no_request() {
    let mut p = Pair::new(Curve::P256, 30);
    p.reader.request(p.now, &sample_request("x")).unwrap();
    p.deliver();
    p.holder.respond(p.now, &ok_response()).unwrap();
    p.drain();
    let response = p.to_reader.last().unwrap().clone();
    p.deliver();
    assert!(matches!(
        p.reader_events.last(),
        Some(ReaderEvent::Response(_))
    ));
    // The same bytes again: well-formed SessionData with data, but no request is outstanding.
    p.reader.handle_input(Input::Message(p.now, &response));
    p.drain();
    let sent: SessionData = cbor::from_slice(p.to_holder.last().unwrap()).unwrap();
    assert_eq!(sent.status(), Some(SessionStatus::SESSION_TERMINATION));
    assert!(matches!(
        p.reader_closed(),
        Some(CloseReason::Failed(SessionError::PeerMisbehaved(
            PeerMisbehaved::UnsolicitedResponse
        )))
    ));
}

#[test]
fn reader_closes_on_a_response_before_its_first_request() {
    let mut p = Pair::new(Curve::P256, 31);
    // Data the reader never asked for (its content is not even decrypted).
    let unsolicited = cbor::to_vec(&SessionData::with_data(vec![0x55; 40]));
    p.reader.handle_input(Input::Message(p.now, &unsolicited));
    p.drain();
    let sent: SessionData = cbor::from_slice(&p.to_holder[0]).unwrap();
    assert_eq!(sent.status(), Some(SessionStatus::SESSION_TERMINATION));
    assert!(matches!(
        p.reader_closed(),
        Some(CloseReason::Failed(SessionError::PeerMisbehaved(
            PeerMisbehaved::UnsolicitedResponse
        )))
    ));
    assert!(matches!(
        p.reader.request(p.now, &sample_request("x")),
        Err(CommandError::Closed)
    ));
}

#[test]
fn a_status_without_data_before_any_request_is_a_peer_close() {
    let mut p = Pair::new(Curve::P256, 32);
    let status = cbor::to_vec(&SessionData::with_status(
        SessionStatus::SESSION_TERMINATION,
    ));
    p.reader.handle_input(Input::Message(p.now, &status));
    p.drain();
    assert!(p.to_holder.is_empty());
    assert!(matches!(
        p.reader_closed(),
        Some(CloseReason::PeerStatus(SessionStatus::SESSION_TERMINATION))
    ));
}

#[test]
fn poll_timeout_follows_the_deadline_and_ends_with_the_session() {
    let mut p = Pair::new(Curve::P256, 33);
    let establishment = p.now + Timeouts::DEFAULT_ESTABLISHMENT;
    assert_eq!(p.holder.poll_timeout(), Some(establishment));
    assert_eq!(p.reader.poll_timeout(), Some(establishment));
    p.holder.terminate(p.now);
    assert_eq!(p.holder.poll_timeout(), None);
}
