//! The reader application's side: building requests.
//!
//! The session state machine ([`crate::session::ReaderSession`]) sends what is built here;
//! verifying the response is the job of the `verify` module.

mod request;

pub use request::{
    reader_authentication_all_bytes, ReaderKey, RequestBuilder, MDL_DOC_TYPE, MDL_NAMESPACE,
    READER_AUTHENTICATION_ALL,
};
