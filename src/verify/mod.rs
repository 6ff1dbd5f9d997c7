//! The inspection procedure of a reader (2021 9.3 / 2nd ed. 12.8) and reader authentication as
//! the holder checks it (2021 9.1.4).
//!
//! Everything here is a pure function of its arguments: the inspection time is given as Unix
//! seconds and the clock is never read. Peer data never panics; every problem is a [`Failure`]
//! in the report.

pub mod report;
pub mod trust;
pub mod vical;
pub mod x5chain;

pub use report::{
    CertPosition, Check, DocumentReport, Elements, Failure, IssuerInfo, VerificationReport,
};
pub use trust::{TrustAnchor, TrustAnchors, TrustError};
pub use x5chain::{ChainReport, Profile};

pub mod answers;
mod device;
mod issuer;
mod issuer_names;
pub mod mdl_model;
pub mod reader_auth;
pub mod reader_auth_all;

pub use answers::{answers, Answer, RequestedElement};
pub use device::device_authentication_bytes;
pub use reader_auth::{reader_auth, reader_authentication_bytes, ReaderIdentity};
pub use reader_auth_all::{reader_auth_all, reader_identities};

use crate::crypto::EphemeralPrivateKey;
use crate::msg::{DeviceResponse, Document, ResponseStatus, SessionTranscriptBytes};
use crate::time::UnixTime;

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
    let at = at.into();
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
                .map(|doc| document(doc, transcript, trust, e_reader_key, at))
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
    at: impl Into<UnixTime>,
) -> DocumentReport {
    let mut report = DocumentReport::new(&doc.doc_type);
    if let Some(mso) = issuer::verify(doc, trust, at.into().secs(), &mut report) {
        device::verify(doc, &mso, transcript, e_reader_key, &mut report);
    }
    // 2021 Table 5 on what was verified: warnings (VerificationReport::strict makes them failures).
    report.warnings = [&report.issuer_elements, &report.device_elements]
        .into_iter()
        .flat_map(mdl_model::check)
        .collect();
    report
}
