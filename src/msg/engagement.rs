//! Device engagement (2021 8.2.1.1 / 2nd ed. 9.1.1): the holder's ephemeral key and how to
//! reach it, shown as a QR code or sent in an NFC Handover Select.
//!
//! ```cddl
//! DeviceEngagement = {0: tstr, 1: Security, ?2: DeviceRetrievalMethods,
//!                     ?5: OriginInfos, ?6: Capabilities, * int => any}
//! Security = [int, EDeviceKeyBytes]
//! DeviceRetrievalMethod = [type: int, version: uint, options]
//! ```

use crate::cbor::{CborCodec, DecodeError, Fields, MapBuilder, NonEmpty, ResultExt, Tag24, Value};
use crate::crypto::CoseKey;
use crate::engagement::carrier::DeviceRetrievalMethod;
use crate::engagement::qr::qr_uri;

use super::lenient::{join, InteropWarning, InteropWarnings, Lenient};
use super::Version;

/// `#6.24(bstr .cbor DeviceEngagement)`: the engagement as received, which the SessionTranscript
/// embeds byte for byte (2021 9.1.5.1).
pub type DeviceEngagementBytes = Tag24<DeviceEngagement>;

/// A device engagement.
///
/// The version is not stored: it follows from the content (2nd ed. 9.1.1.1): "1.1" when
/// OriginInfos (5) or Capabilities (6) are present, "1.0" otherwise. A received "1.0" carrying
/// key 5 is accepted (DESIGN §8).
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceEngagement {
    /// Key 1: cipher suite and EDeviceKeyBytes.
    pub security: Security,
    /// Key 2: how the reader can connect (absent in an NFC-handover engagement, where the
    /// carriers are NDEF records).
    pub device_retrieval_methods: Option<NonEmpty<DeviceRetrievalMethod>>,
    /// Key 5 (1.1): where the engagement came from; an entry we cannot interpret is kept raw
    /// (DESIGN §8).
    pub origin_infos: Option<Vec<Lenient<OriginInfo>>>,
    /// Key 6 (1.1): optional features the mdoc supports; kept raw if it is not a map.
    pub capabilities: Option<Lenient<Capabilities>>,
}

impl DeviceEngagement {
    /// Map key of the version.
    pub const KEY_VERSION: i64 = 0;
    /// Map key of [`Security`].
    pub const KEY_SECURITY: i64 = 1;
    /// Map key of the retrieval methods.
    pub const KEY_DEVICE_RETRIEVAL_METHODS: i64 = 2;
    /// Map key of the origin infos.
    pub const KEY_ORIGIN_INFOS: i64 = 5;
    /// Map key of the capabilities.
    pub const KEY_CAPABILITIES: i64 = 6;

    /// A version 1.0 engagement for the holder's ephemeral public key, advertising `methods`
    /// (none for NFC engagement, where the carriers travel in the handover records).
    pub fn new(e_device_key: CoseKey, methods: Vec<DeviceRetrievalMethod>) -> Self {
        Self {
            security: Security::new(e_device_key),
            device_retrieval_methods: NonEmpty::new(methods),
            origin_infos: None,
            capabilities: None,
        }
    }

    /// The version this engagement is sent as: "1.1" iff key 5 or 6 is present.
    pub fn version(&self) -> Version {
        if self.origin_infos.is_some() || self.capabilities.is_some() {
            Version::v1_1()
        } else {
            Version::v1_0()
        }
    }

    /// The QR payload: `mdoc:` + base64url without padding of the encoded engagement.
    pub fn to_qr_uri(&self) -> String {
        qr_uri(&Tag24::new(self.clone()))
    }
}

impl CborCodec for DeviceEngagement {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        let _version: Version = f.required(Self::KEY_VERSION)?;
        let security = f.required(Self::KEY_SECURITY)?;
        let device_retrieval_methods = f.optional(Self::KEY_DEVICE_RETRIEVAL_METHODS)?;
        let origin_infos = f.take(Self::KEY_ORIGIN_INFOS).map(Lenient::decode_list);
        let capabilities = f.optional(Self::KEY_CAPABILITIES)?;
        Ok(Self {
            security,
            device_retrieval_methods,
            origin_infos,
            capabilities,
        })
    }

    fn to_cbor(&self) -> Value {
        // 2nd ed. 9.1.1.1: key 5 is present whenever key 6 is.
        let origin_infos = match (&self.origin_infos, &self.capabilities) {
            (None, Some(_)) => Some(Vec::new()),
            (o, _) => o.clone(),
        };
        MapBuilder::new()
            .field(Self::KEY_VERSION, &self.version())
            .field(Self::KEY_SECURITY, &self.security)
            .optional(
                Self::KEY_DEVICE_RETRIEVAL_METHODS,
                self.device_retrieval_methods.as_ref(),
            )
            .optional(Self::KEY_ORIGIN_INFOS, origin_infos.as_ref())
            .optional(Self::KEY_CAPABILITIES, self.capabilities.as_ref())
            .build()
    }
}

/// `Security = [cipher suite, EDeviceKeyBytes]` (2021 8.2.1.1, 9.1.5.2).
#[derive(Debug, Clone, PartialEq)]
pub struct Security {
    /// The cipher suite identifier; 18013-5 defines only [`Security::CIPHER_SUITE_1`].
    pub cipher_suite: i64,
    /// `#6.24(bstr .cbor COSE_Key)`: the mdoc's ephemeral key, bytes kept as received (they are
    /// the IKM of the BLE Ident, 2021 8.3.3.1.1.4).
    pub e_device_key: Tag24<CoseKey>,
}

impl Security {
    /// Cipher suite 1 (2021 9.1.5.2): ECDH + HKDF-SHA256 + AES-256-GCM.
    pub const CIPHER_SUITE_1: i64 = 1;

    /// Cipher suite 1 with the given ephemeral device key.
    pub fn new(e_device_key: CoseKey) -> Self {
        Self {
            cipher_suite: Self::CIPHER_SUITE_1,
            e_device_key: Tag24::new(e_device_key),
        }
    }
}

impl CborCodec for Security {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let [suite, key] = fixed_array::<2>(value)?;
        Ok(Self {
            cipher_suite: i64::from_cbor(suite).within("[0]")?,
            e_device_key: Tag24::from_cbor(key).within("[1]")?,
        })
    }

    fn to_cbor(&self) -> Value {
        Value::Array(vec![
            self.cipher_suite.to_cbor(),
            self.e_device_key.to_cbor(),
        ])
    }
}

/// Takes an array of exactly `N` items.
pub(crate) fn fixed_array<const N: usize>(value: Value) -> Result<[Value; N], DecodeError> {
    match value {
        Value::Array(items) => {
            let len = items.len();
            items
                .try_into()
                .map_err(|_| DecodeError::invalid(format!("array of {len} items, expected {N}")))
        }
        other => Err(DecodeError::wrong_type("array", &other)),
    }
}

/// An OriginInfo (2021 Amd. / 2nd ed. 9.1.1.1): `{"cat": uint, "type": uint, "details": any}`.
#[derive(Debug, Clone, PartialEq)]
pub struct OriginInfo {
    /// `cat`: [`OriginInfo::CAT_DELIVERY`] or [`OriginInfo::CAT_RECEIVE`].
    pub cat: u64,
    /// `type`: the kind of origin (for example a website).
    pub origin_type: u64,
    /// `details`: type-specific, kept as received.
    pub details: Value,
}

impl OriginInfo {
    /// Category: the engagement was delivered through this origin.
    pub const CAT_DELIVERY: u64 = 0;
    /// Category: the engagement was received from this origin.
    pub const CAT_RECEIVE: u64 = 1;
    // No named type constants: public implementations disagree on the value of "website"
    // (1 in identity-credential, 100 in the EUDI iOS library), so `type` stays a plain number.
}

impl CborCodec for OriginInfo {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            cat: f.required("cat")?,
            origin_type: f.required("type")?,
            details: f.required("details")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("cat", &self.cat)
            .field("type", &self.origin_type)
            .field("details", &self.details)
            .build()
    }
}

/// Capabilities (2nd ed. 9.1.1.1): optional features of the mdoc. A value that is not a bool is
/// kept raw and counts as "not supported" (DESIGN §8).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Capabilities {
    /// Key 2: HandoverSessionEstablishmentSupport.
    pub handover_session_establishment: Option<Lenient<bool>>,
    /// Key 3: ReaderAuthAllSupport.
    pub reader_auth_all: Option<Lenient<bool>>,
    /// Key 4: ExtendedRequestSupport (DeviceRequest 1.1).
    pub extended_request: Option<Lenient<bool>>,
}

impl Capabilities {
    /// Whether the mdoc advertises ReaderAuthAllSupport (key 3 is `true`).
    pub fn supports_reader_auth_all(&self) -> bool {
        advertised(&self.reader_auth_all)
    }

    /// Whether the mdoc advertises ExtendedRequestSupport (key 4 is `true`).
    pub fn supports_extended_request(&self) -> bool {
        advertised(&self.extended_request)
    }
}

fn advertised(flag: &Option<Lenient<bool>>) -> bool {
    matches!(flag, Some(Lenient::Known(true)))
}

impl DeviceEngagement {
    /// Whether the mdoc advertises ReaderAuthAllSupport in its Capabilities (2nd ed. 9.1.1.1).
    pub fn supports_reader_auth_all(&self) -> bool {
        self.capabilities
            .as_ref()
            .and_then(Lenient::known)
            .is_some_and(Capabilities::supports_reader_auth_all)
    }
}

impl InteropWarnings for DeviceEngagement {
    fn collect_warnings(&self, path: &str, out: &mut Vec<InteropWarning>) {
        self.origin_infos
            .collect_warnings(&join(path, Self::KEY_ORIGIN_INFOS), out);
        self.capabilities
            .collect_warnings(&join(path, Self::KEY_CAPABILITIES), out);
    }
}

impl InteropWarnings for OriginInfo {
    fn collect_warnings(&self, _path: &str, _out: &mut Vec<InteropWarning>) {}
}

impl InteropWarnings for Capabilities {
    fn collect_warnings(&self, path: &str, out: &mut Vec<InteropWarning>) {
        self.handover_session_establishment
            .collect_warnings(&join(path, 2), out);
        self.reader_auth_all.collect_warnings(&join(path, 3), out);
        self.extended_request.collect_warnings(&join(path, 4), out);
    }
}

impl CborCodec for Capabilities {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            handover_session_establishment: f.optional(2)?,
            reader_auth_all: f.optional(3)?,
            extended_request: f.optional(4)?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .optional(2, self.handover_session_establishment.as_ref())
            .optional(3, self.reader_auth_all.as_ref())
            .optional(4, self.extended_request.as_ref())
            .build()
    }
}

/// Decodes raw DeviceEngagement bytes (the NFC `iso.org:18013:deviceengagement` record payload),
/// keeping them.
pub fn device_engagement_from_raw(bytes: Vec<u8>) -> Result<DeviceEngagementBytes, DecodeError> {
    Tag24::from_bytes(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cbor::Bstr;
    use crate::engagement::carrier::{
        BleOptions, BleUuid, NfcOptions, TcpOptions, WifiAwareOptions,
    };
    use crate::engagement::qr::from_qr_uri;
    use crate::msg::vectors::{annex_d, assert_round_trip, decode_err, decode_value};

    fn key() -> Tag24<CoseKey> {
        Tag24::from_bytes(annex_d("e_device_key_cose")).unwrap()
    }

    #[test]
    fn annex_d_engagements_round_trip() {
        let qr = assert_round_trip::<DeviceEngagement>(&annex_d("device_engagement_qr"));
        assert_eq!(qr.version(), Version::v1_0());
        assert_eq!(
            qr.security.e_device_key.tagged_bytes(),
            annex_d("e_device_key_bytes")
        );
        let methods = qr.device_retrieval_methods.as_ref().unwrap();
        match methods.first() {
            DeviceRetrievalMethod::Ble(ble) => {
                assert!(!ble.peripheral_server_mode && ble.central_client_mode);
                assert_eq!(
                    ble.central_client_uuid.unwrap().0.to_vec(),
                    annex_d("ble_uuid_qr_central_client")
                );
            }
            other => panic!("expected BLE, got {other:?}"),
        }
        let nfc = assert_round_trip::<DeviceEngagement>(&annex_d("device_engagement_nfc"));
        assert!(nfc.device_retrieval_methods.is_none());
        let bytes =
            assert_round_trip::<DeviceEngagementBytes>(&annex_d("device_engagement_bytes_nfc"));
        assert_eq!(bytes.inner_bytes(), annex_d("device_engagement_nfc"));
    }

    #[test]
    fn engagement_1_1_with_every_method_round_trips() {
        let de = DeviceEngagement {
            security: Security {
                cipher_suite: Security::CIPHER_SUITE_1,
                e_device_key: key(),
            },
            device_retrieval_methods: Some(
                NonEmpty::new(vec![
                    DeviceRetrievalMethod::Nfc(NfcOptions {
                        max_command_data_length: 255,
                        max_response_data_length: 256,
                    }),
                    DeviceRetrievalMethod::Ble(BleOptions {
                        peripheral_server_mode: true,
                        central_client_mode: true,
                        peripheral_server_uuid: Some(BleUuid([1; 16])),
                        central_client_uuid: Some(BleUuid([2; 16])),
                        peripheral_server_address: Some(Bstr(vec![1, 2, 3, 4, 5, 6])),
                        l2cap_psm: Some(0x0081),
                    }),
                    DeviceRetrievalMethod::WifiAware(WifiAwareOptions {
                        passphrase: Some("secret".into()),
                        channel_operating_class: Some(81),
                        channel_number: Some(6),
                        supported_bands: Some(Bstr(vec![0x14])),
                    }),
                    DeviceRetrievalMethod::Tcp(TcpOptions {
                        host: "127.0.0.1".into(),
                        port: 48_000,
                    }),
                    DeviceRetrievalMethod::Unknown {
                        method_type: 99,
                        version: 3,
                        options: Value::Map(vec![]),
                    },
                ])
                .unwrap(),
            ),
            origin_infos: Some(vec![Lenient::Known(OriginInfo {
                cat: OriginInfo::CAT_DELIVERY,
                origin_type: 1,
                details: Value::Text("https://example.com".into()),
            })]),
            capabilities: Some(Lenient::Known(Capabilities {
                handover_session_establishment: Some(Lenient::Known(true)),
                reader_auth_all: Some(Lenient::Known(false)),
                extended_request: Some(Lenient::Known(true)),
            })),
        };
        assert_eq!(de.version(), Version::v1_1());
        let bytes = crate::cbor::to_vec(&de);
        let back = assert_round_trip::<DeviceEngagement>(&bytes);
        assert_eq!(back, de);
        let back = from_qr_uri(&de.to_qr_uri()).unwrap();
        assert_eq!(back.value(), &de);
    }

    #[test]
    fn capabilities_force_origin_infos_and_version_1_1() {
        let de = DeviceEngagement {
            security: Security {
                cipher_suite: 1,
                e_device_key: key(),
            },
            device_retrieval_methods: None,
            origin_infos: None,
            capabilities: Some(Lenient::Known(Capabilities::default())),
        };
        let back: DeviceEngagement = crate::cbor::from_slice(&crate::cbor::to_vec(&de)).unwrap();
        assert_eq!(back.origin_infos, Some(vec![]));
        assert_eq!(back.version(), Version::v1_1());
    }

    fn engagement_map(version: &str, extra: Vec<(Value, Value)>) -> Value {
        let mut entries = vec![
            (Value::Integer(0.into()), Value::Text(version.into())),
            (
                Value::Integer(1.into()),
                Security {
                    cipher_suite: 1,
                    e_device_key: key(),
                }
                .to_cbor(),
            ),
        ];
        entries.extend(extra);
        Value::Map(entries)
    }

    #[test]
    fn receiving_is_lenient_where_allowed() {
        // "1.0" carrying OriginInfos, a future minor version, and unknown keys are accepted.
        let origin = vec![(Value::Integer(5.into()), Value::Array(vec![]))];
        assert_eq!(
            decode_value::<DeviceEngagement>(engagement_map("1.0", origin))
                .unwrap()
                .origin_infos,
            Some(vec![])
        );
        let unknown = vec![(Value::Integer(77.into()), Value::Text("x".into()))];
        assert!(decode_value::<DeviceEngagement>(engagement_map("1.9", unknown)).is_ok());
        // A known method type with an unknown version is kept raw.
        let m = Value::Array(vec![
            Value::Integer(2.into()),
            Value::Integer(2.into()),
            Value::Bool(true),
        ]);
        let methods = vec![(Value::Integer(2.into()), Value::Array(vec![m.clone()]))];
        let de = decode_value::<DeviceEngagement>(engagement_map("1.0", methods)).unwrap();
        assert_eq!(de.device_retrieval_methods.unwrap().first().to_cbor(), m);
    }

    #[test]
    fn optional_extensions_we_cannot_interpret_are_kept_raw_with_warnings() {
        // What wallets send: an OriginInfo without `details`, one of a type nobody defined,
        // Capabilities with a non-bool value, and retrieval methods of unknown types (Multipaz's
        // NFC engagement v2 is type 5; a vendor's negative type with array options).
        let no_details = Value::Map(vec![
            (Value::Text("cat".into()), Value::Integer(1.into())),
            (Value::Text("type".into()), Value::Integer(1.into())),
        ]);
        let unknown_type = Value::Map(vec![
            (Value::Text("cat".into()), Value::Integer(0.into())),
            (Value::Text("type".into()), Value::Integer(4711.into())),
            (Value::Text("details".into()), Value::Map(vec![])),
        ]);
        let caps = Value::Map(vec![
            (Value::Integer(2.into()), Value::Integer(1.into())),
            (Value::Integer(3.into()), Value::Bool(true)),
            (Value::Integer(4.into()), Value::Text("yes".into())),
        ]);
        let methods = Value::Array(vec![
            Value::Array(vec![
                Value::Integer(5.into()),
                Value::Integer(1.into()),
                Value::Map(vec![]),
            ]),
            Value::Array(vec![
                Value::Integer((-4242).into()),
                Value::Integer(1.into()),
                Value::Array(vec![Value::Null]),
            ]),
            DeviceRetrievalMethod::Nfc(NfcOptions {
                max_command_data_length: 255,
                max_response_data_length: 256,
            })
            .to_cbor(),
        ]);
        let map = engagement_map(
            "1.1",
            vec![
                (Value::Integer(2.into()), methods),
                (
                    Value::Integer(5.into()),
                    Value::Array(vec![no_details.clone(), unknown_type]),
                ),
                (Value::Integer(6.into()), caps),
            ],
        );
        let de = decode_value::<DeviceEngagement>(map).unwrap();
        let origins = de.origin_infos.as_ref().unwrap();
        assert_eq!(origins[0].unparsed().unwrap().value, no_details);
        assert!(matches!(
            origins[0].unparsed().unwrap().reason,
            DecodeError::MissingField { .. }
        ));
        assert_eq!(origins[1].known().unwrap().origin_type, 4711);
        let caps = de.capabilities.as_ref().unwrap().known().unwrap();
        assert!(caps
            .handover_session_establishment
            .as_ref()
            .unwrap()
            .unparsed()
            .is_some());
        assert!(de.supports_reader_auth_all(), "the good key still counts");
        assert!(!caps.supports_extended_request(), "\"yes\" is not true");
        let types: Vec<_> = de
            .device_retrieval_methods
            .as_ref()
            .unwrap()
            .iter()
            .map(DeviceRetrievalMethod::method_type)
            .collect();
        assert_eq!(types, [5, -4242, DeviceRetrievalMethod::TYPE_NFC]);
        let warnings = de.interop_warnings();
        let paths: Vec<_> = warnings.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(paths, ["5[0]", "6.2", "6.4"], "{warnings:?}");
        // Wi-Fi Aware options we cannot read (band info as a uint, not a bstr) beside BLE.
        let wifi = Value::Array(vec![
            Value::Integer(3.into()),
            Value::Integer(1.into()),
            Value::Map(vec![(Value::Integer(3.into()), Value::Integer(20.into()))]),
        ]);
        let ble = DeviceRetrievalMethod::Ble(BleOptions {
            peripheral_server_mode: true,
            ..BleOptions::default()
        });
        let methods = Value::Array(vec![wifi.clone(), ble.to_cbor()]);
        let de = decode_value::<DeviceEngagement>(engagement_map(
            "1.0",
            vec![(Value::Integer(2.into()), methods)],
        ))
        .unwrap();
        let methods = de.device_retrieval_methods.unwrap();
        assert!(matches!(
            methods.first(),
            DeviceRetrievalMethod::Unknown { method_type: 3, .. }
        ));
        assert_eq!(methods.first().to_cbor(), wifi, "kept as received");
        assert_eq!(methods.as_slice()[1], ble);
        // Capabilities that are not even a map are kept whole.
        let de = decode_value::<DeviceEngagement>(engagement_map(
            "1.1",
            vec![(Value::Integer(6.into()), Value::Bool(true))],
        ))
        .unwrap();
        assert!(!de.supports_reader_auth_all());
        assert_eq!(de.interop_warnings()[0].path, "6");
    }

    #[test]
    fn bad_engagements_are_rejected_with_paths() {
        let err = decode_value::<DeviceEngagement>(engagement_map("2.0", vec![])).unwrap_err();
        assert!(matches!(err, DecodeError::UnsupportedVersion { .. }));
        assert_eq!(err.path(), Some("0"));
        let no_security = Value::Map(vec![(Value::Integer(0.into()), Value::Text("1.0".into()))]);
        assert!(matches!(
            decode_value::<DeviceEngagement>(no_security),
            Err(DecodeError::MissingField { .. })
        ));
        let ble_bad = Value::Array(vec![
            Value::Integer(2.into()),
            Value::Integer(1.into()),
            Value::Map(vec![
                (Value::Integer(0.into()), Value::Bool(true)),
                (Value::Integer(1.into()), Value::Bool(false)),
                (Value::Integer(10.into()), Value::Bytes(vec![0; 15])),
            ]),
        ]);
        let methods = vec![(Value::Integer(2.into()), Value::Array(vec![ble_bad]))];
        let err = decode_value::<DeviceEngagement>(engagement_map("1.0", methods)).unwrap_err();
        assert!(matches!(err, DecodeError::InvalidValue { .. }));
        assert!(
            err.path().unwrap().starts_with("2[0]") && err.path().unwrap().ends_with("10"),
            "{err}"
        );
        let tcp_bad = Value::Array(vec![
            Value::Integer((-18224).into()),
            Value::Integer(1.into()),
            Value::Map(vec![
                (Value::Integer(0.into()), Value::Text("h".into())),
                (Value::Integer(1.into()), Value::Integer(70_000.into())),
            ]),
        ]);
        let methods = vec![(Value::Integer(2.into()), Value::Array(vec![tcp_bad]))];
        assert!(decode_value::<DeviceEngagement>(engagement_map("1.0", methods)).is_err());
        let empty = vec![(Value::Integer(2.into()), Value::Array(vec![]))];
        assert!(decode_value::<DeviceEngagement>(engagement_map("1.0", empty)).is_err());
        // Security with an untagged key; truncated and trailing input.
        let sec = Value::Array(vec![
            Value::Integer(1.into()),
            Value::Bytes(annex_d("e_device_key_cose")),
        ]);
        let bad = Value::Map(vec![
            (Value::Integer(0.into()), Value::Text("1.0".into())),
            (Value::Integer(1.into()), sec),
        ]);
        let err = decode_value::<DeviceEngagement>(bad).unwrap_err();
        assert!(matches!(err, DecodeError::WrongTag { .. }));
        assert_eq!(err.path(), Some("1[1]"));
        let raw = annex_d("device_engagement_qr");
        assert!(matches!(
            decode_err::<DeviceEngagement>(&raw[..raw.len() - 1]),
            DecodeError::Truncated { .. } | DecodeError::LengthExceedsInput { .. }
        ));
        let mut trailing = raw.clone();
        trailing.push(0);
        assert!(matches!(
            decode_err::<DeviceEngagement>(&trailing),
            DecodeError::TrailingBytes { .. }
        ));
        assert!(matches!(
            decode_err::<DeviceEngagement>(&[0x80]),
            DecodeError::WrongType { .. }
        ));
    }
}
