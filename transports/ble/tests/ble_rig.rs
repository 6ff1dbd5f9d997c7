//! BLE data retrieval on BlueZ (`MDL_BLE_RIG=bluezoo` or `vm`): whole presentations in both
//! modes, the Ident check, and every failure of issue 7 item 5 ending typed and in time.
#![cfg(all(feature = "bluer", feature = "btleplug"))]

mod common;
mod rig;

use std::time::{Duration, Instant};

use mdl_transport::{BleCarrier, BleMode, Incoming, SessionBinding, Transport};
use mdl_transport_ble::bluez::{random_service_uuid, BleConfig, BleHolder, BleReader};
use mdl_transport_ble::chunk::ChunkError;
use mdl_transport_ble::BleError;
use rig::{Rig, HOLDER_ADAPTER, READER_ADAPTER};

fn holder_config() -> BleConfig {
    BleConfig {
        scan_timeout: Duration::from_secs(15),
        start_timeout: Duration::from_secs(5),
        ..BleConfig::on_adapter(HOLDER_ADAPTER)
    }
}

fn reader_config() -> BleConfig {
    BleConfig {
        scan_timeout: Duration::from_secs(15),
        start_timeout: Duration::from_secs(5),
        ..BleConfig::on_adapter(READER_ADAPTER)
    }
}

/// A whole presentation: the holder offers `mode`, the reader connects from the engagement.
async fn present(mode: BleMode) {
    let holder = common::Holder::new();
    let mut listener = BleHolder::new(holder_config(), &[mode]);
    let offered = listener.offer_ble().await.expect("offer");
    assert_eq!(offered.len(), 1);
    let (key, engagement) = holder.engage(&offered);

    // The reader's side sees only the engagement.
    let reader_engagement = engagement.clone();
    let iaca = holder.iaca_pem.clone();
    let reader = tokio::spawn(async move {
        let carriers = common::ble_carriers(&reader_engagement);
        let binding = common::binding(&reader_engagement);
        let mut connector = BleReader::new(reader_config());
        let mut link = connector
            .connect_ble(&carriers[0], &binding)
            .await
            .expect("reader connects");
        common::read(&mut link, reader_engagement, &iaca).await
    });

    let binding = common::binding(&engagement);
    let mut link = listener
        .accept_ble(&offered[0], &binding)
        .await
        .expect("holder accepts");
    let reason = holder.serve(&mut link, key, engagement).await;
    let read = tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .expect("reader in time")
        .expect("reader task")
        .expect("reader read");
    assert!(read.valid, "verification failed:\n{}", read.report);
    assert!(
        read.response_bytes > 1000,
        "a real response: {} bytes",
        read.response_bytes
    );
    assert!(reason.is_orderly(), "holder closed with {reason:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presentation_reader_central_holder_peripheral() {
    let Some(_rig) = Rig::start("presentation_ps").await else {
        return;
    };
    present(BleMode::PeripheralServer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presentation_reader_peripheral_holder_central_with_ident() {
    let Some(_rig) = Rig::start("presentation_cc").await else {
        return;
    };
    present(BleMode::CentralClient).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_ident_ends_the_holders_session() {
    let Some(_rig) = Rig::start("wrong_ident").await else {
        return;
    };
    let mut listener = BleHolder::new(holder_config(), &[BleMode::CentralClient]);
    let offered = listener.offer_ble().await.expect("offer");
    let right = SessionBinding {
        ble_ident: [0x8d; 16],
    };
    let wrong = SessionBinding {
        ble_ident: [0x11; 16],
    };
    let carrier = offered[0].clone();
    let reader = tokio::spawn(async move {
        let config = BleConfig {
            scan_timeout: Duration::from_secs(8),
            ..reader_config()
        };
        BleReader::new(config).connect_ble(&carrier, &wrong).await
    });
    let t0 = Instant::now();
    let err = listener
        .accept_ble(&offered[0], &right)
        .await
        .expect_err("Ident mismatch");
    assert!(
        matches!(&err, BleError::IdentMismatch { expected, received } if *expected == [0x8d; 16] && received == &[0x11; 16]),
        "{err:?}"
    );
    assert!(t0.elapsed() < Duration::from_secs(30));
    // The reader never sees a State start: its wait ends with an error, not a hang.
    let r = tokio::time::timeout(Duration::from_secs(30), reader)
        .await
        .expect("reader ends")
        .expect("task");
    assert!(r.is_err(), "reader must not get a link");
}

/// The reader as GATT client, writing raw values through btleplug: a misbehaving peer.
mod raw {
    use btleplug::api::{Central, Manager as _, Peripheral as _, ScanFilter, WriteType};
    use btleplug::platform::{Manager, Peripheral};
    use futures::StreamExt;
    use mdl_transport::BleUuid;
    use mdl_transport_ble::profile::{MDOC_CLIENT2SERVER, MDOC_SERVER2CLIENT, MDOC_STATE};
    use uuid::Uuid;

    pub(crate) struct RawClient {
        pub(crate) peripheral: Peripheral,
    }

    impl RawClient {
        pub(crate) async fn connect(
            adapter: &str,
            service: &BleUuid,
            subscribe: bool,
        ) -> RawClient {
            let manager = Manager::new().await.expect("manager");
            let mut chosen = None;
            for a in manager.adapters().await.expect("adapters") {
                if a.adapter_info().await.expect("info").starts_with(adapter) {
                    chosen = Some(a);
                }
            }
            let central = chosen.expect("adapter");
            let uuid = Uuid::from_bytes(service.0);
            let mut events = central.events().await.expect("events");
            central
                .start_scan(ScanFilter {
                    services: vec![uuid],
                })
                .await
                .expect("scan");
            let peripheral = tokio::time::timeout(std::time::Duration::from_secs(15), async {
                loop {
                    for p in central.peripherals().await.expect("peripherals") {
                        if let Ok(Some(props)) = p.properties().await {
                            if props.services.contains(&uuid) {
                                return p;
                            }
                        }
                    }
                    let _ = events.next().await;
                }
            })
            .await
            .expect("holder found");
            let _ = central.stop_scan().await;
            peripheral.connect().await.expect("connect");
            peripheral.discover_services().await.expect("discover");
            let client = RawClient { peripheral };
            if subscribe {
                for u in [MDOC_STATE, MDOC_SERVER2CLIENT] {
                    let c = client.characteristic(&u);
                    client.peripheral.subscribe(&c).await.expect("subscribe");
                }
            }
            client
        }

        fn characteristic(&self, u: &BleUuid) -> btleplug::api::Characteristic {
            let uuid = Uuid::from_bytes(u.0);
            self.peripheral
                .characteristics()
                .into_iter()
                .find(|c| c.uuid == uuid)
                .expect("characteristic")
        }

        pub(crate) async fn write_state(&self, v: &[u8]) {
            let c = self.characteristic(&MDOC_STATE);
            self.peripheral
                .write(&c, v, WriteType::WithoutResponse)
                .await
                .expect("write");
        }

        pub(crate) async fn write_c2s(&self, v: &[u8]) {
            let c = self.characteristic(&MDOC_CLIENT2SERVER);
            self.peripheral
                .write(&c, v, WriteType::WithoutResponse)
                .await
                .expect("write");
        }

        pub(crate) async fn disconnect(&self) {
            let _ = self.peripheral.disconnect().await;
        }
    }
}

/// A holder in peripheral server mode with its offered carrier.
async fn peripheral_holder(config: BleConfig) -> (BleHolder, BleCarrier) {
    let mut listener = BleHolder::new(config, &[BleMode::PeripheralServer]);
    let offered = listener.offer_ble().await.expect("offer");
    (listener, offered[0].clone())
}

const ANY_BINDING: SessionBinding = SessionBinding { ble_ident: [0; 16] };

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_mid_message_is_link_lost() {
    let Some(_rig) = Rig::start("disconnect_mid").await else {
        return;
    };
    let (mut listener, carrier) = peripheral_holder(holder_config()).await;
    let uuid = carrier.service_uuid.expect("uuid");
    let peer = tokio::spawn(async move {
        let c = raw::RawClient::connect(READER_ADAPTER, &uuid, true).await;
        c.write_state(&[0x01]).await;
        c.write_c2s(&[0x01, 0xA2, 0x01, 0x02]).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        c.disconnect().await;
    });
    let mut link = listener
        .accept_ble(&carrier, &ANY_BINDING)
        .await
        .expect("started");
    let t0 = Instant::now();
    let got = tokio::time::timeout(Duration::from_secs(20), link.receive())
        .await
        .expect("no hang");
    assert!(
        matches!(got, Err(mdl_transport::TransportError::LinkLost)),
        "{got:?}"
    );
    assert!(
        matches!(
            link.last_error(),
            Some(BleError::LinkLost { mid_message: true })
        ),
        "{:?}",
        link.last_error()
    );
    assert!(t0.elapsed() < Duration::from_secs(20));
    peer.await.expect("peer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_that_never_writes_state_times_out() {
    let Some(_rig) = Rig::start("never_state").await else {
        return;
    };
    let config = BleConfig {
        start_timeout: Duration::from_secs(2),
        ..holder_config()
    };
    let (mut listener, carrier) = peripheral_holder(config).await;
    let uuid = carrier.service_uuid.expect("uuid");
    let peer = tokio::spawn(async move {
        let c = raw::RawClient::connect(READER_ADAPTER, &uuid, true).await;
        tokio::time::sleep(Duration::from_secs(6)).await;
        c.disconnect().await;
    });
    let got = tokio::time::timeout(
        Duration::from_secs(30),
        listener.accept_ble(&carrier, &ANY_BINDING),
    )
    .await
    .expect("no hang");
    assert!(matches!(got, Err(BleError::StartTimeout)), "{got:?}");
    peer.await.expect("peer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_chunk_is_a_framing_error() {
    let Some(_rig) = Rig::start("garbage").await else {
        return;
    };
    let (mut listener, carrier) = peripheral_holder(holder_config()).await;
    let uuid = carrier.service_uuid.expect("uuid");
    let peer = tokio::spawn(async move {
        let c = raw::RawClient::connect(READER_ADAPTER, &uuid, true).await;
        c.write_state(&[0x01]).await;
        c.write_c2s(&[0x07, 0xFF, 0xFF]).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        c.disconnect().await;
    });
    let mut link = listener
        .accept_ble(&carrier, &ANY_BINDING)
        .await
        .expect("started");
    let got = tokio::time::timeout(Duration::from_secs(20), link.receive())
        .await
        .expect("no hang");
    assert!(
        matches!(got, Err(mdl_transport::TransportError::Framing(_))),
        "{got:?}"
    );
    assert!(
        matches!(
            link.last_error(),
            Some(BleError::Chunk(ChunkError::BadHeader(0x07)))
        ),
        "{:?}",
        link.last_error()
    );
    peer.await.expect("peer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_end_from_the_client_is_incoming_end() {
    let Some(_rig) = Rig::start("state_end").await else {
        return;
    };
    let (mut listener, carrier) = peripheral_holder(holder_config()).await;
    let uuid = carrier.service_uuid.expect("uuid");
    let peer = tokio::spawn(async move {
        let c = raw::RawClient::connect(READER_ADAPTER, &uuid, true).await;
        c.write_state(&[0x01]).await;
        c.write_c2s(&[0x00, 0xA0]).await;
        c.write_state(&[0x02]).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        c.disconnect().await;
    });
    let mut link = listener
        .accept_ble(&carrier, &ANY_BINDING)
        .await
        .expect("started");
    let first = tokio::time::timeout(Duration::from_secs(20), link.receive())
        .await
        .expect("no hang");
    assert_eq!(first.expect("message"), Incoming::Message(vec![0xA0]));
    let second = tokio::time::timeout(Duration::from_secs(20), link.receive())
        .await
        .expect("no hang");
    assert_eq!(second.expect("end"), Incoming::End);
    peer.await.expect("peer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_adapter_is_typed() {
    let Some(_rig) = Rig::start("no_adapter").await else {
        return;
    };
    let mut listener = BleHolder::new(BleConfig::on_adapter("hci9"), &[BleMode::PeripheralServer]);
    let got = listener.offer_ble().await;
    assert!(
        matches!(&got, Err(BleError::AdapterMissing(n)) if n == "hci9"),
        "{got:?}"
    );
    let carrier = BleCarrier {
        mode: BleMode::PeripheralServer,
        service_uuid: Some(random_service_uuid().expect("rng")),
        address: None,
        psm: None,
    };
    let got = BleReader::new(BleConfig::on_adapter("hci9"))
        .connect_ble(&carrier, &ANY_BINDING)
        .await;
    assert!(
        matches!(&got, Err(BleError::AdapterMissing(n)) if n == "hci9"),
        "{got:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn powered_off_adapter_is_typed() {
    let Some(rig) = Rig::start("powered_off").await else {
        return;
    };
    rig.power(HOLDER_ADAPTER, false).await;
    let mut listener = BleHolder::new(
        holder_config(),
        &[BleMode::PeripheralServer, BleMode::CentralClient],
    );
    let got = listener.offer_ble().await;
    rig.power(HOLDER_ADAPTER, true).await;
    assert!(
        matches!(&got, Err(BleError::AdapterOff(n)) if n == HOLDER_ADAPTER),
        "{got:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_holder_within_the_scan_time() {
    let Some(_rig) = Rig::start("no_peer").await else {
        return;
    };
    let config = BleConfig {
        scan_timeout: Duration::from_secs(2),
        ..reader_config()
    };
    let carrier = BleCarrier {
        mode: BleMode::PeripheralServer,
        service_uuid: Some(random_service_uuid().expect("rng")),
        address: None,
        psm: None,
    };
    let t0 = Instant::now();
    let got = BleReader::new(config)
        .connect_ble(&carrier, &ANY_BINDING)
        .await;
    assert!(
        matches!(got, Err(BleError::PeerNotFound { seconds: 2, .. })),
        "{got:?}"
    );
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
}
