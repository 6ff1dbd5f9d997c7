//! `#6.24(bstr .cbor T)`: embedded CBOR that keeps the bytes exactly as received.

use super::{budget, codec, CborCodec, DecodeError, Limits, Value};

/// The CBOR tag for embedded CBOR (RFC 8949 3.4.5.1), used by 18013-5 for every structure that
/// is hashed, MACed or signed ("XBytes").
pub const TAG_ENCODED_CBOR: u64 = 24;

/// Embedded CBOR: a decoded `T` together with the exact bytes it was decoded from.
///
/// Digests, MACs and signatures over an `XBytes` structure are computed over these stored bytes,
/// never over a re-encoding (2021 8.1), so a peer's non-canonical encoding still verifies — of
/// the content, and of the outer `#6.24(bstr)` header too: when a peer wrote the tag or the byte
/// string's length in a non-preferred form (say `59 00 05` for a 5-byte string, or in
/// indefinite-length chunks), [`Tag24::tagged_bytes`] returns those bytes as received.
///
/// Embedded items are decoded under the budget of the message that carries them (see
/// [`with_budget`](super::with_budget)): the caller's [`Limits`] reach inside, and all nested
/// items of one message share one `max_items` allowance.
///
/// Sending re-encodes the tag and header in preferred form ([`CborCodec::to_cbor`] yields a
/// value, not bytes): a holder forwarding items whose issuer used non-preferred headers sends
/// them with preferred headers.
#[derive(Clone, PartialEq)]
pub struct Tag24<T> {
    bytes: Vec<u8>,
    value: T,
    /// The whole `#6.24(bstr)` encoding as received, when it is not the preferred one.
    received: Option<Vec<u8>>,
}

impl<T: std::fmt::Debug> std::fmt::Debug for Tag24<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Tag24").field(&self.value).finish()
    }
}

impl<T: CborCodec> Tag24<T> {
    /// Wraps a value, encoding it once.
    pub fn new(value: T) -> Self {
        Self {
            bytes: codec::to_vec(&value),
            value,
            received: None,
        }
    }

    /// Decodes embedded bytes (the content of the byte string) under `limits` (and the open
    /// budget, if any).
    pub fn from_bytes_with(bytes: Vec<u8>, limits: &Limits) -> Result<Self, DecodeError> {
        let value = codec::from_slice_with(&bytes, limits)?;
        Ok(Self {
            bytes,
            value,
            received: None,
        })
    }

    /// Decodes embedded bytes under the default limits (and the open budget, if any).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, DecodeError> {
        Self::from_bytes_with(bytes, &Limits::default())
    }

    /// Decodes a complete `#6.24(bstr)` item (the "XBytes" form) under the default limits.
    pub fn from_tagged_slice(bytes: &[u8]) -> Result<Self, DecodeError> {
        codec::from_slice(bytes)
    }

    /// Decodes a complete `#6.24(bstr)` item under `limits` (and the open budget, if any).
    pub fn from_tagged_slice_with(bytes: &[u8], limits: &Limits) -> Result<Self, DecodeError> {
        codec::from_slice_with(bytes, limits)
    }
}

impl<T> Tag24<T> {
    /// The decoded value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The embedded bytes, exactly as received (or as encoded once by [`Tag24::new`]).
    pub fn inner_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The decoded value, dropping the bytes.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The `#6.24(bstr)` encoding of the stored bytes: what 18013-5 hashes as "XBytes". Exactly
    /// the bytes received, tag and byte-string header included; for a value built with
    /// [`Tag24::new`] (or received in preferred form), `d8 18` + the preferred byte-string
    /// header + the bytes.
    pub fn tagged_bytes(&self) -> Vec<u8> {
        if let Some(received) = &self.received {
            return received.clone();
        }
        let mut out = Vec::with_capacity(self.bytes.len() + 11);
        out.extend_from_slice(&[0xd8, 0x18]);
        write_bstr_header(&mut out, self.bytes.len());
        out.extend_from_slice(&self.bytes);
        out
    }
}

/// Writes a byte-string header in preferred serialization.
pub(super) fn write_bstr_header(out: &mut Vec<u8>, len: usize) {
    let len = len as u64;
    match len {
        0..=23 => out.push(0x40 | len as u8),
        24..=0xff => out.extend_from_slice(&[0x58, len as u8]),
        0x100..=0xffff => {
            out.push(0x59);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0x5a);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
        _ => {
            out.push(0x5b);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
}

impl<T: CborCodec> CborCodec for Tag24<T> {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        match codec::untag(value, TAG_ENCODED_CBOR)? {
            Value::Bytes(bytes) => {
                // Inside a message's budget the embedded item shares it; alone (a value built by
                // hand) it gets the default limits.
                let received = budget::claim_received(&bytes);
                let mut tag24 = Self::from_bytes(bytes)?;
                tag24.received = received;
                Ok(tag24)
            }
            other => Err(DecodeError::wrong_type("byte string inside tag 24", &other)),
        }
    }

    fn to_cbor(&self) -> Value {
        Value::Tag(TAG_ENCODED_CBOR, Box::new(Value::Bytes(self.bytes.clone())))
    }
}
