//! Which 18013-5 structure a CBOR item is, judged by its shape; the typed decoders of the
//! library then say whether it really is one, and if not, where it breaks.

use mdl_proximity::cbor::{CborCodec, DecodeError, Tag24, Value};
use mdl_proximity::crypto::CoseKey;
use mdl_proximity::msg::{
    CoseMac0, CoseSign1, DeviceAuthentication, DeviceEngagement, DeviceRequest, DeviceResponse,
    IssuerSignedItem, ItemsRequest, MobileSecurityObject, ReaderAuthentication, SessionData,
    SessionEstablishment, SessionTranscript,
};

/// A CBOR structure that `inspect` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// 2021 8.2.1.1.
    DeviceEngagement,
    /// 2021 9.1.1.4.
    SessionEstablishment,
    /// 2021 9.1.1.4.
    SessionData,
    /// 2021 8.3.2.1.2.1.
    DeviceRequest,
    /// 2021 8.3.2.1.2.1.
    ItemsRequest,
    /// 2021 8.3.2.1.2.2.
    DeviceResponse,
    /// 2021 9.1.2.4.
    MobileSecurityObject,
    /// 2021 8.3.2.1.2.2.
    IssuerSignedItem,
    /// RFC 9052.
    CoseSign1,
    /// RFC 9052.
    CoseMac0,
    /// RFC 9052 (EDeviceKey, EReaderKey, DeviceKey).
    CoseKey,
    /// 2021 9.1.5.1.
    SessionTranscript,
    /// 2021 9.1.3.4.
    DeviceAuthentication,
    /// 2021 9.1.4.4.
    ReaderAuthentication,
    /// RFC 9052 Sig_structure (what a COSE_Sign1 signs).
    SigStructure,
    /// RFC 9052 MAC_structure (what a COSE_Mac0 MACs).
    MacStructure,
    /// `#6.24(bstr .cbor X)` of an unrecognised X.
    Tag24,
    /// Anything else well-formed.
    Generic,
}

impl Kind {
    /// The name shown as `"type"`, as the standard spells it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::DeviceEngagement => "DeviceEngagement",
            Self::SessionEstablishment => "SessionEstablishment",
            Self::SessionData => "SessionData",
            Self::DeviceRequest => "DeviceRequest",
            Self::ItemsRequest => "ItemsRequest",
            Self::DeviceResponse => "DeviceResponse",
            Self::MobileSecurityObject => "MobileSecurityObject",
            Self::IssuerSignedItem => "IssuerSignedItem",
            Self::CoseSign1 => "COSE_Sign1",
            Self::CoseMac0 => "COSE_Mac0",
            Self::CoseKey => "COSE_Key",
            Self::SessionTranscript => "SessionTranscript",
            Self::DeviceAuthentication => "DeviceAuthentication",
            Self::ReaderAuthentication => "ReaderAuthentication",
            Self::SigStructure => "Sig_structure",
            Self::MacStructure => "MAC_structure",
            Self::Tag24 => "EncodedCBOR",
            Self::Generic => "CBOR",
        }
    }

    /// The name of `#6.24(bstr .cbor Self)`, as the standard spells it.
    pub(crate) fn bytes_name(self) -> String {
        match self {
            Self::CoseKey => "COSE_KeyBytes".to_owned(),
            Self::Generic => "EncodedCBOR".to_owned(),
            other => format!("{}Bytes", other.name()),
        }
    }

    /// Checks the item with the library's typed decoder; errors carry the field path
    /// (relative to this item).
    pub(crate) fn validate(self, value: &Value) -> Result<(), DecodeError> {
        fn check<T: CborCodec>(v: &Value) -> Result<(), DecodeError> {
            T::from_cbor(v.clone()).map(drop)
        }
        match self {
            Self::DeviceEngagement => check::<DeviceEngagement>(value),
            Self::SessionEstablishment => check::<SessionEstablishment>(value),
            Self::SessionData => check::<SessionData>(value),
            Self::DeviceRequest => check::<DeviceRequest>(value),
            Self::ItemsRequest => check::<ItemsRequest>(value),
            Self::DeviceResponse => check::<DeviceResponse>(value),
            Self::MobileSecurityObject => check::<MobileSecurityObject>(value),
            Self::IssuerSignedItem => check::<IssuerSignedItem>(value),
            Self::CoseSign1 => check::<CoseSign1>(value),
            Self::CoseMac0 => check::<CoseMac0>(value),
            Self::CoseKey => check::<CoseKey>(value),
            Self::SessionTranscript => check::<SessionTranscript>(value),
            Self::DeviceAuthentication => check::<DeviceAuthentication>(value),
            Self::ReaderAuthentication => check::<ReaderAuthentication>(value),
            Self::Tag24 => check::<Tag24<Value>>(value),
            Self::SigStructure | Self::MacStructure | Self::Generic => Ok(()),
        }
    }
}

/// The parts of `value` (of kind `kind`) that the library kept raw rather than rejecting
/// (issue 8 item 2): shown by `inspect` as `"warnings"`.
pub(crate) fn interop_warnings(kind: Kind, value: &Value) -> Vec<String> {
    use mdl_proximity::msg::InteropWarnings;
    fn of<T: CborCodec + InteropWarnings>(v: &Value) -> Vec<String> {
        T::from_cbor(v.clone())
            .map(|t| {
                t.interop_warnings()
                    .iter()
                    .map(ToString::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }
    match kind {
        Kind::DeviceEngagement => of::<DeviceEngagement>(value),
        Kind::DeviceRequest => of::<DeviceRequest>(value),
        _ => Vec::new(),
    }
}

/// Guesses the structure from its shape: the distinguishing keys of each map, the length and
/// first members of each array. A guess is then confirmed by [`Kind::validate`].
pub(crate) fn detect(value: &Value) -> Kind {
    match value {
        Value::Map(entries) => detect_map(entries),
        Value::Array(items) => detect_array(items),
        Value::Tag(18, _) => Kind::CoseSign1,
        Value::Tag(17, _) => Kind::CoseMac0,
        Value::Tag(24, inner) if matches!(**inner, Value::Bytes(_)) => Kind::Tag24,
        _ => Kind::Generic,
    }
}

fn has_text(entries: &[(Value, Value)], key: &str) -> bool {
    entries
        .iter()
        .any(|(k, _)| matches!(k, Value::Text(t) if t == key))
}

fn int_entry(entries: &[(Value, Value)], key: i64) -> Option<&Value> {
    entries
        .iter()
        .find(|(k, _)| matches!(k, Value::Integer(i) if i128::from(*i) == i128::from(key)))
        .map(|(_, v)| v)
}

fn detect_map(entries: &[(Value, Value)]) -> Kind {
    if has_text(entries, "eReaderKey") {
        Kind::SessionEstablishment
    } else if has_text(entries, "docRequests") {
        Kind::DeviceRequest
    } else if has_text(entries, "digestAlgorithm") || has_text(entries, "valueDigests") {
        Kind::MobileSecurityObject
    } else if has_text(entries, "version")
        && (has_text(entries, "status") || has_text(entries, "documents"))
    {
        Kind::DeviceResponse
    } else if has_text(entries, "digestID") || has_text(entries, "elementIdentifier") {
        Kind::IssuerSignedItem
    } else if has_text(entries, "docType") && has_text(entries, "nameSpaces") {
        Kind::ItemsRequest
    } else if !entries.is_empty()
        && entries
            .iter()
            .all(|(k, _)| matches!(k, Value::Text(t) if t == "data" || t == "status"))
    {
        Kind::SessionData
    } else if matches!(int_entry(entries, 0), Some(Value::Text(_)))
        && matches!(int_entry(entries, 1), Some(Value::Array(_)))
    {
        Kind::DeviceEngagement
    } else if matches!(int_entry(entries, 1), Some(Value::Integer(_)))
        && int_entry(entries, -1).is_some()
    {
        Kind::CoseKey
    } else {
        Kind::Generic
    }
}

fn detect_array(items: &[Value]) -> Kind {
    match items {
        [Value::Text(t), ..] if t == "DeviceAuthentication" => Kind::DeviceAuthentication,
        [Value::Text(t), ..] if t == "ReaderAuthentication" => Kind::ReaderAuthentication,
        [Value::Text(t), ..] if t == "Signature1" => Kind::SigStructure,
        [Value::Text(t), ..] if t == "MAC0" => Kind::MacStructure,
        [Value::Bytes(protected), Value::Map(_), Value::Bytes(_) | Value::Null, Value::Bytes(_)] => {
            if is_mac_alg(protected) {
                Kind::CoseMac0
            } else {
                Kind::CoseSign1
            }
        }
        [Value::Tag(24, _), Value::Tag(24, _) | Value::Null, _] => Kind::SessionTranscript,
        _ => Kind::Generic,
    }
}

/// Whether a protected header names a MAC algorithm (RFC 9053: HMAC 4..7, AES-MAC 14..26).
fn is_mac_alg(protected: &[u8]) -> bool {
    let Ok(Value::Map(h)) =
        mdl_proximity::cbor::value_from_slice(protected, &mdl_proximity::cbor::Limits::default())
    else {
        return false;
    };
    matches!(int_entry(&h, 1), Some(Value::Integer(a)) if matches!(i128::from(*a), 4..=7 | 14..=26))
}
