//! ReaderEngagement (2nd ed., carried in the Handover Request's
//! `iso.org:18013:readerengagement` record, id `mdocreader`): the reader's side of engagement.
//!
//! ```cddl
//! ReaderEngagement = {0: tstr, ? 1: Security, ? 5: OriginInfos, ? 6: Capabilities, * int => any}
//! ```
//!
//! Only the version (key 0) is required on receipt: Multipaz sends exactly `{0: "1.0"}` in its
//! negotiated-handover Hr (DESIGN §3, §5). Every other key is optional, OriginInfos and
//! Capabilities that we cannot interpret are kept raw ([`Lenient`]), unknown keys are ignored.

use crate::cbor::{CborCodec, DecodeError, Fields, MapBuilder, Tag24, Value};
use crate::crypto::CoseKey;

use super::engagement::{Capabilities, OriginInfo, Security};
use super::lenient::{join, InteropWarning, InteropWarnings, Lenient};
use super::Version;

/// A reader engagement. A distinct type from [`DeviceEngagement`](super::DeviceEngagement), so a
/// reader engagement can never be mistaken for a device engagement in the API.
///
/// The version is not stored: it follows from the content as for DeviceEngagement, "1.1" when
/// OriginInfos or Capabilities are present, "1.0" otherwise.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReaderEngagement {
    /// Key 1: cipher suite and the reader's ephemeral key (`EReaderKeyBytes`), when sent.
    pub security: Option<Security>,
    /// Key 5: where the engagement came from.
    pub origin_infos: Option<Vec<Lenient<OriginInfo>>>,
    /// Key 6: optional features of the reader.
    pub capabilities: Option<Lenient<Capabilities>>,
}

impl ReaderEngagement {
    /// Map key of the version.
    pub const KEY_VERSION: i64 = 0;
    /// Map key of [`Security`].
    pub const KEY_SECURITY: i64 = 1;
    /// Map key of the origin infos.
    pub const KEY_ORIGIN_INFOS: i64 = 5;
    /// Map key of the capabilities.
    pub const KEY_CAPABILITIES: i64 = 6;

    /// The version this engagement is sent as: "1.1" iff key 5 or 6 is present.
    pub fn version(&self) -> Version {
        if self.origin_infos.is_some() || self.capabilities.is_some() {
            Version::v1_1()
        } else {
            Version::v1_0()
        }
    }

    /// The reader's ephemeral key (`EReaderKeyBytes`) as received, if the engagement has one.
    pub fn e_reader_key(&self) -> Option<&Tag24<CoseKey>> {
        self.security.as_ref().map(|s| &s.e_device_key)
    }
}

impl CborCodec for ReaderEngagement {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        let _version: Version = f.required(Self::KEY_VERSION)?;
        Ok(Self {
            security: f.optional(Self::KEY_SECURITY)?,
            origin_infos: f.take(Self::KEY_ORIGIN_INFOS).map(Lenient::decode_list),
            capabilities: f.optional(Self::KEY_CAPABILITIES)?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field(Self::KEY_VERSION, &self.version())
            .optional(Self::KEY_SECURITY, self.security.as_ref())
            .optional(Self::KEY_ORIGIN_INFOS, self.origin_infos.as_ref())
            .optional(Self::KEY_CAPABILITIES, self.capabilities.as_ref())
            .build()
    }
}

impl InteropWarnings for ReaderEngagement {
    fn collect_warnings(&self, path: &str, out: &mut Vec<InteropWarning>) {
        self.origin_infos
            .collect_warnings(&join(path, Self::KEY_ORIGIN_INFOS), out);
        self.capabilities
            .collect_warnings(&join(path, Self::KEY_CAPABILITIES), out);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cbor::{from_slice, to_vec};
    use crate::crypto::Curve;

    #[test]
    fn multipaz_version_only_reader_engagement_is_accepted() {
        // Exactly what Multipaz writes into its Hr: {0: "1.0"}.
        let bytes = [0xa1, 0x00, 0x63, b'1', b'.', b'0'];
        let re: ReaderEngagement = from_slice(&bytes).unwrap();
        assert_eq!(re, ReaderEngagement::default());
        assert!(re.e_reader_key().is_none());
        assert!(re.interop_warnings().is_empty());
        assert_eq!(to_vec(&re), bytes, "re-encodes to the same bytes");
    }

    #[test]
    fn unknown_keys_are_ignored_and_bad_extensions_kept_raw() {
        // {0: "1.1", 6: {3: 1}, 99: "future", 5: [{"cat": 0, "type": 1}]}
        let value = Value::Map(vec![
            (Value::Integer(0.into()), Value::Text("1.1".into())),
            (
                Value::Integer(6.into()),
                Value::Map(vec![(Value::Integer(3.into()), Value::Integer(1.into()))]),
            ),
            (Value::Integer(99.into()), Value::Text("future".into())),
            (
                Value::Integer(5.into()),
                Value::Array(vec![Value::Map(vec![
                    (Value::Text("cat".into()), Value::Integer(0.into())),
                    (Value::Text("type".into()), Value::Integer(1.into())),
                ])]),
            ),
        ]);
        let re = ReaderEngagement::from_cbor(value).unwrap();
        let warnings = re.interop_warnings();
        let paths: Vec<_> = warnings.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(paths, ["5[0]", "6.3"], "{warnings:?}");
        assert!(!re
            .capabilities
            .as_ref()
            .and_then(Lenient::known)
            .unwrap()
            .supports_reader_auth_all());
    }

    #[test]
    fn reader_engagement_with_security_round_trips_and_rejects_bad_input() {
        let key = CoseKey::ec2(Curve::P256, vec![1; 32], vec![2; 32]);
        let re = ReaderEngagement {
            security: Some(Security::new(key.clone())),
            origin_infos: Some(vec![]),
            capabilities: None,
        };
        let bytes = to_vec(&re);
        let back: ReaderEngagement = from_slice(&bytes).unwrap();
        assert_eq!(back, re);
        assert_eq!(back.e_reader_key().unwrap().value(), &key);
        assert_eq!(to_vec(&back), bytes);
        // Version "1.1" because OriginInfos is present.
        assert_eq!(&bytes[..6], &[0xa3, 0x00, 0x63, b'1', b'.', b'1']);
        assert!(from_slice::<ReaderEngagement>(&bytes[..bytes.len() - 1]).is_err());
        // The version is still required, and a major version we do not know is refused.
        assert!(matches!(
            from_slice::<ReaderEngagement>(&[0xa0]),
            Err(DecodeError::MissingField { .. })
        ));
        assert!(matches!(
            from_slice::<ReaderEngagement>(&[0xa1, 0x00, 0x63, b'2', b'.', b'0']),
            Err(DecodeError::UnsupportedVersion { .. })
        ));
        // A Security that is present but malformed is an error (it is a key, not an extension).
        assert!(
            from_slice::<ReaderEngagement>(&[0xa2, 0x00, 0x63, b'1', b'.', b'0', 0x01, 0x01])
                .is_err()
        );
    }
}
