//! Trust anchors: the IACA certificates a reader trusts (2021 9.3.3), or the reader roots a
//! holder trusts for reader authentication (2021 9.1.4), or VICAL signer roots. Keep one
//! [`TrustAnchors`] per purpose.

#[cfg(feature = "fs")]
use std::path::Path;
use std::path::PathBuf;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};

use der::{Decode, DecodePem};
use x509_cert::{name::Name, Certificate};

/// Why anchors could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// A certificate is not valid DER / PEM X.509.
    #[error("not an X.509 certificate: {0}")]
    Certificate(#[from] der::Error),
    /// The input holds no certificate at all.
    #[error("no certificate found")]
    Empty,
    /// A file or directory could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// One trusted certificate with its DER, optionally restricted to some document types (a VICAL
/// lists the docTypes each IACA may issue, 2021 Annex C).
#[derive(Debug, Clone, PartialEq)]
pub struct TrustAnchor {
    cert: Certificate,
    der: Vec<u8>,
    doc_types: Option<Vec<String>>,
}

impl TrustAnchor {
    /// Parses a DER certificate; valid for every document type.
    pub fn from_der(der: &[u8]) -> Result<Self, TrustError> {
        Ok(Self {
            cert: Certificate::from_der(der)?,
            der: der.to_vec(),
            doc_types: None,
        })
    }

    /// Restricts the anchor to these document types.
    pub fn with_doc_types(mut self, doc_types: Vec<String>) -> Self {
        self.doc_types = Some(doc_types);
        self
    }

    /// The parsed certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }

    /// The DER encoding, as loaded.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The subject name.
    pub fn subject(&self) -> &Name {
        self.cert.tbs_certificate().subject()
    }

    /// The document types this anchor is restricted to, if any.
    pub fn doc_types(&self) -> Option<&[String]> {
        self.doc_types.as_deref()
    }

    /// Whether documents of `doc_type` may chain to this anchor.
    pub fn allows_doc_type(&self, doc_type: &str) -> bool {
        self.doc_types
            .as_ref()
            .is_none_or(|types| types.iter().any(|t| t == doc_type))
    }
}

/// A set of trust anchors.
#[derive(Debug, Clone, Default)]
pub struct TrustAnchors {
    anchors: Vec<TrustAnchor>,
    /// Computed on first use, forgotten on every change (see [`TrustAnchors::fingerprint`]).
    fingerprint: OnceLock<[u8; 32]>,
}

impl PartialEq for TrustAnchors {
    fn eq(&self, other: &Self) -> bool {
        self.anchors == other.anchors
    }
}

impl TrustAnchors {
    /// No anchors: nothing is trusted.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every `CERTIFICATE` block of a PEM text.
    pub fn from_pem(pem: &str) -> Result<Self, TrustError> {
        let certs = Certificate::load_pem_chain(pem.as_bytes())?;
        if certs.is_empty() {
            return Err(TrustError::Empty);
        }
        let mut out = Self::new();
        for cert in certs {
            let der = der::Encode::to_der(&cert)?;
            out.add(TrustAnchor {
                cert,
                der,
                doc_types: None,
            });
        }
        Ok(out)
    }

    /// One DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, TrustError> {
        let mut out = Self::new();
        out.add(TrustAnchor::from_der(der)?);
        Ok(out)
    }

    /// Every certificate in the files of a directory (not recursive): PEM files (any that start
    /// with `-----BEGIN`) and DER files. Configuration loading, the only file I/O of the crate:
    /// behind the `fs` feature, outside the sans-IO core.
    #[cfg(feature = "fs")]
    #[allow(clippy::disallowed_methods)] // the one sanctioned file read, behind `fs`
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, TrustError> {
        let dir = dir.as_ref();
        fn io(path: &Path) -> impl Fn(std::io::Error) -> TrustError + '_ {
            move |source| TrustError::Io {
                path: path.to_owned(),
                source,
            }
        }
        let mut paths = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(io(dir))?;
        paths.sort();
        let mut out = Self::new();
        for path in paths.iter().filter(|p| p.is_file()) {
            let bytes = std::fs::read(path).map_err(io(path))?;
            let loaded = match std::str::from_utf8(&bytes) {
                Ok(text) if text.trim_start().starts_with("-----BEGIN") => Self::from_pem(text)?,
                _ => Self::from_der(&bytes)?,
            };
            out.anchors.extend(loaded.anchors);
            out.fingerprint = OnceLock::new();
        }
        if out.is_empty() {
            return Err(TrustError::Empty);
        }
        Ok(out)
    }

    /// Adds an anchor.
    pub fn add(&mut self, anchor: TrustAnchor) {
        self.anchors.push(anchor);
        self.fingerprint = OnceLock::new();
    }

    /// SHA-256 over every anchor's DER and docType restriction, in order: equal for equal sets,
    /// different after any change. Computed once per set; a
    /// [`PathCache`](super::PathCache) keys its entries with it, so that changing the anchors
    /// invalidates every path verified against the old ones.
    pub fn fingerprint(&self) -> [u8; 32] {
        *self.fingerprint.get_or_init(|| {
            let mut h = Sha256::new();
            h.update((self.anchors.len() as u64).to_be_bytes());
            for a in &self.anchors {
                h.update((a.der.len() as u64).to_be_bytes());
                h.update(&a.der);
                match &a.doc_types {
                    None => h.update([0]),
                    Some(types) => {
                        h.update([1]);
                        h.update((types.len() as u64).to_be_bytes());
                        for t in types {
                            h.update((t.len() as u64).to_be_bytes());
                            h.update(t.as_bytes());
                        }
                    }
                }
            }
            h.finalize().into()
        })
    }

    /// Parses and adds one certificate, PEM or DER.
    pub fn add_certificate(&mut self, cert: &[u8]) -> Result<(), TrustError> {
        let anchor = match std::str::from_utf8(cert) {
            Ok(text) if text.trim_start().starts_with("-----BEGIN") => {
                let cert = Certificate::from_pem(text.as_bytes())?;
                TrustAnchor {
                    der: der::Encode::to_der(&cert)?,
                    cert,
                    doc_types: None,
                }
            }
            _ => TrustAnchor::from_der(cert)?,
        };
        self.add(anchor);
        Ok(())
    }

    /// The anchors, in the order added.
    pub fn iter(&self) -> std::slice::Iter<'_, TrustAnchor> {
        self.anchors.iter()
    }

    /// How many anchors.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// Anchors whose subject is `name`.
    pub(crate) fn by_subject(&self, name: &Name) -> Vec<&TrustAnchor> {
        self.anchors
            .iter()
            .filter(|a| a.subject() == name)
            .collect()
    }

    /// The anchor whose DER is exactly `der`.
    pub(crate) fn by_der(&self, der: &[u8]) -> Option<&TrustAnchor> {
        self.anchors.iter().find(|a| a.der == der)
    }
}

impl<'a> IntoIterator for &'a TrustAnchors {
    type Item = &'a TrustAnchor;
    type IntoIter = std::slice::Iter<'a, TrustAnchor>;

    fn into_iter(self) -> Self::IntoIter {
        self.anchors.iter()
    }
}

impl FromIterator<TrustAnchor> for TrustAnchors {
    fn from_iter<I: IntoIterator<Item = TrustAnchor>>(iter: I) -> Self {
        Self {
            anchors: iter.into_iter().collect(),
            fingerprint: OnceLock::new(),
        }
    }
}
