//! `mdl inspect`: decode any 18013-5 message to annotated JSON, detecting its type, and say
//! precisely where malformed input breaks.
//!
//! Detection order: an `mdoc:` URI is a DeviceEngagement; bytes starting with a DER SEQUENCE
//! that parse as X.509 are a certificate; bytes whose first NDEF record is `Hs`/`Hr` are a
//! handover message; everything else must be one CBOR item, whose shape picks the structure
//! (see [`detect::detect`]) and whose typed decode confirms it. Tag-24 wrappers are unwrapped
//! and their content detected the same way. A file of `C:`/`R:` lines is an APDU trace
//! (`apdu.log`), annotated line by line.

mod apdu;
mod detect;
mod ndef;
mod render;
mod x509;

use std::process::ExitCode;

use mdl_proximity::cbor::{value_from_slice, DecodeError, Limits};
use mdl_proximity::engagement::qr::from_qr_uri;
use serde_json::{json, Value as Json};

use crate::cli::InspectArgs;
use crate::input::{read_arg, Input};
use crate::output::{describe, fail, print_json};

use detect::{detect, interop_warnings, Kind};
use render::Renderer;

/// Why a message could not be inspected (shown after `error: `).
#[derive(Debug, thiserror::Error)]
pub(crate) enum InspectError {
    /// Not readable (file, stdin, hex).
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    /// The `mdoc:` URI does not hold a DeviceEngagement.
    #[error("mdoc: URI: {}", describe(.0))]
    Uri(DecodeError),
    /// Malformed CBOR (byte offset) or the wrong shape for the detected type (field path).
    #[error("{}", describe(.0))]
    Cbor(DecodeError),
    /// Starts like a DER certificate but is not one, and is not CBOR either.
    #[error("malformed X.509 certificate: {der}; as CBOR: {}", describe(cbor))]
    Certificate {
        /// The DER error.
        der: String,
        /// The CBOR error.
        cbor: DecodeError,
    },
    /// Starts like an NDEF handover message but is not one, and is not CBOR either.
    #[error("malformed NDEF handover message: {ndef}; as CBOR: {}", describe(cbor))]
    Ndef {
        /// The NDEF error.
        ndef: mdl_proximity::engagement::nfc::ndef::NdefError,
        /// The CBOR error.
        cbor: DecodeError,
    },
}

/// Runs `mdl inspect`.
pub(crate) fn run(args: &InspectArgs) -> ExitCode {
    let mut renderer = Renderer::default();
    match inspect(&args.input, &mut renderer) {
        Ok(json) => {
            print_json(&json, args.compact);
            if renderer.problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                for p in &renderer.problems {
                    eprintln!("error: {p}");
                }
                ExitCode::FAILURE
            }
        }
        Err(e) => fail(&e),
    }
}

/// Decodes `arg` into its annotated JSON; faults of embedded items land in `renderer`.
pub(crate) fn inspect(arg: &str, renderer: &mut Renderer) -> Result<Json, InspectError> {
    // An APDU trace (`apdu.log` of `mdl reader --nfc --dump`) is text, not one message.
    if let Some(path) = arg.strip_prefix('@') {
        if let Ok(text) = std::fs::read_to_string(path) {
            if apdu::is_trace(&text) {
                return Ok(apdu::render(&text));
            }
        }
    }
    match read_arg(arg)? {
        Input::MdocUri(uri) => {
            let engagement = from_qr_uri(&uri).map_err(InspectError::Uri)?;
            let bytes = engagement.inner_bytes();
            // `from_qr_uri` decoded these bytes already, so this cannot fail; map anyway
            // rather than unwrap (peer bytes never panic).
            let value = value_from_slice(bytes, &Limits::default()).map_err(InspectError::Uri)?;
            let rendered = renderer.kind(Kind::DeviceEngagement, &value, "DeviceEngagement");
            Ok(json!({
                "type": "DeviceEngagement",
                "source": "mdoc: URI (QR engagement, 2021 8.2.2.3)",
                "length": bytes.len(),
                "hex": hex::encode(bytes),
                "value": rendered,
                "warnings": interop_warnings(Kind::DeviceEngagement, &value),
            }))
        }
        Input::Pem(ders) => {
            let mut certs = Vec::new();
            for (i, der) in ders.iter().enumerate() {
                let cert = x509::parse(der).map_err(|e| InspectError::Certificate {
                    der: format!("PEM certificate {i}: {e}"),
                    cbor: DecodeError::invalid("not CBOR (PEM input)"),
                })?;
                certs.push(x509::render(&cert));
            }
            Ok(if certs.len() == 1 {
                json!({ "type": "X.509 certificate", "value": certs.swap_remove(0) })
            } else {
                json!({ "type": "X.509 certificate chain", "value": certs })
            })
        }
        Input::Bytes(bytes) => inspect_bytes(&bytes, renderer),
    }
}

fn inspect_bytes(bytes: &[u8], renderer: &mut Renderer) -> Result<Json, InspectError> {
    // A DER SEQUENCE with a long-form length (every real certificate) is a single CBOR
    // negative integer followed by trailing bytes, so trying DER first never hides CBOR.
    let mut der_error = None;
    if bytes.len() > 1 && bytes[0] == 0x30 {
        match x509::parse(bytes) {
            Ok(cert) => {
                tracing::debug!("detected an X.509 certificate");
                return Ok(json!({
                    "type": "X.509 certificate",
                    "length": bytes.len(),
                    "value": x509::render(&cert),
                }));
            }
            Err(e) => der_error = Some(e.to_string()),
        }
    }
    // An NDEF message whose first record has MB set and TNF well-known (`Hs`/`Hr`); in CBOR
    // these first bytes (0x91, 0xd1) are an array or a tag, so again nothing is hidden.
    let mut ndef_error = None;
    if bytes[0] & 0x80 != 0 && bytes[0] & 0x07 == 0x01 {
        match mdl_proximity::engagement::nfc::handover::HandoverMessage::parse(bytes) {
            Ok(_) => {
                tracing::debug!("detected an NDEF handover message");
                let value =
                    ndef::render_with(renderer, bytes).map_err(|ndef| InspectError::Ndef {
                        ndef,
                        cbor: DecodeError::invalid("not tried"),
                    })?;
                let name = value["message"].as_str().unwrap_or_default().to_owned();
                let ty = if name.contains("Select") {
                    "HandoverSelect"
                } else {
                    "HandoverRequest"
                };
                return Ok(json!({
                    "type": ty,
                    "source": "NDEF message (NFC Connection Handover 1.5, 2021 8.2.2.1)",
                    "length": bytes.len(),
                    "value": value,
                }));
            }
            Err(e) => ndef_error = Some(e),
        }
    }
    let value = match value_from_slice(bytes, &Limits::default()) {
        Ok(v) => v,
        Err(cbor) => {
            return Err(match (der_error, ndef_error) {
                (Some(der), _) => InspectError::Certificate { der, cbor },
                (None, Some(ndef)) => InspectError::Ndef { ndef, cbor },
                (None, None) => InspectError::Cbor(cbor),
            })
        }
    };
    let kind = detect(&value);
    tracing::debug!(kind = kind.name(), "detected by shape");
    kind.validate(&value)
        .map_err(|e| InspectError::Cbor(e.within(kind.name())))?;
    if kind == Kind::Tag24 {
        // `#6.24(bstr .cbor X)`: the wrapper's type names X (IssuerSignedItemBytes, …).
        let mut rendered = renderer.value(&value, "");
        if let Json::Object(obj) = &mut rendered {
            obj.insert("length".into(), json!(bytes.len()));
            obj.insert("tag".into(), json!(24));
        }
        return Ok(rendered);
    }
    let rendered = renderer.kind(kind, &value, kind.name());
    let warnings = interop_warnings(kind, &value);
    Ok(
        json!({ "type": kind.name(), "length": bytes.len(), "value": rendered, "warnings": warnings }),
    )
}
