//! The ISO/IEC 18013-5 message model, one module per CDDL family (2021 clause 8 / 2nd ed.
//! clauses 8–10).
//!
//! Every type implements [`CborCodec`](crate::cbor::CborCodec). Decoding is lenient where the
//! standard asks the receiver to be (unknown map keys ignored, unknown minor versions accepted,
//! COSE structures with or without their tag); encoding is strict (CDDL field order, which is
//! the order of Annex D, so Annex D messages round-trip byte for byte). Structures that are
//! hashed, MACed or signed are held as [`Tag24`](crate::cbor::Tag24) so the bytes as received
//! are kept (2021 8.1 / 9.1).

pub mod auth;
pub mod cose;
pub mod date;
pub mod engagement;
pub mod lenient;
pub mod mso;
pub mod reader_engagement;
pub mod request;
pub mod response;
pub mod session;
pub mod transcript;
pub mod version;

pub use auth::{DeviceAuthentication, ReaderAuthentication};
pub use cose::{CoseMac0, CoseSign1};
pub use date::{FullDate, TDate};
pub use engagement::{DeviceEngagement, DeviceEngagementBytes};
pub use lenient::{InteropWarning, InteropWarnings, Lenient};
pub use mso::MobileSecurityObject;
pub use reader_engagement::ReaderEngagement;
pub use request::{DeviceRequest, DocRequest, ItemsRequest};
pub use response::{DeviceResponse, Document, IssuerSignedItem, ResponseStatus};
pub use session::{SessionData, SessionEstablishment, SessionStatus};
pub use transcript::{Handover, SessionTranscript, SessionTranscriptBytes};
pub use version::Version;

/// The mDL document type (2021 7.1): the one definition; `reader` and `issuer` re-export it.
pub const MDL_DOC_TYPE: &str = "org.iso.18013.5.1.mDL";
/// The mDL namespace (2021 7.1).
pub const MDL_NAMESPACE: &str = "org.iso.18013.5.1";

#[cfg(test)]
pub(crate) mod vectors;
