//! Command and response APDUs (ISO/IEC 7816-4 5.1 and 5.6): short and extended length, the
//! status words 18013-5's NFC data retrieval and the NFC Forum Type 4 Tag use.
//!
//! Sans-IO: bytes in, values out. Parsing a peer's C-APDU never panics and never allocates
//! more than the input's length.

use std::fmt;

/// Class byte bit that marks a command as part of a chain, not the last one (ISO/IEC 7816-4
/// 5.4.1; 18013-5 2021 8.3.3.1.2: ENVELOPE `CLA 10` for every command but the last).
pub const CLA_CHAINING: u8 = 0x10;

/// Instruction codes used by the Type 4 Tag and by 18013-5 data retrieval.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ins(pub u8);

impl Ins {
    /// SELECT (ISO/IEC 7816-4 11.2.2).
    pub const SELECT: Self = Self(0xA4);
    /// READ BINARY (ISO/IEC 7816-4 11.3.3; NFC Forum T4T 5.4.3).
    pub const READ_BINARY: Self = Self(0xB0);
    /// UPDATE BINARY (ISO/IEC 7816-4 11.3.5; NFC Forum T4T 5.4.5).
    pub const UPDATE_BINARY: Self = Self(0xD6);
    /// ENVELOPE (ISO/IEC 7816-4 11.7.2; 18013-5 2021 8.3.3.1.2).
    pub const ENVELOPE: Self = Self(0xC3);
    /// GET RESPONSE (ISO/IEC 7816-4 11.7.1).
    pub const GET_RESPONSE: Self = Self(0xC0);
}

impl fmt::Debug for Ins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::SELECT => f.write_str("SELECT"),
            Self::READ_BINARY => f.write_str("READ BINARY"),
            Self::UPDATE_BINARY => f.write_str("UPDATE BINARY"),
            Self::ENVELOPE => f.write_str("ENVELOPE"),
            Self::GET_RESPONSE => f.write_str("GET RESPONSE"),
            Self(other) => write!(f, "INS {other:02X}"),
        }
    }
}

/// A status word SW1-SW2 (ISO/IEC 7816-4 5.6). Unknown values survive as they are.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// `9000`: normal processing.
    pub const OK: Self = Self(0x9000);
    /// `6100`: more response bytes (256 or more) are available with GET RESPONSE.
    pub const MORE_DATA: Self = Self(0x6100);
    /// `6700`: wrong length (Lc/Le inconsistent with the command or the card's limits).
    pub const WRONG_LENGTH: Self = Self(0x6700);
    /// `6985`: conditions of use not satisfied (e.g. GET RESPONSE with nothing pending).
    pub const CONDITIONS_NOT_SATISFIED: Self = Self(0x6985);
    /// `6A80`: incorrect parameters in the command data field.
    pub const WRONG_DATA: Self = Self(0x6A80);
    /// `6A82`: file or application not found (unknown AID or file id; 18013-5 8.3.3.1.2).
    pub const FILE_NOT_FOUND: Self = Self(0x6A82);
    /// `6A84`: not enough memory space (a chained message beyond the card's limit).
    pub const NOT_ENOUGH_MEMORY: Self = Self(0x6A84);
    /// `6A86`: incorrect parameters P1-P2.
    pub const WRONG_P1P2: Self = Self(0x6A86);
    /// `6B00`: wrong parameters (offset outside the file).
    pub const WRONG_OFFSET: Self = Self(0x6B00);
    /// `6D00`: instruction code not supported.
    pub const INS_NOT_SUPPORTED: Self = Self(0x6D00);
    /// `6E00`: class not supported.
    pub const CLA_NOT_SUPPORTED: Self = Self(0x6E00);
    /// `6F00`: no precise diagnosis (18013-5: an ENVELOPE whose content is unusable).
    pub const NO_PRECISE_DIAGNOSIS: Self = Self(0x6F00);

    /// `61XX` with XX = `remaining` when below 256, else `6100` (ISO/IEC 7816-4 5.6; DESIGN §6).
    pub fn more_data(remaining: usize) -> Self {
        if remaining < 256 {
            Self(0x6100 | remaining as u16)
        } else {
            Self::MORE_DATA
        }
    }

    /// Whether this is `61XX` (more data with GET RESPONSE), whatever XX says (DESIGN §6:
    /// readers treat any `61XX` as "more").
    pub fn is_more_data(self) -> bool {
        self.0 >> 8 == 0x61
    }

    /// SW1 and SW2 as bytes.
    pub fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }

    /// A short description of the status word, for traces.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::OK => "OK",
            s if s.is_more_data() => "more data",
            Self::WRONG_LENGTH => "wrong length",
            Self::CONDITIONS_NOT_SATISFIED => "conditions not satisfied",
            Self::WRONG_DATA => "wrong data",
            Self::FILE_NOT_FOUND => "file or application not found",
            Self::NOT_ENOUGH_MEMORY => "not enough memory",
            Self::WRONG_P1P2 => "wrong P1-P2",
            Self::WRONG_OFFSET => "offset outside the file",
            Self::INS_NOT_SUPPORTED => "instruction not supported",
            Self::CLA_NOT_SUPPORTED => "class not supported",
            Self::NO_PRECISE_DIAGNOSIS => "no precise diagnosis",
            _ => "error",
        }
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X} ({})", self.0, self.meaning())
    }
}

/// Largest command data field (Nc) of an extended-length APDU (ISO/IEC 7816-4 5.1).
pub const MAX_EXTENDED_NC: usize = 65_535;
/// Largest expected response length (Ne) of an extended-length APDU (Le `0000` = 65 536).
pub const MAX_EXTENDED_NE: usize = 65_536;
/// Largest command data field of a short APDU.
pub const MAX_SHORT_NC: usize = 255;
/// Largest Ne of a short APDU (Le `00` = 256).
pub const MAX_SHORT_NE: usize = 256;

/// Why bytes are not a command APDU, or why a command cannot be built. A peer's malformed
/// APDU maps to `6700` ([`ApduError::status_word`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApduError {
    /// Fewer than the 4 header bytes (peer's fault).
    #[error("APDU of {len} bytes is shorter than its 4-byte header")]
    TooShort {
        /// Length received.
        len: usize,
    },
    /// The body's length fields disagree with the number of bytes (peer's fault).
    #[error("APDU body of {body} bytes does not match its Lc/Le encoding")]
    BadLength {
        /// Length of the body after the header.
        body: usize,
    },
    /// A response APDU without its 2-byte status word (peer's fault).
    #[error("response APDU of {len} bytes has no status word")]
    NoStatusWord {
        /// Length received.
        len: usize,
    },
    /// A command this side was asked to build exceeds extended-length limits (caller's fault).
    #[error("command data of {nc} bytes or Ne {ne} exceeds ISO/IEC 7816-4 limits")]
    TooLarge {
        /// Data length.
        nc: usize,
        /// Expected response length.
        ne: usize,
    },
}

impl ApduError {
    /// The status word a card answers this malformed command with (ISO/IEC 7816-4 5.6).
    pub fn status_word(&self) -> StatusWord {
        StatusWord::WRONG_LENGTH
    }
}

/// A command APDU. Invariant: `data.len() <= 65 535` and `ne` is `None` or `1..=65 536`.
#[derive(Clone, PartialEq, Eq)]
pub struct CommandApdu {
    cla: u8,
    ins: Ins,
    p1: u8,
    p2: u8,
    data: Vec<u8>,
    ne: Option<usize>,
}

impl fmt::Debug for CommandApdu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} CLA {:02X} P1P2 {:02X}{:02X} Nc {} Ne {:?}",
            self.ins,
            self.cla,
            self.p1,
            self.p2,
            self.data.len(),
            self.ne
        )
    }
}

impl CommandApdu {
    /// A command; `ne` is the expected response length (`None`: no Le field).
    pub fn new(
        cla: u8,
        ins: Ins,
        p1: u8,
        p2: u8,
        data: Vec<u8>,
        ne: Option<usize>,
    ) -> Result<Self, ApduError> {
        let ne_ok = ne.is_none_or(|n| (1..=MAX_EXTENDED_NE).contains(&n));
        if data.len() > MAX_EXTENDED_NC || !ne_ok {
            return Err(ApduError::TooLarge {
                nc: data.len(),
                ne: ne.unwrap_or(0),
            });
        }
        Ok(Self {
            cla,
            ins,
            p1,
            p2,
            data,
            ne,
        })
    }

    /// The class byte.
    pub fn cla(&self) -> u8 {
        self.cla
    }
    /// The instruction.
    pub fn ins(&self) -> Ins {
        self.ins
    }
    /// P1.
    pub fn p1(&self) -> u8 {
        self.p1
    }
    /// P2.
    pub fn p2(&self) -> u8 {
        self.p2
    }
    /// P1 and P2 as one big-endian number (READ/UPDATE BINARY offsets).
    pub fn p1p2(&self) -> u16 {
        u16::from_be_bytes([self.p1, self.p2])
    }
    /// The command data field.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
    /// Takes the command data field.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }
    /// The expected response length Ne, `None` when the command has no Le field.
    pub fn ne(&self) -> Option<usize> {
        self.ne
    }
    /// Whether CLA marks this command as a non-final part of a chain.
    pub fn is_chained(&self) -> bool {
        self.cla & CLA_CHAINING != 0
    }
    /// Whether encoding needs extended length fields.
    pub fn is_extended(&self) -> bool {
        self.data.len() > MAX_SHORT_NC || self.ne.is_some_and(|n| n > MAX_SHORT_NE)
    }

    /// Encodes the command, with short length fields when both Nc and Ne allow them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 3 + self.data.len() + 3);
        out.extend_from_slice(&[self.cla, self.ins.0, self.p1, self.p2]);
        let extended = self.is_extended();
        if !self.data.is_empty() {
            if extended {
                // The constructor bounds data.len() to u16.
                out.push(0);
                out.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
            } else {
                out.push(self.data.len() as u8);
            }
            out.extend_from_slice(&self.data);
        }
        if let Some(ne) = self.ne {
            if extended {
                if self.data.is_empty() {
                    out.push(0);
                }
                // Ne 65 536 is written 0000; the constructor bounds ne to 1..=65 536.
                out.extend_from_slice(&((ne % MAX_EXTENDED_NE) as u16).to_be_bytes());
            } else {
                out.push((ne % MAX_SHORT_NE) as u8);
            }
        }
        out
    }

    /// Parses a command APDU of any of the seven cases (ISO/IEC 7816-4 5.1).
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        let Some((header, body)) = bytes.split_first_chunk::<4>() else {
            return Err(ApduError::TooShort { len: bytes.len() });
        };
        let [cla, ins, p1, p2] = *header;
        let bad = ApduError::BadLength { body: body.len() };
        let short_ne = |b: u8| if b == 0 { 256 } else { usize::from(b) };
        let ext_ne = |h: u8, l: u8| match u16::from_be_bytes([h, l]) {
            0 => MAX_EXTENDED_NE,
            n => usize::from(n),
        };
        let (data, ne): (&[u8], Option<usize>) = match *body {
            [] => (&[], None),
            [le] => (&[], Some(short_ne(le))),
            [0, h, l] => (&[], Some(ext_ne(h, l))),
            [0, h, l, ref rest @ ..] => {
                let nc = usize::from(u16::from_be_bytes([h, l]));
                if nc == 0 {
                    return Err(bad);
                }
                match rest.len().checked_sub(nc) {
                    Some(0) => (rest, None),
                    Some(2) => (&rest[..nc], Some(ext_ne(rest[nc], rest[nc + 1]))),
                    _ => return Err(bad),
                }
            }
            [0, ..] => return Err(bad),
            [lc, ref rest @ ..] => {
                let nc = usize::from(lc);
                match rest.len().checked_sub(nc) {
                    Some(0) => (rest, None),
                    Some(1) => (&rest[..nc], Some(short_ne(rest[nc]))),
                    _ => return Err(bad),
                }
            }
        };
        Ok(Self {
            cla,
            ins: Ins(ins),
            p1,
            p2,
            data: data.to_vec(),
            ne,
        })
    }
}

/// A response APDU: data and status word.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseApdu {
    /// The response data field.
    pub data: Vec<u8>,
    /// The status word.
    pub sw: StatusWord,
}

impl fmt::Debug for ResponseApdu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} bytes {:?}", self.data.len(), self.sw)
    }
}

impl ResponseApdu {
    /// A status word alone.
    pub fn status(sw: StatusWord) -> Self {
        Self {
            data: Vec::new(),
            sw,
        }
    }

    /// Data with `9000`.
    pub fn ok(data: Vec<u8>) -> Self {
        Self {
            data,
            sw: StatusWord::OK,
        }
    }

    /// Encodes data ‖ SW1 SW2.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.to_bytes());
        out
    }

    /// Parses data ‖ SW1 SW2.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        let Some((data, sw)) = bytes.split_last_chunk::<2>() else {
            return Err(ApduError::NoStatusWord { len: bytes.len() });
        };
        Ok(Self {
            data: data.to_vec(),
            sw: StatusWord(u16::from_be_bytes(*sw)),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn round_trip(c: &CommandApdu) {
        assert_eq!(&CommandApdu::parse(&c.to_bytes()).unwrap(), c);
    }

    #[test]
    fn all_seven_cases_round_trip() {
        let cases = [
            (vec![], None),
            (vec![], Some(1)),
            (vec![], Some(256)),
            (vec![7; 3], None),
            (vec![7; 255], Some(256)),
            (vec![], Some(257)),
            (vec![], Some(65_536)),
            (vec![7; 256], None),
            (vec![7; 3], Some(65_536)),
            (vec![7; 65_535], Some(300)),
        ];
        for (data, ne) in cases {
            round_trip(&CommandApdu::new(0x00, Ins::ENVELOPE, 0, 0, data, ne).unwrap());
        }
    }

    #[test]
    fn encodings_are_the_standard_ones() {
        let select = CommandApdu::new(0, Ins::SELECT, 4, 0, vec![0xA0; 7], None).unwrap();
        assert_eq!(select.to_bytes()[..5], [0x00, 0xA4, 0x04, 0x00, 0x07]);
        let le256 = CommandApdu::new(0, Ins::GET_RESPONSE, 0, 0, vec![], Some(256)).unwrap();
        assert_eq!(le256.to_bytes(), [0x00, 0xC0, 0x00, 0x00, 0x00]);
        let le_ext = CommandApdu::new(0, Ins::GET_RESPONSE, 0, 0, vec![], Some(65_536)).unwrap();
        assert_eq!(
            le_ext.to_bytes(),
            [0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00]
        );
        let case4e = CommandApdu::new(0, Ins::ENVELOPE, 0, 0, vec![1], Some(1000)).unwrap();
        assert_eq!(case4e.to_bytes(), [0, 0xC3, 0, 0, 0, 0, 1, 1, 0x03, 0xE8]);
    }

    #[test]
    fn malformed_commands_are_typed_errors_with_6700() {
        for bad in [
            &[][..],
            &[0x00, 0xA4, 0x04],
            // Lc says 5, two bytes follow.
            &[0x00, 0xA4, 0x04, 0x00, 0x05, 1, 2],
            // Lc 2 with two bytes of Le: neither case 3S nor 4S.
            &[0x00, 0xA4, 0x04, 0x00, 0x02, 1, 2, 3, 4],
            // Extended Lc 0.
            &[0x00, 0xC3, 0, 0, 0, 0, 0, 1],
            // Extended Lc 4 with 3 bytes.
            &[0x00, 0xC3, 0, 0, 0, 0, 4, 1, 2, 3],
            // A lone 00 then one byte.
            &[0x00, 0xC3, 0, 0, 0, 1],
        ] {
            let err = CommandApdu::parse(bad).unwrap_err();
            assert_eq!(err.status_word(), StatusWord::WRONG_LENGTH, "{bad:02X?}");
        }
    }

    #[test]
    fn oversized_commands_are_refused_when_built() {
        assert!(CommandApdu::new(0, Ins::ENVELOPE, 0, 0, vec![0; 65_536], None).is_err());
        assert!(CommandApdu::new(0, Ins::ENVELOPE, 0, 0, vec![], Some(0)).is_err());
        assert!(CommandApdu::new(0, Ins::ENVELOPE, 0, 0, vec![], Some(65_537)).is_err());
    }

    #[test]
    fn responses_parse_and_61xx_is_more() {
        let r = ResponseApdu::parse(&[1, 2, 0x61, 0x10]).unwrap();
        assert_eq!(r.data, [1, 2]);
        assert!(r.sw.is_more_data());
        assert_eq!(StatusWord::more_data(300), StatusWord::MORE_DATA);
        assert_eq!(StatusWord::more_data(0x10), StatusWord(0x6110));
        assert!(ResponseApdu::parse(&[0x90]).is_err());
    }
}
