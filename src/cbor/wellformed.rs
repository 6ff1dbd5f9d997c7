//! A single pass over raw CBOR that enforces what `ciborium` does not: no trailing bytes, no
//! duplicate map keys, bounded nesting and item counts, and no length larger than the input.
//!
//! It runs before `ciborium` builds a value tree, so every allocation the tree makes is bounded
//! by bytes that really exist. It allocates nothing itself except the key sets of large maps and
//! the decoded form of map keys that are not plain integers or definite-length strings.
//!
//! **Duplicate keys are compared by decoded value**, exactly as `ciborium` will decode them: an
//! indefinite-length text key `(_ "a")` is the key `"a"`, a bignum key `2(h'01')` is the integer
//! key `1`, a half-precision `1.0` is the double `1.0`. So every map of a checked message decodes
//! to a value tree in which each key occurs once, and a field lookup (first match, last match or
//! hash insert) cannot differ between parsers of the same bytes (2021 8.1: duplicate keys are not
//! valid CBOR for 18013-5).
//!
//! A map key may not contain an array or a map: 18013-5 and COSE keys are integers and strings,
//! and decoding composite keys by value would cost more than linear time (keys inside keys).

use std::borrow::Cow;
use std::collections::HashSet;

use super::{DecodeError, Limits, Value};

/// What a successful check found besides well-formedness.
#[derive(Debug, Default)]
pub(crate) struct Checked {
    /// Data items in the input (what it costs of a [`Limits::max_items`] budget).
    pub(crate) items: usize,
    /// Every `#6.24(bstr)` whose tag or byte-string header is not in preferred serialization:
    /// (content, the item's encoding as received).
    pub(crate) received_tag24: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Checks that `bytes` hold exactly one well-formed CBOR item within `limits`.
pub(crate) fn check(bytes: &[u8], limits: &Limits) -> Result<Checked, DecodeError> {
    if bytes.len() > limits.max_message_size {
        return Err(DecodeError::MessageTooLarge {
            size: bytes.len(),
            limit: limits.max_message_size,
        });
    }
    let mut walker = Walker {
        bytes,
        pos: 0,
        items: 0,
        in_key: 0,
        limits,
        received_tag24: Vec::new(),
    };
    walker.item(0)?;
    if walker.pos != bytes.len() {
        return Err(DecodeError::TrailingBytes {
            offset: walker.pos,
            count: bytes.len() - walker.pos,
        });
    }
    Ok(Checked {
        items: walker.items,
        received_tag24: walker.received_tag24,
    })
}

/// The argument of an item header.
#[derive(Clone, Copy)]
enum Arg {
    Value(u64),
    Indefinite,
}

/// A map key as compared for duplicates: by decoded value, so that two encodings of the same key
/// (say `0x01`, `0x18 0x01` and the bignum `0xc2 0x41 0x01`) count as the same key.
#[derive(PartialEq, Eq, Hash)]
enum KeyId<'a> {
    /// An integer (major type 0 or 1, or a bignum that decodes to an integer).
    Int(i128),
    /// A text string's UTF-8 bytes.
    Text(Cow<'a, [u8]>),
    /// A byte string's content.
    Bytes(Cow<'a, [u8]>),
    /// Any other key: its preferred, definite-length re-encoding.
    Other(Vec<u8>),
    /// Not yet compared by value: the raw encoding of a composite or indefinite item
    /// (converted by [`decoded_key`] before any comparison).
    Raw(&'a [u8]),
}

/// Bytes of a definite-length item header, from its initial byte (already checked well-formed).
fn header_len(initial: u8) -> usize {
    match initial & 0x1f {
        24 => 2,
        25 => 3,
        26 => 5,
        27 => 9,
        _ => 1,
    }
}

/// The argument of a checked definite-length string header (`header` is exactly the header).
fn chunk_len(header: &[u8]) -> usize {
    match header.len() {
        1 => usize::from(header[0] & 0x1f),
        _ => header[1..]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b)),
    }
}

/// The identity of a key given by its raw encoding (already checked well-formed), as ciborium
/// decodes it.
fn decoded_key(raw: &[u8], offset: usize, limits: &Limits) -> Result<KeyId<'static>, DecodeError> {
    let value: Value =
        ciborium::de::from_reader_with_recursion_limit(raw, limits.max_depth.saturating_mul(2) + 8)
            .map_err(|_| DecodeError::Malformed {
                offset,
                reason: "map key not representable (e.g. a bignum over 128 bits)",
            })?;
    Ok(match value {
        Value::Integer(i) => KeyId::Int(i128::from(i)),
        Value::Text(t) => KeyId::Text(Cow::Owned(t.into_bytes())),
        Value::Bytes(b) => KeyId::Bytes(Cow::Owned(b)),
        other => KeyId::Other(super::codec::value_to_vec(&other)),
    })
}

struct Walker<'a, 'l> {
    bytes: &'a [u8],
    pos: usize,
    items: usize,
    /// How many map keys the walker is inside (arrays and maps are refused there).
    in_key: usize,
    limits: &'l Limits,
    received_tag24: Vec<(Vec<u8>, Vec<u8>)>,
}

impl<'a> Walker<'a, '_> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn byte(&mut self, item_start: usize) -> Result<u8, DecodeError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or(DecodeError::Truncated { offset: item_start })?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize, item_start: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::Truncated { offset: item_start });
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Reads an item header: (major type, additional info, argument).
    fn header(&mut self) -> Result<(usize, u8, u8, Arg), DecodeError> {
        let start = self.pos;
        let initial = self.byte(start)?;
        let major = initial >> 5;
        let info = initial & 0x1f;
        let arg = match info {
            0..=23 => Arg::Value(u64::from(info)),
            24 => Arg::Value(u64::from(self.byte(start)?)),
            25 => Arg::Value(u64::from(u16::from_be_bytes(self.array(start)?))),
            26 => Arg::Value(u64::from(u32::from_be_bytes(self.array(start)?))),
            27 => Arg::Value(u64::from_be_bytes(self.array(start)?)),
            28..=30 => {
                return Err(DecodeError::Malformed {
                    offset: start,
                    reason: "reserved additional information 28-30",
                })
            }
            _ => Arg::Indefinite,
        };
        Ok((start, major, info, arg))
    }

    fn array<const N: usize>(&mut self, start: usize) -> Result<[u8; N], DecodeError> {
        let s = self.take(N, start)?;
        let mut out = [0u8; N];
        out.copy_from_slice(s);
        Ok(out)
    }

    fn count_item(&mut self, offset: usize) -> Result<(), DecodeError> {
        self.items += 1;
        if self.items > self.limits.max_items {
            return Err(DecodeError::TooManyItems {
                offset,
                limit: self.limits.max_items,
            });
        }
        Ok(())
    }

    /// Checks a declared length (bytes, or minimum one byte per member) against the input.
    fn fits(&self, offset: usize, declared: u64, per_member: u64) -> Result<usize, DecodeError> {
        let remaining = self.remaining();
        match declared.checked_mul(per_member) {
            Some(need) if need <= remaining as u64 => Ok(declared as usize),
            _ => Err(DecodeError::LengthExceedsInput {
                offset,
                declared,
                remaining,
            }),
        }
    }

    /// Walks one item; returns its key identity (used when the item is a map key).
    fn item(&mut self, depth: usize) -> Result<KeyId<'a>, DecodeError> {
        let (start, major, info, arg) = self.header()?;
        self.count_item(start)?;
        if depth > self.limits.max_depth {
            return Err(DecodeError::TooDeep {
                offset: start,
                limit: self.limits.max_depth,
            });
        }
        if self.in_key > 0 && (major == 4 || major == 5) {
            return Err(DecodeError::Malformed {
                offset: start,
                reason: "array or map inside a map key",
            });
        }
        match (major, arg) {
            (0, Arg::Value(v)) => Ok(KeyId::Int(i128::from(v))),
            (1, Arg::Value(v)) => Ok(KeyId::Int(-1 - i128::from(v))),
            (2 | 3, Arg::Value(len)) => {
                let len = self.fits(start, len, 1)?;
                let content = self.take(len, start)?;
                if major == 3 {
                    std::str::from_utf8(content).map_err(|_| DecodeError::Malformed {
                        offset: start,
                        reason: "text string is not UTF-8",
                    })?;
                    Ok(KeyId::Text(Cow::Borrowed(content)))
                } else {
                    Ok(KeyId::Bytes(Cow::Borrowed(content)))
                }
            }
            (2 | 3, Arg::Indefinite) => {
                loop {
                    let chunk_start = self.pos;
                    if self.byte(start)? == 0xff {
                        break;
                    }
                    self.pos = chunk_start;
                    let (_, chunk_major, _, chunk_arg) = self.header()?;
                    let Arg::Value(len) = chunk_arg else {
                        return Err(DecodeError::Malformed {
                            offset: chunk_start,
                            reason: "nested indefinite-length string chunk",
                        });
                    };
                    if chunk_major != major {
                        return Err(DecodeError::Malformed {
                            offset: chunk_start,
                            reason: "string chunk of another major type",
                        });
                    }
                    let len = self.fits(chunk_start, len, 1)?;
                    let content = self.take(len, chunk_start)?;
                    if major == 3 && std::str::from_utf8(content).is_err() {
                        return Err(DecodeError::Malformed {
                            offset: chunk_start,
                            reason: "text string is not UTF-8",
                        });
                    }
                }
                Ok(KeyId::Raw(&self.bytes[start..self.pos]))
            }
            (4, Arg::Value(n)) => {
                let n = self.fits(start, n, 1)?;
                for _ in 0..n {
                    self.item(depth + 1)?;
                }
                Ok(KeyId::Raw(&self.bytes[start..self.pos]))
            }
            (4, Arg::Indefinite) => {
                while !self.at_break(start)? {
                    self.item(depth + 1)?;
                }
                Ok(KeyId::Raw(&self.bytes[start..self.pos]))
            }
            (5, Arg::Value(n)) => {
                let n = self.fits(start, n, 2)?;
                self.map_entries(depth, start, Some(n))?;
                Ok(KeyId::Raw(&self.bytes[start..self.pos]))
            }
            (5, Arg::Indefinite) => {
                self.map_entries(depth, start, None)?;
                Ok(KeyId::Raw(&self.bytes[start..self.pos]))
            }
            (6, Arg::Value(tag)) => {
                let content_start = self.pos;
                self.item(depth + 1)?;
                if tag == super::TAG_ENCODED_CBOR {
                    self.note_tag24(start, content_start);
                }
                Ok(KeyId::Raw(&self.bytes[start..self.pos]))
            }
            (7, Arg::Value(v)) => {
                if info == 24 && v < 32 {
                    return Err(DecodeError::Malformed {
                        offset: start,
                        reason: "simple value below 32 in two bytes",
                    });
                }
                // false, true, null and the floats only: `undefined` and unassigned simple
                // values appear in no 18013-5 structure and have no faithful decoded form.
                if info < 25 && !(20..=22).contains(&v) {
                    return Err(DecodeError::Malformed {
                        offset: start,
                        reason: "undefined or unassigned simple value",
                    });
                }
                Ok(KeyId::Raw(&self.bytes[start..self.pos]))
            }
            (7, Arg::Indefinite) => Err(DecodeError::Malformed {
                offset: start,
                reason: "unexpected break",
            }),
            _ => Err(DecodeError::Malformed {
                offset: start,
                reason: "indefinite length on an integer or tag",
            }),
        }
    }

    /// Keeps the encoding of a `#6.24(bstr)` (tag header at `start`, content at `content_start`,
    /// ending at the current position) when it is not the preferred one, which a [`Tag24`]
    /// re-encoding from the content would not reproduce.
    ///
    /// [`Tag24`]: super::Tag24
    fn note_tag24(&mut self, start: usize, content_start: usize) {
        let raw = &self.bytes[start..self.pos];
        let content_header = self.bytes[content_start];
        if content_header >> 5 != 2 {
            return; // not a byte string: Tag24 decoding rejects it
        }
        let preferred_tag = content_start - start == 2;
        let definite = content_header & 0x1f != 31;
        if preferred_tag && definite {
            let header_end = content_start + header_len(content_header);
            let mut preferred = Vec::with_capacity(9);
            super::tag24::write_bstr_header(&mut preferred, self.pos - header_end);
            if preferred == self.bytes[content_start..header_end] {
                return;
            }
        }
        // Non-preferred: rebuild the content (chunks concatenated) to find it again later.
        let mut content = Vec::new();
        let mut p = content_start;
        if definite {
            content.extend_from_slice(
                &self.bytes[content_start + header_len(content_header)..self.pos],
            );
        } else {
            p += 1;
            while self.bytes[p] != 0xff {
                let h = header_len(self.bytes[p]);
                let len = chunk_len(&self.bytes[p..p + h]);
                content.extend_from_slice(&self.bytes[p + h..p + h + len]);
                p += h + len;
            }
        }
        self.received_tag24.push((content, raw.to_vec()));
    }

    /// True (and consumes it) when the next byte is a break.
    fn at_break(&mut self, item_start: usize) -> Result<bool, DecodeError> {
        match self.bytes.get(self.pos) {
            None => Err(DecodeError::Truncated { offset: item_start }),
            Some(0xff) => {
                self.pos += 1;
                Ok(true)
            }
            Some(_) => Ok(false),
        }
    }

    fn map_entries(
        &mut self,
        depth: usize,
        start: usize,
        count: Option<usize>,
    ) -> Result<(), DecodeError> {
        // Small maps (all of 18013-5's structures) compare keys linearly; large ones (data
        // element maps) use a hash set.
        const LINEAR: usize = 16;
        let mut small: Vec<KeyId<'a>> = Vec::new();
        let mut large: Option<HashSet<KeyId<'a>>> = None;
        let mut seen = 0usize;
        loop {
            match count {
                Some(n) if seen == n => break,
                None if self.at_break(start)? => break,
                _ => {}
            }
            let key_offset = self.pos;
            self.in_key += 1;
            let key = self.item(depth + 1);
            self.in_key -= 1;
            let key = match key? {
                KeyId::Raw(raw) => decoded_key(raw, key_offset, self.limits)?,
                key => key,
            };
            let duplicate = match &mut large {
                Some(set) => !set.insert(key),
                None if small.contains(&key) => true,
                None => {
                    small.push(key);
                    if small.len() > LINEAR {
                        large = Some(small.drain(..).collect());
                    }
                    false
                }
            };
            if duplicate {
                return Err(DecodeError::DuplicateKey { offset: key_offset });
            }
            self.item(depth + 1)?;
            seen += 1;
        }
        Ok(())
    }
}
