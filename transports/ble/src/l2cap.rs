//! L2CAP connection-oriented channel framing (18013-5 2nd ed. 11.1.3.3), sans-IO, and the PSM
//! value of the L2CAP characteristic.
//!
//! Over an LE credit-based channel each message is prefixed with its length, 4 bytes big-endian
//! (identity-credential before 2024-12 sent none and split by parsing CBOR: not supported).
//! There is no State characteristic on L2CAP: a session ends with SessionData status 20, and the
//! link by closing the channel.

use std::collections::VecDeque;

/// Bytes of the length prefix.
pub const LENGTH_PREFIX_LEN: usize = 4;
/// Default largest message a [`L2capCodec`] accepts: 16 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;
/// Growth step of a message buffer: a peer declaring a large length and sending nothing cannot
/// make us allocate it.
const RESERVE_STEP: usize = 64 * 1024;

/// Why the peer's L2CAP framing is unacceptable. Once returned, the codec stays failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum L2capError {
    /// The prefix declared a message larger than the limit.
    #[error("peer declared a message of {declared} bytes, the limit is {limit}")]
    TooLarge {
        /// Length from the prefix.
        declared: u64,
        /// The codec's limit.
        limit: usize,
    },
}

/// Frames one message: 4-byte big-endian length, then the message.
///
/// # Errors
/// [`L2capError::TooLarge`] when the length does not fit 4 bytes.
pub fn encode(message: &[u8]) -> Result<Vec<u8>, L2capError> {
    let len = u32::try_from(message.len()).map_err(|_| L2capError::TooLarge {
        declared: message.len() as u64,
        limit: u32::MAX as usize,
    })?;
    let mut out = Vec::with_capacity(LENGTH_PREFIX_LEN + message.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(message);
    Ok(out)
}

#[derive(Debug)]
enum Phase {
    Prefix { bytes: [u8; 4], filled: usize },
    Body { message: Vec<u8>, len: usize },
    Failed(L2capError),
}

/// Incremental decoder of length-prefixed messages from an L2CAP byte stream.
///
/// Bytes may arrive split anywhere (SDUs are not message boundaries); several messages may
/// arrive in one read. Messages completed before an error are still delivered, then the error.
#[derive(Debug)]
pub struct L2capCodec {
    max_message_size: usize,
    phase: Phase,
    ready: VecDeque<Vec<u8>>,
}

impl Default for L2capCodec {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_MESSAGE_SIZE)
    }
}

impl L2capCodec {
    /// A decoder accepting messages of at most `max_message_size` bytes.
    pub fn new(max_message_size: usize) -> Self {
        Self {
            max_message_size,
            phase: Phase::Prefix {
                bytes: [0; 4],
                filled: 0,
            },
            ready: VecDeque::new(),
        }
    }

    /// The declared length and bytes received of the message in progress, if any (for
    /// progress reports).
    pub fn progress(&self) -> Option<(usize, usize)> {
        match &self.phase {
            Phase::Body { message, len } => Some((message.len(), *len)),
            _ => None,
        }
    }

    /// True if part of a message is buffered: an end of stream now is a lost link.
    pub fn is_mid_message(&self) -> bool {
        match &self.phase {
            Phase::Prefix { filled, .. } => *filled > 0,
            Phase::Body { .. } => true,
            Phase::Failed(_) => false,
        }
    }

    /// Feeds received bytes.
    pub fn handle_bytes(&mut self, mut input: &[u8]) {
        while !input.is_empty() {
            match &mut self.phase {
                Phase::Failed(_) => return,
                Phase::Prefix { bytes, filled } => {
                    let take = (4 - *filled).min(input.len());
                    bytes[*filled..*filled + take].copy_from_slice(&input[..take]);
                    *filled += take;
                    input = &input[take..];
                    if *filled == 4 {
                        let declared = u32::from_be_bytes(*bytes);
                        self.start(declared);
                    }
                }
                Phase::Body { message, len } => {
                    let take = (*len - message.len()).min(input.len());
                    message.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    if message.len() == *len {
                        let message = std::mem::take(message);
                        self.finish(message);
                    } else if message.capacity() == message.len() {
                        let more = (*len - message.len()).min(RESERVE_STEP);
                        message.reserve(more);
                    }
                }
            }
        }
    }

    fn start(&mut self, declared: u32) {
        let len = usize::try_from(declared).unwrap_or(usize::MAX);
        if len > self.max_message_size {
            self.phase = Phase::Failed(L2capError::TooLarge {
                declared: u64::from(declared),
                limit: self.max_message_size,
            });
        } else if len == 0 {
            self.finish(Vec::new());
        } else {
            self.phase = Phase::Body {
                message: Vec::with_capacity(len.min(RESERVE_STEP)),
                len,
            };
        }
    }

    fn finish(&mut self, message: Vec<u8>) {
        self.ready.push_back(message);
        self.phase = Phase::Prefix {
            bytes: [0; 4],
            filled: 0,
        };
    }

    /// The next whole message, `Ok(None)` if more bytes are needed.
    ///
    /// # Errors
    /// The [`L2capError`] that broke the stream, once every message before it was returned.
    pub fn poll_message(&mut self) -> Result<Option<Vec<u8>>, L2capError> {
        if let Some(m) = self.ready.pop_front() {
            return Ok(Some(m));
        }
        match &self.phase {
            Phase::Failed(e) => Err(e.clone()),
            _ => Ok(None),
        }
    }
}

/// Why an L2CAP PSM value is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PsmError {
    /// Neither 2 nor 4 bytes.
    #[error("PSM value of {0} bytes, expected 4 (or 2)")]
    Length(usize),
    /// Not an LE PSM in either byte order (Core 5.3 Vol 3 Part A 4.22: 0x0001–0x00FF).
    #[error("PSM value {0:02x?} is no LE PSM in either byte order")]
    OutOfRange(Vec<u8>),
}

/// The largest LE PSM (Core 5.3 Vol 3 Part A 4.22: dynamic PSMs are 0x0080–0x00FF).
pub const MAX_LE_PSM: u16 = 0x00FF;

/// The L2CAP PSM characteristic value we send: 4 bytes big-endian (2nd ed. 11.1.3.3).
pub fn psm_value(psm: u16) -> [u8; 4] {
    u32::from(psm).to_be_bytes()
}

/// Reads an L2CAP PSM characteristic value. Lenient (DESIGN §8): 4 bytes big-endian as
/// specified, or little-endian as some implementations sent it, or a bare 2-byte value in
/// either order; the order that gives an LE PSM (1..=255) wins, big-endian first.
///
/// # Errors
/// [`PsmError`] when the value is no PSM in either order.
pub fn parse_psm(value: &[u8]) -> Result<u16, PsmError> {
    let (be, le) = match value {
        [a, b, c, d] => (
            u32::from_be_bytes([*a, *b, *c, *d]),
            u32::from_le_bytes([*a, *b, *c, *d]),
        ),
        [a, b] => (
            u32::from(u16::from_be_bytes([*a, *b])),
            u32::from(u16::from_le_bytes([*a, *b])),
        ),
        other => return Err(PsmError::Length(other.len())),
    };
    [be, le]
        .into_iter()
        .find(|v| (1..=u32::from(MAX_LE_PSM)).contains(v))
        .and_then(|v| u16::try_from(v).ok())
        .ok_or_else(|| PsmError::OutOfRange(value.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(codec: &mut L2capCodec) -> Result<Vec<Vec<u8>>, L2capError> {
        let mut out = Vec::new();
        while let Some(m) = codec.poll_message()? {
            out.push(m);
        }
        Ok(out)
    }

    #[test]
    fn length_prefix_is_four_bytes_big_endian() {
        assert_eq!(encode(&[0xAA; 3]), Ok(vec![0, 0, 0, 3, 0xAA, 0xAA, 0xAA]));
    }

    #[test]
    fn byte_by_byte_and_back_to_back() {
        let mut stream = encode(b"hello").unwrap_or_default();
        stream.extend(encode(b"").unwrap_or_default());
        stream.extend(encode(&[1; 70_000]).unwrap_or_default());
        let mut codec = L2capCodec::default();
        for b in &stream {
            codec.handle_bytes(std::slice::from_ref(b));
        }
        let got = decode_all(&mut codec);
        assert_eq!(got, Ok(vec![b"hello".to_vec(), vec![], vec![1; 70_000]]));
        assert!(!codec.is_mid_message());
    }

    #[test]
    fn progress_reports_declared_length() {
        let mut codec = L2capCodec::default();
        codec.handle_bytes(&[0, 0, 1, 0, 9, 9]);
        assert_eq!(codec.progress(), Some((2, 256)));
        assert!(codec.is_mid_message());
    }

    #[test]
    fn oversized_declaration_fails_without_allocating() {
        let mut codec = L2capCodec::new(1000);
        codec.handle_bytes(&[0, 0, 0, 5, 1, 2, 3, 4, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0]);
        assert_eq!(codec.poll_message(), Ok(Some(vec![1, 2, 3, 4, 5])));
        assert_eq!(
            codec.poll_message(),
            Err(L2capError::TooLarge {
                declared: 0xFFFF_FFFF,
                limit: 1000
            })
        );
    }

    #[test]
    fn psm_in_both_byte_orders_and_widths() {
        assert_eq!(psm_value(0x0081), [0, 0, 0, 0x81]);
        assert_eq!(parse_psm(&[0, 0, 0, 0x81]), Ok(0x81));
        assert_eq!(parse_psm(&[0x81, 0, 0, 0]), Ok(0x81));
        assert_eq!(parse_psm(&[0, 0x25]), Ok(0x25));
        assert_eq!(parse_psm(&[0x25, 0]), Ok(0x25));
    }

    #[test]
    fn psm_garbage_is_rejected() {
        assert_eq!(parse_psm(&[1, 2, 3]), Err(PsmError::Length(3)));
        assert_eq!(parse_psm(&[]), Err(PsmError::Length(0)));
        assert_eq!(
            parse_psm(&[0, 0, 1, 0]),
            Err(PsmError::OutOfRange(vec![0, 0, 1, 0]))
        );
        assert_eq!(
            parse_psm(&[0, 0, 0, 0]),
            Err(PsmError::OutOfRange(vec![0; 4]))
        );
    }
}
