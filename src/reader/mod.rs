//! The reader's role, all in one folder: its session and the requests it sends.
//!
//! The session state machine ([`ReaderSession`], 2021 9.1.1) sends what [`RequestBuilder`]
//! builds; [`ReaderSession::verify`] runs the inspection procedure of [`crate::verify`] on a
//! response with this session's transcript and EReaderKey.

mod request;
mod session;

pub use request::{
    reader_authentication_all_bytes, ReaderKey, RequestBuilder, MDL_DOC_TYPE, MDL_NAMESPACE,
    READER_AUTHENTICATION_ALL,
};
pub use session::{
    ReaderConfig, ReaderEvent, ReaderSession, ResponseReceived, Termination, CIPHER_SUITE_1,
};
