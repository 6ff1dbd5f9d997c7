//! The one error type of CBOR decoding: malformed bytes and wrong shapes, with where it broke.

use std::fmt;

/// Why a CBOR item could not be decoded.
///
/// Byte-level faults carry the byte `offset` at which they were found; shape faults carry the
/// `path` of the field inside the message (for example `documents[0].issuerSigned.issuerAuth`),
/// filled in as the error travels up through the typed decoders.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended inside an item.
    #[error("input ends inside an item at byte {offset}")]
    Truncated {
        /// Byte offset of the item that could not be completed.
        offset: usize,
    },
    /// Bytes remain after the one top-level item.
    #[error("{count} trailing bytes after the item, from byte {offset}")]
    TrailingBytes {
        /// Offset of the first trailing byte.
        offset: usize,
        /// How many bytes follow the item.
        count: usize,
    },
    /// The message is larger than the configured limit.
    #[error("message of {size} bytes exceeds the limit of {limit} bytes")]
    MessageTooLarge {
        /// Size of the message.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A declared length or element count cannot fit in the bytes that remain.
    #[error("item at byte {offset} declares {declared} but only {remaining} bytes remain")]
    LengthExceedsInput {
        /// Offset of the item header.
        offset: usize,
        /// The declared length (bytes, or number of array/map members).
        declared: u64,
        /// Bytes left in the input after the header.
        remaining: usize,
    },
    /// Nesting deeper than the configured limit.
    #[error("nesting deeper than {limit} levels at byte {offset}")]
    TooDeep {
        /// Offset of the item that went too deep.
        offset: usize,
        /// The configured limit.
        limit: usize,
    },
    /// More data items than the configured limit.
    #[error("more than {limit} data items (at byte {offset})")]
    TooManyItems {
        /// Offset where the limit was crossed.
        offset: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A map holds the same key twice (2021 8.1: duplicate keys are not valid).
    #[error("duplicate map key at byte {offset}")]
    DuplicateKey {
        /// Offset of the second occurrence of the key.
        offset: usize,
    },
    /// Bytes that are not well-formed CBOR (RFC 8949 appendix F).
    #[error("malformed CBOR at byte {offset}: {reason}")]
    Malformed {
        /// Offset of the offending byte.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A well-formed item has the wrong CBOR type.
    #[error("{path}: expected {expected}, found {found}")]
    WrongType {
        /// Where in the message.
        path: String,
        /// What the CDDL requires.
        expected: &'static str,
        /// What was found.
        found: &'static str,
    },
    /// A required map key is missing.
    #[error("{path}: missing required field {field}")]
    MissingField {
        /// Where in the message.
        path: String,
        /// The missing key.
        field: String,
    },
    /// A tag other than the one the CDDL requires (or none).
    #[error("{path}: expected tag {expected}, found {}", found.map_or_else(|| "no tag".to_owned(), |t| format!("tag {t}")))]
    WrongTag {
        /// Where in the message.
        path: String,
        /// The required tag.
        expected: u64,
        /// The tag found, if any.
        found: Option<u64>,
    },
    /// The type is right but the value is not allowed.
    #[error("{path}: invalid value: {reason}")]
    InvalidValue {
        /// Where in the message.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A major version this implementation does not know ("2.0" when we know "1.x").
    #[error("{path}: unsupported version {version:?}")]
    UnsupportedVersion {
        /// Where in the message.
        path: String,
        /// The version string received.
        version: String,
    },
}

impl DecodeError {
    /// A wrong-type error at the current position (the path is filled in by callers).
    pub fn wrong_type(expected: &'static str, found: &crate::cbor::Value) -> Self {
        Self::WrongType {
            path: String::new(),
            expected,
            found: type_name(found),
        }
    }

    /// An invalid-value error at the current position.
    pub fn invalid(reason: impl Into<String>) -> Self {
        Self::InvalidValue {
            path: String::new(),
            reason: reason.into(),
        }
    }

    /// A missing-field error at the current position.
    pub fn missing(field: impl fmt::Display) -> Self {
        Self::MissingField {
            path: String::new(),
            field: field.to_string(),
        }
    }

    /// Prefixes the path of a shape error with `segment` (a field name or `[index]`).
    ///
    /// Byte-level errors are returned unchanged: their offset already says where.
    #[must_use]
    pub fn within(mut self, segment: impl fmt::Display) -> Self {
        if let Some(path) = self.path_mut() {
            let seg = segment.to_string();
            *path = if path.is_empty() {
                seg
            } else if path.starts_with('[') {
                format!("{seg}{path}")
            } else {
                format!("{seg}.{path}")
            };
        }
        self
    }

    /// The field path of a shape error, if this is one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::WrongType { path, .. }
            | Self::MissingField { path, .. }
            | Self::WrongTag { path, .. }
            | Self::InvalidValue { path, .. }
            | Self::UnsupportedVersion { path, .. } => Some(path),
            _ => None,
        }
    }

    fn path_mut(&mut self) -> Option<&mut String> {
        match self {
            Self::WrongType { path, .. }
            | Self::MissingField { path, .. }
            | Self::WrongTag { path, .. }
            | Self::InvalidValue { path, .. }
            | Self::UnsupportedVersion { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// A short name of a value's CBOR type, for error messages.
pub(crate) fn type_name(value: &crate::cbor::Value) -> &'static str {
    use crate::cbor::Value;
    match value {
        Value::Integer(_) => "integer",
        Value::Bytes(_) => "byte string",
        Value::Float(_) => "float",
        Value::Text(_) => "text string",
        Value::Bool(_) => "bool",
        Value::Null => "null",
        Value::Tag(..) => "tagged item",
        Value::Array(_) => "array",
        Value::Map(_) => "map",
        _ => "other simple value",
    }
}

/// Adds a path segment to the error of a result.
pub trait ResultExt<T> {
    /// Prefixes the path of a shape error with `segment`.
    fn within(self, segment: impl fmt::Display) -> Result<T, DecodeError>;
}

impl<T> ResultExt<T> for Result<T, DecodeError> {
    fn within(self, segment: impl fmt::Display) -> Result<T, DecodeError> {
        self.map_err(|e| e.within(segment))
    }
}
