//! Building the DeviceResponse (2021 8.3.2.1.2.2, 9.1.3): selective disclosure of the
//! issuer-signed items the holder approved, errors for what is withheld, and mdoc
//! authentication by deviceSignature or deviceMac.

use std::fmt;

use crate::cbor::{NonEmpty, Tag24};
use crate::crypto::{create_device_mac, sign1_detached, CryptoError, EMacKey};
use crate::msg::request::DocRequest;
use crate::msg::{
    response::{
        DeviceAuth, DeviceNameSpaces, DeviceSigned, DocumentError, ErrorCode, Errors,
        IssuerNameSpaces, IssuerSigned,
    },
    CoseMac0, CoseSign1, DeviceAuthentication, DeviceRequest, DeviceResponse, Document,
    ResponseStatus, SessionTranscriptBytes, Version,
};

use super::consent::{ConsentHook, ReviewRequest, Selection};
use super::credential::{DeviceKey, MdocCredential};
use crate::verify::TrustAnchors;

/// Why a response could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RespondError {
    /// The device key failed (wrong curve for the method, signer error, key agreement with an
    /// EReaderKey on another curve...).
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// `selections` does not have one entry per DocRequest.
    #[error("{selections} selections for {requests} DocRequests")]
    SelectionCount {
        /// Selections given.
        selections: usize,
        /// DocRequests in the request.
        requests: usize,
    },
}

/// Builds the DeviceResponse to `request` from `credentials`, releasing for the i-th DocRequest
/// only the elements both requested and approved in `selections[i]`.
///
/// - A DocRequest whose docType the holder lacks, or whose selection is empty, is answered in
///   `documentErrors` with code 0 ("data not returned"): a withheld document reveals nothing,
///   not even its MSO.
/// - Requested elements that are not released (withheld or not held) are listed in the
///   document's `errors` with code 0.
/// - Released IssuerSignedItemBytes are sent exactly as issued (their digests are in the MSO).
/// - DeviceSigned carries empty DeviceNameSpaces and deviceSignature or deviceMac, per the
///   credential's [`DeviceKey`], over DeviceAuthenticationBytes for `transcript`. The device key
///   is only asked to sign or to agree a key.
///
/// The status is 0 (OK).
///
/// Bounded work for a hostile request (issue 9): only the first [`MAX_DOC_REQUESTS`] DocRequests
/// are answered, and at most [`MAX_ERRORS_PER_DOCUMENT`] withheld elements are listed per
/// document.
pub fn build_response(
    credentials: &[MdocCredential],
    request: &DeviceRequest,
    selections: &[Selection],
    transcript: &SessionTranscriptBytes,
) -> Result<DeviceResponse, RespondError> {
    if selections.len() != request.doc_requests.len() {
        return Err(RespondError::SelectionCount {
            selections: selections.len(),
            requests: request.doc_requests.len(),
        });
    }
    let mut documents = Vec::new();
    let mut document_errors = Vec::new();
    for (doc_request, selection) in request
        .doc_requests
        .iter()
        .zip(selections)
        .take(MAX_DOC_REQUESTS)
    {
        let doc_type = &doc_request.items_request.value().doc_type;
        let credential = credentials.iter().find(|c| &c.doc_type == doc_type);
        match credential {
            Some(credential) if !selection.is_empty() => {
                documents.push(document(credential, doc_request, selection, transcript)?);
            }
            _ => document_errors.push(DocumentError::from([(
                doc_type.clone(),
                ErrorCode::DATA_NOT_RETURNED,
            )])),
        }
    }
    Ok(DeviceResponse {
        version: Version::v1_0(),
        documents: NonEmpty::new(documents),
        document_errors: NonEmpty::new(document_errors),
        status: ResponseStatus::OK,
    })
}

/// Most DocRequests of one request that the holder reviews and answers; the rest are ignored.
/// Each answered one costs a readerAuth check and a device signature.
pub const MAX_DOC_REQUESTS: usize = 4;

/// Most withheld elements listed in one document's `errors`; further ones are not listed (the
/// reader sees them missing all the same), so a request for a million elements does not make a
/// million-entry response.
pub const MAX_ERRORS_PER_DOCUMENT: usize = 64;

fn document(
    credential: &MdocCredential,
    doc_request: &DocRequest,
    selection: &Selection,
    transcript: &SessionTranscriptBytes,
) -> Result<Document, RespondError> {
    let held = credential.issuer_signed.name_spaces.as_ref();
    let mut released = IssuerNameSpaces::new();
    let mut errors = Errors::new();
    let mut withheld = 0usize;
    for (ns, elements) in &doc_request.items_request.value().name_spaces {
        let mut items = Vec::new();
        for element in elements.keys() {
            let held_ns = held.and_then(|h| h.get(ns));
            let item = held_ns
                .and_then(|items| {
                    items
                        .iter()
                        .find(|i| &i.value().element_identifier == element)
                })
                // 2021 7.2.5: an age_over_NN not held is answered by the nearest one implying it.
                .or_else(|| {
                    held_ns.and_then(|h| super::age_over::substitute(ns, element, h.as_slice()))
                })
                .filter(|_| selection.is_approved(ns, element));
            match item {
                // Once only, even when a substitute is also requested in its own right.
                Some(item) if items.contains(item) => {}
                Some(item) => items.push(item.clone()),
                None if withheld >= MAX_ERRORS_PER_DOCUMENT => {}
                None => {
                    withheld += 1;
                    errors
                        .entry(ns.clone())
                        .or_default()
                        .insert(element.clone(), ErrorCode::DATA_NOT_RETURNED);
                }
            }
        }
        if let Some(items) = NonEmpty::new(items) {
            released.insert(ns.clone(), items);
        }
    }
    let device_name_spaces = Tag24::new(DeviceNameSpaces::new());
    let payload =
        DeviceAuthentication::bytes(transcript, &credential.doc_type, &device_name_spaces);
    let device_auth = device_auth(credential, transcript, &payload)?;
    Ok(Document {
        doc_type: credential.doc_type.clone(),
        issuer_signed: IssuerSigned {
            name_spaces: (!released.is_empty()).then_some(released),
            issuer_auth: credential.issuer_signed.issuer_auth.clone(),
        },
        device_signed: DeviceSigned {
            name_spaces: device_name_spaces,
            device_auth,
        },
        errors: (!errors.is_empty()).then_some(errors),
    })
}

fn device_auth(
    credential: &MdocCredential,
    transcript: &SessionTranscriptBytes,
    device_authentication_bytes: &[u8],
) -> Result<DeviceAuth, RespondError> {
    let not_encodable = |_| CryptoError::MalformedCose("COSE structure not encodable");
    Ok(match &credential.device_key {
        DeviceKey::Signer(signer) => {
            let sign1 = sign1_detached(signer.as_ref(), device_authentication_bytes, &[])?;
            DeviceAuth::Signature(CoseSign1::new(sign1).map_err(not_encodable)?)
        }
        DeviceKey::KeyAgreement(key) => {
            // 2021 9.1.3.5: EMacKey from ECDH(SDeviceKey, EReaderKey) and the tag-24
            // SessionTranscriptBytes as received.
            let emac = EMacKey::for_holder(
                key.as_ref(),
                transcript.value().e_reader_key.value(),
                &transcript.tagged_bytes(),
            )?;
            let mac0 = create_device_mac(&emac, device_authentication_bytes);
            DeviceAuth::Mac(CoseMac0::new(mac0).map_err(not_encodable)?)
        }
    })
}

/// The holder application: credentials, a consent hook and a way to identify readers. Answers
/// requests with [`Presenter::respond`]; with the `tokio` feature it is a
/// [`Responder`](crate::driver::Responder) for [`serve_holder`](crate::driver::serve_holder).
pub struct Presenter<C> {
    credentials: Vec<MdocCredential>,
    consent: C,
    reader_roots: TrustAnchors,
}

impl<C: ConsentHook> Presenter<C> {
    /// A presenter that verifies each DocRequest's readerAuth against `reader_roots` (an empty
    /// set makes every authenticated reader [`ReaderIdentity::Untrusted`](crate::verify::ReaderIdentity::Untrusted)) and asks `consent`.
    ///
    /// The device keys are the credentials' own [`DeviceKey`]s, built once by the caller (a
    /// keystore handle, a secure element session) and used for every response.
    pub fn new(credentials: Vec<MdocCredential>, consent: C, reader_roots: TrustAnchors) -> Self {
        Self {
            credentials,
            consent,
            reader_roots,
        }
    }

    /// The credentials.
    pub fn credentials(&self) -> &[MdocCredential] {
        &self.credentials
    }

    /// Reviews every DocRequest with the consent hook and builds the response. `at` is the time
    /// at which reader certificates must be valid.
    pub fn respond(
        &mut self,
        request: &DeviceRequest,
        transcript: &SessionTranscriptBytes,
        at: impl Into<crate::time::UnixTime>,
    ) -> Result<DeviceResponse, RespondError> {
        let at = at.into();
        let mut selections = Vec::with_capacity(request.doc_requests.len());
        let mut chains = crate::verify::reader_auth::ChainCache::default();
        let mut all = None;
        for (index, doc_request) in request.doc_requests.iter().enumerate() {
            if index >= MAX_DOC_REQUESTS {
                // Not answered (build_response stops there): no readerAuth check, no review.
                selections.push(Selection::none());
                continue;
            }
            let doc_type = &doc_request.items_request.value().doc_type;
            let has = self.credentials.iter().any(|c| &c.doc_type == doc_type);
            // Per-DocRequest readerAuth, else readerAuthAll (2nd ed. 12.5).
            let reader = if doc_request.reader_auth.is_some() {
                crate::verify::reader_auth::reader_auth_cached(
                    doc_request,
                    transcript,
                    &self.reader_roots,
                    at.secs(),
                    &crate::verify::VerifyOptions::default(),
                    &mut chains,
                )
            } else {
                all.get_or_insert_with(|| {
                    crate::verify::reader_auth_all(request, transcript, &self.reader_roots, at)
                })
                .clone()
            };
            let review = ReviewRequest::new(index, doc_request, reader, has);
            selections.push(self.consent.review(&review));
        }
        build_response(&self.credentials, request, &selections, transcript)
    }
}

impl<C> fmt::Debug for Presenter<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Presenter")
            .field("credentials", &self.credentials.len())
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "tokio")]
impl<C: ConsentHook> crate::driver::Responder for Presenter<C> {
    fn reply(
        &mut self,
        request: &crate::session::RequestReceived,
        session: &crate::session::HolderSession,
        at: crate::time::UnixTime,
    ) -> crate::driver::Reply {
        use crate::driver::Reply;
        let Some(transcript) = session.transcript() else {
            // A request only arrives in an established session, which has a transcript.
            return Reply::Terminate;
        };
        match self.respond(&request.request, transcript, at) {
            Ok(response) => Reply::Respond(response),
            // 2021 8.3.2.1.2.3: status 10 "general error" when the mdoc cannot answer.
            Err(_) => Reply::Respond(DeviceResponse::error(ResponseStatus::GENERAL_ERROR)),
        }
    }
}
