//! The command tree of `mdl`: every subcommand, its flags and their help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::setup::DEFAULT_ELEMENTS;

/// ISO/IEC 18013-5 mobile driving licence proximity tool: issue a test mDL, present it as a
/// holder, read and verify it as a reader, and inspect any 18013-5 message.
#[derive(Debug, Parser)]
#[command(name = "mdl", version, propagate_version = true)]
pub(crate) struct Cli {
    /// Log more (-v info, -vv debug, -vvv trace); `RUST_LOG` overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,
    /// The subcommand.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Issue a test mDL, run holder and reader over the in-memory transport, and print the
    /// verified elements, the checks that passed and the time per phase.
    Demo(DemoArgs),
    /// Issue a test IACA, document signer and mDL credential into a directory.
    Issue(IssueArgs),
    /// Present a credential: print the `mdoc:` engagement URI (and its QR code), then serve
    /// presentations until stopped.
    Holder(HolderArgs),
    /// Engage with a holder, request elements, and verify the response. Exits 0 only if
    /// everything verified.
    Reader(ReaderArgs),
    /// Verify a DeviceResponse offline against a session transcript and trust anchors.
    Verify(VerifyArgs),
    /// Decode any 18013-5 message to annotated JSON, detecting its type.
    ///
    /// Accepted: DeviceEngagement (CBOR or `mdoc:` URI), NFC Handover Select/Request,
    /// SessionEstablishment, SessionData, DeviceRequest, ItemsRequest, DeviceResponse,
    /// MobileSecurityObject, IssuerSignedItem, any tag-24 wrapped item, COSE_Sign1, COSE_Mac0,
    /// COSE_Key, SessionTranscript, DeviceAuthentication, ReaderAuthentication and X.509
    /// certificates (DER or PEM), and the APDU trace `apdu.log` of `mdl reader --nfc --dump`;
    /// anything else well-formed is shown as generic CBOR. Malformed
    /// input is reported with its byte offset or field path, and the exit status is 1.
    Inspect(InspectArgs),
}

/// `mdl demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Curve of every key: issuer, reader, device and session keys. X25519/Ed25519 (and
    /// X448/Ed448) stand for the pair: EdDSA signatures, X25519 (X448) session keys.
    #[arg(long, value_enum, default_value_t = CurveArg::P256)]
    pub(crate) curve: CurveArg,
    /// How the mdoc authenticates: deviceSignature or deviceMac (2021 9.1.3).
    #[arg(long, value_enum, default_value_t = DeviceAuthArg::Signature)]
    pub(crate) device_auth: DeviceAuthArg,
    /// Elements to request: `all`, or a comma-separated list of element identifiers
    /// (optionally `namespace/element`).
    #[arg(long, value_name = "ELEMENTS", default_value = DEFAULT_ELEMENTS)]
    pub(crate) request: String,
    /// Send the request without reader authentication.
    #[arg(long)]
    pub(crate) no_reader_auth: bool,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Write every message exchanged (as the reader saw it), the session transcript and the
    /// decrypted request and response into this directory.
    #[arg(long, value_name = "DIR")]
    pub(crate) dump: Option<PathBuf>,
    /// Draw every key and salt from a seeded RNG instead of the OS (reproducible runs).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,
}

/// `mdl issue`.
#[derive(Debug, Args)]
pub(crate) struct IssueArgs {
    /// Directory to write into (created if missing): iaca.pem, ds.pem, reader-root.pem,
    /// reader.pem, reader-key.cose and credential.cbor.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
    /// Curve of the issuer, reader and device keys (X25519/Ed25519 and X448/Ed448 stand for
    /// the pair, as in `mdl demo`).
    #[arg(long, value_enum, default_value_t = CurveArg::P256)]
    pub(crate) curve: CurveArg,
    /// How the credential's device key authenticates: deviceSignature or deviceMac.
    #[arg(long, value_enum, default_value_t = DeviceAuthArg::Signature)]
    pub(crate) device_auth: DeviceAuthArg,
    /// Draw every key and salt from a seeded RNG instead of the OS (reproducible runs).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,
}

/// `mdl holder`.
#[derive(Debug, Args)]
pub(crate) struct HolderArgs {
    /// The credential written by `mdl issue`.
    #[arg(long, value_name = "FILE")]
    pub(crate) credential: PathBuf,
    /// Where to listen for readers, e.g. `tcp:127.0.0.1:7000` (the GmDL TCP test transport).
    #[arg(long, value_name = "tcp:HOST:PORT", value_parser = parse_tcp_endpoint,
          required_unless_present_any = ["nfc", "ble"], conflicts_with = "nfc")]
    pub(crate) listen: Option<TcpEndpoint>,
    /// Offer BLE data retrieval (2021 8.3.3.1.1) in the engagement, in mdoc peripheral server
    /// mode, mdoc central client mode or both; combinable with `--listen` (needs the `ble`
    /// feature and BlueZ).
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "peripheral",
          conflicts_with = "nfc")]
    pub(crate) ble: Option<BleModeArg>,
    /// With `--ble`: also offer an L2CAP connection-oriented channel (its PSM in the
    /// engagement, 2nd ed. 11.1.3.3).
    #[arg(long, requires = "ble")]
    pub(crate) l2cap: bool,
    /// With `--ble`: the Bluetooth adapter (`hci0`, …; default BlueZ's first).
    #[arg(long, value_name = "hciN", requires = "ble")]
    pub(crate) adapter: Option<String>,
    /// Present by NFC tap instead: the holder is a vsmartcard virtual card that connects to
    /// pcscd's vpcd driver (default 127.0.0.1:35963), serving tap after tap until Ctrl-C
    /// (needs the `nfc` feature).
    #[arg(long, value_name = "vpcd[:HOST:PORT]", value_parser = parse_vpcd)]
    pub(crate) nfc: Option<String>,
    /// NFC handover the tag offers (2021 8.2.2.1; 2nd ed. recommends negotiated).
    #[arg(long, value_enum, default_value_t = HandoverArg::Negotiated, requires = "nfc")]
    pub(crate) handover: HandoverArg,
    /// Data retrieval methods offered after an NFC tap, in order of preference: `nfc` and/or
    /// `tcp:HOST:PORT` (port 0 picks a free one), comma-separated.
    #[arg(long, value_name = "nfc,tcp:HOST:PORT", default_value = "nfc", requires = "nfc",
          value_parser = parse_retrieval)]
    pub(crate) retrieval: Retrieval,
    /// Accept requests only from readers whose certificate chains to this PEM (reader
    /// authentication); without it reader authentication is not required.
    #[arg(long, value_name = "PEM")]
    pub(crate) trust_reader: Option<PathBuf>,
    /// Which requested elements to release: `all`, `ask` (prompt on the terminal for each
    /// request), or a comma-separated list of element identifiers.
    #[arg(long, value_name = "all|ask|ELEMENTS", default_value = "ask")]
    pub(crate) approve: String,
    /// Curve of the ephemeral device key (default: the credential's device key curve when it
    /// can agree keys, else P-256; a deviceMac credential needs its own curve).
    #[arg(long, value_enum)]
    pub(crate) curve: Option<CurveArg>,
    /// Do not render the engagement as a QR code (the `mdoc:` URI is still printed).
    #[arg(long)]
    pub(crate) no_qr: bool,
    /// Write every message sent and received, SessionTranscriptBytes and the decrypted
    /// DeviceRequest/DeviceResponse into DIR/connection-N/ (one directory per connection).
    #[arg(long, value_name = "DIR")]
    pub(crate) dump: Option<PathBuf>,
    /// Draw ephemeral keys from a seeded RNG instead of the OS (reproducible runs).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,
}

/// `mdl reader`.
#[derive(Debug, Args)]
pub(crate) struct ReaderArgs {
    /// The holder's engagement: an `mdoc:` URI, hex, @FILE or `-` for stdin.
    #[arg(long, value_name = "URI", required_unless_present_any = ["nfc", "list_readers"],
          conflicts_with = "nfc")]
    pub(crate) engagement: Option<String>,
    /// Engage by NFC tap instead: wait for a card on a PC/SC reader (`pcsc:READER`, or `pcsc`
    /// for the first reader with a card), then retrieve over the carrier the holder's Handover
    /// Select chose, NFC or TCP (needs the `nfc` feature).
    #[arg(long, value_name = "pcsc[:READER]", num_args = 0..=1, default_missing_value = "pcsc",
          value_parser = parse_pcsc)]
    pub(crate) nfc: Option<PcscReader>,
    /// Which carrier to use when the engagement offers several (default: ble, then tcp).
    #[arg(long, value_enum)]
    pub(crate) prefer: Option<PreferArg>,
    /// The Bluetooth adapter for BLE retrieval (`hci0`, …; default BlueZ's first).
    #[arg(long, value_name = "hciN")]
    pub(crate) adapter: Option<String>,
    /// Use the L2CAP channel when the holder's engagement offers one (BLE peripheral server
    /// mode with a PSM).
    #[arg(long)]
    pub(crate) l2cap: bool,
    /// Limit NFC APDUs to short length with chaining (PN53x-class readers such as the ACR122U).
    #[arg(long, requires = "nfc")]
    pub(crate) short_apdus: bool,
    /// List the PC/SC readers and exit (needs the `nfc` feature).
    #[arg(long, exclusive = true)]
    pub(crate) list_readers: bool,
    /// Connect here instead of the TCP retrieval method advertised in the engagement.
    #[arg(long, value_name = "tcp:HOST:PORT", value_parser = parse_tcp_endpoint)]
    pub(crate) connect: Option<TcpEndpoint>,
    /// IACA certificate(s) (PEM) that issuer signatures must chain to.
    #[arg(
        long,
        value_name = "IACA.pem",
        required_unless_present = "list_readers"
    )]
    pub(crate) trust: Vec<PathBuf>,
    /// Elements to request: `all`, or a comma-separated list of element identifiers
    /// (optionally `namespace/element`).
    #[arg(long, value_name = "ELEMENTS", default_value = DEFAULT_ELEMENTS)]
    pub(crate) request: String,
    /// Reader authentication private key: a COSE_Key with `d` (CBOR or hex, as `mdl issue`
    /// writes reader-key.cose), or PEM (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`).
    #[arg(long, value_name = "FILE", requires = "reader_cert")]
    pub(crate) reader_key: Option<PathBuf>,
    /// Reader authentication certificate chain (PEM, leaf first).
    #[arg(long, value_name = "PEM", requires = "reader_key")]
    pub(crate) reader_cert: Option<PathBuf>,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Verify validity as of this instant (RFC 3339, e.g. 2021-01-01T00:00:00Z) instead of
    /// now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    pub(crate) at: Option<i64>,
    /// Write every message sent and received, SessionTranscriptBytes, the decrypted
    /// DeviceRequest/DeviceResponse and the EReaderKey private key into this directory (and,
    /// with `--nfc`, the APDU trace `apdu.log`, which `mdl inspect @DIR/apdu.log` annotates).
    #[arg(long, value_name = "DIR")]
    pub(crate) dump: Option<PathBuf>,
    /// Draw the ephemeral key from a seeded RNG instead of the OS (reproducible runs).
    #[arg(long, value_name = "N")]
    pub(crate) seed: Option<u64>,
}

/// `mdl verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The DeviceResponse: hex, @FILE or `-` for stdin.
    #[arg(long, value_name = "HEX|@FILE")]
    pub(crate) response: String,
    /// SessionTranscriptBytes (or the untagged SessionTranscript): hex, @FILE or `-`.
    #[arg(long, value_name = "HEX|@FILE")]
    pub(crate) transcript: String,
    /// IACA certificate(s) (PEM) that issuer signatures must chain to.
    #[arg(long, value_name = "IACA.pem", required = true)]
    pub(crate) trust: Vec<PathBuf>,
    /// The reader's ephemeral private key (needed to check a deviceMac): the raw private key
    /// (the big-endian scalar for EC curves, as hex or binary) or a COSE_Key with `d`, given as
    /// hex or @FILE. Its curve is the transcript's EReaderKey curve.
    #[arg(long, value_name = "HEX|@FILE")]
    pub(crate) e_reader_key: Option<String>,
    /// Verify validity as of this instant (RFC 3339, e.g. 2021-01-01T00:00:00Z) instead of
    /// now.
    #[arg(long, value_name = "RFC3339", value_parser = parse_rfc3339)]
    pub(crate) at: Option<i64>,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub(crate) json: bool,
    /// Treat elements that do not follow the 2021 Table 5 data model as failures, not warnings.
    #[arg(long)]
    pub(crate) strict: bool,
}

/// `mdl inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The message: hex (whitespace allowed), an `mdoc:` URI, @FILE (binary, hex text, PEM or
    /// an `mdoc:` URI) or `-` for stdin.
    #[arg(value_name = "HEX|@FILE|-|URI")]
    pub(crate) input: String,
    /// Print compact JSON on one line instead of pretty-printed.
    #[arg(long)]
    pub(crate) compact: bool,
}

/// A curve choice on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CurveArg {
    /// NIST P-256.
    #[value(name = "P-256")]
    P256,
    /// NIST P-384.
    #[value(name = "P-384")]
    P384,
    /// NIST P-521.
    #[value(name = "P-521")]
    P521,
    /// brainpoolP256r1.
    #[value(name = "brainpoolP256r1")]
    BrainpoolP256r1,
    /// brainpoolP320r1 (needs the `openssl` feature).
    #[value(name = "brainpoolP320r1")]
    BrainpoolP320r1,
    /// brainpoolP384r1.
    #[value(name = "brainpoolP384r1")]
    BrainpoolP384r1,
    /// brainpoolP512r1 (needs the `openssl` feature).
    #[value(name = "brainpoolP512r1")]
    BrainpoolP512r1,
    /// X25519 key agreement (with Ed25519 where signatures are needed).
    #[value(name = "X25519")]
    X25519,
    /// X448 key agreement (with Ed448 where signatures are needed).
    #[value(name = "X448")]
    X448,
    /// Ed25519 signatures (with X25519 where session keys are needed).
    #[value(name = "Ed25519")]
    Ed25519,
    /// Ed448 signatures (with X448 where session keys are needed).
    #[value(name = "Ed448")]
    Ed448,
}

/// How the mdoc authenticates (2021 9.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DeviceAuthArg {
    /// deviceSignature: COSE_Sign1 with the device key.
    Signature,
    /// deviceMac: COSE_Mac0 with EMacKey from ECDH(device key, EReaderKey).
    Mac,
}

/// `--handover`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum HandoverArg {
    /// A read-only Handover Select listing every carrier.
    Static,
    /// TNEP: the reader writes a Handover Request, the tag answers with one carrier.
    Negotiated,
}

/// `mdl holder --ble`: which BLE modes to offer (2021 8.3.3.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum BleModeArg {
    /// mdoc peripheral server mode: the holder is the GATT server and advertises.
    Peripheral,
    /// mdoc central client mode: the reader is the GATT server; the holder scans.
    Central,
    /// Both; the reader picks.
    Both,
}

/// `mdl reader --prefer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PreferArg {
    /// Bluetooth LE.
    Ble,
    /// The TCP test transport.
    Tcp,
    /// NFC (only after an NFC tap: `--nfc`).
    Nfc,
}

/// `--retrieval`: what the NFC holder offers for data retrieval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Retrieval {
    /// NFC itself (the field that did the engagement).
    pub(crate) nfc: bool,
    /// The GmDL TCP test transport, listening here.
    pub(crate) tcp: Option<TcpEndpoint>,
}

/// `mdl reader --nfc pcsc[:READER]`: a PC/SC reader name, or the first with a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PcscReader {
    /// The reader's name as PC/SC lists it (`mdl reader --list-readers`).
    pub(crate) name: Option<String>,
}

/// The vpcd address of `vpcd[:HOST:PORT]` (default 127.0.0.1:35963, vpcd's own default).
fn parse_vpcd(s: &str) -> Result<String, String> {
    match s.strip_prefix("vpcd") {
        Some("") => Ok("127.0.0.1:35963".to_owned()),
        Some(rest) => {
            let addr = rest.strip_prefix(':').unwrap_or("");
            match addr.rsplit_once(':') {
                Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                    Ok(addr.to_owned())
                }
                _ => Err(format!("expected vpcd or vpcd:HOST:PORT, got {s:?}")),
            }
        }
        None => Err(format!(
            "expected vpcd or vpcd:HOST:PORT (the holder is a vpcd virtual card), got {s:?}"
        )),
    }
}

fn parse_pcsc(s: &str) -> Result<PcscReader, String> {
    match s.strip_prefix("pcsc") {
        Some("") => Ok(PcscReader { name: None }),
        Some(rest) => match rest.strip_prefix(':') {
            Some(name) if !name.is_empty() => Ok(PcscReader {
                name: Some(name.to_owned()),
            }),
            _ => Err(format!("expected pcsc or pcsc:READER, got {s:?}")),
        },
        None => Err(format!("expected pcsc or pcsc:READER, got {s:?}")),
    }
}

fn parse_retrieval(s: &str) -> Result<Retrieval, String> {
    let mut retrieval = Retrieval {
        nfc: false,
        tcp: None,
    };
    for method in s.split(',').map(str::trim) {
        if method == "nfc" {
            retrieval.nfc = true;
        } else if method.starts_with("tcp:") {
            retrieval.tcp = Some(parse_tcp_endpoint(method)?);
        } else {
            return Err(format!(
                "unknown retrieval method {method:?}: expected nfc or tcp:HOST:PORT"
            ));
        }
    }
    Ok(retrieval)
}

/// A `tcp:HOST:PORT` endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TcpEndpoint {
    /// Host name or address.
    pub(crate) host: String,
    /// Port.
    pub(crate) port: u16,
}

/// An RFC 3339 date-time as Unix seconds.
fn parse_rfc3339(s: &str) -> Result<i64, String> {
    mdl_proximity::msg::TDate::parse(s)
        .map(|t| t.unix_seconds())
        .map_err(|e| crate::output::describe(&e))
}

fn parse_tcp_endpoint(s: &str) -> Result<TcpEndpoint, String> {
    let rest = s
        .strip_prefix("tcp:")
        .ok_or_else(|| format!("expected tcp:HOST:PORT, got {s:?}"))?;
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("expected tcp:HOST:PORT, got {s:?}"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err("empty host in tcp:HOST:PORT".to_owned());
    }
    let port = port
        .parse()
        .map_err(|_| format!("port {port:?} is not a number from 0 to 65535"))?;
    Ok(TcpEndpoint {
        host: host.to_owned(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn tcp_endpoints() {
        assert_eq!(
            parse_tcp_endpoint("tcp:127.0.0.1:7000"),
            Ok(TcpEndpoint {
                host: "127.0.0.1".into(),
                port: 7000
            })
        );
        assert_eq!(
            parse_tcp_endpoint("tcp:[::1]:1").map(|e| e.host),
            Ok("::1".to_owned())
        );
        assert!(parse_tcp_endpoint("127.0.0.1:7000").is_err());
        assert!(parse_tcp_endpoint("tcp:host:99999").is_err());
        assert!(parse_tcp_endpoint("tcp::80").is_err());
    }

    #[test]
    fn nfc_arguments() {
        assert_eq!(parse_vpcd("vpcd"), Ok("127.0.0.1:35963".to_owned()));
        assert_eq!(
            parse_vpcd("vpcd:10.0.0.1:4000"),
            Ok("10.0.0.1:4000".to_owned())
        );
        assert!(parse_vpcd("vpcd:10.0.0.1").is_err());
        assert!(parse_vpcd("vpcd:host:x").is_err());
        assert!(parse_vpcd("pcsc").is_err());
        assert_eq!(parse_pcsc("pcsc"), Ok(PcscReader { name: None }));
        assert_eq!(
            parse_pcsc("pcsc:Virtual PCD 00 00").map(|r| r.name),
            Ok(Some("Virtual PCD 00 00".to_owned()))
        );
        assert!(parse_pcsc("pcsc:").is_err());
        assert!(parse_pcsc("libnfc:x").is_err());
        let r = parse_retrieval("nfc,tcp:127.0.0.1:0");
        assert_eq!(r.as_ref().map(|r| r.nfc), Ok(true));
        assert_eq!(r.map(|r| r.tcp.map(|t| t.port)), Ok(Some(0)));
        assert_eq!(parse_retrieval("tcp:h:1").map(|r| r.nfc), Ok(false));
        assert!(parse_retrieval("ble").is_err());
    }

    #[test]
    fn at_parses_rfc3339() {
        assert_eq!(parse_rfc3339("2021-01-01T00:00:00Z"), Ok(1_609_459_200));
        assert!(parse_rfc3339("yesterday").is_err());
    }
}
