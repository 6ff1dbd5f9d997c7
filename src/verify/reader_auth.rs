//! Reader authentication as the holder checks it (2021 9.1.4 / 2nd ed. 12.5): a DocRequest's
//! readerAuth is a detached COSE_Sign1 over ReaderAuthenticationBytes, signed by the reader
//! certificate (x5chain leaf) which chains to a trusted reader root.

use crate::crypto::sign1_x5chain;
use crate::msg::{DocRequest, SessionTranscriptBytes};

use super::report::Failure;
use super::trust::TrustAnchors;
use super::x5chain::Profile;
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
    /// The signature verifies with the presented certificate, but no trusted root vouches for it
    /// (unknown root).
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

/// Verifies a DocRequest's readerAuth against `reader_roots` at `at` (Unix seconds).
pub fn reader_auth(
    request: &DocRequest,
    transcript: &SessionTranscriptBytes,
    reader_roots: &TrustAnchors,
    at: i64,
) -> ReaderIdentity {
    reader_auth_with(
        request,
        transcript,
        reader_roots,
        at,
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
    let Some(sign1) = &request.reader_auth else {
        return ReaderIdentity::Unauthenticated;
    };
    let sign1 = sign1.inner();
    let Ok(chain_der) = sign1_x5chain(sign1) else {
        return ReaderIdentity::Invalid {
            reason: Failure::MissingX5Chain,
        };
    };
    let chain = path_cache::validate(&chain_der, reader_roots, Profile::ReaderAuth, at, options);
    let (Some(leaf), Some(key)) = (&chain.leaf, &chain.leaf_key) else {
        let reason = chain
            .failures
            .first()
            .cloned()
            .unwrap_or(Failure::MissingX5Chain);
        return ReaderIdentity::Invalid { reason };
    };
    if options
        .provider
        .verify_sign1_detached(
            sign1,
            key,
            &reader_authentication_bytes(transcript, request),
        )
        .is_err()
    {
        return ReaderIdentity::Invalid {
            reason: Failure::ReaderSignatureInvalid,
        };
    }
    match chain.failures.first() {
        None if chain.anchor.is_some() => ReaderIdentity::Authenticated {
            subject: leaf.tbs_certificate().subject().to_string(),
            chain: chain_der,
        },
        None => ReaderIdentity::Invalid {
            reason: Failure::MissingX5Chain,
        },
        Some(untrusted @ Failure::UntrustedIssuer { .. }) if chain.failures.len() == 1 => {
            ReaderIdentity::Untrusted {
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
            ReaderIdentity::Invalid { reason }
        }
    }
}
