//! NFC Forum Type 4 Tag constants and structures as 18013-5 engagement uses them (2021 8.2.2,
//! DESIGN §5): application identifiers, file identifiers, the Capability Container, and the TNEP
//! records of negotiated handover (NFC Forum TNEP 1.0).

use mdl_proximity::engagement::nfc::ndef::{Record, Tnf};

/// AID of the NFC Forum NDEF Tag application (T4T 5.1).
pub const AID_NDEF: &[u8] = &[0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01];
/// AID of the 18013-5 mdoc application for NFC data retrieval (2021 8.3.3.1.2).
pub const AID_MDOC: &[u8] = &[0xA0, 0x00, 0x00, 0x02, 0x48, 0x04, 0x00];
/// File id of the Capability Container (T4T 5.1).
pub const FILE_CC: u16 = 0xE103;
/// File id of the NDEF file this card serves.
pub const FILE_NDEF: u16 = 0xE104;
/// SELECT P1: by DF name (AID).
pub const SELECT_BY_NAME: u8 = 0x04;
/// SELECT P1: by file identifier.
pub const SELECT_BY_FILE_ID: u8 = 0x00;
/// T4T mapping version 2.0 (CC byte 2).
pub const MAPPING_VERSION_2_0: u8 = 0x20;
/// NDEF File Control TLV tag (T4T 5.1.2.1).
pub const TLV_NDEF_FILE_CONTROL: u8 = 0x04;
/// CC write access byte: write access granted (negotiated handover: the reader writes).
pub const ACCESS_GRANTED: u8 = 0x00;
/// CC write access byte: no write access (static handover: read-only tag).
pub const ACCESS_NONE: u8 = 0xFF;

/// The Capability Container file (T4T 5.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapabilityContainer {
    /// Mapping version (`0x20`).
    pub mapping_version: u8,
    /// MLe: largest READ BINARY response data the tag sends.
    pub max_le: u16,
    /// MLc: largest UPDATE BINARY command data the tag accepts.
    pub max_lc: u16,
    /// File id of the NDEF file.
    pub ndef_file_id: u16,
    /// Size of the NDEF file including its 2-byte NLEN.
    pub max_ndef_size: u16,
    /// Read access (`00`).
    pub read_access: u8,
    /// Write access: [`ACCESS_GRANTED`] or [`ACCESS_NONE`].
    pub write_access: u8,
}

/// Why a Capability Container cannot be used (the tag's fault).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CcError {
    /// Fewer than 15 bytes.
    #[error("capability container of {0} bytes, 15 needed")]
    Truncated(usize),
    /// No NDEF File Control TLV at offset 7.
    #[error("capability container has no NDEF file control TLV")]
    NoNdefFile,
    /// Mapping version other than 2.x.
    #[error("unsupported T4T mapping version {0:02X}")]
    Version(u8),
}

impl CapabilityContainer {
    /// Length of the CC this module writes.
    pub const LEN: usize = 15;

    /// Encodes the 15-byte CC (CCLEN `000F`).
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut out = [0u8; Self::LEN];
        out[..2].copy_from_slice(&(Self::LEN as u16).to_be_bytes());
        out[2] = self.mapping_version;
        out[3..5].copy_from_slice(&self.max_le.to_be_bytes());
        out[5..7].copy_from_slice(&self.max_lc.to_be_bytes());
        out[7] = TLV_NDEF_FILE_CONTROL;
        out[8] = 6;
        out[9..11].copy_from_slice(&self.ndef_file_id.to_be_bytes());
        out[11..13].copy_from_slice(&self.max_ndef_size.to_be_bytes());
        out[13] = self.read_access;
        out[14] = self.write_access;
        out
    }

    /// Parses a CC (at least 15 bytes; later TLVs are ignored).
    pub fn parse(bytes: &[u8]) -> Result<Self, CcError> {
        if bytes.len() < Self::LEN {
            return Err(CcError::Truncated(bytes.len()));
        }
        if bytes[2] >> 4 != 2 {
            return Err(CcError::Version(bytes[2]));
        }
        if bytes[7] != TLV_NDEF_FILE_CONTROL || bytes[8] != 6 {
            return Err(CcError::NoNdefFile);
        }
        let be = |i: usize| u16::from_be_bytes([bytes[i], bytes[i + 1]]);
        Ok(Self {
            mapping_version: bytes[2],
            max_le: be(3),
            max_lc: be(5),
            ndef_file_id: be(9),
            max_ndef_size: be(11),
            read_access: bytes[13],
            write_access: bytes[14],
        })
    }
}

/// TNEP well-known record type: Service Parameter (TNEP 4.1.2).
pub const TYPE_SERVICE_PARAMETER: &[u8] = b"Tp";
/// TNEP well-known record type: Service Select (TNEP 4.1.3).
pub const TYPE_SERVICE_SELECT: &[u8] = b"Ts";
/// TNEP well-known record type: Status (TNEP 4.1.4).
pub const TYPE_TNEP_STATUS: &[u8] = b"Te";
/// TNEP version 1.0 (`0x10`).
pub const TNEP_VERSION_1_0: u8 = 0x10;
/// The Connection Handover service name (2021 8.2.2.1, negotiated handover).
pub const SERVICE_HANDOVER: &[u8] = b"urn:nfc:sn:handover";
/// TNEP communication mode: single response (the only one defined).
pub const TNEP_MODE_SINGLE_RESPONSE: u8 = 0x00;
/// TNEP status: success.
pub const TNEP_STATUS_SUCCESS: u8 = 0x00;
/// TNEP status: protocol error.
pub const TNEP_STATUS_PROTOCOL_ERROR: u8 = 0x01;

/// A TNEP Service Parameter record (what a negotiated-handover tag's NDEF file first holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceParameter {
    /// TNEP version.
    pub version: u8,
    /// The service name URI.
    pub service: Vec<u8>,
    /// Communication mode.
    pub mode: u8,
    /// Minimum waiting time, WT_INT: T_wait = 2^(WT_INT/4 − 1) ms (TNEP 4.1.2).
    pub wt_int: u8,
    /// How many waiting-time extensions the reader may take (N_wait).
    pub n_wait: u8,
    /// Largest NDEF message the service reads or writes.
    pub max_ndef_size: u16,
}

impl ServiceParameter {
    /// The handover service as Multipaz announces it (DESIGN §5: `0x10 … 00 / 0 / 15 / FFFF`),
    /// with WT_INT 0 (T_wait 0.5 ms).
    pub fn handover() -> Self {
        Self {
            version: TNEP_VERSION_1_0,
            service: SERVICE_HANDOVER.to_vec(),
            mode: TNEP_MODE_SINGLE_RESPONSE,
            wt_int: 0,
            n_wait: 15,
            max_ndef_size: 0xFFFF,
        }
    }

    /// T_wait in microseconds: 2^(WT_INT/4 − 1) ms, WT_INT 0..=63.
    pub fn t_wait_micros(&self) -> u64 {
        let exponent = f64::from(self.wt_int.min(63)) / 4.0 - 1.0;
        (1000.0 * exponent.exp2()) as u64
    }

    /// The record.
    pub fn to_record(&self) -> Record {
        let mut payload = vec![self.version, self.service.len() as u8];
        payload.extend_from_slice(&self.service);
        payload.extend_from_slice(&[self.mode, self.wt_int, self.n_wait]);
        payload.extend_from_slice(&self.max_ndef_size.to_be_bytes());
        Record::new(Tnf::WELL_KNOWN, TYPE_SERVICE_PARAMETER, b"", payload)
    }

    /// Reads a Service Parameter record's payload; `None` when it is malformed.
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let (&version, rest) = payload.split_first()?;
        let (&len, rest) = rest.split_first()?;
        let service = rest.get(..usize::from(len))?.to_vec();
        let tail = rest.get(usize::from(len)..)?;
        let [mode, wt_int, n_wait, a, b] = *tail else {
            return None;
        };
        Some(Self {
            version,
            service,
            mode,
            wt_int,
            n_wait,
            max_ndef_size: u16::from_be_bytes([a, b]),
        })
    }
}

/// A Service Select record for `service`.
pub fn service_select(service: &[u8]) -> Record {
    let mut payload = vec![service.len() as u8];
    payload.extend_from_slice(service);
    Record::new(Tnf::WELL_KNOWN, TYPE_SERVICE_SELECT, b"", payload)
}

/// The service a Service Select record's payload names.
pub fn parse_service_select(payload: &[u8]) -> Option<&[u8]> {
    let (&len, rest) = payload.split_first()?;
    (rest.len() == usize::from(len)).then_some(rest)
}

/// A TNEP Status record.
pub fn tnep_status(status: u8) -> Record {
    Record::new(Tnf::WELL_KNOWN, TYPE_TNEP_STATUS, b"", vec![status])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cc_is_the_one_multipaz_serves() {
        let cc = CapabilityContainer {
            mapping_version: MAPPING_VERSION_2_0,
            max_le: 0x7FFF,
            max_lc: 0x7FFF,
            ndef_file_id: FILE_NDEF,
            max_ndef_size: 0x7FFF,
            read_access: 0,
            write_access: ACCESS_GRANTED,
        };
        let bytes = cc.to_bytes();
        assert_eq!(
            bytes,
            [0x00, 0x0F, 0x20, 0x7F, 0xFF, 0x7F, 0xFF, 0x04, 0x06, 0xE1, 0x04, 0x7F, 0xFF, 0, 0]
        );
        assert_eq!(CapabilityContainer::parse(&bytes).unwrap(), cc);
        assert_eq!(
            CapabilityContainer::parse(&bytes[..14]),
            Err(CcError::Truncated(14))
        );
        let mut v3 = bytes;
        v3[2] = 0x30;
        assert_eq!(CapabilityContainer::parse(&v3), Err(CcError::Version(0x30)));
    }

    #[test]
    fn service_parameter_round_trip_and_t_wait() {
        let sp = ServiceParameter::handover();
        let rec = sp.to_record();
        assert_eq!(rec.payload[..2], [0x10, 19]);
        assert_eq!(ServiceParameter::parse(&rec.payload).unwrap(), sp);
        assert_eq!(sp.t_wait_micros(), 500);
        assert_eq!(
            ServiceParameter {
                wt_int: 8,
                ..sp.clone()
            }
            .t_wait_micros(),
            2000
        );
        assert!(ServiceParameter::parse(&rec.payload[..rec.payload.len() - 1]).is_none());
        assert!(ServiceParameter::parse(&[0x10, 200, 1]).is_none());
        let ts = service_select(SERVICE_HANDOVER);
        assert_eq!(parse_service_select(&ts.payload), Some(SERVICE_HANDOVER));
        assert_eq!(parse_service_select(&[5, 1]), None);
    }
}
