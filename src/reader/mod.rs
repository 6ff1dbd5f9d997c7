//! The reader application's side: building requests.
//!
//! The session state machine ([`ReaderSession`]) sends what is built here;
//! verifying the response is the job of the `verify` module.

mod request;
mod session;

pub use request::{
    reader_authentication_all_bytes, ReaderKey, RequestBuilder, MDL_DOC_TYPE, MDL_NAMESPACE,
    READER_AUTHENTICATION_ALL,
};
pub use session::{
    ReaderConfig, ReaderEvent, ReaderSession, ResponseReceived, Termination, CIPHER_SUITE_1,
};
