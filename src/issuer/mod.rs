//! A test issuer: a PKI with the certificate profiles of 18013-5 Annex B, issuance of mdocs
//! (IssuerSigned with a signed Mobile Security Object), and a credential file format for
//! demos, tests and integrators.
//!
//! Nothing here is meant for production issuance: keys are software keys, and the
//! [`Credential`] file format stores private keys in the clear. Time and randomness are
//! arguments, as everywhere in the core.

pub mod credential;
mod error;
mod mdl;
pub mod pki;
mod sample;

pub use credential::{Credential, DeviceAuthMethod, PrivateKey, CREDENTIAL_FORMAT};
pub use error::IssueError;
pub use mdl::{
    issue_mdoc, sample_mdl_elements, sample_mdl_name_spaces, DigestIdOrder, MdocRequest,
    MdocValidity, MDL_DOC_TYPE, MDL_NAMESPACE, SAMPLE_PORTRAIT_JPEG,
};
pub use sample::{sample_mdl_credential, SampleMdl, SAMPLE_VALIDITY_SECONDS};
