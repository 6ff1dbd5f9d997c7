//! The reader half of a two-process NFC presentation over **PC/SC**: waits for a tap on a
//! PC/SC reader (a real CCID reader, or vpcd's `Virtual PCD 00 00` with `holder_vpcd` as the
//! card), engages by static or negotiated handover, retrieves over NFC (or over TCP when the
//! holder offers only that), verifies against the IACA and prints the report. What
//! `mdl reader --nfc pcsc:READER` and `mdl reader --list-readers` will do.
//!
//! ```text
//! terminal 2$ cargo run -p mdl-transport-nfc --features pcsc --example reader_pcsc -- \
//!                 --iaca /tmp/mdl-holder-vpcd-4242/iaca.pem [--reader 'Virtual PCD 00 00'] \
//!                 [--short] [--dump DIR]
//! cargo run -p mdl-transport-nfc --features pcsc --example reader_pcsc -- --list-readers
//! ```
//!
//! `--short` limits APDUs to short length + chaining (PN53x-class readers such as the
//! ACR122U); `--dump DIR` writes the APDU trace `DIR/apdu.log` (`C:`/`R:` hex lines) and
//! prints it annotated.

use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use getrandom::{rand_core::UnwrapErr, SysRng};
use mdl_proximity::driver::{reader_exchange, reader_terminate};
use mdl_proximity::reader::RequestBuilder;
use mdl_proximity::session::{ReaderConfig, ReaderSession, Termination};
use mdl_proximity::verify::{self, TrustAnchors};
use mdl_transport::{Carrier, NfcCarrier};
use mdl_transport_mock::TcpTransport;
use mdl_transport_nfc::envelope::ApduSizes;
use mdl_transport_nfc::pcsc::{list_readers, PcscChannel};
use mdl_transport_nfc::poller::PollerConfig;
use mdl_transport_nfc::reader::{engage, NfcReaderLink};
use mdl_transport_nfc::trace::{annotate, Traced};
use mdl_transport_nfc::vpcd;

fn unix_now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut reader_name = None;
    let mut iaca = None;
    let mut dump = None;
    // What this reader's hardware carries: vpcd's limits unless --short.
    let mut sizes = vpcd::LINK_SIZES;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--list-readers" => {
                for r in list_readers()? {
                    println!("{r}");
                }
                return Ok(());
            }
            "--short" => sizes = ApduSizes::SHORT,
            "--reader" => reader_name = it.next(),
            "--iaca" => iaca = it.next(),
            "--dump" => dump = it.next(),
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    let iaca = iaca.ok_or("--iaca PEM is required")?;
    let anchors = TrustAnchors::from_pem(&std::fs::read_to_string(&iaca)?)?;

    let log = Arc::new(Mutex::new(String::new()));
    let trace = log.clone();
    println!(
        "waiting for a tap on {}",
        reader_name.as_deref().unwrap_or("any reader")
    );
    let (engagement, channel) = tokio::task::spawn_blocking(move || {
        let channel = PcscChannel::wait_for_card(reader_name.as_deref(), None, sizes)?;
        println!("card in {}", channel.reader());
        let mut channel = Traced::new(channel, trace);
        let us = Carrier::Nfc(NfcCarrier {
            max_command: sizes.command_data as u32,
            max_response: sizes.response_data as u32,
        });
        let engagement = engage(
            &mut channel,
            PollerConfig {
                carriers: vec![us],
                // 2nd ed.: a ReaderEngagement {0: "1.0"} in the Hr, as Multipaz sends.
                reader_engagement: Some(vec![0xA1, 0x00, 0x63, b'1', b'.', b'0']),
                collision_random: Some(u16::from_be_bytes(getrandom_u16())),
                link_sizes: sizes,
                request_override: None,
            },
        )?;
        Ok::<_, mdl_transport_nfc::reader::ReaderError>((engagement, channel))
    })
    .await??;
    println!("engaged; carriers offered: {:?}", engagement.carriers);

    let mut rng = UnwrapErr(SysRng);
    let key = ReaderSession::generate_key(&engagement.device_engagement, &mut rng)?;
    let mut session = ReaderSession::new(
        ReaderConfig::default(),
        key,
        engagement.device_engagement,
        engagement.handover,
        Instant::now(),
    )?;
    let request = RequestBuilder::new()
        .mdl(&[
            ("family_name", false),
            ("given_name", false),
            ("birth_date", false),
            ("portrait", false),
            ("age_over_18", false),
            ("document_number", false),
        ])
        .build()
        .ok_or("empty request")?;
    let received = match engagement.carriers.first() {
        Some(Carrier::Nfc(nfc)) => {
            let mut link = NfcReaderLink::start(channel, nfc);
            println!(
                "data retrieval over NFC, APDU data fields {:?}",
                link.sizes()
            );
            let r = reader_exchange(&mut session, &mut link, &request, None).await;
            reader_terminate(&mut session, &mut link, Termination::Status, None).await;
            r
        }
        Some(Carrier::Tcp(tcp)) => {
            drop(channel);
            let mut link = TcpTransport::connect_host_port(&tcp.host, tcp.port).await?;
            println!("data retrieval over TCP {}:{}", tcp.host, tcp.port);
            let r = reader_exchange(&mut session, &mut link, &request, None).await;
            reader_terminate(&mut session, &mut link, Termination::Status, None).await;
            r
        }
        other => return Err(format!("no carrier this reader supports: {other:?}").into()),
    };
    // The trace is written whatever the outcome: it is most useful when something failed.
    if let Some(dir) = dump {
        std::fs::create_dir_all(&dir)?;
        let trace = log.lock().map(|l| l.clone()).unwrap_or_default();
        std::fs::write(std::path::Path::new(&dir).join("apdu.log"), &trace)?;
        for a in annotate(&trace) {
            println!("apdu.log:{:<4} {}", a.line, a.text);
        }
    }
    let received = received?;
    println!("response: {} bytes", received.bytes.len());
    let report = verify::response(
        &received.response?,
        session.transcript(),
        &anchors,
        Some(session.e_reader_key()),
        unix_now(),
    );
    print!("{report}");
    if report.is_valid() {
        Ok(())
    } else {
        Err("verification failed".into())
    }
}

/// Two random bytes for the Hr's collision resolution record.
fn getrandom_u16() -> [u8; 2] {
    use getrandom::rand_core::TryRng;
    let mut b = [0u8; 2];
    let _ = SysRng.try_fill_bytes(&mut b);
    b
}
