//! Printing results: JSON on stdout, errors on stderr with their exit status.

use std::process::ExitCode;

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
