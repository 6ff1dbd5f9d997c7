//! Optional extensions that never sink a whole message (DESIGN §2, §8: strict when sending,
//! lenient when receiving).
//!
//! A peer may fill an optional, extensible part of a message in a way we cannot interpret: an
//! untagged `deviceRequestInfo`, an OriginInfo without `details`, a Capabilities value that is
//! not a bool, a retrieval method of a shape we do not know. Rejecting the whole message for
//! that would break a transaction that needs none of it. Such a part decodes to
//! [`Lenient::Unparsed`]: the value as received (so `mdl inspect` shows it, and re-encoding
//! forwards it unchanged) with the reason it was not understood, reported through
//! [`InteropWarnings`] as a warning rather than an error.
//!
//! Only optional extensions are lenient. Anything a hash, MAC or signature covers, and anything
//! the protocol needs (keys, versions, requested elements), stays strict.

use std::fmt;

use crate::cbor::{CborCodec, DecodeError, Value};

/// An optional part of a received message: understood, or kept raw with the reason it was not.
#[derive(Debug, Clone, PartialEq)]
pub enum Lenient<T> {
    /// Decoded as the standard defines it.
    Known(T),
    /// Kept as received: its shape is not the one we know.
    Unparsed(Unparsed),
}

/// A received value we could not interpret, kept as received.
#[derive(Debug, Clone, PartialEq)]
pub struct Unparsed {
    /// The value exactly as decoded from the peer's bytes.
    pub value: Value,
    /// Why it was not understood (the peer's deviation).
    pub reason: DecodeError,
}

impl<T> Lenient<T> {
    /// The decoded value, if it was understood.
    pub fn known(&self) -> Option<&T> {
        match self {
            Self::Known(t) => Some(t),
            Self::Unparsed(_) => None,
        }
    }

    /// The decoded value, if it was understood.
    pub fn into_known(self) -> Option<T> {
        match self {
            Self::Known(t) => Some(t),
            Self::Unparsed(_) => None,
        }
    }

    /// The raw value and reason, if it was not understood.
    pub fn unparsed(&self) -> Option<&Unparsed> {
        match self {
            Self::Known(_) => None,
            Self::Unparsed(u) => Some(u),
        }
    }
}

impl<T: CborCodec> Lenient<T> {
    /// Decodes `value` as `T`, keeping it raw when that fails.
    pub fn decode(value: Value) -> Self {
        // The clone is of an optional extension, bounded by the message's decode limits.
        match T::from_cbor(value.clone()) {
            Ok(t) => Self::Known(t),
            Err(reason) => Self::Unparsed(Unparsed { value, reason }),
        }
    }

    /// Decodes an array leniently item by item; a value that is not an array is kept as one
    /// unparsed item.
    pub fn decode_list(value: Value) -> Vec<Self> {
        match value {
            Value::Array(items) => items.into_iter().map(Self::decode).collect(),
            other => {
                let reason = DecodeError::wrong_type("array", &other);
                vec![Self::Unparsed(Unparsed {
                    value: other,
                    reason,
                })]
            }
        }
    }
}

impl<T: CborCodec> CborCodec for Lenient<T> {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        Ok(Self::decode(value))
    }

    fn to_cbor(&self) -> Value {
        match self {
            Self::Known(t) => t.to_cbor(),
            Self::Unparsed(u) => u.value.clone(),
        }
    }
}

impl<T> From<T> for Lenient<T> {
    fn from(t: T) -> Self {
        Self::Known(t)
    }
}

/// Something a peer sent that we accepted without understanding it, or accepted although it
/// deviates from the standard: shown to the operator, never a reason to fail.
#[derive(Debug, Clone, PartialEq)]
pub struct InteropWarning {
    /// Where in the message (map keys and array indexes, as in [`DecodeError::path`]).
    pub path: String,
    /// What was wrong with it.
    pub reason: DecodeError,
}

impl fmt::Display for InteropWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (kept as received)", self.path, self.reason)
    }
}

/// Messages that can report the optional parts they kept raw.
pub trait InteropWarnings {
    /// Appends one warning per unparsed part, with its path under `path`.
    fn collect_warnings(&self, path: &str, out: &mut Vec<InteropWarning>);

    /// Every unparsed part of this message.
    fn interop_warnings(&self) -> Vec<InteropWarning> {
        let mut out = Vec::new();
        self.collect_warnings("", &mut out);
        out
    }
}

/// `path` joined with one more segment.
pub(crate) fn join(path: &str, segment: impl fmt::Display) -> String {
    if path.is_empty() {
        segment.to_string()
    } else {
        format!("{path}.{segment}")
    }
}

impl<T: InteropWarnings> InteropWarnings for Lenient<T> {
    fn collect_warnings(&self, path: &str, out: &mut Vec<InteropWarning>) {
        match self {
            Self::Known(t) => t.collect_warnings(path, out),
            Self::Unparsed(u) => out.push(InteropWarning {
                path: path.to_owned(),
                reason: u.reason.clone(),
            }),
        }
    }
}

impl<T: InteropWarnings> InteropWarnings for Vec<T> {
    fn collect_warnings(&self, path: &str, out: &mut Vec<InteropWarning>) {
        for (i, item) in self.iter().enumerate() {
            item.collect_warnings(&format!("{path}[{i}]"), out);
        }
    }
}

impl<T: InteropWarnings> InteropWarnings for Option<T> {
    fn collect_warnings(&self, path: &str, out: &mut Vec<InteropWarning>) {
        if let Some(t) = self {
            t.collect_warnings(path, out);
        }
    }
}

/// A leaf: nothing inside can be unparsed.
macro_rules! no_warnings {
    ($($t:ty),*) => {$(
        impl InteropWarnings for $t {
            fn collect_warnings(&self, _path: &str, _out: &mut Vec<InteropWarning>) {}
        }
    )*};
}
no_warnings!(bool);
impl<T> InteropWarnings for crate::cbor::Tag24<T> {
    fn collect_warnings(&self, _path: &str, _out: &mut Vec<InteropWarning>) {}
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_value_of_the_wrong_shape_is_kept_with_its_reason() {
        let l = Lenient::<bool>::decode(Value::Integer(1.into()));
        let u = l.unparsed().unwrap();
        assert_eq!(u.value, Value::Integer(1.into()));
        assert!(matches!(u.reason, DecodeError::WrongType { .. }));
        assert_eq!(l.to_cbor(), Value::Integer(1.into()), "forwarded unchanged");
        let w = l.interop_warnings();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].path, "");
        assert!(w[0].to_string().contains("kept as received"), "{}", w[0]);
        assert_eq!(
            Lenient::<bool>::decode(Value::Bool(true)).known(),
            Some(&true)
        );
        assert!(Lenient::<bool>::decode(Value::Bool(true))
            .interop_warnings()
            .is_empty());
    }

    #[test]
    fn a_list_keeps_good_items_and_a_non_list_is_one_unparsed_item() {
        let list =
            Lenient::<bool>::decode_list(Value::Array(vec![Value::Bool(false), Value::Null]));
        assert_eq!(list[0].known(), Some(&false));
        assert!(list[1].unparsed().is_some());
        assert_eq!(list.interop_warnings()[0].path, "[1]");
        let one = Lenient::<bool>::decode_list(Value::Text("x".into()));
        assert_eq!(one.len(), 1);
        assert!(one[0].unparsed().is_some());
    }
}
