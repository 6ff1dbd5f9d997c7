//! One call for a complete test mDL: what demos, benchmarks, examples and tests all need.

use rand_core::CryptoRng;

use crate::crypto::Curve;
use crate::msg::{FullDate, TDate};

use super::mdl::{issue_mdoc, sample_mdl_name_spaces, DigestIdOrder, MdocRequest, MdocValidity};
use super::pki::IssuerPki;
use super::{Credential, DeviceAuthMethod, IssueError, PrivateKey, MDL_DOC_TYPE};

/// How long a sample mDL's MSO is valid: one year.
pub const SAMPLE_VALIDITY_SECONDS: i64 = 365 * 24 * 3600;

/// What to issue with [`sample_mdl_credential`].
#[derive(Debug, Clone, Copy)]
pub struct SampleMdl {
    /// Curve of the IACA and document signer keys.
    pub issuer_curve: Curve,
    /// Curve of the holder's device key (SDeviceKey). For deviceMac it must be a key-agreement
    /// curve, the same as the session's ephemeral curve.
    pub device_curve: Curve,
    /// How the holder authenticates the document.
    pub device_auth: DeviceAuthMethod,
    /// Issuing country (two letters), in the IACA and DS certificates.
    pub country: &'static str,
    /// Issuance time, Unix seconds: certificates and MSO are valid from then.
    pub now: i64,
}

impl SampleMdl {
    /// P-256 everywhere, deviceSignature, country "UT" (Utopia, as in Annex D).
    pub fn p256(now: i64) -> Self {
        Self {
            issuer_curve: Curve::P256,
            device_curve: Curve::P256,
            device_auth: DeviceAuthMethod::Signature,
            country: "UT",
            now,
        }
    }
}

/// Issues a fresh test PKI (IACA + document signer) and an mDL with the sample elements of
/// [`sample_mdl_name_spaces`] for a new device key, valid for [`SAMPLE_VALIDITY_SECONDS`].
pub fn sample_mdl_credential<R: CryptoRng + ?Sized>(
    spec: &SampleMdl,
    rng: &mut R,
) -> Result<(Credential, IssuerPki), IssueError> {
    let pki = IssuerPki::generate(spec.issuer_curve, spec.country, spec.now, rng)?;
    let device_key = PrivateKey::generate(spec.device_curve, rng)?;
    let issue_date = full_date(spec.now)?;
    let expiry_date = full_date(spec.now + 5 * SAMPLE_VALIDITY_SECONDS)?;
    let issuer_signed = issue_mdoc(
        &MdocRequest {
            doc_type: MDL_DOC_TYPE.into(),
            name_spaces: sample_mdl_name_spaces(issue_date, expiry_date),
            device_key: device_key.public_key().clone(),
            key_authorizations: None,
            validity: MdocValidity {
                signed: spec.now,
                valid_from: spec.now,
                valid_until: spec.now + SAMPLE_VALIDITY_SECONDS,
                expected_update: None,
            },
            digest_algorithm: crate::msg::mso::DigestAlgorithm::Sha256,
            digest_ids: DigestIdOrder::Shuffled,
        },
        &pki.ds_key.signer()?,
        pki.ds.der(),
        rng,
    )?;
    let credential = Credential {
        doc_type: MDL_DOC_TYPE.into(),
        issuer_signed,
        device_key,
        device_auth: spec.device_auth,
    };
    Ok((credential, pki))
}

/// The calendar date (UTC) of a Unix time.
fn full_date(unix: i64) -> Result<FullDate, IssueError> {
    let tdate = TDate::from_unix(unix)
        .ok_or_else(|| IssueError::InvalidInput(format!("time {unix} out of range")))?;
    FullDate::parse(&tdate.as_str()[..10]).map_err(IssueError::Decode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SeededRng;

    #[test]
    fn sample_credential_is_consistent() {
        let now = 1_767_225_600; // 2026-01-01
        let (cred, pki) =
            sample_mdl_credential(&SampleMdl::p256(now), &mut SeededRng::new(1)).expect("issues");
        assert_eq!(cred.doc_type, MDL_DOC_TYPE);
        assert!(!pki.iaca.der().is_empty());
        assert_eq!(full_date(now).expect("date").to_string(), "2026-01-01");
        // The credential file round-trips, which also checks the device key against the MSO.
        let bytes = cred.to_bytes();
        assert_eq!(
            *Credential::from_bytes(&bytes).expect("decodes").to_bytes(),
            *bytes
        );
    }
}
