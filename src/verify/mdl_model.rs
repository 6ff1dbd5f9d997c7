//! The mDL data model on the reader (2021 7.2.1 Table 5, 7.2.4 driving privileges): every
//! returned element of `org.iso.18013.5.1` checked against its type and encoding.
//!
//! A violation is the issuer's fault, but it is signed data the reader can still show, so by
//! default it is a warning in the [`DocumentReport`](super::DocumentReport); a reader that
//! must not accept non-conformant credentials makes warnings failures with
//! [`VerificationReport::strict`](super::VerificationReport::strict).
//!
//! Checked: `full-date` is `#6.1004(tstr)` `YYYY-MM-DD`; `tdate` is `#6.0(tstr)` RFC 3339
//! without fractional seconds; uints, bools and bstrs by type; tstrs of at most 150
//! characters where Table 5 says so; portrait and signature_usual_mark are JPEG or JPEG 2000;
//! driving_privileges has the 7.2.4 structure; sex is an ISO/IEC 5218 code; eye and hair
//! colours are from their lists; country codes are ISO 3166-1 alpha-2 in form (two upper-case
//! letters) and issuing_jurisdiction an ISO 3166-2 code of issuing_country. Elements Table 5
//! does not define are not checked.

use std::fmt;

use indexmap::IndexMap;

use crate::cbor::{CborCodec, Value};
use crate::holder::age_over::age_over_nn;
use crate::msg::{FullDate, TDate};

/// The mDL namespace (2021 7.2.1).
pub const MDL_NAMESPACE: &str = "org.iso.18013.5.1";

/// Table 5's limit for the free-text elements that have one.
pub const MAX_TEXT_CHARS: usize = 150;

/// One returned element whose type or encoding is not the one 2021 Table 5 defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataModelWarning {
    /// Namespace.
    pub namespace: String,
    /// Element identifier.
    pub element: String,
    /// What is wrong, naming the expected type.
    pub problem: String,
}

impl fmt::Display for DataModelWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} does not follow 2021 Table 5: {}",
            self.namespace, self.element, self.problem
        )
    }
}

/// Checks the `org.iso.18013.5.1` elements of `name_spaces` (namespace → element → value);
/// one warning per non-conformant element, in element order.
pub fn check(name_spaces: &IndexMap<String, IndexMap<String, Value>>) -> Vec<DataModelWarning> {
    let Some(elements) = name_spaces.get(MDL_NAMESPACE) else {
        return Vec::new();
    };
    let issuing_country = match elements.get("issuing_country") {
        Some(Value::Text(c)) => Some(c.as_str()),
        _ => None,
    };
    elements
        .iter()
        .filter_map(|(element, value)| {
            check_element(element, value, issuing_country)
                .err()
                .map(|problem| DataModelWarning {
                    namespace: MDL_NAMESPACE.to_owned(),
                    element: element.clone(),
                    problem,
                })
        })
        .collect()
}

type Check = Result<(), String>;

fn check_element(element: &str, value: &Value, issuing_country: Option<&str>) -> Check {
    match element {
        "family_name"
        | "given_name"
        | "issuing_authority"
        | "document_number"
        | "administrative_number"
        | "birth_place"
        | "resident_address"
        | "resident_city"
        | "resident_state"
        | "resident_postal_code"
        | "family_name_national_character"
        | "given_name_national_character" => text_max(value, MAX_TEXT_CHARS),
        "un_distinguishing_sign" => text(value).map(drop),
        "birth_date" => full_date(value),
        "issue_date" | "expiry_date" => full_date(value).or_else(|_| tdate(value)).map_err(|_| {
            format!(
                "expected tdate (tag 0) or full-date (tag 1004), found {}",
                kind(value)
            )
        }),
        "portrait_capture_date" => tdate(value),
        "issuing_country" | "nationality" | "resident_country" => alpha2(value),
        "issuing_jurisdiction" => jurisdiction(value, issuing_country),
        "portrait" | "signature_usual_mark" => image(value),
        "driving_privileges" => driving_privileges(value),
        "sex" => match uint(value)? {
            0 | 1 | 2 | 9 => Ok(()),
            other => Err(format!("{other} is not an ISO/IEC 5218 code (0, 1, 2, 9)")),
        },
        "height" | "weight" | "age_in_years" | "age_birth_year" => uint(value).map(drop),
        "eye_colour" => one_of(value, EYE_COLOURS),
        "hair_colour" => one_of(value, HAIR_COLOURS),
        e if e.starts_with("biometric_template_") => bstr(value).map(drop),
        e if age_over_nn(e).is_some() => match value {
            Value::Bool(_) => Ok(()),
            other => Err(format!("expected bool, found {}", kind(other))),
        },
        _ => Ok(()),
    }
}

/// 2021 Table 5 eye_colour values.
const EYE_COLOURS: &[&str] = &[
    "black",
    "blue",
    "brown",
    "dichromatic",
    "grey",
    "green",
    "hazel",
    "maroon",
    "pink",
    "unknown",
];

/// 2021 Table 5 hair_colour values.
const HAIR_COLOURS: &[&str] = &[
    "bald", "black", "blond", "brown", "grey", "red", "auburn", "sandy", "white", "unknown",
];

fn kind(value: &Value) -> String {
    match value {
        Value::Integer(i) if i128::from(*i) < 0 => "a negative integer".into(),
        Value::Integer(_) => "an unsigned integer".into(),
        Value::Bytes(b) => format!("a byte string of {} bytes", b.len()),
        Value::Float(_) => "a float".into(),
        Value::Text(_) => "a text string".into(),
        Value::Bool(_) => "a bool".into(),
        Value::Null => "null".into(),
        Value::Tag(tag, _) => format!("tag {tag}"),
        Value::Array(_) => "an array".into(),
        Value::Map(_) => "a map".into(),
        _ => "another simple value".into(),
    }
}

fn text(value: &Value) -> Result<&str, String> {
    match value {
        Value::Text(t) => Ok(t),
        other => Err(format!("expected tstr, found {}", kind(other))),
    }
}

fn text_max(value: &Value, max: usize) -> Check {
    let chars = text(value)?.chars().count();
    if chars > max {
        return Err(format!("{chars} characters, at most {max} allowed"));
    }
    Ok(())
}

fn uint(value: &Value) -> Result<u64, String> {
    match value {
        Value::Integer(i) => {
            u64::try_from(*i).map_err(|_| "expected uint, found a negative integer".into())
        }
        other => Err(format!("expected uint, found {}", kind(other))),
    }
}

fn bstr(value: &Value) -> Result<&[u8], String> {
    match value {
        Value::Bytes(b) => Ok(b),
        other => Err(format!("expected bstr, found {}", kind(other))),
    }
}

fn full_date(value: &Value) -> Check {
    FullDate::from_cbor(value.clone())
        .map(drop)
        .map_err(|e| format!("expected full-date (tag 1004, \"YYYY-MM-DD\"): {e}"))
}

/// 2021 7.2.1: a tdate in Table 5 has no fractional seconds and the offset `Z` (UTC).
fn tdate(value: &Value) -> Check {
    let date = TDate::from_cbor(value.clone())
        .map_err(|e| format!("expected tdate (tag 0, RFC 3339 without fractions): {e}"))?;
    let text = date.as_str();
    if text.contains('.') {
        return Err(format!("tdate {text:?} has fractional seconds"));
    }
    if !text.ends_with('Z') {
        return Err(format!("tdate {text:?} is not in UTC (offset Z)"));
    }
    Ok(())
}

fn is_alpha2(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

fn alpha2(value: &Value) -> Check {
    let code = text(value)?;
    if is_alpha2(code) {
        Ok(())
    } else {
        Err(format!("{code:?} is not an ISO 3166-1 alpha-2 code"))
    }
}

/// ISO 3166-2: alpha-2 country, `-`, one to three letters or digits; the country part is
/// issuing_country (Table 5).
fn jurisdiction(value: &Value, issuing_country: Option<&str>) -> Check {
    let code = text(value)?;
    let well_formed = code.split_once('-').is_some_and(|(country, sub)| {
        is_alpha2(country)
            && (1..=3).contains(&sub.len())
            && sub
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    });
    if !well_formed {
        return Err(format!("{code:?} is not an ISO 3166-2 subdivision code"));
    }
    match issuing_country {
        Some(country) if !code.starts_with(country) => Err(format!(
            "{code:?} is not a subdivision of issuing_country {country:?}"
        )),
        _ => Ok(()),
    }
}

/// JPEG (SOI marker `FF D8 FF`) or JPEG 2000 (codestream `FF 4F FF 51`, or the JP2 signature
/// box), 2021 Table 5.
fn image(value: &Value) -> Check {
    const JP2_SIGNATURE: [u8; 12] = [
        0, 0, 0, 0x0c, b'j', b'P', b' ', b' ', 0x0d, 0x0a, 0x87, 0x0a,
    ];
    let bytes = bstr(value)?;
    if bytes.starts_with(&[0xff, 0xd8, 0xff])
        || bytes.starts_with(&[0xff, 0x4f, 0xff, 0x51])
        || bytes.starts_with(&JP2_SIGNATURE)
    {
        Ok(())
    } else {
        Err("neither JPEG nor JPEG 2000".into())
    }
}

fn one_of(value: &Value, allowed: &[&str]) -> Check {
    let t = text(value)?;
    if allowed.contains(&t) {
        Ok(())
    } else {
        Err(format!("{t:?} is not one of {}", allowed.join(", ")))
    }
}

fn map_get<'a>(entries: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    entries
        .iter()
        .find(|(k, _)| matches!(k, Value::Text(t) if t == key))
        .map(|(_, v)| v)
}

/// 2021 7.2.4: `[* DrivingPrivilege]`, `DrivingPrivilege = {"vehicle_category_code": tstr,
/// ? "issue_date": full-date, ? "expiry_date": full-date, ? "codes": [+ Code]}`,
/// `Code = {"code": tstr, ? "sign": tstr, ? "value": tstr}`.
fn driving_privileges(value: &Value) -> Check {
    let Value::Array(privileges) = value else {
        return Err(format!(
            "expected an array of DrivingPrivilege, found {}",
            kind(value)
        ));
    };
    for (i, privilege) in privileges.iter().enumerate() {
        driving_privilege(privilege).map_err(|e| format!("[{i}]: {e}"))?;
    }
    Ok(())
}

fn driving_privilege(value: &Value) -> Check {
    let Value::Map(entries) = value else {
        return Err(format!(
            "expected a DrivingPrivilege map, found {}",
            kind(value)
        ));
    };
    match map_get(entries, "vehicle_category_code") {
        Some(code) => text(code)
            .map(drop)
            .map_err(|e| format!("vehicle_category_code: {e}"))?,
        None => return Err("vehicle_category_code missing".into()),
    }
    for key in ["issue_date", "expiry_date"] {
        if let Some(date) = map_get(entries, key) {
            full_date(date).map_err(|e| format!("{key}: {e}"))?;
        }
    }
    if let Some(codes) = map_get(entries, "codes") {
        let Value::Array(codes) = codes else {
            return Err(format!("codes: expected an array, found {}", kind(codes)));
        };
        if codes.is_empty() {
            return Err("codes: empty (the CDDL says [+ Code])".into());
        }
        for (i, code) in codes.iter().enumerate() {
            let Value::Map(code) = code else {
                return Err(format!("codes[{i}]: expected a map, found {}", kind(code)));
            };
            match map_get(code, "code") {
                Some(c) => text(c)
                    .map(drop)
                    .map_err(|e| format!("codes[{i}].code: {e}"))?,
                None => return Err(format!("codes[{i}]: code missing")),
            }
            for key in ["sign", "value"] {
                if let Some(v) = map_get(code, key) {
                    text(v)
                        .map(drop)
                        .map_err(|e| format!("codes[{i}].{key}: {e}"))?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::issuer::sample_mdl_elements;

    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    fn warnings_for(element: &str, value: Value) -> Vec<DataModelWarning> {
        let ns = IndexMap::from([(
            MDL_NAMESPACE.to_owned(),
            IndexMap::from([(element.to_owned(), value)]),
        )]);
        check(&ns)
    }

    fn bad(element: &str, value: Value) -> String {
        let w = warnings_for(element, value);
        assert_eq!(w.len(), 1, "{element}: {w:?}");
        w[0].problem.clone()
    }

    fn good(element: &str, value: Value) {
        assert_eq!(warnings_for(element, value), [], "{element}");
    }

    #[test]
    fn the_sample_mdl_conforms() {
        let elements = sample_mdl_elements(
            FullDate::new(2026, 1, 1).unwrap(),
            FullDate::new(2031, 1, 1).unwrap(),
        );
        let ns = IndexMap::from([(MDL_NAMESPACE.to_owned(), elements)]);
        assert_eq!(check(&ns), []);
    }

    #[test]
    fn dates() {
        good("birth_date", Value::Tag(1004, Box::new(t("1985-04-12"))));
        // A bare string, a tdate, an impossible day.
        assert!(bad("birth_date", t("1985-04-12")).contains("tag 1004"));
        bad(
            "birth_date",
            Value::Tag(0, Box::new(t("1985-04-12T00:00:00Z"))),
        );
        bad("birth_date", Value::Tag(1004, Box::new(t("1985-02-30"))));
        good(
            "issue_date",
            Value::Tag(0, Box::new(t("2024-01-01T00:00:00Z"))),
        );
        good("expiry_date", Value::Tag(1004, Box::new(t("2030-01-01"))));
        bad("expiry_date", Value::Integer(1_900_000_000.into()));
        bad(
            "portrait_capture_date",
            Value::Tag(0, Box::new(t("2024-01-01T00:00:00.5Z"))),
        );
    }

    #[test]
    fn texts_numbers_and_codes() {
        good("family_name", t(&"x".repeat(150)));
        assert!(bad("family_name", t(&"x".repeat(151))).contains("151 characters"));
        bad("given_name", Value::Bytes(b"Erika".to_vec()));
        good("sex", Value::Integer(9.into()));
        assert!(bad("sex", Value::Integer(3.into())).contains("5218"));
        bad("sex", t("F"));
        bad("height", Value::Integer((-1).into()));
        bad("age_in_years", Value::Float(30.5));
        good("age_over_18", Value::Bool(true));
        bad("age_over_18", t("true"));
        bad("age_over_21", Value::Integer(1.into()));
        good("issuing_country", t("US"));
        bad("issuing_country", t("USA"));
        bad("nationality", t("us"));
        bad("eye_colour", t("violet"));
        good("hair_colour", t("auburn"));
        bad("biometric_template_face", t("x"));
        // Elements Table 5 does not define are not checked.
        good("vendor_specific", Value::Null);
    }

    #[test]
    fn jurisdiction_is_a_subdivision_of_issuing_country() {
        good("issuing_jurisdiction", t("US-CA"));
        bad("issuing_jurisdiction", t("California"));
        let ns = IndexMap::from([(
            MDL_NAMESPACE.to_owned(),
            IndexMap::from([
                ("issuing_country".to_owned(), t("US")),
                ("issuing_jurisdiction".to_owned(), t("DE-BY")),
            ]),
        )]);
        let w = check(&ns);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].element, "issuing_jurisdiction");
        assert!(w[0].problem.contains("issuing_country"), "{}", w[0]);
    }

    #[test]
    fn images() {
        good(
            "portrait",
            Value::Bytes(vec![0xff, 0xd8, 0xff, 0xe0, 0, 0x10]),
        );
        good("portrait", Value::Bytes(vec![0xff, 0x4f, 0xff, 0x51, 0]));
        good(
            "signature_usual_mark",
            Value::Bytes(vec![
                0, 0, 0, 0x0c, b'j', b'P', b' ', b' ', 0x0d, 0x0a, 0x87, 0x0a,
            ]),
        );
        assert!(bad("portrait", Value::Bytes(b"\x89PNG\r\n\x1a\n".to_vec())).contains("JPEG"));
        bad("portrait", Value::Bytes(vec![]));
        bad("portrait", t("/9j/4AAQ"));
    }

    #[test]
    fn driving_privileges_structure() {
        let date = |s: &str| Value::Tag(1004, Box::new(t(s)));
        let privilege = |entries: Vec<(&str, Value)>| {
            Value::Map(entries.into_iter().map(|(k, v)| (t(k), v)).collect())
        };
        let code = |entries: Vec<(&str, Value)>| {
            Value::Map(entries.into_iter().map(|(k, v)| (t(k), v)).collect())
        };
        good(
            "driving_privileges",
            Value::Array(vec![privilege(vec![
                ("vehicle_category_code", t("B")),
                ("issue_date", date("2003-06-01")),
                (
                    "codes",
                    Value::Array(vec![code(vec![
                        ("code", t("78")),
                        ("sign", t("=")),
                        ("value", t("1")),
                    ])]),
                ),
            ])]),
        );
        good("driving_privileges", Value::Array(vec![]));
        bad(
            "driving_privileges",
            privilege(vec![("vehicle_category_code", t("B"))]),
        );
        assert!(
            bad("driving_privileges", Value::Array(vec![privilege(vec![])]))
                .contains("[0]: vehicle_category_code missing")
        );
        bad(
            "driving_privileges",
            Value::Array(vec![privilege(vec![
                ("vehicle_category_code", t("B")),
                ("expiry_date", t("2030-01-01")),
            ])]),
        );
        bad(
            "driving_privileges",
            Value::Array(vec![privilege(vec![
                ("vehicle_category_code", t("B")),
                ("codes", Value::Array(vec![])),
            ])]),
        );
        assert!(bad(
            "driving_privileges",
            Value::Array(vec![privilege(vec![
                ("vehicle_category_code", t("B")),
                ("codes", Value::Array(vec![code(vec![("sign", t("="))])])),
            ])]),
        )
        .contains("codes[0]: code missing"));
    }
}
