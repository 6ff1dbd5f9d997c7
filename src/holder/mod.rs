//! The holder application's side of a presentation: consent and response building.
//!
//! The session state machine ([`crate::session::HolderSession`]) delivers a decoded
//! DeviceRequest; a [`ConsentHook`] decides per DocRequest what to release; [`build_response`]
//! makes the DeviceResponse with selective disclosure and mdoc authentication. [`Presenter`]
//! ties credentials, the hook and reader identification together.

mod consent;
mod respond;

pub use consent::{
    ApproveAll, ApproveListed, ConsentHook, DenyAll, ReaderIdentity, ReviewRequest, Selection,
};
pub use respond::{
    build_response, Presenter, RespondError, MAX_DOC_REQUESTS, MAX_ERRORS_PER_DOCUMENT,
};
