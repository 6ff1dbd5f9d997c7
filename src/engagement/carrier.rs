//! Carriers of data retrieval as the engagement names them (2021 8.2.1.1 DeviceRetrievalMethods
//! / 2nd ed. 9.1.1.2): the method types and their options.

use crate::cbor::{Bstr, CborCodec, DecodeError, Fields, MapBuilder, ResultExt, Value};
use crate::msg::engagement::fixed_array;

/// One way the reader can reach the mdoc for data retrieval (2021 8.2.1.1 / 2nd ed. 9.1.1.2).
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceRetrievalMethod {
    /// Type 1, version 1: NFC (2021 8.3.3.1.2).
    Nfc(NfcOptions),
    /// Type 2, version 1: Bluetooth Low Energy (2021 8.3.3.1.1).
    Ble(BleOptions),
    /// Type 3, version 1: Wi-Fi Aware (2021 8.3.3.1.3).
    WifiAware(WifiAwareOptions),
    /// Type -18224, version 1: the private TCP test transport of the identity-credential
    /// libraries (DESIGN §7).
    Tcp(TcpOptions),
    /// A type (or a version of a known type) we do not know, kept as received.
    Unknown {
        /// The method type.
        method_type: i64,
        /// The method version.
        version: u64,
        /// The options, raw.
        options: Value,
    },
}

impl DeviceRetrievalMethod {
    /// Method type of NFC.
    pub const TYPE_NFC: i64 = 1;
    /// Method type of BLE.
    pub const TYPE_BLE: i64 = 2;
    /// Method type of Wi-Fi Aware.
    pub const TYPE_WIFI_AWARE: i64 = 3;
    /// Method type of the private TCP transport (identity-credential's test tools).
    pub const TYPE_TCP: i64 = -18224;
    /// The only method version defined.
    pub const VERSION_1: u64 = 1;

    /// The method type.
    pub fn method_type(&self) -> i64 {
        match self {
            Self::Nfc(_) => Self::TYPE_NFC,
            Self::Ble(_) => Self::TYPE_BLE,
            Self::WifiAware(_) => Self::TYPE_WIFI_AWARE,
            Self::Tcp(_) => Self::TYPE_TCP,
            Self::Unknown { method_type, .. } => *method_type,
        }
    }
}

impl CborCodec for DeviceRetrievalMethod {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let [t, v, options] = fixed_array::<3>(value)?;
        let method_type = i64::from_cbor(t).within("[0]")?;
        let version = u64::from_cbor(v).within("[1]")?;
        if version != Self::VERSION_1 {
            return Ok(Self::Unknown {
                method_type,
                version,
                options,
            });
        }
        Ok(match method_type {
            Self::TYPE_NFC => Self::Nfc(NfcOptions::from_cbor(options).within("[2]")?),
            Self::TYPE_BLE => Self::Ble(BleOptions::from_cbor(options).within("[2]")?),
            Self::TYPE_WIFI_AWARE => {
                Self::WifiAware(WifiAwareOptions::from_cbor(options).within("[2]")?)
            }
            Self::TYPE_TCP => Self::Tcp(TcpOptions::from_cbor(options).within("[2]")?),
            _ => Self::Unknown {
                method_type,
                version,
                options,
            },
        })
    }

    fn to_cbor(&self) -> Value {
        let (version, options) = match self {
            Self::Nfc(o) => (Self::VERSION_1, o.to_cbor()),
            Self::Ble(o) => (Self::VERSION_1, o.to_cbor()),
            Self::WifiAware(o) => (Self::VERSION_1, o.to_cbor()),
            Self::Tcp(o) => (Self::VERSION_1, o.to_cbor()),
            Self::Unknown {
                version, options, ..
            } => (*version, options.clone()),
        };
        Value::Array(vec![
            self.method_type().to_cbor(),
            version.to_cbor(),
            options,
        ])
    }
}

/// NFC options (2021 8.2.1.1 NfcOptions): the mdoc's data-field limits for ENVELOPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NfcOptions {
    /// Key 0: maximum length of the command data field.
    pub max_command_data_length: u64,
    /// Key 1: maximum length of the response data field.
    pub max_response_data_length: u64,
}

impl CborCodec for NfcOptions {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            max_command_data_length: f.required(0)?,
            max_response_data_length: f.required(1)?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field(0, &self.max_command_data_length)
            .field(1, &self.max_response_data_length)
            .build()
    }
}

/// A 128-bit BLE service UUID, big-endian as written in the engagement (2021 8.2.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BleUuid(pub [u8; 16]);

impl CborCodec for BleUuid {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let b = Bstr::from_cbor(value)?.0;
        let len = b.len();
        b.try_into()
            .map(Self)
            .map_err(|_| DecodeError::invalid(format!("UUID of {len} bytes, expected 16")))
    }

    fn to_cbor(&self) -> Value {
        Value::Bytes(self.0.to_vec())
    }
}

/// BLE options (2021 8.2.1.1 BleOptions; 2nd ed. adds the L2CAP PSM).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BleOptions {
    /// Key 0: mdoc peripheral server mode supported.
    pub peripheral_server_mode: bool,
    /// Key 1: mdoc central client mode supported.
    pub central_client_mode: bool,
    /// Key 10: service UUID for peripheral server mode.
    pub peripheral_server_uuid: Option<BleUuid>,
    /// Key 11: service UUID for central client mode.
    pub central_client_uuid: Option<BleUuid>,
    /// Key 20: the mdoc's BLE device address (peripheral server mode).
    pub peripheral_server_address: Option<Bstr>,
    /// Key 21: L2CAP PSM (peripheral server mode).
    pub l2cap_psm: Option<u16>,
}

impl BleOptions {
    /// Key of `peripheral_server_mode`.
    pub const KEY_PERIPHERAL_SERVER_MODE: i64 = 0;
    /// Key of `central_client_mode`.
    pub const KEY_CENTRAL_CLIENT_MODE: i64 = 1;
    /// Key of `peripheral_server_uuid`.
    pub const KEY_PERIPHERAL_SERVER_UUID: i64 = 10;
    /// Key of `central_client_uuid`.
    pub const KEY_CENTRAL_CLIENT_UUID: i64 = 11;
    /// Key of `peripheral_server_address`.
    pub const KEY_PERIPHERAL_SERVER_ADDRESS: i64 = 20;
    /// Key of `l2cap_psm`.
    pub const KEY_L2CAP_PSM: i64 = 21;
}

impl CborCodec for BleOptions {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            peripheral_server_mode: f.required(Self::KEY_PERIPHERAL_SERVER_MODE)?,
            central_client_mode: f.required(Self::KEY_CENTRAL_CLIENT_MODE)?,
            peripheral_server_uuid: f.optional(Self::KEY_PERIPHERAL_SERVER_UUID)?,
            central_client_uuid: f.optional(Self::KEY_CENTRAL_CLIENT_UUID)?,
            peripheral_server_address: f.optional(Self::KEY_PERIPHERAL_SERVER_ADDRESS)?,
            l2cap_psm: f.optional(Self::KEY_L2CAP_PSM)?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field(
                Self::KEY_PERIPHERAL_SERVER_MODE,
                &self.peripheral_server_mode,
            )
            .field(Self::KEY_CENTRAL_CLIENT_MODE, &self.central_client_mode)
            .optional(
                Self::KEY_PERIPHERAL_SERVER_UUID,
                self.peripheral_server_uuid.as_ref(),
            )
            .optional(
                Self::KEY_CENTRAL_CLIENT_UUID,
                self.central_client_uuid.as_ref(),
            )
            .optional(
                Self::KEY_PERIPHERAL_SERVER_ADDRESS,
                self.peripheral_server_address.as_ref(),
            )
            .optional(Self::KEY_L2CAP_PSM, self.l2cap_psm.as_ref())
            .build()
    }
}

/// Wi-Fi Aware options (2021 8.2.1.1 WifiOptions).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WifiAwareOptions {
    /// Key 0: pass-phrase info pass-phrase.
    pub passphrase: Option<String>,
    /// Key 1: channel info operating class.
    pub channel_operating_class: Option<u64>,
    /// Key 2: channel info channel number.
    pub channel_number: Option<u64>,
    /// Key 3: band info supported bands (bit field).
    pub supported_bands: Option<Bstr>,
}

impl CborCodec for WifiAwareOptions {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            passphrase: f.optional(0)?,
            channel_operating_class: f.optional(1)?,
            channel_number: f.optional(2)?,
            supported_bands: f.optional(3)?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .optional(0, self.passphrase.as_ref())
            .optional(1, self.channel_operating_class.as_ref())
            .optional(2, self.channel_number.as_ref())
            .optional(3, self.supported_bands.as_ref())
            .build()
    }
}

/// TCP options of the private test transport (DESIGN §7): where the mdoc listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpOptions {
    /// Key 0: host name or address.
    pub host: String,
    /// Key 1: port.
    pub port: u16,
}

impl CborCodec for TcpOptions {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            host: f.required(0)?,
            port: f.required(1)?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field(0, &self.host)
            .field(1, &self.port)
            .build()
    }
}
