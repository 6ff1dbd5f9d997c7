//! Device engagement transports: NDEF messages and NFC Connection Handover (2021 8.2.2).
//!
//! The QR form (`mdoc:` URI) lives with the DeviceEngagement type in [`crate::msg`].

pub mod handover;
pub mod ndef;
