//! Building a DeviceRequest (2021 8.3.2.1.2.1 / 2nd ed. 10.2.1), optionally with reader
//! authentication (2021 9.1.4): per DocRequest `readerAuth` over ReaderAuthenticationBytes,
//! and/or (version 1.1) `readerAuthAll` over ReaderAuthenticationAllBytes.

use indexmap::IndexMap;

use crate::cbor::{self, CborCodec as _, NonEmpty, Tag24, Value};
use crate::crypto::{sign1_detached, CryptoError, Signer};
use crate::msg::lenient::Lenient;
use crate::msg::{
    auth::ReaderAuthentication,
    request::{DataElements, DeviceRequestInfo, DocRequest, ItemsRequest},
    CoseSign1, DeviceRequest, SessionTranscriptBytes, Version,
};

pub use crate::msg::{MDL_DOC_TYPE, MDL_NAMESPACE};
/// The context string of ReaderAuthenticationAll (2nd ed. 12.5).
pub const READER_AUTHENTICATION_ALL: &str = "ReaderAuthenticationAll";

/// A reader key and its certificate chain (leaf first, DER), for readerAuth.
#[derive(Debug, Clone, Copy)]
pub struct ReaderKey<'a, S: Signer + ?Sized> {
    /// The reader authentication key.
    pub signer: &'a S,
    /// x5chain: the reader certificate first, then intermediates (not the root).
    pub certificate_chain: &'a [Vec<u8>],
}

/// Builds a DeviceRequest.
///
/// Version "1.0" unless `deviceRequestInfo` or `readerAuthAll` is used, then "1.1" (a 1.0
/// mdoc ignores the unknown keys, 2021 8.1).
#[derive(Debug, Clone, Default)]
pub struct RequestBuilder {
    docs: Vec<ItemsRequest>,
    device_request_info: Option<DeviceRequestInfo>,
}

impl RequestBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a DocRequest: `name_spaces` is namespace → element → IntentToRetain.
    #[must_use]
    pub fn doc(mut self, doc_type: &str, name_spaces: IndexMap<String, DataElements>) -> Self {
        self.docs.push(ItemsRequest {
            doc_type: doc_type.to_owned(),
            name_spaces,
            request_info: None,
        });
        self
    }

    /// Adds an mDL DocRequest for `elements` of `org.iso.18013.5.1`, each with its
    /// IntentToRetain.
    #[must_use]
    pub fn mdl(self, elements: &[(&str, bool)]) -> Self {
        let elements: DataElements = elements
            .iter()
            .map(|(e, retain)| ((*e).to_owned(), *retain))
            .collect();
        self.doc(
            MDL_DOC_TYPE,
            IndexMap::from([(MDL_NAMESPACE.to_owned(), elements)]),
        )
    }

    /// Sets deviceRequestInfo (makes the request version 1.1).
    #[must_use]
    pub fn device_request_info(mut self, info: DeviceRequestInfo) -> Self {
        self.device_request_info = Some(info);
        self
    }

    fn check(&self) -> Result<NonEmpty<ItemsRequest>, CryptoError> {
        NonEmpty::new(self.docs.clone()).ok_or(CryptoError::MalformedCose(
            "a DeviceRequest needs a DocRequest",
        ))
    }

    /// The request without reader authentication. Returns `None` if no DocRequest was added.
    pub fn build(self) -> Option<DeviceRequest> {
        let docs = NonEmpty::new(self.docs)?;
        let doc_requests = docs.into_vec().into_iter().map(|items| DocRequest {
            items_request: Tag24::new(items),
            reader_auth: None,
        });
        let version = if self.device_request_info.is_some() {
            Version::v1_1()
        } else {
            Version::v1_0()
        };
        Some(DeviceRequest {
            version,
            // Non-empty: built from a NonEmpty.
            doc_requests: NonEmpty::new(doc_requests.collect())?,
            device_request_info: self
                .device_request_info
                .map(|info| Lenient::Known(Tag24::new(info))),
            reader_auth_all: None,
        })
    }

    /// The request with `readerAuth` in every DocRequest: a detached COSE_Sign1 by `reader`
    /// over ReaderAuthenticationBytes = #6.24(["ReaderAuthentication", SessionTranscript,
    /// ItemsRequestBytes]) (2021 9.1.4.4), x5chain in the unprotected header.
    pub fn build_signed<S: Signer + ?Sized>(
        self,
        reader: ReaderKey<'_, S>,
        transcript: &SessionTranscriptBytes,
    ) -> Result<DeviceRequest, CryptoError> {
        self.check()?;
        let mut request = self.build().ok_or(CryptoError::MalformedCose(
            "a DeviceRequest needs a DocRequest",
        ))?;
        let mut signed = Vec::with_capacity(request.doc_requests.len());
        for doc in request.doc_requests.iter() {
            let payload = ReaderAuthentication::bytes(transcript, &doc.items_request);
            let sign1 = sign1_detached(reader.signer, &payload, reader.certificate_chain)?;
            signed.push(DocRequest {
                items_request: doc.items_request.clone(),
                reader_auth: Some(wrap(sign1)?),
            });
        }
        request.doc_requests = NonEmpty::new(signed).ok_or(CryptoError::MalformedCose(
            "a DeviceRequest needs a DocRequest",
        ))?;
        Ok(request)
    }

    /// The request (version 1.1) with `readerAuthAll`: one detached COSE_Sign1 by `reader` over
    /// [`reader_authentication_all_bytes`]. DocRequests carry no per-document readerAuth.
    pub fn build_signed_all<S: Signer + ?Sized>(
        self,
        reader: ReaderKey<'_, S>,
        transcript: &SessionTranscriptBytes,
    ) -> Result<DeviceRequest, CryptoError> {
        self.check()?;
        let mut request = self.build().ok_or(CryptoError::MalformedCose(
            "a DeviceRequest needs a DocRequest",
        ))?;
        request.version = Version::v1_1();
        let payload = reader_authentication_all_bytes(&request, transcript);
        let sign1 = sign1_detached(reader.signer, &payload, reader.certificate_chain)?;
        request.reader_auth_all = Some(NonEmpty::one(wrap(sign1)?));
        Ok(request)
    }
}

impl RequestBuilder {
    /// The request with reader authentication in the form the mdoc can check: `readerAuthAll`
    /// when its DeviceEngagement (in `transcript`) advertises ReaderAuthAllSupport (2nd ed.
    /// 9.1.1.1 Capabilities), per-DocRequest `readerAuth` otherwise — a 2021 wallet knows only
    /// that one and must still see a signed request.
    pub fn build_authenticated<S: Signer + ?Sized>(
        self,
        reader: ReaderKey<'_, S>,
        transcript: &SessionTranscriptBytes,
    ) -> Result<DeviceRequest, CryptoError> {
        if transcript
            .value()
            .device_engagement
            .value()
            .supports_reader_auth_all()
        {
            self.build_signed_all(reader, transcript)
        } else {
            self.build_signed(reader, transcript)
        }
    }
}

fn wrap(sign1: coset::CoseSign1) -> Result<CoseSign1, CryptoError> {
    CoseSign1::new(sign1).map_err(|_| CryptoError::MalformedCose("COSE_Sign1 not encodable"))
}

/// ReaderAuthenticationAllBytes (2nd ed. 12.5): #6.24(["ReaderAuthenticationAll",
/// SessionTranscript, [+ ItemsRequestBytes], DeviceRequestInfoBytes / null]), with every
/// embedded XBytes as carried in `request`.
///
/// Interop note: some implementations omit the last element instead of sending null when
/// there is no deviceRequestInfo; we follow the CDDL.
pub fn reader_authentication_all_bytes(
    request: &DeviceRequest,
    transcript: &SessionTranscriptBytes,
) -> Vec<u8> {
    let mut inner = vec![0x84]; // array of 4
    inner.extend(cbor::value_to_vec(&Value::Text(
        READER_AUTHENTICATION_ALL.to_owned(),
    )));
    // The transcript as held, never re-encoded; the Tag24 items encode their stored bytes.
    inner.extend_from_slice(transcript.inner_bytes());
    inner.extend(cbor::value_to_vec(&Value::Array(
        request
            .doc_requests
            .iter()
            .map(|d| d.items_request.to_cbor())
            .collect(),
    )));
    inner.extend(cbor::value_to_vec(
        &request
            .device_request_info
            .as_ref()
            .map_or(Value::Null, |i| i.to_cbor()),
    ));
    crate::msg::auth::tag24_bytes(inner)
}
