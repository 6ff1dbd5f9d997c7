//! Shared by the rig tests and the examples: engagement ↔ BLE carriers, and both roles of a
//! whole presentation (test issuer → holder → reader → verification) over any link.
#![allow(dead_code, unreachable_pub)]

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use getrandom::{rand_core::UnwrapErr, SysRng};
use mdl_proximity::cbor::{Bstr, Tag24};
use mdl_proximity::crypto::{ble_ident, Curve, EphemeralPrivateKey};
use mdl_proximity::driver::{reader_exchange, reader_terminate, serve_holder};
use mdl_proximity::engagement::carrier::{
    BleOptions, BleUuid as EngagementUuid, DeviceRetrievalMethod,
};
use mdl_proximity::holder::{Presenter, ReviewRequest, Selection};
use mdl_proximity::issuer::{sample_mdl_credential, Credential, SampleMdl};
use mdl_proximity::msg::engagement::DeviceEngagementBytes;
use mdl_proximity::msg::{DeviceEngagement, Handover};
use mdl_proximity::reader::RequestBuilder;
use mdl_proximity::session::{
    CloseReason, HolderConfig, HolderSession, ReaderConfig, ReaderSession, Termination,
};
use mdl_proximity::verify::{self, TrustAnchors};
use mdl_transport::{BleAddress, BleCarrier, BleMode, BleUuid, SessionBinding, Transport};

pub fn unix_now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// The engagement's BLE options for the offered carriers (2021 8.2.1.1; key 21 = PSM).
pub fn ble_options(carriers: &[BleCarrier]) -> BleOptions {
    let mut o = BleOptions::default();
    for c in carriers {
        match c.mode {
            BleMode::PeripheralServer => {
                o.peripheral_server_mode = true;
                o.peripheral_server_uuid = c.service_uuid.map(|u| EngagementUuid(u.0));
                o.peripheral_server_address = c.address.map(|a| Bstr(a.0.to_vec()));
                o.l2cap_psm = c.psm;
            }
            BleMode::CentralClient => {
                o.central_client_mode = true;
                o.central_client_uuid = c.service_uuid.map(|u| EngagementUuid(u.0));
            }
        }
    }
    o
}

/// The BLE carriers a received engagement offers, peripheral server mode first.
pub fn ble_carriers(engagement: &DeviceEngagementBytes) -> Vec<BleCarrier> {
    let mut out = Vec::new();
    let methods = engagement
        .value()
        .device_retrieval_methods
        .iter()
        .flat_map(|m| m.iter());
    for m in methods {
        let DeviceRetrievalMethod::Ble(o) = m else {
            continue;
        };
        if o.peripheral_server_mode {
            out.push(BleCarrier {
                mode: BleMode::PeripheralServer,
                service_uuid: o.peripheral_server_uuid.map(|u| BleUuid(u.0)),
                address: o
                    .peripheral_server_address
                    .as_ref()
                    .and_then(|a| <[u8; 6]>::try_from(&a.0[..]).ok())
                    .map(BleAddress),
                psm: o.l2cap_psm,
            });
        }
        if o.central_client_mode {
            out.push(BleCarrier {
                mode: BleMode::CentralClient,
                service_uuid: o.central_client_uuid.map(|u| BleUuid(u.0)),
                address: None,
                psm: None,
            });
        }
    }
    out
}

/// What a BLE link must serve or check for this engagement.
pub fn binding(engagement: &DeviceEngagementBytes) -> SessionBinding {
    SessionBinding {
        ble_ident: ble_ident(&engagement.value().security.e_device_key.tagged_bytes()),
    }
}

/// A holder with a fresh test mDL.
pub struct Holder {
    /// The credential file's bytes (a fresh `Credential` per presentation: it is not `Clone`).
    pub credential: Vec<u8>,
    pub iaca_pem: String,
}

impl Holder {
    pub fn new() -> Self {
        let mut rng = UnwrapErr(SysRng);
        let (credential, issuer) =
            sample_mdl_credential(&SampleMdl::p256(unix_now()), &mut rng).expect("test issuer");
        let iaca_pem = issuer.iaca.to_pem().expect("PEM");
        Self {
            credential: credential.to_bytes().to_vec(),
            iaca_pem,
        }
    }

    /// A fresh ephemeral key and the engagement advertising `carriers`.
    pub fn engage(&self, carriers: &[BleCarrier]) -> (EphemeralPrivateKey, DeviceEngagementBytes) {
        let mut rng = UnwrapErr(SysRng);
        let key = EphemeralPrivateKey::generate(Curve::P256, &mut rng).expect("key");
        let method = DeviceRetrievalMethod::Ble(ble_options(carriers));
        let engagement = Tag24::new(DeviceEngagement::new(
            key.public_key().expect("public"),
            vec![method],
        ));
        (key, engagement)
    }

    /// Serves one presentation over `link`, releasing everything requested.
    pub async fn serve<T: Transport>(
        &self,
        link: &mut T,
        key: EphemeralPrivateKey,
        engagement: DeviceEngagementBytes,
    ) -> CloseReason {
        let mut session = HolderSession::new(
            HolderConfig::default(),
            key,
            engagement,
            Handover::Qr,
            Instant::now(),
        )
        .expect("holder session");
        let consent = |review: &ReviewRequest| Selection::all_requested(review);
        let credential = Credential::from_bytes(&self.credential).expect("credential");
        let mut presenter = Presenter::new(
            vec![credential.to_mdoc().expect("device key")],
            consent,
            TrustAnchors::new(),
        );
        serve_holder(&mut session, link, &mut presenter, None).await
    }
}

/// What the reader got.
#[derive(Debug)]
pub struct ReadResult {
    pub response_bytes: usize,
    pub valid: bool,
    pub report: String,
}

/// Reads six elements over `link` and verifies them against `iaca_pem`.
pub async fn read<T: Transport>(
    link: &mut T,
    engagement: DeviceEngagementBytes,
    iaca_pem: &str,
) -> Result<ReadResult, String> {
    let iacas = TrustAnchors::from_pem(iaca_pem).map_err(|e| e.to_string())?;
    let mut rng = UnwrapErr(SysRng);
    let key = ReaderSession::generate_key(&engagement, &mut rng).map_err(|e| e.to_string())?;
    let mut reader = ReaderSession::new(
        ReaderConfig::default(),
        key,
        engagement,
        Handover::Qr,
        Instant::now(),
    )
    .map_err(|e| e.to_string())?;
    let request = RequestBuilder::new()
        .mdl(&[
            ("family_name", false),
            ("given_name", false),
            ("birth_date", false),
            ("portrait", false),
            ("age_over_18", false),
            ("document_number", false),
        ])
        .build()
        .ok_or("empty request")?;
    let received = reader_exchange(&mut reader, link, &request, None)
        .await
        .map_err(|e| e.to_string())?;
    reader_terminate(&mut reader, link, Termination::Transport, None).await;
    let response = received.response.map_err(|e| format!("{e:?}"))?;
    let report = verify::response(
        &response,
        reader.transcript(),
        &iacas,
        Some(reader.e_reader_key()),
        unix_now(),
    );
    Ok(ReadResult {
        response_bytes: received.bytes.len(),
        valid: report.is_valid(),
        report: report.to_string(),
    })
}
