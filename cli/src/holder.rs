//! `mdl holder`: present a credential over the GmDL TCP test transport. Binds the listener,
//! shows a fresh engagement (`mdoc:` URI and QR code) for each connection, and answers the
//! reader's requests with the consent policy of `--approve`, until Ctrl-C.
//!
//! stdout carries only the `mdoc:` URIs, one per line, so scripts can read them; everything
//! else (QR code, prompts, what was released) goes to stderr.

use std::io::{BufRead as _, IsTerminal as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use mdl_proximity::cbor;
use mdl_proximity::crypto::{Curve, EphemeralPrivateKey};
use mdl_proximity::driver::{serve_holder, Direction, Reply, Responder};
use mdl_proximity::engagement::Engagement;
use mdl_proximity::holder::{ApproveListed, ConsentHook, Presenter, ReviewRequest, Selection};
use mdl_proximity::issuer::{Credential, DeviceAuthMethod};
use mdl_proximity::session::{HolderConfig, HolderSession, RequestReceived};
use mdl_proximity::verify::TrustAnchors;
use mdl_transport::{Listen, Transport};
use mdl_transport_mock::TcpListener;

use crate::cli::HolderArgs;
use crate::dump::{self, MessageDump};
use crate::error::{CliError, CliResult, Context as _};
use crate::output::outln;
use crate::present::{self, reader_identity_text};
use crate::rng::CliRng;
use crate::setup::{parse_elements, Curves};

/// Runs `mdl holder` until Ctrl-C (exit 0) or a setup error (exit 1 or 2).
pub(crate) fn run(args: &HolderArgs) -> ExitCode {
    match crate::runtime().and_then(|rt| rt.block_on(hold(args))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}

// ---- consent ----------------------------------------------------------------------------------

/// What `--approve` says.
#[derive(Debug)]
enum Policy {
    /// Everything requested.
    All,
    /// Only these elements, when requested.
    Listed(ApproveListed),
    /// Ask on the terminal for each DocRequest.
    Ask,
}

impl Policy {
    fn parse(spec: &str) -> CliResult<Self> {
        match spec.trim() {
            "all" => Ok(Self::All),
            "ask" => Ok(Self::Ask),
            list => {
                let elements = parse_elements(list)?;
                Ok(Self::Listed(ApproveListed::new(
                    elements.iter().map(|(ns, el)| (ns.as_str(), el.as_str())),
                )))
            }
        }
    }
}

/// The holder's consent: the `--approve` policy, and with `--trust-reader` nothing at all for
/// a reader that is not authenticated by a trusted root. Reports each decision on stderr.
#[derive(Debug)]
pub(crate) struct HolderConsent {
    policy: Policy,
    require_trusted_reader: bool,
}

fn describe_request(review: &ReviewRequest) -> String {
    let mut out = format!(
        "request for {} from reader: {}\n",
        review.doc_type,
        reader_identity_text(&review.reader)
    );
    for (ns, els) in &review.name_spaces {
        for (el, retain) in els {
            let name = if ns == mdl_proximity::issuer::MDL_NAMESPACE {
                el.clone()
            } else {
                format!("{ns}/{el}")
            };
            let retain = if *retain {
                "intends to retain"
            } else {
                "will not retain"
            };
            out.push_str(&format!("    {name} ({retain})\n"));
        }
    }
    out
}

/// Asks on the terminal which requested elements to release.
fn ask(review: &ReviewRequest) -> Selection {
    eprint!("{}", describe_request(review));
    eprint!("release? [a]ll, [n]one, or a comma list of elements: ");
    let mut line = String::new();
    // The consent hook is synchronous; reading the terminal blocks this worker thread only.
    let read = tokio::task::block_in_place(|| std::io::stdin().lock().read_line(&mut line));
    let answer = match read {
        Ok(0) | Err(_) => {
            eprintln!("(no answer: nothing released)");
            return Selection::none();
        }
        Ok(_) => line.trim().to_owned(),
    };
    if !std::io::stdin().is_terminal() {
        // A terminal echoes the answer and its newline; a pipe does not.
        eprintln!("{answer}");
    }
    match answer.as_str() {
        "a" | "all" | "y" | "yes" => Selection::all_requested(review),
        "" | "n" | "none" | "no" => Selection::none(),
        list => match parse_elements(list) {
            Ok(elements) => {
                ApproveListed::new(elements.iter().map(|(ns, el)| (ns.as_str(), el.as_str())))
                    .review(review)
            }
            Err(e) => {
                eprintln!("{e}: nothing released");
                Selection::none()
            }
        },
    }
}

impl ConsentHook for HolderConsent {
    fn review(&mut self, review: &ReviewRequest) -> Selection {
        if !review.holder_has_doc_type {
            eprintln!("request for {}: no such document here", review.doc_type);
            return Selection::none();
        }
        if self.require_trusted_reader && !review.reader.is_authenticated() {
            eprintln!(
                "request for {} refused: --trust-reader is set and the reader is {}",
                review.doc_type,
                reader_identity_text(&review.reader)
            );
            return Selection::none();
        }
        let selection = match &mut self.policy {
            Policy::All => Selection::all_requested(review),
            Policy::Listed(listed) => listed.review(review),
            Policy::Ask => ask(review),
        };
        if !matches!(self.policy, Policy::Ask) {
            eprint!("{}", describe_request(review));
        }
        let (released, withheld): (Vec<_>, Vec<_>) = review
            .requested()
            .partition(|(ns, el)| selection.is_approved(ns, el));
        let names = |v: Vec<(&str, &str)>| {
            v.into_iter()
                .map(|(_, el)| el.to_owned())
                .collect::<Vec<_>>()
                .join(", ")
        };
        eprintln!("  released: {}", names(released));
        if !withheld.is_empty() {
            eprintln!("  withheld: {}", names(withheld));
        }
        selection
    }
}

// ---- responder with dump ----------------------------------------------------------------------

/// The presenter, plus `--dump` of the transcript and the decrypted request and response.
struct DumpingResponder<'a, C> {
    presenter: &'a mut Presenter<C>,
    dump_dir: Option<&'a Path>,
    requests: usize,
    error: Option<CliError>,
}

impl<C: ConsentHook> DumpingResponder<'_, C> {
    fn dump(&mut self, request: &RequestReceived, session: &HolderSession, reply: &Reply) {
        let Some(dir) = self.dump_dir else { return };
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        if self.requests == 1 {
            if let Some(t) = session.transcript() {
                files.push(("session-transcript.cbor".into(), t.tagged_bytes()));
            }
        }
        files.push((
            dump::numbered("device-request", self.requests),
            request.bytes.clone(),
        ));
        if let Reply::Respond(r) | Reply::RespondAndTerminate(r) = reply {
            // The session encrypts exactly `cbor::to_vec(response)`.
            files.push((
                dump::numbered("device-response", self.requests),
                cbor::to_vec(r),
            ));
        }
        for (name, bytes) in files {
            if let Err(e) = dump::write(dir, &name, &bytes) {
                self.error.get_or_insert(e);
            }
        }
    }
}

impl<C: ConsentHook> Responder for DumpingResponder<'_, C> {
    fn reply(
        &mut self,
        request: &RequestReceived,
        session: &HolderSession,
        at: mdl_proximity::time::UnixTime,
    ) -> Reply {
        self.requests += 1;
        let reply = self.presenter.reply(request, session, at);
        self.dump(request, session, &reply);
        reply
    }
}

// ---- the loop ---------------------------------------------------------------------------------

/// Ctrl-C: the holder's normal end.
pub(crate) fn stop() -> ! {
    eprintln!("holder: stopped");
    std::process::exit(0)
}

fn load_credential(path: &Path) -> CliResult<Credential> {
    let bytes = zeroize::Zeroizing::new(
        std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
    );
    Credential::from_bytes(&bytes).with_context(|| format!("credential {}", path.display()))
}

/// The session curve: `--curve`, else one the device key's curve stands for. A deviceMac key
/// needs the session on its own curve (EMacKey is ECDH of it with EReaderKey).
fn session_curve(args: &HolderArgs, credential: &Credential) -> CliResult<Curve> {
    let device_curve = credential.device_key.curve();
    let curve = match args.curve {
        Some(c) => Curves::for_curve(c.curve()).key_agreement,
        None => Curves::for_curve(device_curve).key_agreement,
    };
    if credential.device_auth == DeviceAuthMethod::Mac && curve != device_curve {
        return Err(CliError::usage(format!(
            "the credential does deviceMac with a {device_curve} key, which needs {device_curve} \
             session keys, not {curve}"
        )));
    }
    Ok(curve)
}

async fn hold(args: &HolderArgs) -> CliResult<()> {
    let credential = load_credential(&args.credential)?;
    let curve = session_curve(args, &credential)?;
    let policy = Policy::parse(&args.approve)?;
    let reader_roots = match &args.trust_reader {
        Some(path) => crate::reader::load_trust(std::slice::from_ref(path), "--trust-reader")?,
        None => TrustAnchors::new(),
    };
    let consent = HolderConsent {
        policy,
        require_trusted_reader: args.trust_reader.is_some(),
    };
    let mut presenter = Presenter::new(
        vec![credential
            .to_mdoc()
            .context("the credential's device key")?],
        consent,
        reader_roots,
    );
    if let Some(dir) = &args.dump {
        dump::create_dir(dir)?;
    }
    let mut rng = CliRng::new(args.seed);

    // Ctrl-C ends the process from its own task, whatever the holder is doing: waiting for a
    // reader, in a session, or blocked in the `--approve ask` prompt (which holds the session's
    // task). Files are written synchronously, stdout is flushed per line: nothing is lost. On
    // Unix the handler is installed here, before the first URI is printed.
    #[cfg(unix)]
    {
        let mut interrupt =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .context("installing the Ctrl-C handler")?;
        tokio::spawn(async move {
            if interrupt.recv().await.is_some() {
                stop();
            }
        });
    }
    #[cfg(not(unix))]
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            stop();
        }
    });

    #[cfg(feature = "nfc")]
    if let Some(vpcd) = &args.nfc {
        return crate::nfc::hold(args, vpcd, curve, &mut presenter, &mut rng).await;
    }
    #[cfg(not(feature = "nfc"))]
    if args.nfc.is_some() {
        return Err(CliError::usage(
            "--nfc: this mdl was built without the `nfc` feature (cargo build -p mdl-cli --features nfc)",
        ));
    }
    #[cfg(feature = "ble")]
    if let Some(modes) = args.ble {
        return crate::ble::hold(args, modes, curve, &mut presenter, &mut rng).await;
    }
    #[cfg(not(feature = "ble"))]
    if args.ble.is_some() {
        return Err(CliError::usage(
            "--ble: this mdl was built without the `ble` feature (cargo build -p mdl-cli --features ble)",
        ));
    }
    let Some(listen) = &args.listen else {
        return Err(CliError::usage(
            "give --listen tcp:HOST:PORT or --nfc vpcd[:HOST:PORT]",
        ));
    };
    let mut listener = TcpListener::bind((listen.host.as_str(), listen.port))
        .await
        .with_context(|| format!("binding tcp:{}:{}", listen.host, listen.port))?;
    let (host, port) = (listener.carrier().host.clone(), listener.carrier().port);
    eprintln!("holder: listening on tcp:{host}:{port} (session curve {curve}); Ctrl-C stops");
    for connection in 1usize.. {
        let e_device_key = EphemeralPrivateKey::generate(curve, &mut rng)
            .with_context(|| format!("EDeviceKey on {curve}"))?;
        // The link says what it offers (its bound host and port) before the engagement is
        // written (DESIGN §7b).
        let offered = listener.offer().await.context("the listener's offer")?;
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
        eprintln!("holder: waiting for a reader (connection {connection})");

        let carrier = offered
            .first()
            .ok_or_else(|| CliError::msg("the TCP listener offered no carrier"))?;
        let accepted = listener.accept(carrier, &engagement.binding()).await;
        let mut transport = match accepted {
            Ok(t) => t,
            Err(e) => {
                eprintln!("holder: accepting a connection failed: {e}");
                continue;
            }
        };
        let peer = transport
            .peer_addr()
            .map_or_else(|_| "?".to_owned(), |a| a.to_string());
        eprintln!("holder: connection {connection} from {peer}");
        let mut session = HolderSession::from_engagement(
            HolderConfig::default(),
            e_device_key,
            &engagement,
            Instant::now(),
        )
        .context("starting the holder session")?;
        serve_connection(
            &mut session,
            &mut transport,
            &mut presenter,
            args.dump.as_deref(),
            connection,
        )
        .await?;
    }
    Ok(())
}

/// Serves one connection's session (on any transport) to its end, with `--dump` into
/// `dump_root/connection-N/`, and reports how it ended on stderr.
pub(crate) async fn serve_connection<C: ConsentHook, T: Transport>(
    session: &mut HolderSession,
    transport: &mut T,
    presenter: &mut Presenter<C>,
    dump_root: Option<&Path>,
    connection: usize,
) -> CliResult<()> {
    let dump_dir: Option<PathBuf> = match dump_root {
        Some(dir) => {
            let d = dir.join(format!("connection-{connection}"));
            dump::create_dir(&d)?;
            Some(d)
        }
        None => None,
    };
    let mut messages = dump_dir.clone().map(MessageDump::new);
    let mut tap = |direction: Direction, bytes: &[u8]| {
        if let Some(m) = messages.as_mut() {
            m.record(direction, bytes);
        }
    };
    let mut responder = DumpingResponder {
        presenter,
        dump_dir: dump_dir.as_deref(),
        requests: 0,
        error: None,
    };
    let reason = serve_holder(session, transport, &mut responder, Some(&mut tap)).await;
    let requests = responder.requests;
    let dump_error = responder.error.take();
    eprintln!(
        "holder: connection {connection} ended after {requests} request{}: {}",
        if requests == 1 { "" } else { "s" },
        present::close_reason_text(&reason)
    );
    let message_error = messages.map(MessageDump::finish).and_then(Result::err);
    if let Some(e) = dump_error.or(message_error) {
        eprintln!("holder: {e}");
    } else if let Some(d) = &dump_dir {
        eprintln!("holder: dump written to {}", d.display());
    }
    Ok(())
}
