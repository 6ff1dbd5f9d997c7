//! `mdl inspect @apdu.log`: the APDU trace that `mdl reader --nfc --dump` writes (one `C:` or
//! `R:` hex line per C-APDU / R-APDU), each line annotated by `mdl-transport-nfc`'s
//! [`annotate`]: which command, which application and file, which message.

use mdl_transport_nfc::trace::annotate;
use serde_json::{json, Value as Json};

/// Whether `text` is an APDU trace: its first non-blank line is a `C:` or `R:` line.
pub(super) fn is_trace(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| l.starts_with("C:") || l.starts_with("R:"))
}

/// The annotated trace as JSON: one entry per `C:`/`R:` line, with its line number, the line
/// as written and what it is.
pub(super) fn render(text: &str) -> Json {
    let lines: Vec<&str> = text.lines().collect();
    let apdus: Vec<Json> = annotate(text)
        .into_iter()
        .map(|a| {
            let raw = lines.get(a.line.saturating_sub(1)).map_or("", |l| l.trim());
            json!({ "line": a.line, "apdu": raw, "annotation": a.text })
        })
        .collect();
    json!({
        "type": "APDU trace",
        "source": "apdu.log (C:/R: hex lines, as `mdl reader --nfc --dump` writes them)",
        "apdus": apdus.len(),
        "lines": apdus,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_and_annotates_a_trace() {
        // SELECT the NDEF Tag application, answered 9000 (2021 8.2.2.1, NFC Forum T4T).
        let trace = "\nC: 00A4040007D276000085010100\nR: 9000\n";
        assert!(is_trace(trace));
        let json = render(trace);
        assert_eq!(json["apdus"], 2);
        assert_eq!(json["lines"][0]["line"], 2);
        assert_eq!(json["lines"][0]["apdu"], "C: 00A4040007D276000085010100");
        let first = json["lines"][0]["annotation"].as_str().unwrap_or_default();
        assert!(first.contains("NDEF"), "{first}");
    }

    #[test]
    fn other_text_is_not_a_trace() {
        assert!(!is_trace("a2 00 63"));
        assert!(!is_trace("mdoc:owB"));
        assert!(!is_trace(""));
    }

    #[test]
    fn garbage_lines_are_annotated_not_fatal() {
        let json = render("C: zz\nR: 6A\n");
        assert_eq!(json["apdus"], 2);
        assert_eq!(json["lines"][0]["annotation"], "not hex");
    }
}
