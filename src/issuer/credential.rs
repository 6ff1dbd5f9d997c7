//! Software private keys and the test credential file format (`mdl issue` writes it,
//! `mdl holder --credential FILE` reads it).
//!
//! # Credential file format (a TEST format: private keys in the clear)
//!
//! One CBOR map, written with definite lengths and in this key order:
//!
//! ```cddl
//! Credential = {
//!   "format": "mdl-proximity test credential",  ; fixed; identifies the file
//!   "version": 1,                               ; this layout
//!   "docType": tstr,
//!   "issuerSigned": IssuerSigned,               ; 18013-5 8.3.2.1.2.2, as issued: every
//!                                               ; IssuerSignedItemBytes kept byte for byte
//!   "deviceKey": COSE_Key,                      ; SDeviceKey WITH its private part d (-4)
//!   "deviceAuth": "signature" / "mac"           ; which mdoc authentication this key does
//! }
//! ```
//!
//! `deviceKey` is kty/crv/x/(y)/d (RFC 9052 7, RFC 9053 7.1–7.2): for EC2 curves `d` is the
//! big-endian scalar of the curve's length, for OKP curves the raw private key. Its public
//! part must be the MSO's deviceKey and is checked against `d` on decoding. A device key does
//! one kind of mdoc authentication only (2021 9.1.3: never the same key for MAC and signature),
//! hence `deviceAuth`. Unknown keys are ignored on reading.
//!
//! Such a file is for demos and tests: anyone holding it can present the credential.

use std::fmt;

use zeroize::Zeroizing;

use crate::cbor::{
    self, Bstr, CborCodec, DecodeError, Fields, MapBuilder, ResultExt as _, Tag24, Value,
};
use crate::crypto::{
    cose_key_label, CoseKey, CryptoError, CryptoProvider, Curve, DeviceKeyAgreement as _,
    SoftwareDeviceKey, SoftwareSigner,
};
use crate::msg::{mso::MobileSecurityObject, response::IssuerSigned};

use super::IssueError;

/// The `format` value of a credential file.
pub const CREDENTIAL_FORMAT: &str = "mdl-proximity test credential";
const CREDENTIAL_VERSION: u64 = 1;

/// A private key held in memory with its bytes, so it can be written to a file: for test
/// issuers (IACA, Document Signer, reader) and test holders (SDeviceKey). Zeroized on drop,
/// not `Clone`, `Debug` redacted.
pub struct PrivateKey {
    curve: Curve,
    d: Zeroizing<Vec<u8>>,
    public: CoseKey,
    /// What [`signer`](Self::signer) and [`key_agreement`](Self::key_agreement) compute with.
    provider: CryptoProvider,
}

impl PrivateKey {
    /// A fresh key on `curve` (any signature or key-agreement curve), from `rng` only.
    pub fn generate<R: rand_core::CryptoRng + ?Sized>(
        curve: Curve,
        rng: &mut R,
    ) -> Result<Self, IssueError> {
        let len = curve
            .coordinate_len()
            .ok_or(CryptoError::UnsupportedCurve(curve))?;
        let mut d = Zeroizing::new(vec![0u8; len]);
        // Scalars must lie in [1, n): retry the rare out-of-range draw.
        for _ in 0..128 {
            rng.fill_bytes(&mut d);
            if curve == Curve::P521 {
                d[0] &= 0x01;
            }
            match Self::from_bytes(curve, &d) {
                Err(IssueError::Crypto(CryptoError::InvalidPrivateKey { .. })) => continue,
                other => return other,
            }
        }
        Err(CryptoError::InvalidPrivateKey {
            curve,
            reason: "RNG produced no valid scalar in 128 draws",
        }
        .into())
    }

    /// A key from its private bytes (as [`SoftwareSigner::from_bytes`] for signature curves,
    /// [`SoftwareDeviceKey::from_bytes`] for X25519 / X448).
    pub fn from_bytes(curve: Curve, d: &[u8]) -> Result<Self, IssueError> {
        let public = match curve {
            Curve::X25519 | Curve::X448 => SoftwareDeviceKey::from_bytes(curve, d)?.public_key(),
            _ => crate::crypto::Signer::public_key(&SoftwareSigner::from_bytes(curve, d)?),
        };
        Ok(Self {
            curve,
            d: Zeroizing::new(d.to_vec()),
            public,
            provider: CryptoProvider::default(),
        })
    }

    /// Makes [`signer`](Self::signer) and [`key_agreement`](Self::key_agreement) compute on
    /// `provider` (default: [`CryptoProvider::default`]). For a holder, this is the provider of
    /// deviceSignature and deviceMac: set it on [`Credential::device_key`].
    pub fn set_provider(&mut self, provider: CryptoProvider) {
        self.provider = provider;
    }

    /// The provider of [`signer`](Self::signer) and [`key_agreement`](Self::key_agreement).
    pub fn provider(&self) -> CryptoProvider {
        self.provider
    }

    /// The curve.
    pub fn curve(&self) -> Curve {
        self.curve
    }

    /// The public key.
    pub fn public_key(&self) -> &CoseKey {
        &self.public
    }

    /// The private bytes (for writing key files only).
    pub fn expose_secret(&self) -> &[u8] {
        &self.d
    }

    /// A signer with this key (fails on X25519 / X448, which cannot sign).
    pub fn signer(&self) -> Result<SoftwareSigner, CryptoError> {
        SoftwareSigner::from_bytes_with(self.provider, self.curve, &self.d)
    }

    /// Key agreement with this key, for deviceMac (fails on Ed25519 / Ed448).
    pub fn key_agreement(&self) -> Result<SoftwareDeviceKey, CryptoError> {
        SoftwareDeviceKey::from_bytes_with(self.provider, self.curve, &self.d)
    }

    /// The key as a COSE_Key map including `d` (-4).
    pub fn to_cose_value(&self) -> Value {
        let mut value = self.public.to_cbor();
        if let Value::Map(entries) = &mut value {
            entries.push((
                Value::Integer(cose_key_label::D.into()),
                Value::Bytes(self.d.to_vec()),
            ));
        }
        value
    }

    /// A key from a COSE_Key map with `d`; the public part must match `d`.
    pub fn from_cose_value(value: Value) -> Result<Self, IssueError> {
        let Value::Map(mut entries) = value else {
            return Err(DecodeError::wrong_type("map", &value).into());
        };
        let at = entries
            .iter()
            .position(|(k, _)| k == &Value::Integer(cose_key_label::D.into()))
            .ok_or_else(|| DecodeError::missing("-4"))?;
        let d = Zeroizing::new(Bstr::from_cbor(entries.swap_remove(at).1).within("-4")?.0);
        let public = CoseKey::from_cbor(Value::Map(entries))?;
        let key = Self::from_bytes(public.curve, &d)?;
        if key.public != public {
            return Err(IssueError::InvalidInput(
                "COSE_Key public part does not match d".into(),
            ));
        }
        Ok(key)
    }

    /// [`to_cose_value`](Self::to_cose_value) as bytes.
    pub fn to_cose_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(cbor::value_to_vec(&self.to_cose_value()))
    }

    /// [`from_cose_value`](Self::from_cose_value) from bytes.
    pub fn from_cose_bytes(bytes: &[u8]) -> Result<Self, IssueError> {
        Self::from_cose_value(cbor::value_from_slice(bytes, &cbor::Limits::default())?)
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({}, <redacted>)", self.curve)
    }
}

/// Which mdoc authentication a device key performs (2021 9.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceAuthMethod {
    /// deviceSignature: COSE_Sign1 with SDeviceKey.
    Signature,
    /// deviceMac: COSE_Mac0 with EMacKey from ECDH(SDeviceKey, EReaderKey).
    Mac,
}

impl DeviceAuthMethod {
    /// The curve a device key for this method needs when sessions run on `session_curve`:
    /// deviceMac agrees a key with EReaderKey, so its key is on the session curve itself
    /// (2021 9.1.3.5); deviceSignature signs, on the session curve's signing counterpart
    /// (Ed25519 for X25519 sessions).
    pub fn device_key_curve(self, session_curve: Curve) -> Curve {
        match self {
            Self::Signature => session_curve.signing_counterpart(),
            Self::Mac => session_curve.key_agreement_counterpart(),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Signature => "signature",
            Self::Mac => "mac",
        }
    }
}

/// An issued mdoc as a holder keeps it: the document type, the issuer-signed data exactly as
/// issued, and the device key with its private part.
#[derive(Debug)]
pub struct Credential {
    /// `docType`.
    pub doc_type: String,
    /// The issuer-signed data (items and issuerAuth), bytes as issued.
    pub issuer_signed: IssuerSigned,
    /// SDeviceKey.
    pub device_key: PrivateKey,
    /// What the device key is used for.
    pub device_auth: DeviceAuthMethod,
}

impl Credential {
    /// The holder's view of this credential ([`crate::holder::MdocCredential`]): the device key
    /// becomes a software signer (deviceSignature) or key-agreement key (deviceMac), built once
    /// here and used for every response.
    pub fn to_mdoc(&self) -> Result<crate::holder::MdocCredential, CryptoError> {
        use crate::holder::{DeviceKey, MdocCredential};
        let device_key = match self.device_auth {
            DeviceAuthMethod::Signature => DeviceKey::signer(self.device_key.signer()?),
            DeviceAuthMethod::Mac => DeviceKey::key_agreement(self.device_key.key_agreement()?),
        };
        Ok(MdocCredential::new(
            self.doc_type.clone(),
            self.issuer_signed.clone(),
            device_key,
        ))
    }

    /// The MSO inside issuerAuth (decoded from its payload bytes).
    pub fn mso(&self) -> Result<Tag24<MobileSecurityObject>, DecodeError> {
        let payload = self
            .issuer_signed
            .issuer_auth
            .inner()
            .payload
            .as_deref()
            .ok_or_else(|| DecodeError::missing("issuerAuth payload"))?;
        cbor::from_slice(payload)
    }

    /// Encodes the credential file (see the [module documentation](self)).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let value = MapBuilder::new()
            .field("format", &CREDENTIAL_FORMAT.to_owned())
            .field("version", &CREDENTIAL_VERSION)
            .field("docType", &self.doc_type)
            .field("issuerSigned", &self.issuer_signed)
            .raw("deviceKey", self.device_key.to_cose_value())
            .field("deviceAuth", &self.device_auth.as_str().to_owned())
            .build();
        Zeroizing::new(cbor::value_to_vec(&value))
    }

    /// Decodes a credential file, checking that the device key is the MSO's deviceKey.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IssueError> {
        let mut f = Fields::new(cbor::value_from_slice(bytes, &cbor::Limits::default())?)?;
        let format: String = f.required("format")?;
        if format != CREDENTIAL_FORMAT {
            return Err(DecodeError::invalid(format!("format {format:?}"))
                .within("format")
                .into());
        }
        let version: u64 = f.required("version")?;
        if version != CREDENTIAL_VERSION {
            return Err(DecodeError::invalid(format!("version {version}"))
                .within("version")
                .into());
        }
        let doc_type: String = f.required("docType")?;
        let issuer_signed: IssuerSigned = f.required("issuerSigned")?;
        let device_key = PrivateKey::from_cose_value(
            f.take("deviceKey")
                .ok_or_else(|| DecodeError::missing("deviceKey"))?,
        )?;
        let device_auth = match f.required::<String>("deviceAuth")?.as_str() {
            "signature" => DeviceAuthMethod::Signature,
            "mac" => DeviceAuthMethod::Mac,
            other => {
                return Err(DecodeError::invalid(format!("deviceAuth {other:?}"))
                    .within("deviceAuth")
                    .into())
            }
        };
        let credential = Self {
            doc_type,
            issuer_signed,
            device_key,
            device_auth,
        };
        let mso = credential.mso()?;
        if &mso.value().device_key_info.device_key != credential.device_key.public_key() {
            return Err(IssueError::InvalidInput(
                "deviceKey is not the MSO's deviceKey".into(),
            ));
        }
        if mso.value().doc_type != credential.doc_type {
            return Err(IssueError::InvalidInput(
                "docType differs from the MSO's".into(),
            ));
        }
        Ok(credential)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_key_curve_follows_the_method() {
        for (session, signature, mac) in [
            (Curve::P256, Curve::P256, Curve::P256),
            (
                Curve::BRAINPOOL_P384R1,
                Curve::BRAINPOOL_P384R1,
                Curve::BRAINPOOL_P384R1,
            ),
            (Curve::X25519, Curve::ED25519, Curve::X25519),
            (Curve::ED25519, Curve::ED25519, Curve::X25519),
            (Curve::X448, Curve::ED448, Curve::X448),
            (Curve::ED448, Curve::ED448, Curve::X448),
        ] {
            assert_eq!(
                DeviceAuthMethod::Signature.device_key_curve(session),
                signature
            );
            assert_eq!(DeviceAuthMethod::Mac.device_key_curve(session), mac);
        }
    }
}
