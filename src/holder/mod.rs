//! The holder's (mdoc's) role, all in one folder: its session, consent, credentials and
//! response building.
//!
//! The session state machine ([`HolderSession`], 2021 9.1.1) delivers a decoded DeviceRequest; a
//! [`ConsentHook`] decides per DocRequest what to release; [`build_response`] makes the
//! DeviceResponse with selective disclosure and mdoc authentication from [`MdocCredential`]s,
//! whose [`DeviceKey`] is only asked to sign or to agree a key (so it can live in a secure
//! element). [`Presenter`] ties credentials, the hook and reader identification together.

mod consent;
mod credential;
mod respond;
mod session;

pub mod age_over;

pub use consent::{
    ApproveAll, ApproveListed, ConsentHook, DenyAll, ReaderIdentity, ReviewRequest, Selection,
};
pub use credential::{DeviceKey, MdocCredential};
pub use respond::{
    build_response, Presenter, RespondError, MAX_DOC_REQUESTS, MAX_ERRORS_PER_DOCUMENT,
};
pub use session::{HolderConfig, HolderEvent, HolderSession, RequestReceived};
