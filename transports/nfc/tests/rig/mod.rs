//! The rig's two halves, in one process: our holder as a vpcd virtual card and our reader over
//! PC/SC, through a real pcscd (started by `.ci/rig-nfc.sh`, announced by `MDL_NFC_RIG`).
#![allow(dead_code, clippy::unwrap_used, unreachable_pub)]

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use getrandom::{rand_core::UnwrapErr, SysRng};
use mdl_proximity::cbor::{Tag24, Value};
use mdl_proximity::crypto::{Curve, EphemeralPrivateKey};
use mdl_proximity::driver::{reader_exchange, reader_terminate, serve_holder, DriverError};
use mdl_proximity::holder::{Presenter, ReviewRequest, Selection};
use mdl_proximity::issuer::pki::IssuerPki;
use mdl_proximity::issuer::{
    issue_mdoc, sample_mdl_name_spaces, DigestIdOrder, MdocRequest, MdocValidity,
};
use mdl_proximity::issuer::{
    Credential, DeviceAuthMethod, PrivateKey, MDL_DOC_TYPE, MDL_NAMESPACE,
};
use mdl_proximity::msg::{DeviceEngagement, FullDate};
use mdl_proximity::reader::RequestBuilder;
use mdl_proximity::session::{
    CloseReason, HolderConfig, HolderSession, ReaderConfig, ReaderSession, Termination,
};
use mdl_proximity::verify::{self, TrustAnchors, VerificationReport};
use mdl_transport::{Carrier, NfcCarrier};
use mdl_transport_nfc::card::{CardConfig, HandoverMode, TagEmulator};
use mdl_transport_nfc::envelope::ApduSizes;
use mdl_transport_nfc::holder::{CardLink, FieldEvent, NfcCard};
use mdl_transport_nfc::pcsc::{wait_for_empty, PcscChannel};
use mdl_transport_nfc::poller::PollerConfig;
use mdl_transport_nfc::reader::{engage, ApduChannel, ChannelError, NfcReaderLink};
use mdl_transport_nfc::trace::Traced;
use mdl_transport_nfc::vpcd::{self, VpcdLink};

/// The vpcd port, or `None` (the test says it is skipped) when the rig is not up.
pub fn rig(test: &str) -> Option<u16> {
    if std::env::var_os("MDL_NFC_RIG").is_none() {
        eprintln!("{test}: skipped: needs the NFC rig (MDL_NFC_RIG unset; see .ci/rig-nfc.sh)");
        return None;
    }
    Some(
        std::env::var("MDL_NFC_VPCD_PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(35963),
    )
}

/// The reader pcscd shows for the vpcd port.
pub const READER: &str = "Virtual PCD 00 00";

static FIELD: Mutex<()> = Mutex::new(());

/// One card at a time on the virtual reader; waits until the previous card is gone.
pub fn field() -> MutexGuard<'static, ()> {
    let guard = FIELD.lock().unwrap_or_else(|e| e.into_inner());
    wait_for_empty(READER, Some(Duration::from_secs(10))).unwrap();
    // pcscd polls vpcd's slot for a new card every 400 ms or so; a card that connects while
    // the driver still settles the previous one's removal is not seen (TESTING.md).
    std::thread::sleep(Duration::from_secs(1));
    guard
}

pub fn unix_now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    i64::try_from(secs).unwrap()
}

/// A test mDL whose portrait is `portrait_len` bytes (the response grows with it).
pub fn credential(portrait_len: usize, device_auth: DeviceAuthMethod) -> (Credential, IssuerPki) {
    let mut rng = UnwrapErr(SysRng);
    let now = unix_now();
    let pki = IssuerPki::generate(Curve::P256, "UT", now - 60, &mut rng).unwrap();
    let device_key = PrivateKey::generate(Curve::P256, &mut rng).unwrap();
    let mut name_spaces = sample_mdl_name_spaces(
        FullDate::parse("2026-01-01").unwrap(),
        FullDate::parse("2031-01-01").unwrap(),
    );
    let portrait: Vec<u8> = (0..portrait_len).map(|i| (i * 7) as u8).collect();
    name_spaces[MDL_NAMESPACE].insert("portrait".into(), Value::Bytes(portrait));
    let issuer_signed = issue_mdoc(
        &MdocRequest {
            doc_type: MDL_DOC_TYPE.into(),
            name_spaces,
            device_key: device_key.public_key().clone(),
            key_authorizations: None,
            validity: MdocValidity {
                signed: now - 60,
                valid_from: now - 60,
                valid_until: now + 3600,
                expected_update: None,
            },
            digest_algorithm: mdl_proximity::msg::mso::DigestAlgorithm::Sha256,
            digest_ids: DigestIdOrder::Shuffled,
        },
        &pki.ds_key.signer().unwrap(),
        pki.ds.der(),
        &mut rng,
    )
    .unwrap();
    (
        Credential {
            doc_type: MDL_DOC_TYPE.into(),
            issuer_signed,
            device_key,
            device_auth,
        },
        pki,
    )
}

/// A [`CardLink`] that is pulled out of the field after `apdus` C-APDUs: the connection to
/// vpcd closes, which pcscd reports as a removed card.
pub struct Removing<L> {
    pub inner: Option<L>,
    pub apdus: usize,
}

impl<L: CardLink> CardLink for Removing<L> {
    fn receive(&mut self) -> Result<FieldEvent, ChannelError> {
        let inner = self.inner.as_mut().ok_or(ChannelError::Removed)?;
        let event = inner.receive()?;
        if let FieldEvent::Apdu(_) = event {
            if self.apdus == 0 {
                self.inner = None;
                return Err(ChannelError::Removed);
            }
            self.apdus -= 1;
        }
        Ok(event)
    }
    fn send(&mut self, response: &[u8]) -> Result<(), ChannelError> {
        self.inner
            .as_mut()
            .ok_or(ChannelError::Removed)?
            .send(response)
    }
}

pub struct HolderSpec {
    pub mode: HandoverMode,
    pub carriers: Vec<Carrier>,
    /// Pull the card after this many C-APDUs.
    pub remove_after: Option<usize>,
}

pub fn nfc_carrier() -> Carrier {
    Carrier::Nfc(NfcCarrier {
        max_command: vpcd::LINK_SIZES.command_data as u32,
        max_response: vpcd::LINK_SIZES.response_data as u32,
    })
}

/// The holder: engages as a vpcd card and serves one presentation over NFC.
pub async fn holder(
    port: u16,
    credential: Credential,
    spec: HolderSpec,
) -> Result<CloseReason, String> {
    let mut rng = UnwrapErr(SysRng);
    let e_device_key = EphemeralPrivateKey::generate(Curve::P256, &mut rng).unwrap();
    let engagement = Tag24::new(DeviceEngagement::new(
        e_device_key.public_key().unwrap(),
        vec![],
    ));
    let emulator = TagEmulator::new(CardConfig {
        device_engagement: engagement.inner_bytes().to_vec(),
        carriers: spec.carriers,
        mode: spec.mode,
        link_sizes: vpcd::LINK_SIZES,
    });
    let link = VpcdLink::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    let mut card = match spec.remove_after {
        Some(n) => NfcCard::start(
            Removing {
                inner: Some(link),
                apdus: n,
            },
            emulator,
        ),
        None => NfcCard::start(link, emulator),
    };
    let engaged = card
        .engaged()
        .await
        .map_err(|e| format!("engagement: {e}"))?;
    let mut session = HolderSession::new(
        HolderConfig::default(),
        e_device_key,
        engagement,
        engaged.handover,
        Instant::now(),
    )
    .map_err(|e| e.to_string())?;
    let consent = |review: &ReviewRequest| Selection::all_requested(review);
    let mut presenter = Presenter::new(
        vec![credential.to_mdoc().expect("device key")],
        consent,
        TrustAnchors::new(),
    );
    Ok(serve_holder(&mut session, &mut card, &mut presenter, None).await)
}

pub struct ReaderSpec {
    /// How long the card sits in vpcd before the reader connects (pcscd powers an idle card
    /// down and up again meanwhile).
    pub delay: Duration,
    pub link_sizes: ApduSizes,
    pub carriers: Vec<Carrier>,
    pub iaca: TrustAnchors,
}

pub struct ReaderOutcome {
    pub report: Result<VerificationReport, DriverError>,
    pub response_len: usize,
    pub trace: String,
    pub handover_negotiated: bool,
    pub sizes: ApduSizes,
    /// From the card found to engagement done (the NDEF exchange).
    pub engagement: Duration,
    /// From engagement done to the session's end (SELECT mdoc, request, response, termination).
    pub retrieval: Duration,
}

/// The reader: waits for the card, engages, retrieves over NFC, verifies.
pub async fn reader(spec: ReaderSpec) -> Result<ReaderOutcome, String> {
    let log = Arc::new(Mutex::new(String::new()));
    let log2 = log.clone();
    let link_sizes = spec.link_sizes;
    tokio::time::sleep(spec.delay).await;
    let carriers = spec.carriers.clone();
    let (engagement, channel, engagement_time) = tokio::task::spawn_blocking(move || {
        let channel =
            PcscChannel::wait_for_card(Some(READER), Some(Duration::from_secs(10)), link_sizes)?;
        let mut channel = Traced::new(channel, log2);
        let found = Instant::now();
        let engagement = engage(
            &mut channel,
            PollerConfig {
                carriers,
                reader_engagement: Some(vec![0xA1, 0x00, 0x63, b'1', b'.', b'0']),
                collision_random: Some(0x1234),
                link_sizes,
                request_override: None,
            },
        )?;
        Ok::<_, mdl_transport_nfc::reader::ReaderError>((engagement, channel, found.elapsed()))
    })
    .await
    .unwrap()
    .map_err(|e| e.to_string())?;
    let engaged = Instant::now();
    let nfc = engagement
        .carriers
        .iter()
        .find_map(|c| match c {
            Carrier::Nfc(n) => Some(*n),
            _ => None,
        })
        .ok_or("no NFC carrier offered")?;
    let handover_negotiated = matches!(
        engagement.handover,
        mdl_proximity::msg::Handover::NfcNegotiated { .. }
    );
    let mut rng = UnwrapErr(SysRng);
    let key = ReaderSession::generate_key(&engagement.device_engagement, &mut rng).unwrap();
    let mut session = ReaderSession::new(
        ReaderConfig::default(),
        key,
        engagement.device_engagement,
        engagement.handover,
        Instant::now(),
    )
    .map_err(|e| e.to_string())?;
    let sizes = ApduSizes::from_carrier(&nfc).min(channel.link_sizes());
    let mut link = NfcReaderLink::start(channel, &nfc);
    let request = RequestBuilder::new()
        .mdl(&[
            ("family_name", false),
            ("portrait", false),
            ("age_over_18", false),
        ])
        .build()
        .unwrap();
    let received = reader_exchange(&mut session, &mut link, &request, None).await;
    let mut retrieval = engaged.elapsed();
    let (report, response_len) = match received {
        Ok(r) => {
            reader_terminate(&mut session, &mut link, Termination::Status, None).await;
            retrieval = engaged.elapsed();
            let len = r.bytes.len();
            let report = verify::response(
                &r.response.map_err(|e| e.to_string())?,
                session.transcript(),
                &spec.iaca,
                Some(session.e_reader_key()),
                unix_now(),
            );
            (Ok(report), len)
        }
        Err(e) => (Err(e), 0),
    };
    let trace = log.lock().unwrap().clone();
    Ok(ReaderOutcome {
        report,
        response_len,
        trace,
        handover_negotiated,
        sizes,
        engagement: engagement_time,
        retrieval,
    })
}
