//! NFC for mdl-proximity: engagement by a Type 4 Tag tap (static and negotiated handover) and
//! NFC data retrieval (ENVELOPE / GET RESPONSE), ISO/IEC 18013-5 2021 8.2.2 and 8.3.3.1.2
//! (DESIGN.md §5, §6, §7b).
//!
//! - Sans-IO core: [`apdu`] (C-/R-APDU codec), [`tlv`] (tag `53`), [`envelope`] (message ↔
//!   APDU chains), [`tag`] (CC, TNEP records), [`carriers`] (handover carrier records ↔
//!   [`mdl_transport::Carrier`]), [`card::TagEmulator`] (holder) and [`poller::TagPoller`]
//!   (reader), [`trace`] (the `apdu.log` format and its annotator).
//! - Drivers: [`reader`] runs the poller and the data transfer over any blocking
//!   [`reader::ApduChannel`] on its own thread, giving a [`mdl_transport::Transport`];
//!   [`holder`] serves a [`card::TagEmulator`] over any blocking [`holder::CardLink`].
//! - Backends behind features, never default: `pcsc` (reader over PC/SC) and `vpcd` (holder as
//!   a vsmartcard virtual card).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod apdu;
pub mod card;
pub mod carriers;
pub mod envelope;
pub mod holder;
pub mod poller;
pub mod reader;
pub mod tag;
pub mod tlv;
pub mod trace;

#[cfg(feature = "pcsc")]
pub mod pcsc;
#[cfg(feature = "vpcd")]
pub mod vpcd;
