//! Carriers as data: how a reader can reach a holder for data retrieval (DESIGN.md §7b).
//!
//! A [`Carrier`] is what the engagement offers, whatever the engagement kind: the core builds
//! the same values from a QR DeviceEngagement's DeviceRetrievalMethods (2021 8.2.1.1) and from
//! an NFC handover's carrier records (2021 8.2.2). Links ([`crate::Connect`], [`crate::Listen`])
//! take them as they are; they never parse an engagement themselves.

/// A 128-bit BLE service UUID in the big-endian (display) order the engagement's CBOR uses
/// (2021 8.2.1.1). NFC handover's BLE OOB record writes it little-endian: converting is the
/// engagement layer's job, never a link's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BleUuid(pub [u8; 16]);

/// A 48-bit Bluetooth device address in display order (most significant byte first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BleAddress(pub [u8; 6]);

/// Which side of 18013-5's BLE data retrieval is GATT server (2021 8.3.3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BleMode {
    /// mdoc peripheral server mode: the holder advertises and is the GATT server.
    PeripheralServer,
    /// mdoc central client mode: the reader advertises and is the GATT server (with Ident).
    CentralClient,
}

/// A BLE carrier in one mode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BleCarrier {
    /// Which side is GATT server.
    pub mode: BleMode,
    /// The service UUID to advertise or scan for. `None` only on receipt of a negotiated Hs in
    /// central client mode, which carries no UUID: the reader uses the one of its own Hr
    /// (DESIGN.md §5).
    pub service_uuid: Option<BleUuid>,
    /// The peripheral's device address, when the engagement gave one.
    pub address: Option<BleAddress>,
    /// The L2CAP CoC PSM, when the peripheral offers L2CAP (2nd ed.; engagement key 21).
    pub psm: Option<u16>,
}

/// An NFC data-retrieval carrier: the mdoc's ENVELOPE data-field limits (2021 8.2.1.1
/// NfcOptions; handover record `iso.org:18013:nfc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NfcCarrier {
    /// Largest command data field the mdoc accepts, in bytes.
    pub max_command: u32,
    /// Largest response data field the mdoc sends, in bytes.
    pub max_response: u32,
}

/// The private TCP test carrier (DESIGN.md §7: method type −10, formerly −18224).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TcpCarrier {
    /// Host name or address the holder listens on.
    pub host: String,
    /// Port the holder listens on.
    pub port: u16,
}

/// One way to carry the session, as offered in an engagement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Carrier {
    /// Bluetooth Low Energy, in one mode.
    Ble(BleCarrier),
    /// NFC (ENVELOPE / GET RESPONSE on the field that did the engagement).
    Nfc(NfcCarrier),
    /// The TCP test transport.
    Tcp(TcpCarrier),
}

impl Carrier {
    /// The kind of carrier, for preference lists and messages.
    pub fn kind(&self) -> CarrierKind {
        match self {
            Self::Ble(_) => CarrierKind::Ble,
            Self::Nfc(_) => CarrierKind::Nfc,
            Self::Tcp(_) => CarrierKind::Tcp,
        }
    }
}

/// The kinds of [`Carrier`], without their parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CarrierKind {
    /// Bluetooth Low Energy.
    Ble,
    /// NFC.
    Nfc,
    /// The TCP test transport.
    Tcp,
}

/// What a link must serve or check for this session, computed by the core from the
/// engagement (never by the link).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionBinding {
    /// BLE Ident (2021 8.3.3.1.1.3): HKDF-SHA256 of EDeviceKeyBytes, "BLEIdent", 16 bytes.
    /// A reader in central client mode serves it; a holder in central client mode reads and
    /// compares it, and ends the session on a mismatch.
    pub ble_ident: [u8; 16],
}
