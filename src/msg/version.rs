//! Message version strings ("1.0", "1.1") and the rule for receiving them.
//!
//! 2021 8.1 / 2nd ed. 8.3: a receiver that knows "1.0" accepts any "1.x" (unknown minor versions
//! add only optional, ignorable content); another major version is a different protocol and is
//! rejected with [`DecodeError::UnsupportedVersion`].

use std::fmt;

use crate::cbor::{CborCodec, DecodeError, Value};

/// The major version this implementation understands.
pub const KNOWN_MAJOR: u64 = 1;

/// A `major.minor` version string, kept exactly as received so a message re-encodes unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    text: String,
    major: u64,
    minor: u64,
}

impl Version {
    /// Version "1.0": every 2021 message.
    pub fn v1_0() -> Self {
        Self {
            text: "1.0".to_owned(),
            major: 1,
            minor: 0,
        }
    }

    /// Version "1.1": DeviceEngagement with OriginInfos/Capabilities, DeviceRequest with
    /// deviceRequestInfo/readerAuthAll (2nd ed.).
    pub fn v1_1() -> Self {
        Self {
            text: "1.1".to_owned(),
            major: 1,
            minor: 1,
        }
    }

    /// Parses `major.minor` (decimal digits each) and applies the acceptance rule.
    pub fn parse(text: &str) -> Result<Self, DecodeError> {
        let (major, minor) = parse_parts(text).ok_or_else(|| {
            DecodeError::invalid(format!("version {text:?} is not of the form major.minor"))
        })?;
        if major != KNOWN_MAJOR {
            return Err(DecodeError::UnsupportedVersion {
                path: String::new(),
                version: text.to_owned(),
            });
        }
        Ok(Self {
            text: text.to_owned(),
            major,
            minor,
        })
    }

    /// The major version.
    pub fn major(&self) -> u64 {
        self.major
    }

    /// The minor version.
    pub fn minor(&self) -> u64 {
        self.minor
    }

    /// The version text as received (or as built).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether this version is at least `1.minor` (for features added in a minor version).
    pub fn at_least_minor(&self, minor: u64) -> bool {
        self.minor >= minor
    }
}

fn parse_parts(text: &str) -> Option<(u64, u64)> {
    let (major, minor) = text.split_once('.')?;
    let num = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    Some((num(major)?, num(minor)?))
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Checks a received version string against the rule above (for callers holding plain text).
pub fn check_version(text: &str) -> Result<Version, DecodeError> {
    Version::parse(text)
}

impl CborCodec for Version {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        Self::parse(&String::from_cbor(value)?)
    }

    fn to_cbor(&self) -> Value {
        Value::Text(self.text.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_future_minor_versions_are_accepted() {
        assert_eq!(Version::parse("1.0"), Ok(Version::v1_0()));
        assert_eq!(Version::parse("1.1"), Ok(Version::v1_1()));
        let future = Version::parse("1.7").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (future.major(), future.minor(), future.as_str()),
            (1, 7, "1.7")
        );
    }

    #[test]
    fn other_majors_are_unsupported() {
        assert!(matches!(
            Version::parse("2.0"),
            Err(DecodeError::UnsupportedVersion { .. })
        ));
        assert!(matches!(
            Version::parse("0.9"),
            Err(DecodeError::UnsupportedVersion { .. })
        ));
    }

    #[test]
    fn malformed_versions_are_invalid() {
        for bad in ["", "1", "1.", ".1", "1.0.0", "a.b", "1.-1", "+1.0"] {
            assert!(
                matches!(Version::parse(bad), Err(DecodeError::InvalidValue { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            Version::from_cbor(Value::Integer(1.into())),
            Err(DecodeError::WrongType { .. })
        ));
    }
}
