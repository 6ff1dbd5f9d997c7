//! The holder half of a two-process NFC presentation: our holder is a **vpcd virtual card**
//! (pcscd's vsmartcard driver presents it as the reader `Virtual PCD 00 00`), engaged by NFC
//! static or negotiated handover, with data retrieval over NFC or the TCP test transport.
//! What `mdl holder --nfc vpcd[:HOST:PORT] --handover static|negotiated --retrieval nfc,tcp:…`
//! will do.
//!
//! It issues a fresh test mDL, writes its IACA certificate as PEM into a new temporary
//! directory, inserts the card into vpcd, waits for a reader's tap, serves one presentation
//! (releasing every requested element), removes the card and exits.
//!
//! ```text
//! terminal 1$ cargo run -p mdl-transport-nfc --features vpcd --example holder_vpcd -- \
//!                 --handover negotiated --retrieval nfc --vpcd 127.0.0.1:35963
//! IACA: /tmp/mdl-holder-vpcd-4242/iaca.pem
//! card inserted into vpcd at 127.0.0.1:35963; waiting for a reader
//!
//! terminal 2$ cargo run -p mdl-transport-nfc --features pcsc --example reader_pcsc -- \
//!                 --iaca /tmp/mdl-holder-vpcd-4242/iaca.pem
//! ```
//!
//! Options: `--handover static|negotiated` (default negotiated, as 2nd ed. recommends),
//! `--retrieval nfc,tcp:HOST:PORT` (the carriers offered, default `nfc`), `--vpcd HOST:PORT`
//! (default 127.0.0.1:35963).

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use getrandom::{rand_core::UnwrapErr, SysRng};
use mdl_proximity::cbor::Tag24;
use mdl_proximity::crypto::{Curve, EphemeralPrivateKey};
use mdl_proximity::driver::serve_holder;
use mdl_proximity::engagement::carrier::{DeviceRetrievalMethod, TcpOptions};
use mdl_proximity::holder::{Presenter, ReviewRequest, Selection};
use mdl_proximity::issuer::{sample_mdl_credential, SampleMdl};
use mdl_proximity::msg::DeviceEngagement;
use mdl_proximity::session::{CloseReason, HolderConfig, HolderSession};
use mdl_proximity::verify::TrustAnchors;
use mdl_transport::{Carrier, NfcCarrier};
use mdl_transport_mock::TcpTransport;
use mdl_transport_nfc::card::{CardConfig, HandoverMode, TagEmulator};
use mdl_transport_nfc::holder::NfcCard;
use mdl_transport_nfc::vpcd::{self, VpcdLink};
use tokio::net::TcpListener;

fn unix_now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

struct Args {
    mode: HandoverMode,
    nfc: bool,
    tcp: Option<(String, u16)>,
    vpcd: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        mode: HandoverMode::Negotiated,
        nfc: true,
        tcp: None,
        vpcd: vpcd::DEFAULT_ADDR.into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--handover" => {
                args.mode = match value.as_str() {
                    "static" => HandoverMode::Static,
                    "negotiated" => HandoverMode::Negotiated,
                    other => return Err(format!("--handover static|negotiated, not {other}")),
                }
            }
            "--retrieval" => {
                args.nfc = false;
                for method in value.split(',') {
                    if method == "nfc" {
                        args.nfc = true;
                    } else if let Some(addr) = method.strip_prefix("tcp:") {
                        let (host, port) = addr.rsplit_once(':').ok_or("tcp:HOST:PORT")?;
                        let port = port.parse().map_err(|_| format!("bad port {port}"))?;
                        args.tcp = Some((host.into(), port));
                    } else {
                        return Err(format!("unknown retrieval method {method}"));
                    }
                }
            }
            "--vpcd" => args.vpcd = value,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(args)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let mut rng = UnwrapErr(SysRng);
    let (credential, issuer) = sample_mdl_credential(&SampleMdl::p256(unix_now()), &mut rng)?;
    let dir = std::env::temp_dir().join(format!("mdl-holder-vpcd-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let iaca_path = dir.join("iaca.pem");
    std::fs::write(&iaca_path, issuer.iaca.to_pem()?)?;
    println!("IACA: {}", iaca_path.display());

    // Carriers: NFC in the handover records, TCP in the DeviceEngagement (it has no record).
    let listener = match &args.tcp {
        Some((host, port)) => Some(TcpListener::bind((host.as_str(), *port)).await?),
        None => None,
    };
    let mut methods = Vec::new();
    if let (Some((host, _)), Some(l)) = (&args.tcp, &listener) {
        methods.push(DeviceRetrievalMethod::Tcp(TcpOptions {
            host: host.clone(),
            port: l.local_addr()?.port(),
        }));
    }
    let mut carriers = Vec::new();
    if args.nfc {
        carriers.push(Carrier::Nfc(NfcCarrier {
            max_command: vpcd::LINK_SIZES.command_data as u32,
            max_response: vpcd::LINK_SIZES.response_data as u32,
        }));
    }
    let e_device_key = EphemeralPrivateKey::generate(Curve::P256, &mut rng)?;
    let engagement = Tag24::new(DeviceEngagement::new(e_device_key.public_key()?, methods));
    let emulator = TagEmulator::new(CardConfig {
        device_engagement: engagement.inner_bytes().to_vec(),
        carriers,
        mode: args.mode,
        link_sizes: vpcd::LINK_SIZES,
    });
    let mut card = NfcCard::start(VpcdLink::connect(args.vpcd.as_str())?, emulator);
    println!(
        "card inserted into vpcd at {}; waiting for a reader",
        args.vpcd
    );
    let engaged = card.engaged().await?;
    println!(
        "engaged by {} handover; Hs offers {:?}",
        match engaged.handover {
            mdl_proximity::msg::Handover::NfcNegotiated { .. } => "negotiated",
            _ => "static",
        },
        engaged.carriers
    );

    let mut session = HolderSession::new(
        HolderConfig::default(),
        e_device_key,
        engagement,
        engaged.handover,
        Instant::now(),
    )?;
    let consent = |review: &ReviewRequest| {
        let asked: Vec<_> = review.requested().map(|(_, element)| element).collect();
        println!("reader asks for {asked:?}; releasing them all");
        Selection::all_requested(review)
    };
    let mut presenter = Presenter::new(
        vec![credential.to_mdoc().expect("device key")],
        consent,
        TrustAnchors::new(),
    );
    // Data retrieval: whichever offered carrier the reader uses first.
    let reason: CloseReason = match listener {
        Some(listener) if args.nfc => {
            tokio::select! {
                ready = card.message_ready() => {
                    ready?;
                    println!("data retrieval over NFC");
                    serve_holder(&mut session, &mut card, &mut presenter, None).await
                }
                tcp = TcpTransport::accept(&listener) => {
                    println!("data retrieval over TCP");
                    serve_holder(&mut session, &mut tcp?, &mut presenter, None).await
                }
            }
        }
        Some(listener) => {
            let mut tcp = TcpTransport::accept(&listener).await?;
            println!("data retrieval over TCP");
            serve_holder(&mut session, &mut tcp, &mut presenter, None).await
        }
        None => {
            println!("data retrieval over NFC");
            serve_holder(&mut session, &mut card, &mut presenter, None).await
        }
    };
    println!("session closed: {reason:?}");
    drop(card); // the card leaves the field
    std::fs::remove_dir_all(&dir)?;
    if reason.is_orderly() {
        Ok(())
    } else {
        Err(format!("session failed: {reason:?}").into())
    }
}
