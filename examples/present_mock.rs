//! A whole proximity presentation, both roles in one process, over the in-memory transport pair
//! pumped by the tokio driver: issue a test mDL, engage by QR, send a signed request, answer it
//! through a consent closure with deviceSignature, verify the response, print what verified.
//!
//! Run: `cargo run --example present_mock`
#![allow(clippy::disallowed_methods)] // an application stand-in: it may read the clock and files

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use getrandom::{rand_core::UnwrapErr, SysRng};
use mdl_proximity::cbor::Tag24;
use mdl_proximity::crypto::{Curve, EphemeralPrivateKey};
use mdl_proximity::driver::{reader_exchange, reader_terminate, serve_holder};
use mdl_proximity::engagement::qr::{from_qr_uri, qr_uri};
use mdl_proximity::holder::{Presenter, ReviewRequest, Selection};
use mdl_proximity::issuer::{pki::ReaderPki, sample_mdl_credential, SampleMdl};
use mdl_proximity::msg::{DeviceEngagement, Handover};
use mdl_proximity::reader::{ReaderKey, RequestBuilder};
use mdl_proximity::session::{
    HolderConfig, HolderSession, ReaderConfig, ReaderSession, Termination,
};
use mdl_proximity::verify::TrustAnchors;
use mdl_transport_mock::{pair, MemoryConfig};

fn unix_now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The engine never draws randomness itself: keys come from the RNG we pass.
    let mut rng = UnwrapErr(SysRng);
    let now = unix_now();

    // Issuing authority: a test IACA, a document signer and an mDL for a new device key.
    let (credential, issuer) = sample_mdl_credential(&SampleMdl::p256(now), &mut rng)?;
    // The reader's own PKI, for readerAuth; the holder trusts its root.
    let reader_pki = ReaderPki::generate(Curve::P256, now, &mut rng)?;

    // Holder: an ephemeral key and the engagement it shows as a QR code. The in-memory pair
    // needs no retrieval method, so none is advertised.
    let e_device_key = EphemeralPrivateKey::generate(Curve::P256, &mut rng)?;
    let engagement = Tag24::new(DeviceEngagement::new(e_device_key.public_key()?, vec![]));
    let qr = qr_uri(&engagement);
    println!("holder shows  {qr}");
    let mut holder = HolderSession::new(
        HolderConfig::default(),
        e_device_key,
        engagement,
        Handover::Qr,
        Instant::now(),
    )?;
    let consent = |review: &ReviewRequest| {
        let asked: Vec<_> = review.requested().map(|(_, element)| element).collect();
        let who = if review.reader.is_authenticated() {
            "trusted"
        } else {
            "unknown"
        };
        println!("holder: a {who} reader asks for {asked:?}; releasing all but the portrait");
        let mut selection = Selection::none();
        for (name_space, element) in review.requested().filter(|(_, e)| *e != "portrait") {
            selection.approve(name_space, element);
        }
        selection
    };
    let reader_roots = TrustAnchors::from_der(reader_pki.root.der())?;
    let mut presenter = Presenter::new(vec![credential.to_mdoc()?], consent, reader_roots);

    let (mut holder_transport, mut reader_transport) = pair(MemoryConfig::default());
    let holder_task = tokio::spawn(async move {
        serve_holder(&mut holder, &mut holder_transport, &mut presenter, None).await
    });

    // Reader: scans the QR code, makes its key on the holder's curve, signs its request.
    let engagement = from_qr_uri(&qr)?;
    let e_reader_key = ReaderSession::generate_key(&engagement, &mut rng)?;
    let mut reader = ReaderSession::new(
        ReaderConfig::default(),
        e_reader_key,
        engagement,
        Handover::Qr,
        Instant::now(),
    )?;
    let signer = reader_pki.reader_key.signer()?;
    let chain = vec![reader_pki.reader.der().to_vec()];
    let request = RequestBuilder::new()
        .mdl(&[
            ("family_name", false),
            ("given_name", false),
            ("portrait", false),
            ("age_over_18", false),
        ])
        .build_signed(
            ReaderKey {
                signer: &signer,
                certificate_chain: &chain,
            },
            reader.transcript(),
        )?;
    let received = reader_exchange(&mut reader, &mut reader_transport, &request, None).await?;
    reader_terminate(
        &mut reader,
        &mut reader_transport,
        Termination::Status,
        None,
    )
    .await;
    println!("holder session closed: {:?}", holder_task.await?);

    // Verification: issuer data authentication to the IACA, then mdoc authentication.
    let iacas = TrustAnchors::from_der(issuer.iaca.der())?;
    let report = reader.verify(&received.response?, &iacas, unix_now().into());
    print!("{report}");
    if report.is_valid() {
        Ok(())
    } else {
        Err("verification failed".into())
    }
}
