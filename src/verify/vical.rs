//! VICAL, the Verified Issuer Certificate Authority List (2021 Annex C): a COSE_Sign1 whose
//! payload lists IACA certificates with the document types each may issue. Verified with the
//! x5chain leaf chained to a trusted VICAL root; its entries become [`TrustAnchors`] that keep
//! the docType restriction, which issuer verification applies.
//!
//! ```cddl
//! VICAL = {"version": tstr, "vicalProvider": tstr, "date": tdate, ? "vicalIssueID": uint,
//!          ? "nextUpdate": tdate, "certificateInfos": [* CertificateInfo], ? "extensions": any}
//! CertificateInfo = {"certificate": bstr, "serialNumber": biguint, "ski": bstr,
//!     "docType": [+ tstr], ? "certificateProfile": [+ tstr], ? "issuingAuthority": tstr,
//!     ? "issuingCountry": tstr, ? "stateOrProvinceName": tstr, ? "issuer": bstr,
//!     ? "subject": bstr, ? "notBefore": tdate, ? "notAfter": tdate, ? "extensions": any}
//! ```

use crate::cbor::{self, Bstr, CborCodec, DecodeError, Fields, MapBuilder, NonEmpty, Value};
use crate::crypto::{sign1_x5chain, verify_sign1};
use crate::msg::{CoseSign1, TDate};

use super::report::Failure;
use super::trust::{TrustAnchor, TrustAnchors};
use super::x5chain::{self, Profile};

/// One VICAL entry. Optional descriptive fields are kept as received.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateInfo {
    /// `certificate`: the IACA certificate, DER.
    pub certificate: Bstr,
    /// `serialNumber` (biguint: an unsigned integer or tag 2 bignum), as received.
    pub serial_number: Value,
    /// `ski`: subject key identifier.
    pub ski: Bstr,
    /// `docType`: document types this IACA may issue.
    pub doc_types: NonEmpty<String>,
    /// `certificateProfile`: URNs of the certificate profiles.
    pub certificate_profiles: Option<NonEmpty<String>>,
    /// `issuingAuthority`.
    pub issuing_authority: Option<String>,
    /// `issuingCountry`.
    pub issuing_country: Option<String>,
    /// `stateOrProvinceName`.
    pub state_or_province_name: Option<String>,
    /// `notBefore`.
    pub not_before: Option<TDate>,
    /// `notAfter`.
    pub not_after: Option<TDate>,
}

impl CborCodec for CertificateInfo {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            certificate: f.required("certificate")?,
            serial_number: f
                .take("serialNumber")
                .ok_or_else(|| DecodeError::missing("serialNumber"))?,
            ski: f.required("ski")?,
            doc_types: f.required("docType")?,
            certificate_profiles: f.optional("certificateProfile")?,
            issuing_authority: f.optional("issuingAuthority")?,
            issuing_country: f.optional("issuingCountry")?,
            state_or_province_name: f.optional("stateOrProvinceName")?,
            not_before: f.optional("notBefore")?,
            not_after: f.optional("notAfter")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("certificate", &self.certificate)
            .raw("serialNumber", self.serial_number.clone())
            .field("ski", &self.ski)
            .field("docType", &self.doc_types)
            .optional("certificateProfile", self.certificate_profiles.as_ref())
            .optional("issuingAuthority", self.issuing_authority.as_ref())
            .optional("issuingCountry", self.issuing_country.as_ref())
            .optional("stateOrProvinceName", self.state_or_province_name.as_ref())
            .optional("notBefore", self.not_before.as_ref())
            .optional("notAfter", self.not_after.as_ref())
            .build()
    }
}

/// The VICAL payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Vical {
    /// `version`.
    pub version: String,
    /// `vicalProvider`.
    pub provider: String,
    /// `date`: when it was issued.
    pub date: TDate,
    /// `vicalIssueID`.
    pub issue_id: Option<u64>,
    /// `nextUpdate`.
    pub next_update: Option<TDate>,
    /// `certificateInfos`.
    pub certificate_infos: Vec<CertificateInfo>,
}

impl CborCodec for Vical {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            version: f.required("version")?,
            provider: f.required("vicalProvider")?,
            date: f.required("date")?,
            issue_id: f.optional("vicalIssueID")?,
            next_update: f.optional("nextUpdate")?,
            certificate_infos: f.required("certificateInfos")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("version", &self.version)
            .field("vicalProvider", &self.provider)
            .field("date", &self.date)
            .optional("vicalIssueID", self.issue_id.as_ref())
            .optional("nextUpdate", self.next_update.as_ref())
            .field("certificateInfos", &self.certificate_infos)
            .build()
    }
}

impl Vical {
    /// The listed IACAs as trust anchors, each restricted to its `docType`s.
    pub fn trust_anchors(&self) -> Result<TrustAnchors, Failure> {
        self.certificate_infos
            .iter()
            .map(|info| {
                TrustAnchor::from_der(&info.certificate.0)
                    .map(|a| a.with_doc_types(info.doc_types.iter().cloned().collect()))
                    .map_err(|e| Failure::VicalInvalid {
                        reason: format!("certificate of {:?}: {e}", info.issuing_authority),
                    })
            })
            .collect()
    }
}

/// Decodes a signed VICAL (COSE_Sign1 bytes, tagged or not), verifies its signature with the
/// x5chain leaf, and validates that chain to `vical_roots` at `at` with the VICAL signer profile.
pub fn verify(signed: &[u8], vical_roots: &TrustAnchors, at: i64) -> Result<Vical, Vec<Failure>> {
    let invalid = |reason: String| vec![Failure::VicalInvalid { reason }];
    let sign1: CoseSign1 = cbor::from_slice(signed).map_err(|e| invalid(e.to_string()))?;
    let sign1 = sign1.inner();
    let chain_der = sign1_x5chain(sign1).map_err(|_| vec![Failure::MissingX5Chain])?;
    let chain = x5chain::validate(&chain_der, vical_roots, Profile::VicalSigner, at);
    let mut failures = chain.failures.clone();
    if let Some(key) = &chain.leaf_key {
        if verify_sign1(sign1, key).is_err() {
            failures.push(Failure::VicalInvalid {
                reason: "signature does not verify".into(),
            });
        }
    }
    if !failures.is_empty() {
        return Err(failures);
    }
    let payload = sign1
        .payload
        .as_deref()
        .ok_or_else(|| invalid("no payload".into()))?;
    // The payload is the VICAL map; tolerate it wrapped in tag 24 as well.
    let value = cbor::value_from_slice(payload, &cbor::Limits::default())
        .map_err(|e| invalid(e.to_string()))?;
    let value = match value {
        Value::Tag(24, inner) => match *inner {
            Value::Bytes(b) => cbor::value_from_slice(&b, &cbor::Limits::default())
                .map_err(|e| invalid(e.to_string()))?,
            other => other,
        },
        other => other,
    };
    Vical::from_cbor(value).map_err(|e| invalid(e.to_string()))
}
