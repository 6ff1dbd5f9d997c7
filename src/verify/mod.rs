//! The inspection procedure of a reader (2021 9.3 / 2nd ed. 12.8) and reader authentication as
//! the holder checks it (2021 9.1.4).
//!
//! Everything here is a pure function of its arguments: the inspection time is given as Unix
//! seconds and the clock is never read. Peer data never panics; every problem is a [`Failure`]
//! in the report.

pub mod path_cache;
pub mod report;
pub mod trust;
pub mod vical;
pub mod x5chain;

pub use path_cache::{PathCache, PathCacheStats};
pub use report::{
    CertPosition, Check, DocumentReport, Elements, Failure, IssuerInfo, VerificationReport,
};
pub use trust::{TrustAnchor, TrustAnchors, TrustError};
pub use x5chain::{ChainReport, Profile};

mod device;
mod issuer;
pub mod reader_auth;

pub use device::device_authentication_bytes;
pub use reader_auth::{reader_auth, reader_auth_with, reader_authentication_bytes, ReaderIdentity};

use crate::crypto::{CryptoProvider, EphemeralPrivateKey};
use crate::msg::{DeviceResponse, Document, ResponseStatus, SessionTranscriptBytes};

/// How to verify: which [`CryptoProvider`] computes, and whether certificate paths go through a
/// [`PathCache`]. The default is the fastest provider and no cache, which is what [`response`],
/// [`document`] and [`reader_auth()`] use.
///
/// ```
/// use mdl_proximity::crypto::CryptoProvider;
/// use mdl_proximity::verify::{PathCache, VerifyOptions};
///
/// let cache = PathCache::default(); // kept for the terminal's lifetime
/// let options = VerifyOptions::default()
///     .with_provider(CryptoProvider::fastest())
///     .with_path_cache(&cache);
/// assert_eq!(options.provider, CryptoProvider::fastest());
/// ```
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct VerifyOptions<'a> {
    /// Computes every signature verification, digest and MAC.
    pub provider: CryptoProvider,
    /// Remembers verified certificate paths (Document Signer chains for a reader, reader
    /// certificate chains for a holder).
    pub path_cache: Option<&'a PathCache>,
}

impl<'a> VerifyOptions<'a> {
    /// These options on `provider`.
    pub fn with_provider(mut self, provider: CryptoProvider) -> Self {
        self.provider = provider;
        self
    }

    /// These options with certificate paths cached in `cache`.
    pub fn with_path_cache(mut self, cache: &'a PathCache) -> Self {
        self.path_cache = Some(cache);
        self
    }
}

/// Verifies a DeviceResponse as a reader (2021 9.3): for every document, issuer data
/// authentication against `trust` (IACA anchors) and mdoc authentication against `transcript`,
/// all at `at` (Unix seconds).
///
/// `e_reader_key` is the reader's ephemeral private key of this session; without it a deviceMac
/// is reported as [`Failure::DeviceMacKeyUnavailable`], never accepted.
pub fn response(
    response: &DeviceResponse,
    transcript: &SessionTranscriptBytes,
    trust: &TrustAnchors,
    e_reader_key: Option<&EphemeralPrivateKey>,
    at: i64,
) -> VerificationReport {
    response_with(
        response,
        transcript,
        trust,
        e_reader_key,
        at,
        &VerifyOptions::default(),
    )
}

/// [`response`] with a chosen provider and, for a terminal that verifies many presentations, a
/// cache of Document Signer paths.
pub fn response_with(
    response: &DeviceResponse,
    transcript: &SessionTranscriptBytes,
    trust: &TrustAnchors,
    e_reader_key: Option<&EphemeralPrivateKey>,
    at: i64,
    options: &VerifyOptions<'_>,
) -> VerificationReport {
    let mut report = VerificationReport {
        status: response.status.0,
        documents: Vec::new(),
        failures: Vec::new(),
    };
    if response.status != ResponseStatus::OK {
        report.failures.push(Failure::ResponseStatus {
            status: response.status.0,
        });
    }
    match &response.documents {
        Some(docs) => {
            report.documents = docs
                .iter()
                .map(|doc| document_with(doc, transcript, trust, e_reader_key, at, options))
                .collect();
        }
        None if response.status == ResponseStatus::OK => report.failures.push(Failure::NoDocuments),
        None => {}
    }
    report
}

/// Verifies one Document; see [`response`].
pub fn document(
    doc: &Document,
    transcript: &SessionTranscriptBytes,
    trust: &TrustAnchors,
    e_reader_key: Option<&EphemeralPrivateKey>,
    at: i64,
) -> DocumentReport {
    document_with(
        doc,
        transcript,
        trust,
        e_reader_key,
        at,
        &VerifyOptions::default(),
    )
}

/// [`document`] with `options`; see [`response_with`].
pub fn document_with(
    doc: &Document,
    transcript: &SessionTranscriptBytes,
    trust: &TrustAnchors,
    e_reader_key: Option<&EphemeralPrivateKey>,
    at: i64,
    options: &VerifyOptions<'_>,
) -> DocumentReport {
    let mut report = DocumentReport::new(&doc.doc_type);
    if let Some(mso) = issuer::verify(doc, trust, at, options, &mut report) {
        device::verify(doc, &mso, transcript, e_reader_key, options, &mut report);
    }
    report
}
