//! The device request (2021 8.3.2.1.2.1 / 2nd ed. 10.2.1), versions 1.0 and 1.1.
//!
//! ```cddl
//! DeviceRequest = {"version": tstr, "docRequests": [+ DocRequest],
//!                  ? "deviceRequestInfo": DeviceRequestInfoBytes, ? "readerAuthAll": [+ ReaderAuth]}
//! DocRequest = {"itemsRequest": ItemsRequestBytes, ? "readerAuth": ReaderAuth}
//! ItemsRequest = {"docType": tstr, "nameSpaces": {+ tstr => {+ tstr => bool}},
//!                 ? "requestInfo": {* tstr => any}}
//! DeviceRequestInfo = {? "useCases": [+ UseCase], * tstr => any}
//! UseCase = {"mandatory": bool, "documentSets": [+ [+ uint]], ? "purposeHints": {+ tstr => int}}
//! ```

use indexmap::IndexMap;

use crate::cbor::{CborCodec, DecodeError, Fields, MapBuilder, NonEmpty, ResultExt, Tag24, Value};

use super::engagement::fixed_array;
use super::lenient::{InteropWarning, InteropWarnings, Lenient};
use super::{CoseSign1, Version};

/// The reader's request for documents.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceRequest {
    /// `version`: "1.0", or "1.1" when the 1.1 fields are used.
    pub version: Version,
    /// `docRequests`.
    pub doc_requests: NonEmpty<DocRequest>,
    /// `deviceRequestInfo` (1.1), bytes kept as received. Kept raw (with a warning) when it is
    /// not DeviceRequestInfoBytes, for example an untagged map (DESIGN §8).
    pub device_request_info: Option<Lenient<Tag24<DeviceRequestInfo>>>,
    /// `readerAuthAll` (1.1): reader signatures over all requests at once.
    pub reader_auth_all: Option<NonEmpty<CoseSign1>>,
}

impl CborCodec for DeviceRequest {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            version: f.required("version")?,
            doc_requests: f.required("docRequests")?,
            device_request_info: f.optional("deviceRequestInfo")?,
            reader_auth_all: f.optional("readerAuthAll")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("version", &self.version)
            .field("docRequests", &self.doc_requests)
            .optional("deviceRequestInfo", self.device_request_info.as_ref())
            .optional("readerAuthAll", self.reader_auth_all.as_ref())
            .build()
    }
}

impl InteropWarnings for DeviceRequest {
    fn collect_warnings(&self, path: &str, out: &mut Vec<InteropWarning>) {
        self.device_request_info
            .collect_warnings(&super::lenient::join(path, "deviceRequestInfo"), out);
    }
}

/// A request for one document.
#[derive(Debug, Clone, PartialEq)]
pub struct DocRequest {
    /// `itemsRequest`: ItemsRequestBytes, kept as received (reader authentication signs them).
    pub items_request: Tag24<ItemsRequest>,
    /// `readerAuth`: detached COSE_Sign1 over ReaderAuthenticationBytes.
    pub reader_auth: Option<CoseSign1>,
}

impl CborCodec for DocRequest {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            items_request: f.required("itemsRequest")?,
            reader_auth: f.optional("readerAuth")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("itemsRequest", &self.items_request)
            .optional("readerAuth", self.reader_auth.as_ref())
            .build()
    }
}

/// Requested elements per namespace: element identifier → IntentToRetain.
pub type DataElements = IndexMap<String, bool>;

/// What is requested of one document type.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemsRequest {
    /// `docType`.
    pub doc_type: String,
    /// `nameSpaces`: namespace → element → IntentToRetain, in the order received.
    pub name_spaces: IndexMap<String, DataElements>,
    /// `requestInfo`.
    pub request_info: Option<RequestInfo>,
}

impl CborCodec for ItemsRequest {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            doc_type: f.required("docType")?,
            name_spaces: f.required("nameSpaces")?,
            request_info: f.optional("requestInfo")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("docType", &self.doc_type)
            .field("nameSpaces", &self.name_spaces)
            .optional("requestInfo", self.request_info.as_ref())
            .build()
    }
}

/// `requestInfo` (2021: `{* tstr => any}`; 2nd ed. defines `alternativeDataElements`).
///
/// Encoding writes the typed fields first, then the others in received order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RequestInfo {
    /// `alternativeDataElements` (2nd ed.): acceptable substitutes for requested elements.
    pub alternative_data_elements: Option<NonEmpty<AlternativeDataElementsSet>>,
    /// Every other entry, as received.
    pub other: IndexMap<String, Value>,
}

impl CborCodec for RequestInfo {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        let alternative_data_elements = f.optional("alternativeDataElements")?;
        let other = IndexMap::from_cbor(Value::Map(f.into_rest()))?;
        Ok(Self {
            alternative_data_elements,
            other,
        })
    }

    fn to_cbor(&self) -> Value {
        let mut map = MapBuilder::new().optional(
            "alternativeDataElements",
            self.alternative_data_elements.as_ref(),
        );
        for (k, v) in &self.other {
            map = map.raw(k.as_str(), v.clone());
        }
        map.build()
    }
}

/// `ElementReference = [NameSpace, DataElementIdentifier]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ElementReference {
    /// The namespace.
    pub name_space: String,
    /// The element identifier.
    pub element_identifier: String,
}

impl CborCodec for ElementReference {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let [ns, el] = fixed_array::<2>(value)?;
        Ok(Self {
            name_space: String::from_cbor(ns).within("[0]")?,
            element_identifier: String::from_cbor(el).within("[1]")?,
        })
    }

    fn to_cbor(&self) -> Value {
        Value::Array(vec![
            self.name_space.to_cbor(),
            self.element_identifier.to_cbor(),
        ])
    }
}

/// `{"requestedElement": ElementReference, "alternativeElementSets": [+ [+ ElementReference]]}`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlternativeDataElementsSet {
    /// `requestedElement`.
    pub requested_element: ElementReference,
    /// `alternativeElementSets`: each set may replace the requested element.
    pub alternative_element_sets: NonEmpty<NonEmpty<ElementReference>>,
}

impl CborCodec for AlternativeDataElementsSet {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            requested_element: f.required("requestedElement")?,
            alternative_element_sets: f.required("alternativeElementSets")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("requestedElement", &self.requested_element)
            .field("alternativeElementSets", &self.alternative_element_sets)
            .build()
    }
}

/// `DeviceRequestInfo` (2nd ed. 10.2.1): how the DocRequests relate to the reader's use cases.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeviceRequestInfo {
    /// `useCases`.
    pub use_cases: Option<NonEmpty<UseCase>>,
    /// Every other entry, as received.
    pub other: IndexMap<String, Value>,
}

impl CborCodec for DeviceRequestInfo {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        let use_cases = f.optional("useCases")?;
        let other = IndexMap::from_cbor(Value::Map(f.into_rest()))?;
        Ok(Self { use_cases, other })
    }

    fn to_cbor(&self) -> Value {
        let mut map = MapBuilder::new().optional("useCases", self.use_cases.as_ref());
        for (k, v) in &self.other {
            map = map.raw(k.as_str(), v.clone());
        }
        map.build()
    }
}

/// A use case: sets of DocRequests (by index into `docRequests`) any one of which satisfies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseCase {
    /// `mandatory`: the reader cannot proceed without this use case.
    pub mandatory: bool,
    /// `documentSets`: each a list of indices into `docRequests`.
    pub document_sets: NonEmpty<NonEmpty<u64>>,
    /// `purposeHints`: purpose controller identifier → purpose code.
    pub purpose_hints: Option<IndexMap<String, i64>>,
}

impl CborCodec for UseCase {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            mandatory: f.required("mandatory")?,
            document_sets: f.required("documentSets")?,
            purpose_hints: f.optional("purposeHints")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("mandatory", &self.mandatory)
            .field("documentSets", &self.document_sets)
            .optional("purposeHints", self.purpose_hints.as_ref())
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
    fn annex_d_request_round_trips() {
        let req = assert_round_trip::<DeviceRequest>(&annex_d("device_request"));
        assert_eq!(req.version, Version::v1_0());
        let doc = req.doc_requests.first();
        assert_eq!(doc.items_request.value().doc_type, "org.iso.18013.5.1.mDL");
        assert_eq!(doc.items_request.inner_bytes(), annex_d("items_request"));
        assert_eq!(
            crate::cbor::to_vec(doc.reader_auth.as_ref().unwrap()),
            annex_d("reader_auth")
        );
        assert_round_trip::<ItemsRequest>(&annex_d("items_request"));
    }

    fn built_items_request() -> ItemsRequest {
        let mut elements = IndexMap::new();
        elements.insert("portrait".to_owned(), false);
        elements.insert("age_over_21".to_owned(), true);
        let mut name_spaces = IndexMap::new();
        name_spaces.insert("org.iso.18013.5.1".to_owned(), elements);
        let alt = AlternativeDataElementsSet {
            requested_element: ElementReference {
                name_space: "org.iso.18013.5.1".into(),
                element_identifier: "age_over_21".into(),
            },
            alternative_element_sets: NonEmpty::one(NonEmpty::one(ElementReference {
                name_space: "org.iso.18013.5.1".into(),
                element_identifier: "birth_date".into(),
            })),
        };
        let mut other = IndexMap::new();
        other.insert("vendor".to_owned(), Value::Integer(7.into()));
        ItemsRequest {
            doc_type: "org.iso.18013.5.1.mDL".into(),
            name_spaces,
            request_info: Some(RequestInfo {
                alternative_data_elements: Some(NonEmpty::one(alt)),
                other,
            }),
        }
    }

    #[test]
    fn built_request_1_1_round_trips() {
        let reader_auth: CoseSign1 = crate::cbor::from_slice(&annex_d("reader_auth")).unwrap();
        let mut hints = IndexMap::new();
        hints.insert("controller".to_owned(), 3);
        let info = DeviceRequestInfo {
            use_cases: Some(NonEmpty::one(UseCase {
                mandatory: true,
                document_sets: NonEmpty::one(NonEmpty::new(vec![0, 1]).unwrap()),
                purpose_hints: Some(hints),
            })),
            other: IndexMap::new(),
        };
        let doc = DocRequest {
            items_request: Tag24::new(built_items_request()),
            reader_auth: None,
        };
        let req = DeviceRequest {
            version: Version::v1_1(),
            doc_requests: NonEmpty::new(vec![doc.clone(), doc]).unwrap(),
            device_request_info: Some(Lenient::Known(Tag24::new(info))),
            reader_auth_all: Some(NonEmpty::one(reader_auth)),
        };
        let bytes = crate::cbor::to_vec(&req);
        let back = assert_round_trip::<DeviceRequest>(&bytes);
        assert_eq!(back, req);
    }

    #[test]
    fn bad_requests_are_rejected() {
        let bytes = annex_d("device_request");
        assert!(matches!(
            decode_err::<DeviceRequest>(&bytes[..bytes.len() / 2]),
            DecodeError::Truncated { .. } | DecodeError::LengthExceedsInput { .. }
        ));
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(matches!(
            decode_err::<DeviceRequest>(&trailing),
            DecodeError::TrailingBytes { .. }
        ));
        let req: DeviceRequest = crate::cbor::from_slice(&bytes).unwrap();
        let with = |version: &str, docs: Value| {
            Value::Map(vec![
                (text("version"), text(version)),
                (text("docRequests"), docs),
                (text("x"), Value::Null),
            ])
        };
        let docs = req.doc_requests.to_cbor();
        // Future minor versions and unknown keys are accepted.
        assert!(decode_value::<DeviceRequest>(with("1.5", docs.clone())).is_ok());
        let err = decode_value::<DeviceRequest>(with("2.0", docs.clone())).unwrap_err();
        assert!(matches!(err, DecodeError::UnsupportedVersion { .. }));
        assert_eq!(err.path(), Some("version"));
        let err = decode_value::<DeviceRequest>(with("1.0", Value::Array(vec![]))).unwrap_err();
        assert_eq!(err.path(), Some("docRequests"));
        let missing = Value::Map(vec![(text("version"), text("1.0"))]);
        assert!(matches!(
            decode_value::<DeviceRequest>(missing),
            Err(DecodeError::MissingField { .. })
        ));
        // An IntentToRetain that is not a bool names its full path.
        let bad_items = Value::Map(vec![
            (text("docType"), text("d")),
            (
                text("nameSpaces"),
                Value::Map(vec![(
                    text("ns"),
                    Value::Map(vec![(text("e"), Value::Integer(1.into()))]),
                )]),
            ),
        ]);
        let doc = Value::Map(vec![(
            text("itemsRequest"),
            Value::Tag(
                24,
                Box::new(Value::Bytes(crate::cbor::value_to_vec(&bad_items))),
            ),
        )]);
        let err = decode_value::<DeviceRequest>(with("1.0", Value::Array(vec![doc]))).unwrap_err();
        assert!(matches!(err, DecodeError::WrongType { .. }));
        // The cbor layer joins `[0]` and a following name without a dot (reported to its owner).
        let path = err.path().unwrap();
        assert!(
            path.starts_with("docRequests[0]") && path.ends_with("itemsRequest.nameSpaces.ns.e"),
            "{path}"
        );
    }
}
