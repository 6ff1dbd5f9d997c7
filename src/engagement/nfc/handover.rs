//! NFC Connection Handover 1.5 messages as 18013-5 uses them (2021 8.2.2.1 / 2nd ed. 10.2):
//! Handover Select (mdoc → reader, static or negotiated) and Handover Request (reader → mdoc,
//! negotiated), with their alternative carriers and carrier configuration records.
//!
//! The SessionTranscript embeds the Hs and Hr messages exactly as exchanged; these types are
//! for reading them, and parsing never replaces the bytes that were received.

use super::ndef::{self, NdefError, Record, Tnf};

/// Connection Handover version 1.5 (`0x15`), the version 18013-5 requires.
pub const HANDOVER_VERSION_1_5: u8 = 0x15;
/// Well-known type of the Handover Select record.
pub const TYPE_HANDOVER_SELECT: &[u8] = b"Hs";
/// Well-known type of the Handover Request record.
pub const TYPE_HANDOVER_REQUEST: &[u8] = b"Hr";
/// Well-known type of an Alternative Carrier record.
pub const TYPE_ALTERNATIVE_CARRIER: &[u8] = b"ac";
/// Well-known type of the Collision Resolution record.
pub const TYPE_COLLISION_RESOLUTION: &[u8] = b"cr";
/// External type carrying DeviceEngagement (2021 8.2.2.1), record ID `mdoc`.
pub const TYPE_DEVICE_ENGAGEMENT: &[u8] = b"iso.org:18013:deviceengagement";
/// External type carrying ReaderEngagement (2nd ed.), record ID `mdocreader`.
pub const TYPE_READER_ENGAGEMENT: &[u8] = b"iso.org:18013:readerengagement";
/// External type of the NFC carrier configuration record (2021 8.2.2.2).
pub const TYPE_NFC_CARRIER: &[u8] = b"iso.org:18013:nfc";
/// Media type of the BLE carrier configuration record (Bluetooth Secure Simple Pairing OOB).
pub const TYPE_BLE_OOB: &[u8] = b"application/vnd.bluetooth.le.oob";
/// Media type of the Wi-Fi Aware carrier configuration record.
pub const TYPE_WIFI_AWARE: &[u8] = b"application/vnd.wfa.nan";

/// Carrier Power State of an alternative carrier (Connection Handover 1.5 6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CarrierPowerState(pub u8);

impl CarrierPowerState {
    /// Inactive.
    pub const INACTIVE: Self = Self(0);
    /// Active (what 18013-5 sends).
    pub const ACTIVE: Self = Self(1);
    /// Activating.
    pub const ACTIVATING: Self = Self(2);
    /// Unknown.
    pub const UNKNOWN: Self = Self(3);
}

/// One Alternative Carrier record: which carrier record it points to and its auxiliary data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlternativeCarrier {
    /// Power state.
    pub power_state: CarrierPowerState,
    /// The ID of the carrier configuration record.
    pub carrier_data_reference: Vec<u8>,
    /// IDs of auxiliary data records (18013-5: `mdoc` for the DeviceEngagement).
    pub auxiliary_data_references: Vec<Vec<u8>>,
}

impl AlternativeCarrier {
    fn parse(payload: &[u8]) -> Result<Self, NdefError> {
        let bad = |reason: &str| NdefError::Invalid {
            what: "ac record",
            reason: reason.to_owned(),
        };
        let mut r = Reader(payload);
        let power_state = CarrierPowerState(r.byte().ok_or_else(|| bad("empty"))? & 0x03);
        let len = usize::from(r.byte().ok_or_else(|| bad("no carrier data reference"))?);
        let carrier_data_reference = r
            .take(len)
            .ok_or_else(|| bad("carrier data reference truncated"))?
            .to_vec();
        let count = usize::from(
            r.byte()
                .ok_or_else(|| bad("no auxiliary reference count"))?,
        );
        let mut auxiliary_data_references = Vec::with_capacity(count.min(payload.len()));
        for _ in 0..count {
            let len = usize::from(
                r.byte()
                    .ok_or_else(|| bad("auxiliary reference truncated"))?,
            );
            auxiliary_data_references.push(
                r.take(len)
                    .ok_or_else(|| bad("auxiliary reference truncated"))?
                    .to_vec(),
            );
        }
        Ok(Self {
            power_state,
            carrier_data_reference,
            auxiliary_data_references,
        })
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = vec![
            self.power_state.0 & 0x03,
            self.carrier_data_reference.len() as u8,
        ];
        out.extend_from_slice(&self.carrier_data_reference);
        out.push(self.auxiliary_data_references.len() as u8);
        for aux in &self.auxiliary_data_references {
            out.push(aux.len() as u8);
            out.extend_from_slice(aux);
        }
        out
    }
}

/// A parsed Handover Select or Handover Request message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandoverMessage {
    /// `Hs` or `Hr`.
    pub kind: HandoverKind,
    /// Connection Handover version byte (`0x15`).
    pub version: u8,
    /// Collision resolution random number (`cr`, Hr only; optional in practice, DESIGN §8).
    pub collision_random: Option<u16>,
    /// The alternative carriers, in order.
    pub alternative_carriers: Vec<AlternativeCarrier>,
    /// Every record after the handover record: carrier configurations and auxiliary data.
    pub records: Vec<Record>,
}

/// Which handover message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandoverKind {
    /// Handover Select (mdoc → reader).
    Select,
    /// Handover Request (reader → mdoc).
    Request,
}

impl HandoverMessage {
    /// Parses an Hs or Hr NDEF message. Records may come in any order after the handover record
    /// (DESIGN §8: be lenient when receiving).
    pub fn parse(bytes: &[u8]) -> Result<Self, NdefError> {
        let mut records = ndef::parse_message(bytes)?.into_iter();
        let first = records.next().ok_or(NdefError::Empty)?;
        let kind = if first.is(Tnf::WELL_KNOWN, TYPE_HANDOVER_SELECT) {
            HandoverKind::Select
        } else if first.is(Tnf::WELL_KNOWN, TYPE_HANDOVER_REQUEST) {
            HandoverKind::Request
        } else {
            return Err(NdefError::Invalid {
                what: "handover message",
                reason: "first record is not Hs or Hr".into(),
            });
        };
        let (&version, embedded) =
            first
                .payload
                .split_first()
                .ok_or_else(|| NdefError::Invalid {
                    what: "handover record",
                    reason: "no version byte".into(),
                })?;
        if version >> 4 != 1 {
            return Err(NdefError::Invalid {
                what: "handover record",
                reason: format!("major version {}", version >> 4),
            });
        }
        let mut collision_random = None;
        let mut alternative_carriers = Vec::new();
        if !embedded.is_empty() {
            for local in ndef::parse_message(embedded)? {
                if local.is(Tnf::WELL_KNOWN, TYPE_ALTERNATIVE_CARRIER) {
                    alternative_carriers.push(AlternativeCarrier::parse(&local.payload)?);
                } else if local.is(Tnf::WELL_KNOWN, TYPE_COLLISION_RESOLUTION) {
                    let [a, b] = local.payload[..] else {
                        return Err(NdefError::Invalid {
                            what: "cr record",
                            reason: "not 2 bytes".into(),
                        });
                    };
                    collision_random = Some(u16::from_be_bytes([a, b]));
                }
                // Other local records (e.g. `err`) are ignored.
            }
        }
        Ok(Self {
            kind,
            version,
            collision_random,
            alternative_carriers,
            records: records.collect(),
        })
    }

    /// Encodes the message: the handover record, then `records` in order.
    pub fn encode(&self) -> Vec<u8> {
        let mut local = Vec::new();
        if let Some(random) = self.collision_random {
            local.push(Record::new(
                Tnf::WELL_KNOWN,
                TYPE_COLLISION_RESOLUTION,
                b"",
                random.to_be_bytes().to_vec(),
            ));
        }
        for ac in &self.alternative_carriers {
            local.push(Record::new(
                Tnf::WELL_KNOWN,
                TYPE_ALTERNATIVE_CARRIER,
                b"",
                ac.encode(),
            ));
        }
        let mut payload = vec![self.version];
        payload.extend(ndef::encode_message(&local));
        let record_type = match self.kind {
            HandoverKind::Select => TYPE_HANDOVER_SELECT,
            HandoverKind::Request => TYPE_HANDOVER_REQUEST,
        };
        let mut all = vec![Record::new(Tnf::WELL_KNOWN, record_type, b"", payload)];
        all.extend(self.records.iter().cloned());
        ndef::encode_message(&all)
    }

    /// The record with this ID (a carrier configuration or auxiliary data record).
    pub fn record_by_id(&self, id: &[u8]) -> Option<&Record> {
        self.records.iter().find(|r| r.id == id)
    }

    /// The DeviceEngagement bytes carried in the Hs (external type
    /// `iso.org:18013:deviceengagement`), exactly as received.
    pub fn device_engagement(&self) -> Option<&[u8]> {
        self.records
            .iter()
            .find(|r| r.is(Tnf::EXTERNAL, TYPE_DEVICE_ENGAGEMENT))
            .map(|r| &r.payload[..])
    }

    /// The ReaderEngagement bytes carried in an Hr, if any.
    pub fn reader_engagement(&self) -> Option<&[u8]> {
        self.records
            .iter()
            .find(|r| r.is(Tnf::EXTERNAL, TYPE_READER_ENGAGEMENT))
            .map(|r| &r.payload[..])
    }

    /// The BLE carrier configurations, decoded.
    pub fn ble_carriers(&self) -> impl Iterator<Item = (&[u8], Result<BleOob, NdefError>)> {
        self.records
            .iter()
            .filter(|r| r.is(Tnf::MEDIA, TYPE_BLE_OOB))
            .map(|r| (&r.id[..], BleOob::parse(&r.payload)))
    }
}

/// LE Role AD value (Bluetooth CSS A.1.12; DESIGN §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeRole(pub u8);

impl LeRole {
    /// Only peripheral role supported.
    pub const PERIPHERAL_ONLY: Self = Self(0x00);
    /// Only central role supported.
    pub const CENTRAL_ONLY: Self = Self(0x01);
    /// Both, peripheral preferred.
    pub const BOTH_PERIPHERAL_PREFERRED: Self = Self(0x02);
    /// Both, central preferred.
    pub const BOTH_CENTRAL_PREFERRED: Self = Self(0x03);
}

/// AD type: LE Bluetooth device address (7 bytes: address little-endian + type).
pub const AD_LE_DEVICE_ADDRESS: u8 = 0x1b;
/// AD type: LE role.
pub const AD_LE_ROLE: u8 = 0x1c;
/// AD type: complete list of 128-bit service UUIDs (little-endian).
pub const AD_COMPLETE_128_BIT_UUIDS: u8 = 0x07;

/// A BLE OOB carrier configuration: its AD structures, with accessors for the ones 18013-5 uses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BleOob {
    /// `(AD type, data)` in order.
    pub structures: Vec<(u8, Vec<u8>)>,
}

impl BleOob {
    /// Parses the payload of an `application/vnd.bluetooth.le.oob` record.
    pub fn parse(payload: &[u8]) -> Result<Self, NdefError> {
        let mut structures = Vec::new();
        let mut r = Reader(payload);
        while let Some(len) = r.byte() {
            let len = usize::from(len);
            if len == 0 {
                continue; // zero-length AD structures are padding
            }
            let body = r.take(len).ok_or_else(|| NdefError::Invalid {
                what: "BLE OOB record",
                reason: "AD structure exceeds the record".into(),
            })?;
            structures.push((body[0], body[1..].to_vec()));
        }
        Ok(Self { structures })
    }

    /// Encodes the AD structures.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (ad_type, data) in &self.structures {
            out.push((data.len() + 1) as u8);
            out.push(*ad_type);
            out.extend_from_slice(data);
        }
        out
    }

    fn get(&self, ad_type: u8) -> Option<&[u8]> {
        self.structures
            .iter()
            .find(|(t, _)| *t == ad_type)
            .map(|(_, d)| &d[..])
    }

    /// The LE role.
    pub fn role(&self) -> Option<LeRole> {
        self.get(AD_LE_ROLE)
            .and_then(|d| d.first())
            .map(|&r| LeRole(r))
    }

    /// The first 128-bit service UUID, big-endian (as written in text form).
    pub fn service_uuid(&self) -> Option<[u8; 16]> {
        let d = self.get(AD_COMPLETE_128_BIT_UUIDS)?;
        let mut uuid: [u8; 16] = d.get(..16)?.try_into().ok()?;
        uuid.reverse();
        Some(uuid)
    }

    /// The device address, most significant byte first, and its type (0 public, 1 random).
    /// Accepts the 6-byte form some wallets send (DESIGN §8), with type public.
    pub fn device_address(&self) -> Option<([u8; 6], u8)> {
        let d = self.get(AD_LE_DEVICE_ADDRESS)?;
        let mut addr: [u8; 6] = d.get(..6)?.try_into().ok()?;
        addr.reverse();
        Some((addr, d.get(6).copied().unwrap_or(0)))
    }
}

/// A cursor over a byte slice that never reads past the end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(h: &HandoverMessage) {
        let bytes = h.encode();
        assert_eq!(&HandoverMessage::parse(&bytes).expect("parses"), h);
    }

    #[test]
    fn select_round_trip() {
        let h = HandoverMessage {
            kind: HandoverKind::Select,
            version: HANDOVER_VERSION_1_5,
            collision_random: None,
            alternative_carriers: vec![AlternativeCarrier {
                power_state: CarrierPowerState::ACTIVE,
                carrier_data_reference: b"0".to_vec(),
                auxiliary_data_references: vec![b"mdoc".to_vec()],
            }],
            records: vec![
                Record::new(Tnf::MEDIA, TYPE_BLE_OOB, b"0", vec![0x02, AD_LE_ROLE, 0x00]),
                Record::new(Tnf::EXTERNAL, TYPE_DEVICE_ENGAGEMENT, b"mdoc", vec![0xa0]),
            ],
        };
        round_trip(&h);
        assert_eq!(
            HandoverMessage::parse(&h.encode())
                .expect("parses")
                .device_engagement(),
            Some(&[0xa0][..])
        );
    }

    #[test]
    fn request_with_collision_random_round_trip() {
        let h = HandoverMessage {
            kind: HandoverKind::Request,
            version: HANDOVER_VERSION_1_5,
            collision_random: Some(0x0102),
            alternative_carriers: vec![],
            records: vec![],
        };
        round_trip(&h);
    }

    #[test]
    fn bad_handover_messages_rejected() {
        let not_handover = ndef::encode_message(&[Record::new(Tnf::WELL_KNOWN, b"T", b"", vec![])]);
        assert!(matches!(
            HandoverMessage::parse(&not_handover),
            Err(NdefError::Invalid { .. })
        ));
        let no_version = ndef::encode_message(&[Record::new(Tnf::WELL_KNOWN, b"Hs", b"", vec![])]);
        assert!(matches!(
            HandoverMessage::parse(&no_version),
            Err(NdefError::Invalid { .. })
        ));
        let v2 = ndef::encode_message(&[Record::new(Tnf::WELL_KNOWN, b"Hs", b"", vec![0x20])]);
        assert!(matches!(
            HandoverMessage::parse(&v2),
            Err(NdefError::Invalid { .. })
        ));
        let bad_ac = ndef::encode_message(&[Record::new(
            Tnf::WELL_KNOWN,
            TYPE_ALTERNATIVE_CARRIER,
            b"",
            vec![1, 5, b'0'],
        )]);
        let mut payload = vec![0x15];
        payload.extend(bad_ac);
        let hs = ndef::encode_message(&[Record::new(Tnf::WELL_KNOWN, b"Hs", b"", payload)]);
        assert!(matches!(
            HandoverMessage::parse(&hs),
            Err(NdefError::Invalid {
                what: "ac record",
                ..
            })
        ));
    }

    #[test]
    fn ble_oob_structure_overrun_rejected() {
        assert!(BleOob::parse(&[0x05, AD_LE_ROLE, 0x00]).is_err());
        let oob = BleOob::parse(&[0x02, AD_LE_ROLE, 0x01, 0x00]).expect("padding allowed");
        assert_eq!(oob.role(), Some(LeRole::CENTRAL_ONLY));
    }
}

#[cfg(test)]
mod annex_d {
    use super::*;

    fn vector(name: &str) -> Vec<u8> {
        let json: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/data/annex-d.json"))
                .expect("vector file is JSON");
        hex::decode(json[name]["hex"].as_str().expect("hex present")).expect("hex decodes")
    }

    #[test]
    fn annex_d_handover_select_parses_and_re_encodes() {
        let bytes = vector("nfc_handover_select");
        let hs = HandoverMessage::parse(&bytes).expect("Annex D Hs parses");
        assert_eq!(hs.kind, HandoverKind::Select);
        assert_eq!(hs.alternative_carriers.len(), 1);
        assert_eq!(
            hs.alternative_carriers[0].auxiliary_data_references,
            vec![b"mdoc".to_vec()]
        );
        assert_eq!(
            hs.device_engagement(),
            Some(&vector("device_engagement_nfc")[..])
        );
        let (id, ble) = hs.ble_carriers().next().expect("one BLE carrier");
        assert_eq!(id, b"0");
        let ble = ble.expect("BLE OOB parses");
        assert_eq!(ble.role(), Some(LeRole::CENTRAL_ONLY));
        assert_eq!(
            ble.device_address(),
            Some(([0x28, 0x28, 0x37, 0x8b, 0x12, 0x28], 0x01))
        );
        assert_eq!(hs.encode(), bytes);
    }

    #[test]
    fn annex_d_handover_request_parses_and_re_encodes() {
        let bytes = vector("nfc_handover_request");
        let hr = HandoverMessage::parse(&bytes).expect("Annex D Hr parses");
        assert_eq!(hr.kind, HandoverKind::Request);
        assert_eq!(hr.collision_random, Some(0x0102));
        let refs: Vec<&[u8]> = hr
            .alternative_carriers
            .iter()
            .map(|a| &a.carrier_data_reference[..])
            .collect();
        assert_eq!(refs, vec![&b"0"[..], b"nfc", b"W"]);
        let (_, ble) = hr.ble_carriers().next().expect("one BLE carrier");
        let ble = ble.expect("BLE OOB parses");
        assert_eq!(ble.role(), Some(LeRole::BOTH_PERIPHERAL_PREFERRED));
        assert_eq!(
            ble.service_uuid().map(|u| u.to_vec()),
            Some(vector("ble_uuid_handover_request"))
        );
        assert!(hr
            .record_by_id(b"nfc")
            .is_some_and(|r| r.is(Tnf::EXTERNAL, TYPE_NFC_CARRIER)));
        assert!(hr
            .record_by_id(b"W")
            .is_some_and(|r| r.is(Tnf::MEDIA, TYPE_WIFI_AWARE)));
        assert_eq!(hr.encode(), bytes);
    }
}
