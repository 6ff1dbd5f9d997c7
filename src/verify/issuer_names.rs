//! Issuer names that must agree (2021 Annex B, 7.2.1 Table 5, 9.3.3): the Document Signer's
//! stateOrProvinceName with the IACA's, and the returned `issuing_country` /
//! `issuing_jurisdiction` elements with the Document Signer's countryName /
//! stateOrProvinceName. (countryName of Document Signer against IACA is checked with the chain.)
//!
//! `issuing_jurisdiction` is compared only when the Document Signer certificate has a
//! stateOrProvinceName: Annex B makes that attribute optional, and an issuer without
//! subdivisions has nothing to compare it with.

use x509_cert::name::Name;
use x509_cert::Certificate;

use crate::cbor::Value;

use super::report::{Elements, Failure};

/// The mDL namespace whose `issuing_country` / `issuing_jurisdiction` are checked.
const MDL_NAMESPACE: &str = "org.iso.18013.5.1";

fn state_or_province(name: &Name) -> Option<String> {
    name.state_or_province()
        .ok()
        .flatten()
        .map(|s| s.value().into_owned())
}

fn country(name: &Name) -> Option<String> {
    name.country().ok().flatten().map(|c| c.as_str().to_owned())
}

/// A returned element's value for the failure message: text as is, anything else in
/// diagnostic form (it is wrong either way).
fn rendered(value: &Value) -> String {
    match value {
        Value::Text(t) => format!("{t:?}"),
        other => format!("{other:?}"),
    }
}

fn same(element: &Value, certificate: &str) -> bool {
    matches!(element, Value::Text(t) if t.trim().eq_ignore_ascii_case(certificate.trim()))
}

/// The name failures for a Document Signer certificate `ds` issued under `iaca` (its subject)
/// with the issuer-signed `elements` whose digests matched.
pub(crate) fn check(ds: &Certificate, iaca: Option<&Name>, elements: &Elements) -> Vec<Failure> {
    let mut failures = Vec::new();
    let subject = ds.tbs_certificate().subject();
    let ds_state = state_or_province(subject);
    if let Some(iaca_state) = iaca.and_then(state_or_province) {
        if !ds_state
            .as_deref()
            .is_some_and(|ds| ds.trim().eq_ignore_ascii_case(iaca_state.trim()))
        {
            failures.push(Failure::StateOrProvinceMismatch {
                document_signer: ds_state.clone(),
                iaca: iaca_state,
            });
        }
    }
    let Some(mdl) = elements.get(MDL_NAMESPACE) else {
        return failures;
    };
    if let Some(issuing_country) = mdl.get("issuing_country") {
        let ds_country = country(subject);
        if !ds_country
            .as_deref()
            .is_some_and(|c| same(issuing_country, c))
        {
            failures.push(Failure::IssuingCountryMismatch {
                element: rendered(issuing_country),
                document_signer: ds_country,
            });
        }
    }
    if let (Some(jurisdiction), Some(ds_state)) = (mdl.get("issuing_jurisdiction"), ds_state) {
        if !same(jurisdiction, &ds_state) {
            failures.push(Failure::IssuingJurisdictionMismatch {
                element: rendered(jurisdiction),
                document_signer: ds_state,
            });
        }
    }
    failures
}
