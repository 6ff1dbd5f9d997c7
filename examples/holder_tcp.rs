//! The holder half of a two-process presentation over the `GmDL` TCP test transport
//! (retrieval method −10, DESIGN.md §7), on 127.0.0.1 only.
//!
//! It issues a fresh test mDL, writes the test IACA certificate (the reader's trust anchor) as
//! PEM into a new temporary directory, listens on 127.0.0.1, prints an `mdoc:` URI advertising
//! that address, serves one presentation (releasing every requested element), removes the
//! directory and exits.
//!
//! Two terminals:
//!
//! ```text
//! terminal 1$ cargo run --example holder_tcp            # or: -- 40123 (default port 0: any free port)
//! listening on 127.0.0.1:40123
//! IACA:       /tmp/mdl-holder-tcp-12345/iaca.pem
//! engagement: mdoc:owBjMS4wAY...
//!
//! terminal 2$ cargo run --example reader_tcp -- 'mdoc:owBjMS4wAY...' /tmp/mdl-holder-tcp-12345/iaca.pem
//! ```
#![allow(clippy::disallowed_methods)] // an application stand-in: it may read the clock and files

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use getrandom::{rand_core::UnwrapErr, SysRng};
use mdl_proximity::crypto::{Curve, EphemeralPrivateKey};
use mdl_proximity::driver::serve_holder;
use mdl_proximity::engagement::Engagement;
use mdl_proximity::holder::{Presenter, ReviewRequest, Selection};
use mdl_proximity::issuer::{sample_mdl_credential, SampleMdl};
use mdl_proximity::session::{HolderConfig, HolderSession};
use mdl_proximity::verify::TrustAnchors;
use mdl_transport::Listen;
use mdl_transport_mock::TcpListener;

const HOST: &str = "127.0.0.1";

fn unix_now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = match std::env::args().nth(1) {
        Some(arg) => arg.parse().map_err(|_| format!("not a port: {arg}"))?,
        None => 0,
    };
    let mut rng = UnwrapErr(SysRng);

    // A test mDL, and its IACA certificate where the reader example can read it.
    let (credential, issuer) = sample_mdl_credential(&SampleMdl::p256(unix_now()), &mut rng)?;
    let dir = std::env::temp_dir().join(format!("mdl-holder-tcp-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let iaca_path = dir.join("iaca.pem");
    std::fs::write(&iaca_path, issuer.iaca.to_pem()?)?;

    // The listener says what it offers (its bound address) before the engagement is written;
    // the engagement advertises exactly that (TCP retrieval method, type -10).
    let mut listener = TcpListener::bind((HOST, port)).await?;
    let offered = listener.offer().await?;
    let e_device_key = EphemeralPrivateKey::generate(Curve::P256, &mut rng)?;
    let engagement = Engagement::holder_qr(e_device_key.public_key()?, offered.clone());
    println!("listening on {HOST}:{}", listener.carrier().port);
    println!("IACA:       {}", iaca_path.display());
    println!("engagement: {}", engagement.qr_uri());

    let mut transport = listener.accept(&offered[0], &engagement.binding()).await?;
    println!("reader connected from {}", transport.peer_addr()?);
    // The session (and its 30 s SessionEstablishment deadline) starts when the reader connects,
    // not when the URI is printed: a person copies it to the other terminal in between.
    let mut session = HolderSession::from_engagement(
        HolderConfig::default(),
        e_device_key,
        &engagement,
        Instant::now(),
    )?;
    let consent = |review: &ReviewRequest| {
        let asked: Vec<_> = review.requested().map(|(_, element)| element).collect();
        println!("reader asks for {asked:?}; releasing them all");
        Selection::all_requested(review)
    };
    // No trusted reader roots: a reader that signs its request is reported as untrusted.
    let mut presenter = Presenter::new(vec![credential.to_mdoc()?], consent, TrustAnchors::new());
    let reason = serve_holder(&mut session, &mut transport, &mut presenter, None).await;
    println!("session closed: {reason:?}");
    // The reader has read the IACA by now.
    std::fs::remove_dir_all(&dir)?;
    if reason.is_orderly() {
        Ok(())
    } else {
        Err(format!("session failed: {reason:?}").into())
    }
}
