//! NDEF messages and records (NFC Forum NDEF 1.0), as far as 18013-5 engagement needs them.
//!
//! Written here rather than taken from a crate: the format is a few header bits, and the one
//! maintained Rust NDEF crate targets embedded tag emulation. Chunked records (CF) never occur
//! in 18013-5 handover messages and are rejected.

use std::fmt;

/// Record header flag: message begin (NDEF 3.2.1).
const MB: u8 = 0x80;
/// Record header flag: message end.
const ME: u8 = 0x40;
/// Record header flag: chunk flag.
const CF: u8 = 0x20;
/// Record header flag: short record (1-byte payload length).
const SR: u8 = 0x10;
/// Record header flag: ID length present.
const IL: u8 = 0x08;

/// Type Name Format (NDEF 3.2.6): how to read a record's type.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tnf(pub u8);

impl Tnf {
    /// Empty record.
    pub const EMPTY: Self = Self(0x00);
    /// NFC Forum well-known type (`Hs`, `Hr`, `ac`, `cr`, `Tp`, …).
    pub const WELL_KNOWN: Self = Self(0x01);
    /// RFC 2046 media type (`application/vnd.bluetooth.le.oob`).
    pub const MEDIA: Self = Self(0x02);
    /// Absolute URI.
    pub const ABSOLUTE_URI: Self = Self(0x03);
    /// NFC Forum external type (`iso.org:18013:deviceengagement`).
    pub const EXTERNAL: Self = Self(0x04);
    /// Unknown type.
    pub const UNKNOWN: Self = Self(0x05);
}

impl fmt::Debug for Tnf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            Self::EMPTY => "Empty",
            Self::WELL_KNOWN => "WellKnown",
            Self::MEDIA => "Media",
            Self::ABSOLUTE_URI => "AbsoluteUri",
            Self::EXTERNAL => "External",
            Self::UNKNOWN => "Unknown",
            _ => return write!(f, "Tnf({})", self.0),
        };
        f.write_str(name)
    }
}

/// One NDEF record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// How to read `record_type`.
    pub tnf: Tnf,
    /// The record type (e.g. `b"Hs"`).
    pub record_type: Vec<u8>,
    /// The record ID (e.g. `b"mdoc"`), empty when absent.
    pub id: Vec<u8>,
    /// The payload.
    pub payload: Vec<u8>,
}

impl Record {
    /// A record with the given parts.
    pub fn new(tnf: Tnf, record_type: &[u8], id: &[u8], payload: Vec<u8>) -> Self {
        Self {
            tnf,
            record_type: record_type.to_vec(),
            id: id.to_vec(),
            payload,
        }
    }

    /// True when this record has the given TNF and type.
    pub fn is(&self, tnf: Tnf, record_type: &[u8]) -> bool {
        self.tnf == tnf && self.record_type == record_type
    }
}

/// Why bytes are not a valid NDEF message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NdefError {
    /// The message ends inside a record.
    #[error("NDEF message truncated in the record at byte {offset}")]
    Truncated {
        /// Offset of the record header.
        offset: usize,
    },
    /// The message has no records.
    #[error("empty NDEF message")]
    Empty,
    /// The first record lacks MB, a later one has it, or the last lacks ME.
    #[error("NDEF message begin/end flags wrong at byte {offset}")]
    BadFlags {
        /// Offset of the record header.
        offset: usize,
    },
    /// Bytes follow the record flagged ME.
    #[error("{count} bytes after the last NDEF record")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// Chunked records are not used by 18013-5.
    #[error("chunked NDEF record at byte {offset} is not supported")]
    Chunked {
        /// Offset of the record header.
        offset: usize,
    },
    /// A record whose content is not what its type requires.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// Which record.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
}

/// Parses an NDEF message into records. Lengths are checked against the input before use.
pub fn parse_message(bytes: &[u8]) -> Result<Vec<Record>, NdefError> {
    let mut records = Vec::new();
    let mut pos = 0usize;
    loop {
        let offset = pos;
        let truncated = NdefError::Truncated { offset };
        let take = |pos: &mut usize, n: usize| -> Result<&[u8], NdefError> {
            let end = pos
                .checked_add(n)
                .filter(|&e| e <= bytes.len())
                .ok_or(NdefError::Truncated { offset })?;
            let s = &bytes[*pos..end];
            *pos = end;
            Ok(s)
        };
        let header = *bytes.get(pos).ok_or(truncated.clone())?;
        pos += 1;
        if header & CF != 0 {
            return Err(NdefError::Chunked { offset });
        }
        let first = records.is_empty();
        if (header & MB != 0) != first {
            return Err(NdefError::BadFlags { offset });
        }
        let type_len = usize::from(take(&mut pos, 1)?[0]);
        let payload_len = if header & SR != 0 {
            usize::from(take(&mut pos, 1)?[0])
        } else {
            let b = take(&mut pos, 4)?;
            u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize
        };
        let id_len = if header & IL != 0 {
            usize::from(take(&mut pos, 1)?[0])
        } else {
            0
        };
        let record_type = take(&mut pos, type_len)?.to_vec();
        let id = take(&mut pos, id_len)?.to_vec();
        let payload = take(&mut pos, payload_len)?.to_vec();
        records.push(Record {
            tnf: Tnf(header & 0x07),
            record_type,
            id,
            payload,
        });
        if header & ME != 0 {
            break;
        }
    }
    if pos != bytes.len() {
        return Err(NdefError::TrailingBytes {
            count: bytes.len() - pos,
        });
    }
    Ok(records)
}

/// Encodes records as one NDEF message, using short records where the payload allows.
pub fn encode_message(records: &[Record]) -> Vec<u8> {
    let mut out = Vec::new();
    let last = records.len().saturating_sub(1);
    for (i, r) in records.iter().enumerate() {
        let short = r.payload.len() <= 0xff;
        let mut header = r.tnf.0 & 0x07;
        if i == 0 {
            header |= MB;
        }
        if i == last {
            header |= ME;
        }
        if short {
            header |= SR;
        }
        if !r.id.is_empty() {
            header |= IL;
        }
        out.push(header);
        // Types and IDs longer than 255 bytes do not occur in 18013-5 and are truncated by no
        // caller of ours; saturate rather than wrap if one ever does.
        out.push(u8::try_from(r.record_type.len()).unwrap_or(u8::MAX));
        if short {
            out.push(r.payload.len() as u8);
        } else {
            out.extend_from_slice(
                &u32::try_from(r.payload.len())
                    .unwrap_or(u32::MAX)
                    .to_be_bytes(),
            );
        }
        if !r.id.is_empty() {
            out.push(u8::try_from(r.id.len()).unwrap_or(u8::MAX));
        }
        out.extend_from_slice(&r.record_type);
        out.extend_from_slice(&r.id);
        out.extend_from_slice(&r.payload);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_short_and_long_records() {
        let records = vec![
            Record::new(Tnf::WELL_KNOWN, b"Hs", b"", vec![0x15]),
            Record::new(
                Tnf::EXTERNAL,
                b"iso.org:18013:deviceengagement",
                b"mdoc",
                vec![7; 300],
            ),
        ];
        let bytes = encode_message(&records);
        assert_eq!(bytes[0], MB | SR | 0x01);
        assert_eq!(bytes[6] & (ME | SR | IL), ME | IL);
        assert_eq!(parse_message(&bytes).expect("parses"), records);
    }

    #[test]
    fn every_prefix_is_truncated_not_a_panic() {
        let bytes = encode_message(&[Record::new(Tnf::MEDIA, b"a/b", b"0", vec![1, 2, 3])]);
        for end in 0..bytes.len() {
            assert!(
                matches!(
                    parse_message(&bytes[..end]),
                    Err(NdefError::Truncated { offset: 0 })
                ),
                "{end}"
            );
        }
    }

    #[test]
    fn huge_payload_length_is_truncated_without_allocation() {
        // Long record declaring a 4 GiB payload.
        let bytes = [MB | ME | 0x02, 0x01, 0xff, 0xff, 0xff, 0xff, b'a'];
        assert_eq!(
            parse_message(&bytes),
            Err(NdefError::Truncated { offset: 0 })
        );
    }

    #[test]
    fn flags_checked() {
        let no_mb = [ME | SR | 0x01, 0x01, 0x00, b'a'];
        assert_eq!(
            parse_message(&no_mb),
            Err(NdefError::BadFlags { offset: 0 })
        );
        let mut two_mb = encode_message(&[
            Record::new(Tnf::WELL_KNOWN, b"a", b"", vec![]),
            Record::new(Tnf::WELL_KNOWN, b"b", b"", vec![]),
        ]);
        two_mb[4] |= MB;
        assert_eq!(
            parse_message(&two_mb),
            Err(NdefError::BadFlags { offset: 4 })
        );
        let chunked = [MB | ME | CF | SR | 0x01, 0x01, 0x00, b'a'];
        assert_eq!(
            parse_message(&chunked),
            Err(NdefError::Chunked { offset: 0 })
        );
        let mut trailing = no_mb.to_vec();
        trailing[0] |= MB;
        trailing.push(0);
        assert_eq!(
            parse_message(&trailing),
            Err(NdefError::TrailingBytes { count: 1 })
        );
    }
}
