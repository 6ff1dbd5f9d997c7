//! Device engagement (2021 8.2.1.1 / 2nd ed. 9.1.1): the holder's ephemeral key and how to
//! reach it, shown as a QR code or sent in an NFC Handover Select.
//!
//! ```cddl
//! DeviceEngagement = {0: tstr, 1: Security, ?2: DeviceRetrievalMethods,
//!                     ?5: OriginInfos, ?6: Capabilities, * int => any}
//! Security = [int, EDeviceKeyBytes]
//! DeviceRetrievalMethod = [type: int, version: uint, options]
//! ```

use base64::Engine as _;

use crate::cbor::{
    Bstr, CborCodec, DecodeError, Fields, MapBuilder, NonEmpty, ResultExt, Tag24, Value,
};
use crate::crypto::CoseKey;

use super::Version;

/// `#6.24(bstr .cbor DeviceEngagement)`: the engagement as received, which the SessionTranscript
/// embeds byte for byte (2021 9.1.5.1).
pub type DeviceEngagementBytes = Tag24<DeviceEngagement>;

/// The URI scheme prefix of a QR engagement (2021 8.2.2.3).
pub const QR_URI_PREFIX: &str = "mdoc:";

/// A device engagement.
///
/// The version is not stored: it follows from the content (2nd ed. 9.1.1.1): "1.1" when
/// OriginInfos (5) or Capabilities (6) are present, "1.0" otherwise. A received "1.0" carrying
/// key 5 is accepted (DESIGN §8).
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceEngagement {
    /// Key 1: cipher suite and EDeviceKeyBytes.
    pub security: Security,
    /// Key 2: how the reader can connect (absent in an NFC-handover engagement, where the
    /// carriers are NDEF records).
    pub device_retrieval_methods: Option<NonEmpty<DeviceRetrievalMethod>>,
    /// Key 5 (1.1): where the engagement came from.
    pub origin_infos: Option<Vec<OriginInfo>>,
    /// Key 6 (1.1): optional features the mdoc supports.
    pub capabilities: Option<Capabilities>,
}

impl DeviceEngagement {
    /// Map key of the version.
    pub const KEY_VERSION: i64 = 0;
    /// Map key of [`Security`].
    pub const KEY_SECURITY: i64 = 1;
    /// Map key of the retrieval methods.
    pub const KEY_DEVICE_RETRIEVAL_METHODS: i64 = 2;
    /// Map key of the origin infos.
    pub const KEY_ORIGIN_INFOS: i64 = 5;
    /// Map key of the capabilities.
    pub const KEY_CAPABILITIES: i64 = 6;

    /// The version this engagement is sent as: "1.1" iff key 5 or 6 is present.
    pub fn version(&self) -> Version {
        if self.origin_infos.is_some() || self.capabilities.is_some() {
            Version::v1_1()
        } else {
            Version::v1_0()
        }
    }

    /// The QR payload: `mdoc:` + base64url without padding of the encoded engagement.
    pub fn to_qr_uri(&self) -> String {
        qr_uri(&Tag24::new(self.clone()))
    }
}

/// The QR payload of an engagement, from its stored bytes.
pub fn qr_uri(engagement: &DeviceEngagementBytes) -> String {
    let mut uri = QR_URI_PREFIX.to_owned();
    uri.push_str(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(engagement.inner_bytes()));
    uri
}

/// Decodes a scanned QR payload, keeping the engagement bytes exactly as encoded in it.
pub fn from_qr_uri(uri: &str) -> Result<DeviceEngagementBytes, DecodeError> {
    let b64 = uri.strip_prefix(QR_URI_PREFIX).ok_or_else(|| DecodeError::invalid("QR payload lacks the mdoc: prefix"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64)
        .map_err(|_| DecodeError::invalid("QR payload is not base64url without padding"))?;
    Tag24::from_bytes(bytes)
}

impl CborCodec for DeviceEngagement {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        let _version: Version = f.required(Self::KEY_VERSION)?;
        let security = f.required(Self::KEY_SECURITY)?;
        let device_retrieval_methods = f.optional(Self::KEY_DEVICE_RETRIEVAL_METHODS)?;
        let origin_infos = f.optional(Self::KEY_ORIGIN_INFOS)?;
        let capabilities = f.optional(Self::KEY_CAPABILITIES)?;
        Ok(Self { security, device_retrieval_methods, origin_infos, capabilities })
    }

    fn to_cbor(&self) -> Value {
        // 2nd ed. 9.1.1.1: key 5 is present whenever key 6 is.
        let origin_infos = match (&self.origin_infos, &self.capabilities) {
            (None, Some(_)) => Some(Vec::new()),
            (o, _) => o.clone(),
        };
        MapBuilder::new()
            .field(Self::KEY_VERSION, &self.version())
            .field(Self::KEY_SECURITY, &self.security)
            .optional(Self::KEY_DEVICE_RETRIEVAL_METHODS, self.device_retrieval_methods.as_ref())
            .optional(Self::KEY_ORIGIN_INFOS, origin_infos.as_ref())
            .optional(Self::KEY_CAPABILITIES, self.capabilities.as_ref())
            .build()
    }
}

/// `Security = [cipher suite, EDeviceKeyBytes]` (2021 8.2.1.1, 9.1.5.2).
#[derive(Debug, Clone, PartialEq)]
pub struct Security {
    /// The cipher suite identifier; 18013-5 defines only [`Security::CIPHER_SUITE_1`].
    pub cipher_suite: i64,
    /// `#6.24(bstr .cbor COSE_Key)`: the mdoc's ephemeral key, bytes kept as received (they are
    /// the IKM of the BLE Ident, 2021 8.3.3.1.1.4).
    pub e_device_key: Tag24<CoseKey>,
}

impl Security {
    /// Cipher suite 1 (2021 9.1.5.2): ECDH + HKDF-SHA256 + AES-256-GCM.
    pub const CIPHER_SUITE_1: i64 = 1;

    /// Cipher suite 1 with the given ephemeral device key.
    pub fn new(e_device_key: CoseKey) -> Self {
        Self { cipher_suite: Self::CIPHER_SUITE_1, e_device_key: Tag24::new(e_device_key) }
    }
}

impl CborCodec for Security {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let [suite, key] = fixed_array::<2>(value)?;
        Ok(Self {
            cipher_suite: i64::from_cbor(suite).within("[0]")?,
            e_device_key: Tag24::from_cbor(key).within("[1]")?,
        })
    }

    fn to_cbor(&self) -> Value {
        Value::Array(vec![self.cipher_suite.to_cbor(), self.e_device_key.to_cbor()])
    }
}

/// Takes an array of exactly `N` items.
pub(crate) fn fixed_array<const N: usize>(value: Value) -> Result<[Value; N], DecodeError> {
    match value {
        Value::Array(items) => {
            let len = items.len();
            items.try_into().map_err(|_| DecodeError::invalid(format!("array of {len} items, expected {N}")))
        }
        other => Err(DecodeError::wrong_type("array", &other)),
    }
}

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
            return Ok(Self::Unknown { method_type, version, options });
        }
        Ok(match method_type {
            Self::TYPE_NFC => Self::Nfc(NfcOptions::from_cbor(options).within("[2]")?),
            Self::TYPE_BLE => Self::Ble(BleOptions::from_cbor(options).within("[2]")?),
            Self::TYPE_WIFI_AWARE => Self::WifiAware(WifiAwareOptions::from_cbor(options).within("[2]")?),
            Self::TYPE_TCP => Self::Tcp(TcpOptions::from_cbor(options).within("[2]")?),
            _ => Self::Unknown { method_type, version, options },
        })
    }

    fn to_cbor(&self) -> Value {
        let (version, options) = match self {
            Self::Nfc(o) => (Self::VERSION_1, o.to_cbor()),
            Self::Ble(o) => (Self::VERSION_1, o.to_cbor()),
            Self::WifiAware(o) => (Self::VERSION_1, o.to_cbor()),
            Self::Tcp(o) => (Self::VERSION_1, o.to_cbor()),
            Self::Unknown { version, options, .. } => (*version, options.clone()),
        };
        Value::Array(vec![self.method_type().to_cbor(), version.to_cbor(), options])
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
        Ok(Self { max_command_data_length: f.required(0)?, max_response_data_length: f.required(1)? })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new().field(0, &self.max_command_data_length).field(1, &self.max_response_data_length).build()
    }
}

/// A 128-bit BLE service UUID, big-endian as written in the engagement (2021 8.2.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BleUuid(pub [u8; 16]);

impl CborCodec for BleUuid {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let b = Bstr::from_cbor(value)?.0;
        let len = b.len();
        b.try_into().map(Self).map_err(|_| DecodeError::invalid(format!("UUID of {len} bytes, expected 16")))
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
            .field(Self::KEY_PERIPHERAL_SERVER_MODE, &self.peripheral_server_mode)
            .field(Self::KEY_CENTRAL_CLIENT_MODE, &self.central_client_mode)
            .optional(Self::KEY_PERIPHERAL_SERVER_UUID, self.peripheral_server_uuid.as_ref())
            .optional(Self::KEY_CENTRAL_CLIENT_UUID, self.central_client_uuid.as_ref())
            .optional(Self::KEY_PERIPHERAL_SERVER_ADDRESS, self.peripheral_server_address.as_ref())
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
        Ok(Self { host: f.required(0)?, port: f.required(1)? })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new().field(0, &self.host).field(1, &self.port).build()
    }
}

/// An OriginInfo (2021 Amd. / 2nd ed. 9.1.1.1): `{"cat": uint, "type": uint, "details": any}`.
#[derive(Debug, Clone, PartialEq)]
pub struct OriginInfo {
    /// `cat`: [`OriginInfo::CAT_DELIVERY`] or [`OriginInfo::CAT_RECEIVE`].
    pub cat: u64,
    /// `type`: the kind of origin (for example [`OriginInfo::TYPE_WEBSITE`]).
    pub origin_type: u64,
    /// `details`: type-specific, kept as received.
    pub details: Value,
}

impl OriginInfo {
    /// Category: the engagement was delivered through this origin.
    pub const CAT_DELIVERY: u64 = 0;
    /// Category: the engagement was received from this origin.
    pub const CAT_RECEIVE: u64 = 1;
    /// Type: a website (details: its base URL).
    pub const TYPE_WEBSITE: u64 = 1;
}

impl CborCodec for OriginInfo {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self { cat: f.required("cat")?, origin_type: f.required("type")?, details: f.required("details")? })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("cat", &self.cat)
            .field("type", &self.origin_type)
            .field("details", &self.details)
            .build()
    }
}

/// Capabilities (2nd ed. 9.1.1.1): optional features of the mdoc.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Key 2: HandoverSessionEstablishmentSupport.
    pub handover_session_establishment: Option<bool>,
    /// Key 3: ReaderAuthAllSupport.
    pub reader_auth_all: Option<bool>,
    /// Key 4: ExtendedRequestSupport (DeviceRequest 1.1).
    pub extended_request: Option<bool>,
}

impl CborCodec for Capabilities {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            handover_session_establishment: f.optional(2)?,
            reader_auth_all: f.optional(3)?,
            extended_request: f.optional(4)?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .optional(2, self.handover_session_establishment.as_ref())
            .optional(3, self.reader_auth_all.as_ref())
            .optional(4, self.extended_request.as_ref())
            .build()
    }
}

/// Decodes raw DeviceEngagement bytes (the NFC `iso.org:18013:deviceengagement` record payload),
/// keeping them.
pub fn device_engagement_from_raw(bytes: Vec<u8>) -> Result<DeviceEngagementBytes, DecodeError> {
    Tag24::from_bytes(bytes)
}
