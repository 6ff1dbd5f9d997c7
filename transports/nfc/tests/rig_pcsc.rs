//! Full presentations on the real PC/SC stack (issue 6): our holder is a vpcd virtual card,
//! our reader talks to it through pcscd. Needs the rig (`.ci/rig-nfc.sh`, which `.ci/run`
//! starts); each test is skipped, and says so, only when `MDL_NFC_RIG` is unset.
#![cfg(all(feature = "pcsc", feature = "vpcd"))]
#![allow(clippy::unwrap_used)]
// `field()` is a std Mutex held for a whole test on purpose: each #[tokio::test] has its own
// runtime, and the guard serializes tests (one card on the virtual reader), not tasks.
#![allow(clippy::await_holding_lock)]

mod rig;

use std::time::Duration;

use mdl_proximity::driver::DriverError;
use mdl_proximity::issuer::DeviceAuthMethod;
use mdl_proximity::session::CloseReason;
use mdl_proximity::verify::TrustAnchors;
use mdl_transport::{BleCarrier, BleMode, BleUuid, Carrier, Incoming, Transport, TransportError};
use mdl_transport_nfc::card::HandoverMode;
use mdl_transport_nfc::envelope::ApduSizes;
use mdl_transport_nfc::trace::annotate;
use mdl_transport_nfc::vpcd;
use rig::{
    credential, field, holder, nfc_carrier, reader, rig, HolderSpec, ReaderOutcome, ReaderSpec,
};

/// Generous bound on one whole presentation: a hang fails the test instead of the CI job.
const DEADLINE: Duration = Duration::from_secs(60);

fn reader_ble() -> Carrier {
    Carrier::Ble(BleCarrier {
        mode: BleMode::CentralClient,
        service_uuid: Some(BleUuid([0x42; 16])),
        address: None,
        psm: None,
    })
}

async fn present(
    port: u16,
    portrait: usize,
    auth: DeviceAuthMethod,
    mode: HandoverMode,
    link_sizes: ApduSizes,
    delay: Duration,
) -> (ReaderOutcome, CloseReason) {
    let (cred, pki) = credential(portrait, auth);
    let iaca = TrustAnchors::from_pem(&pki.iaca.to_pem().unwrap()).unwrap();
    let holder = tokio::spawn(holder(
        port,
        cred,
        HolderSpec {
            mode,
            carriers: vec![nfc_carrier()],
            remove_after: None,
        },
    ));
    let outcome = tokio::time::timeout(
        DEADLINE,
        reader(ReaderSpec {
            delay,
            link_sizes,
            // BLE first: the holder has none, so negotiation must fall back to NFC.
            carriers: vec![reader_ble(), nfc_carrier()],
            iaca,
        }),
    )
    .await
    .expect("reader within the deadline")
    .unwrap();
    let closed = tokio::time::timeout(DEADLINE, holder)
        .await
        .expect("holder within the deadline")
        .unwrap()
        .unwrap();
    (outcome, closed)
}

fn assert_valid(outcome: &ReaderOutcome, closed: &CloseReason) {
    let report = outcome.report.as_ref().expect("a response");
    assert!(report.is_valid(), "{report}");
    assert!(closed.is_orderly(), "holder closed: {closed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_handover_full_presentation() {
    let Some(port) = rig("static_handover_full_presentation") else {
        return;
    };
    let _field = field();
    let (outcome, closed) = present(
        port,
        1042,
        DeviceAuthMethod::Signature,
        HandoverMode::Static,
        vpcd::LINK_SIZES,
        Duration::from_secs(2),
    )
    .await;
    assert_valid(&outcome, &closed);
    assert!(!outcome.handover_negotiated);
    // The trace annotates: engagement reads, the ENVELOPE messages.
    let notes = annotate(&outcome.trace);
    let text: Vec<&str> = notes.iter().map(|a| a.text.as_str()).collect();
    assert!(
        text.iter().any(|t| t.contains("Handover Select")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("reader sends SessionEstablishment")),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|t| t.contains("mdoc answers SessionData")),
        "{text:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negotiated_handover_full_presentation_with_device_mac() {
    let Some(port) = rig("negotiated_handover_full_presentation_with_device_mac") else {
        return;
    };
    let _field = field();
    let (outcome, closed) = present(
        port,
        1042,
        DeviceAuthMethod::Mac,
        HandoverMode::Negotiated,
        vpcd::LINK_SIZES,
        Duration::from_secs(2),
    )
    .await;
    assert_valid(&outcome, &closed);
    assert!(outcome.handover_negotiated);
    let text: Vec<String> = annotate(&outcome.trace)
        .into_iter()
        .map(|a| a.text)
        .collect();
    assert!(
        text.iter().any(|t| t.contains("TNEP Service Parameter")),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|t| t.contains("Handover Request")),
        "{text:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nfc_retrieval_of_4k_60k_and_over_64k_responses() {
    let Some(port) = rig("nfc_retrieval_of_4k_60k_and_over_64k_responses") else {
        return;
    };
    for (portrait, sizes, min_len, max_len) in [
        (1_600, vpcd::LINK_SIZES, 3_500, 4_800),
        (57_500, vpcd::LINK_SIZES, 58_000, 62_000),
        (70_000, vpcd::LINK_SIZES, 65_536, 80_000),
        // The same > 64 KiB response with short APDUs only (a PN53x-class reader).
        (70_000, ApduSizes::SHORT, 65_536, 80_000),
    ] {
        let _field = field();
        let (outcome, closed) = present(
            port,
            portrait,
            DeviceAuthMethod::Signature,
            HandoverMode::Negotiated,
            sizes,
            Duration::ZERO,
        )
        .await;
        assert_valid(&outcome, &closed);
        assert!(
            (min_len..=max_len).contains(&outcome.response_len),
            "response of {} bytes",
            outcome.response_len
        );
        assert_eq!(outcome.sizes, sizes);
        // Every C-APDU within the sizes in use.
        for line in outcome.trace.lines().filter_map(|l| l.strip_prefix("C: ")) {
            assert!(
                line.len() / 2 <= sizes.command_data + 9,
                "C-APDU of {} bytes",
                line.len() / 2
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_removed_mid_transfer_is_link_lost_and_a_clean_end() {
    let Some(port) = rig("card_removed_mid_transfer_is_link_lost_and_a_clean_end") else {
        return;
    };
    let _field = field();
    let (cred, pki) = credential(60_000, DeviceAuthMethod::Signature);
    let iaca = TrustAnchors::from_pem(&pki.iaca.to_pem().unwrap()).unwrap();
    // Negotiated engagement takes 17 APDUs with these messages; SELECT mdoc and the request
    // follow; the 60 KB answer needs ~240 GET RESPONSEs at short sizes: pull the card after 40.
    let holder = tokio::spawn(holder(
        port,
        cred,
        HolderSpec {
            mode: HandoverMode::Negotiated,
            carriers: vec![nfc_carrier()],
            remove_after: Some(40),
        },
    ));
    let started = std::time::Instant::now();
    let outcome = tokio::time::timeout(
        DEADLINE,
        reader(ReaderSpec {
            delay: Duration::ZERO,
            link_sizes: ApduSizes::SHORT,
            carriers: vec![nfc_carrier()],
            iaca,
        }),
    )
    .await
    .expect("reader ends within the deadline")
    .unwrap();
    assert!(
        matches!(
            outcome.report,
            Err(DriverError::Closed(CloseReason::TransportLost(_)))
        ),
        "{:?}",
        outcome.report.as_ref().err()
    );
    let closed = tokio::time::timeout(DEADLINE, holder)
        .await
        .expect("holder ends")
        .unwrap();
    // The holder's own side: its link is gone, the session ends as lost (not a hang).
    assert!(
        matches!(closed, Ok(CloseReason::TransportLost(_))),
        "{closed:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_reports_link_lost_when_the_card_goes() {
    use mdl_transport_nfc::card::{CardConfig, TagEmulator};
    use mdl_transport_nfc::holder::NfcCard;
    use mdl_transport_nfc::pcsc::PcscChannel;
    use mdl_transport_nfc::reader::NfcReaderLink;
    use mdl_transport_nfc::vpcd::VpcdLink;

    let Some(port) = rig("the_link_reports_link_lost_when_the_card_goes") else {
        return;
    };
    let _field = field();
    let emulator = TagEmulator::new(CardConfig {
        device_engagement: vec![0xA0],
        carriers: vec![nfc_carrier()],
        mode: HandoverMode::Static,
        link_sizes: vpcd::LINK_SIZES,
    });
    let mut card = NfcCard::start(VpcdLink::connect(("127.0.0.1", port)).unwrap(), emulator);
    let channel = tokio::task::spawn_blocking(|| {
        PcscChannel::wait_for_card(
            Some(rig::READER),
            Some(Duration::from_secs(10)),
            ApduSizes::SHORT,
        )
    })
    .await
    .unwrap()
    .unwrap();
    let mdl_transport::Carrier::Nfc(nfc) = nfc_carrier() else {
        unreachable!()
    };
    let mut link = NfcReaderLink::start(channel, &nfc);
    // One message each way works...
    link.send(&[0x55; 1000]).await.unwrap();
    assert_eq!(
        card.receive().await.unwrap(),
        Incoming::Message(vec![0x55; 1000])
    );
    card.send(&[0x66; 3000]).await.unwrap();
    assert_eq!(
        link.receive().await.unwrap(),
        Incoming::Message(vec![0x66; 3000])
    );
    // ... then the card leaves the field while the reader waits for an answer.
    link.send(&[0x77; 10]).await.unwrap();
    assert_eq!(
        card.receive().await.unwrap(),
        Incoming::Message(vec![0x77; 10])
    );
    drop(card);
    let lost = tokio::time::timeout(DEADLINE, link.receive())
        .await
        .expect("no hang");
    assert!(matches!(lost, Err(TransportError::LinkLost)), "{lost:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_apdus_over_pcsc_get_status_words_and_the_card_keeps_serving() {
    use mdl_transport_nfc::apdu::{ResponseApdu, StatusWord};
    use mdl_transport_nfc::card::{CardConfig, TagEmulator};
    use mdl_transport_nfc::holder::NfcCard;
    use mdl_transport_nfc::pcsc::PcscChannel;
    use mdl_transport_nfc::reader::ApduChannel;
    use mdl_transport_nfc::vpcd::VpcdLink;

    let Some(port) = rig("garbage_apdus_over_pcsc_get_status_words_and_the_card_keeps_serving")
    else {
        return;
    };
    let _field = field();
    let emulator = TagEmulator::new(CardConfig {
        device_engagement: vec![0xA0],
        carriers: vec![nfc_carrier()],
        mode: HandoverMode::Negotiated,
        link_sizes: vpcd::LINK_SIZES,
    });
    let card = NfcCard::start(VpcdLink::connect(("127.0.0.1", port)).unwrap(), emulator);
    let sws = tokio::task::spawn_blocking(|| {
        let mut ch = PcscChannel::wait_for_card(
            Some(rig::READER),
            Some(Duration::from_secs(10)),
            vpcd::LINK_SIZES,
        )
        .unwrap();
        let mut sw = |apdu: &[u8]| ResponseApdu::parse(&ch.transmit(apdu).unwrap()).unwrap().sw;
        vec![
            sw(&[0x00, 0xA4, 0x04, 0x00, 0x03, 1, 2, 3]),
            sw(&[0x00, 0x12, 0x00, 0x00]),
            sw(&[0x00, 0xA4, 0x04, 0x00, 0x09, 1]),
            sw(&[
                0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00, 0x02, 0x48, 0x04, 0x00,
            ]),
            sw(&[0x00, 0xC3, 0x00, 0x00, 0x02, 0x99, 0x00, 0x00]),
            // Still serving: the NDEF application and its CC.
            sw(&[
                0x00, 0xA4, 0x04, 0x00, 0x07, 0xD2, 0x76, 0x00, 0x00, 0x85, 0x01, 0x01, 0x00,
            ]),
            sw(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0xE1, 0x03]),
            sw(&[0x00, 0xB0, 0x00, 0x00, 0x0F]),
        ]
    })
    .await
    .unwrap();
    assert_eq!(
        sws,
        [
            StatusWord::FILE_NOT_FOUND,
            StatusWord::INS_NOT_SUPPORTED,
            StatusWord::WRONG_LENGTH,
            StatusWord::OK,
            StatusWord::NO_PRECISE_DIAGNOSIS,
            StatusWord::OK,
            StatusWord::OK,
            StatusWord::OK,
        ]
    );
    drop(card);
}
