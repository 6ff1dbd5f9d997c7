//! Printing results: JSON on stdout, errors on stderr with their exit status.

use std::process::ExitCode;

/// Writes `text` to stdout and flushes. A consumer that went away (`mdl reader | head -1`,
/// a closed pipe) is not an error: the rest of the output is dropped and the command still
/// finishes and exits with its own status (`println!` would panic instead). Other write errors
/// are reported on stderr.
pub(crate) fn stdout(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: writing to stdout: {e}");
        }
    }
}

/// `print!` through [`stdout`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::stdout(&format!($($arg)*))
    };
}
pub(crate) use out;

/// `println!` through [`stdout`].
macro_rules! outln {
    () => {
        $crate::output::stdout("\n")
    };
    ($($arg:tt)*) => {
        $crate::output::stdout(&format!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;

/// Prints `value` as JSON on stdout, pretty unless `compact`.
pub(crate) fn print_json(value: &serde_json::Value, compact: bool) {
    let text = if compact {
        value.to_string()
    } else {
        // Serializing a `serde_json::Value` cannot fail (its map keys are strings).
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    };
    stdout(&format!("{text}\n"));
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
