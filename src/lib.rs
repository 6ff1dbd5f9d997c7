//! # mdl-proximity
//!
//! A sans-IO engine for ISO/IEC 18013-5 proximity presentation of mobile driving licences (mDL)
//! and other mdocs.
//!
//! - [`cbor`]: strict decoding of peer bytes, deterministic encoding, embedded CBOR (`Tag24`).
//! - [`msg`]: the 18013-5 message model, one module per CDDL family.
//! - [`crypto`]: curves, COSE keys, key agreement, session encryption, MACs and signatures.
//!
//! The core performs no I/O, reads no clock and draws no randomness of its own: time, keys and
//! random bytes are arguments, so every run (and Annex D) is reproducible byte for byte.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cbor;
pub mod crypto;
#[cfg(feature = "tokio")]
pub mod driver;
pub mod engagement;
pub mod holder;
#[cfg(feature = "test-issuer")]
pub mod issuer;
pub mod msg;
pub mod reader;
pub mod session;
pub mod time;
pub mod verify;
