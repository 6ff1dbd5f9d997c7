//! The BLE rig's smoke test: a Rust D-Bus client (`bluer`) against the real `bluetoothd` and kernel
//! Bluetooth inside the rig's VM (`.ci/rig-ble-vm.sh`), where `btvirt` provides two LE controllers,
//! hci0 and hci1, on one virtual radio.
//!
//! Each test runs only when `MDL_BLE_RIG=vm` (the rig sets it; `.ci/ble-vm-tests.sh` runs this
//! binary in the rig) and otherwise says so and passes: there is no Bluetooth outside the VM.
//! The tests share the two adapters: run them with `--test-threads=1`.
//!
//! This binary: the adapters, and a GATT exchange. The L2CAP exchange is `vm_rig_l2cap`, its own
//! binary, run on a freshly restarted stack: after a GATT connection between the same two
//! controllers, an L2CAP CoC channel in this rig carried data central → peripheral but nothing
//! back (see README, "Testing on the real BlueZ stack").

mod common;

use std::{collections::HashSet, time::Duration};

use bluer::{
    gatt::{
        local::{
            Application, Characteristic, CharacteristicNotify, CharacteristicNotifyMethod,
            CharacteristicWrite, CharacteristicWriteMethod, Service,
        },
        remote::CharacteristicWriteRequest,
        WriteOp,
    },
    AddressType, Session,
};
use common::{adapters, advertise, discover_then, fresh_uuid, quiesce, rig_is_vm, run, step, STEP};
use futures::{pin_mut, FutureExt, StreamExt};
use tokio::{
    sync::mpsc,
    time::{sleep, timeout, Instant},
};

#[test]
fn adapters_hci0_and_hci1_are_powered_le_controllers() {
    if !rig_is_vm() {
        return;
    }
    run(async {
        let session = Session::new().await.expect("connect to bluetoothd");
        let names: HashSet<String> = session
            .adapter_names()
            .await
            .expect("list adapters")
            .into_iter()
            .collect();
        assert!(
            names.contains("hci0") && names.contains("hci1"),
            "adapters: {names:?}"
        );
        let mut addresses = HashSet::new();
        for name in ["hci0", "hci1"] {
            let adapter = session.adapter(name).expect("adapter");
            assert!(
                adapter.is_powered().await.expect("Powered"),
                "{name} is not powered"
            );
            let addr = adapter.address().await.expect("Address");
            assert_eq!(
                adapter.address_type().await.expect("AddressType"),
                AddressType::LePublic,
                "{name}"
            );
            let roles = adapter
                .supported_advertising_features()
                .await
                .expect("LEAdvertisingManager1 features");
            eprintln!("{name}: {addr}, advertising features {roles:?}");
            addresses.insert(addr);
        }
        assert_eq!(addresses.len(), 2, "two distinct controllers");
    });
}

#[test]
fn gatt_write_without_response_and_notify_from_hci0_to_hci1() {
    if !rig_is_vm() {
        return;
    }
    run(async {
        let session = Session::new().await.expect("connect to bluetoothd");
        let (central, peripheral) = adapters(&session).await;
        let peer = peripheral.address().await.expect("hci1 address");
        let service_uuid = fresh_uuid(2);
        let echo_uuid = fresh_uuid(3);

        // hci1: a GATT server whose characteristic notifies back every value written to it.
        let (written_tx, mut written_rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let (notifier_tx, mut notifier_rx) = mpsc::unbounded_channel();
        let app = Application {
            services: vec![Service {
                uuid: service_uuid,
                primary: true,
                characteristics: vec![Characteristic {
                    uuid: echo_uuid,
                    write: Some(CharacteristicWrite {
                        write_without_response: true,
                        method: CharacteristicWriteMethod::Fun(Box::new(move |value, _req| {
                            let written_tx = written_tx.clone();
                            async move {
                                let _ = written_tx.send(value);
                                Ok(())
                            }
                            .boxed()
                        })),
                        ..Default::default()
                    }),
                    notify: Some(CharacteristicNotify {
                        notify: true,
                        method: CharacteristicNotifyMethod::Fun(Box::new(move |notifier| {
                            let notifier_tx = notifier_tx.clone();
                            async move {
                                let _ = notifier_tx.send(notifier);
                            }
                            .boxed()
                        })),
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let _app = step(
            "register the GATT application on hci1",
            STEP,
            peripheral.serve_gatt_application(app),
        )
        .await
        .expect("register the GATT application");

        // hci0 scans for the service UUID, hci1 advertises it; then connect, subscribe, write.
        let (found_in, _adv) = step(
            "hci1 advertises, hci0 discovers it by service UUID",
            Duration::from_secs(25),
            discover_then(
                &central,
                service_uuid,
                peer,
                advertise(&peripheral, service_uuid),
            ),
        )
        .await;
        let device = central.device(peer).expect("device");
        let t0 = Instant::now();
        let mut connected = false;
        for attempt in 1..=3 {
            match step("connect", STEP, device.connect()).await {
                Ok(()) => {
                    connected = true;
                    break;
                }
                Err(e) => {
                    eprintln!("connect attempt {attempt}: {e}");
                    sleep(Duration::from_millis(500)).await;
                }
            }
        }
        assert!(connected, "could not connect to {peer}");
        let connected_in = t0.elapsed();

        let mut echo = None;
        let services = step("resolve services", STEP, device.services())
            .await
            .expect("services");
        for service in services {
            if service.uuid().await.expect("service uuid") == service_uuid {
                for c in service.characteristics().await.expect("characteristics") {
                    if c.uuid().await.expect("characteristic uuid") == echo_uuid {
                        echo = Some(c);
                    }
                }
            }
        }
        let echo = echo.expect("the echo characteristic on hci1");
        let notifications = step("subscribe", STEP, echo.notify())
            .await
            .expect("subscribe");
        pin_mut!(notifications);
        let mut notifier = step("server sees the subscription", STEP, notifier_rx.recv())
            .await
            .expect("the server saw the subscription");

        let mtu = echo.mtu().await.expect("ATT MTU");
        assert!(mtu >= 23, "ATT MTU {mtu}");
        let largest = mtu - 3;
        let value: Vec<u8> = (0..largest).map(|i| i as u8 ^ 0x5a).collect();
        echo.write_ext(
            &value,
            &CharacteristicWriteRequest {
                op_type: WriteOp::Command,
                ..Default::default()
            },
        )
        .await
        .expect("write without response of MTU-3 bytes");
        let got = step("server receives the write", STEP, written_rx.recv())
            .await
            .expect("the server got the write");
        assert_eq!(got, value, "server side of the write");

        step("notify", STEP, notifier.notify(got))
            .await
            .expect("notify");
        let back = step(
            "client receives the notification",
            STEP,
            notifications.next(),
        )
        .await
        .expect("a notification");
        assert_eq!(back, value, "client side of the notification");

        // A real ATT bearer enforces the MTU: a command longer than MTU-3 cannot go out as one PDU.
        let oversized = vec![0u8; 2000.max(mtu + 1)];
        let too_long = echo
            .write_ext(
                &oversized,
                &CharacteristicWriteRequest {
                    op_type: WriteOp::Command,
                    ..Default::default()
                },
            )
            .await;
        let leaked = timeout(Duration::from_millis(500), written_rx.recv()).await;
        assert!(
            too_long.is_err()
                || leaked.map_or(true, |v| v.is_some_and(|v| v.len() < oversized.len())),
            "a {}-byte write without response arrived whole at ATT MTU {mtu}",
            oversized.len()
        );
        eprintln!(
            "GATT: found in {found_in:?}, connected in {connected_in:?}, ATT MTU {mtu}, \
             {largest}-byte write + notify echoed; {}-byte write: {}",
            oversized.len(),
            match &too_long {
                Ok(()) => "accepted locally, not delivered".to_string(),
                Err(e) => format!("refused ({e})"),
            }
        );
        step("disconnect", STEP, device.disconnect())
            .await
            .expect("disconnect");
        quiesce(&central).await;
        quiesce(&peripheral).await;
    });
}
