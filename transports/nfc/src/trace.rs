//! The APDU trace (`apdu.log`): one line per APDU, `C: <hex>` for a command and `R: <hex>` for
//! its response, in order — and an annotator that says what each line is (which command,
//! which file, which message), for `mdl inspect`.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use mdl_proximity::engagement::nfc::ndef::{self, Tnf};

use crate::apdu::{CommandApdu, Ins, ResponseApdu, StatusWord};
use crate::envelope::ApduSizes;
use crate::reader::{ApduChannel, ChannelError};
use crate::tag::{AID_MDOC, AID_NDEF, FILE_CC};
use crate::tlv;

/// Formats one trace line (`C: 00A4…` or `R: 9000`), with a newline.
pub fn line(command: bool, bytes: &[u8]) -> String {
    let mut s = String::with_capacity(4 + 2 * bytes.len());
    s.push_str(if command { "C: " } else { "R: " });
    for b in bytes {
        let _ = write!(s, "{b:02X}");
    }
    s.push('\n');
    s
}

/// An [`ApduChannel`] that records every exchange into a shared trace.
#[derive(Debug)]
pub struct Traced<C> {
    inner: C,
    log: Arc<Mutex<String>>,
}

impl<C> Traced<C> {
    /// Wraps `inner`; the trace accumulates in `log`.
    pub fn new(inner: C, log: Arc<Mutex<String>>) -> Self {
        Self { inner, log }
    }

    fn record(&self, command: bool, bytes: &[u8]) {
        if let Ok(mut log) = self.log.lock() {
            log.push_str(&line(command, bytes));
        }
    }
}

impl<C: ApduChannel> ApduChannel for Traced<C> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, ChannelError> {
        self.record(true, command);
        let r = self.inner.transmit(command)?;
        self.record(false, &r);
        Ok(r)
    }
    fn link_sizes(&self) -> ApduSizes {
        self.inner.link_sizes()
    }
    fn release(&mut self) {
        self.inner.release();
    }
}

/// One annotated trace line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// 1-based line number in the trace.
    pub line: usize,
    /// What the line is.
    pub text: String,
}

#[derive(Default)]
struct State {
    app: Option<&'static str>,
    file: Option<&'static str>,
    last: Option<Ins>,
    ndef_read: Vec<u8>,
    ndef_write: Vec<u8>,
    envelope: Vec<u8>,
    response: Vec<u8>,
}

fn describe_ndef(message: &[u8]) -> String {
    match ndef::parse_message(message) {
        Ok(records) => {
            let names: Vec<String> = records
                .iter()
                .map(|r| {
                    let t = String::from_utf8_lossy(&r.record_type);
                    match (r.tnf, &r.record_type[..]) {
                        (Tnf::WELL_KNOWN, b"Hs") => "Handover Select".into(),
                        (Tnf::WELL_KNOWN, b"Hr") => "Handover Request".into(),
                        (Tnf::WELL_KNOWN, b"Tp") => "TNEP Service Parameter".into(),
                        (Tnf::WELL_KNOWN, b"Ts") => "TNEP Service Select".into(),
                        (Tnf::WELL_KNOWN, b"Te") => {
                            format!("TNEP Status {:02X?}", r.payload)
                        }
                        _ => t.into_owned(),
                    }
                })
                .collect();
            format!(
                "NDEF message of {} bytes: {}",
                message.len(),
                names.join(", ")
            )
        }
        Err(e) => format!(
            "NDEF message of {} bytes that does not parse: {e}",
            message.len()
        ),
    }
}

fn describe_message(wrapped: &[u8]) -> String {
    match tlv::unwrap(wrapped, usize::MAX) {
        Ok(m) => {
            // SessionEstablishment carries its key under "eReaderKey"; SessionData has "data"
            // and/or "status" (2021 9.1.1.4).
            let kind = if m.windows(10).any(|w| w == b"eReaderKey") {
                "SessionEstablishment"
            } else if m.windows(6).any(|w| w == b"status") && m.len() < 16 {
                "SessionData (status)"
            } else {
                "SessionData"
            };
            format!("{kind} message of {} bytes", m.len())
        }
        Err(e) => format!("malformed message: {e}"),
    }
}

fn describe_command(c: &CommandApdu, st: &mut State) -> String {
    let ins = c.ins();
    st.last = Some(ins);
    match ins {
        Ins::SELECT if c.p1() == 0x04 => {
            let (name, app) = if c.data() == AID_NDEF {
                ("NDEF Tag application", Some("NDEF"))
            } else if c.data() == AID_MDOC {
                ("mdoc application", Some("mdoc"))
            } else {
                ("unknown application", None)
            };
            st.app = app;
            st.file = None;
            format!("SELECT {name}")
        }
        Ins::SELECT => {
            let file = match c.data() {
                [a, b] if u16::from_be_bytes([*a, *b]) == FILE_CC => "CC file",
                [_, _] => "NDEF file",
                _ => "file (malformed id)",
            };
            st.file = Some(file);
            format!("SELECT {file}")
        }
        Ins::READ_BINARY => format!(
            "READ BINARY {} offset {} Le {}",
            st.file.unwrap_or("(no file)"),
            c.p1p2(),
            c.ne().unwrap_or(0)
        ),
        Ins::UPDATE_BINARY => {
            if c.p1p2() == 0 && c.data() == [0, 0] {
                st.ndef_write.clear();
                "UPDATE BINARY NLEN = 0 (write begins)".into()
            } else if c.p1p2() == 0 && c.data().len() == 2 {
                let msg = std::mem::take(&mut st.ndef_write);
                format!("UPDATE BINARY NLEN (write ends): {}", describe_ndef(&msg))
            } else if c.p1p2() == 0 {
                let msg = c.data().get(2..).unwrap_or_default();
                format!("UPDATE BINARY NLEN + {}", describe_ndef(msg))
            } else {
                st.ndef_write.extend_from_slice(c.data());
                format!(
                    "UPDATE BINARY offset {} ({} bytes)",
                    c.p1p2(),
                    c.data().len()
                )
            }
        }
        Ins::ENVELOPE => {
            st.envelope.extend_from_slice(c.data());
            if c.is_chained() {
                format!("ENVELOPE (chained, {} bytes)", c.data().len())
            } else {
                let m = std::mem::take(&mut st.envelope);
                st.response.clear();
                format!(
                    "ENVELOPE (last, {} bytes): reader sends {}",
                    c.data().len(),
                    describe_message(&m)
                )
            }
        }
        Ins::GET_RESPONSE => format!("GET RESPONSE Le {}", c.ne().unwrap_or(0)),
        other => format!("{other:?}"),
    }
}

fn describe_response(r: &ResponseApdu, st: &mut State) -> String {
    let mut text = format!("{} ({} data bytes)", r.sw, r.data.len());
    match st.last {
        Some(Ins::READ_BINARY) if st.file == Some("NDEF file") => {
            st.ndef_read.extend_from_slice(&r.data);
            if st.ndef_read.len() >= 2 {
                let nlen = usize::from(u16::from_be_bytes([st.ndef_read[0], st.ndef_read[1]]));
                if st.ndef_read.len() == 2 {
                    let _ = write!(text, ": NLEN {nlen}");
                    st.ndef_read.clear();
                    st.ndef_read.extend_from_slice(&(nlen as u16).to_be_bytes());
                } else if st.ndef_read.len() >= nlen + 2 {
                    let _ = write!(text, ": {}", describe_ndef(&st.ndef_read[2..nlen + 2]));
                    st.ndef_read.clear();
                }
            }
        }
        Some(Ins::ENVELOPE | Ins::GET_RESPONSE) if !r.data.is_empty() || r.sw == StatusWord::OK => {
            st.response.extend_from_slice(&r.data);
            if r.sw == StatusWord::OK {
                let m = std::mem::take(&mut st.response);
                if m.is_empty() {
                    text.push_str(": no message");
                } else {
                    let _ = write!(text, ": mdoc answers {}", describe_message(&m));
                }
            }
        }
        _ => {}
    }
    text
}

/// Annotates an `apdu.log` trace: one annotation per `C:`/`R:` line (other lines are skipped).
pub fn annotate(trace: &str) -> Vec<Annotation> {
    let mut st = State::default();
    let mut out = Vec::new();
    for (i, raw) in trace.lines().enumerate() {
        let raw = raw.trim();
        let (command, hex) = if let Some(h) = raw.strip_prefix("C:") {
            (true, h.trim())
        } else if let Some(h) = raw.strip_prefix("R:") {
            (false, h.trim())
        } else {
            continue;
        };
        let bytes: Option<Vec<u8>> = (0..hex.len())
            .step_by(2)
            .map(|j| {
                hex.get(j..j + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect();
        let text = match bytes {
            None => "not hex".to_owned(),
            Some(b) if command => match CommandApdu::parse(&b) {
                Ok(c) => describe_command(&c, &mut st),
                Err(e) => format!("malformed command: {e}"),
            },
            Some(b) => match ResponseApdu::parse(&b) {
                Ok(r) => describe_response(&r, &mut st),
                Err(e) => format!("malformed response: {e}"),
            },
        };
        out.push(Annotation { line: i + 1, text });
    }
    out
}
