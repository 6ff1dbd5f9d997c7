//! What several subcommands share: the clock, curve choices, element lists, and issuing the
//! test PKI and credential (`mdl demo` and `mdl issue`).

use indexmap::IndexMap;
use mdl_proximity::crypto::Curve;
use mdl_proximity::issuer::{
    pki::IssuerPki, pki::ReaderPki, sample_mdl_credential, sample_mdl_elements, Credential,
    DeviceAuthMethod, SampleMdl, MDL_NAMESPACE,
};
use mdl_proximity::msg::{request::DataElements, FullDate};

use crate::cli::{CurveArg, DeviceAuthArg};
use crate::error::{CliError, CliResult, Context as _};
use crate::rng::CliRng;

// ---- time -------------------------------------------------------------------------------------

/// The wall clock in Unix seconds (the CLI reads the clock; the engine never does).
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The validation time: `--at` if given, else now.
pub(crate) fn validation_time(at: Option<i64>) -> i64 {
    at.unwrap_or_else(unix_now)
}

// ---- curves -----------------------------------------------------------------------------------

impl CurveArg {
    /// The engine's curve.
    pub(crate) fn curve(self) -> Curve {
        match self {
            Self::P256 => Curve::P256,
            Self::P384 => Curve::P384,
            Self::P521 => Curve::P521,
            Self::BrainpoolP256r1 => Curve::BRAINPOOL_P256R1,
            Self::BrainpoolP320r1 => Curve::BRAINPOOL_P320R1,
            Self::BrainpoolP384r1 => Curve::BRAINPOOL_P384R1,
            Self::BrainpoolP512r1 => Curve::BRAINPOOL_P512R1,
            Self::X25519 => Curve::X25519,
            Self::X448 => Curve::X448,
            Self::Ed25519 => Curve::ED25519,
            Self::Ed448 => Curve::ED448,
        }
    }
}

impl DeviceAuthArg {
    /// The engine's method.
    pub(crate) fn method(self) -> DeviceAuthMethod {
        match self {
            Self::Signature => DeviceAuthMethod::Signature,
            Self::Mac => DeviceAuthMethod::Mac,
        }
    }
}

/// The name of a device authentication method as printed.
pub(crate) fn device_auth_name(method: DeviceAuthMethod) -> &'static str {
    match method {
        DeviceAuthMethod::Signature => "signature",
        DeviceAuthMethod::Mac => "mac",
    }
}

/// The curves one `--curve` choice stands for. Most curves do both jobs; the Edwards and
/// Montgomery forms of one curve split them: Ed25519 signs and X25519 agrees keys, so
/// `--curve X25519` or `--curve Ed25519` means the pair (and likewise 448).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Curves {
    /// Issuer, Document Signer, reader and (for deviceSignature) device keys.
    pub(crate) signature: Curve,
    /// Ephemeral session keys and (for deviceMac) the device key.
    pub(crate) key_agreement: Curve,
}

impl Curves {
    /// The curves `curve` stands for.
    pub(crate) fn for_curve(curve: Curve) -> Self {
        Self {
            signature: curve.signing_counterpart(),
            key_agreement: curve.key_agreement_counterpart(),
        }
    }

    /// The device key's curve for `method` (the library's rule, 2021 9.1.3.5).
    pub(crate) fn device_key(self, method: DeviceAuthMethod) -> Curve {
        method.device_key_curve(self.key_agreement)
    }
}

// ---- elements ---------------------------------------------------------------------------------

/// The mDL elements requested unless told otherwise: a typical identity check.
pub(crate) const DEFAULT_ELEMENTS: &str =
    "family_name,given_name,birth_date,portrait,driving_privileges,age_over_18";

/// Parses `all` or a comma-separated list of `element` / `namespace/element` into
/// (namespace, element) pairs; bare elements are in the mDL namespace. `all` is every element
/// of the sample mDL (the data elements of 2021 Table 5 that `mdl issue` writes).
pub(crate) fn parse_elements(spec: &str) -> CliResult<Vec<(String, String)>> {
    let spec = spec.trim();
    if spec.eq_ignore_ascii_case("all") {
        // Any valid dates: only the element names are used.
        let names = sample_mdl_elements(
            FullDate::new(2000, 1, 1).ok_or_else(|| CliError::msg("date"))?,
            FullDate::new(2000, 1, 1).ok_or_else(|| CliError::msg("date"))?,
        );
        return Ok(names
            .into_keys()
            .map(|e| (MDL_NAMESPACE.to_owned(), e))
            .collect());
    }
    let mut out = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (ns, el) = match item.rsplit_once('/') {
            Some((ns, el)) if !ns.is_empty() && !el.is_empty() => (ns, el),
            Some(_) => {
                return Err(CliError::usage(format!(
                    "element {item:?}: expected ELEMENT or NAMESPACE/ELEMENT"
                )))
            }
            None => (MDL_NAMESPACE, item),
        };
        let pair = (ns.to_owned(), el.to_owned());
        if !out.contains(&pair) {
            out.push(pair);
        }
    }
    if out.is_empty() {
        return Err(CliError::usage(format!("no elements in {spec:?}")));
    }
    Ok(out)
}

/// (namespace, element) pairs as a request's nameSpaces, IntentToRetain false.
pub(crate) fn request_name_spaces(elements: &[(String, String)]) -> IndexMap<String, DataElements> {
    let mut out: IndexMap<String, DataElements> = IndexMap::new();
    for (ns, el) in elements {
        out.entry(ns.clone()).or_default().insert(el.clone(), false);
    }
    out
}

// ---- test issuance ----------------------------------------------------------------------------

/// The country of the test issuer (a fictional one, as in the sample data).
pub(crate) const TEST_COUNTRY: &str = "UT";

/// How far back certificates and the MSO are dated, so that a verifier whose clock is a little
/// behind (another process, another machine) still finds them valid.
const BACKDATE_SECONDS: i64 = 300;

/// An issuer PKI, a reader PKI and one mDL credential issued by the former.
#[derive(Debug)]
pub(crate) struct TestIssuance {
    /// IACA and Document Signer.
    pub(crate) issuer: IssuerPki,
    /// Reader root and reader authentication certificate.
    pub(crate) reader: ReaderPki,
    /// The holder's mDL with its device key.
    pub(crate) credential: Credential,
}

/// Issues a test IACA + Document Signer on `curves.signature`, a reader PKI on the same curve,
/// and a sample mDL (valid one year) whose device key does `method`.
pub(crate) fn issue_test_mdl(
    curves: Curves,
    method: DeviceAuthMethod,
    now: i64,
    rng: &mut CliRng,
) -> CliResult<TestIssuance> {
    let start = now - BACKDATE_SECONDS;
    let (credential, issuer) = sample_mdl_credential(
        &SampleMdl {
            issuer_curve: curves.signature,
            device_curve: curves.device_key(method),
            device_auth: method,
            country: TEST_COUNTRY,
            now: start,
        },
        rng,
    )
    .with_context(|| format!("issuing the test mDL on {}", curves.signature))?;
    let reader = ReaderPki::generate(curves.signature, start, rng)
        .with_context(|| format!("generating the reader PKI on {}", curves.signature))?;
    Ok(TestIssuance {
        issuer,
        reader,
        credential,
    })
}

/// How many issuer-signed elements a credential holds.
pub(crate) fn element_count(credential: &Credential) -> usize {
    credential
        .issuer_signed
        .name_spaces
        .as_ref()
        .map_or(0, |ns| ns.values().map(|items| items.len()).sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_lists() {
        let parsed = parse_elements("family_name, org.example/x ,family_name").ok();
        assert_eq!(
            parsed,
            Some(vec![
                (MDL_NAMESPACE.to_owned(), "family_name".to_owned()),
                ("org.example".to_owned(), "x".to_owned()),
            ])
        );
        assert!(parse_elements(" , ").is_err());
        assert!(parse_elements("/x").is_err());
        let all = parse_elements("ALL").unwrap_or_default();
        assert!(all.len() > 20);
        assert!(all.iter().any(|(_, e)| e == "portrait"));
    }

    #[test]
    fn curve_pairs() {
        let c = Curves::for_curve(Curve::X25519);
        assert_eq!(
            (c.signature, c.key_agreement),
            (Curve::ED25519, Curve::X25519)
        );
        assert_eq!(c.device_key(DeviceAuthMethod::Mac), Curve::X25519);
        let p = Curves::for_curve(Curve::P384);
        assert_eq!((p.signature, p.key_agreement), (Curve::P384, Curve::P384));
    }
}
