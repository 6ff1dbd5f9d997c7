//! The `GmDL` record framing of the TCP test transport, sans-IO.
//!
//! Each message travels as ASCII `GmDL`, a 4-byte big-endian length, then the message bytes
//! (the private test transport of the Android identity-credential libraries; DESIGN.md §7).
//! [`GmdlCodec`] never touches a socket: feed it received bytes with
//! [`handle_bytes`](GmdlCodec::handle_bytes) and drain whole messages with
//! [`poll_message`](GmdlCodec::poll_message).

use std::collections::VecDeque;

use mdl_transport::TransportError;

/// The record magic, ASCII `GmDL`.
pub const MAGIC: [u8; 4] = *b"GmDL";

/// Bytes before each message: magic and 4-byte big-endian length.
pub const HEADER_LEN: usize = 8;

/// The default largest message the decoder accepts: 16 MiB, far above any mdoc response.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;

/// Growth step of a message buffer: a header alone never reserves more than this, so a peer
/// declaring a large length and sending nothing cannot make us allocate it.
const RESERVE_STEP: usize = 64 * 1024;

/// Why the peer's framing is unacceptable. Once returned, the decoder stays failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GmdlError {
    /// The record did not start with `GmDL`.
    #[error("bad record magic {0:02x?}, expected \"GmDL\"")]
    BadMagic([u8; 4]),
    /// The header declared a message larger than the configured limit.
    #[error("record declares {declared} bytes, limit is {limit}")]
    TooLarge {
        /// Length from the header.
        declared: usize,
        /// The decoder's limit.
        limit: usize,
    },
}

impl From<GmdlError> for TransportError {
    fn from(error: GmdlError) -> Self {
        match error {
            GmdlError::BadMagic(_) => TransportError::Framing(error.to_string()),
            GmdlError::TooLarge { declared, limit } => TransportError::MessageTooLarge {
                size: declared,
                limit,
            },
        }
    }
}

/// Encodes one message as a `GmDL` record.
///
/// # Errors
/// [`TransportError::MessageTooLarge`] if the length does not fit the 4-byte header.
pub fn encode(message: &[u8]) -> Result<Vec<u8>, TransportError> {
    let len = u32::try_from(message.len()).map_err(|_| TransportError::MessageTooLarge {
        size: message.len(),
        limit: u32::MAX as usize,
    })?;
    let mut record = Vec::with_capacity(HEADER_LEN + message.len());
    record.extend_from_slice(&MAGIC);
    record.extend_from_slice(&len.to_be_bytes());
    record.extend_from_slice(message);
    Ok(record)
}

/// Where the decoder is inside the byte stream.
#[derive(Debug)]
enum State {
    /// Collecting the 8 header bytes.
    Header {
        bytes: [u8; HEADER_LEN],
        filled: usize,
    },
    /// Collecting `len` message bytes.
    Body { message: Vec<u8>, len: usize },
    /// The stream is broken; no more messages.
    Failed(GmdlError),
}

/// Incremental decoder of `GmDL` records.
///
/// Bytes may arrive split anywhere; several records may arrive in one slice. Messages completed
/// before a framing error are still delivered, then the error, forever.
#[derive(Debug)]
pub struct GmdlCodec {
    max_message_size: usize,
    state: State,
    ready: VecDeque<Vec<u8>>,
}

impl Default for GmdlCodec {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_MESSAGE_SIZE)
    }
}

impl GmdlCodec {
    /// A decoder accepting messages of at most `max_message_size` bytes.
    pub fn new(max_message_size: usize) -> Self {
        Self {
            max_message_size,
            state: State::Header {
                bytes: [0; HEADER_LEN],
                filled: 0,
            },
            ready: VecDeque::new(),
        }
    }

    /// The largest message this decoder accepts.
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// True if bytes of an unfinished record are buffered: an end of stream now is a lost link,
    /// not an orderly close.
    pub fn is_mid_record(&self) -> bool {
        match &self.state {
            State::Header { filled, .. } => *filled > 0,
            State::Body { .. } => true,
            State::Failed(_) => false,
        }
    }

    /// Feeds received bytes. Whole messages become available from [`poll_message`](Self::poll_message).
    pub fn handle_bytes(&mut self, mut input: &[u8]) {
        while !input.is_empty() {
            match &mut self.state {
                State::Failed(_) => return,
                State::Header { bytes, filled } => {
                    let take = (HEADER_LEN - *filled).min(input.len());
                    bytes[*filled..*filled + take].copy_from_slice(&input[..take]);
                    *filled += take;
                    input = &input[take..];
                    // Reject a bad magic as soon as its 4 bytes are in, not after the length.
                    if *filled >= MAGIC.len() && bytes[..MAGIC.len()] != MAGIC {
                        let mut magic = [0; 4];
                        magic.copy_from_slice(&bytes[..MAGIC.len()]);
                        self.state = State::Failed(GmdlError::BadMagic(magic));
                        return;
                    }
                    if *filled == HEADER_LEN {
                        let header = *bytes;
                        self.start_body(&header);
                    }
                }
                State::Body { message, len } => {
                    let take = (*len - message.len()).min(input.len());
                    message.extend_from_slice(&input[..take]);
                    input = &input[take..];
                    if message.len() == *len {
                        let message = std::mem::take(message);
                        self.finish(message);
                    }
                }
            }
        }
    }

    /// The next whole message, `Ok(None)` if more bytes are needed.
    ///
    /// # Errors
    /// The [`GmdlError`] that broke the stream, once every message before it was returned.
    pub fn poll_message(&mut self) -> Result<Option<Vec<u8>>, GmdlError> {
        if let Some(message) = self.ready.pop_front() {
            return Ok(Some(message));
        }
        match &self.state {
            State::Failed(error) => Err(error.clone()),
            State::Header { .. } | State::Body { .. } => Ok(None),
        }
    }

    /// Checks a complete header and prepares for the body, before allocating anything for it.
    fn start_body(&mut self, header: &[u8; HEADER_LEN]) {
        let declared = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
        // On 16-bit targets a length that does not fit usize is simply too large.
        let declared = usize::try_from(declared).unwrap_or(usize::MAX);
        if declared > self.max_message_size {
            self.state = State::Failed(GmdlError::TooLarge {
                declared,
                limit: self.max_message_size,
            });
        } else if declared == 0 {
            self.finish(Vec::new());
        } else {
            self.state = State::Body {
                message: Vec::with_capacity(declared.min(RESERVE_STEP)),
                len: declared,
            };
        }
    }

    /// Queues a finished message and waits for the next header.
    fn finish(&mut self, message: Vec<u8>) {
        self.ready.push_back(message);
        self.state = State::Header {
            bytes: [0; HEADER_LEN],
            filled: 0,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(messages: &[&[u8]]) -> Vec<u8> {
        messages
            .iter()
            .flat_map(|m| encode(m).expect("test messages fit"))
            .collect()
    }

    fn drain(codec: &mut GmdlCodec) -> Result<Vec<Vec<u8>>, GmdlError> {
        let mut out = Vec::new();
        while let Some(message) = codec.poll_message()? {
            out.push(message);
        }
        Ok(out)
    }

    #[test]
    fn encodes_magic_length_and_bytes() {
        assert_eq!(
            encode(b"abc").expect("fits"),
            b"GmDL\x00\x00\x00\x03abc".to_vec()
        );
    }

    #[test]
    fn decodes_when_split_at_every_byte_boundary() {
        let wire = records(&[b"hello", b"", b"world!"]);
        for split in 0..=wire.len() {
            let mut codec = GmdlCodec::default();
            codec.handle_bytes(&wire[..split]);
            let mut got = drain(&mut codec).expect("valid stream");
            codec.handle_bytes(&wire[split..]);
            got.extend(drain(&mut codec).expect("valid stream"));
            assert_eq!(got, vec![b"hello".to_vec(), vec![], b"world!".to_vec()]);
            assert!(!codec.is_mid_record());
        }
    }

    #[test]
    fn decodes_byte_by_byte() {
        let wire = records(&[b"one", b"two"]);
        let mut codec = GmdlCodec::default();
        let mut got = Vec::new();
        for byte in &wire {
            codec.handle_bytes(std::slice::from_ref(byte));
            got.extend(drain(&mut codec).expect("valid stream"));
        }
        assert_eq!(got, vec![b"one".to_vec(), b"two".to_vec()]);
    }

    #[test]
    fn decodes_several_records_in_one_slice() {
        let mut codec = GmdlCodec::default();
        codec.handle_bytes(&records(&[b"a", b"bb", b"ccc"]));
        assert_eq!(
            drain(&mut codec).expect("valid stream"),
            vec![b"a".to_vec(), b"bb".to_vec(), b"ccc".to_vec()]
        );
    }

    #[test]
    fn zero_length_message_is_a_message() {
        let mut codec = GmdlCodec::default();
        codec.handle_bytes(b"GmDL\0\0\0\0");
        assert_eq!(codec.poll_message(), Ok(Some(Vec::new())));
        assert_eq!(codec.poll_message(), Ok(None));
    }

    #[test]
    fn bad_magic_is_rejected_after_four_bytes() {
        let mut codec = GmdlCodec::default();
        codec.handle_bytes(b"GmDX");
        assert_eq!(codec.poll_message(), Err(GmdlError::BadMagic(*b"GmDX")));
        assert!(matches!(
            TransportError::from(GmdlError::BadMagic(*b"GmDX")),
            TransportError::Framing(_)
        ));
    }

    #[test]
    fn messages_before_an_error_are_delivered_first() {
        let mut wire = records(&[b"ok"]);
        wire.extend_from_slice(b"HTTP/1.1 200 OK");
        let mut codec = GmdlCodec::default();
        codec.handle_bytes(&wire);
        assert_eq!(codec.poll_message(), Ok(Some(b"ok".to_vec())));
        assert_eq!(codec.poll_message(), Err(GmdlError::BadMagic(*b"HTTP")));
        // Stays failed, whatever comes next.
        codec.handle_bytes(&records(&[b"late"]));
        assert_eq!(codec.poll_message(), Err(GmdlError::BadMagic(*b"HTTP")));
    }

    #[test]
    fn oversized_declared_length_is_rejected_at_the_header() {
        let mut codec = GmdlCodec::new(10);
        codec.handle_bytes(b"GmDL\x00\x00\x00\x0b");
        let expected = GmdlError::TooLarge {
            declared: 11,
            limit: 10,
        };
        assert_eq!(codec.poll_message(), Err(expected.clone()));
        assert!(matches!(
            TransportError::from(expected),
            TransportError::MessageTooLarge {
                size: 11,
                limit: 10
            }
        ));
    }

    #[test]
    fn huge_declared_length_allocates_nothing_up_front() {
        let mut codec = GmdlCodec::new(usize::MAX);
        codec.handle_bytes(b"GmDL\xff\xff\xff\xff");
        assert_eq!(codec.poll_message(), Ok(None));
        match &codec.state {
            State::Body { message, .. } => assert!(message.capacity() <= RESERVE_STEP),
            other => panic!("expected a body state, got {other:?}"),
        }
    }

    #[test]
    fn limit_is_inclusive() {
        let mut codec = GmdlCodec::new(3);
        codec.handle_bytes(&records(&[b"abc"]));
        assert_eq!(codec.poll_message(), Ok(Some(b"abc".to_vec())));
    }

    #[test]
    fn partial_record_is_mid_record() {
        let mut codec = GmdlCodec::default();
        assert!(!codec.is_mid_record());
        codec.handle_bytes(b"Gm");
        assert!(codec.is_mid_record());
        codec.handle_bytes(b"DL\0\0\0\x02x");
        assert!(codec.is_mid_record());
        codec.handle_bytes(b"y");
        assert!(!codec.is_mid_record());
    }
}
