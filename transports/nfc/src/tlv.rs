//! The BER-TLV wrapper of 18013-5 NFC data retrieval: each message, in both directions, is the
//! value of tag `53` (2021 8.3.3.1.2), length in short form or `81`/`82`/`83` + big-endian.

/// The BER-TLV tag of an 18013-5 message carried by ENVELOPE and its response (2021 8.3.3.1.2,
/// "discretionary data").
pub const TAG_MESSAGE: u8 = 0x53;

/// Why bytes are not a tag-53 TLV (always the peer's fault).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlvError {
    /// The first byte is not tag `53`.
    #[error("expected BER-TLV tag 53, found {0:02X}")]
    WrongTag(u8),
    /// The length is indefinite (`80`) or uses more than 3 length bytes.
    #[error("unsupported BER-TLV length byte {0:02X}")]
    BadLengthForm(u8),
    /// The value is shorter than its length says.
    #[error("TLV declares {declared} value bytes, {present} present")]
    Truncated {
        /// The declared length.
        declared: usize,
        /// What arrived.
        present: usize,
    },
    /// Bytes follow the value.
    #[error("TLV declares {declared} value bytes, {present} present")]
    Oversized {
        /// The declared length.
        declared: usize,
        /// What arrived.
        present: usize,
    },
    /// The declared length exceeds what this side accepts.
    #[error("message of {declared} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// The declared length.
        declared: usize,
        /// The limit.
        limit: usize,
    },
}

/// Wraps `message` as `53 <len> <message>`, with the shortest length form.
pub fn wrap(message: &[u8]) -> Vec<u8> {
    let len = message.len();
    let mut out = Vec::with_capacity(len + 5);
    out.push(TAG_MESSAGE);
    match len {
        0..=0x7F => out.push(len as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, len as u8]),
        0x100..=0xFFFF => {
            out.push(0x82);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            // Messages above 16 MiB are refused before they get here (limits of both sides);
            // the three-byte form is the largest 18013-5 names.
            out.push(0x83);
            out.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
        }
    }
    out.extend_from_slice(message);
    out
}

/// Reads the TLV header: `Ok(Some((header length, value length)))`, `Ok(None)` when more bytes
/// are needed to know.
pub fn header(bytes: &[u8]) -> Result<Option<(usize, usize)>, TlvError> {
    let Some(&tag) = bytes.first() else {
        return Ok(None);
    };
    if tag != TAG_MESSAGE {
        return Err(TlvError::WrongTag(tag));
    }
    let Some(&first) = bytes.get(1) else {
        return Ok(None);
    };
    if first < 0x80 {
        return Ok(Some((2, usize::from(first))));
    }
    let n = usize::from(first & 0x7F);
    if !(1..=3).contains(&n) {
        return Err(TlvError::BadLengthForm(first));
    }
    let Some(len_bytes) = bytes.get(2..2 + n) else {
        return Ok(None);
    };
    let len = len_bytes
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
    Ok(Some((2 + n, len)))
}

/// Unwraps a complete `53 <len> <message>`, rejecting truncation, trailing bytes and values
/// above `limit`.
pub fn unwrap(bytes: &[u8], limit: usize) -> Result<&[u8], TlvError> {
    let (h, len) = header(bytes)?.ok_or(TlvError::Truncated {
        declared: 0,
        present: bytes.len(),
    })?;
    if len > limit {
        return Err(TlvError::TooLarge {
            declared: len,
            limit,
        });
    }
    let present = bytes.len() - h;
    match present.cmp(&len) {
        std::cmp::Ordering::Less => Err(TlvError::Truncated {
            declared: len,
            present,
        }),
        std::cmp::Ordering::Greater => Err(TlvError::Oversized {
            declared: len,
            present,
        }),
        std::cmp::Ordering::Equal => Ok(&bytes[h..]),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_length_form_round_trips() {
        for len in [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 100_000] {
            let m = vec![0xA5; len];
            let w = wrap(&m);
            let expected_header = match len {
                0..=0x7F => 2,
                0x80..=0xFF => 3,
                0x100..=0xFFFF => 4,
                _ => 5,
            };
            assert_eq!(w.len(), len + expected_header);
            assert_eq!(unwrap(&w, usize::MAX).unwrap(), &m[..]);
        }
    }

    #[test]
    fn bad_tlvs_are_typed() {
        assert_eq!(unwrap(&[0x54, 0], 10), Err(TlvError::WrongTag(0x54)));
        assert_eq!(
            unwrap(&[0x53, 0x80], 10),
            Err(TlvError::BadLengthForm(0x80))
        );
        assert_eq!(
            unwrap(&[0x53, 0x84, 0, 0, 0, 1, 0], 10),
            Err(TlvError::BadLengthForm(0x84))
        );
        assert!(matches!(
            unwrap(&[0x53, 2, 1], 10),
            Err(TlvError::Truncated { .. })
        ));
        assert!(matches!(
            unwrap(&[0x53, 1, 1, 2], 10),
            Err(TlvError::Oversized { .. })
        ));
        assert!(matches!(
            unwrap(&[0x53, 0x83, 0xFF, 0xFF, 0xFF], 10),
            Err(TlvError::TooLarge { .. })
        ));
        assert!(unwrap(&[0x53], 10).is_err());
        assert_eq!(header(&[0x53, 0x82, 1]), Ok(None));
    }
}
