//! The reader half of a two-process presentation over the `GmDL` TCP test transport
//! (retrieval method −10, DESIGN.md §7): give it the `mdoc:` URI and the IACA PEM that
//! `holder_tcp` printed. It connects to the address the engagement advertises, requests six mDL
//! elements, verifies the response against the IACA and prints the report (exit status 1 when
//! verification fails).
//!
//! Two terminals:
//!
//! ```text
//! terminal 1$ cargo run --example holder_tcp
//! listening on 127.0.0.1:40123
//! IACA:       /tmp/mdl-holder-tcp-12345/iaca.pem
//! engagement: mdoc:owBjMS4wAY...
//!
//! terminal 2$ cargo run --example reader_tcp -- 'mdoc:owBjMS4wAY...' /tmp/mdl-holder-tcp-12345/iaca.pem
//! ```
#![allow(clippy::disallowed_methods)] // an application stand-in: it may read the clock and files

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use getrandom::{rand_core::UnwrapErr, SysRng};
use mdl_proximity::driver::{reader_exchange, reader_terminate};
use mdl_proximity::engagement::{select_carrier, Engagement};
use mdl_proximity::reader::RequestBuilder;
use mdl_proximity::session::{ReaderConfig, ReaderSession, Termination};
use mdl_proximity::verify::TrustAnchors;
use mdl_transport::{CarrierKind, Connect};
use mdl_transport_mock::TcpConnector;

fn unix_now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [uri, iaca_pem] = args.as_slice() else {
        return Err("usage: reader_tcp <mdoc:URI> <IACA PEM file>".into());
    };
    let iacas = TrustAnchors::from_pem(&std::fs::read_to_string(iaca_pem)?)?;

    // The engagement, and the carrier to use among those it offers: the TCP test carrier is
    // the one this example's connector supports.
    let engagement = Engagement::from_qr_uri(uri)?;
    let mut connector = TcpConnector;
    let carrier = select_carrier(engagement.carriers(), &[CarrierKind::Tcp], |c| {
        connector.supports(c)
    })
    .ok_or("the engagement advertises no TCP retrieval method")?
    .clone();

    let mut rng = UnwrapErr(SysRng);
    let e_reader_key = ReaderSession::generate_key(engagement.device_engagement(), &mut rng)?;
    let mut reader = ReaderSession::from_engagement(
        ReaderConfig::default(),
        e_reader_key,
        &engagement,
        Instant::now(),
    )?;
    let mut transport = connector.connect(&carrier, &engagement.binding()).await?;
    println!("connected over {carrier:?}");

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
    let received = reader_exchange(&mut reader, &mut transport, &request, None).await?;
    reader_terminate(&mut reader, &mut transport, Termination::Status, None).await;
    println!("response: {} bytes", received.bytes.len());

    let report = reader.verify(&received.response?, &iacas, unix_now().into());
    print!("{report}");
    if report.is_valid() {
        Ok(())
    } else {
        Err("verification failed".into())
    }
}
