//! BLE data retrieval for mdl-proximity (ISO/IEC 18013-5 2021 8.3.3.1.1, 2nd ed. 11.1).
//!
//! The protocol is sans-IO and needs no system library:
//! - [`profile`]: the role × mode matrix (who is GATT server, which UUIDs, who writes and who
//!   is notified) as data;
//! - [`chunk`]: the GATT message codec (chunks of `min(MTU − 3, 512)` bytes, `0x01` more /
//!   `0x00` last) and its reassembler;
//! - [`state`]: State values and the Ident check;
//! - [`connection`]: one side of a GATT link as a state machine (State protocol, Ident,
//!   chunking, deadlines given as arguments);
//! - [`l2cap`]: L2CAP CoC framing (4-byte big-endian length) and the PSM value.
//!
//! The radio backends drive it on BlueZ, behind cargo features that are never default:
//! `bluer` (GATT server + advertising, L2CAP sockets) and `btleplug` (GATT client). With both,
//! [`bluez`] offers the holder's [`mdl_transport::Listen`] and the reader's
//! [`mdl_transport::Connect`] for both modes.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chunk;
pub mod connection;
pub mod error;
pub mod l2cap;
pub mod profile;
pub mod state;

#[cfg(all(feature = "bluer", feature = "btleplug"))]
pub mod bluez;

pub use error::{BleError, Culprit};
