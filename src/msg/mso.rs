//! The Mobile Security Object (2021 9.1.2.4 / 2nd ed. 12.3.2.4): the issuer-signed digests.
//!
//! ```cddl
//! MobileSecurityObject = {"version": tstr, "digestAlgorithm": tstr,
//!     "valueDigests": {+ tstr => {+ uint => bstr}}, "deviceKeyInfo": DeviceKeyInfo,
//!     "docType": tstr, "validityInfo": ValidityInfo}
//! DeviceKeyInfo = {"deviceKey": COSE_Key, ? "keyAuthorizations": KeyAuthorizations,
//!                  ? "keyInfo": {* int => any}}
//! KeyAuthorizations = {? "nameSpaces": [+ tstr], ? "dataElements": {+ tstr => [+ tstr]}}
//! ValidityInfo = {"signed": tdate, "validFrom": tdate, "validUntil": tdate,
//!                 ? "expectedUpdate": tdate}
//! ```

use indexmap::IndexMap;

use crate::cbor::{Bstr, CborCodec, DecodeError, Fields, MapBuilder, NonEmpty, ResultExt, Value};
use crate::crypto::CoseKey;

use super::{TDate, Version};

/// `digestAlgorithm` (2021 9.1.2.5 Table 21); unknown names are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// "SHA-256".
    Sha256,
    /// "SHA-384".
    Sha384,
    /// "SHA-512".
    Sha512,
    /// Any other name, as received.
    Other(String),
}

impl DigestAlgorithm {
    /// The wire name.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
            Self::Other(s) => s,
        }
    }
}

impl CborCodec for DigestAlgorithm {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        Ok(match String::from_cbor(value)?.as_str() {
            "SHA-256" => Self::Sha256,
            "SHA-384" => Self::Sha384,
            "SHA-512" => Self::Sha512,
            other => Self::Other(other.to_owned()),
        })
    }

    fn to_cbor(&self) -> Value {
        Value::Text(self.as_str().to_owned())
    }
}

/// `{+ DigestID => Digest}` for one namespace, in received order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DigestIds(pub IndexMap<u64, Bstr>);

impl CborCodec for DigestIds {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let Value::Map(entries) = value else {
            return Err(DecodeError::wrong_type("map", &value));
        };
        if entries.is_empty() {
            return Err(DecodeError::invalid(
                "empty map where at least one digest is required",
            ));
        }
        let mut out = IndexMap::with_capacity(entries.len());
        for (k, v) in entries {
            let id = u64::from_cbor(k).within("<key>")?;
            out.insert(id, Bstr::from_cbor(v).within(id)?);
        }
        Ok(Self(out))
    }

    fn to_cbor(&self) -> Value {
        Value::Map(
            self.0
                .iter()
                .map(|(k, v)| (k.to_cbor(), v.to_cbor()))
                .collect(),
        )
    }
}

/// The MSO.
#[derive(Debug, Clone, PartialEq)]
pub struct MobileSecurityObject {
    /// `version`.
    pub version: Version,
    /// `digestAlgorithm`.
    pub digest_algorithm: DigestAlgorithm,
    /// `valueDigests`: namespace → digest ID → digest.
    pub value_digests: IndexMap<String, DigestIds>,
    /// `deviceKeyInfo`.
    pub device_key_info: DeviceKeyInfo,
    /// `docType`.
    pub doc_type: String,
    /// `validityInfo`.
    pub validity_info: ValidityInfo,
}

impl CborCodec for MobileSecurityObject {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            version: f.required("version")?,
            digest_algorithm: f.required("digestAlgorithm")?,
            value_digests: f.required("valueDigests")?,
            device_key_info: f.required("deviceKeyInfo")?,
            doc_type: f.required("docType")?,
            validity_info: f.required("validityInfo")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("version", &self.version)
            .field("digestAlgorithm", &self.digest_algorithm)
            .field("valueDigests", &self.value_digests)
            .field("deviceKeyInfo", &self.device_key_info)
            .field("docType", &self.doc_type)
            .field("validityInfo", &self.validity_info)
            .build()
    }
}

/// `keyInfo`: integer-keyed additional information about the device key.
pub type KeyInfo = IndexMap<i64, Value>;

/// The device key and what it may be used for.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceKeyInfo {
    /// `deviceKey`: public part of SDeviceKey.
    pub device_key: CoseKey,
    /// `keyAuthorizations`: what the device key may sign in DeviceNameSpaces.
    pub key_authorizations: Option<KeyAuthorizations>,
    /// `keyInfo`.
    pub key_info: Option<KeyInfoMap>,
}

/// `keyInfo` as a typed map (`{* int => any}`), in received order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeyInfoMap(pub KeyInfo);

impl CborCodec for KeyInfoMap {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let Value::Map(entries) = value else {
            return Err(DecodeError::wrong_type("map", &value));
        };
        let mut out = IndexMap::with_capacity(entries.len());
        for (k, v) in entries {
            out.insert(i64::from_cbor(k).within("<key>")?, v);
        }
        Ok(Self(out))
    }

    fn to_cbor(&self) -> Value {
        Value::Map(
            self.0
                .iter()
                .map(|(k, v)| (k.to_cbor(), v.clone()))
                .collect(),
        )
    }
}

impl CborCodec for DeviceKeyInfo {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            device_key: f.required("deviceKey")?,
            key_authorizations: f.optional("keyAuthorizations")?,
            key_info: f.optional("keyInfo")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("deviceKey", &self.device_key)
            .optional("keyAuthorizations", self.key_authorizations.as_ref())
            .optional("keyInfo", self.key_info.as_ref())
            .build()
    }
}

/// Namespaces and elements the device key may authenticate (2021 9.1.2.4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyAuthorizations {
    /// `nameSpaces`: whole namespaces authorized.
    pub name_spaces: Option<NonEmpty<String>>,
    /// `dataElements`: namespace → authorized element identifiers.
    pub data_elements: Option<IndexMap<String, NonEmpty<String>>>,
}

impl CborCodec for KeyAuthorizations {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            name_spaces: f.optional("nameSpaces")?,
            data_elements: f.optional("dataElements")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .optional("nameSpaces", self.name_spaces.as_ref())
            .optional("dataElements", self.data_elements.as_ref())
            .build()
    }
}

/// When the MSO was signed and for how long it is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidityInfo {
    /// `signed`.
    pub signed: TDate,
    /// `validFrom`.
    pub valid_from: TDate,
    /// `validUntil`.
    pub valid_until: TDate,
    /// `expectedUpdate`.
    pub expected_update: Option<TDate>,
}

impl CborCodec for ValidityInfo {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            signed: f.required("signed")?,
            valid_from: f.required("validFrom")?,
            valid_until: f.required("validUntil")?,
            expected_update: f.optional("expectedUpdate")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("signed", &self.signed)
            .field("validFrom", &self.valid_from)
            .field("validUntil", &self.valid_until)
            .optional("expectedUpdate", self.expected_update.as_ref())
            .build()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cbor::Tag24;
    use crate::msg::vectors::{annex_d, assert_round_trip, decode_value};

    #[test]
    fn annex_d_mso_round_trips() {
        let mso = assert_round_trip::<Tag24<MobileSecurityObject>>(&annex_d("mso_bytes"));
        let mso = mso.value();
        assert_eq!(mso.digest_algorithm, DigestAlgorithm::Sha256);
        assert_eq!(mso.doc_type, "org.iso.18013.5.1.mDL");
        assert_eq!(mso.value_digests["org.iso.18013.5.1"].0.len(), 13);
        assert_eq!(mso.value_digests["org.iso.18013.5.1.US"].0.len(), 4);
        assert_eq!(mso.validity_info.signed.as_str(), "2020-10-01T13:30:02Z");
        assert_eq!(mso.validity_info.valid_until.unix_seconds(), 1_633_095_002);
        // The issuerAuth payload is exactly these bytes.
        let sig: crate::msg::CoseSign1 = crate::cbor::from_slice(&annex_d("issuer_auth")).unwrap();
        assert_eq!(
            sig.inner().payload.as_deref(),
            Some(&annex_d("mso_bytes")[..])
        );
    }

    #[test]
    fn built_mso_with_key_authorizations_round_trips() {
        let annex: Tag24<MobileSecurityObject> =
            crate::cbor::from_slice(&annex_d("mso_bytes")).unwrap();
        let mut mso = annex.into_value();
        mso.digest_algorithm = DigestAlgorithm::Other("SHA3-256".into());
        mso.device_key_info.key_authorizations = Some(KeyAuthorizations {
            name_spaces: Some(NonEmpty::one("org.example".to_owned())),
            data_elements: Some(IndexMap::from([(
                "org.iso.18013.5.1".to_owned(),
                NonEmpty::one("portrait".to_owned()),
            )])),
        });
        mso.device_key_info.key_info = Some(KeyInfoMap(IndexMap::from([
            (-7, Value::Bool(true)),
            (3, Value::Null),
        ])));
        mso.validity_info.expected_update = TDate::from_unix(1_700_000_000);
        let back = assert_round_trip::<MobileSecurityObject>(&crate::cbor::to_vec(&mso));
        assert_eq!(back, mso);
    }

    #[test]
    fn bad_msos_are_rejected_with_paths() {
        let annex: Tag24<MobileSecurityObject> =
            crate::cbor::from_slice(&annex_d("mso_bytes")).unwrap();
        let mut value = annex.value().to_cbor();
        // Replace validityInfo.validFrom with an impossible date.
        if let Value::Map(entries) = &mut value {
            for (k, v) in entries.iter_mut() {
                if k == &Value::Text("validityInfo".into()) {
                    if let Value::Map(vi) = v {
                        vi[1].1 =
                            Value::Tag(0, Box::new(Value::Text("2021-02-30T00:00:00Z".into())));
                    }
                }
            }
        }
        let err = decode_value::<MobileSecurityObject>(value).unwrap_err();
        assert!(matches!(err, DecodeError::InvalidValue { .. }));
        assert_eq!(err.path(), Some("validityInfo.validFrom"));
        let bad_id = Value::Map(vec![(Value::Text("x".into()), Value::Bytes(vec![]))]);
        assert!(matches!(
            decode_value::<DigestIds>(bad_id),
            Err(DecodeError::WrongType { .. })
        ));
        assert!(matches!(
            decode_value::<DigestIds>(Value::Map(vec![])),
            Err(DecodeError::InvalidValue { .. })
        ));
    }
}
