//! What the rig's smoke tests share: the rig gate, a bounded runtime, adapters with no leftover
//! state, advertising and discovery.
#![allow(dead_code)] // each test binary uses a part

use std::{future::Future, time::Duration};

use bluer::{
    adv::{Advertisement, AdvertisementHandle},
    Adapter, AdapterEvent, Address, DiscoveryFilter, DiscoveryTransport, Session, Uuid,
};
use futures::{pin_mut, StreamExt};
use tokio::time::{sleep, timeout, Instant};

/// Every test ends within this, whatever the stack does.
pub const TEST_DEADLINE: Duration = Duration::from_secs(60);
/// Any one step (advertise, discover, connect, subscribe, a transfer).
pub const STEP: Duration = Duration::from_secs(15);
/// Bytes echoed over the L2CAP channel: several SDUs and many LE frames at any MTU.
pub const L2CAP_ECHO_LEN: usize = 64 * 1024;

pub fn rig_is_vm() -> bool {
    match std::env::var("MDL_BLE_RIG") {
        Ok(v) if v == "vm" => true,
        _ => {
            eprintln!("skipped: MDL_BLE_RIG is not `vm` (run me in .ci/rig-ble-vm.sh)");
            false
        }
    }
}

/// Runs one test body on a fresh tokio runtime, bounded by [`TEST_DEADLINE`].
pub fn run<F: Future<Output = ()>>(body: F) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    rt.block_on(async {
        timeout(TEST_DEADLINE, body)
            .await
            .expect("the test did not finish within its deadline")
    });
}

/// Awaits one step of a test within `limit`, logging it, so a failure names the step that hung.
pub async fn step<T>(what: &str, limit: Duration, fut: impl Future<Output = T>) -> T {
    let t0 = Instant::now();
    match timeout(limit, fut).await {
        Ok(v) => {
            eprintln!("  {what}: {:?}", t0.elapsed());
            v
        }
        Err(_) => panic!("{what}: no result within {limit:?}"),
    }
}

/// hci0 (the central here) and hci1 (the peripheral), powered, with no device left over from an
/// earlier test (a connection or a cached advertisement would change what the next test sees).
pub async fn adapters(session: &Session) -> (Adapter, Adapter) {
    let central = session.adapter("hci0").expect("adapter hci0");
    let peripheral = session.adapter("hci1").expect("adapter hci1");
    for a in [&central, &peripheral] {
        a.set_powered(true).await.expect("power on");
        quiesce(a).await;
    }
    (central, peripheral)
}

/// Disconnects every device of `adapter` and forgets it. A link still closing when the next test
/// connects would carry that test's L2CAP channel down with it.
pub async fn quiesce(adapter: &Adapter) {
    for addr in adapter.device_addresses().await.expect("devices") {
        if let Ok(device) = adapter.device(addr) {
            if device.is_connected().await.unwrap_or(false) {
                let _ = device.disconnect().await;
                let t0 = Instant::now();
                while device.is_connected().await.unwrap_or(false) && t0.elapsed() < STEP {
                    sleep(Duration::from_millis(100)).await;
                }
            }
        }
        let _ = adapter.remove_device(addr).await;
    }
}

/// A UUID no other test or run uses, so discovery cannot match a stale advertisement.
pub fn fresh_uuid(tag: u16) -> Uuid {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos() as u64;
    Uuid::from_u128((0x6d64_6c00_u128 << 96) | (u128::from(tag) << 64) | u128::from(nanos))
}

/// Advertises `service` from `adapter`: connectable and discoverable, as an mdoc peripheral does.
pub async fn advertise(adapter: &Adapter, service: Uuid) -> AdvertisementHandle {
    adapter
        .advertise(Advertisement {
            service_uuids: [service].into_iter().collect(),
            discoverable: Some(true),
            local_name: Some("mdl-rig".into()),
            ..Default::default()
        })
        .await
        .expect("register the advertisement")
}

/// Scans on `adapter` with a filter on `service` until `peer` shows up; `start_advertising` runs
/// once discovery is active.
///
/// Why in this order, and in rounds: `btvirt` reports an advertiser once, when scanning or
/// advertising starts, and the kernel drops reports that arrive before its discovery state is
/// "finding" (`mgmt_device_found`), which with an instant virtual controller can happen to the
/// report sent at scan start. Advertising after the scan is up is reported while discovery is
/// active; each further round (stop, start) is another report.
pub async fn discover_then<F: Future>(
    adapter: &Adapter,
    service: Uuid,
    peer: Address,
    start_advertising: F,
) -> (Duration, F::Output) {
    adapter
        .set_discovery_filter(DiscoveryFilter {
            uuids: [service].into_iter().collect(),
            transport: DiscoveryTransport::Le,
            ..Default::default()
        })
        .await
        .expect("set the discovery filter");
    let t0 = Instant::now();
    let mut advertising = Some(start_advertising);
    let mut output = None;
    for round in 1..=5 {
        let events = adapter.discover_devices().await.expect("start discovery");
        pin_mut!(events);
        if let Some(adv) = advertising.take() {
            output = Some(adv.await);
        }
        let found = timeout(Duration::from_secs(3), async {
            while let Some(event) = events.next().await {
                if matches!(event, AdapterEvent::DeviceAdded(addr) if addr == peer) {
                    return true;
                }
            }
            false
        })
        .await;
        if found == Ok(true) {
            return (
                t0.elapsed(),
                output.expect("advertising started in round 1"),
            );
        }
        eprintln!("  discovery round {round}: {peer} not seen yet");
    }
    panic!("discovery did not find {peer} in 5 rounds");
}
