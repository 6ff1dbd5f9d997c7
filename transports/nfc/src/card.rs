//! The holder's side of the field: a sans-IO Type 4 Tag emulator (DESIGN §5, §6, §7b).
//!
//! One [`TagEmulator`] answers every C-APDU of one tap, routed by the selected application:
//! the NDEF Tag application (`D2760000850101`: CC and NDEF files, READ/UPDATE BINARY, static
//! or TNEP-negotiated handover) for engagement, then the mdoc application (`A0000002480400`:
//! ENVELOPE / GET RESPONSE) for data retrieval. It never blocks: the answer to the last
//! ENVELOPE of a message is deferred ([`CardReply::Deferred`]) until [`TagEmulator::respond`].
//!
//! Run loop: feed each C-APDU to [`TagEmulator::handle_apdu`], send the R-APDU it returns (or,
//! when deferred, the one [`TagEmulator::respond`] returns later), and drain
//! [`TagEmulator::poll_event`] after every call.

use std::collections::VecDeque;

use mdl_proximity::engagement::nfc::handover::{
    HandoverKind, HandoverMessage, HANDOVER_VERSION_1_5, TYPE_DEVICE_ENGAGEMENT,
};
use mdl_proximity::engagement::nfc::ndef::{self, Record, Tnf};
use mdl_proximity::msg::Handover;
use mdl_transport::{BleMode, Carrier};

use crate::apdu::{CommandApdu, Ins, ResponseApdu, StatusWord, CLA_CHAINING};
use crate::carriers::{carrier_records, carriers_of, Sender, RECORD_ID_MDOC};
use crate::envelope::{ApduSizes, EnvelopeResponder, NotPending, ResponderStep};
use crate::tag::{
    self, CapabilityContainer, ServiceParameter, ACCESS_GRANTED, ACCESS_NONE, AID_MDOC, AID_NDEF,
    FILE_CC, FILE_NDEF, MAPPING_VERSION_2_0, SELECT_BY_FILE_ID, SELECT_BY_NAME,
};

/// Which handover the tag offers (2021 8.2.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandoverMode {
    /// A read-only Hs listing every carrier; transcript Handover `[Hs, null]`.
    Static,
    /// TNEP: the reader writes an Hr, the tag answers an Hs with one carrier; transcript
    /// Handover `[Hs, Hr]` (2nd ed. recommends it).
    Negotiated,
}

/// What the holder offers on this tap.
#[derive(Debug, Clone)]
pub struct CardConfig {
    /// The DeviceEngagement CBOR (the payload of the `iso.org:18013:deviceengagement` record).
    pub device_engagement: Vec<u8>,
    /// The carriers the holder serves, in its order of preference. An NFC carrier here is also
    /// what the card enforces as its data-field limits.
    pub carriers: Vec<Carrier>,
    /// Static or negotiated handover.
    pub mode: HandoverMode,
    /// The largest C-APDU data field and R-APDU data field the card's own link carries (vpcd:
    /// 65 526 / 65 533; a phone's HCE stack: its own). READ BINARY and ENVELOPE use the lower of
    /// this and the NFC carrier's declared limits.
    pub link_sizes: ApduSizes,
}

/// The outcome of engagement, as the holder sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct CardEngagement {
    /// The Handover of the SessionTranscript, bytes as exchanged.
    pub handover: Handover,
    /// The carriers the Hs offered (all of them in static handover, the one selected in
    /// negotiated handover, completed with the reader's BLE UUID in central client mode). An
    /// empty list means the DeviceEngagement's own retrieval methods (TCP) remain.
    pub carriers: Vec<Carrier>,
    /// The ReaderEngagement bytes of the Hr, if the reader sent one (2nd ed.).
    pub reader_engagement: Option<Vec<u8>>,
}

/// What happened on the field.
#[derive(Debug, Clone, PartialEq)]
pub enum CardEvent {
    /// The reader has read the whole Hs: engagement is complete.
    Engaged(CardEngagement),
    /// A whole message arrived by ENVELOPE; answer it with [`TagEmulator::respond`].
    Message(Vec<u8>),
    /// The reader wrote something the tag could not use (kept for logs; the tag answered with
    /// a TNEP status or status word and keeps serving).
    PeerError(&'static str),
}

/// The answer to one C-APDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardReply {
    /// Send this R-APDU.
    Response(Vec<u8>),
    /// Withhold the answer until [`TagEmulator::respond`] (the last ENVELOPE of a message).
    Deferred,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum App {
    None,
    Ndef,
    Mdoc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum File {
    None,
    Cc,
    Ndef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    Static,
    ServiceParameter,
    Status,
    Select,
}

/// The holder's sans-IO Type 4 Tag: NDEF engagement and mdoc data retrieval on one field.
#[derive(Debug)]
pub struct TagEmulator {
    config: CardConfig,
    cc: CapabilityContainer,
    app: App,
    file: File,
    /// The NDEF file: NLEN (2 bytes, big-endian) then the message.
    ndef: Vec<u8>,
    content: Content,
    /// The Hr as written, in negotiated handover.
    request: Option<Vec<u8>>,
    pending_engagement: Option<CardEngagement>,
    engaged: bool,
    envelope: EnvelopeResponder,
    events: VecDeque<CardEvent>,
}

/// The NDEF file size this tag declares (CC max NDEF size, as Multipaz: `7FFF`).
pub const MAX_NDEF_FILE: u16 = 0x7FFF;

fn with_nlen(message: &[u8]) -> Vec<u8> {
    let mut out = (message.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(message);
    out
}

impl TagEmulator {
    /// A tag for one tap.
    pub fn new(config: CardConfig) -> Self {
        let nfc = config.carriers.iter().find_map(|c| match c {
            Carrier::Nfc(n) => Some(ApduSizes::from_carrier(n)),
            _ => None,
        });
        let sizes = nfc.map_or(config.link_sizes, |n| n.min(config.link_sizes));
        let cc = CapabilityContainer {
            mapping_version: MAPPING_VERSION_2_0,
            max_le: config.link_sizes.response_data.min(0x7FFF) as u16,
            max_lc: config.link_sizes.command_data.min(0x7FFF) as u16,
            ndef_file_id: FILE_NDEF,
            max_ndef_size: MAX_NDEF_FILE,
            read_access: 0,
            write_access: match config.mode {
                HandoverMode::Static => ACCESS_NONE,
                HandoverMode::Negotiated => ACCESS_GRANTED,
            },
        };
        let (ndef, content) = match config.mode {
            HandoverMode::Static => (with_nlen(&static_select(&config)), Content::Static),
            HandoverMode::Negotiated => (
                with_nlen(&ndef::encode_message(&[
                    ServiceParameter::handover().to_record()
                ])),
                Content::ServiceParameter,
            ),
        };
        Self {
            config,
            cc,
            app: App::None,
            file: File::None,
            ndef,
            content,
            request: None,
            pending_engagement: None,
            engaged: false,
            envelope: EnvelopeResponder::new(sizes),
            events: VecDeque::new(),
        }
    }

    /// Whether engagement completed on this field.
    pub fn is_engaged(&self) -> bool {
        self.engaged
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<CardEvent> {
        self.events.pop_front()
    }

    /// Answers the deferred ENVELOPE: the R-APDU bytes to send now.
    pub fn respond(&mut self, message: Option<&[u8]>) -> Result<Vec<u8>, NotPending> {
        self.envelope.respond(message).map(|r| r.to_bytes())
    }

    /// Whether an ENVELOPE waits for [`Self::respond`].
    pub fn is_deferred(&self) -> bool {
        self.envelope.is_deferred()
    }

    /// Whether part of an answer waits for the reader's GET RESPONSE.
    pub fn has_answer_pending(&self) -> bool {
        self.envelope.has_answer_pending()
    }

    /// The field was reset or powered off: nothing selected, partial messages dropped. The
    /// engagement state (and the NDEF file) survive: the tap goes on.
    pub fn handle_reset(&mut self) {
        self.app = App::None;
        self.file = File::None;
        self.envelope.reset();
    }

    /// Answers one C-APDU. Malformed or unsupported commands get the status word ISO/IEC
    /// 7816-4 assigns, and the tag keeps serving.
    pub fn handle_apdu(&mut self, bytes: &[u8]) -> CardReply {
        let command = match CommandApdu::parse(bytes) {
            Ok(c) => c,
            Err(e) => return self.status(e.status_word()),
        };
        // Logical channels, secure messaging and proprietary classes are not served.
        if command.cla() & !CLA_CHAINING != 0 {
            return self.status(StatusWord::CLA_NOT_SUPPORTED);
        }
        if command.is_chained() && command.ins() != Ins::ENVELOPE {
            return self.status(StatusWord::CLA_NOT_SUPPORTED);
        }
        match (command.ins(), self.app) {
            (Ins::SELECT, _) => self.select(&command),
            (Ins::READ_BINARY, App::Ndef) => self.read_binary(&command),
            (Ins::UPDATE_BINARY, App::Ndef) => self.update_binary(&command),
            (Ins::ENVELOPE | Ins::GET_RESPONSE, App::Mdoc) => {
                match self.envelope.handle_command(&command) {
                    ResponderStep::Reply(r) => CardReply::Response(r.to_bytes()),
                    ResponderStep::Message(m) => {
                        self.events.push_back(CardEvent::Message(m));
                        CardReply::Deferred
                    }
                }
            }
            (Ins::READ_BINARY | Ins::UPDATE_BINARY | Ins::ENVELOPE | Ins::GET_RESPONSE, _) => {
                self.status(StatusWord::CONDITIONS_NOT_SATISFIED)
            }
            _ => self.status(StatusWord::INS_NOT_SUPPORTED),
        }
    }

    fn status(&self, sw: StatusWord) -> CardReply {
        CardReply::Response(ResponseApdu::status(sw).to_bytes())
    }

    fn select(&mut self, command: &CommandApdu) -> CardReply {
        match command.p1() {
            SELECT_BY_NAME => {
                if !matches!(command.p2(), 0x00 | 0x0C) {
                    return self.status(StatusWord::WRONG_P1P2);
                }
                self.file = File::None;
                if command.data() == AID_NDEF {
                    self.app = App::Ndef;
                } else if command.data() == AID_MDOC {
                    self.app = App::Mdoc;
                    self.envelope.reset();
                } else {
                    self.app = App::None;
                    return self.status(StatusWord::FILE_NOT_FOUND);
                }
                self.status(StatusWord::OK)
            }
            SELECT_BY_FILE_ID => {
                if self.app != App::Ndef {
                    return self.status(StatusWord::FILE_NOT_FOUND);
                }
                self.file = match command.data() {
                    [a, b] if u16::from_be_bytes([*a, *b]) == FILE_CC => File::Cc,
                    [a, b] if u16::from_be_bytes([*a, *b]) == FILE_NDEF => File::Ndef,
                    _ => {
                        self.file = File::None;
                        return self.status(StatusWord::FILE_NOT_FOUND);
                    }
                };
                self.status(StatusWord::OK)
            }
            _ => self.status(StatusWord::WRONG_P1P2),
        }
    }

    fn read_binary(&mut self, command: &CommandApdu) -> CardReply {
        let offset = command.p1p2();
        if offset & 0x8000 != 0 {
            return self.status(StatusWord::WRONG_P1P2);
        }
        let offset = usize::from(offset);
        let Some(ne) = command.ne() else {
            return self.status(StatusWord::WRONG_LENGTH);
        };
        let cc;
        let file: &[u8] = match self.file {
            File::Cc => {
                cc = self.cc.to_bytes();
                &cc
            }
            File::Ndef => &self.ndef,
            File::None => return self.status(StatusWord::CONDITIONS_NOT_SATISFIED),
        };
        if offset > file.len() {
            return self.status(StatusWord::WRONG_OFFSET);
        }
        let n = ne.min(usize::from(self.cc.max_le)).min(file.len() - offset);
        let data = file[offset..offset + n].to_vec();
        if self.file == File::Ndef && offset + n == self.ndef.len() && offset + n > 2 {
            self.whole_message_read();
        }
        CardReply::Response(ResponseApdu::ok(data).to_bytes())
    }

    fn whole_message_read(&mut self) {
        if self.engaged {
            return;
        }
        let engagement = match self.content {
            Content::Static => {
                let select = self.ndef[2..].to_vec();
                let carriers = HandoverMessage::parse(&select)
                    .map(|hs| carriers_of(&hs, Sender::Mdoc))
                    .unwrap_or_default();
                Some(CardEngagement {
                    handover: Handover::NfcStatic {
                        select: mdl_proximity::cbor::Bstr(select),
                    },
                    carriers,
                    reader_engagement: None,
                })
            }
            Content::Select => self.pending_engagement.take(),
            Content::ServiceParameter | Content::Status => None,
        };
        if let Some(e) = engagement {
            self.engaged = true;
            self.events.push_back(CardEvent::Engaged(e));
        }
    }

    fn update_binary(&mut self, command: &CommandApdu) -> CardReply {
        if self.file != File::Ndef || self.cc.write_access != ACCESS_GRANTED {
            return self.status(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        let offset = command.p1p2();
        if offset & 0x8000 != 0 {
            return self.status(StatusWord::WRONG_P1P2);
        }
        let offset = usize::from(offset);
        let data = command.data();
        if data.is_empty() || data.len() > usize::from(self.cc.max_lc) {
            return self.status(StatusWord::WRONG_LENGTH);
        }
        if offset > self.ndef.len() {
            return self.status(StatusWord::WRONG_OFFSET);
        }
        let end = offset + data.len();
        if end > usize::from(MAX_NDEF_FILE) {
            return self.status(StatusWord::WRONG_LENGTH);
        }
        if end > self.ndef.len() {
            self.ndef.resize(end, 0);
        }
        self.ndef[offset..end].copy_from_slice(data);
        // The T4T write procedure ends by writing a non-zero NLEN (offset 0): the message is
        // complete (NFC Forum T4T 7.5.5).
        if offset == 0 && end >= 2 {
            let nlen = usize::from(u16::from_be_bytes([self.ndef[0], self.ndef[1]]));
            if nlen != 0 {
                self.written(nlen);
            }
        }
        self.status(StatusWord::OK)
    }

    fn set_message(&mut self, message: &[u8], content: Content) {
        self.ndef = with_nlen(message);
        self.content = content;
    }

    fn tnep_status(&mut self, status: u8, why: Option<&'static str>) {
        if let Some(why) = why {
            self.events.push_back(CardEvent::PeerError(why));
        }
        self.set_message(
            &ndef::encode_message(&[tag::tnep_status(status)]),
            Content::Status,
        );
    }

    fn written(&mut self, nlen: usize) {
        let Some(message) = self.ndef.get(2..2 + nlen).map(<[u8]>::to_vec) else {
            return self.tnep_status(tag::TNEP_STATUS_PROTOCOL_ERROR, Some("NLEN beyond data"));
        };
        let records = match ndef::parse_message(&message) {
            Ok(r) => r,
            Err(_) => {
                return self.tnep_status(tag::TNEP_STATUS_PROTOCOL_ERROR, Some("not NDEF"));
            }
        };
        let Some(first) = records.first() else {
            return self.tnep_status(tag::TNEP_STATUS_PROTOCOL_ERROR, Some("empty NDEF"));
        };
        if first.is(Tnf::WELL_KNOWN, tag::TYPE_SERVICE_SELECT) {
            if tag::parse_service_select(&first.payload) == Some(tag::SERVICE_HANDOVER) {
                self.tnep_status(tag::TNEP_STATUS_SUCCESS, None);
            } else {
                self.tnep_status(
                    tag::TNEP_STATUS_PROTOCOL_ERROR,
                    Some("unknown TNEP service"),
                );
            }
        } else if first.is(Tnf::WELL_KNOWN, b"Hr") {
            match HandoverMessage::parse(&message) {
                Ok(hr) if hr.kind == HandoverKind::Request => self.negotiate(message, &hr),
                _ => self.tnep_status(tag::TNEP_STATUS_PROTOCOL_ERROR, Some("malformed Hr")),
            }
        } else {
            self.tnep_status(
                tag::TNEP_STATUS_PROTOCOL_ERROR,
                Some("unexpected NDEF record"),
            );
        }
    }

    /// Answers the reader's Hr with an Hs holding the first carrier of the reader's list that
    /// the holder serves (DESIGN §5).
    fn negotiate(&mut self, request: Vec<u8>, hr: &HandoverMessage) {
        let wanted = carriers_of(hr, Sender::Reader);
        let chosen = wanted.iter().find_map(|w| {
            self.config
                .carriers
                .iter()
                .find_map(|ours| match (w, ours) {
                    (Carrier::Nfc(_), Carrier::Nfc(n)) => Some(Carrier::Nfc(*n)),
                    (Carrier::Ble(theirs), Carrier::Ble(b)) if theirs.mode == b.mode => {
                        let mut b = b.clone();
                        if b.mode == BleMode::CentralClient {
                            // The reader is the GATT server: its UUID (DESIGN §5).
                            b.service_uuid = theirs.service_uuid;
                        }
                        Some(Carrier::Ble(b))
                    }
                    _ => None,
                })
        });
        // In the Hs, central client mode carries no UUID: it is the reader's own.
        let written = chosen.clone().map(|c| match c {
            Carrier::Ble(mut b) if b.mode == BleMode::CentralClient => {
                b.service_uuid = None;
                Carrier::Ble(b)
            }
            other => other,
        });
        let select = select_message(&self.config, written.as_slice());
        let reader_engagement = hr.reader_engagement().map(<[u8]>::to_vec);
        self.pending_engagement = Some(CardEngagement {
            handover: Handover::NfcNegotiated {
                select: mdl_proximity::cbor::Bstr(select.clone()),
                request: mdl_proximity::cbor::Bstr(request.clone()),
            },
            carriers: chosen.into_iter().collect(),
            reader_engagement,
        });
        self.request = Some(request);
        self.set_message(&select, Content::Select);
    }
}

/// The static Hs: every carrier that has a handover record, then the DeviceEngagement.
fn static_select(config: &CardConfig) -> Vec<u8> {
    select_message(config, &config.carriers)
}

fn select_message(config: &CardConfig, carriers: &[Carrier]) -> Vec<u8> {
    let (acs, mut records) = carrier_records(carriers, Sender::Mdoc, Some(RECORD_ID_MDOC));
    records.push(Record::new(
        Tnf::EXTERNAL,
        TYPE_DEVICE_ENGAGEMENT,
        RECORD_ID_MDOC,
        config.device_engagement.clone(),
    ));
    HandoverMessage {
        kind: HandoverKind::Select,
        version: HANDOVER_VERSION_1_5,
        collision_random: None,
        alternative_carriers: acs,
        records,
    }
    .encode()
}
