//! The `CborCodec` trait that every message type implements, and the two entry points that turn
//! bytes into typed values and back.

use indexmap::IndexMap;

use super::{budget, wellformed, DecodeError, Limits, ResultExt, Value};

/// Conversion between a typed 18013-5 structure and a CBOR value tree.
///
/// Decoding takes the value by value so byte strings move into the typed structure without a
/// copy. Encoding is deterministic: definite lengths, preferred (shortest) serialization, and
/// struct fields in the order of the standard's CDDL (the order Annex D uses; see
/// [`crate::cbor`] for why this and not length-sorted keys).
pub trait CborCodec: Sized {
    /// Decodes from a value; errors name the offending field.
    fn from_cbor(value: Value) -> Result<Self, DecodeError>;
    /// Encodes to a value.
    fn to_cbor(&self) -> Value;
}

/// Decodes one item from `bytes`, rejecting trailing bytes, duplicate keys and anything over
/// `limits` before allocating for it.
///
/// `limits` is the budget of the whole message: every embedded item decoded on the way
/// ([`Tag24`](super::Tag24)) shares it (see [`with_budget`](super::with_budget)), and a call made
/// while a budget is open shares that one too.
pub fn from_slice_with<T: CborCodec>(bytes: &[u8], limits: &Limits) -> Result<T, DecodeError> {
    super::with_budget(limits, || T::from_cbor(value_from_slice(bytes, limits)?))
}

/// [`from_slice_with`] under the default [`Limits`].
pub fn from_slice<T: CborCodec>(bytes: &[u8]) -> Result<T, DecodeError> {
    from_slice_with(bytes, &Limits::default())
}

/// Decodes one well-formed item into an untyped value tree, under `limits` (and, inside
/// [`with_budget`](super::with_budget), under the open budget, which it charges).
pub fn value_from_slice(bytes: &[u8], limits: &Limits) -> Result<Value, DecodeError> {
    let limits = &budget::effective(limits);
    let checked = wellformed::check(bytes, limits)?;
    budget::charge(checked.items, checked.received_tag24);
    // The check above guarantees a single well-formed item whose every length fits the input,
    // so ciborium only fails here on what it cannot represent (e.g. `undefined`).
    ciborium::de::from_reader_with_recursion_limit(bytes, limits.max_depth.saturating_mul(2) + 8)
        .map_err(|_| DecodeError::Malformed {
            offset: 0,
            reason: "value not representable (e.g. undefined)",
        })
}

/// Encodes a typed value to bytes.
pub fn to_vec<T: CborCodec>(value: &T) -> Vec<u8> {
    value_to_vec(&value.to_cbor())
}

/// Encodes an untyped value tree to bytes (definite lengths, preferred serialization).
pub fn value_to_vec(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, and every `Value` is serializable.
    #[allow(clippy::expect_used)]
    ciborium::ser::into_writer(value, &mut out)
        .expect("serializing a Value into a Vec is infallible");
    out
}

/// A map being decoded: take fields by key; keys never taken are ignored (2021 8.1: unknown keys
/// are RFU and ignored by the receiver).
///
/// **Lookup rule.** A map decoded from bytes (every entry point of this module) holds each key at
/// most once: the well-formedness check rejects duplicate keys compared by decoded value, so the
/// first match that [`Fields::take`] returns is the only one. For a value tree built by hand that
/// does hold a key twice, the first entry wins, the same rule as [`IndexMap`] decoding here, which
/// rejects the second occurrence.
#[derive(Debug)]
pub struct Fields {
    entries: Vec<(Value, Value)>,
}

/// A map key: text (most 18013-5 maps) or integer (engagement, COSE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    /// A text-string key.
    Text(&'a str),
    /// An integer key.
    Int(i64),
}

impl std::fmt::Display for Key<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Text(t) => f.write_str(t),
            Self::Int(i) => write!(f, "{i}"),
        }
    }
}

impl<'a> From<&'a str> for Key<'a> {
    fn from(s: &'a str) -> Self {
        Self::Text(s)
    }
}

impl From<i64> for Key<'_> {
    fn from(i: i64) -> Self {
        Self::Int(i)
    }
}

impl Key<'_> {
    fn matches(&self, value: &Value) -> bool {
        match (self, value) {
            (Self::Text(k), Value::Text(t)) => k == t,
            (Self::Int(k), Value::Integer(i)) => i128::from(*k) == i128::from(*i),
            _ => false,
        }
    }

    /// This key as a value.
    pub fn to_value(self) -> Value {
        match self {
            Self::Text(t) => Value::Text(t.to_owned()),
            Self::Int(i) => Value::Integer(i.into()),
        }
    }
}

impl Fields {
    /// Opens a map for field-wise decoding.
    pub fn new(value: Value) -> Result<Self, DecodeError> {
        match value {
            Value::Map(entries) => Ok(Self { entries }),
            other => Err(DecodeError::wrong_type("map", &other)),
        }
    }

    /// Removes and returns the raw value of `key`.
    pub fn take<'k>(&mut self, key: impl Into<Key<'k>>) -> Option<Value> {
        let key = key.into();
        let idx = self.entries.iter().position(|(k, _)| key.matches(k))?;
        Some(self.entries.swap_remove(idx).1)
    }

    /// Decodes a required field.
    pub fn required<'k, T: CborCodec>(
        &mut self,
        key: impl Into<Key<'k>>,
    ) -> Result<T, DecodeError> {
        let key = key.into();
        let value = self.take(key).ok_or_else(|| DecodeError::missing(key))?;
        T::from_cbor(value).within(key)
    }

    /// Decodes an optional field.
    pub fn optional<'k, T: CborCodec>(
        &mut self,
        key: impl Into<Key<'k>>,
    ) -> Result<Option<T>, DecodeError> {
        let key = key.into();
        self.take(key)
            .map(|v| T::from_cbor(v).within(key))
            .transpose()
    }

    /// The entries not taken so far (unknown keys), for callers that keep them.
    pub fn into_rest(self) -> Vec<(Value, Value)> {
        self.entries
    }
}

/// Builds a map for encoding, in insertion order.
#[derive(Debug, Default)]
pub struct MapBuilder {
    entries: Vec<(Value, Value)>,
}

impl MapBuilder {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends `key: value`.
    #[must_use]
    pub fn field<'k, T: CborCodec>(mut self, key: impl Into<Key<'k>>, value: &T) -> Self {
        self.entries.push((key.into().to_value(), value.to_cbor()));
        self
    }

    /// Appends `key: value` when the value is present.
    #[must_use]
    pub fn optional<'k, T: CborCodec>(self, key: impl Into<Key<'k>>, value: Option<&T>) -> Self {
        match value {
            Some(v) => self.field(key, v),
            None => self,
        }
    }

    /// Appends a raw entry.
    #[must_use]
    pub fn raw<'k>(mut self, key: impl Into<Key<'k>>, value: Value) -> Self {
        self.entries.push((key.into().to_value(), value));
        self
    }

    /// The finished map.
    pub fn build(self) -> Value {
        Value::Map(self.entries)
    }
}

// ---- primitive impls ----------------------------------------------------------------------

impl CborCodec for Value {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        Ok(value)
    }
    fn to_cbor(&self) -> Value {
        self.clone()
    }
}

impl CborCodec for String {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        match value {
            Value::Text(t) => Ok(t),
            other => Err(DecodeError::wrong_type("text string", &other)),
        }
    }
    fn to_cbor(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl CborCodec for bool {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        match value {
            Value::Bool(b) => Ok(b),
            other => Err(DecodeError::wrong_type("bool", &other)),
        }
    }
    fn to_cbor(&self) -> Value {
        Value::Bool(*self)
    }
}

macro_rules! int_codec {
    ($($t:ty),*) => {$(
        impl CborCodec for $t {
            fn from_cbor(value: Value) -> Result<Self, DecodeError> {
                match value {
                    Value::Integer(i) => <$t>::try_from(i128::from(i)).map_err(|_| {
                        DecodeError::invalid(format!("integer {} out of range for {}", i128::from(i), stringify!($t)))
                    }),
                    other => Err(DecodeError::wrong_type("integer", &other)),
                }
            }
            fn to_cbor(&self) -> Value {
                Value::Integer((*self).into())
            }
        }
    )*};
}
int_codec!(u8, u16, u32, u64, i8, i16, i32, i64);

/// A CBOR byte string (`bstr`).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Bstr(pub Vec<u8>);

impl std::fmt::Debug for Bstr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "h'")?;
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        write!(f, "'")
    }
}

impl CborCodec for Bstr {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        match value {
            Value::Bytes(b) => Ok(Self(b)),
            other => Err(DecodeError::wrong_type("byte string", &other)),
        }
    }
    fn to_cbor(&self) -> Value {
        Value::Bytes(self.0.clone())
    }
}

impl<T: CborCodec> CborCodec for Vec<T> {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        match value {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| T::from_cbor(v).within(format!("[{i}]")))
                .collect(),
            other => Err(DecodeError::wrong_type("array", &other)),
        }
    }
    fn to_cbor(&self) -> Value {
        Value::Array(self.iter().map(CborCodec::to_cbor).collect())
    }
}

impl<T: CborCodec> CborCodec for IndexMap<String, T> {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        match value {
            Value::Map(entries) => {
                let mut out = IndexMap::with_capacity(entries.len());
                for (k, v) in entries {
                    let k = String::from_cbor(k).within("<key>")?;
                    let v = T::from_cbor(v).within(&k)?;
                    // Duplicates (by decoded value) were rejected by the well-formedness check of
                    // every byte entry point; a hand-built tree with a repeated key is refused
                    // rather than silently keeping one of the two.
                    if out.contains_key(&k) {
                        return Err(DecodeError::invalid(format!("duplicate map key {k:?}")));
                    }
                    out.insert(k, v);
                }
                Ok(out)
            }
            other => Err(DecodeError::wrong_type("map", &other)),
        }
    }
    fn to_cbor(&self) -> Value {
        Value::Map(
            self.iter()
                .map(|(k, v)| (Value::Text(k.clone()), v.to_cbor()))
                .collect(),
        )
    }
}

/// A non-empty list: the CDDL `[+ T]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonEmpty<T>(Vec<T>);

impl<T> NonEmpty<T> {
    /// A list of one.
    pub fn one(first: T) -> Self {
        Self(vec![first])
    }

    /// `Some` when `items` is not empty.
    pub fn new(items: Vec<T>) -> Option<Self> {
        (!items.is_empty()).then_some(Self(items))
    }

    /// The first item (always present).
    pub fn first(&self) -> &T {
        &self.0[0]
    }

    /// Appends an item.
    pub fn push(&mut self, item: T) {
        self.0.push(item);
    }

    /// The items as a slice.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// The items as a mutable slice (the length, and so non-emptiness, cannot change).
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.0
    }

    /// The items.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }

    /// Iterates over the items.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
}

impl<T> std::ops::Deref for NonEmpty<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<'a, T> IntoIterator for &'a NonEmpty<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: CborCodec> CborCodec for NonEmpty<T> {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let items = Vec::<T>::from_cbor(value)?;
        Self::new(items)
            .ok_or_else(|| DecodeError::invalid("empty array where at least one item is required"))
    }
    fn to_cbor(&self) -> Value {
        self.0.to_cbor()
    }
}

/// Expects `tag` around a value and returns the content.
pub fn untag(value: Value, tag: u64) -> Result<Value, DecodeError> {
    match value {
        Value::Tag(t, inner) if t == tag => Ok(*inner),
        Value::Tag(t, _) => Err(DecodeError::WrongTag {
            path: String::new(),
            expected: tag,
            found: Some(t),
        }),
        _ => Err(DecodeError::WrongTag {
            path: String::new(),
            expected: tag,
            found: None,
        }),
    }
}
