//! `mdl verify`: the inspection procedure (2021 9.3) offline, on a DeviceResponse and the
//! session transcript it was made in.

use std::process::ExitCode;

use mdl_proximity::cbor::{self, Tag24};
use mdl_proximity::msg::{DeviceResponse, SessionTranscript, SessionTranscriptBytes};
use mdl_proximity::verify;

use crate::cli::VerifyArgs;
use crate::error::{CliError, CliResult, Context as _};
use crate::input::{read_arg, Input};
use crate::output::describe;
use crate::output::out;
use crate::present;
use crate::setup::validation_time;

/// Runs `mdl verify`: 0 if the response verifies completely, 1 otherwise.
pub(crate) fn run(args: &VerifyArgs) -> ExitCode {
    match check(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => e.report(),
    }
}

fn bytes_arg(arg: &str, what: &str) -> CliResult<Vec<u8>> {
    match read_arg(arg).with_context(|| what.to_owned())? {
        Input::Bytes(b) => Ok(b),
        Input::MdocUri(_) => Err(CliError::usage(format!(
            "{what}: an mdoc: URI is not a {what}"
        ))),
        Input::Pem(_) => Err(CliError::usage(format!(
            "{what}: a certificate is not a {what}"
        ))),
    }
}

/// SessionTranscriptBytes (`#6.24(bstr .cbor SessionTranscript)`), or the untagged
/// SessionTranscript array: either way the bytes are kept as given.
fn transcript(bytes: Vec<u8>) -> CliResult<SessionTranscriptBytes> {
    if bytes.first() == Some(&0xd8) {
        return Tag24::from_tagged_slice(&bytes)
            .map_err(|e| CliError::msg(format!("--transcript: {}", describe(&e))));
    }
    Tag24::<SessionTranscript>::from_bytes(bytes)
        .map_err(|e| CliError::msg(format!("--transcript: {}", describe(&e))))
}

fn check(args: &VerifyArgs) -> CliResult<bool> {
    let at = validation_time(args.at);
    let trust = crate::reader::load_trust(&args.trust, "--trust")?;
    let response_bytes = bytes_arg(&args.response, "--response")?;
    let response: DeviceResponse = cbor::from_slice(&response_bytes)
        .map_err(|e| CliError::msg(format!("--response: {}", describe(&e))))?;
    let transcript = transcript(bytes_arg(&args.transcript, "--transcript")?)?;
    let e_reader_key = match &args.e_reader_key {
        Some(arg) => {
            let bytes = zeroize::Zeroizing::new(bytes_arg(arg, "--e-reader-key")?);
            Some(crate::keys::read_e_reader_key(
                &bytes,
                transcript.value().e_reader_key.value(),
            )?)
        }
        None => None,
    };
    let mut report = verify::response(&response, &transcript, &trust, e_reader_key.as_ref(), at);
    if args.strict {
        report = report.strict();
    }
    if args.json {
        let mut out = present::report_json(&report, Some(&response));
        if let serde_json::Value::Object(obj) = &mut out {
            obj.insert("at".into(), serde_json::json!(at));
        }
        crate::output::print_json(&out, false);
    } else {
        out!("{}", present::report_text(&report, Some(&response)));
    }
    Ok(report.is_valid())
}
