//! Carriers as handover records (2021 8.2.2.2, DESIGN §5): the NFC carrier record
//! `iso.org:18013:nfc` with its L-T-V payload and the BLE OOB record, to and from the seam's
//! [`Carrier`] values, plus the carriers a DeviceEngagement lists itself (the TCP test method
//! travels there: it has no handover record).

use mdl_proximity::engagement::carrier::DeviceRetrievalMethod;
use mdl_proximity::engagement::nfc::handover::{
    AlternativeCarrier, BleOob, CarrierPowerState, HandoverMessage as Handover, LeRole,
    AD_COMPLETE_128_BIT_UUIDS, AD_LE_DEVICE_ADDRESS, AD_LE_ROLE, TYPE_BLE_OOB, TYPE_NFC_CARRIER,
};
use mdl_proximity::engagement::nfc::ndef::{Record, Tnf};
use mdl_proximity::msg::DeviceEngagement;
use mdl_transport::{BleAddress, BleCarrier, BleMode, BleUuid, Carrier, NfcCarrier, TcpCarrier};

/// Record id of the BLE carrier configuration (DESIGN §5).
pub const RECORD_ID_BLE: &[u8] = b"0";
/// Record id of the NFC carrier configuration.
pub const RECORD_ID_NFC: &[u8] = b"nfc";
/// Auxiliary data reference of the DeviceEngagement record in an Hs.
pub const RECORD_ID_MDOC: &[u8] = b"mdoc";
/// Record id of the ReaderEngagement record in an Hr (2nd ed.).
pub const RECORD_ID_MDOC_READER: &[u8] = b"mdocreader";
/// NFC carrier record payload version (`0x01`).
pub const NFC_RECORD_VERSION: u8 = 0x01;
/// NFC carrier record entry type: maximum command data length.
pub const NFC_MAX_COMMAND: u8 = 0x01;
/// NFC carrier record entry type: maximum response data length.
pub const NFC_MAX_RESPONSE: u8 = 0x02;
/// AD type: service data with a 16-bit UUID (carries the PSM, newest form).
pub const AD_SERVICE_DATA_16: u8 = 0x16;
/// 16-bit service UUID `FF01` of the PSM service data (little-endian on the wire).
pub const PSM_SERVICE_UUID: u16 = 0xFF01;
/// AD type `0x77`: the older PSM forms (uint32, either byte order).
pub const AD_PSM_LEGACY: u8 = 0x77;

/// Who wrote a handover message: the LE role byte describes the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// The mdoc (Hs).
    Mdoc,
    /// The reader (Hr).
    Reader,
}

/// The NFC carrier record (payload `01` then L-T-V entries, big-endian values).
pub fn nfc_record(carrier: &NfcCarrier) -> Record {
    let mut payload = vec![NFC_RECORD_VERSION];
    for (t, v) in [
        (NFC_MAX_COMMAND, carrier.max_command),
        (NFC_MAX_RESPONSE, carrier.max_response),
    ] {
        let bytes = v.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count().min(3);
        let value = &bytes[skip..];
        payload.push(value.len() as u8 + 1);
        payload.push(t);
        payload.extend_from_slice(value);
    }
    Record::new(Tnf::EXTERNAL, TYPE_NFC_CARRIER, RECORD_ID_NFC, payload)
}

/// Reads an NFC carrier record payload. Absent entries (Annex D's Hr sends just `01`) mean
/// short APDUs: 255 command bytes, 256 response bytes. `None` when malformed.
pub fn parse_nfc_record(payload: &[u8]) -> Option<NfcCarrier> {
    let (&version, mut rest) = payload.split_first()?;
    if version != NFC_RECORD_VERSION {
        return None;
    }
    let mut carrier = NfcCarrier {
        max_command: 255,
        max_response: 256,
    };
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len);
        let entry = tail.get(..len)?;
        rest = &tail[len..];
        let Some((&t, value)) = entry.split_first() else {
            continue;
        };
        if value.is_empty() || value.len() > 4 {
            return None;
        }
        let v = value.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
        match t {
            NFC_MAX_COMMAND => carrier.max_command = v,
            NFC_MAX_RESPONSE => carrier.max_response = v,
            _ => {}
        }
    }
    Some(carrier)
}

/// One BLE OOB record for the BLE carriers of one message (one mode, or both sharing one UUID
/// as a static Hs does). The device address is written with type random (`01`), which is what
/// phones use and what Annex D shows.
pub fn ble_record(carriers: &[&BleCarrier], sender: Sender) -> Option<Record> {
    let first = carriers.first()?;
    let has = |m| carriers.iter().any(|c| c.mode == m);
    let (ps, cc) = (has(BleMode::PeripheralServer), has(BleMode::CentralClient));
    // The role of the sender: in peripheral server mode the mdoc is the peripheral.
    let sender_peripheral_mode = match sender {
        Sender::Mdoc => BleMode::PeripheralServer,
        Sender::Reader => BleMode::CentralClient,
    };
    let role = match (ps, cc) {
        (true, true) if first.mode == sender_peripheral_mode => LeRole::BOTH_PERIPHERAL_PREFERRED,
        (true, true) => LeRole::BOTH_CENTRAL_PREFERRED,
        _ if first.mode == sender_peripheral_mode => LeRole::PERIPHERAL_ONLY,
        _ => LeRole::CENTRAL_ONLY,
    };
    let mut oob = BleOob::default();
    if let Some(BleAddress(addr)) = carriers.iter().find_map(|c| c.address) {
        let mut le = addr.to_vec();
        le.reverse();
        le.push(0x01);
        oob.structures.push((AD_LE_DEVICE_ADDRESS, le));
    }
    oob.structures.push((AD_LE_ROLE, vec![role.0]));
    if let Some(BleUuid(uuid)) = carriers.iter().find_map(|c| c.service_uuid) {
        let mut le = uuid.to_vec();
        le.reverse();
        oob.structures.push((AD_COMPLETE_128_BIT_UUIDS, le));
    }
    if let Some(psm) = carriers.iter().find_map(|c| c.psm) {
        let mut data = PSM_SERVICE_UUID.to_le_bytes().to_vec();
        // CBOR {0: psm}, preferred serialization.
        data.extend_from_slice(&[0xA1, 0x00]);
        match psm {
            0..=23 => data.push(psm as u8),
            24..=255 => data.extend_from_slice(&[0x18, psm as u8]),
            _ => {
                data.push(0x19);
                data.extend_from_slice(&psm.to_be_bytes());
            }
        }
        oob.structures.push((AD_SERVICE_DATA_16, data));
    }
    Some(Record::new(
        Tnf::MEDIA,
        TYPE_BLE_OOB,
        RECORD_ID_BLE,
        oob.encode(),
    ))
}

fn psm_of(oob: &BleOob) -> Option<u16> {
    for (t, d) in &oob.structures {
        match (*t, &d[..]) {
            (AD_SERVICE_DATA_16, [0x01, 0xFF, 0xA1, 0x00, rest @ ..]) => match *rest {
                [v] if v < 24 => return Some(u16::from(v)),
                [0x18, v] => return Some(u16::from(v)),
                [0x19, a, b] => return Some(u16::from_be_bytes([a, b])),
                _ => {}
            },
            (AD_PSM_LEGACY, &[a, b, c, d]) => {
                // uint32: big-endian since 2025-09, little-endian before (DESIGN §5).
                return if a == 0 && b == 0 {
                    Some(u16::from_be_bytes([c, d]))
                } else {
                    Some(u16::from_le_bytes([a, b]))
                };
            }
            _ => {}
        }
    }
    None
}

/// The BLE carriers one OOB record offers (both modes when the role says both, preferred
/// first).
pub fn parse_ble_record(oob: &BleOob, sender: Sender) -> Vec<BleCarrier> {
    let Some(role) = oob.role() else {
        return Vec::new();
    };
    let (peripheral, central) = match sender {
        Sender::Mdoc => (BleMode::PeripheralServer, BleMode::CentralClient),
        Sender::Reader => (BleMode::CentralClient, BleMode::PeripheralServer),
    };
    let modes = match role {
        LeRole::PERIPHERAL_ONLY => vec![peripheral],
        LeRole::CENTRAL_ONLY => vec![central],
        LeRole::BOTH_PERIPHERAL_PREFERRED => vec![peripheral, central],
        LeRole::BOTH_CENTRAL_PREFERRED => vec![central, peripheral],
        _ => Vec::new(),
    };
    let service_uuid = oob.service_uuid().map(BleUuid);
    let address = oob.device_address().map(|(a, _)| BleAddress(a));
    let psm = psm_of(oob);
    modes
        .into_iter()
        .map(|mode| BleCarrier {
            mode,
            service_uuid,
            address,
            psm,
        })
        .collect()
}

/// The carrier configuration records and alternative carrier entries for `carriers`, in
/// order. Carriers without a handover record (TCP) are skipped: they travel in the
/// DeviceEngagement. `aux` is the auxiliary reference each `ac` carries (`mdoc` in an Hs,
/// none in an Hr).
pub fn carrier_records(
    carriers: &[Carrier],
    sender: Sender,
    aux: Option<&[u8]>,
) -> (Vec<AlternativeCarrier>, Vec<Record>) {
    let mut acs = Vec::new();
    let mut records = Vec::new();
    let ble: Vec<&BleCarrier> = carriers
        .iter()
        .filter_map(|c| match c {
            Carrier::Ble(b) => Some(b),
            _ => None,
        })
        .collect();
    let mut ble_done = false;
    for carrier in carriers {
        let record = match carrier {
            Carrier::Nfc(n) => Some(nfc_record(n)),
            Carrier::Ble(_) if !ble_done => {
                ble_done = true;
                ble_record(&ble, sender)
            }
            _ => None,
        };
        if let Some(record) = record {
            acs.push(AlternativeCarrier {
                power_state: CarrierPowerState::ACTIVE,
                carrier_data_reference: record.id.clone(),
                auxiliary_data_references: aux.map(|a| vec![a.to_vec()]).unwrap_or_default(),
            });
            records.push(record);
        }
    }
    (acs, records)
}

/// The carriers a handover message offers, in its alternative carriers' order; unknown or
/// malformed carrier records are skipped (a Wi-Fi Aware record, say).
pub fn carriers_of(handover: &Handover, sender: Sender) -> Vec<Carrier> {
    let mut out = Vec::new();
    for ac in &handover.alternative_carriers {
        let Some(record) = handover.record_by_id(&ac.carrier_data_reference) else {
            continue;
        };
        if record.is(Tnf::EXTERNAL, TYPE_NFC_CARRIER) {
            out.extend(parse_nfc_record(&record.payload).map(Carrier::Nfc));
        } else if record.is(Tnf::MEDIA, TYPE_BLE_OOB) {
            if let Ok(oob) = BleOob::parse(&record.payload) {
                out.extend(parse_ble_record(&oob, sender).into_iter().map(Carrier::Ble));
            }
        }
    }
    out
}

/// The carriers a DeviceEngagement's own retrieval methods list (key 2).
pub fn carriers_of_engagement(engagement: &DeviceEngagement) -> Vec<Carrier> {
    let mut out = Vec::new();
    for method in engagement
        .device_retrieval_methods
        .iter()
        .flat_map(|m| m.iter())
    {
        match method {
            DeviceRetrievalMethod::Nfc(n) => out.push(Carrier::Nfc(NfcCarrier {
                max_command: u32::try_from(n.max_command_data_length).unwrap_or(u32::MAX),
                max_response: u32::try_from(n.max_response_data_length).unwrap_or(u32::MAX),
            })),
            DeviceRetrievalMethod::Tcp(t) => out.push(Carrier::Tcp(TcpCarrier {
                host: t.host.clone(),
                port: t.port,
            })),
            DeviceRetrievalMethod::Ble(b) => {
                let address = b
                    .peripheral_server_address
                    .as_ref()
                    .and_then(|a| <[u8; 6]>::try_from(&a.0[..]).ok())
                    .map(BleAddress);
                if b.peripheral_server_mode {
                    out.push(Carrier::Ble(BleCarrier {
                        mode: BleMode::PeripheralServer,
                        service_uuid: b.peripheral_server_uuid.map(|u| BleUuid(u.0)),
                        address,
                        psm: b.l2cap_psm,
                    }));
                }
                if b.central_client_mode {
                    out.push(Carrier::Ble(BleCarrier {
                        mode: BleMode::CentralClient,
                        service_uuid: b.central_client_uuid.map(|u| BleUuid(u.0)),
                        address: None,
                        psm: None,
                    }));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn nfc_record_is_multipazs_and_annex_ds_parses() {
        let r = nfc_record(&NfcCarrier {
            max_command: 0xFFFF,
            max_response: 0x10000,
        });
        assert_eq!(
            r.payload,
            [0x01, 0x03, 0x01, 0xFF, 0xFF, 0x04, 0x02, 0x01, 0x00, 0x00]
        );
        assert_eq!(
            parse_nfc_record(&r.payload),
            Some(NfcCarrier {
                max_command: 0xFFFF,
                max_response: 0x10000
            })
        );
        assert_eq!(
            parse_nfc_record(&[0x01]),
            Some(NfcCarrier {
                max_command: 255,
                max_response: 256
            })
        );
        assert_eq!(parse_nfc_record(&[0x02]), None);
        assert_eq!(parse_nfc_record(&[0x01, 0x05, 0x01, 0xFF]), None);
        assert_eq!(parse_nfc_record(&[0x01, 0x06, 0x01, 1, 2, 3, 4, 5]), None);
    }

    #[test]
    fn ble_record_round_trips_with_psm_in_all_forms() {
        let c = BleCarrier {
            mode: BleMode::PeripheralServer,
            service_uuid: Some(BleUuid([7; 16])),
            address: Some(BleAddress([1, 2, 3, 4, 5, 6])),
            psm: Some(0x0081),
        };
        let both = BleCarrier {
            mode: BleMode::CentralClient,
            address: None,
            psm: None,
            ..c
        };
        let rec = ble_record(&[&c, &both], Sender::Mdoc).unwrap();
        let oob = BleOob::parse(&rec.payload).unwrap();
        assert_eq!(oob.role(), Some(LeRole::BOTH_PERIPHERAL_PREFERRED));
        let parsed = parse_ble_record(&oob, Sender::Mdoc);
        assert_eq!(parsed[0], c);
        assert_eq!(parsed[1].mode, BleMode::CentralClient);
        for ad in [vec![0x77, 0, 0, 0, 0x81], vec![0x77, 0x81, 0, 0, 0]] {
            let oob = BleOob {
                structures: vec![(AD_LE_ROLE, vec![0]), (ad[0], ad[1..].to_vec())],
            };
            assert_eq!(parse_ble_record(&oob, Sender::Mdoc)[0].psm, Some(0x81));
        }
    }
}
