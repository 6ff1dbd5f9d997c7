//! `readerAuthAll` as the holder checks it (2nd ed. 10.2.1, 12.5): one or more detached
//! COSE_Sign1 over ReaderAuthenticationAllBytes, which cover every DocRequest at once.
//!
//! ```cddl
//! ReaderAuthenticationAll = ["ReaderAuthenticationAll", SessionTranscript,
//!                            [+ ItemsRequestBytes], DeviceRequestInfoBytes / null]
//! ```
//!
//! Interop (DESIGN §8): an earlier Multipaz release signed the 3-element array without the last
//! member; a signature over either form is accepted. We always send the 4-element form.

use crate::cbor::{self, CborCodec as _, Value};
use crate::msg::{DeviceRequest, SessionTranscriptBytes};
use crate::reader::{reader_authentication_all_bytes, READER_AUTHENTICATION_ALL};

use super::reader_auth::{identify_signer, ReaderIdentity};
use super::trust::TrustAnchors;

/// `#6.24(bstr .cbor ["ReaderAuthenticationAll", SessionTranscript, [+ ItemsRequestBytes]])`:
/// the 3-element form an earlier Multipaz release signed (no DeviceRequestInfoBytes / null).
pub fn reader_authentication_all_bytes_3(
    request: &DeviceRequest,
    transcript: &SessionTranscriptBytes,
) -> Vec<u8> {
    let mut inner = vec![0x83]; // array of 3
    inner.extend(cbor::value_to_vec(&Value::Text(
        READER_AUTHENTICATION_ALL.to_owned(),
    )));
    // The transcript and the ItemsRequestBytes as held, never re-encoded.
    inner.extend_from_slice(transcript.inner_bytes());
    inner.extend(cbor::value_to_vec(&Value::Array(
        request
            .doc_requests
            .iter()
            .map(|d| d.items_request.to_cbor())
            .collect(),
    )));
    crate::msg::auth::tag24_bytes(inner)
}

/// Most readerAuthAll signatures that are examined; the ones after are ignored (a reader has
/// no reason to sign one request with more than a few keys).
pub const MAX_READER_AUTH_ALL_SIGNATURES: usize = 4;

/// Verifies the request's `readerAuthAll` against `reader_roots` at `at` (Unix seconds).
///
/// With several signatures (`[+ ReaderAuth]`), the best outcome counts: an authenticated one,
/// else an untrusted one, else the first problem. [`ReaderIdentity::Unauthenticated`] when the
/// request has no readerAuthAll.
pub fn reader_auth_all(
    request: &DeviceRequest,
    transcript: &SessionTranscriptBytes,
    reader_roots: &TrustAnchors,
    at: impl Into<crate::time::UnixTime>,
) -> ReaderIdentity {
    let at = at.into().secs();
    let Some(signatures) = &request.reader_auth_all else {
        return ReaderIdentity::Unauthenticated;
    };
    let payloads = [
        reader_authentication_all_bytes(request, transcript),
        reader_authentication_all_bytes_3(request, transcript),
    ];
    let mut best = ReaderIdentity::Unauthenticated;
    // One chain validation per distinct chain, and a bounded number of signatures: a hostile
    // request must not buy a signature verification per array entry (issue 9).
    let mut chains = super::reader_auth::ChainCache::default();
    for sign1 in signatures.iter().take(MAX_READER_AUTH_ALL_SIGNATURES) {
        let identity = identify_signer(
            sign1.inner(),
            &payloads,
            reader_roots,
            at,
            &super::VerifyOptions::default(),
            &mut chains,
        );
        if rank(&identity) > rank(&best) {
            best = identity;
        }
    }
    best
}

fn rank(identity: &ReaderIdentity) -> u8 {
    match identity {
        ReaderIdentity::Authenticated { .. } => 3,
        ReaderIdentity::Untrusted { .. } => 2,
        ReaderIdentity::Invalid { .. } => 1,
        ReaderIdentity::Unauthenticated => 0,
    }
}

/// Who asked for each DocRequest, in order: its own `readerAuth` when it has one, otherwise the
/// request's `readerAuthAll` (verified once), otherwise unauthenticated.
pub fn reader_identities(
    request: &DeviceRequest,
    transcript: &SessionTranscriptBytes,
    reader_roots: &TrustAnchors,
    at: impl Into<crate::time::UnixTime>,
) -> Vec<ReaderIdentity> {
    let at = at.into().secs();
    let mut all = None;
    let mut chains = super::reader_auth::ChainCache::default();
    request
        .doc_requests
        .iter()
        .map(|doc| {
            if doc.reader_auth.is_some() {
                super::reader_auth::reader_auth_cached(
                    doc,
                    transcript,
                    reader_roots,
                    at,
                    &super::VerifyOptions::default(),
                    &mut chains,
                )
            } else {
                all.get_or_insert_with(|| reader_auth_all(request, transcript, reader_roots, at))
                    .clone()
            }
        })
        .collect()
}
