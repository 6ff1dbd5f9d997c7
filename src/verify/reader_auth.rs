//! Reader authentication as the holder checks it (2021 9.1.4 / 2nd ed. 12.5): a DocRequest's
//! readerAuth is a detached COSE_Sign1 over ReaderAuthenticationBytes, signed by the reader
//! certificate (x5chain leaf) which chains to a trusted reader root.

use crate::crypto::{sign1_x5chain, verify_sign1_detached};
use crate::msg::{DocRequest, SessionTranscriptBytes};

use super::report::Failure;
use super::trust::TrustAnchors;
use super::x5chain::{self, Profile};

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

/// Verifies a DocRequest's readerAuth against `reader_roots` at `at`.
pub fn reader_auth(
    request: &DocRequest,
    transcript: &SessionTranscriptBytes,
    reader_roots: &TrustAnchors,
    at: impl Into<crate::time::UnixTime>,
) -> ReaderIdentity {
    let at = at.into().secs();
    let Some(sign1) = &request.reader_auth else {
        return ReaderIdentity::Unauthenticated;
    };
    identify_signer(
        sign1.inner(),
        &[reader_authentication_bytes(transcript, request)],
        reader_roots,
        at,
    )
}

/// Who signed `sign1`, a detached COSE_Sign1 over one of `payloads` (tried in order: several
/// encodings of the signed structure are in the field, see readerAuthAll), with its x5chain
/// checked against `reader_roots` at `at`.
pub(crate) fn identify_signer(
    sign1: &coset::CoseSign1,
    payloads: &[Vec<u8>],
    reader_roots: &TrustAnchors,
    at: i64,
) -> ReaderIdentity {
    let Ok(chain_der) = sign1_x5chain(sign1) else {
        return ReaderIdentity::Invalid {
            reason: Failure::MissingX5Chain,
        };
    };
    let chain = x5chain::validate(&chain_der, reader_roots, Profile::ReaderAuth, at);
    let (Some(leaf), Some(key)) = (&chain.leaf, &chain.leaf_key) else {
        let reason = chain
            .failures
            .first()
            .cloned()
            .unwrap_or(Failure::MissingX5Chain);
        return ReaderIdentity::Invalid { reason };
    };
    if !payloads
        .iter()
        .any(|payload| verify_sign1_detached(sign1, key, payload).is_ok())
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
