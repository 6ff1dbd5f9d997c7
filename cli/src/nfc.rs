//! `mdl holder --nfc vpcd[:HOST:PORT]` and `mdl reader --nfc [pcsc:READER]`: NFC engagement
//! (static or negotiated handover, 2021 8.2.2.1) and data retrieval over NFC or the TCP test
//! transport, on the library of `mdl-transport-nfc` (DESIGN §5–§7b). Thin: the holder is a
//! vsmartcard virtual card ([`VpcdLink`]), the reader a PC/SC terminal ([`PcscChannel`]); the
//! sessions, consent, dump and report are the TCP holder's and reader's.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use mdl_proximity::cbor::Tag24;
use mdl_proximity::crypto::{Curve, EphemeralPrivateKey};
use mdl_proximity::engagement::carrier::{DeviceRetrievalMethod, TcpOptions};
use mdl_proximity::engagement::select_carrier;
use mdl_proximity::holder::Presenter;
use mdl_proximity::msg::{DeviceEngagement, Handover};
use mdl_proximity::session::{HolderConfig, HolderSession};
use mdl_transport::{Carrier, CarrierKind, NfcCarrier};
use mdl_transport_mock::TcpTransport;
use mdl_transport_nfc::card::{CardConfig, HandoverMode, TagEmulator};
use mdl_transport_nfc::envelope::ApduSizes;
use mdl_transport_nfc::holder::NfcCard;
use mdl_transport_nfc::pcsc::{self, PcscChannel};
use mdl_transport_nfc::poller::PollerConfig;
use mdl_transport_nfc::reader::{engage, NfcReaderLink};
use mdl_transport_nfc::trace::Traced;
use mdl_transport_nfc::vpcd::{self, VpcdLink};

use crate::cli::{HandoverArg, HolderArgs, PcscReader, ReaderArgs};
use crate::error::{CliError, CliResult, Context as _};
use crate::holder::{serve_connection, HolderConsent};
use crate::output::outln;
use crate::reader::{exchange, print_outcome, start_session_with, verify_response, ReadContext};
use crate::rng::CliRng;

/// The ReaderEngagement the reader puts in its Hr (2nd ed.): `{0: "1.0"}`, as Multipaz sends.
const READER_ENGAGEMENT: [u8; 6] = [0xA1, 0x00, 0x63, b'1', b'.', b'0'];

/// How long a removed card stays out of vpcd before the next is inserted: pcscd polls a
/// reader for card presence every 400 ms (pcsc-lite's `PCSCLITE_STATUS_POLL_RATE`); a card
/// back sooner is not seen as removed, and readers waiting for a new tap never see one. The
/// holder cannot ask pcscd (it may be on another machine), so it waits this long before every
/// insertion, the first too (a previous holder process may just have left).
const REINSERT_PAUSE: std::time::Duration = std::time::Duration::from_millis(1200);

/// The trace file `--dump` writes beside the messages.
const APDU_LOG: &str = "apdu.log";

// ---- holder -----------------------------------------------------------------------------------

/// Serves tap after tap as a vpcd virtual card at `vpcd` until Ctrl-C.
pub(crate) async fn hold(
    args: &HolderArgs,
    vpcd: &str,
    curve: Curve,
    presenter: &mut Presenter<HolderConsent>,
    rng: &mut CliRng,
) -> CliResult<()> {
    let mode = match args.handover {
        HandoverArg::Static => HandoverMode::Static,
        HandoverArg::Negotiated => HandoverMode::Negotiated,
    };
    // TCP has no handover carrier record: it rides in the DeviceEngagement's retrieval methods.
    let listener = match &args.retrieval.tcp {
        Some(t) => Some(
            tokio::net::TcpListener::bind((t.host.as_str(), t.port))
                .await
                .with_context(|| format!("binding tcp:{}:{}", t.host, t.port))?,
        ),
        None => None,
    };
    let mut methods = Vec::new();
    if let (Some(t), Some(l)) = (&args.retrieval.tcp, &listener) {
        let port = l.local_addr().context("the TCP listener's port")?.port();
        methods.push(DeviceRetrievalMethod::Tcp(TcpOptions {
            host: t.host.clone(),
            port,
        }));
        eprintln!("holder: data retrieval also on tcp:{}:{port}", t.host);
    }
    let mut carriers = Vec::new();
    if args.retrieval.nfc {
        carriers.push(Carrier::Nfc(NfcCarrier {
            max_command: field_limit(vpcd::LINK_SIZES.command_data),
            max_response: field_limit(vpcd::LINK_SIZES.response_data),
        }));
    }
    for tap in 1usize.. {
        let e_device_key = EphemeralPrivateKey::generate(curve, rng)
            .with_context(|| format!("EDeviceKey on {curve}"))?;
        let engagement = Tag24::new(DeviceEngagement::new(
            e_device_key.public_key().context("EDeviceKey public key")?,
            methods.clone(),
        ));
        let emulator = TagEmulator::new(CardConfig {
            device_engagement: engagement.inner_bytes().to_vec(),
            carriers: carriers.clone(),
            mode,
            link_sizes: vpcd::LINK_SIZES,
        });
        // Only once pcscd has seen any previous card go, this holder's or an earlier
        // process's (TESTING.md: EMPTY before the next vpcd card).
        tokio::time::sleep(REINSERT_PAUSE).await;
        let link = VpcdLink::connect(vpcd)
            .with_context(|| format!("connecting to vpcd at {vpcd} (is pcscd running?)"))?;
        let mut card = NfcCard::start(link, emulator);
        eprintln!(
            "holder: card in vpcd at {vpcd} ({} handover, session curve {curve}); waiting for \
             a tap ({tap}); Ctrl-C stops",
            handover_name(mode)
        );
        let engaged = match card.engaged().await {
            Ok(e) => e,
            Err(e) => {
                eprintln!("holder: tap {tap}: engagement failed: {e}");
                continue;
            }
        };
        eprintln!(
            "holder: tap {tap}: engaged by {} handover",
            match engaged.handover {
                Handover::NfcNegotiated { .. } => "negotiated",
                _ => "static",
            }
        );
        let mut session = HolderSession::new(
            HolderConfig::default(),
            e_device_key,
            engagement,
            engaged.handover,
            Instant::now(),
        )
        .context("starting the holder session")?;
        let dump = args.dump.as_deref();
        // Data retrieval: whichever offered carrier the reader uses first.
        match &listener {
            Some(l) if args.retrieval.nfc => {
                tokio::select! {
                    ready = card.message_ready() => match ready {
                        Ok(()) => {
                            eprintln!("holder: tap {tap}: data retrieval over NFC");
                            serve_connection(&mut session, &mut card, presenter, dump, tap).await?;
                        }
                        Err(e) => eprintln!("holder: tap {tap}: {e}"),
                    },
                    tcp = TcpTransport::accept(l) => match tcp {
                        Ok(mut tcp) => {
                            eprintln!("holder: tap {tap}: data retrieval over TCP");
                            serve_connection(&mut session, &mut tcp, presenter, dump, tap).await?;
                        }
                        Err(e) => eprintln!("holder: tap {tap}: accepting over TCP: {e}"),
                    },
                }
            }
            Some(l) => match TcpTransport::accept(l).await {
                Ok(mut tcp) => {
                    eprintln!("holder: tap {tap}: data retrieval over TCP");
                    serve_connection(&mut session, &mut tcp, presenter, dump, tap).await?;
                }
                Err(e) => eprintln!("holder: tap {tap}: accepting over TCP: {e}"),
            },
            None => {
                eprintln!("holder: tap {tap}: data retrieval over NFC");
                serve_connection(&mut session, &mut card, presenter, dump, tap).await?;
            }
        }
        // The card leaves the field; the next loop inserts a fresh one (new keys, new Hs).
        drop(card);
    }
    Ok(())
}

/// An APDU data-field limit as the NFC carrier record states it (at most 65 535: lossless).
fn field_limit(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn handover_name(mode: HandoverMode) -> &'static str {
    match mode {
        HandoverMode::Static => "static",
        HandoverMode::Negotiated => "negotiated",
    }
}

// ---- reader -----------------------------------------------------------------------------------

/// `mdl reader --list-readers`: one PC/SC reader name a line.
pub(crate) fn list_readers() -> CliResult<bool> {
    for reader in pcsc::list_readers().context("listing PC/SC readers")? {
        outln!("{reader}");
    }
    Ok(true)
}

/// Two random bytes for the Hr's collision resolution record.
fn collision_random(rng: &mut CliRng) -> u16 {
    let mut b = [0u8; 2];
    let _ = rand_core::TryRng::try_fill_bytes(rng, &mut b);
    u16::from_be_bytes(b)
}

/// Writes the APDU trace into the dump directory.
fn write_trace(dir: &Path, log: &Mutex<String>) -> CliResult<()> {
    let trace = log.lock().map(|l| l.clone()).unwrap_or_default();
    crate::dump::write(dir, APDU_LOG, trace.as_bytes())
}

/// `mdl reader --nfc`: waits for a tap, engages, retrieves over the carrier the Hs selected,
/// verifies and prints as `mdl reader` does. `Ok(true)` iff everything verified.
pub(crate) async fn read(
    args: &ReaderArgs,
    pcsc_reader: &PcscReader,
    ctx: &ReadContext<'_>,
    rng: &mut CliRng,
) -> CliResult<bool> {
    let sizes = if args.short_apdus {
        ApduSizes::SHORT
    } else {
        vpcd::LINK_SIZES
    };
    let log = Arc::new(Mutex::new(String::new()));
    let trace = log.clone();
    let name = pcsc_reader.name.clone();
    eprintln!(
        "reader: waiting for a tap on {}",
        name.as_deref().unwrap_or("any PC/SC reader")
    );
    let us = Carrier::Nfc(NfcCarrier {
        max_command: field_limit(sizes.command_data),
        max_response: field_limit(sizes.response_data),
    });
    let config = PollerConfig {
        carriers: vec![us],
        reader_engagement: Some(READER_ENGAGEMENT.to_vec()),
        collision_random: Some(collision_random(rng)),
        link_sizes: sizes,
        request_override: None,
    };
    let engaged = tokio::task::spawn_blocking(move || {
        let channel = PcscChannel::wait_for_card(name.as_deref(), None, sizes)?;
        let reader = channel.reader().to_owned();
        let mut channel = Traced::new(channel, trace);
        let engagement = engage(&mut channel, config)?;
        Ok::<_, mdl_transport_nfc::reader::ReaderError>((engagement, channel, reader))
    })
    .await
    .map_err(|e| CliError::msg(format!("the PC/SC thread failed: {e}")))?;
    let (engagement, channel, reader) = match engaged {
        Ok(e) => e,
        Err(e) => {
            if let Some(dir) = &args.dump {
                write_trace(dir, &log)?;
            }
            return Err(CliError::msg(format!("NFC engagement: {e}")));
        }
    };
    eprintln!(
        "reader: card in {reader}; engaged by {} handover",
        match engagement.handover {
            Handover::NfcNegotiated { .. } => "negotiated",
            _ => "static",
        }
    );
    // NFC first unless `--prefer tcp`; BLE after a tap is not wired into the CLI yet.
    let preference = match args.prefer {
        Some(crate::cli::PreferArg::Tcp) => [CarrierKind::Tcp, CarrierKind::Nfc],
        _ => [CarrierKind::Nfc, CarrierKind::Tcp],
    };
    let carrier = select_carrier(&engagement.carriers, &preference, |_| true)
        .cloned()
        .ok_or_else(|| {
            CliError::msg(format!(
                "the holder offers no carrier this reader supports (NFC, TCP): {:?}",
                engagement.carriers
            ))
        })?;
    let (mut session, e_reader_key) =
        start_session_with(engagement.device_engagement, engagement.handover, rng)?;
    let request = crate::reader::build_request(ctx.elements, ctx.auth, &session)?;
    let (holder, response) = match &carrier {
        Carrier::Nfc(nfc) => {
            let mut link = NfcReaderLink::start(channel, nfc);
            let s = link.sizes();
            eprintln!(
                "reader: data retrieval over NFC (APDU data fields {} / {})",
                s.command_data, s.response_data
            );
            let r = exchange(
                &mut session,
                &e_reader_key,
                &mut link,
                &request,
                args.dump.as_deref(),
            )
            .await;
            (format!("nfc:{reader}"), r)
        }
        Carrier::Tcp(tcp) => {
            drop(channel);
            let label = format!("tcp:{}:{}", tcp.host, tcp.port);
            eprintln!("reader: data retrieval over {label}");
            let mut link = TcpTransport::connect_host_port(&tcp.host, tcp.port)
                .await
                .with_context(|| format!("connecting to {label}"))?;
            let r = exchange(
                &mut session,
                &e_reader_key,
                &mut link,
                &request,
                args.dump.as_deref(),
            )
            .await;
            (label, r)
        }
        other => {
            return Err(CliError::msg(format!(
                "{other:?} is not a carrier of this reader"
            )))
        }
    };
    // The trace is written whatever the outcome: it is most useful when something failed.
    if let Some(dir) = &args.dump {
        write_trace(dir, &log)?;
    }
    let response = response?;
    let report = verify_response(&response, &session, ctx.trust, ctx.at);
    print_outcome(args, ctx, &report, &response, &holder);
    Ok(report.is_valid())
}
