//! The holder half of a two-process presentation over BLE: QR engagement, then data retrieval
//! in mdoc peripheral server mode, mdoc central client mode, or both (the reader picks).
//!
//! It issues a fresh test mDL, writes the test IACA (the reader's trust anchor) as PEM into a
//! temporary directory, offers the BLE carriers on the adapter, prints the `mdoc:` URI whose
//! BLE options advertise them, serves one presentation (releasing every requested element)
//! and exits.
//!
//! ```text
//! terminal 1$ cargo run -p mdl-transport-ble --features bluer,btleplug --example holder_ble -- \
//!                 --ble both --adapter hci1            # add --l2cap to offer an L2CAP PSM
//! IACA:       /tmp/mdl-holder-ble-12345/iaca.pem
//! engagement: mdoc:owBjMS4wAY...
//!
//! terminal 2$ cargo run -p mdl-transport-ble --features bluer,btleplug --example reader_ble -- \
//!                 'mdoc:owBjMS4wAY...' /tmp/mdl-holder-ble-12345/iaca.pem --adapter hci0
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use mdl_transport::{BleMode, Transport};
use mdl_transport_ble::bluez::{BleConfig, BleHolder};
use mdl_transport_ble::profile::uuid_string;

fn usage() -> String {
    "usage: holder_ble [--ble peripheral|central|both] [--l2cap] [--adapter hciN]".into()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut modes = vec![BleMode::PeripheralServer];
    let mut config = BleConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--ble" => {
                modes = match args.next().as_deref() {
                    Some("peripheral") => vec![BleMode::PeripheralServer],
                    Some("central") => vec![BleMode::CentralClient],
                    Some("both") => vec![BleMode::PeripheralServer, BleMode::CentralClient],
                    _ => return Err(usage().into()),
                }
            }
            "--l2cap" => config.l2cap = true,
            "--adapter" => config.adapter = Some(args.next().ok_or_else(usage)?),
            _ => return Err(usage().into()),
        }
    }

    let holder = common::Holder::new();
    let dir = std::env::temp_dir().join(format!("mdl-holder-ble-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let iaca_path = dir.join("iaca.pem");
    std::fs::write(&iaca_path, &holder.iaca_pem)?;

    let mut listener = BleHolder::new(config, &modes);
    let offered = listener.offer_ble().await?;
    for c in &offered {
        let uuid = c.service_uuid.as_ref().map(uuid_string).unwrap_or_default();
        let psm = c
            .psm
            .map(|p| format!(", L2CAP PSM {p:#06x}"))
            .unwrap_or_default();
        println!("offering:   {:?} service {uuid}{psm}", c.mode);
    }
    let (key, engagement) = holder.engage(&offered);
    println!("IACA:       {}", iaca_path.display());
    println!(
        "engagement: {}",
        mdl_proximity::engagement::qr::qr_uri(&engagement)
    );

    let binding = common::binding(&engagement);
    let mut link = listener.accept_any(&binding).await?;
    println!(
        "reader connected: {:?}{}",
        link.mode(),
        if link.is_l2cap() {
            " over L2CAP"
        } else {
            " over GATT"
        }
    );
    let reason = holder.serve(&mut link, key, engagement).await;
    let _ = link.close().await;
    println!("session closed: {reason:?}");
    std::fs::remove_dir_all(&dir)?;
    if reason.is_orderly() {
        Ok(())
    } else {
        Err(format!("session failed: {reason:?}").into())
    }
}
