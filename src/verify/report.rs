//! What the inspection procedure (2021 9.3 / 2nd ed. 12.8) found: plain data, printable with
//! `Display`, and shaped so a CLI can serialize it (every field has an accessor; element values
//! are CBOR [`Value`]s, which map one-to-one onto JSON with bytes as base64 or hex).

use std::fmt;

use indexmap::IndexMap;

use crate::cbor::Value;

/// Element values per namespace: namespace → element identifier → value.
pub type Elements = IndexMap<String, IndexMap<String, Value>>;

/// A certificate's place in a chain being validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertPosition {
    /// The end-entity certificate (first in a COSE x5chain): Document Signer, reader, VICAL
    /// signer.
    Leaf,
    /// An intermediate certificate of the presented chain, by its index (leaf = 0).
    Intermediate(usize),
    /// The trust anchor (IACA, reader root, VICAL root).
    TrustAnchor,
}

impl fmt::Display for CertPosition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Leaf => f.write_str("leaf certificate"),
            Self::Intermediate(i) => write!(f, "intermediate certificate #{i}"),
            Self::TrustAnchor => f.write_str("trust anchor"),
        }
    }
}

/// A check that passed, in the order of the inspection procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Check {
    /// The x5chain leads from the Document Signer to a trusted IACA, every certificate valid at
    /// the inspection time and of the right profile (2021 9.3.3, Annex B).
    IssuerCertificateChain,
    /// The issuerAuth COSE_Sign1 verifies with the Document Signer key (2021 9.1.2.4).
    IssuerSignature,
    /// The MSO's docType is the document's docType.
    DocType,
    /// The inspection time lies within the MSO's validFrom..validUntil, and `signed` within the
    /// Document Signer certificate's validity.
    MsoValidity,
    /// Every returned IssuerSignedItem matches its digest in the MSO (2021 9.3.1).
    ValueDigests,
    /// deviceSignature verifies with the MSO's device key (2021 9.1.3.6).
    DeviceSignature,
    /// deviceMac verifies with EMacKey (2021 9.1.3.5).
    DeviceMac,
    /// Every device-signed element is allowed by keyAuthorizations (2021 9.1.2.4).
    KeyAuthorizations,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::IssuerCertificateChain => "issuer certificate chain trusted",
            Self::IssuerSignature => "issuer signature valid",
            Self::DocType => "docType matches the MSO",
            Self::MsoValidity => "MSO valid at the inspection time",
            Self::ValueDigests => "all element digests match",
            Self::DeviceSignature => "deviceSignature valid",
            Self::DeviceMac => "deviceMac valid",
            Self::KeyAuthorizations => "device-signed elements authorized",
        })
    }
}

/// Precisely what failed. Variants carry the data a person needs to find the culprit.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure {
    // --- response level ---
    /// The DeviceResponse status is not 0 (2021 8.3.2.1.2.3).
    ResponseStatus {
        /// The status received.
        status: u64,
    },
    /// The response holds no document to verify.
    NoDocuments,
    /// The response holds more documents than are verified; those after the first
    /// [`MAX_DOCUMENTS`](super::MAX_DOCUMENTS) were not.
    TooManyDocuments {
        /// Documents in the response.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// More failures were found in this document than are reported; the first
    /// [`MAX_FAILURES_PER_DOCUMENT`] are listed before this one.
    MoreFailures {
        /// How many more failures there were.
        omitted: usize,
    },

    // --- certificates (issuer, reader and VICAL chains) ---
    /// The COSE_Sign1 carries no x5chain (header 33), or it is malformed.
    MissingX5Chain,
    /// The x5chain holds more certificates than any Annex B profile needs; none was parsed.
    ChainTooLong {
        /// Certificates in the chain.
        length: usize,
        /// [`MAX_CHAIN_LEN`](super::x5chain::MAX_CHAIN_LEN).
        limit: usize,
    },
    /// No trust anchor issued the chain's top certificate.
    UntrustedIssuer {
        /// The issuer name the chain ends with (RFC 4514 form).
        issuer: String,
    },
    /// A certificate cannot be decoded, its signature does not verify, or its issuer name does not
    /// match the next certificate's subject.
    CertificateInvalid {
        /// Which certificate.
        which: CertPosition,
        /// Why.
        reason: String,
    },
    /// A certificate's notAfter is before the inspection time.
    CertificateExpired {
        /// Which certificate.
        which: CertPosition,
    },
    /// A certificate's notBefore is after the inspection time.
    CertificateNotYetValid {
        /// Which certificate.
        which: CertPosition,
    },
    /// A certificate does not have the profile its role requires (2021 Annex B): key usage,
    /// extended key usage, basic constraints, country.
    CertificateProfile {
        /// Which certificate.
        which: CertPosition,
        /// What is missing or wrong.
        reason: String,
    },
    /// The Document Signer's countryName differs from the IACA's (2021 Annex B.1.4).
    CountryMismatch {
        /// countryName of the Document Signer certificate.
        document_signer: String,
        /// countryName of the IACA certificate.
        iaca: String,
    },
    /// The IACA has a stateOrProvinceName and the Document Signer's differs or is absent (2021
    /// Annex B).
    StateOrProvinceMismatch {
        /// stateOrProvinceName of the Document Signer certificate, if any.
        document_signer: Option<String>,
        /// stateOrProvinceName of the IACA certificate.
        iaca: String,
    },
    /// The returned `issuing_country` differs from the Document Signer certificate's
    /// countryName (2021 7.2.1 Table 5, 9.3.3).
    IssuingCountryMismatch {
        /// The `issuing_country` element as returned (its CBOR value, rendered).
        element: String,
        /// countryName of the Document Signer certificate, if any.
        document_signer: Option<String>,
    },
    /// The returned `issuing_jurisdiction` differs from the Document Signer certificate's
    /// stateOrProvinceName (2021 7.2.1 Table 5, Annex B).
    IssuingJurisdictionMismatch {
        /// The `issuing_jurisdiction` element as returned (its CBOR value, rendered).
        element: String,
        /// stateOrProvinceName of the Document Signer certificate.
        document_signer: String,
    },
    /// The trust anchor (e.g. from a VICAL) is restricted to other document types.
    DocTypeNotAllowedByAnchor {
        /// The document type presented.
        doc_type: String,
    },

    // --- issuer data authentication ---
    /// issuerAuth has no payload, or its payload is not a MobileSecurityObject.
    MalformedMso {
        /// Why it could not be read.
        reason: String,
    },
    /// The issuerAuth signature does not verify with the Document Signer key.
    IssuerSignatureInvalid,
    /// The MSO's docType differs from the Document's.
    DocTypeMismatch {
        /// docType in the MSO.
        mso: String,
        /// docType of the Document.
        document: String,
    },
    /// The inspection time is before validFrom.
    MsoNotYetValid {
        /// validFrom, RFC 3339.
        valid_from: String,
    },
    /// The inspection time is after validUntil.
    MsoExpired {
        /// validUntil, RFC 3339.
        valid_until: String,
    },
    /// `signed` lies outside the Document Signer certificate's validity (2021 9.3.1).
    MsoSignedOutsideCertificateValidity {
        /// `signed`, RFC 3339.
        signed: String,
    },
    /// digestAlgorithm is none of SHA-256, SHA-384, SHA-512.
    UnsupportedDigestAlgorithm {
        /// The name received.
        name: String,
    },
    /// An element's digest differs from the one in the MSO: the element was altered.
    DigestMismatch {
        /// Namespace.
        namespace: String,
        /// Element identifier.
        element: String,
        /// digestID.
        digest_id: u64,
    },
    /// The MSO has no digest for this namespace and digestID.
    DigestMissing {
        /// Namespace.
        namespace: String,
        /// Element identifier.
        element: String,
        /// digestID.
        digest_id: u64,
    },
    /// Two elements of one namespace use the same digestID.
    DuplicateDigestId {
        /// Namespace.
        namespace: String,
        /// digestID.
        digest_id: u64,
    },

    // --- mdoc authentication ---
    /// deviceSignature does not verify with the MSO's device key.
    DeviceSignatureInvalid,
    /// deviceMac does not verify.
    DeviceMacInvalid,
    /// deviceMac cannot be checked: the reader's EReaderKey private key was not supplied.
    DeviceMacKeyUnavailable,
    /// The MSO's device key cannot be used (unsupported curve, not on the curve, curve differs
    /// from the session's for deviceMac).
    DeviceKeyUnusable {
        /// Why.
        reason: String,
    },
    /// A device-signed element is not allowed by keyAuthorizations.
    ElementNotAuthorized {
        /// Namespace.
        namespace: String,
        /// Element identifier.
        element: String,
    },

    /// A returned element's type or encoding is not the one 2021 Table 5 defines (a data-model
    /// warning made a failure by [`VerificationReport::strict`]).
    DataModel {
        /// Namespace.
        namespace: String,
        /// Element identifier.
        element: String,
        /// What is wrong.
        problem: String,
    },

    // --- reader authentication and VICAL ---
    /// The readerAuth signature does not verify with the reader certificate's key.
    ReaderSignatureInvalid,
    /// The VICAL's signature does not verify, or the VICAL cannot be decoded.
    VicalInvalid {
        /// Why.
        reason: String,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ResponseStatus { status } => write!(f, "DeviceResponse status is {status}"),
            Self::NoDocuments => f.write_str("the response holds no documents"),
            Self::TooManyDocuments { count, limit } => write!(
                f,
                "the response holds {count} documents; only the first {limit} were verified"
            ),
            Self::MoreFailures { omitted } => {
                write!(f, "{omitted} more failures not listed")
            }
            Self::MissingX5Chain => f.write_str("no usable x5chain in the COSE header"),
            Self::ChainTooLong { length, limit } => write!(
                f,
                "x5chain of {length} certificates exceeds the limit of {limit}"
            ),
            Self::UntrustedIssuer { issuer } => write!(f, "no trust anchor for issuer {issuer}"),
            Self::CertificateInvalid { which, reason } => write!(f, "{which} invalid: {reason}"),
            Self::CertificateExpired { which } => write!(f, "{which} expired"),
            Self::CertificateNotYetValid { which } => write!(f, "{which} not yet valid"),
            Self::CertificateProfile { which, reason } => {
                write!(f, "{which} has the wrong profile: {reason}")
            }
            Self::CountryMismatch {
                document_signer,
                iaca,
            } => write!(
                f,
                "Document Signer country {document_signer} differs from IACA country {iaca}"
            ),
            Self::StateOrProvinceMismatch {
                document_signer,
                iaca,
            } => write!(
                f,
                "Document Signer stateOrProvinceName {} differs from IACA stateOrProvinceName {iaca}",
                document_signer.as_deref().unwrap_or("(absent)")
            ),
            Self::IssuingCountryMismatch {
                element,
                document_signer,
            } => write!(
                f,
                "issuing_country {element} differs from Document Signer countryName {}",
                document_signer.as_deref().unwrap_or("(absent)")
            ),
            Self::IssuingJurisdictionMismatch {
                element,
                document_signer,
            } => write!(
                f,
                "issuing_jurisdiction {element} differs from Document Signer stateOrProvinceName {document_signer}"
            ),
            Self::DocTypeNotAllowedByAnchor { doc_type } => {
                write!(f, "the trust anchor is not valid for docType {doc_type}")
            }
            Self::MalformedMso { reason } => write!(f, "malformed MSO: {reason}"),
            Self::IssuerSignatureInvalid => f.write_str("issuer signature invalid"),
            Self::DocTypeMismatch { mso, document } => {
                write!(
                    f,
                    "MSO docType {mso} differs from document docType {document}"
                )
            }
            Self::MsoNotYetValid { valid_from } => write!(f, "MSO not valid before {valid_from}"),
            Self::MsoExpired { valid_until } => write!(f, "MSO expired at {valid_until}"),
            Self::MsoSignedOutsideCertificateValidity { signed } => write!(
                f,
                "MSO signed at {signed}, outside the Document Signer certificate's validity"
            ),
            Self::UnsupportedDigestAlgorithm { name } => {
                write!(f, "unsupported digest algorithm {name:?}")
            }
            Self::DigestMismatch {
                namespace,
                element,
                digest_id,
            } => write!(
                f,
                "digest mismatch for {namespace}/{element} (digestID {digest_id})"
            ),
            Self::DigestMissing {
                namespace,
                element,
                digest_id,
            } => write!(
                f,
                "no MSO digest for {namespace}/{element} (digestID {digest_id})"
            ),
            Self::DuplicateDigestId {
                namespace,
                digest_id,
            } => write!(f, "digestID {digest_id} used twice in {namespace}"),
            Self::DeviceSignatureInvalid => f.write_str("deviceSignature invalid"),
            Self::DeviceMacInvalid => f.write_str("deviceMac invalid"),
            Self::DeviceMacKeyUnavailable => {
                f.write_str("deviceMac not checked: no EReaderKey private key supplied")
            }
            Self::DeviceKeyUnusable { reason } => write!(f, "device key unusable: {reason}"),
            Self::ElementNotAuthorized { namespace, element } => write!(
                f,
                "device-signed {namespace}/{element} not allowed by keyAuthorizations"
            ),
            Self::DataModel {
                namespace,
                element,
                problem,
            } => write!(
                f,
                "{namespace}/{element} does not follow 2021 Table 5: {problem}"
            ),
            Self::ReaderSignatureInvalid => f.write_str("readerAuth signature invalid"),
            Self::VicalInvalid { reason } => write!(f, "VICAL invalid: {reason}"),
        }
    }
}

impl std::error::Error for Failure {}

/// Who issued a document, as far as the certificate chain could be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssuerInfo {
    /// Subject of the Document Signer certificate (RFC 4514 form), if it could be decoded.
    pub document_signer: Option<String>,
    /// Subject of the IACA the chain led to, if one did.
    pub iaca: Option<String>,
}

/// Most failures listed per document; further ones are counted in one [`Failure::MoreFailures`].
pub const MAX_FAILURES_PER_DOCUMENT: usize = 32;

/// The outcome for one Document.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentReport {
    pub(crate) doc_type: String,
    pub(crate) issuer: IssuerInfo,
    pub(crate) issuer_elements: Elements,
    pub(crate) device_elements: Elements,
    pub(crate) checks: Vec<Check>,
    pub(crate) failures: Vec<Failure>,
    pub(crate) warnings: Vec<super::mdl_model::DataModelWarning>,
    /// Every failure found, the omitted ones included.
    pub(crate) failure_count: usize,
}

impl DocumentReport {
    pub(crate) fn new(doc_type: &str) -> Self {
        Self {
            doc_type: doc_type.to_owned(),
            issuer: IssuerInfo::default(),
            issuer_elements: Elements::new(),
            device_elements: Elements::new(),
            checks: Vec::new(),
            failures: Vec::new(),
            warnings: Vec::new(),
            failure_count: 0,
        }
    }

    /// How many failures were found so far, those past the listing cap included (monotonic,
    /// unlike `failures.len()`).
    pub(crate) fn failure_count(&self) -> usize {
        self.failure_count
    }

    /// Returned elements whose type or encoding is not the one 2021 Table 5 defines: signed
    /// data a reader may still show, so not failures unless made so by
    /// [`VerificationReport::strict`].
    pub fn warnings(&self) -> &[super::mdl_model::DataModelWarning] {
        &self.warnings
    }

    pub(crate) fn pass(&mut self, check: Check) {
        self.checks.push(check);
    }

    /// Records a failure; past [`MAX_FAILURES_PER_DOCUMENT`] only counts it in one final
    /// [`Failure::MoreFailures`], so a hostile document cannot make the report large.
    pub(crate) fn fail(&mut self, failure: Failure) {
        self.failure_count += 1;
        if self.failures.len() < MAX_FAILURES_PER_DOCUMENT {
            self.failures.push(failure);
        } else if let Some(Failure::MoreFailures { omitted }) = self.failures.last_mut() {
            *omitted += 1;
        } else {
            self.failures.push(Failure::MoreFailures { omitted: 1 });
        }
    }

    /// The Document's docType.
    pub fn doc_type(&self) -> &str {
        &self.doc_type
    }

    /// Document Signer and IACA subjects.
    pub fn issuer(&self) -> &IssuerInfo {
        &self.issuer
    }

    /// Issuer-signed elements whose digest matched an MSO whose signature verified. When issuer
    /// authentication fails this is empty: nothing of the document is vouched for.
    pub fn issuer_elements(&self) -> &Elements {
        &self.issuer_elements
    }

    /// Device-signed elements, when mdoc authentication succeeded and keyAuthorizations allow
    /// them.
    pub fn device_elements(&self) -> &Elements {
        &self.device_elements
    }

    /// Checks that passed.
    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// What failed; empty when the document is valid.
    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }

    /// Whether every check passed: the document is authentic for the inspection time.
    pub fn is_valid(&self) -> bool {
        self.failures.is_empty()
    }
}

impl fmt::Display for DocumentReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.is_valid() { "VALID" } else { "INVALID" };
        writeln!(f, "document {} — {verdict}", self.doc_type)?;
        if let Some(ds) = &self.issuer.document_signer {
            writeln!(f, "  document signer: {ds}")?;
        }
        if let Some(iaca) = &self.issuer.iaca {
            writeln!(f, "  IACA: {iaca}")?;
        }
        for check in &self.checks {
            writeln!(f, "  ok: {check}")?;
        }
        for failure in &self.failures {
            writeln!(f, "  FAILED: {failure}")?;
        }
        for warning in &self.warnings {
            writeln!(f, "  warning: {warning}")?;
        }
        for (title, elements) in [
            ("issuer-signed", &self.issuer_elements),
            ("device-signed", &self.device_elements),
        ] {
            for (ns, elems) in elements {
                for (name, value) in elems {
                    writeln!(f, "  {title} {ns}/{name} = {}", short_value(value))?;
                }
            }
        }
        Ok(())
    }
}

/// A one-line rendering of a value: byte strings by length, the rest in diagnostic-like form.
fn short_value(value: &Value) -> String {
    match value {
        Value::Bytes(b) => format!("<{} bytes>", b.len()),
        Value::Text(t) => format!("{t:?}"),
        Value::Tag(tag, inner) => format!("{tag}({})", short_value(inner)),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(short_value).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {}", short_value(k), short_value(v)))
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

/// The outcome for a whole DeviceResponse.
#[derive(Debug, Clone, PartialEq)]
pub struct VerificationReport {
    pub(crate) status: u64,
    pub(crate) documents: Vec<DocumentReport>,
    pub(crate) failures: Vec<Failure>,
}

impl VerificationReport {
    /// The DeviceResponse status.
    pub fn status(&self) -> u64 {
        self.status
    }

    /// One report per returned Document, in order.
    pub fn documents(&self) -> &[DocumentReport] {
        &self.documents
    }

    /// Response-level failures (status, no documents).
    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }

    /// Every failure, response-level and per document, with the docType it belongs to.
    pub fn all_failures(&self) -> impl Iterator<Item = (Option<&str>, &Failure)> {
        self.failures.iter().map(|f| (None, f)).chain(
            self.documents
                .iter()
                .flat_map(|d| d.failures.iter().map(move |f| (Some(d.doc_type()), f))),
        )
    }

    /// The report of the first document of `doc_type`.
    pub fn document(&self, doc_type: &str) -> Option<&DocumentReport> {
        self.documents.iter().find(|d| d.doc_type == doc_type)
    }

    /// Whether the response is OK and every document in it is valid.
    pub fn is_valid(&self) -> bool {
        self.failures.is_empty() && self.documents.iter().all(DocumentReport::is_valid)
    }

    /// The report of a reader that accepts only conformant credentials (`--strict`): every
    /// data-model warning becomes a [`Failure::DataModel`].
    #[must_use]
    pub fn strict(mut self) -> Self {
        for doc in &mut self.documents {
            for w in std::mem::take(&mut doc.warnings) {
                doc.fail(Failure::DataModel {
                    namespace: w.namespace,
                    element: w.element,
                    problem: w.problem,
                });
            }
        }
        self
    }
}

impl fmt::Display for VerificationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.is_valid() { "VALID" } else { "INVALID" };
        writeln!(f, "DeviceResponse status {} — {verdict}", self.status)?;
        for failure in &self.failures {
            writeln!(f, "FAILED: {failure}")?;
        }
        for doc in &self.documents {
            write!(f, "{doc}")?;
        }
        Ok(())
    }
}
