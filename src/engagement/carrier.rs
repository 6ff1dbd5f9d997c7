//! Carriers of data retrieval: as a QR engagement names them (2021 8.2.1.1
//! DeviceRetrievalMethods / 2nd ed. 9.1.1.2, with their options), as NFC handover names them
//! (carrier configuration records, 2021 8.2.2.2), and as links take them
//! ([`mdl_transport::Carrier`]) — with the conversions between the three (QR both ways; NFC
//! records to carriers with [`carriers_from_handover`], carriers to records with
//! [`carrier_record`]) and the one
//! [`select_carrier`] policy that QR, static and negotiated handover share (DESIGN §7b).

use mdl_transport::{
    BleAddress, BleCarrier, BleMode, Carrier, CarrierKind, NfcCarrier, TcpCarrier,
};

use crate::engagement::nfc::handover::{
    BleOob, HandoverMessage, LeRole, AD_COMPLETE_128_BIT_UUIDS, AD_LE_DEVICE_ADDRESS, AD_LE_ROLE,
    TYPE_BLE_OOB, TYPE_NFC_CARRIER,
};
use crate::engagement::nfc::ndef::{Record, Tnf};

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
    /// Type −10 (formerly −18224), version 1: the private TCP test transport of Multipaz /
    /// identity-credential (DESIGN §7).
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
    /// Method type of the private TCP test transport as Multipaz sends it today (DESIGN §7);
    /// what this engine sends.
    pub const TYPE_TCP: i64 = -10;
    /// The TCP test transport's older method type (identity-credential releases): accepted on
    /// receipt, never sent.
    pub const TYPE_TCP_LEGACY: i64 = -18224;
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
            // We do not retrieve over Wi-Fi Aware: options we cannot read must not sink an
            // engagement that also offers BLE or NFC (DESIGN §8), so they stay raw.
            Self::TYPE_WIFI_AWARE => match WifiAwareOptions::from_cbor(options.clone()) {
                Ok(o) => Self::WifiAware(o),
                Err(_) => Self::Unknown {
                    method_type,
                    version,
                    options,
                },
            },
            Self::TYPE_TCP | Self::TYPE_TCP_LEGACY => {
                Self::Tcp(TcpOptions::from_cbor(options).within("[2]")?)
            }
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

// ---- QR: DeviceRetrievalMethods <-> Carriers ---------------------------------------------------

/// The carriers a QR engagement's retrieval methods offer, in their order. A BLE method that
/// supports both modes gives two carriers (peripheral server first, as 2021 8.2.1.1 lists it);
/// Wi-Fi Aware and unknown methods give none (no link serves them).
pub fn carriers_from_methods(methods: &[DeviceRetrievalMethod]) -> Vec<Carrier> {
    let mut out = Vec::new();
    for method in methods {
        match method {
            DeviceRetrievalMethod::Ble(ble) => {
                let address = ble
                    .peripheral_server_address
                    .as_ref()
                    .and_then(|a| <[u8; 6]>::try_from(a.0.as_slice()).ok())
                    .map(BleAddress);
                if ble.peripheral_server_mode {
                    out.push(Carrier::Ble(BleCarrier {
                        mode: BleMode::PeripheralServer,
                        service_uuid: ble
                            .peripheral_server_uuid
                            .map(|u| mdl_transport::BleUuid(u.0)),
                        address,
                        psm: ble.l2cap_psm,
                    }));
                }
                if ble.central_client_mode {
                    out.push(Carrier::Ble(BleCarrier {
                        mode: BleMode::CentralClient,
                        service_uuid: ble.central_client_uuid.map(|u| mdl_transport::BleUuid(u.0)),
                        address: None,
                        psm: None,
                    }));
                }
            }
            DeviceRetrievalMethod::Nfc(nfc) => out.push(Carrier::Nfc(NfcCarrier {
                max_command: saturate_u32(nfc.max_command_data_length),
                max_response: saturate_u32(nfc.max_response_data_length),
            })),
            DeviceRetrievalMethod::Tcp(tcp) => out.push(Carrier::Tcp(TcpCarrier {
                host: tcp.host.clone(),
                port: tcp.port,
            })),
            DeviceRetrievalMethod::WifiAware(_) | DeviceRetrievalMethod::Unknown { .. } => {}
        }
    }
    out
}

fn saturate_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// The retrieval methods that offer `carriers` in a QR engagement: BLE carriers merge into one
/// BLE method (2021 8.2.1.1 has one BleOptions for both modes); the TCP test carrier is sent as
/// type −10.
pub fn methods_from_carriers(carriers: &[Carrier]) -> Vec<DeviceRetrievalMethod> {
    let mut out = Vec::new();
    let mut ble: Option<BleOptions> = None;
    for carrier in carriers {
        match carrier {
            Carrier::Ble(c) => {
                let o = ble.get_or_insert(BleOptions {
                    peripheral_server_mode: false,
                    central_client_mode: false,
                    peripheral_server_uuid: None,
                    central_client_uuid: None,
                    peripheral_server_address: None,
                    l2cap_psm: None,
                });
                let uuid = c.service_uuid.map(|u| BleUuid(u.0));
                match c.mode {
                    BleMode::PeripheralServer => {
                        o.peripheral_server_mode = true;
                        o.peripheral_server_uuid = uuid;
                        o.peripheral_server_address = c.address.map(|a| Bstr(a.0.to_vec()));
                        o.l2cap_psm = c.psm;
                    }
                    BleMode::CentralClient => {
                        o.central_client_mode = true;
                        o.central_client_uuid = uuid;
                    }
                }
            }
            Carrier::Nfc(c) => out.push(DeviceRetrievalMethod::Nfc(NfcOptions {
                max_command_data_length: u64::from(c.max_command),
                max_response_data_length: u64::from(c.max_response),
            })),
            Carrier::Tcp(c) => out.push(DeviceRetrievalMethod::Tcp(TcpOptions {
                host: c.host.clone(),
                port: c.port,
            })),
            // `Carrier` is non-exhaustive: a carrier kind QR cannot express is left out.
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
    if let Some(o) = ble {
        out.insert(0, DeviceRetrievalMethod::Ble(o));
    }
    out
}

// ---- NFC handover: carrier configuration records -> Carriers -----------------------------------

/// Service data AD type (Bluetooth CSS A.1.11), used by Multipaz since 2025-11 for the PSM.
pub const AD_SERVICE_DATA_16: u8 = 0x16;
/// The 16-bit service UUID `0xFF01` under which that service data carries `{0: psm}`.
pub const PSM_SERVICE_UUID_16: u16 = 0xFF01;
/// The private AD type 0x77 carrying the PSM as a uint32 (big-endian since 2025-09,
/// little-endian in 2024 releases of Multipaz).
pub const AD_PSM_LEGACY: u8 = 0x77;

/// The L2CAP PSM in a BLE OOB record, in any of the three forms of DESIGN §5.
pub fn ble_oob_psm(oob: &BleOob) -> Option<u16> {
    for (ad_type, data) in &oob.structures {
        match *ad_type {
            AD_SERVICE_DATA_16 if data.len() > 2 => {
                if u16::from_le_bytes([data[0], data[1]]) != PSM_SERVICE_UUID_16 {
                    continue;
                }
                let mut f = crate::cbor::from_slice::<Value>(&data[2..])
                    .ok()
                    .and_then(|v| Fields::new(v).ok())?;
                return f.required::<u16>(0).ok();
            }
            AD_PSM_LEGACY if data.len() == 4 => {
                let bytes = [data[0], data[1], data[2], data[3]];
                // The two releases differ in byte order; a PSM fits 16 bits, so the order that
                // gives a 16-bit value is the one used.
                let be = u32::from_be_bytes(bytes);
                let value = if be <= u32::from(u16::MAX) {
                    be
                } else {
                    u32::from_le_bytes(bytes)
                };
                return u16::try_from(value).ok();
            }
            _ => {}
        }
    }
    None
}

/// Default ENVELOPE limits when an NFC carrier record gives none (Annex D's Hr record is just
/// its version byte): short APDUs.
pub const NFC_DEFAULT_MAX_COMMAND: u32 = 255;
/// See [`NFC_DEFAULT_MAX_COMMAND`].
pub const NFC_DEFAULT_MAX_RESPONSE: u32 = 256;

/// Decodes an `iso.org:18013:nfc` carrier record payload (DESIGN §5): version `0x01`, then
/// L-T-V entries (L counts T and V), values big-endian, 1–3 bytes; T `01` max command data
/// length, T `02` max response data length. Unknown entries are skipped; a truncated entry or
/// another version is `None`.
pub fn nfc_carrier_from_record(payload: &[u8]) -> Option<NfcCarrier> {
    let (&version, mut rest) = payload.split_first()?;
    if version != 0x01 {
        return None;
    }
    let mut carrier = NfcCarrier {
        max_command: NFC_DEFAULT_MAX_COMMAND,
        max_response: NFC_DEFAULT_MAX_RESPONSE,
    };
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len);
        if len == 0 || tail.len() < len {
            return None;
        }
        let (entry, after) = tail.split_at(len);
        let value = entry[1..]
            .iter()
            .take(4)
            .fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
        match entry[0] {
            0x01 => carrier.max_command = value,
            0x02 => carrier.max_response = value,
            _ => {}
        }
        rest = after;
    }
    Some(carrier)
}

/// The carriers a Handover Select (or Request) names, in the order of its alternative carrier
/// records. A BLE record's LE role describes its sender: in an Hs, "peripheral only" is mdoc
/// peripheral server mode, "central only" mdoc central client mode, "both" gives both, the
/// preferred one first. The UUID (little-endian on the wire) is converted to display order; a
/// central client record without one (negotiated Hs) has `service_uuid: None`. Records this
/// engine cannot use (Wi-Fi Aware, undecodable) are skipped.
pub fn carriers_from_handover(message: &HandoverMessage) -> Vec<Carrier> {
    let mut out = Vec::new();
    for ac in &message.alternative_carriers {
        let Some(record) = message.record_by_id(&ac.carrier_data_reference) else {
            continue;
        };
        if record.is(Tnf::MEDIA, TYPE_BLE_OOB) {
            let Ok(oob) = BleOob::parse(&record.payload) else {
                continue;
            };
            let service_uuid = oob.service_uuid().map(mdl_transport::BleUuid);
            let address = oob.device_address().map(|(a, _)| BleAddress(a));
            let psm = ble_oob_psm(&oob);
            let peripheral = Carrier::Ble(BleCarrier {
                mode: BleMode::PeripheralServer,
                service_uuid,
                address,
                psm,
            });
            let central = Carrier::Ble(BleCarrier {
                mode: BleMode::CentralClient,
                service_uuid,
                address: None,
                psm: None,
            });
            match oob.role().unwrap_or(LeRole(0x00)).0 {
                0x00 => out.push(peripheral),
                0x01 => out.push(central),
                0x02 => out.extend([peripheral, central]),
                _ => out.extend([central, peripheral]),
            }
        } else if record.is(Tnf::EXTERNAL, TYPE_NFC_CARRIER) {
            if let Some(nfc) = nfc_carrier_from_record(&record.payload) {
                out.push(Carrier::Nfc(nfc));
            }
        }
    }
    out
}

/// The carrier configuration record that offers `carrier` in a Handover Select (or Request),
/// with record ID `id` (what its `ac` record references): a BLE OOB record (LE role of the
/// sender — peripheral only for mdoc peripheral server mode, central only for central client
/// mode —, the UUID little-endian, the address with type public, the PSM as service data
/// `0xFF01` `{0: psm}`, the newest form of DESIGN §5), or an NFC record (version 1, both limits
/// big-endian in 1–3 bytes). `None` for a carrier NFC handover cannot name (TCP).
pub fn carrier_record(carrier: &Carrier, id: &[u8]) -> Option<Record> {
    match carrier {
        Carrier::Ble(ble) => {
            let role = match ble.mode {
                BleMode::PeripheralServer => 0x00,
                BleMode::CentralClient => 0x01,
            };
            let mut structures = vec![(AD_LE_ROLE, vec![role])];
            if let Some(uuid) = ble.service_uuid {
                let mut le = uuid.0;
                le.reverse();
                structures.push((AD_COMPLETE_128_BIT_UUIDS, le.to_vec()));
            }
            if let Some(address) = ble.address {
                let mut le = address.0.to_vec();
                le.reverse();
                le.push(0x00); // address type: public
                structures.push((AD_LE_DEVICE_ADDRESS, le));
            }
            if let Some(psm) = ble.psm {
                let mut data = PSM_SERVICE_UUID_16.to_le_bytes().to_vec();
                data.extend(crate::cbor::to_vec(&Value::Map(vec![(
                    Value::Integer(0.into()),
                    Value::Integer(psm.into()),
                )])));
                structures.push((AD_SERVICE_DATA_16, data));
            }
            Some(Record::new(
                Tnf::MEDIA,
                TYPE_BLE_OOB,
                id,
                BleOob { structures }.encode(),
            ))
        }
        Carrier::Nfc(nfc) => {
            let mut payload = vec![0x01];
            for (t, v) in [(0x01u8, nfc.max_command), (0x02, nfc.max_response)] {
                let bytes = v.min(0x00FF_FFFF).to_be_bytes();
                let first = bytes[1..].iter().position(|&b| b != 0).unwrap_or(2) + 1;
                let value = &bytes[first..];
                // L counts T and V: at most 1 + 3.
                payload.push(u8::try_from(value.len() + 1).unwrap_or(4));
                payload.push(t);
                payload.extend_from_slice(value);
            }
            Some(Record::new(Tnf::EXTERNAL, TYPE_NFC_CARRIER, id, payload))
        }
        _ => None,
    }
}

// ---- the one selection policy ------------------------------------------------------------------

/// Picks the carrier to use from what the holder offered: the first offered carrier of the
/// most preferred kind in `preference` that `supports` accepts (a [`mdl_transport::Connect`]'s
/// `supports`). QR, static and negotiated handover all choose through this function.
pub fn select_carrier<'a>(
    offered: &'a [Carrier],
    preference: &[CarrierKind],
    supports: impl Fn(&Carrier) -> bool,
) -> Option<&'a Carrier> {
    preference
        .iter()
        .find_map(|kind| offered.iter().find(|c| c.kind() == *kind && supports(c)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod seam_tests {
    use super::*;
    use crate::msg::vectors::annex_d;
    use crate::msg::DeviceEngagement;

    fn uuid(b: u8) -> mdl_transport::BleUuid {
        mdl_transport::BleUuid([b; 16])
    }

    #[test]
    fn annex_d_qr_engagement_offers_ble_central_client_mode() {
        let de: DeviceEngagement =
            crate::cbor::from_slice(&annex_d("device_engagement_qr")).unwrap();
        let methods = de.device_retrieval_methods.unwrap();
        let carriers = carriers_from_methods(methods.as_slice());
        assert_eq!(carriers.len(), 1);
        let Carrier::Ble(ble) = &carriers[0] else {
            panic!("{carriers:?}")
        };
        assert_eq!(ble.mode, BleMode::CentralClient);
        assert!(ble.service_uuid.is_some());
    }

    #[test]
    fn carriers_survive_methods_and_back() {
        let carriers = vec![
            Carrier::Ble(BleCarrier {
                mode: BleMode::PeripheralServer,
                service_uuid: Some(uuid(1)),
                address: Some(BleAddress([1, 2, 3, 4, 5, 6])),
                psm: Some(0x0081),
            }),
            Carrier::Ble(BleCarrier {
                mode: BleMode::CentralClient,
                service_uuid: Some(uuid(2)),
                address: None,
                psm: None,
            }),
            Carrier::Nfc(NfcCarrier {
                max_command: 0xffff,
                max_response: 0x10000,
            }),
            Carrier::Tcp(TcpCarrier {
                host: "127.0.0.1".into(),
                port: 4000,
            }),
        ];
        let methods = methods_from_carriers(&carriers);
        assert_eq!(methods.len(), 3, "both BLE modes share one method");
        assert_eq!(carriers_from_methods(&methods), carriers);
    }

    #[test]
    fn tcp_is_sent_as_minus_10_and_both_types_are_accepted() {
        let method = DeviceRetrievalMethod::Tcp(TcpOptions {
            host: "h".into(),
            port: 1,
        });
        let value = method.to_cbor();
        let Value::Array(items) = &value else {
            panic!()
        };
        assert_eq!(items[0], Value::Integer((-10).into()));
        for t in [-10i64, -18224] {
            let v = Value::Array(vec![
                Value::Integer(t.into()),
                Value::Integer(1.into()),
                TcpOptions {
                    host: "h".into(),
                    port: 1,
                }
                .to_cbor(),
            ]);
            assert_eq!(
                DeviceRetrievalMethod::from_cbor(v).unwrap(),
                method,
                "type {t}"
            );
        }
    }

    #[test]
    fn annex_d_negotiated_hs_central_client_has_no_uuid() {
        let hs = HandoverMessage::parse(&annex_d("nfc_handover_select")).unwrap();
        let carriers = carriers_from_handover(&hs);
        let Some(Carrier::Ble(ble)) = carriers.first() else {
            panic!("{carriers:?}")
        };
        assert_eq!(ble.mode, BleMode::CentralClient);
        assert_eq!(ble.service_uuid, None);
        let hr = HandoverMessage::parse(&annex_d("nfc_handover_request")).unwrap();
        let from_hr = carriers_from_handover(&hr);
        assert!(from_hr
            .iter()
            .any(|c| matches!(c, Carrier::Ble(b) if b.service_uuid.is_some())));
        assert!(from_hr.iter().any(|c| matches!(
            c,
            Carrier::Nfc(n) if n.max_command == NFC_DEFAULT_MAX_COMMAND
        )));
    }

    fn oob(structures: Vec<(u8, Vec<u8>)>) -> BleOob {
        BleOob { structures }
    }

    #[test]
    fn psm_in_all_three_forms() {
        let cbor_psm = crate::cbor::to_vec(&Value::Map(vec![(
            Value::Integer(0.into()),
            Value::Integer(0x0083.into()),
        )]));
        let mut service = vec![0x01, 0xff];
        service.extend(cbor_psm);
        assert_eq!(ble_oob_psm(&oob(vec![(0x16, service)])), Some(0x0083));
        assert_eq!(
            ble_oob_psm(&oob(vec![(0x77, vec![0, 0, 0, 0x85])])),
            Some(0x85)
        );
        assert_eq!(
            ble_oob_psm(&oob(vec![(0x77, vec![0x87, 0, 0, 0])])),
            Some(0x87)
        );
        // Another 16-bit service UUID, a short 0x77, an absent PSM.
        assert_eq!(
            ble_oob_psm(&oob(vec![(0x16, vec![0x02, 0xff, 0xa0])])),
            None
        );
        assert_eq!(ble_oob_psm(&oob(vec![(0x77, vec![0, 0x85])])), None);
        assert_eq!(ble_oob_psm(&oob(vec![])), None);
    }

    #[test]
    fn nfc_record_limits_and_bad_records() {
        assert_eq!(
            nfc_carrier_from_record(&[0x01, 0x03, 0x01, 0xff, 0xff, 0x04, 0x02, 0x01, 0x00, 0x00]),
            Some(NfcCarrier {
                max_command: 0xffff,
                max_response: 0x10000
            })
        );
        assert_eq!(
            nfc_carrier_from_record(&[0x01]),
            Some(NfcCarrier {
                max_command: NFC_DEFAULT_MAX_COMMAND,
                max_response: NFC_DEFAULT_MAX_RESPONSE
            })
        );
        assert_eq!(nfc_carrier_from_record(&[]), None);
        assert_eq!(nfc_carrier_from_record(&[0x02]), None);
        assert_eq!(nfc_carrier_from_record(&[0x01, 0x05, 0x01, 0xff]), None);
        assert_eq!(nfc_carrier_from_record(&[0x01, 0x00]), None);
    }

    #[test]
    fn carrier_records_round_trip_through_a_handover_select() {
        use crate::engagement::nfc::handover::{
            AlternativeCarrier, CarrierPowerState, HandoverKind,
        };
        let carriers = vec![
            Carrier::Ble(BleCarrier {
                mode: BleMode::PeripheralServer,
                service_uuid: Some(uuid(7)),
                address: Some(BleAddress([1, 2, 3, 4, 5, 6])),
                psm: Some(0x0085),
            }),
            Carrier::Ble(BleCarrier {
                mode: BleMode::CentralClient,
                service_uuid: Some(uuid(8)),
                address: None,
                psm: None,
            }),
            Carrier::Nfc(NfcCarrier {
                max_command: 0xffff,
                max_response: 0x10000,
            }),
        ];
        let mut hs = HandoverMessage {
            kind: HandoverKind::Select,
            version: crate::engagement::nfc::handover::HANDOVER_VERSION_1_5,
            collision_random: None,
            alternative_carriers: vec![],
            records: vec![],
        };
        for (i, carrier) in carriers.iter().enumerate() {
            let id = format!("{i}").into_bytes();
            hs.records.push(carrier_record(carrier, &id).unwrap());
            hs.alternative_carriers.push(AlternativeCarrier {
                power_state: CarrierPowerState::ACTIVE,
                carrier_data_reference: id,
                auxiliary_data_references: vec![b"mdoc".to_vec()],
            });
        }
        let parsed = HandoverMessage::parse(&hs.encode()).unwrap();
        assert_eq!(carriers_from_handover(&parsed), carriers);
        // The NFC record is byte for byte what Multipaz sends (DESIGN §5).
        assert_eq!(
            hs.records[2].payload,
            [0x01, 0x03, 0x01, 0xff, 0xff, 0x04, 0x02, 0x01, 0x00, 0x00]
        );
        let tcp = Carrier::Tcp(TcpCarrier {
            host: "h".into(),
            port: 1,
        });
        assert!(carrier_record(&tcp, b"t").is_none());
    }

    #[test]
    fn selection_follows_preference_then_offer_order() {
        let offered = vec![
            Carrier::Tcp(TcpCarrier {
                host: "a".into(),
                port: 1,
            }),
            Carrier::Ble(BleCarrier {
                mode: BleMode::PeripheralServer,
                service_uuid: Some(uuid(1)),
                address: None,
                psm: None,
            }),
            Carrier::Ble(BleCarrier {
                mode: BleMode::CentralClient,
                service_uuid: Some(uuid(2)),
                address: None,
                psm: None,
            }),
        ];
        let all = |_: &Carrier| true;
        assert_eq!(
            select_carrier(&offered, &[CarrierKind::Ble, CarrierKind::Tcp], all),
            Some(&offered[1])
        );
        let central_only =
            |c: &Carrier| matches!(c, Carrier::Ble(b) if b.mode == BleMode::CentralClient);
        assert_eq!(
            select_carrier(&offered, &[CarrierKind::Ble], central_only),
            Some(&offered[2])
        );
        assert_eq!(select_carrier(&offered, &[CarrierKind::Nfc], all), None);
    }
}
