//! The reader's side of the field: a sans-IO Type 4 Tag poller for 18013-5 engagement
//! (DESIGN §5, §7b).
//!
//! It produces the C-APDUs — SELECT the NDEF application, read the CC and the NDEF file, and in
//! negotiated handover run TNEP (Service Select, status), write the Hr and read the Hs — and
//! ends with an [`NfcEngagement`]: the DeviceEngagement, the transcript's Handover (`[Hs, null]`
//! or `[Hs, Hr]`, bytes as exchanged) and the carriers offered.
//!
//! Run loop: call [`TagPoller::poll_action`]; transmit a [`PollerAction::Transmit`] and feed the
//! R-APDU to [`TagPoller::handle_response`]; sleep for a [`PollerAction::Wait`] (TNEP T_wait);
//! stop at [`PollerAction::Engaged`]. The poller never reads a clock.

use std::collections::VecDeque;
use std::time::Duration;

use mdl_proximity::cbor::{Bstr, DecodeError};
use mdl_proximity::engagement::nfc::handover::{
    HandoverKind, HandoverMessage, HANDOVER_VERSION_1_5, TYPE_READER_ENGAGEMENT,
};
use mdl_proximity::engagement::nfc::ndef::{self, NdefError, Record, Tnf};
use mdl_proximity::msg::engagement::device_engagement_from_raw;
use mdl_proximity::msg::{DeviceEngagementBytes, Handover};
use mdl_transport::{BleMode, Carrier};

use crate::apdu::{CommandApdu, Ins, ResponseApdu, StatusWord};
use crate::carriers::{
    carrier_records, carriers_of, carriers_of_engagement, Sender, RECORD_ID_MDOC_READER,
};
use crate::envelope::ApduSizes;
use crate::tag::{
    self, CapabilityContainer, CcError, ServiceParameter, AID_MDOC, AID_NDEF, FILE_CC,
    SELECT_BY_FILE_ID, SELECT_BY_NAME,
};

/// What the reader terminal offers in negotiated handover.
#[derive(Debug, Clone)]
pub struct PollerConfig {
    /// The carriers for the Hr, in the reader's order of preference.
    pub carriers: Vec<Carrier>,
    /// A ReaderEngagement to send in the Hr (2nd ed.; Multipaz sends `{0: "1.0"}`).
    pub reader_engagement: Option<Vec<u8>>,
    /// The `cr` random number (randomness is an argument); `None` omits `cr`.
    pub collision_random: Option<u16>,
    /// What the reader's own link carries (the backend's limit).
    pub link_sizes: ApduSizes,
    /// Send these bytes as the Hr instead of building one (interop tests, Annex D).
    pub request_override: Option<Vec<u8>>,
}

/// The outcome of engagement, as the reader sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct NfcEngagement {
    /// The DeviceEngagement, bytes as received.
    pub device_engagement: DeviceEngagementBytes,
    /// The Handover of the SessionTranscript.
    pub handover: Handover,
    /// The carriers offered: the Hs's (in its order; central client mode completed with the
    /// reader's own UUID), then the DeviceEngagement's own retrieval methods.
    pub carriers: Vec<Carrier>,
}

/// Why engagement failed (all but `OutOfSequence` are the tag's fault).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngageError {
    /// The tag refused a command.
    #[error("{step}: tag answered {sw}")]
    Status {
        /// Which step.
        step: &'static str,
        /// The status word.
        sw: StatusWord,
    },
    /// The CC is unusable.
    #[error("capability container: {0}")]
    Cc(#[from] CcError),
    /// The tag's NDEF message does not parse.
    #[error("NDEF: {0}")]
    Ndef(#[from] NdefError),
    /// The NDEF message is neither an Hs nor a handover TNEP service.
    #[error("the tag offers no 18013-5 handover")]
    NotHandover,
    /// The NDEF message or a read is larger than the T4T offsets allow, or the tag returned
    /// more than asked.
    #[error("bad NDEF length {0}")]
    BadLength(usize),
    /// TNEP status other than success.
    #[error("TNEP status {0:02X}")]
    Tnep(u8),
    /// The tag did not answer within N_wait waiting times.
    #[error("TNEP: no answer after the allowed waiting times")]
    TnepTimeout,
    /// The Hs carries no DeviceEngagement record.
    #[error("Hs without DeviceEngagement")]
    NoDeviceEngagement,
    /// The DeviceEngagement does not decode.
    #[error("DeviceEngagement: {0}")]
    DeviceEngagement(#[from] DecodeError),
    /// A response arrived with no command in flight (caller's fault).
    #[error("response out of sequence")]
    OutOfSequence,
}

/// What the poller asks for next.
#[derive(Debug, Clone, PartialEq)]
pub enum PollerAction {
    /// Transmit this C-APDU and feed back its R-APDU.
    Transmit(CommandApdu),
    /// Wait this long (TNEP T_wait), then poll again.
    Wait(Duration),
    /// Done.
    Engaged(Box<NfcEngagement>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Initial,
    TnepStatus,
    Select,
}

#[derive(Debug)]
enum Step {
    Command(&'static str, CommandApdu),
    ReadCc,
    ReadNlen(Purpose),
    ReadBody {
        purpose: Purpose,
        len: usize,
        buf: Vec<u8>,
    },
    Wait(Purpose),
    Done,
}

/// The reader's sans-IO Type 4 Tag engagement.
#[derive(Debug)]
pub struct TagPoller {
    config: PollerConfig,
    steps: VecDeque<Step>,
    in_flight: bool,
    waited: bool,
    cc: Option<CapabilityContainer>,
    service: Option<ServiceParameter>,
    waits: u8,
    request: Option<Vec<u8>>,
    result: Option<NfcEngagement>,
}

fn select_aid(aid: &[u8], ne: Option<usize>) -> CommandApdu {
    // Fixed small sizes: valid by construction.
    CommandApdu::new(0x00, Ins::SELECT, SELECT_BY_NAME, 0x00, aid.to_vec(), ne)
        .unwrap_or_else(|_| unreachable!("7-byte AID"))
}

/// `SELECT A0000002480400` (2021 8.3.3.1.2: P2 `00`, no Le), which starts data retrieval.
pub fn select_mdoc() -> CommandApdu {
    select_aid(AID_MDOC, None)
}

fn select_file(id: u16) -> CommandApdu {
    CommandApdu::new(
        0x00,
        Ins::SELECT,
        SELECT_BY_FILE_ID,
        0x0C,
        id.to_be_bytes().to_vec(),
        None,
    )
    .unwrap_or_else(|_| unreachable!("2-byte file id"))
}

impl TagPoller {
    /// A poller for one tap.
    pub fn new(config: PollerConfig) -> Self {
        let steps = VecDeque::from([
            Step::Command("SELECT NDEF application", select_aid(AID_NDEF, Some(256))),
            Step::Command("SELECT CC", select_file(FILE_CC)),
            Step::ReadCc,
        ]);
        Self {
            config,
            steps,
            in_flight: false,
            waited: false,
            cc: None,
            service: None,
            waits: 0,
            request: None,
            result: None,
        }
    }

    fn read(&self, offset: usize, len: usize) -> Result<CommandApdu, EngageError> {
        let max_le = self
            .cc
            .map_or(15, |cc| usize::from(cc.max_le).max(1))
            .min(self.config.link_sizes.response_data);
        let offset = u16::try_from(offset)
            .ok()
            .filter(|o| o & 0x8000 == 0)
            .ok_or(EngageError::BadLength(offset))?;
        let [p1, p2] = offset.to_be_bytes();
        CommandApdu::new(
            0,
            Ins::READ_BINARY,
            p1,
            p2,
            Vec::new(),
            Some(len.min(max_le).max(1)),
        )
        .map_err(|_| EngageError::BadLength(len))
    }

    /// The next thing to do. Call again after every [`Self::handle_response`] and after a
    /// wait. `Ok(None)` while a command is in flight.
    pub fn poll_action(&mut self) -> Result<Option<PollerAction>, EngageError> {
        if self.in_flight {
            return Ok(None);
        }
        let action = match self.steps.front() {
            None | Some(Step::Done) => {
                return Ok(self
                    .result
                    .take()
                    .map(|r| PollerAction::Engaged(Box::new(r))))
            }
            Some(Step::Command(_, c)) => PollerAction::Transmit(c.clone()),
            Some(Step::ReadCc) => PollerAction::Transmit(self.read(0, CapabilityContainer::LEN)?),
            Some(Step::ReadNlen(_)) => PollerAction::Transmit(self.read(0, 2)?),
            Some(Step::ReadBody { len, buf, .. }) => {
                PollerAction::Transmit(self.read(2 + buf.len(), len - buf.len())?)
            }
            Some(Step::Wait(_)) if !self.waited => {
                self.waited = true;
                let micros = self
                    .service
                    .as_ref()
                    .map_or(0, ServiceParameter::t_wait_micros);
                return Ok(Some(PollerAction::Wait(Duration::from_micros(micros))));
            }
            Some(Step::Wait(purpose)) => {
                let purpose = *purpose;
                self.waited = false;
                self.steps.pop_front();
                self.steps.push_front(Step::ReadNlen(purpose));
                return self.poll_action();
            }
        };
        self.in_flight = true;
        Ok(Some(action))
    }

    /// Handles the R-APDU of the last transmitted command.
    pub fn handle_response(&mut self, response: &ResponseApdu) -> Result<(), EngageError> {
        if !self.in_flight {
            return Err(EngageError::OutOfSequence);
        }
        self.in_flight = false;
        let result = self.advance(response);
        if result.is_err() {
            self.steps.clear();
        }
        result
    }

    fn expect_ok(step: &'static str, response: &ResponseApdu) -> Result<(), EngageError> {
        if response.sw == StatusWord::OK {
            Ok(())
        } else {
            Err(EngageError::Status {
                step,
                sw: response.sw,
            })
        }
    }

    fn advance(&mut self, response: &ResponseApdu) -> Result<(), EngageError> {
        let Some(step) = self.steps.pop_front() else {
            return Err(EngageError::OutOfSequence);
        };
        match step {
            Step::Command(name, _) => Self::expect_ok(name, response),
            Step::ReadCc => {
                Self::expect_ok("READ CC", response)?;
                let cc = CapabilityContainer::parse(&response.data)?;
                self.cc = Some(cc);
                self.steps.push_back(Step::Command(
                    "SELECT NDEF file",
                    select_file(cc.ndef_file_id),
                ));
                self.steps.push_back(Step::ReadNlen(Purpose::Initial));
                Ok(())
            }
            Step::ReadNlen(purpose) => {
                Self::expect_ok("READ NLEN", response)?;
                let [a, b] = response.data[..] else {
                    return Err(EngageError::BadLength(response.data.len()));
                };
                let len = usize::from(u16::from_be_bytes([a, b]));
                if len == 0 {
                    // TNEP: not ready; wait again, at most N_wait times (TNEP 4.3).
                    let allowed = self.service.as_ref().map_or(0, |s| s.n_wait);
                    if purpose == Purpose::Initial {
                        return Err(EngageError::NotHandover);
                    }
                    if self.waits >= allowed {
                        return Err(EngageError::TnepTimeout);
                    }
                    self.waits += 1;
                    self.steps.push_front(Step::Wait(purpose));
                    return Ok(());
                }
                if len + 2 > 0x8000 {
                    return Err(EngageError::BadLength(len));
                }
                self.steps.push_front(Step::ReadBody {
                    purpose,
                    len,
                    buf: Vec::with_capacity(len),
                });
                Ok(())
            }
            Step::ReadBody {
                purpose,
                len,
                mut buf,
            } => {
                Self::expect_ok("READ NDEF", response)?;
                if response.data.is_empty() || buf.len() + response.data.len() > len {
                    return Err(EngageError::BadLength(buf.len() + response.data.len()));
                }
                buf.extend_from_slice(&response.data);
                if buf.len() < len {
                    self.steps.push_front(Step::ReadBody { purpose, len, buf });
                    return Ok(());
                }
                self.message(purpose, buf)
            }
            Step::Wait(p) => {
                self.steps.push_front(Step::Wait(p));
                Err(EngageError::OutOfSequence)
            }
            Step::Done => Err(EngageError::OutOfSequence),
        }
    }

    fn message(&mut self, purpose: Purpose, message: Vec<u8>) -> Result<(), EngageError> {
        let records = ndef::parse_message(&message)?;
        let first = records.first().ok_or(NdefError::Empty)?;
        match purpose {
            Purpose::Initial if first.is(Tnf::WELL_KNOWN, b"Hs") => self.engaged(message, None),
            Purpose::Initial => {
                let service = records
                    .iter()
                    .filter(|r| r.is(Tnf::WELL_KNOWN, tag::TYPE_SERVICE_PARAMETER))
                    .filter_map(|r| ServiceParameter::parse(&r.payload))
                    .find(|s| s.service == tag::SERVICE_HANDOVER)
                    .ok_or(EngageError::NotHandover)?;
                self.service = Some(service);
                let select = ndef::encode_message(&[tag::service_select(tag::SERVICE_HANDOVER)]);
                self.write(&select, Purpose::TnepStatus)
            }
            Purpose::TnepStatus => {
                if !first.is(Tnf::WELL_KNOWN, tag::TYPE_TNEP_STATUS) {
                    return Err(EngageError::NotHandover);
                }
                match first.payload[..] {
                    [tag::TNEP_STATUS_SUCCESS] => {}
                    [s, ..] => return Err(EngageError::Tnep(s)),
                    [] => return Err(EngageError::Tnep(0xFF)),
                }
                let request = match &self.config.request_override {
                    Some(r) => r.clone(),
                    None => self.build_request(),
                };
                self.request = Some(request.clone());
                self.write(&request, Purpose::Select)
            }
            Purpose::Select => {
                if first.is(Tnf::WELL_KNOWN, tag::TYPE_TNEP_STATUS) {
                    return Err(EngageError::Tnep(
                        first.payload.first().copied().unwrap_or(0xFF),
                    ));
                }
                if !first.is(Tnf::WELL_KNOWN, b"Hs") {
                    return Err(EngageError::NotHandover);
                }
                let request = self.request.take();
                self.engaged(message, request)
            }
        }
    }

    fn build_request(&self) -> Vec<u8> {
        let (acs, mut records) = carrier_records(&self.config.carriers, Sender::Reader, None);
        if let Some(re) = &self.config.reader_engagement {
            records.push(Record::new(
                Tnf::EXTERNAL,
                TYPE_READER_ENGAGEMENT,
                RECORD_ID_MDOC_READER,
                re.clone(),
            ));
        }
        HandoverMessage {
            kind: HandoverKind::Request,
            version: HANDOVER_VERSION_1_5,
            collision_random: self.config.collision_random,
            alternative_carriers: acs,
            records,
        }
        .encode()
    }

    /// Queues the T4T write procedure (NFC Forum T4T 7.5.5): one UPDATE with NLEN and message
    /// when it fits, else NLEN 0, the message from offset 2, then NLEN.
    fn write(&mut self, message: &[u8], then: Purpose) -> Result<(), EngageError> {
        let cc = self.cc.ok_or(EngageError::OutOfSequence)?;
        let chunk = usize::from(cc.max_lc)
            .min(self.config.link_sizes.command_data)
            .clamp(1, 255);
        let total = message.len() + 2;
        if total > usize::from(cc.max_ndef_size).min(0x7FFF) {
            return Err(EngageError::BadLength(message.len()));
        }
        let update = |offset: usize, data: Vec<u8>| {
            let [p1, p2] = (offset as u16).to_be_bytes();
            CommandApdu::new(0, Ins::UPDATE_BINARY, p1, p2, data, None)
                .map_err(|_| EngageError::BadLength(offset))
        };
        let nlen = (message.len() as u16).to_be_bytes();
        if total <= chunk {
            let mut data = nlen.to_vec();
            data.extend_from_slice(message);
            self.steps
                .push_back(Step::Command("UPDATE NDEF", update(0, data)?));
        } else {
            self.steps
                .push_back(Step::Command("UPDATE NLEN 0", update(0, vec![0, 0])?));
            for (i, part) in message.chunks(chunk).enumerate() {
                self.steps.push_back(Step::Command(
                    "UPDATE NDEF",
                    update(2 + i * chunk, part.to_vec())?,
                ));
            }
            self.steps
                .push_back(Step::Command("UPDATE NLEN", update(0, nlen.to_vec())?));
        }
        self.waits = 0;
        self.steps.push_back(Step::Wait(then));
        Ok(())
    }

    fn engaged(&mut self, select: Vec<u8>, request: Option<Vec<u8>>) -> Result<(), EngageError> {
        let hs = HandoverMessage::parse(&select)?;
        if hs.kind != HandoverKind::Select {
            return Err(EngageError::NotHandover);
        }
        let de = hs
            .device_engagement()
            .ok_or(EngageError::NoDeviceEngagement)?
            .to_vec();
        let device_engagement = device_engagement_from_raw(de)?;
        let mut carriers = carriers_of(&hs, Sender::Mdoc);
        // Central client mode in a negotiated Hs carries no UUID: it is the one of our Hr.
        let our_uuid = self.config.carriers.iter().find_map(|c| match c {
            Carrier::Ble(b) if b.mode == BleMode::CentralClient => b.service_uuid,
            _ => None,
        });
        for c in &mut carriers {
            if let Carrier::Ble(b) = c {
                if b.mode == BleMode::CentralClient && b.service_uuid.is_none() {
                    b.service_uuid = our_uuid;
                }
            }
        }
        carriers.extend(carriers_of_engagement(device_engagement.value()));
        let handover = match request {
            None => Handover::NfcStatic {
                select: Bstr(select),
            },
            Some(request) => Handover::NfcNegotiated {
                select: Bstr(select),
                request: Bstr(request),
            },
        };
        self.result = Some(NfcEngagement {
            device_engagement,
            handover,
            carriers,
        });
        self.steps.push_back(Step::Done);
        Ok(())
    }
}
