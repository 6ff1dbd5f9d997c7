//! 18013-5 NFC data retrieval framing (2021 8.3.3.1.2 / DESIGN §6): a whole message wrapped in
//! BER-TLV tag `53` and cut into ENVELOPE commands (`CLA 10` chained, `CLA 00` last), the
//! answer wrapped the same way and returned through the last ENVELOPE's response and GET
//! RESPONSE (`61XX`).
//!
//! [`EnvelopeInitiator`] is the reader's half, [`EnvelopeResponder`] the card's. Both are
//! sans-IO: the caller moves APDUs.

use crate::apdu::{
    ApduError, CommandApdu, Ins, ResponseApdu, StatusWord, CLA_CHAINING, MAX_EXTENDED_NC,
    MAX_EXTENDED_NE,
};
use crate::tlv::{self, TlvError};

/// Largest message either side accepts by default: far above any DeviceResponse and bounded,
/// so a peer's length field never drives an unbounded allocation.
pub const DEFAULT_MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// Data-field sizes of one ENVELOPE exchange: how many bytes one command carries (Nc) and how
/// many one response may carry (Ne).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ApduSizes {
    /// Largest command data field, 1..=65 535.
    pub command_data: usize,
    /// Largest response data field (Le), 1..=65 536.
    pub response_data: usize,
}

impl ApduSizes {
    /// Short APDUs: 255 bytes per command, 256 per response.
    pub const SHORT: Self = Self {
        command_data: 255,
        response_data: 256,
    };
    /// Full extended length.
    pub const EXTENDED: Self = Self {
        command_data: MAX_EXTENDED_NC,
        response_data: MAX_EXTENDED_NE,
    };

    /// The sizes both sides allow: the smaller of each (DESIGN §1: respect the mdoc's declared
    /// data-field limits; the backend's own limit when it is lower), never below one byte.
    pub fn min(self, other: Self) -> Self {
        Self {
            command_data: self.command_data.min(other.command_data).max(1),
            response_data: self.response_data.min(other.response_data).max(1),
        }
        .clamped()
    }

    /// Clamped to what ISO/IEC 7816-4 can express.
    pub fn clamped(self) -> Self {
        Self {
            command_data: self.command_data.clamp(1, MAX_EXTENDED_NC),
            response_data: self.response_data.clamp(1, MAX_EXTENDED_NE),
        }
    }

    /// The sizes an mdoc's NFC carrier declares (2021 8.2.1.1 NfcOptions).
    pub fn from_carrier(carrier: &mdl_transport::NfcCarrier) -> Self {
        Self {
            command_data: usize::try_from(carrier.max_command).unwrap_or(usize::MAX),
            response_data: usize::try_from(carrier.max_response).unwrap_or(usize::MAX),
        }
        .clamped()
    }
}

/// Why an ENVELOPE exchange failed on the reader's side.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The card answered with an error status word (card's fault, or it refused our command).
    #[error("card answered {0}")]
    CardStatus(StatusWord),
    /// The card's answer is not a well-formed tag-53 message: truncated, oversized, wrong tag
    /// (card's fault).
    #[error("card's response: {0}")]
    Tlv(#[from] TlvError),
    /// The card returned data to a chained ENVELOPE, where only `9000` is allowed.
    #[error("card returned {0} data bytes to a chained ENVELOPE")]
    UnexpectedData(usize),
    /// The card's R-APDU lacks a status word.
    #[error("card's response: {0}")]
    Apdu(#[from] ApduError),
    /// A message is being exchanged already, or a response came without a command (caller's
    /// fault).
    #[error("ENVELOPE exchange out of sequence")]
    OutOfSequence,
}

/// What a response moved the reader's exchange to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Transmit the next [`EnvelopeInitiator::poll_command`].
    Continue,
    /// The card's whole answer.
    Message(Vec<u8>),
    /// The card answered the message with no message (`9000` without data), e.g. after a
    /// SessionData termination.
    NoMessage,
}

#[derive(Debug)]
enum Initiating {
    Idle,
    Sending { wrapped: Vec<u8>, pos: usize },
    Receiving { buf: Vec<u8>, more: bool },
}

/// The reader's half: one message out as ENVELOPEs, the answer back through GET RESPONSE.
#[derive(Debug)]
pub struct EnvelopeInitiator {
    sizes: ApduSizes,
    limit: usize,
    state: Initiating,
    in_flight: bool,
}

impl EnvelopeInitiator {
    /// An initiator using `sizes` (already the minimum of the mdoc's and the backend's).
    pub fn new(sizes: ApduSizes) -> Self {
        Self {
            sizes: sizes.clamped(),
            limit: DEFAULT_MAX_MESSAGE,
            state: Initiating::Idle,
            in_flight: false,
        }
    }

    /// Sets the largest answer accepted.
    pub fn with_max_message(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// The sizes in use.
    pub fn sizes(&self) -> ApduSizes {
        self.sizes
    }

    /// Whether no exchange is under way.
    pub fn is_idle(&self) -> bool {
        matches!(self.state, Initiating::Idle)
    }

    /// Starts sending `message`.
    pub fn send(&mut self, message: &[u8]) -> Result<(), EnvelopeError> {
        if !self.is_idle() {
            return Err(EnvelopeError::OutOfSequence);
        }
        self.state = Initiating::Sending {
            wrapped: tlv::wrap(message),
            pos: 0,
        };
        Ok(())
    }

    /// The next command to transmit, if one is due (one at a time: `None` until the previous
    /// command's response was handled).
    pub fn poll_command(&mut self) -> Option<CommandApdu> {
        if self.in_flight {
            return None;
        }
        let command = match &self.state {
            Initiating::Idle => return None,
            Initiating::Sending { wrapped, pos } => {
                let end = (pos + self.sizes.command_data).min(wrapped.len());
                let last = end == wrapped.len();
                let (cla, ne) = if last {
                    (0x00, Some(self.sizes.response_data))
                } else {
                    // DESIGN §6: chained ENVELOPEs carry no Le.
                    (CLA_CHAINING, None)
                };
                CommandApdu::new(cla, Ins::ENVELOPE, 0, 0, wrapped[*pos..end].to_vec(), ne)
            }
            Initiating::Receiving { more: true, .. } => CommandApdu::new(
                0x00,
                Ins::GET_RESPONSE,
                0,
                0,
                Vec::new(),
                Some(self.sizes.response_data),
            ),
            Initiating::Receiving { more: false, .. } => return None,
        };
        // Sizes are clamped to ISO/IEC 7816-4's limits in `new`, so the command is valid.
        let command = command.ok()?;
        self.in_flight = true;
        Some(command)
    }

    /// Handles the card's response to the last command.
    pub fn handle_response(&mut self, response: &ResponseApdu) -> Result<Progress, EnvelopeError> {
        if !self.in_flight {
            return Err(EnvelopeError::OutOfSequence);
        }
        self.in_flight = false;
        let result = self.advance(response);
        if result.is_err() {
            self.state = Initiating::Idle;
        }
        result
    }

    fn advance(&mut self, response: &ResponseApdu) -> Result<Progress, EnvelopeError> {
        let sw = response.sw;
        match &mut self.state {
            Initiating::Idle => Err(EnvelopeError::OutOfSequence),
            Initiating::Sending { wrapped, pos } => {
                let end = (*pos + self.sizes.command_data).min(wrapped.len());
                if end < wrapped.len() {
                    if sw != StatusWord::OK {
                        return Err(EnvelopeError::CardStatus(sw));
                    }
                    if !response.data.is_empty() {
                        return Err(EnvelopeError::UnexpectedData(response.data.len()));
                    }
                    *pos = end;
                    return Ok(Progress::Continue);
                }
                self.state = Initiating::Receiving {
                    buf: Vec::new(),
                    more: true,
                };
                self.receive(response)
            }
            Initiating::Receiving { .. } => self.receive(response),
        }
    }

    fn receive(&mut self, response: &ResponseApdu) -> Result<Progress, EnvelopeError> {
        let Initiating::Receiving { buf, more } = &mut self.state else {
            return Err(EnvelopeError::OutOfSequence);
        };
        let sw = response.sw;
        if sw != StatusWord::OK && !sw.is_more_data() {
            return Err(EnvelopeError::CardStatus(sw));
        }
        buf.extend_from_slice(&response.data);
        // Check the declared length as soon as it is readable, so an oversized answer stops
        // early instead of growing the buffer (DESIGN §6: accept more than asked per APDU,
        // never more than the TLV says).
        if let Some((h, len)) = tlv::header(buf)? {
            if len > self.limit {
                return Err(TlvError::TooLarge {
                    declared: len,
                    limit: self.limit,
                }
                .into());
            }
            if buf.len() > h + len {
                return Err(TlvError::Oversized {
                    declared: len,
                    present: buf.len() - h,
                }
                .into());
            }
        }
        if sw.is_more_data() {
            *more = true;
            return Ok(Progress::Continue);
        }
        *more = false;
        let buf = std::mem::take(buf);
        self.state = Initiating::Idle;
        if buf.is_empty() {
            return Ok(Progress::NoMessage);
        }
        Ok(Progress::Message(tlv::unwrap(&buf, self.limit)?.to_vec()))
    }
}

/// What the card's half makes of an ENVELOPE or GET RESPONSE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponderStep {
    /// Answer at once.
    Reply(ResponseApdu),
    /// A whole message arrived: the answer is deferred until [`EnvelopeResponder::respond`]
    /// (DESIGN §6: no polling; the card withholds the R-APDU of the last ENVELOPE).
    Message(Vec<u8>),
}

/// [`EnvelopeResponder::respond`] was called with no ENVELOPE waiting for its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no ENVELOPE is waiting for an answer")]
pub struct NotPending;

/// The card's half: reassembles ENVELOPE chains, serves the answer in Le-sized pieces.
#[derive(Debug)]
pub struct EnvelopeResponder {
    sizes: ApduSizes,
    limit: usize,
    rx: Vec<u8>,
    tx: Vec<u8>,
    tx_pos: usize,
    deferred_ne: Option<Option<usize>>,
}

impl EnvelopeResponder {
    /// A responder accepting command data fields up to `sizes.command_data` and sending at
    /// most `sizes.response_data` per response (the card's declared NFC carrier limits).
    pub fn new(sizes: ApduSizes) -> Self {
        Self {
            sizes: sizes.clamped(),
            limit: DEFAULT_MAX_MESSAGE,
            rx: Vec::new(),
            tx: Vec::new(),
            tx_pos: 0,
            deferred_ne: None,
        }
    }

    /// Sets the largest message accepted.
    pub fn with_max_message(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Whether a message waits for [`Self::respond`].
    pub fn is_deferred(&self) -> bool {
        self.deferred_ne.is_some()
    }

    /// Whether part of an answer waits for GET RESPONSE.
    pub fn has_answer_pending(&self) -> bool {
        self.tx_pos < self.tx.len()
    }

    /// Forgets any partial message and pending answer (new SELECT, field reset).
    pub fn reset(&mut self) {
        self.rx.clear();
        self.tx.clear();
        self.tx_pos = 0;
        self.deferred_ne = None;
    }

    /// Handles an ENVELOPE or GET RESPONSE addressed to the mdoc application.
    pub fn handle_command(&mut self, command: &CommandApdu) -> ResponderStep {
        let reply = |sw| ResponderStep::Reply(ResponseApdu::status(sw));
        if self.is_deferred() {
            // A half-duplex reader cannot send while we withhold an answer; a sans-IO caller
            // that does gets a refusal, and the withheld answer stays owed.
            return reply(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        if command.p1p2() != 0 {
            return reply(StatusWord::WRONG_P1P2);
        }
        match command.ins() {
            Ins::ENVELOPE => self.envelope(command),
            Ins::GET_RESPONSE => {
                if self.tx_pos >= self.tx.len() {
                    return reply(StatusWord::CONDITIONS_NOT_SATISFIED);
                }
                match command.ne() {
                    Some(ne) => ResponderStep::Reply(self.next_chunk(ne)),
                    None => reply(StatusWord::WRONG_LENGTH),
                }
            }
            _ => reply(StatusWord::INS_NOT_SUPPORTED),
        }
    }

    fn envelope(&mut self, command: &CommandApdu) -> ResponderStep {
        let reply = |sw| ResponderStep::Reply(ResponseApdu::status(sw));
        // A new message abandons any unread answer.
        self.tx.clear();
        self.tx_pos = 0;
        let data = command.data();
        if data.is_empty() || data.len() > self.sizes.command_data {
            self.rx.clear();
            return reply(StatusWord::WRONG_LENGTH);
        }
        // The TLV header adds at most 5 bytes to the message.
        if self.rx.len() + data.len() > self.limit.saturating_add(5) {
            self.rx.clear();
            return reply(StatusWord::NOT_ENOUGH_MEMORY);
        }
        self.rx.extend_from_slice(data);
        // Refuse a wrong tag or an over-limit length at the first chunk, not after the chain.
        match tlv::header(&self.rx) {
            Err(_) => {
                self.rx.clear();
                return reply(StatusWord::NO_PRECISE_DIAGNOSIS);
            }
            Ok(Some((_, len))) if len > self.limit => {
                self.rx.clear();
                return reply(StatusWord::NOT_ENOUGH_MEMORY);
            }
            _ => {}
        }
        if command.is_chained() {
            return reply(StatusWord::OK);
        }
        let rx = std::mem::take(&mut self.rx);
        match tlv::unwrap(&rx, self.limit) {
            Ok(message) => {
                self.deferred_ne = Some(command.ne());
                ResponderStep::Message(message.to_vec())
            }
            Err(_) => reply(StatusWord::NO_PRECISE_DIAGNOSIS),
        }
    }

    /// Answers the deferred ENVELOPE with `message` (`None`: `9000` without data, when the
    /// holder has nothing to say, e.g. after the reader's termination).
    pub fn respond(&mut self, message: Option<&[u8]>) -> Result<ResponseApdu, NotPending> {
        let ne = self.deferred_ne.take().ok_or(NotPending)?;
        let Some(message) = message else {
            return Ok(ResponseApdu::ok(Vec::new()));
        };
        self.tx = tlv::wrap(message);
        self.tx_pos = 0;
        // No Le on the last ENVELOPE: no data in this response, all of it by GET RESPONSE.
        Ok(self.next_chunk(ne.unwrap_or(0)))
    }

    fn next_chunk(&mut self, ne: usize) -> ResponseApdu {
        let n = ne
            .min(self.sizes.response_data)
            .min(self.tx.len() - self.tx_pos);
        let data = self.tx[self.tx_pos..self.tx_pos + n].to_vec();
        self.tx_pos += n;
        let remaining = self.tx.len() - self.tx_pos;
        if remaining == 0 {
            self.tx.clear();
            self.tx_pos = 0;
            ResponseApdu::ok(data)
        } else {
            ResponseApdu {
                data,
                sw: StatusWord::more_data(remaining),
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Moves `message` reader → card and `answer` card → reader; returns (APDU count, answer).
    pub(crate) fn exchange(
        sizes: ApduSizes,
        message: &[u8],
        answer: Option<&[u8]>,
    ) -> (usize, Progress) {
        let mut reader = EnvelopeInitiator::new(sizes);
        let mut card = EnvelopeResponder::new(sizes);
        reader.send(message).unwrap();
        let mut apdus = 0;
        loop {
            let command = reader.poll_command().expect("a command is due");
            apdus += 1;
            // Through the wire encoding, as a real link would.
            let command = CommandApdu::parse(&command.to_bytes()).unwrap();
            assert!(command.data().len() <= sizes.command_data);
            let response = match card.handle_command(&command) {
                ResponderStep::Reply(r) => r,
                ResponderStep::Message(m) => {
                    assert_eq!(m, message);
                    card.respond(answer).unwrap()
                }
            };
            assert!(response.data.len() <= sizes.response_data);
            let response = ResponseApdu::parse(&response.to_bytes()).unwrap();
            match reader.handle_response(&response).unwrap() {
                Progress::Continue => {}
                done => return (apdus, done),
            }
        }
    }

    #[test]
    fn short_message_one_apdu_each_way() {
        let (n, p) = exchange(ApduSizes::SHORT, b"hello", Some(b"world"));
        assert_eq!(n, 1);
        assert_eq!(p, Progress::Message(b"world".to_vec()));
    }

    #[test]
    fn no_answer_is_no_message() {
        let (_, p) = exchange(ApduSizes::SHORT, &[0; 600], None);
        assert_eq!(p, Progress::NoMessage);
    }

    #[test]
    fn chained_envelope_count_is_minimal() {
        // 1000 bytes + 4 header bytes in 255-byte commands: 4 ENVELOPEs; 10 answer bytes.
        let (n, _) = exchange(ApduSizes::SHORT, &[1; 1000], Some(&[2; 10]));
        assert_eq!(n, 4);
    }

    #[test]
    fn answer_without_le_is_served_by_get_response() {
        let mut card = EnvelopeResponder::new(ApduSizes::SHORT);
        let cmd = CommandApdu::new(0, Ins::ENVELOPE, 0, 0, tlv::wrap(b"x"), None).unwrap();
        assert!(matches!(
            card.handle_command(&cmd),
            ResponderStep::Message(_)
        ));
        let r = card.respond(Some(b"abc")).unwrap();
        assert_eq!(r.sw, StatusWord(0x6105));
        assert!(r.data.is_empty());
        let get = CommandApdu::new(0, Ins::GET_RESPONSE, 0, 0, vec![], Some(5)).unwrap();
        let ResponderStep::Reply(r) = card.handle_command(&get) else {
            panic!("reply expected")
        };
        assert_eq!(r, ResponseApdu::ok(tlv::wrap(b"abc")));
    }

    #[test]
    fn card_refuses_bad_envelopes_and_keeps_serving() {
        let mut card = EnvelopeResponder::new(ApduSizes::SHORT).with_max_message(1000);
        let sw = |step| match step {
            ResponderStep::Reply(r) => r.sw,
            ResponderStep::Message(_) => StatusWord::OK,
        };
        let env = |cla, data: Vec<u8>| CommandApdu::new(cla, Ins::ENVELOPE, 0, 0, data, Some(256));
        // Wrong tag, bad TLV, empty, P1P2, unknown INS, GET RESPONSE with nothing pending.
        assert_eq!(
            sw(card.handle_command(&env(0, vec![0x54, 0]).unwrap())),
            StatusWord::NO_PRECISE_DIAGNOSIS
        );
        assert_eq!(
            sw(card.handle_command(&env(0, vec![0x53, 5, 1]).unwrap())),
            StatusWord::NO_PRECISE_DIAGNOSIS
        );
        assert_eq!(
            sw(card.handle_command(&env(0, vec![]).unwrap())),
            StatusWord::WRONG_LENGTH
        );
        let p1 = CommandApdu::new(0, Ins::ENVELOPE, 1, 0, vec![0x53, 0], None).unwrap();
        assert_eq!(sw(card.handle_command(&p1)), StatusWord::WRONG_P1P2);
        let ins = CommandApdu::new(0, Ins(0x12), 0, 0, vec![], None).unwrap();
        assert_eq!(sw(card.handle_command(&ins)), StatusWord::INS_NOT_SUPPORTED);
        let get = CommandApdu::new(0, Ins::GET_RESPONSE, 0, 0, vec![], Some(5)).unwrap();
        assert_eq!(
            sw(card.handle_command(&get)),
            StatusWord::CONDITIONS_NOT_SATISFIED
        );
        // A message declared above the limit is refused at its first chunk.
        let huge = env(CLA_CHAINING, vec![0x53, 0x82, 0x03, 0xE9]).unwrap();
        assert_eq!(
            sw(card.handle_command(&huge)),
            StatusWord::NOT_ENOUGH_MEMORY
        );
        // Still serving.
        assert!(matches!(
            card.handle_command(&env(0, tlv::wrap(b"ok")).unwrap()),
            ResponderStep::Message(m) if m == b"ok"
        ));
        assert!(card.respond(Some(b"r")).is_ok());
        assert_eq!(card.respond(Some(b"r")), Err(NotPending));
    }

    #[test]
    fn reader_rejects_truncated_oversized_and_error_answers() {
        let run = |responses: &[ResponseApdu]| {
            let mut reader = EnvelopeInitiator::new(ApduSizes::SHORT).with_max_message(1000);
            reader.send(b"m").unwrap();
            let mut last = Ok(Progress::Continue);
            for r in responses {
                reader.poll_command().unwrap();
                last = reader.handle_response(r);
                if last.is_err() {
                    break;
                }
            }
            last
        };
        // Truncated: declares 5, 2 arrive with 9000.
        assert!(matches!(
            run(&[ResponseApdu::ok(vec![0x53, 5, 1, 2])]),
            Err(EnvelopeError::Tlv(TlvError::Truncated { .. }))
        ));
        // Oversized: declares 1, more keeps coming.
        assert!(matches!(
            run(&[ResponseApdu {
                data: vec![0x53, 1, 1, 2],
                sw: StatusWord::MORE_DATA
            }]),
            Err(EnvelopeError::Tlv(TlvError::Oversized { .. }))
        ));
        // Over the limit.
        assert!(matches!(
            run(&[ResponseApdu {
                data: vec![0x53, 0x82, 0x03, 0xE9],
                sw: StatusWord::MORE_DATA
            }]),
            Err(EnvelopeError::Tlv(TlvError::TooLarge { .. }))
        ));
        assert_eq!(
            run(&[ResponseApdu::status(StatusWord::FILE_NOT_FOUND)]),
            Err(EnvelopeError::CardStatus(StatusWord::FILE_NOT_FOUND))
        );
        // Multipaz-style 61XX with more than asked, then 9000.
        assert_eq!(
            run(&[
                ResponseApdu {
                    data: vec![0x53, 3, 1],
                    sw: StatusWord(0x6101)
                },
                ResponseApdu::ok(vec![2, 3]),
            ]),
            Ok(Progress::Message(vec![1, 2, 3]))
        );
    }
}
