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
    MAX_FAILURES_PER_DOCUMENT,
};
pub use trust::{TrustAnchor, TrustAnchors, TrustError};
pub use x5chain::{ChainReport, Profile, MAX_CHAIN_LEN};

pub mod answers;
mod device;
mod issuer;
mod issuer_names;
pub mod mdl_model;
pub mod reader_auth;
pub mod reader_auth_all;

pub use answers::{answers, Answer, RequestedElement};
pub use device::device_authentication_bytes;
pub use reader_auth::{reader_auth, reader_auth_with, reader_authentication_bytes, ReaderIdentity};
pub use reader_auth_all::{reader_auth_all, reader_identities};

use crate::crypto::{CryptoProvider, EphemeralPrivateKey};
use crate::msg::{DeviceResponse, Document, ResponseStatus, SessionTranscriptBytes};
use crate::time::UnixTime;

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
/// all at `at`.
///
/// `e_reader_key` is the reader's ephemeral private key of this session; without it a deviceMac
/// is reported as [`Failure::DeviceMacKeyUnavailable`], never accepted.
pub fn response(
    response: &DeviceResponse,
    transcript: &SessionTranscriptBytes,
    trust: &TrustAnchors,
    e_reader_key: Option<&EphemeralPrivateKey>,
    at: impl Into<UnixTime>,
) -> VerificationReport {
    verify_response(
        response,
        transcript,
        trust,
        e_reader_key,
        at.into().secs(),
        &crate::cbor::Limits::default(),
        &VerifyOptions::default(),
    )
}

/// Most documents of one DeviceResponse that are verified. Each costs up to three signature
/// verifications (Document Signer certificate, issuerAuth, device authentication; the first two
/// are done once per distinct chain and issuerAuth of a response); the documents after these are
/// not verified and the response is reported invalid ([`Failure::TooManyDocuments`]), so one
/// response costs a bounded amount of CPU on every curve (issue 9, `benches/hostile.rs`).
pub const MAX_DOCUMENTS: usize = 4;

/// [`response`], decoding every MSO of the response under one budget of `limits` (the same
/// [`Limits`](crate::cbor::Limits) the response itself was decoded with, typically).
pub fn response_with_limits(
    response: &DeviceResponse,
    transcript: &SessionTranscriptBytes,
    trust: &TrustAnchors,
    e_reader_key: Option<&EphemeralPrivateKey>,
    at: impl Into<UnixTime>,
    limits: &crate::cbor::Limits,
) -> VerificationReport {
    verify_response(
        response,
        transcript,
        trust,
        e_reader_key,
        at.into().secs(),
        limits,
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
    verify_response(
        response,
        transcript,
        trust,
        e_reader_key,
        at,
        &crate::cbor::Limits::default(),
        options,
    )
}

fn verify_response(
    response: &DeviceResponse,
    transcript: &SessionTranscriptBytes,
    trust: &TrustAnchors,
    e_reader_key: Option<&EphemeralPrivateKey>,
    at: i64,
    limits: &crate::cbor::Limits,
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
            if docs.len() > MAX_DOCUMENTS {
                report.failures.push(Failure::TooManyDocuments {
                    count: docs.len(),
                    limit: MAX_DOCUMENTS,
                });
            }
            // One decoding budget for every MSO, and one cache of chain and issuerAuth
            // verifications, for the whole response (issue 9).
            let mut cache = issuer::Cache::default();
            report.documents = crate::cbor::with_budget(limits, || {
                docs.iter()
                    .take(MAX_DOCUMENTS)
                    .map(|doc| {
                        document_inner(
                            doc,
                            transcript,
                            trust,
                            e_reader_key,
                            at,
                            options,
                            &mut cache,
                        )
                    })
                    .collect()
            });
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
    at: impl Into<UnixTime>,
) -> DocumentReport {
    document_with(
        doc,
        transcript,
        trust,
        e_reader_key,
        at.into().secs(),
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
    document_inner(
        doc,
        transcript,
        trust,
        e_reader_key,
        at,
        options,
        &mut issuer::Cache::default(),
    )
}

fn document_inner<'t>(
    doc: &Document,
    transcript: &SessionTranscriptBytes,
    trust: &'t TrustAnchors,
    e_reader_key: Option<&EphemeralPrivateKey>,
    at: i64,
    options: &VerifyOptions<'_>,
    cache: &mut issuer::Cache<'t>,
) -> DocumentReport {
    let mut report = DocumentReport::new(&doc.doc_type);
    if let Some(mso) = issuer::verify(doc, trust, at, options, &mut report, cache) {
        // mdoc authentication only with a device key from an authentic MSO: otherwise the key
        // is the peer's choice, its verification proves nothing (issue 9), and the issuer
        // failure already makes the document invalid.
        if report.checks().contains(&Check::IssuerSignature) {
            device::verify(doc, &mso, transcript, e_reader_key, options, &mut report);
        }
    }
    // 2021 Table 5 on what was verified: warnings (VerificationReport::strict makes them failures).
    report.warnings = [&report.issuer_elements, &report.device_elements]
        .into_iter()
        .flat_map(mdl_model::check)
        // As many as failures are listed: a hostile document cannot make the report large.
        .take(report::MAX_FAILURES_PER_DOCUMENT)
        .collect();
    report
}
