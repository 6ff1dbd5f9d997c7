//! `mdl demo`: the whole story on one machine. Issue a test IACA, Document Signer and mDL and
//! a reader PKI; run the holder (consenting to everything, trusting the reader root) and the
//! reader (a signed request) as two tokio tasks over the in-memory transport pair; verify;
//! print the verified elements, the checks, the reader identity the holder saw and the time
//! per phase.
//!
//! Phases, each timed with `Instant`:
//! - issuance: both PKIs, the device key and the signed MSO;
//! - engagement + establishment: the holder's EDeviceKey and `mdoc:` URI, the reader decoding
//!   it, generating EReaderKey and deriving the transcript and session keys;
//! - request/response: signing the request, SessionEstablishment, the holder decrypting,
//!   checking readerAuth, building and signing (or MACing) the response, the reader
//!   decrypting it, and the termination;
//! - verification: the inspection procedure of 2021 9.3 on the response.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mdl_proximity::cbor::Tag24;
use mdl_proximity::crypto::EphemeralPrivateKey;
use mdl_proximity::driver::serve_holder;
use mdl_proximity::engagement::qr::{from_qr_uri, qr_uri};
use mdl_proximity::holder::{ApproveAll, ConsentHook as _, Presenter, ReviewRequest, Selection};
use mdl_proximity::msg::{DeviceEngagement, Handover};
use mdl_proximity::session::{HolderConfig, HolderSession};
use mdl_proximity::verify::{ReaderIdentity, TrustAnchors};
use mdl_transport_mock::{pair, MemoryConfig};
use serde_json::json;

use crate::cli::DemoArgs;
use crate::dump;
use crate::error::{CliError, CliResult, Context as _};
use crate::output::{out, outln};
use crate::present;
use crate::reader::{build_request, exchange, start_session, verify_response, ReaderAuth};
use crate::rng::CliRng;
use crate::setup::{
    device_auth_name, element_count, issue_test_mdl, parse_elements, unix_now, Curves,
};

/// Runs `mdl demo`: 0 only if the response verified completely.
pub(crate) fn run(args: &DemoArgs) -> ExitCode {
    match crate::runtime().and_then(|rt| rt.block_on(demo(args))) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => e.report(),
    }
}

fn ms(d: Duration) -> f64 {
    // Microsecond resolution is plenty for a printout.
    (d.as_micros() as f64) / 1000.0
}

async fn demo(args: &DemoArgs) -> CliResult<bool> {
    let curves = Curves::for_curve(args.curve.curve());
    let method = args.device_auth.method();
    let elements = parse_elements(&args.request)?;
    let mut rng = CliRng::new(args.seed);
    if let Some(dir) = &args.dump {
        dump::create_dir(dir)?;
    }

    // ---- issuance
    let started = Instant::now();
    let issued = issue_test_mdl(curves, method, unix_now(), &mut rng)?;
    let issuance = started.elapsed();
    let iaca = TrustAnchors::from_der(issued.issuer.iaca.der()).context("IACA as trust anchor")?;
    let reader_roots =
        TrustAnchors::from_der(issued.reader.root.der()).context("reader root as trust anchor")?;
    let element_count = element_count(&issued.credential);
    let device_curve = issued.credential.device_key.curve();
    let auth = (!args.no_reader_auth).then(|| ReaderAuth {
        key: issued.reader.reader_key,
        chain: vec![issued.reader.reader.der().to_vec()],
    });

    // ---- engagement + establishment
    let started = Instant::now();
    let e_device_key = EphemeralPrivateKey::generate(curves.key_agreement, &mut rng)
        .with_context(|| format!("EDeviceKey on {}", curves.key_agreement))?;
    let engagement = Tag24::new(DeviceEngagement::new(
        e_device_key.public_key().context("EDeviceKey public key")?,
        // The in-memory pair is not a retrieval method of the standard: none is advertised.
        Vec::new(),
    ));
    let uri = qr_uri(&engagement);
    let mut holder_session = HolderSession::new(
        HolderConfig::default(),
        e_device_key,
        engagement,
        Handover::Qr,
        Instant::now(),
    )
    .context("starting the holder session")?;
    let scanned = from_qr_uri(&uri).map_err(|e| CliError::msg(format!("engagement URI: {e}")))?;
    let (mut reader_session, e_reader_key) = start_session(scanned, &mut rng)?;
    let engagement_time = started.elapsed();

    // ---- request/response: holder and reader as two tasks over the in-memory pair
    let (mut holder_transport, mut reader_transport) = pair(MemoryConfig::default());
    let seen: Arc<Mutex<Vec<ReaderIdentity>>> = Arc::default();
    let consent = {
        let seen = Arc::clone(&seen);
        move |review: &ReviewRequest| -> Selection {
            seen.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(review.reader.clone());
            ApproveAll.review(review)
        }
    };
    let mut presenter = Presenter::new(
        vec![issued
            .credential
            .to_mdoc()
            .context("the credential's device key")?],
        consent,
        reader_roots,
    );
    let holder = tokio::spawn(async move {
        serve_holder(
            &mut holder_session,
            &mut holder_transport,
            &mut presenter,
            None,
        )
        .await
    });
    let dump_dir: Option<PathBuf> = args.dump.clone();
    let reader = tokio::spawn(async move {
        let started = Instant::now();
        let request = build_request(&elements, auth.as_ref(), &reader_session)?;
        let response = exchange(
            &mut reader_session,
            &e_reader_key,
            &mut reader_transport,
            &request,
            dump_dir.as_deref(),
        )
        .await?;
        Ok::<_, CliError>((
            response,
            reader_session,
            started.elapsed(),
            elements,
            auth.is_some(),
        ))
    });
    let (response, reader_session, request_time, elements, signed) =
        reader.await.context("reader task")??;
    let holder_end = holder.await.context("holder task")?;

    // ---- verification
    let started = Instant::now();
    let report = verify_response(&response, &reader_session, &iaca, unix_now());
    let verification = started.elapsed();

    let identities = std::mem::take(&mut *seen.lock().unwrap_or_else(PoisonError::into_inner));
    let timings = [
        ("issuance", issuance),
        ("engagement + establishment", engagement_time),
        ("request/response", request_time),
        ("verification", verification),
    ];
    if args.json {
        let mut out = present::report_json(&report, Some(&response));
        if let serde_json::Value::Object(obj) = &mut out {
            obj.insert(
                "curves".into(),
                json!({
                    "issuer": curves.signature.to_string(),
                    "session": curves.key_agreement.to_string(),
                    "deviceKey": device_curve.to_string(),
                }),
            );
            obj.insert("deviceAuth".into(), json!(device_auth_name(method)));
            obj.insert("issuedElements".into(), json!(element_count));
            obj.insert(
                "request".into(),
                json!({
                    "elements": elements.iter().map(|(ns, el)| format!("{ns}/{el}")).collect::<Vec<_>>(),
                    "readerAuth": signed,
                }),
            );
            obj.insert(
                "readerIdentitySeenByHolder".into(),
                json!(identities
                    .iter()
                    .map(present::reader_identity_json)
                    .collect::<Vec<_>>()),
            );
            obj.insert(
                "holderSessionEnd".into(),
                json!(present::close_reason_text(&holder_end)),
            );
            obj.insert(
                "timingsMs".into(),
                json!({
                    "issuance": ms(issuance),
                    "engagementEstablishment": ms(engagement_time),
                    "requestResponse": ms(request_time),
                    "verification": ms(verification),
                }),
            );
        }
        crate::output::print_json(&out, false);
    } else {
        outln!(
            "mdl demo: issued a test mDL ({element_count} elements), presented it over the \
             in-memory transport, verified the response"
        );
        outln!(
            "  curves: issuer and reader {}, session {}, device key {} (device{})",
            curves.signature,
            curves.key_agreement,
            device_curve,
            if method == mdl_proximity::issuer::DeviceAuthMethod::Mac {
                "Mac"
            } else {
                "Signature"
            }
        );
        outln!(
            "  request: {} element{} of org.iso.18013.5.1.mDL, {}",
            elements.len(),
            if elements.len() == 1 { "" } else { "s" },
            if signed {
                "signed by the reader (readerAuth)"
            } else {
                "unsigned"
            }
        );
        for identity in &identities {
            outln!(
                "  reader as the holder saw it: {}",
                present::reader_identity_text(identity)
            );
        }
        outln!(
            "  holder session ended: {}",
            present::close_reason_text(&holder_end)
        );
        outln!();
        out!("{}", present::report_text(&report, Some(&response)));
        outln!();
        outln!("timings:");
        let width = timings.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, d) in timings {
            outln!("  {name:<width$}  {:>9.3} ms", ms(d));
        }
    }
    if let Some(dir) = &args.dump {
        eprintln!("dump written to {}", dir.display());
    }
    Ok(report.is_valid())
}
