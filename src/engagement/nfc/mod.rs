//! NFC engagement (2021 8.2.2): NDEF messages and Connection Handover.

pub mod handover;
pub mod ndef;
