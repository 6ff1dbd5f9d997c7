//! How verified results are shown: element values for people (a portrait is `<1042 bytes
//! JPEG>`, dates are dates) and as JSON, verification reports, and reader identities.

use std::fmt::Write as _;

use mdl_proximity::cbor::Value;
use mdl_proximity::issuer::MDL_NAMESPACE;
use mdl_proximity::msg::DeviceResponse;
use mdl_proximity::session::CloseReason;
use mdl_proximity::verify::{Check, DocumentReport, Failure, ReaderIdentity, VerificationReport};
use serde_json::{json, Map, Value as Json};

// ---- element values ---------------------------------------------------------------------------

/// What a byte string holds, when its magic number says so (portraits and signature images
/// are JPEG or JPEG 2000, 2021 7.2.1).
fn byte_format(b: &[u8]) -> Option<&'static str> {
    if b.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("JPEG")
    } else if b.starts_with(&[0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20])
        || b.starts_with(&[0xff, 0x4f, 0xff, 0x51])
    {
        Some("JPEG 2000")
    } else {
        None
    }
}

/// One line for a person: text unquoted at the top level, dates as dates, byte strings by
/// length and format, maps and arrays inline.
pub(crate) fn element_text(value: &Value) -> String {
    match value {
        Value::Text(t) => t.clone(),
        other => nested_text(other),
    }
}

fn nested_text(value: &Value) -> String {
    match value {
        Value::Bytes(b) => match byte_format(b) {
            Some(f) => format!("<{} bytes {f}>", b.len()),
            None => format!("<{} bytes>", b.len()),
        },
        Value::Text(t) => format!("{t:?}"),
        // tdate (0) and full-date (1004) are texts whose tag says what they are.
        Value::Tag(0 | 1004, inner) if matches!(**inner, Value::Text(_)) => match &**inner {
            Value::Text(t) => t.clone(),
            _ => nested_text(inner),
        },
        Value::Tag(tag, inner) => format!("{tag}({})", nested_text(inner)),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(nested_text).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| {
                    let key = match k {
                        Value::Text(t) => t.clone(),
                        other => nested_text(other),
                    };
                    format!("{key}: {}", nested_text(v))
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Integer(i) => i128::from(*i).to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Float(x) => x.to_string(),
        other => format!("{other:?}"),
    }
}

/// The value as JSON: texts, numbers, booleans and dates as themselves; byte strings as
/// `{"length", "format"?, "hex"}`.
pub(crate) fn element_json(value: &Value) -> Json {
    match value {
        Value::Bytes(b) => {
            let mut obj = Map::new();
            obj.insert("length".into(), json!(b.len()));
            if let Some(f) = byte_format(b) {
                obj.insert("format".into(), json!(f));
            }
            obj.insert("hex".into(), json!(hex::encode(b)));
            Json::Object(obj)
        }
        Value::Text(t) => json!(t),
        Value::Tag(0 | 1004, inner) if matches!(**inner, Value::Text(_)) => element_json(inner),
        Value::Tag(tag, inner) => json!({ "tag": tag, "value": element_json(inner) }),
        Value::Array(items) => Json::Array(items.iter().map(element_json).collect()),
        Value::Map(entries) => {
            let mut obj = Map::new();
            for (k, v) in entries {
                let key = match k {
                    Value::Text(t) => t.clone(),
                    other => nested_text(other),
                };
                obj.insert(key, element_json(v));
            }
            Json::Object(obj)
        }
        Value::Integer(i) => {
            let i = i128::from(*i);
            i64::try_from(i).map_or_else(|_| json!(i.to_string()), |n| json!(n))
        }
        Value::Bool(b) => json!(b),
        Value::Null => Json::Null,
        Value::Float(x) => json!(x),
        other => json!(format!("{other:?}")),
    }
}

/// `element` in the mDL namespace, `namespace/element` otherwise.
fn element_name(ns: &str, el: &str) -> String {
    if ns == MDL_NAMESPACE {
        el.to_owned()
    } else {
        format!("{ns}/{el}")
    }
}

// ---- reports ----------------------------------------------------------------------------------

/// A failure's variant name (`DigestMismatch`), for JSON consumers that match on it.
fn failure_id(f: &Failure) -> String {
    format!("{f:?}")
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

/// A check's variant name (`IssuerSignature`).
fn check_id(c: Check) -> String {
    format!("{c:?}")
}

fn failure_json(f: &Failure) -> Json {
    json!({ "id": failure_id(f), "text": f.to_string() })
}

/// Elements the holder did not return, per document of `response` (2021 8.3.2.1.2.2 `errors`)
/// and document types it did not return at all (`documentErrors`).
fn not_returned(response: Option<&DeviceResponse>, doc_index: usize) -> Vec<(String, i64)> {
    let Some(doc) = response
        .and_then(|r| r.documents.as_ref())
        .and_then(|d| d.as_slice().get(doc_index))
    else {
        return Vec::new();
    };
    doc.errors
        .iter()
        .flatten()
        .flat_map(|(ns, els)| {
            els.iter()
                .map(move |(el, code)| (element_name(ns, el), code.0))
        })
        .collect()
}

fn document_errors(response: Option<&DeviceResponse>) -> Vec<(String, i64)> {
    response
        .and_then(|r| r.document_errors.as_ref())
        .map(|errs| {
            errs.iter()
                .flat_map(|m| m.iter().map(|(dt, code)| (dt.clone(), code.0)))
                .collect()
        })
        .unwrap_or_default()
}

fn verdict(valid: bool) -> &'static str {
    if valid {
        "VALID"
    } else {
        "INVALID"
    }
}

fn document_text(out: &mut String, doc: &DocumentReport, not_returned: &[(String, i64)]) {
    let _ = writeln!(
        out,
        "document {}: {}",
        doc.doc_type(),
        verdict(doc.is_valid())
    );
    let issuer = doc.issuer();
    if let Some(ds) = &issuer.document_signer {
        let _ = writeln!(out, "  document signer: {ds}");
    }
    if let Some(iaca) = &issuer.iaca {
        let _ = writeln!(out, "  IACA: {iaca}");
    }
    for (title, elements) in [
        ("verified elements", doc.issuer_elements()),
        ("device-signed elements", doc.device_elements()),
    ] {
        let rows: Vec<(String, String)> = elements
            .iter()
            .flat_map(|(ns, els)| {
                els.iter()
                    .map(move |(el, v)| (element_name(ns, el), element_text(v)))
            })
            .collect();
        if rows.is_empty() {
            if title == "verified elements" {
                let _ = writeln!(out, "  {title}: none");
            }
            continue;
        }
        let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        let _ = writeln!(out, "  {title}:");
        for (name, value) in rows {
            let _ = writeln!(out, "    {name:<width$}  {value}");
        }
    }
    if !not_returned.is_empty() {
        let _ = writeln!(out, "  not returned:");
        for (name, code) in not_returned {
            let _ = writeln!(out, "    {name} (error code {code})");
        }
    }
    let _ = writeln!(out, "  checks passed:");
    if doc.checks().is_empty() {
        let _ = writeln!(out, "    none");
    }
    for check in doc.checks() {
        let _ = writeln!(out, "    ok  {check}");
    }
    for warning in doc.warnings() {
        let _ = writeln!(out, "  warning: {warning}");
    }
    if doc.failures().is_empty() {
        let _ = writeln!(out, "  failures: none");
    } else {
        let _ = writeln!(out, "  failures:");
        for failure in doc.failures() {
            let _ = writeln!(out, "    FAILED  {failure}");
        }
    }
}

/// The report for a person. `response` (when at hand) adds what the holder did not return.
pub(crate) fn report_text(
    report: &VerificationReport,
    response: Option<&DeviceResponse>,
) -> String {
    let mut out = String::new();
    for (i, doc) in report.documents().iter().enumerate() {
        document_text(&mut out, doc, &not_returned(response, i));
    }
    for (doc_type, code) in document_errors(response) {
        let _ = writeln!(out, "document {doc_type}: not returned (error code {code})");
    }
    for failure in report.failures() {
        let _ = writeln!(out, "FAILED  {failure}");
    }
    let _ = writeln!(
        out,
        "response: {} (status {}, {} document{})",
        verdict(report.is_valid()),
        report.status(),
        report.documents().len(),
        if report.documents().len() == 1 {
            ""
        } else {
            "s"
        }
    );
    out
}

fn elements_json(elements: &mdl_proximity::verify::Elements) -> Json {
    let mut obj = Map::new();
    for (ns, els) in elements {
        let mut inner = Map::new();
        for (el, v) in els {
            inner.insert(el.clone(), element_json(v));
        }
        obj.insert(ns.clone(), Json::Object(inner));
    }
    Json::Object(obj)
}

/// The report as JSON: `valid`, `status`, `documents` (elements, checks, failures, what was
/// not returned), `documentErrors` and response-level `failures`.
pub(crate) fn report_json(report: &VerificationReport, response: Option<&DeviceResponse>) -> Json {
    let documents: Vec<Json> = report
        .documents()
        .iter()
        .enumerate()
        .map(|(i, doc)| {
            json!({
                "docType": doc.doc_type(),
                "valid": doc.is_valid(),
                "issuer": {
                    "documentSigner": doc.issuer().document_signer,
                    "iaca": doc.issuer().iaca,
                },
                "elements": elements_json(doc.issuer_elements()),
                "deviceSignedElements": elements_json(doc.device_elements()),
                "notReturned": not_returned(response, i)
                    .into_iter()
                    .map(|(name, code)| json!({ "element": name, "errorCode": code }))
                    .collect::<Vec<_>>(),
                "checks": doc
                    .checks()
                    .iter()
                    .map(|c| json!({ "id": check_id(*c), "text": c.to_string() }))
                    .collect::<Vec<_>>(),
                "failures": doc.failures().iter().map(failure_json).collect::<Vec<_>>(),
                "warnings": doc.warnings().iter().map(ToString::to_string).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "valid": report.is_valid(),
        "status": report.status(),
        "documents": documents,
        "documentErrors": document_errors(response)
            .into_iter()
            .map(|(dt, code)| json!({ "docType": dt, "errorCode": code }))
            .collect::<Vec<_>>(),
        "failures": report.failures().iter().map(failure_json).collect::<Vec<_>>(),
    })
}

// ---- sessions -------------------------------------------------------------------------------

/// Why a holder session ended, in words.
pub(crate) fn close_reason_text(reason: &CloseReason) -> String {
    match reason {
        CloseReason::PeerStatus(s) => format!("the reader sent status {}", s.0),
        CloseReason::TransportEnded => "the reader closed the connection".into(),
        CloseReason::TransportLost(None) => "link lost".into(),
        CloseReason::TransportLost(Some(e)) => format!("link lost: {e}"),
        CloseReason::Terminated => "terminated by the holder".into(),
        CloseReason::Failed(e) => format!("failed: {e}"),
        other => format!("{other:?}"),
    }
}

// ---- reader identity --------------------------------------------------------------------------

/// Who the holder saw asking, in one line.
pub(crate) fn reader_identity_text(identity: &ReaderIdentity) -> String {
    match identity {
        ReaderIdentity::Authenticated { subject, chain } => format!(
            "authenticated: {subject} (x5chain of {} certificate{}, chains to a trusted reader root)",
            chain.len(),
            if chain.len() == 1 { "" } else { "s" }
        ),
        ReaderIdentity::Untrusted { reason } => format!("signed, but not trusted: {reason}"),
        ReaderIdentity::Invalid { reason } => format!("reader authentication invalid: {reason}"),
        ReaderIdentity::Unauthenticated => "unauthenticated (no readerAuth)".to_owned(),
    }
}

/// The identity as JSON.
pub(crate) fn reader_identity_json(identity: &ReaderIdentity) -> Json {
    match identity {
        ReaderIdentity::Authenticated { subject, chain } => json!({
            "status": "authenticated",
            "subject": subject,
            "chainLength": chain.len(),
        }),
        ReaderIdentity::Untrusted { reason } => {
            json!({ "status": "untrusted", "reason": failure_json(reason) })
        }
        ReaderIdentity::Invalid { reason } => {
            json!({ "status": "invalid", "reason": failure_json(reason) })
        }
        ReaderIdentity::Unauthenticated => json!({ "status": "unauthenticated" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_for_people() {
        let jpeg = Value::Bytes(vec![0xff, 0xd8, 0xff, 0xe0, 0, 0]);
        assert_eq!(element_text(&jpeg), "<6 bytes JPEG>");
        assert_eq!(element_text(&Value::Bytes(vec![1, 2])), "<2 bytes>");
        let date = Value::Tag(1004, Box::new(Value::Text("1985-04-12".into())));
        assert_eq!(element_text(&date), "1985-04-12");
        assert_eq!(element_json(&date), json!("1985-04-12"));
        let privileges = Value::Array(vec![Value::Map(vec![
            (
                Value::Text("vehicle_category_code".into()),
                Value::Text("B".into()),
            ),
            (Value::Text("issue_date".into()), date),
        ])]);
        assert_eq!(
            element_text(&privileges),
            "[{vehicle_category_code: \"B\", issue_date: 1985-04-12}]"
        );
        assert_eq!(element_text(&Value::Text("Erika".into())), "Erika");
        assert_eq!(element_json(&jpeg)["format"], json!("JPEG"));
        assert_eq!(element_json(&jpeg)["length"], json!(6));
    }

    #[test]
    fn failure_ids_are_variant_names() {
        assert_eq!(
            failure_id(&Failure::DigestMismatch {
                namespace: "n".into(),
                element: "e".into(),
                digest_id: 1
            }),
            "DigestMismatch"
        );
        assert_eq!(failure_id(&Failure::NoDocuments), "NoDocuments");
    }
}
