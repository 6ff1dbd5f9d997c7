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
    // The misbehaving peer's own outcome is not under test; it must not hang the test.
    let _ = tokio::time::timeout(Duration::from_secs(20), peer).await;
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
    // The misbehaving peer's own outcome is not under test; it must not hang the test.
    let _ = tokio::time::timeout(Duration::from_secs(20), peer).await;
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
    // The misbehaving peer's own outcome is not under test; it must not hang the test.
    let _ = tokio::time::timeout(Duration::from_secs(20), peer).await;
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
    // The misbehaving peer's own outcome is not under test; it must not hang the test.
    let _ = tokio::time::timeout(Duration::from_secs(20), peer).await;
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

/// One request/response of raw messages over a fresh link: the reader sends 100 bytes, the
/// holder answers `size` bytes. Prints a `BLE-BENCH` line for BENCHMARKS.md.
async fn transfer(mode: BleMode, l2cap: bool, size: usize) {
    let hc = BleConfig {
        l2cap,
        ..holder_config()
    };
    let mut listener = BleHolder::new(hc, &[mode]);
    let offered = listener.offer_ble().await.expect("offer");
    if l2cap {
        assert!(offered[0].psm.is_some(), "an L2CAP PSM is offered");
    }
    let carrier = offered[0].clone();
    let binding = SessionBinding {
        ble_ident: [0x42; 16],
    };
    let response: Vec<u8> = (0..size).map(|i| (i % 253) as u8).collect();
    let expected = response.clone();
    let reader = tokio::spawn(async move {
        let rc = BleConfig {
            l2cap,
            ..reader_config()
        };
        let t0 = Instant::now();
        let mut link = BleReader::new(rc)
            .connect_ble(&carrier, &binding)
            .await
            .expect("connect");
        let connected = t0.elapsed();
        let t1 = Instant::now();
        link.send(&[0xA5; 100]).await.expect("request");
        let got = link.receive().await.expect("response");
        let exchanged = t1.elapsed();
        eprintln!(
            "reader: got {} bytes in {exchanged:?}; stats {:?}",
            match &got {
                Incoming::Message(m) => m.len(),
                Incoming::End => 0,
            },
            link.stats()
        );
        assert_eq!(got, Incoming::Message(expected));
        let stats = link.stats();
        let mtu = link.att_mtu();
        assert_eq!(link.is_l2cap(), l2cap);
        link.close().await.expect("close");
        (connected, exchanged, stats, mtu)
    });
    let mut link = listener
        .accept_ble(&offered[0], &binding)
        .await
        .expect("accept");
    let request = link.receive().await.expect("request");
    assert_eq!(request, Incoming::Message(vec![0xA5; 100]));
    link.send(&response).await.expect("response");
    let end = tokio::time::timeout(Duration::from_secs(20), link.receive())
        .await
        .expect("end in time");
    assert!(matches!(end, Ok(Incoming::End)), "{end:?}");
    let holder_stats = link.stats();
    link.close().await.expect("close");
    let (connected, exchanged, reader_stats, mtu) =
        tokio::time::timeout(Duration::from_secs(120), reader)
            .await
            .expect("in time")
            .expect("task");
    let transport = if l2cap { "l2cap" } else { "gatt" };
    if !l2cap {
        let mtu = mtu.expect("GATT has an MTU");
        let optimal = mdl_transport_ble::chunk::optimal_chunk_count(size, mtu);
        assert_eq!(
            reader_stats.chunks_received, optimal as u64,
            "ATT PDUs of the response"
        );
        let (sent, got) = match mode {
            BleMode::PeripheralServer => (holder_stats.chunks_sent, reader_stats.chunks_received),
            BleMode::CentralClient => (holder_stats.chunks_sent, reader_stats.chunks_received),
        };
        assert_eq!(sent, got, "every chunk arrived once");
        eprintln!(
            "BLE-BENCH mode={mode:?} transport={transport} size={size} att_mtu={mtu} pdus={got} optimal={optimal} connect_ms={} exchange_ms={}",
            connected.as_millis(),
            exchanged.as_millis()
        );
    } else {
        eprintln!(
            "BLE-BENCH mode={mode:?} transport={transport} size={size} l2cap_mtu={mtu:?} connect_ms={} exchange_ms={}",
            connected.as_millis(),
            exchanged.as_millis()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gatt_transfer_4k_in_peripheral_server_mode() {
    let Some(_rig) = Rig::start("transfer_ps").await else {
        return;
    };
    transfer(BleMode::PeripheralServer, false, 4096).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gatt_transfer_60k_in_peripheral_server_mode() {
    let Some(rig) = Rig::start("transfer_ps_60k").await else {
        return;
    };
    if rig.kind != rig::Kind::Vm {
        // Under BlueZoo 1.0.2 this one was flaky (the holder's burst of 118 notifications
        // sometimes failed or the client saw the link drop; not explained yet): it runs on the
        // real stack only, where it is the measurement BENCHMARKS.md asks for.
        eprintln!("60 KB in peripheral server mode: runs under MDL_BLE_RIG=vm");
        return;
    }
    transfer(BleMode::PeripheralServer, false, 60_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gatt_transfer_60k_in_central_client_mode() {
    let Some(rig) = Rig::start("transfer_cc_60k").await else {
        return;
    };
    transfer(BleMode::CentralClient, false, 60_000).await;
    if rig.kind == rig::Kind::Vm {
        transfer(BleMode::CentralClient, false, 4096).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l2cap_transfers_4k_and_60k_vm_only() {
    let Some(rig) = Rig::start("transfer_l2cap").await else {
        return;
    };
    if rig.kind != rig::Kind::Vm {
        eprintln!("l2cap: BlueZoo has no L2CAP; runs under MDL_BLE_RIG=vm");
        return;
    }
    transfer(BleMode::PeripheralServer, true, 4096).await;
    transfer(BleMode::PeripheralServer, true, 60_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn l2cap_presentation_vm_only() {
    let Some(rig) = Rig::start("presentation_l2cap").await else {
        return;
    };
    if rig.kind != rig::Kind::Vm {
        eprintln!("l2cap: BlueZoo has no L2CAP; runs under MDL_BLE_RIG=vm");
        return;
    }
    let holder = common::Holder::new();
    let mut listener = BleHolder::new(
        BleConfig {
            l2cap: true,
            ..holder_config()
        },
        &[BleMode::PeripheralServer],
    );
    let offered = listener.offer_ble().await.expect("offer");
    let (key, engagement) = holder.engage(&offered);
    let reader_engagement = engagement.clone();
    let iaca = holder.iaca_pem.clone();
    let reader = tokio::spawn(async move {
        let carriers = common::ble_carriers(&reader_engagement);
        assert!(
            carriers[0].psm.is_some(),
            "PSM travels in the engagement (key 21)"
        );
        let binding = common::binding(&reader_engagement);
        let mut link = BleReader::new(BleConfig {
            l2cap: true,
            ..reader_config()
        })
        .connect_ble(&carriers[0], &binding)
        .await
        .expect("reader connects");
        assert!(link.is_l2cap());
        common::read(&mut link, reader_engagement, &iaca).await
    });
    let binding = common::binding(&engagement);
    let mut link = listener
        .accept_ble(&offered[0], &binding)
        .await
        .expect("holder accepts");
    assert!(link.is_l2cap());
    let reason = holder.serve(&mut link, key, engagement).await;
    let read = reader.await.expect("task").expect("read");
    assert!(read.valid, "{}", read.report);
    assert!(reason.is_orderly(), "{reason:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holder_serves_the_next_reader_with_a_fresh_uuid_vm_only() {
    let Some(rig) = Rig::start("next_reader").await else {
        return;
    };
    if rig.kind != rig::Kind::Vm {
        eprintln!(
            "next reader: BlueZoo cannot reconnect the same addresses; runs under MDL_BLE_RIG=vm"
        );
        return;
    }
    let mut seen = Vec::new();
    for _ in 0..2 {
        let holder = common::Holder::new();
        let mut listener = BleHolder::new(holder_config(), &[BleMode::PeripheralServer]);
        let offered = listener.offer_ble().await.expect("offer");
        seen.push(offered[0].service_uuid);
        let (key, engagement) = holder.engage(&offered);
        let re = engagement.clone();
        let iaca = holder.iaca_pem.clone();
        let reader = tokio::spawn(async move {
            let carriers = common::ble_carriers(&re);
            let binding = common::binding(&re);
            let mut link = BleReader::new(reader_config())
                .connect_ble(&carriers[0], &binding)
                .await
                .expect("connect");
            common::read(&mut link, re, &iaca).await
        });
        let binding = common::binding(&engagement);
        let mut link = listener
            .accept_ble(&offered[0], &binding)
            .await
            .expect("accept");
        let reason = holder.serve(&mut link, key, engagement).await;
        assert!(reason.is_orderly(), "{reason:?}");
        assert!(reader.await.expect("task").expect("read").valid);
    }
    assert_ne!(seen[0], seen[1], "a fresh service UUID per engagement");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reader_dropping_the_link_mid_transfer_is_link_lost_for_the_holder() {
    let Some(_rig) = Rig::start("drop_mid_transfer").await else {
        return;
    };
    let (mut listener, carrier) = peripheral_holder(holder_config()).await;
    let reader_carrier = carrier.clone();
    let progress = std::sync::Arc::new(tokio::sync::Notify::new());
    let p2 = progress.clone();
    let reader = tokio::spawn(async move {
        let config = BleConfig {
            progress: Some(std::sync::Arc::new(move |got, _| {
                if got >= 4000 {
                    p2.notify_one();
                }
            })),
            ..reader_config()
        };
        let mut link = BleReader::new(config)
            .connect_ble(&reader_carrier, &ANY_BINDING)
            .await
            .expect("connect");
        link.send(&[0xA5; 10]).await.expect("request");
        tokio::select! {
            r = link.receive() => panic!("the whole response arrived before the drop: {r:?}"),
            () = progress.notified() => {}
        }
        link.abort().await;
    });
    let mut link = listener
        .accept_ble(&carrier, &ANY_BINDING)
        .await
        .expect("accept");
    assert_eq!(
        link.receive().await.expect("request"),
        Incoming::Message(vec![0xA5; 10])
    );
    let t0 = Instant::now();
    // 200 KB: far more than can go before the reader drops the link at 4 KB.
    let sent = link.send(&vec![0x5A; 200_000]).await;
    let outcome = match sent {
        Err(e) => Err(e),
        Ok(()) => tokio::time::timeout(Duration::from_secs(20), link.receive())
            .await
            .expect("no hang"),
    };
    assert!(
        matches!(outcome, Err(mdl_transport::TransportError::LinkLost)),
        "{outcome:?}"
    );
    assert!(
        matches!(link.last_error(), Some(BleError::LinkLost { .. })),
        "{:?}",
        link.last_error()
    );
    assert!(t0.elapsed() < Duration::from_secs(30), "{:?}", t0.elapsed());
    reader.await.expect("reader");
}

/// The example binaries as two processes: QR engagement from the holder's stdout, BLE data
/// retrieval, verification in the reader.
async fn two_processes(holder_args: &[&str], reader_args: &[&str]) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    use tokio::process::Command;
    let examples = std::env::current_exe()
        .expect("test binary")
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .join("examples");
    let mut holder = Command::new(examples.join("holder_ble"))
        .args(holder_args)
        .args(["--adapter", HOLDER_ADAPTER])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("holder_ble example (built by cargo test with --all-features)");
    let mut lines = BufReader::new(holder.stdout.take().expect("stdout")).lines();
    let (mut uri, mut iaca) = (String::new(), String::new());
    let mut holder_out = String::new();
    while uri.is_empty() {
        let line = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("holder prints its engagement")
            .expect("read")
            .expect("holder running");
        holder_out.push_str(&line);
        holder_out.push('\n');
        if let Some(v) = line.strip_prefix("IACA:") {
            iaca = v.trim().to_owned();
        }
        if let Some(v) = line.strip_prefix("engagement:") {
            uri = v.trim().to_owned();
        }
    }
    let reader = Command::new(examples.join("reader_ble"))
        .arg(&uri)
        .arg(&iaca)
        .args(reader_args)
        .args(["--adapter", READER_ADAPTER])
        .kill_on_drop(true)
        .output();
    let reader = tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .expect("reader in time")
        .expect("reader");
    let stdout = String::from_utf8_lossy(&reader.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&reader.stderr));
    assert!(reader.status.success(), "reader failed: {}", reader.status);
    assert!(
        stdout.contains("DeviceResponse status 0 — VALID"),
        "{stdout}"
    );
    while let Ok(Some(line)) = lines.next_line().await {
        holder_out.push_str(&line);
        holder_out.push('\n');
    }
    let status = tokio::time::timeout(Duration::from_secs(20), holder.wait())
        .await
        .expect("holder exits")
        .expect("wait");
    eprintln!("{holder_out}");
    assert!(status.success(), "holder failed: {status}\n{holder_out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_peripheral_server_mode() {
    let Some(_rig) = Rig::start("two_processes_ps").await else {
        return;
    };
    two_processes(&["--ble", "peripheral"], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_central_client_mode() {
    let Some(_rig) = Rig::start("two_processes_cc").await else {
        return;
    };
    two_processes(&["--ble", "central"], &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_holder_offers_both_reader_prefers_central() {
    let Some(_rig) = Rig::start("two_processes_both").await else {
        return;
    };
    two_processes(&["--ble", "both"], &["--prefer", "central"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_l2cap_vm_only() {
    let Some(rig) = Rig::start("two_processes_l2cap").await else {
        return;
    };
    if rig.kind != rig::Kind::Vm {
        eprintln!("l2cap: BlueZoo has no L2CAP; runs under MDL_BLE_RIG=vm");
        return;
    }
    two_processes(&["--ble", "peripheral", "--l2cap"], &["--l2cap"]).await;
}
