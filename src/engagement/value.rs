//! One engagement as both sides know it once it happened (DESIGN §7b): the DeviceEngagement
//! bytes, how they were handed over, and the carriers offered — whatever the engagement kind.
//! Sessions and links take this one value; neither parses an engagement itself.

use mdl_transport::{BleCarrier, BleMode, Carrier, SessionBinding};

use crate::cbor::{Bstr, DecodeError, Tag24};
use crate::crypto::{ble_ident, CoseKey};
use crate::msg::{DeviceEngagement, DeviceEngagementBytes, Handover};

use super::carrier::{carriers_from_handover, carriers_from_methods, methods_from_carriers};
use super::nfc::handover::{HandoverKind, HandoverMessage};
use super::nfc::ndef::NdefError;
use super::qr;

/// Why an NFC handover does not make an engagement.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngagementError {
    /// The Hs (or Hr) is not a valid NDEF handover message.
    #[error("handover message")]
    Ndef(#[source] NdefError),
    /// The message given as Hs is an Hr, or the one given as Hr is an Hs.
    #[error("expected a Handover {expected}")]
    WrongHandoverKind {
        /// `"Select"` or `"Request"`.
        expected: &'static str,
    },
    /// The Hs carries no `iso.org:18013:deviceengagement` record (2021 8.2.2.1).
    #[error("the Handover Select carries no DeviceEngagement record")]
    NoDeviceEngagement,
    /// The DeviceEngagement (from the QR URI or the Hs record) does not decode.
    #[error("DeviceEngagement")]
    DeviceEngagement(#[source] DecodeError),
}

/// An engagement: what the session transcript binds (DeviceEngagementBytes and Handover) and the
/// carriers the holder offered, in the holder's order.
#[derive(Debug, Clone, PartialEq)]
pub struct Engagement {
    device_engagement: DeviceEngagementBytes,
    handover: Handover,
    carriers: Vec<Carrier>,
}

impl Engagement {
    /// The holder's QR engagement: a version 1.0 DeviceEngagement for `e_device_key` whose
    /// retrieval methods offer `carriers` (as a [`mdl_transport::Listen`] reported them).
    pub fn holder_qr(e_device_key: CoseKey, carriers: Vec<Carrier>) -> Self {
        let de = DeviceEngagement::new(e_device_key, methods_from_carriers(&carriers));
        Self::from_qr(Tag24::new(de))
    }

    /// A QR engagement as received (or as sent): the carriers come from its retrieval methods.
    pub fn from_qr(device_engagement: DeviceEngagementBytes) -> Self {
        let carriers = device_engagement
            .value()
            .device_retrieval_methods
            .as_ref()
            .map(|m| carriers_from_methods(m.as_slice()))
            .unwrap_or_default();
        Self {
            device_engagement,
            handover: Handover::Qr,
            carriers,
        }
    }

    /// A scanned `mdoc:` URI (2021 8.2.2.3).
    pub fn from_qr_uri(uri: &str) -> Result<Self, EngagementError> {
        qr::from_qr_uri(uri)
            .map(Self::from_qr)
            .map_err(EngagementError::DeviceEngagement)
    }

    /// NFC static handover: the Hs as read from the tag, exactly as received. The carriers are
    /// its carrier records.
    pub fn from_static_handover(select: Vec<u8>) -> Result<Self, EngagementError> {
        let hs = parse_kind(&select, HandoverKind::Select)?;
        let device_engagement = device_engagement_of(&hs)?;
        Ok(Self {
            device_engagement,
            handover: Handover::NfcStatic {
                select: Bstr(select),
            },
            carriers: carriers_from_handover(&hs),
        })
    }

    /// NFC negotiated handover: the Hs and the Hr, exactly as exchanged. A BLE central client
    /// carrier of the Hs carries no UUID (DESIGN §5); it takes the one of the Hr's BLE record.
    pub fn from_negotiated_handover(
        select: Vec<u8>,
        request: Vec<u8>,
    ) -> Result<Self, EngagementError> {
        let hs = parse_kind(&select, HandoverKind::Select)?;
        let hr = parse_kind(&request, HandoverKind::Request)?;
        let device_engagement = device_engagement_of(&hs)?;
        let reader_uuid = carriers_from_handover(&hr)
            .into_iter()
            .find_map(|c| match c {
                Carrier::Ble(BleCarrier {
                    service_uuid: Some(u),
                    ..
                }) => Some(u),
                _ => None,
            });
        let carriers = carriers_from_handover(&hs)
            .into_iter()
            .map(|c| match c {
                Carrier::Ble(mut ble)
                    if ble.mode == BleMode::CentralClient && ble.service_uuid.is_none() =>
                {
                    ble.service_uuid = reader_uuid;
                    Carrier::Ble(ble)
                }
                other => other,
            })
            .collect();
        Ok(Self {
            device_engagement,
            handover: Handover::NfcNegotiated {
                select: Bstr(select),
                request: Bstr(request),
            },
            carriers,
        })
    }

    /// An engagement from its parts (e.g. a holder that wrote its own Hs).
    pub fn new(
        device_engagement: DeviceEngagementBytes,
        handover: Handover,
        carriers: Vec<Carrier>,
    ) -> Self {
        Self {
            device_engagement,
            handover,
            carriers,
        }
    }

    /// The DeviceEngagement, bytes as exchanged.
    pub fn device_engagement(&self) -> &DeviceEngagementBytes {
        &self.device_engagement
    }

    /// How the engagement was handed over (the transcript's third element).
    pub fn handover(&self) -> &Handover {
        &self.handover
    }

    /// The carriers offered, in the holder's order.
    pub fn carriers(&self) -> &[Carrier] {
        &self.carriers
    }

    /// The `mdoc:` URI of this engagement's DeviceEngagement (for a QR engagement).
    pub fn qr_uri(&self) -> String {
        qr::qr_uri(&self.device_engagement)
    }

    /// What a link must serve or check for this engagement: BLE Ident (2021 8.3.3.1.1.4), from
    /// EDeviceKeyBytes as they appear in the DeviceEngagement.
    pub fn binding(&self) -> SessionBinding {
        SessionBinding {
            ble_ident: ble_ident(
                &self
                    .device_engagement
                    .value()
                    .security
                    .e_device_key
                    .tagged_bytes(),
            ),
        }
    }
}

fn parse_kind(bytes: &[u8], kind: HandoverKind) -> Result<HandoverMessage, EngagementError> {
    let message = HandoverMessage::parse(bytes).map_err(EngagementError::Ndef)?;
    if message.kind != kind {
        return Err(EngagementError::WrongHandoverKind {
            expected: match kind {
                HandoverKind::Select => "Select",
                HandoverKind::Request => "Request",
            },
        });
    }
    Ok(message)
}

fn device_engagement_of(hs: &HandoverMessage) -> Result<DeviceEngagementBytes, EngagementError> {
    let raw = hs
        .device_engagement()
        .ok_or(EngagementError::NoDeviceEngagement)?;
    Tag24::from_bytes(raw.to_vec()).map_err(EngagementError::DeviceEngagement)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::msg::vectors::annex_d;
    use mdl_transport::{CarrierKind, TcpCarrier};

    #[test]
    fn annex_d_negotiated_handover_fills_the_central_client_uuid_from_the_hr() {
        let e = Engagement::from_negotiated_handover(
            annex_d("nfc_handover_select"),
            annex_d("nfc_handover_request"),
        )
        .unwrap();
        assert_eq!(
            e.device_engagement().inner_bytes(),
            annex_d("device_engagement_nfc")
        );
        let Some(Carrier::Ble(ble)) = e.carriers().first() else {
            panic!("{:?}", e.carriers())
        };
        assert_eq!(ble.mode, BleMode::CentralClient);
        let hr = HandoverMessage::parse(&annex_d("nfc_handover_request")).unwrap();
        let hr_uuid = hr.ble_carriers().find_map(|(_, o)| o.ok()?.service_uuid());
        assert_eq!(ble.service_uuid.map(|u| u.0), hr_uuid);
        // The transcript's handover is exactly the two messages.
        assert!(
            matches!(e.handover(), Handover::NfcNegotiated { select, request }
            if select.0 == annex_d("nfc_handover_select") && request.0 == annex_d("nfc_handover_request"))
        );
    }

    #[test]
    fn annex_d_binding_is_the_ble_ident_of_annex_d() {
        let e = Engagement::from_qr(Tag24::from_bytes(annex_d("device_engagement_qr")).unwrap());
        assert_eq!(e.binding().ble_ident.to_vec(), annex_d("ble_ident"));
    }

    #[test]
    fn swapped_or_broken_handover_messages_are_typed_errors() {
        let hs = annex_d("nfc_handover_select");
        let hr = annex_d("nfc_handover_request");
        assert!(matches!(
            Engagement::from_negotiated_handover(hr.clone(), hs.clone()),
            Err(EngagementError::WrongHandoverKind { expected: "Select" })
        ));
        assert!(matches!(
            Engagement::from_static_handover(hs[..hs.len() - 3].to_vec()),
            Err(EngagementError::Ndef(_))
        ));
        // An Hs without its DeviceEngagement record.
        let mut message = HandoverMessage::parse(&hs).unwrap();
        message
            .records
            .retain(|r| r.record_type != super::super::nfc::handover::TYPE_DEVICE_ENGAGEMENT);
        assert!(matches!(
            Engagement::from_static_handover(message.encode()),
            Err(EngagementError::NoDeviceEngagement)
        ));
        assert!(matches!(
            Engagement::from_qr_uri("mdoc:!!"),
            Err(EngagementError::DeviceEngagement(_))
        ));
    }

    #[test]
    fn holder_qr_offers_what_the_listener_offered() {
        let e = Engagement::from_qr(Tag24::from_bytes(annex_d("device_engagement_qr")).unwrap());
        let key = e
            .device_engagement()
            .value()
            .security
            .e_device_key
            .value()
            .clone();
        let tcp = Carrier::Tcp(TcpCarrier {
            host: "127.0.0.1".into(),
            port: 9,
        });
        let holder = Engagement::holder_qr(key, vec![tcp.clone()]);
        let scanned = Engagement::from_qr_uri(&holder.qr_uri()).unwrap();
        assert_eq!(scanned.carriers(), &[tcp]);
        assert_eq!(scanned.handover(), &Handover::Qr);
        assert_eq!(scanned.binding(), holder.binding());
        assert_eq!(scanned.carriers()[0].kind(), CarrierKind::Tcp);
    }
}
