//! `mdl holder --ble [peripheral|central|both]` and BLE retrieval in `mdl reader`: the holder
//! offers BLE carriers (its real service UUIDs, and the L2CAP PSM with `--l2cap`) in the QR
//! engagement beside any `--listen tcp:…`, and serves whichever the reader uses; the reader
//! connects to the BLE carrier the engagement offers (2021 8.3.3.1.1, DESIGN §6, §7b). Thin:
//! `mdl-transport-ble`'s [`BleHolder`] and [`BleReader`] on BlueZ; sessions, consent, dump and
//! report are the TCP holder's and reader's.

use std::io::Write as _;
use std::sync::Arc;
use std::time::Instant;

use mdl_proximity::crypto::{Curve, EphemeralPrivateKey};
use mdl_proximity::engagement::Engagement;
use mdl_proximity::holder::Presenter;
use mdl_proximity::session::{HolderConfig, HolderSession};
use mdl_transport::{BleCarrier, BleMode, Carrier, Listen, SessionBinding, Transport as _};
use mdl_transport_ble::bluez::{BleConfig, BleHolder, BleLink, BleReader, ProgressFn};
use mdl_transport_mock::TcpListener;

use crate::cli::{BleModeArg, HolderArgs, ReaderArgs};
use crate::error::{CliError, CliResult, Context as _};
use crate::holder::{serve_connection, HolderConsent};
use crate::output::outln;
use crate::rng::CliRng;

/// Below this many bytes a transfer prints no progress line.
const PROGRESS_FROM: usize = 16 * 1024;

fn modes(arg: BleModeArg) -> Vec<BleMode> {
    match arg {
        BleModeArg::Peripheral => vec![BleMode::PeripheralServer],
        BleModeArg::Central => vec![BleMode::CentralClient],
        BleModeArg::Both => vec![BleMode::PeripheralServer, BleMode::CentralClient],
    }
}

fn mode_name(mode: BleMode) -> &'static str {
    match mode {
        BleMode::PeripheralServer => "mdoc peripheral server mode",
        BleMode::CentralClient => "mdoc central client mode",
    }
}

/// What a link is, for the report line (`ble:…`).
fn link_label(link: &BleLink) -> String {
    format!(
        "ble:{}{}",
        match link.mode() {
            BleMode::PeripheralServer => "peripheral-server",
            BleMode::CentralClient => "central-client",
        },
        if link.is_l2cap() { "+l2cap" } else { "" }
    )
}

/// Serves presentations over BLE (and TCP with `--listen`) until Ctrl-C: a fresh engagement
/// per connection, offering what the links really serve.
pub(crate) async fn hold(
    args: &HolderArgs,
    arg: BleModeArg,
    curve: Curve,
    presenter: &mut Presenter<HolderConsent>,
    rng: &mut CliRng,
) -> CliResult<()> {
    let mut tcp = match &args.listen {
        Some(l) => Some(
            TcpListener::bind((l.host.as_str(), l.port))
                .await
                .with_context(|| format!("binding tcp:{}:{}", l.host, l.port))?,
        ),
        None => None,
    };
    let config = BleConfig {
        adapter: args.adapter.clone(),
        l2cap: args.l2cap,
        ..BleConfig::default()
    };
    let modes = modes(arg);
    for connection in 1usize.. {
        let e_device_key = EphemeralPrivateKey::generate(curve, rng)
            .with_context(|| format!("EDeviceKey on {curve}"))?;
        let mut ble = BleHolder::new(config.clone(), &modes);
        let mut offered: Vec<Carrier> = ble
            .offer_ble()
            .await
            .context("preparing the BLE carriers (is bluetoothd running, the adapter on?)")?
            .into_iter()
            .map(Carrier::Ble)
            .collect();
        if let Some(l) = tcp.as_mut() {
            offered.extend(l.offer().await.context("the TCP listener's offer")?);
        }
        for c in &offered {
            match c {
                Carrier::Ble(b) => eprintln!(
                    "holder: offering BLE {}{}",
                    mode_name(b.mode),
                    b.psm
                        .map(|p| format!(", L2CAP PSM {p:#06x}"))
                        .unwrap_or_default()
                ),
                Carrier::Tcp(t) => eprintln!("holder: offering tcp:{}:{}", t.host, t.port),
                _ => {}
            }
        }
        let engagement = Engagement::holder_qr(
            e_device_key.public_key().context("EDeviceKey public key")?,
            offered.clone(),
        );
        let uri = engagement.qr_uri();
        outln!("{uri}");
        if !args.no_qr {
            match crate::qr::render(&uri) {
                Ok(qr) => eprintln!("{qr}"),
                Err(e) => eprintln!("(no QR code: {e})"),
            }
        }
        eprintln!("holder: waiting for a reader (connection {connection}); Ctrl-C stops");
        let binding = engagement.binding();
        let mut session = HolderSession::from_engagement(
            HolderConfig::default(),
            e_device_key,
            &engagement,
            Instant::now(),
        )
        .context("starting the holder session")?;
        let dump = args.dump.as_deref();
        let tcp_carrier = offered
            .iter()
            .find(|c| matches!(c, Carrier::Tcp(_)))
            .cloned();
        match (tcp.as_mut(), tcp_carrier) {
            (Some(l), Some(carrier)) => {
                tokio::select! {
                    link = ble.accept_any(&binding) => match link {
                        Ok(mut link) => {
                            eprintln!("holder: connection {connection} over {}", link_label(&link));
                            serve_connection(&mut session, &mut link, presenter, dump, connection).await?;
                            let _ = link.close().await;
                        }
                        Err(e) => eprintln!("holder: BLE: {e}"),
                    },
                    t = l.accept(&carrier, &binding) => match t {
                        Ok(mut t) => {
                            eprintln!("holder: connection {connection} over TCP");
                            serve_connection(&mut session, &mut t, presenter, dump, connection).await?;
                        }
                        Err(e) => eprintln!("holder: accepting over TCP: {e}"),
                    },
                }
            }
            _ => match ble.accept_any(&binding).await {
                Ok(mut link) => {
                    eprintln!("holder: connection {connection} over {}", link_label(&link));
                    serve_connection(&mut session, &mut link, presenter, dump, connection).await?;
                    let _ = link.close().await;
                }
                Err(e) => eprintln!("holder: BLE: {e}"),
            },
        }
    }
    Ok(())
}

/// A progress line on stderr for transfers of at least [`PROGRESS_FROM`] bytes.
fn progress_line() -> ProgressFn {
    Arc::new(|got: usize, total: Option<usize>| {
        if got < PROGRESS_FROM && total.is_none_or(|t| t < PROGRESS_FROM) {
            return;
        }
        let total = total.map(|t| format!(" of {t}")).unwrap_or_default();
        eprint!("\rreader: received {got}{total} bytes over BLE");
        let _ = std::io::stderr().flush();
    })
}

/// Connects to the holder's BLE carrier; the link and its report label.
pub(crate) async fn connect(
    args: &ReaderArgs,
    carrier: &BleCarrier,
    binding: &SessionBinding,
) -> CliResult<(BleLink, String)> {
    let config = BleConfig {
        adapter: args.adapter.clone(),
        l2cap: args.l2cap,
        progress: Some(progress_line()),
        ..BleConfig::default()
    };
    eprintln!("reader: connecting over BLE, {}", mode_name(carrier.mode));
    let link = BleReader::new(config)
        .connect_ble(carrier, binding)
        .await
        .map_err(|e| CliError::msg(format!("BLE ({}): {e}", mode_name(carrier.mode))))?;
    let label = link_label(&link);
    eprintln!(
        "reader: connected over {label} (MTU {})",
        link.att_mtu()
            .map_or_else(|| "?".to_owned(), |m| m.to_string())
    );
    Ok((link, label))
}
