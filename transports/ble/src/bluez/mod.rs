//! BLE data retrieval on BlueZ (features `bluer` + `btleplug`): the holder's [`BleHolder`]
//! ([`mdl_transport::Listen`]) and the reader's [`BleReader`] ([`mdl_transport::Connect`]),
//! both modes, GATT or L2CAP, producing a [`BleLink`] ([`mdl_transport::Transport`]).
//!
//! | | mdoc peripheral server mode | mdoc central client mode |
//! |---|---|---|
//! | holder | bluer GATT server + advertising (and an L2CAP listener with `l2cap`) | btleplug: scan, connect, read Ident, subscribe, write |
//! | reader | btleplug: scan, connect, subscribe, write (or bluer L2CAP when the engagement has a PSM) | bluer GATT server with Ident + advertising |
//!
//! Adapters are chosen by name ([`BleConfig::adapter`], e.g. `hci0`); the system bus is the one
//! `DBUS_SYSTEM_BUS_ADDRESS` names (libdbus's default otherwise). Every wait has a deadline from
//! [`BleConfig`]; every failure is a typed [`BleError`](crate::BleError).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

mod adapter;
mod client;
mod holder;
mod l2cap_link;
mod link;
mod reader;
mod server;
mod uuid;

pub use holder::BleHolder;
pub use link::{BleLink, LinkStats};
pub use reader::BleReader;
pub use uuid::random_service_uuid;

/// Settings of a [`BleHolder`] or [`BleReader`].
#[derive(Clone)]
pub struct BleConfig {
    /// The adapter by name (`hci0`); `None` takes BlueZ's first adapter.
    pub adapter: Option<String>,
    /// How long a central scans for the peer's service UUID before giving up.
    pub scan_timeout: Duration,
    /// How long connecting and service discovery may take.
    pub connect_timeout: Duration,
    /// How long a GATT server waits for the connected client's State `0x01`.
    pub start_timeout: Duration,
    /// Largest message accepted from the peer.
    pub max_message_size: usize,
    /// Offer (holder) or use (reader) L2CAP connection-oriented channels when the other side
    /// offers them (2nd ed. 11.1.3.3).
    pub l2cap: bool,
    /// Called with bytes received so far (and the total when the transport knows it, as L2CAP
    /// does) while a long message arrives.
    pub progress: Option<ProgressFn>,
}

/// A progress callback: `(bytes received so far, total if known)`.
pub type ProgressFn = Arc<dyn Fn(usize, Option<usize>) + Send + Sync>;

impl Default for BleConfig {
    fn default() -> Self {
        Self {
            adapter: None,
            scan_timeout: Duration::from_secs(20),
            connect_timeout: Duration::from_secs(15),
            start_timeout: Duration::from_secs(10),
            max_message_size: crate::chunk::DEFAULT_MAX_MESSAGE_SIZE,
            l2cap: false,
            progress: None,
        }
    }
}

impl fmt::Debug for BleConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BleConfig")
            .field("adapter", &self.adapter)
            .field("scan_timeout", &self.scan_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("start_timeout", &self.start_timeout)
            .field("max_message_size", &self.max_message_size)
            .field("l2cap", &self.l2cap)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl BleConfig {
    /// The default settings on the adapter named `name`.
    pub fn on_adapter(name: impl Into<String>) -> Self {
        Self {
            adapter: Some(name.into()),
            ..Self::default()
        }
    }

    pub(crate) fn gatt(&self) -> crate::connection::GattConfig {
        crate::connection::GattConfig {
            max_message_size: self.max_message_size,
            start_timeout: self.start_timeout,
        }
    }
}
