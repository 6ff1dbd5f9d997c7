//! Reader authentication as the holder checks it (2021 9.1.4 / 2nd ed. 12.5): a DocRequest's
//! readerAuth is a detached COSE_Sign1 over ReaderAuthenticationBytes, signed by the reader
//! certificate (x5chain leaf) which chains to a trusted reader root.

use crate::crypto::sign1_x5chain;
use crate::msg::{DocRequest, SessionTranscriptBytes};

use super::report::Failure;
use super::trust::TrustAnchors;
use super::x5chain::{self, Profile};
use super::{path_cache, VerifyOptions};

/// Who asked, as far as the holder can tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderIdentity {
    /// The signature verifies and the reader certificate chains to a trusted root at the time.
    Authenticated {
        /// Subject of the reader certificate (RFC 4514 form).
        subject: String,
        /// The x5chain as received, leaf first (DER).
        chain: Vec<Vec<u8>>,
    },
    /// No trusted root vouches for the presented certificate (unknown root), which is otherwise
    /// in order. The readerAuth signature was not checked: against an untrusted certificate it
    /// proves nothing.
    Untrusted {
        /// Why ([`Failure::UntrustedIssuer`]).
        reason: Failure,
    },
    /// The signature does not verify, the x5chain is missing or malformed, or a certificate is
    /// invalid, expired or of the wrong profile.
    Invalid {
        /// The first problem found.
        reason: Failure,
    },
    /// The request carries no readerAuth.
    Unauthenticated,
}

impl ReaderIdentity {
    /// Whether the reader is authenticated.
    pub fn is_authenticated(&self) -> bool {
        matches!(self, Self::Authenticated { .. })
    }
}

/// `#6.24(bstr .cbor ["ReaderAuthentication", SessionTranscript, ItemsRequestBytes])` from the
/// bytes as held (2021 9.1.4.4).
pub fn reader_authentication_bytes(
    transcript: &SessionTranscriptBytes,
    request: &DocRequest,
) -> Vec<u8> {
    crate::msg::ReaderAuthentication::bytes(transcript, &request.items_request)
}

/// Chain validations already done for earlier DocRequests of the same request: one request
/// repeating a reader chain pays for its validation once (issue 9).
#[derive(Debug, Default)]
pub(crate) struct ChainCache<'a> {
    chains: Vec<(Vec<Vec<u8>>, x5chain::ChainReport<'a>)>,
}

/// Verifies a DocRequest's readerAuth against `reader_roots` at `at` (Unix seconds).
pub fn reader_auth(
    request: &DocRequest,
    transcript: &SessionTranscriptBytes,
    reader_roots: &TrustAnchors,
    at: impl Into<crate::time::UnixTime>,
) -> ReaderIdentity {
    reader_auth_with(
        request,
        transcript,
        reader_roots,
        at.into().secs(),
        &VerifyOptions::default(),
    )
}

/// [`reader_auth()`] with a chosen provider and, for a holder that meets the same readers
/// again, a cache of reader certificate paths.
pub fn reader_auth_with(
    request: &DocRequest,
    transcript: &SessionTranscriptBytes,
    reader_roots: &TrustAnchors,
    at: i64,
    options: &VerifyOptions<'_>,
) -> ReaderIdentity {
    reader_auth_cached(
        request,
        transcript,
        reader_roots,
        at,
        options,
        &mut ChainCache::default(),
    )
}

/// [`reader_auth_with`], reusing the chain validations of `cache` (earlier DocRequests of the
/// same request).
pub(crate) fn reader_auth_cached<'a>(
    request: &DocRequest,
    transcript: &SessionTranscriptBytes,
    reader_roots: &'a TrustAnchors,
    at: i64,
    options: &VerifyOptions<'_>,
    cache: &mut ChainCache<'a>,
) -> ReaderIdentity {
    let Some(sign1) = &request.reader_auth else {
        return ReaderIdentity::Unauthenticated;
    };
    identify_signer(
        sign1.inner(),
        &[reader_authentication_bytes(transcript, request)],
        reader_roots,
        at,
        options,
        cache,
    )
}

/// Who signed `sign1`, a detached COSE_Sign1 over one of `payloads` (tried in order: several
/// encodings of the signed structure are in the field, see readerAuthAll), with its x5chain
/// checked against `reader_roots` at `at`.
pub(crate) fn identify_signer<'a>(
    sign1: &coset::CoseSign1,
    payloads: &[Vec<u8>],
    reader_roots: &'a TrustAnchors,
    at: i64,
    options: &VerifyOptions<'_>,
    cache: &mut ChainCache<'a>,
) -> ReaderIdentity {
    let Ok(chain_der) = sign1_x5chain(sign1) else {
        return ReaderIdentity::Invalid {
            reason: Failure::MissingX5Chain,
        };
    };
    let chain = match cache.chains.iter().find(|(der, _)| *der == chain_der) {
        Some((_, done)) => done.clone(),
        None => {
            let done =
                path_cache::validate(&chain_der, reader_roots, Profile::ReaderAuth, at, options);
            cache.chains.push((chain_der.clone(), done.clone()));
            done
        }
    };
    // The readerAuth signature is verified only for a chain that is trusted: checking it against
    // an untrusted or invalid certificate proves nothing and would cost a signature
    // verification on a curve the peer chose, once per DocRequest (issue 9).
    match chain.failures.first() {
        None => {}
        Some(untrusted @ Failure::UntrustedIssuer { .. }) if chain.failures.len() == 1 => {
            return ReaderIdentity::Untrusted {
                reason: untrusted.clone(),
            }
        }
        Some(first) => {
            // Prefer a concrete certificate problem over "untrusted" when there are several.
            let reason = chain
                .failures
                .iter()
                .find(|f| !matches!(f, Failure::UntrustedIssuer { .. }))
                .unwrap_or(first)
                .clone();
            return ReaderIdentity::Invalid { reason };
        }
    }
    let (Some(leaf), Some(key), Some(_anchor)) = (&chain.leaf, &chain.leaf_key, chain.anchor)
    else {
        return ReaderIdentity::Invalid {
            reason: Failure::MissingX5Chain,
        };
    };
    if !payloads.iter().any(|payload| {
        options
            .provider
            .verify_sign1_detached(sign1, key, payload)
            .is_ok()
    }) {
        return ReaderIdentity::Invalid {
            reason: Failure::ReaderSignatureInvalid,
        };
    }
    ReaderIdentity::Authenticated {
        subject: leaf.tbs_certificate().subject().to_string(),
        chain: chain_der,
    }
}
