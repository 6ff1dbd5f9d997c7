//! What a holder presents: an mdoc as issued and a handle on its device key that can live in
//! secure hardware (2021 9.1.3: mdoc authentication needs SDeviceKey only to sign or to agree a
//! key, never its scalar).

use std::fmt;

use crate::crypto::{DeviceKeyAgreement, Signer};
use crate::msg::response::IssuerSigned;

/// The holder's device key (SDeviceKey), as an operation rather than a value: a secure element,
/// an HSM or the OS keystore implements one of the two traits and keeps the private key.
///
/// The variant decides the mdoc authentication method (2021 9.1.3.4 / 9.1.3.5): a signer gives
/// deviceSignature, a key-agreement key gives deviceMac.
pub enum DeviceKey {
    /// deviceSignature: the key signs DeviceAuthenticationBytes.
    Signer(Box<dyn Signer + Send + Sync>),
    /// deviceMac: ECDH of the key with EReaderKey derives EMacKey.
    KeyAgreement(Box<dyn DeviceKeyAgreement + Send + Sync>),
}

impl DeviceKey {
    /// A signing device key.
    pub fn signer(signer: impl Signer + Send + Sync + 'static) -> Self {
        Self::Signer(Box::new(signer))
    }

    /// A key-agreement device key.
    pub fn key_agreement(key: impl DeviceKeyAgreement + Send + Sync + 'static) -> Self {
        Self::KeyAgreement(Box::new(key))
    }
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Signer(s) => write!(f, "DeviceKey::Signer({:?})", s.algorithm()),
            Self::KeyAgreement(k) => write!(f, "DeviceKey::KeyAgreement({})", k.curve()),
        }
    }
}

/// One mdoc the holder can present: its docType, its IssuerSigned exactly as issued (items and
/// issuerAuth bytes are sent as received: their digests and signature cover them), and its
/// device key.
#[derive(Debug)]
pub struct MdocCredential {
    /// `docType`.
    pub doc_type: String,
    /// The issuer-signed data (IssuerSignedItemBytes and issuerAuth), bytes as issued.
    pub issuer_signed: IssuerSigned,
    /// SDeviceKey, as an operation.
    pub device_key: DeviceKey,
}

impl MdocCredential {
    /// A credential from its parts.
    pub fn new(
        doc_type: impl Into<String>,
        issuer_signed: IssuerSigned,
        device_key: DeviceKey,
    ) -> Self {
        Self {
            doc_type: doc_type.into(),
            issuer_signed,
            device_key,
        }
    }
}
