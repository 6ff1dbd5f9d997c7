//! # mdl-proximity
//!
//! A sans-IO engine for ISO/IEC 18013-5 proximity presentation of mobile driving licences (mDL)
//! and other mdocs.
//!
//! | module | what it holds |
//! |---|---|
//! | [`cbor`] | strict decoding of peer bytes, deterministic encoding, embedded CBOR (`Tag24`), limits |
//! | [`msg`] | the 18013-5 message model, one module per CDDL family |
//! | [`crypto`] | curves, COSE keys, key agreement, session encryption, MACs, signatures, BLE Ident |
//! | [`engagement`] | every engagement kind: [`engagement::qr`], [`engagement::carrier`] (retrieval methods, carrier conversions, [`engagement::select_carrier`]), [`engagement::nfc`] (NDEF, Connection Handover), and the [`engagement::Engagement`] value sessions and links take |
//! | [`session`] | what both roles share: the [`session::Session`] trait, [`session::Input`], [`session::Output`], close reasons, errors → status codes, time-outs |
//! | [`holder`] | the holder's role: [`holder::HolderSession`], consent, [`holder::MdocCredential`] with a [`holder::DeviceKey`] that can live in secure hardware, the response builder and [`holder::Presenter`] |
//! | [`reader`] | the reader's role: [`reader::ReaderSession`] (and `verify` of its responses), the request builder |
//! | [`verify`] | the inspection procedure (2021 9.3): issuer and device authentication, reader authentication for the holder, trust anchors, VICAL |
//! | [`time`] | [`time::UnixTime`], the validation time passed in |
//! | `driver` | (feature `tokio`) the tokio driver that pumps any session over any transport |
//! | `issuer` | (feature `test-issuer`) a test issuer: test PKI, sample mDL, credential files |
//!
//! The links that carry a session (BLE, NFC, TCP) implement the traits of `mdl_transport`
//! ([`mdl_transport::Transport`], [`mdl_transport::Connect`], [`mdl_transport::Listen`]) in their
//! own crates; the engagement layer here turns an engagement into the
//! [`mdl_transport::Carrier`]s and [`mdl_transport::SessionBinding`] they take.
//!
//! The core performs no I/O, reads no clock and draws no randomness of its own: time, keys and
//! random bytes are arguments, so every run (and Annex D) is reproducible byte for byte. The
//! workspace's `clippy.toml` enforces it (`disallowed-methods`); the driver's clock reads are the
//! marked exceptions.
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
