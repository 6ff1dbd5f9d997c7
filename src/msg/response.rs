//! The device response (2021 8.3.2.1.2.2 / 2nd ed. 10.2.2).
//!
//! ```cddl
//! DeviceResponse = {"version": tstr, ? "documents": [+ Document],
//!                   ? "documentErrors": [+ DocumentError], "status": uint}
//! Document = {"docType": tstr, "issuerSigned": IssuerSigned, "deviceSigned": DeviceSigned,
//!             ? "errors": Errors}
//! IssuerSigned = {? "nameSpaces": {+ tstr => [+ IssuerSignedItemBytes]}, "issuerAuth": COSE_Sign1}
//! IssuerSignedItem = {"digestID": uint, "random": bstr, "elementIdentifier": tstr,
//!                     "elementValue": any}
//! DeviceSigned = {"nameSpaces": DeviceNameSpacesBytes, "deviceAuth": DeviceAuth}
//! DeviceAuth = {"deviceSignature": COSE_Sign1} / {"deviceMac": COSE_Mac0}
//! Errors = {+ tstr => {+ tstr => int}}
//! DocumentError = {+ tstr => int}
//! ```

use indexmap::IndexMap;

use crate::cbor::{Bstr, CborCodec, DecodeError, Fields, MapBuilder, NonEmpty, Tag24, Value};

use super::{CoseMac0, CoseSign1, Version};

/// DeviceResponse `status` (2021 8.3.2.1.2.3 Table 8 / 2nd ed. Table 9); unknown codes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResponseStatus(pub u64);

impl ResponseStatus {
    /// 0: OK.
    pub const OK: Self = Self(0);
    /// 10: general error.
    pub const GENERAL_ERROR: Self = Self(10);
    /// 11: CBOR decoding error.
    pub const CBOR_DECODING_ERROR: Self = Self(11);
    /// 12: CBOR validation error.
    pub const CBOR_VALIDATION_ERROR: Self = Self(12);
}

impl CborCodec for ResponseStatus {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        u64::from_cbor(value).map(Self)
    }

    fn to_cbor(&self) -> Value {
        self.0.to_cbor()
    }
}

/// A per-element or per-document error code (2021 8.3.2.1.2.3 Table 9: 0 = data not returned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode(pub i64);

impl ErrorCode {
    /// 0: data not returned.
    pub const DATA_NOT_RETURNED: Self = Self(0);
}

impl CborCodec for ErrorCode {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        i64::from_cbor(value).map(Self)
    }

    fn to_cbor(&self) -> Value {
        self.0.to_cbor()
    }
}

/// `Errors`: namespace → element identifier → error code.
pub type Errors = IndexMap<String, IndexMap<String, ErrorCode>>;
/// `DocumentError`: document type → error code.
pub type DocumentError = IndexMap<String, ErrorCode>;
/// `DeviceNameSpaces`: namespace → element identifier → value.
pub type DeviceNameSpaces = IndexMap<String, IndexMap<String, Value>>;
/// `IssuerNameSpaces`: namespace → IssuerSignedItemBytes, bytes kept (each is digested).
pub type IssuerNameSpaces = IndexMap<String, NonEmpty<Tag24<IssuerSignedItem>>>;

/// The mdoc's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceResponse {
    /// `version`.
    pub version: Version,
    /// `documents`.
    pub documents: Option<NonEmpty<Document>>,
    /// `documentErrors`.
    pub document_errors: Option<NonEmpty<DocumentError>>,
    /// `status`.
    pub status: ResponseStatus,
}

impl DeviceResponse {
    /// A response with no documents and the given (error) status, version "1.0" — what the
    /// holder sends when a request cannot be decoded (11) or validated (12) (2021 8.3.2.1.2.3).
    pub fn error(status: ResponseStatus) -> Self {
        Self {
            version: Version::v1_0(),
            documents: None,
            document_errors: None,
            status,
        }
    }
}

impl CborCodec for DeviceResponse {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            version: f.required("version")?,
            // `documents: []` (outside the CDDL's `[+ Document]`) is sent by some wallets with
            // an error status: treated as absent (DESIGN §8).
            documents: f
                .optional::<Vec<Document>>("documents")?
                .and_then(NonEmpty::new),
            document_errors: f.optional("documentErrors")?,
            status: f.required("status")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("version", &self.version)
            .optional("documents", self.documents.as_ref())
            .optional("documentErrors", self.document_errors.as_ref())
            .field("status", &self.status)
            .build()
    }
}

/// One returned document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// `docType`.
    pub doc_type: String,
    /// `issuerSigned`.
    pub issuer_signed: IssuerSigned,
    /// `deviceSigned`.
    pub device_signed: DeviceSigned,
    /// `errors`: elements requested but not returned.
    pub errors: Option<Errors>,
}

impl CborCodec for Document {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            doc_type: f.required("docType")?,
            issuer_signed: f.required("issuerSigned")?,
            device_signed: f.required("deviceSigned")?,
            errors: f.optional("errors")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("docType", &self.doc_type)
            .field("issuerSigned", &self.issuer_signed)
            .field("deviceSigned", &self.device_signed)
            .optional("errors", self.errors.as_ref())
            .build()
    }
}

/// Issuer-signed data: the items and the issuer's signature over their digests.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerSigned {
    /// `nameSpaces`.
    pub name_spaces: Option<IssuerNameSpaces>,
    /// `issuerAuth`: COSE_Sign1 whose payload is MobileSecurityObjectBytes.
    pub issuer_auth: CoseSign1,
}

impl CborCodec for IssuerSigned {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            name_spaces: f.optional("nameSpaces")?,
            issuer_auth: f.required("issuerAuth")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .optional("nameSpaces", self.name_spaces.as_ref())
            .field("issuerAuth", &self.issuer_auth)
            .build()
    }
}

/// One issuer-signed data element.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerSignedItem {
    /// `digestID`: key of its digest in the MSO.
    pub digest_id: u64,
    /// `random`: salt of the digest (at least 16 bytes, 2021 9.1.2.5).
    pub random: Bstr,
    /// `elementIdentifier`.
    pub element_identifier: String,
    /// `elementValue`, any CBOR value.
    pub element_value: Value,
}

impl CborCodec for IssuerSignedItem {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            digest_id: f.required("digestID")?,
            random: f.required("random")?,
            element_identifier: f.required("elementIdentifier")?,
            element_value: f.required("elementValue")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("digestID", &self.digest_id)
            .field("random", &self.random)
            .field("elementIdentifier", &self.element_identifier)
            .field("elementValue", &self.element_value)
            .build()
    }
}

/// Device-signed data and the mdoc authentication.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceSigned {
    /// `nameSpaces`: DeviceNameSpacesBytes, kept as received (they are authenticated).
    pub name_spaces: Tag24<DeviceNameSpaces>,
    /// `deviceAuth`.
    pub device_auth: DeviceAuth,
}

impl CborCodec for DeviceSigned {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            name_spaces: f.required("nameSpaces")?,
            device_auth: f.required("deviceAuth")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("nameSpaces", &self.name_spaces)
            .field("deviceAuth", &self.device_auth)
            .build()
    }
}

/// mdoc authentication (2021 9.1.3): a signature or a MAC, exactly one.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceAuth {
    /// `deviceSignature`: detached COSE_Sign1 over DeviceAuthenticationBytes.
    Signature(CoseSign1),
    /// `deviceMac`: detached COSE_Mac0 over DeviceAuthenticationBytes.
    Mac(CoseMac0),
}

impl CborCodec for DeviceAuth {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        let signature: Option<CoseSign1> = f.optional("deviceSignature")?;
        let mac: Option<CoseMac0> = f.optional("deviceMac")?;
        match (signature, mac) {
            (Some(s), None) => Ok(Self::Signature(s)),
            (None, Some(m)) => Ok(Self::Mac(m)),
            (None, None) => Err(DecodeError::missing("deviceSignature or deviceMac")),
            (Some(_), Some(_)) => Err(DecodeError::invalid("both deviceSignature and deviceMac")),
        }
    }

    fn to_cbor(&self) -> Value {
        match self {
            Self::Signature(s) => MapBuilder::new().field("deviceSignature", s),
            Self::Mac(m) => MapBuilder::new().field("deviceMac", m),
        }
        .build()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::msg::vectors::{annex_d, assert_round_trip, decode_err, decode_value};

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn annex_d_response_round_trips() {
        let resp = assert_round_trip::<DeviceResponse>(&annex_d("device_response"));
        assert_eq!(resp.status, ResponseStatus::OK);
        let doc = resp.documents.as_ref().unwrap().first();
        assert_eq!(
            crate::cbor::to_vec(&doc.issuer_signed.issuer_auth),
            annex_d("issuer_auth")
        );
        assert_eq!(
            crate::cbor::to_vec(&doc.device_signed.device_auth),
            annex_d("device_auth")
        );
        assert!(matches!(doc.device_signed.device_auth, DeviceAuth::Mac(_)));
        let items = &doc.issuer_signed.name_spaces.as_ref().unwrap()["org.iso.18013.5.1"];
        assert_eq!(items.len(), 6);
        assert_eq!(
            items.first().tagged_bytes(),
            annex_d("issuer_signed_item_family_name")
        );
        assert_round_trip::<DeviceAuth>(&annex_d("device_auth"));
    }

    #[test]
    fn annex_d_issuer_signed_items_round_trip() {
        for (name, expected, id) in [
            ("issuer_signed_item_family_name", "expected_family_name", 0),
            ("issuer_signed_item_issue_date", "expected_issue_date", 3),
            ("issuer_signed_item_expiry_date", "expected_expiry_date", 4),
            (
                "issuer_signed_item_document_number",
                "expected_document_number",
                7,
            ),
            ("issuer_signed_item_portrait", "expected_portrait", 8),
            (
                "issuer_signed_item_driving_privileges",
                "expected_driving_privileges",
                9,
            ),
        ] {
            let item = assert_round_trip::<Tag24<IssuerSignedItem>>(&annex_d(name));
            assert_eq!(item.value().digest_id, id);
            assert_eq!(
                crate::cbor::value_to_vec(&item.value().element_value),
                annex_d(expected),
                "{name}"
            );
        }
    }

    #[test]
    fn built_response_with_signature_errors_and_document_errors_round_trips() {
        let sig: CoseSign1 = crate::cbor::from_slice(&annex_d("reader_auth")).unwrap();
        let mut device_ns = DeviceNameSpaces::new();
        device_ns.insert(
            "org.example".into(),
            IndexMap::from([("pin_ok".to_owned(), Value::Bool(true))]),
        );
        let item = IssuerSignedItem {
            digest_id: 1,
            random: Bstr(vec![0x55; 16]),
            element_identifier: "family_name".into(),
            element_value: text("Doe"),
        };
        let mut errors = Errors::new();
        errors.insert(
            "org.iso.18013.5.1".into(),
            IndexMap::from([("portrait".to_owned(), ErrorCode(0))]),
        );
        let doc = Document {
            doc_type: "org.iso.18013.5.1.mDL".into(),
            issuer_signed: IssuerSigned {
                name_spaces: Some(IndexMap::from([(
                    "org.iso.18013.5.1".to_owned(),
                    NonEmpty::one(Tag24::new(item)),
                )])),
                issuer_auth: sig.clone(),
            },
            device_signed: DeviceSigned {
                name_spaces: Tag24::new(device_ns),
                device_auth: DeviceAuth::Signature(sig),
            },
            errors: Some(errors),
        };
        let resp = DeviceResponse {
            version: Version::v1_0(),
            documents: Some(NonEmpty::one(doc)),
            document_errors: Some(NonEmpty::one(IndexMap::from([(
                "org.example.other".to_owned(),
                ErrorCode(0),
            )]))),
            status: ResponseStatus::OK,
        };
        let back = assert_round_trip::<DeviceResponse>(&crate::cbor::to_vec(&resp));
        assert_eq!(back, resp);
        let error_only = DeviceResponse {
            version: Version::v1_0(),
            documents: None,
            document_errors: None,
            status: ResponseStatus::CBOR_VALIDATION_ERROR,
        };
        assert_eq!(
            crate::cbor::to_vec(&error_only),
            hex::decode("a26776657273696f6e63312e3066737461747573 0c".replace(' ', "")).unwrap()
        );
    }

    #[test]
    fn bad_responses_are_rejected() {
        let bytes = annex_d("device_response");
        assert!(matches!(
            decode_err::<DeviceResponse>(&bytes[..bytes.len() - 3]),
            DecodeError::Truncated { .. } | DecodeError::LengthExceedsInput { .. }
        ));
        let mut trailing = bytes.clone();
        trailing.extend_from_slice(&[0xa0]);
        assert!(matches!(
            decode_err::<DeviceResponse>(&trailing),
            DecodeError::TrailingBytes { .. }
        ));
        let resp = |version: &str, status: Value| {
            Value::Map(vec![
                (text("version"), text(version)),
                (text("status"), status),
                (text("new"), Value::Null),
            ])
        };
        assert!(decode_value::<DeviceResponse>(resp("1.3", Value::Integer(0.into()))).is_ok());
        let err =
            decode_value::<DeviceResponse>(resp("3.0", Value::Integer(0.into()))).unwrap_err();
        assert!(matches!(err, DecodeError::UnsupportedVersion { .. }));
        let err = decode_value::<DeviceResponse>(resp("1.0", text("0"))).unwrap_err();
        assert_eq!(err.path(), Some("status"));
        let no_status = Value::Map(vec![(text("version"), text("1.0"))]);
        assert!(matches!(
            decode_value::<DeviceResponse>(no_status),
            Err(DecodeError::MissingField { .. })
        ));
        // deviceAuth with neither or both variants.
        let mac: CoseMac0 = {
            let d: DeviceAuth = crate::cbor::from_slice(&annex_d("device_auth")).unwrap();
            match d {
                DeviceAuth::Mac(m) => m,
                DeviceAuth::Signature(_) => unreachable!(),
            }
        };
        let sig: CoseSign1 = crate::cbor::from_slice(&annex_d("reader_auth")).unwrap();
        assert!(matches!(
            decode_value::<DeviceAuth>(Value::Map(vec![])),
            Err(DecodeError::MissingField { .. })
        ));
        let both = Value::Map(vec![
            (text("deviceSignature"), sig.to_cbor()),
            (text("deviceMac"), mac.to_cbor()),
        ]);
        assert!(matches!(
            decode_value::<DeviceAuth>(both),
            Err(DecodeError::InvalidValue { .. })
        ));
        // An empty namespace item list violates [+ ...].
        let item_map = Value::Map(vec![(text("ns"), Value::Array(vec![]))]);
        let signed = Value::Map(vec![
            (text("nameSpaces"), item_map),
            (text("issuerAuth"), sig.to_cbor()),
        ]);
        let err = decode_value::<IssuerSigned>(signed).unwrap_err();
        assert_eq!(err.path(), Some("nameSpaces.ns"));
        // IssuerSignedItem without tag 24.
        let raw = Value::Map(vec![(
            text("ns"),
            Value::Array(vec![Value::Bytes(vec![0xa0])]),
        )]);
        let signed = Value::Map(vec![
            (text("nameSpaces"), raw),
            (text("issuerAuth"), sig.to_cbor()),
        ]);
        assert!(matches!(
            decode_value::<IssuerSigned>(signed),
            Err(DecodeError::WrongTag { .. })
        ));
    }
}
