//! The inspection procedure of a reader (2021 9.3 / 2nd ed. 12.8) and reader authentication as
//! the holder checks it (2021 9.1.4).
//!
//! Everything here is a pure function of its arguments: the inspection time is given as Unix
//! seconds and the clock is never read. Peer data never panics; every problem is a [`Failure`]
//! in the report.

pub mod report;
pub mod trust;
pub mod x5chain;

pub use report::{
    CertPosition, Check, DocumentReport, Elements, Failure, IssuerInfo, VerificationReport,
};
pub use trust::{TrustAnchor, TrustAnchors, TrustError};
pub use x5chain::{ChainReport, Profile};
