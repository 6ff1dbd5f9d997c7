//! The 18013-5 GATT message codec (2021 8.3.3.1.1.6), sans-IO.
//!
//! A message travels as a series of characteristic values (Client2Server writes or
//! Server2Client notifications). Each value is one header byte, [`MORE`] (`0x01`) when more
//! chunks follow or [`LAST`] (`0x00`) on the final one, then a part of the message. A value is
//! at most `min(MTU − 3, 512)` bytes: the ATT MTU minus the 3-byte ATT header, capped at the
//! largest attribute value (Core 5.3 Vol 3 Part F 3.2.9).
//!
//! Strict when sending: [`chunks`] fills every chunk but the last to the maximum, so a message
//! takes the fewest chunks possible. Lenient when receiving (DESIGN §8): a [`Reassembler`]
//! accepts non-final chunks of any length up to the 512-byte attribute limit.

use std::collections::VecDeque;

/// Header byte of a chunk followed by more chunks of the same message.
pub const MORE: u8 = 0x01;
/// Header byte of a message's last chunk.
pub const LAST: u8 = 0x00;
/// ATT header bytes in a Write Command or Handle Value Notification (opcode + handle).
pub const ATT_HEADER_LEN: usize = 3;
/// The largest attribute value, hence the largest chunk (Core 5.3 Vol 3 Part F 3.2.9).
pub const MAX_ATTRIBUTE_LEN: usize = 512;
/// The smallest ATT MTU of LE (Core 5.3 Vol 3 Part F 3.2.8).
pub const MIN_ATT_MTU: u16 = 23;
/// The ATT MTU 18013-5 asks for: 512 + 3 (2021 8.3.3.1.1.4).
pub const PREFERRED_ATT_MTU: u16 = 515;
/// Default largest message a [`Reassembler`] accepts: 16 MiB, far above any mdoc response.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 16 * 1024 * 1024;

/// The largest chunk (header included) for an ATT MTU: `min(MTU − 3, 512)`. MTUs below the LE
/// minimum of 23 count as 23.
pub fn max_chunk_len(att_mtu: u16) -> usize {
    (usize::from(att_mtu.max(MIN_ATT_MTU)) - ATT_HEADER_LEN).min(MAX_ATTRIBUTE_LEN)
}

/// Message bytes per full chunk for an ATT MTU (the chunk less its header byte).
pub fn payload_per_chunk(att_mtu: u16) -> usize {
    max_chunk_len(att_mtu) - 1
}

/// The fewest chunks a message of `len` bytes can take at `att_mtu` (1 for an empty message:
/// a lone [`LAST`] header).
pub fn optimal_chunk_count(len: usize, att_mtu: u16) -> usize {
    len.div_ceil(payload_per_chunk(att_mtu)).max(1)
}

/// Splits `message` into chunks for `att_mtu`, each full but the last.
pub fn chunks(message: &[u8], att_mtu: u16) -> impl ExactSizeIterator<Item = Vec<u8>> + '_ {
    let payload = payload_per_chunk(att_mtu);
    let count = optimal_chunk_count(message.len(), att_mtu);
    (0..count).map(move |i| {
        let start = i * payload;
        let end = (start + payload).min(message.len());
        let mut chunk = Vec::with_capacity(1 + end - start);
        chunk.push(if i + 1 == count { LAST } else { MORE });
        chunk.extend_from_slice(&message[start..end]);
        chunk
    })
}

/// Why a chunk is unacceptable. Once returned, the reassembler stays failed: the message
/// boundary is lost and 18013-5 has no resynchronisation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkError {
    /// A value with no bytes at all: not even the header.
    #[error("peer sent an empty chunk (no header byte)")]
    Empty,
    /// The header byte is neither `0x01` nor `0x00`.
    #[error("peer sent chunk header {0:#04x}, expected 0x01 (more) or 0x00 (last)")]
    BadHeader(u8),
    /// A chunk longer than an attribute value can be.
    #[error("peer sent a chunk of {len} bytes, the limit is {limit}")]
    TooLong {
        /// Length of the chunk, header included.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The message being reassembled grew past the limit.
    #[error("peer's message exceeds the limit of {limit} bytes")]
    MessageTooLarge {
        /// The reassembler's limit.
        limit: usize,
    },
}

/// Incremental reassembly of chunked messages.
///
/// Feed each received characteristic value to [`handle_chunk`](Self::handle_chunk), drain whole
/// messages with [`poll_message`](Self::poll_message). Memory never exceeds the message limit:
/// each chunk adds at most [`MAX_ATTRIBUTE_LEN`] bytes and is checked before it is copied.
#[derive(Debug)]
pub struct Reassembler {
    max_message_size: usize,
    max_chunk_len: usize,
    partial: Vec<u8>,
    ready: VecDeque<Vec<u8>>,
    failed: Option<ChunkError>,
}

impl Default for Reassembler {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_MESSAGE_SIZE)
    }
}

impl Reassembler {
    /// A reassembler accepting messages of at most `max_message_size` bytes and chunks of at
    /// most [`MAX_ATTRIBUTE_LEN`] bytes.
    pub fn new(max_message_size: usize) -> Self {
        Self {
            max_message_size,
            max_chunk_len: MAX_ATTRIBUTE_LEN,
            partial: Vec::new(),
            ready: VecDeque::new(),
            failed: None,
        }
    }

    /// The largest message accepted.
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// Bytes of an unfinished message buffered so far: a disconnect now is a loss mid-message.
    pub fn buffered(&self) -> usize {
        self.partial.len()
    }

    /// Feeds one characteristic value. Complete messages become available from
    /// [`poll_message`](Self::poll_message); an error is kept and also returned there.
    ///
    /// # Errors
    /// The [`ChunkError`] this chunk caused (or the earlier one that broke the stream).
    pub fn handle_chunk(&mut self, chunk: &[u8]) -> Result<(), ChunkError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.accept(chunk);
        if let Err(e) = &result {
            self.partial = Vec::new();
            self.failed = Some(e.clone());
        }
        result
    }

    fn accept(&mut self, chunk: &[u8]) -> Result<(), ChunkError> {
        let (&header, payload) = chunk.split_first().ok_or(ChunkError::Empty)?;
        if chunk.len() > self.max_chunk_len {
            return Err(ChunkError::TooLong {
                len: chunk.len(),
                limit: self.max_chunk_len,
            });
        }
        if header != MORE && header != LAST {
            return Err(ChunkError::BadHeader(header));
        }
        if self.partial.len() + payload.len() > self.max_message_size {
            return Err(ChunkError::MessageTooLarge {
                limit: self.max_message_size,
            });
        }
        self.partial.extend_from_slice(payload);
        if header == LAST {
            self.ready.push_back(std::mem::take(&mut self.partial));
        }
        Ok(())
    }

    /// The next whole message, `Ok(None)` if more chunks are needed.
    ///
    /// # Errors
    /// The [`ChunkError`] that broke the stream, once every message before it was returned.
    pub fn poll_message(&mut self) -> Result<Option<Vec<u8>>, ChunkError> {
        if let Some(message) = self.ready.pop_front() {
            return Ok(Some(message));
        }
        match &self.failed {
            Some(e) => Err(e.clone()),
            None => Ok(None),
        }
    }

    /// Forgets everything buffered (BLE session data is deleted after each transaction).
    pub fn clear(&mut self) {
        self.partial = Vec::new();
        self.ready.clear();
        self.failed = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reassemble(chunks: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, ChunkError> {
        let mut r = Reassembler::default();
        for c in chunks {
            r.handle_chunk(c)?;
        }
        let mut out = Vec::new();
        while let Some(m) = r.poll_message()? {
            out.push(m);
        }
        Ok(out)
    }

    #[test]
    fn chunk_length_is_mtu_minus_three_capped_at_512() {
        assert_eq!(max_chunk_len(23), 20);
        assert_eq!(max_chunk_len(0), 20);
        assert_eq!(max_chunk_len(247), 244);
        assert_eq!(max_chunk_len(515), 512);
        assert_eq!(max_chunk_len(517), 512);
        assert_eq!(max_chunk_len(u16::MAX), 512);
    }

    #[test]
    fn chunks_are_full_but_the_last_and_flagged() {
        let message: Vec<u8> = (0..50).collect();
        let c: Vec<_> = chunks(&message, 23).collect();
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].len(), 20);
        assert_eq!(c[0][0], MORE);
        assert_eq!(c[1][0], MORE);
        assert_eq!(c[2], [&[LAST][..], &message[38..]].concat());
    }

    #[test]
    fn exact_multiple_needs_no_empty_last_chunk() {
        let message = vec![7u8; 19 * 2];
        let c: Vec<_> = chunks(&message, 23).collect();
        assert_eq!(c.len(), 2);
        assert_eq!(c[1][0], LAST);
        assert_eq!(c[1].len(), 20);
    }

    #[test]
    fn empty_message_is_one_last_header() {
        let c: Vec<_> = chunks(&[], 23).collect();
        assert_eq!(c, vec![vec![LAST]]);
        assert_eq!(reassemble(&c), Ok(vec![vec![]]));
    }

    #[test]
    fn short_non_final_chunks_are_accepted() {
        let c = vec![vec![MORE, 1], vec![MORE], vec![MORE, 2, 3], vec![LAST, 4]];
        assert_eq!(reassemble(&c), Ok(vec![vec![1, 2, 3, 4]]));
    }

    #[test]
    fn two_messages_back_to_back() {
        let c = vec![vec![MORE, 1], vec![LAST, 2], vec![LAST, 3]];
        assert_eq!(reassemble(&c), Ok(vec![vec![1, 2], vec![3]]));
    }

    #[test]
    fn empty_chunk_is_rejected() {
        assert_eq!(reassemble(&[vec![]]), Err(ChunkError::Empty));
    }

    #[test]
    fn unknown_header_is_rejected() {
        assert_eq!(
            reassemble(&[vec![0x02, 1, 2]]),
            Err(ChunkError::BadHeader(0x02))
        );
    }

    #[test]
    fn chunk_longer_than_an_attribute_is_rejected() {
        let mut c = vec![0u8; 513];
        c[0] = MORE;
        assert_eq!(
            reassemble(&[c]),
            Err(ChunkError::TooLong {
                len: 513,
                limit: 512
            })
        );
    }

    #[test]
    fn message_over_the_limit_is_rejected_before_it_is_buffered() {
        let mut r = Reassembler::new(10);
        assert_eq!(r.handle_chunk(&[MORE; 6]), Ok(()));
        assert_eq!(r.buffered(), 5);
        assert_eq!(
            r.handle_chunk(&[LAST; 7]),
            Err(ChunkError::MessageTooLarge { limit: 10 })
        );
        assert_eq!(r.buffered(), 0);
    }

    #[test]
    fn messages_before_an_error_are_delivered_then_the_error_stays() {
        let mut r = Reassembler::default();
        assert_eq!(r.handle_chunk(&[LAST, 9]), Ok(()));
        assert_eq!(r.handle_chunk(&[0xFF]), Err(ChunkError::BadHeader(0xFF)));
        assert_eq!(r.handle_chunk(&[LAST, 1]), Err(ChunkError::BadHeader(0xFF)));
        assert_eq!(r.poll_message(), Ok(Some(vec![9])));
        assert_eq!(r.poll_message(), Err(ChunkError::BadHeader(0xFF)));
        r.clear();
        assert_eq!(r.poll_message(), Ok(None));
    }
}
