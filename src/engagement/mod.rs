//! Device engagement: how the holder's DeviceEngagement and its carriers reach the reader.
//!
//! - [`qr`]: the `mdoc:` URI of a QR engagement (2021 8.2.2.3).
//! - [`carrier`]: the carriers an engagement offers (DeviceRetrievalMethods and their options).
//! - [`nfc`]: NDEF messages and NFC Connection Handover (2021 8.2.2).
//! - [`Engagement`]: the one value an engagement yields (DeviceEngagement bytes, Handover, offered
//!   carriers) that sessions and links take, and the [`SessionBinding`](mdl_transport::SessionBinding)
//!   computed from it.

pub mod carrier;
pub mod nfc;
pub mod qr;
mod value;

pub use carrier::select_carrier;
pub use value::{Engagement, EngagementError};
