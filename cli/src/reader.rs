//! `mdl reader`: engage with a holder from its `mdoc:` URI, connect by the TCP method it
//! advertises, request elements (with reader authentication when given a key), verify the
//! response and print the outcome. Also the reader half that `mdl demo` runs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use mdl_proximity::cbor::{self, Tag24};
use mdl_proximity::crypto::{certificate_public_key, EphemeralPrivateKey};
use mdl_proximity::driver::{reader_exchange, reader_terminate, Direction};
use mdl_proximity::engagement::qr::from_qr_uri;
use mdl_proximity::engagement::{select_carrier, Engagement};
use mdl_proximity::issuer::{PrivateKey, MDL_DOC_TYPE};
use mdl_proximity::msg::{DeviceEngagementBytes, DeviceRequest, DeviceResponse, Handover};
use mdl_proximity::reader::{ReaderKey, RequestBuilder};
use mdl_proximity::session::{ReaderConfig, ReaderSession, Termination};
use mdl_proximity::verify::{TrustAnchors, VerificationReport};
use mdl_transport::Transport;
use mdl_transport::{Carrier, CarrierKind, Connect, TcpCarrier};
use mdl_transport_mock::TcpConnector;
use serde_json::json;

use crate::cli::{PreferArg, ReaderArgs, TcpEndpoint};
use crate::dump::{self, MessageDump};
use crate::error::{CliError, CliResult, Context as _};
use crate::input::{read_arg, Input};
use crate::output::{out, outln};
use crate::present;
use crate::rng::CliRng;
use crate::setup::{parse_elements, request_name_spaces, validation_time};

/// How long to wait for the holder's TCP listener to accept.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `mdl reader`: 0 if the response verified completely, 1 otherwise.
pub(crate) fn run(args: &ReaderArgs) -> ExitCode {
    let outcome = crate::runtime().and_then(|rt| rt.block_on(read(args)));
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => e.report(),
    }
}

// ---- pieces shared with `mdl demo` ------------------------------------------------------------

/// A reader session on the curve of the holder's EDeviceKey, with its ephemeral key kept as a
/// [`PrivateKey`] too so that `--dump` can write it for offline deviceMac checks.
pub(crate) fn start_session(
    engagement: DeviceEngagementBytes,
    rng: &mut CliRng,
) -> CliResult<(ReaderSession, PrivateKey)> {
    start_session_with(engagement, Handover::Qr, rng)
}

/// [`start_session`] for an engagement that came with `handover` (NFC: `[Hs, null]` static,
/// `[Hs, Hr]` negotiated, bytes as exchanged).
pub(crate) fn start_session_with(
    engagement: DeviceEngagementBytes,
    handover: Handover,
    rng: &mut CliRng,
) -> CliResult<(ReaderSession, PrivateKey)> {
    let curve = engagement.value().security.e_device_key.value().curve;
    let key = PrivateKey::generate(curve, rng)
        .with_context(|| format!("generating EReaderKey on the holder's curve {curve}"))?;
    let e_reader_key = EphemeralPrivateKey::from_bytes(curve, key.expose_secret())
        .with_context(|| format!("EReaderKey on {curve}"))?;
    let session = ReaderSession::new(
        ReaderConfig::default(),
        e_reader_key,
        engagement,
        handover,
        Instant::now(),
    )
    .context("starting the reader session")?;
    Ok((session, key))
}

/// The reader's authentication key and certificate chain (leaf first, DER).
#[derive(Debug)]
pub(crate) struct ReaderAuth {
    /// The private key.
    pub(crate) key: PrivateKey,
    /// x5chain.
    pub(crate) chain: Vec<Vec<u8>>,
}

/// The DeviceRequest for `elements` of the mDL, signed (readerAuth) when `auth` is given.
pub(crate) fn build_request(
    elements: &[(String, String)],
    auth: Option<&ReaderAuth>,
    session: &ReaderSession,
) -> CliResult<DeviceRequest> {
    let builder = RequestBuilder::new().doc(MDL_DOC_TYPE, request_name_spaces(elements));
    match auth {
        None => builder
            .build()
            .ok_or_else(|| CliError::msg("empty request")),
        Some(auth) => {
            let signer = auth.key.signer().context("reader key cannot sign")?;
            builder
                .build_authenticated(
                    ReaderKey {
                        signer: &signer,
                        certificate_chain: &auth.chain,
                    },
                    session.transcript(),
                )
                .context("signing the request (readerAuth)")
        }
    }
}

/// Sends `request`, waits for the response, terminates with status 20, and (with `dump`)
/// writes every message, the transcript, EReaderKey and the decrypted request and response.
pub(crate) async fn exchange<T: Transport>(
    session: &mut ReaderSession,
    e_reader_key: &PrivateKey,
    transport: &mut T,
    request: &DeviceRequest,
    dump_dir: Option<&Path>,
) -> CliResult<DeviceResponse> {
    let mut messages = dump_dir.map(|d| MessageDump::new(d.to_owned()));
    if let Some(dir) = dump_dir {
        dump::write(
            dir,
            "session-transcript.cbor",
            &session.transcript().tagged_bytes(),
        )?;
        dump::write(dir, "e-reader-key.cose", &e_reader_key.to_cose_bytes())?;
        // The session encrypts exactly `cbor::to_vec(request)`.
        dump::write(
            dir,
            &dump::numbered("device-request", 1),
            &cbor::to_vec(request),
        )?;
    }
    let mut tap = |direction: Direction, bytes: &[u8]| {
        if let Some(m) = messages.as_mut() {
            m.record(direction, bytes);
        }
    };
    let received = reader_exchange(session, transport, request, Some(&mut tap)).await;
    reader_terminate(session, transport, Termination::Status, Some(&mut tap)).await;
    let received = received.context("no response from the holder")?;
    if let Some(dir) = dump_dir {
        dump::write(dir, &dump::numbered("device-response", 1), &received.bytes)?;
    }
    if let Some(m) = messages {
        m.finish()?;
    }
    received
        .response
        .context("the holder's response is not a DeviceResponse")
}

/// Verifies `response` as this session's reader at `at`.
pub(crate) fn verify_response(
    response: &DeviceResponse,
    session: &ReaderSession,
    trust: &TrustAnchors,
    at: i64,
) -> VerificationReport {
    session.verify(response, trust, at.into())
}

// ---- `mdl reader` -----------------------------------------------------------------------------

/// Loads every `--trust` PEM file into one set of anchors.
pub(crate) fn load_trust(paths: &[PathBuf], what: &str) -> CliResult<TrustAnchors> {
    let mut anchors = TrustAnchors::new();
    for path in paths {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{what}: reading {}", path.display()))?;
        let loaded =
            TrustAnchors::from_pem(&text).with_context(|| format!("{what}: {}", path.display()))?;
        for anchor in &loaded {
            anchors.add(anchor.clone());
        }
    }
    Ok(anchors)
}

/// The holder's engagement from `--engagement`: an `mdoc:` URI, or DeviceEngagement bytes
/// (tagged or not), given directly, as @FILE or on stdin.
fn read_engagement(arg: &str) -> CliResult<DeviceEngagementBytes> {
    match read_arg(arg).context("--engagement")? {
        Input::MdocUri(uri) => from_qr_uri(&uri)
            .map_err(|e| CliError::msg(format!("--engagement: {}", crate::output::describe(&e)))),
        Input::Bytes(bytes) => Tag24::from_tagged_slice(&bytes)
            .or_else(|_| Tag24::from_bytes(bytes))
            .map_err(|e| CliError::msg(format!("--engagement: {}", crate::output::describe(&e)))),
        Input::Pem(_) => Err(CliError::usage(
            "--engagement: a certificate is not an engagement",
        )),
    }
}

/// The carrier to connect over: `--connect`, else the engagement's TCP carrier, chosen by the
/// library's one selection policy (DESIGN §7b) among what this CLI's connector supports.
fn endpoint(
    engagement: &DeviceEngagementBytes,
    connect: Option<&TcpEndpoint>,
    preference: &[CarrierKind],
) -> CliResult<Carrier> {
    if let Some(c) = connect {
        return Ok(Carrier::Tcp(TcpCarrier {
            host: c.host.clone(),
            port: c.port,
        }));
    }
    let engagement = Engagement::from_qr(engagement.clone());
    let connector = TcpConnector;
    let supports = |c: &Carrier| match c {
        Carrier::Tcp(_) => connector.supports(c),
        // The BLE connector of the `ble` feature takes both modes.
        Carrier::Ble(_) => cfg!(feature = "ble"),
        _ => false,
    };
    if let Some(carrier) = select_carrier(engagement.carriers(), preference, supports) {
        return Ok(carrier.clone());
    }
    let methods = engagement
        .device_engagement()
        .value()
        .device_retrieval_methods
        .as_ref();
    let types: Vec<String> = methods
        .into_iter()
        .flat_map(|m| m.iter())
        .map(|m| m.method_type().to_string())
        .collect();
    Err(CliError::usage(format!(
        "the engagement advertises no TCP retrieval method (type -10 or -18224; it has {}){}: \
         give --connect tcp:HOST:PORT",
        if types.is_empty() {
            "none".to_owned()
        } else {
            format!("types {}", types.join(", "))
        },
        if cfg!(feature = "ble") {
            " and no BLE one"
        } else {
            " (BLE needs the `ble` feature)"
        }
    )))
}

/// `--reader-key` and `--reader-cert`, checked to belong together.
fn load_reader_auth(key: &Path, cert: &Path) -> CliResult<ReaderAuth> {
    let key_bytes = zeroize::Zeroizing::new(
        std::fs::read(key).with_context(|| format!("--reader-key: reading {}", key.display()))?,
    );
    let key = crate::keys::read_private_key(&key_bytes)
        .with_context(|| format!("--reader-key {}", key.display()))?;
    let bytes = std::fs::read(cert)
        .with_context(|| format!("--reader-cert: reading {}", cert.display()))?;
    let chain = match crate::input::from_contents(bytes)
        .with_context(|| format!("--reader-cert {}", cert.display()))?
    {
        Input::Pem(ders) => ders,
        Input::Bytes(der) => vec![der],
        Input::MdocUri(_) => {
            return Err(CliError::msg(format!(
                "--reader-cert {}: not a certificate",
                cert.display()
            )))
        }
    };
    let leaf = chain
        .first()
        .ok_or_else(|| CliError::msg("--reader-cert: no certificate"))?;
    let leaf_cert = <x509_cert::Certificate as der::Decode>::from_der(leaf)
        .context("--reader-cert: leaf certificate")?;
    let leaf_key = certificate_public_key(&leaf_cert).context("--reader-cert: leaf public key")?;
    if &leaf_key != key.public_key() {
        return Err(CliError::usage(
            "--reader-key is not the key of the --reader-cert leaf certificate",
        ));
    }
    Ok(ReaderAuth { key, chain })
}

async fn read(args: &ReaderArgs) -> CliResult<bool> {
    if args.list_readers {
        #[cfg(feature = "nfc")]
        return crate::nfc::list_readers();
        #[cfg(not(feature = "nfc"))]
        return Err(CliError::usage(
            "--list-readers: this mdl was built without the `nfc` feature",
        ));
    }
    let at = validation_time(args.at);
    let trust = load_trust(&args.trust, "--trust")?;
    let elements = parse_elements(&args.request)?;
    let auth = match (&args.reader_key, &args.reader_cert) {
        (Some(k), Some(c)) => Some(load_reader_auth(k, c)?),
        _ => None,
    };
    if let Some(dir) = &args.dump {
        dump::create_dir(dir)?;
    }
    let mut rng = CliRng::new(args.seed);
    #[cfg(feature = "nfc")]
    if let Some(pcsc) = &args.nfc {
        let ctx = ReadContext {
            trust: &trust,
            elements: &elements,
            auth: auth.as_ref(),
            at,
        };
        return crate::nfc::read(args, pcsc, &ctx, &mut rng).await;
    }
    #[cfg(not(feature = "nfc"))]
    if args.nfc.is_some() {
        return Err(CliError::usage(
            "--nfc: this mdl was built without the `nfc` feature (cargo build -p mdl-cli --features nfc)",
        ));
    }
    let Some(engagement_arg) = &args.engagement else {
        return Err(CliError::usage(
            "give --engagement URI or --nfc [pcsc:READER]",
        ));
    };
    let engagement = read_engagement(engagement_arg)?;
    let preference = match args.prefer {
        Some(PreferArg::Tcp) => [CarrierKind::Tcp, CarrierKind::Ble],
        _ => [CarrierKind::Ble, CarrierKind::Tcp],
    };
    let target = endpoint(&engagement, args.connect.as_ref(), &preference)?;
    let ctx = ReadContext {
        trust: &trust,
        elements: &elements,
        auth: auth.as_ref(),
        at,
    };

    let binding = Engagement::from_qr(engagement.clone()).binding();
    let tcp = match &target {
        Carrier::Tcp(tcp) => tcp,
        #[cfg(feature = "ble")]
        Carrier::Ble(ble) => {
            let (mut link, label) = crate::ble::connect(args, ble, &binding).await?;
            return read_over(args, &ctx, engagement, &mut link, &label, &mut rng).await;
        }
        other => {
            return Err(CliError::msg(format!(
                "{other:?} is not a carrier of this reader"
            )))
        }
    };
    let (host, port) = (tcp.host.clone(), tcp.port);
    tracing::info!(host = %host, port = port, "connecting");
    let mut transport =
        tokio::time::timeout(CONNECT_TIMEOUT, TcpConnector.connect(&target, &binding))
            .await
            .map_err(|_| {
                CliError::msg(format!(
                    "connecting to tcp:{host}:{port}: no answer within {} s",
                    CONNECT_TIMEOUT.as_secs()
                ))
            })?
            .with_context(|| format!("connecting to tcp:{host}:{port}"))?;
    let label = format!("tcp:{host}:{port}");
    read_over(args, &ctx, engagement, &mut transport, &label, &mut rng).await
}

/// The session over a connected `transport` (QR engagement): request, exchange, verify,
/// print. `Ok(true)` iff everything verified.
async fn read_over<T: Transport>(
    args: &ReaderArgs,
    ctx: &ReadContext<'_>,
    engagement: DeviceEngagementBytes,
    transport: &mut T,
    label: &str,
    rng: &mut CliRng,
) -> CliResult<bool> {
    let (mut session, e_reader_key) = start_session(engagement, rng)?;
    let request = build_request(ctx.elements, ctx.auth, &session)?;
    let response = exchange(
        &mut session,
        &e_reader_key,
        transport,
        &request,
        args.dump.as_deref(),
    )
    .await?;
    let report = verify_response(&response, &session, ctx.trust, ctx.at);
    print_outcome(args, ctx, &report, &response, label);
    Ok(report.is_valid())
}

/// What a read needs besides the link: trust anchors, the elements, reader authentication and
/// the validation time.
pub(crate) struct ReadContext<'a> {
    /// `--trust`.
    pub(crate) trust: &'a TrustAnchors,
    /// `--request`.
    pub(crate) elements: &'a [(String, String)],
    /// `--reader-key` and `--reader-cert`.
    pub(crate) auth: Option<&'a ReaderAuth>,
    /// `--at`, or now.
    pub(crate) at: i64,
}

/// Prints the report as today's `mdl reader` does (text or `--json`); `holder` names the link.
pub(crate) fn print_outcome(
    args: &ReaderArgs,
    ctx: &ReadContext<'_>,
    report: &VerificationReport,
    response: &DeviceResponse,
    holder: &str,
) {
    let (elements, auth, at) = (ctx.elements, ctx.auth, ctx.at);
    if args.json {
        let mut out = present::report_json(report, Some(response));
        if let serde_json::Value::Object(obj) = &mut out {
            obj.insert("holder".into(), json!(holder));
            obj.insert(
                "request".into(),
                json!({
                    "elements": elements.iter().map(|(ns, el)| format!("{ns}/{el}")).collect::<Vec<_>>(),
                    "readerAuth": auth.is_some(),
                }),
            );
            obj.insert("at".into(), json!(at));
        }
        crate::output::print_json(&out, false);
    } else {
        outln!(
            "read from {holder}: {} element{} requested{}",
            elements.len(),
            if elements.len() == 1 { "" } else { "s" },
            if auth.is_some() {
                ", signed (readerAuth)"
            } else {
                ", unsigned"
            }
        );
        out!("{}", present::report_text(report, Some(response)));
    }
    if let Some(dir) = &args.dump {
        eprintln!("dump written to {}", dir.display());
    }
}
