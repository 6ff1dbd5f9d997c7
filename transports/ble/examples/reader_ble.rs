//! The reader half of a two-process presentation over BLE: give it the `mdoc:` URI and the
//! IACA PEM that `holder_ble` printed. It takes the BLE carrier the engagement offers (mdoc
//! peripheral server mode first, or `--prefer central`), connects, requests six mDL elements,
//! prints a progress line while the response arrives, verifies it and prints the report (exit
//! status 1 when verification fails).
//!
//! ```text
//! $ cargo run -p mdl-transport-ble --features bluer,btleplug --example reader_ble -- \
//!       'mdoc:owBjMS4wAY...' /tmp/mdl-holder-ble-12345/iaca.pem --adapter hci0 [--l2cap]
//! ```

#[path = "../tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use mdl_proximity::engagement::qr::from_qr_uri;
use mdl_transport::BleMode;
use mdl_transport_ble::bluez::{BleConfig, BleReader};

fn usage() -> String {
    "usage: reader_ble <mdoc:URI> <IACA PEM> [--adapter hciN] [--l2cap] [--prefer peripheral|central]"
        .into()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut positional = Vec::new();
    let mut config = BleConfig::default();
    let mut prefer = BleMode::PeripheralServer;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--adapter" => config.adapter = Some(args.next().ok_or_else(usage)?),
            "--l2cap" => config.l2cap = true,
            "--prefer" => {
                prefer = match args.next().as_deref() {
                    Some("peripheral") => BleMode::PeripheralServer,
                    Some("central") => BleMode::CentralClient,
                    _ => return Err(usage().into()),
                }
            }
            _ => positional.push(arg),
        }
    }
    let [uri, iaca_pem] = positional.as_slice() else {
        return Err(usage().into());
    };
    let iaca = std::fs::read_to_string(iaca_pem)?;
    let engagement = from_qr_uri(uri)?;
    let carriers = common::ble_carriers(&engagement);
    let carrier = carriers
        .iter()
        .find(|c| c.mode == prefer)
        .or_else(|| carriers.first())
        .ok_or("the engagement offers no BLE retrieval method")?
        .clone();
    config.progress = Some(Arc::new(|got, total| {
        let total = total.map(|t| format!("/{t}")).unwrap_or_default();
        eprint!("\rreceiving: {got}{total} bytes");
        let _ = std::io::stderr().flush();
    }));

    let t0 = Instant::now();
    let binding = common::binding(&engagement);
    let mut link = BleReader::new(config)
        .connect_ble(&carrier, &binding)
        .await?;
    println!(
        "connected in {:?}: {:?}{} (ATT MTU / L2CAP MTU {:?})",
        t0.elapsed(),
        link.mode(),
        if link.is_l2cap() {
            " over L2CAP"
        } else {
            " over GATT"
        },
        link.att_mtu()
    );
    let read = common::read(&mut link, engagement, &iaca).await?;
    eprintln!();
    println!(
        "response: {} bytes, {:?} after connecting",
        read.response_bytes,
        t0.elapsed()
    );
    print!("{}", read.report);
    if read.valid {
        Ok(())
    } else {
        Err("verification failed".into())
    }
}
