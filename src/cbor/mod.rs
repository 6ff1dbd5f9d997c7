//! The CBOR layer: strict decoding of peer bytes, deterministic encoding, and embedded CBOR.
//!
//! Receiving (2021 8.1 / 2nd ed. 8.3): any valid encoding is accepted — indefinite lengths,
//! non-preferred integer widths — but not duplicate map keys, trailing bytes, nesting beyond
//! [`Limits::max_depth`], or a length that the remaining input cannot hold. Unknown map keys are
//! ignored.
//!
//! Sending: definite lengths and preferred serialization. Struct fields go out in the order of
//! the standard's CDDL, which is the order of every example in Annex D; the 2nd edition's
//! "should" for length-first sorted keys is not followed because Annex D's own messages (for
//! example DeviceResponse `version, documents, status`) are not sorted, and reproducing them byte
//! for byte is the stronger interop guarantee. Maps keyed by data (namespaces, element
//! identifiers, digest IDs) keep their insertion order.

mod budget;
mod codec;
mod error;
mod limits;
mod tag24;
mod wellformed;

pub use budget::with_budget;
pub use ciborium::Value;
pub use codec::{
    from_slice, from_slice_with, to_vec, untag, value_from_slice, value_to_vec, Bstr, CborCodec,
    Fields, Key, MapBuilder, NonEmpty,
};
pub use error::{DecodeError, ResultExt};
pub use limits::Limits;
pub use tag24::{Tag24, TAG_ENCODED_CBOR};

#[cfg(test)]
mod tests;
