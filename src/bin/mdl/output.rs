//! Printing results: JSON on stdout, errors on stderr with their exit status.

use std::process::ExitCode;

/// Exit status of a subcommand whose engine is not in this build (sysexits `EX_UNAVAILABLE`).
pub(crate) const EXIT_UNAVAILABLE: u8 = 69;

/// Prints `value` as JSON on stdout, pretty unless `compact`.
pub(crate) fn print_json(value: &serde_json::Value, compact: bool) {
    let text = if compact {
        value.to_string()
    } else {
        // Serializing a `serde_json::Value` cannot fail (its map keys are strings).
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    };
    println!("{text}");
}

/// Prints `error: …` on stderr and returns exit status 1.
pub(crate) fn fail(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::FAILURE
}

/// Refuses a subcommand whose engine is not merged yet, after its arguments parsed.
pub(crate) fn unavailable(command: &str, needs: &str) -> ExitCode {
    eprintln!(
        "error: `mdl {command}` is not yet available in this build: it needs {needs}, \
         which are not merged yet (its arguments were accepted)"
    );
    ExitCode::from(EXIT_UNAVAILABLE)
}

/// A decode error as a sentence: byte-level faults say "malformed CBOR", shape faults lead
/// with their field path (and drop the separator when the path is empty).
pub(crate) fn describe(e: &mdl_proximity::cbor::DecodeError) -> String {
    let text = e.to_string();
    match e.path() {
        Some("") => text.trim_start_matches(": ").to_owned(),
        Some(_) => text,
        None if text.starts_with("malformed CBOR") => text,
        None => format!("malformed CBOR: {text}"),
    }
}
