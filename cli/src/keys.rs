//! Private key files: the reader authentication key (`mdl reader --reader-key`) and the
//! reader's ephemeral key for offline deviceMac checks (`mdl verify --e-reader-key`).
//!
//! Accepted formats:
//! - a COSE_Key with its private part `d` (-4), as CBOR (binary or hex): what `mdl issue`
//!   writes as `reader-key.cose` and `mdl reader --dump` as `e-reader-key.cose`;
//! - PEM: PKCS#8 `PRIVATE KEY` (id-ecPublicKey on a named curve of 18013-5, Ed25519, Ed448)
//!   or SEC1 `EC PRIVATE KEY` (with its named-curve parameters), e.g. from `openssl genpkey`;
//! - for `--e-reader-key` only, also the raw private key: the big-endian scalar of the curve's
//!   length (EC curves) or the RFC 7748 key (X25519, X448), hex or binary; the curve is the
//!   one of the transcript's EReaderKey.

use der::asn1::{ObjectIdentifier, OctetStringRef};
use der::Decode as _;
use mdl_proximity::crypto::{oid, CoseKey, Curve, EphemeralPrivateKey};
use mdl_proximity::issuer::PrivateKey;
use zeroize::Zeroizing;

use crate::error::{CliError, CliResult, Context as _};

fn named_curve(oid: ObjectIdentifier) -> CliResult<Curve> {
    mdl_proximity::crypto::curve_of_named_curve(&oid)
        .ok_or_else(|| CliError::msg(format!("named curve {oid} is not one of 18013-5")))
}

/// Reads a private key file: COSE_Key with `d`, or PEM (PKCS#8 / SEC1).
pub(crate) fn read_private_key(bytes: &[u8]) -> CliResult<PrivateKey> {
    let text = std::str::from_utf8(bytes).ok().map(str::trim);
    if let Some(pem) = text.filter(|t| t.starts_with("-----BEGIN")) {
        return from_pem(pem.as_bytes());
    }
    let cbor = match text {
        Some(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Zeroizing::new(crate::input::parse_hex(t).context("hex")?)
        }
        _ => Zeroizing::new(bytes.to_vec()),
    };
    PrivateKey::from_cose_bytes(&cbor).context("not a COSE_Key with d, nor PEM")
}

/// PKCS#8 (`PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`) in PEM.
fn from_pem(pem: &[u8]) -> CliResult<PrivateKey> {
    let (label, der) = der::pem::decode_vec(pem).context("PEM")?;
    let der = Zeroizing::new(der);
    match label {
        "PRIVATE KEY" => {
            let info = pkcs8::PrivateKeyInfoRef::try_from(der.as_slice()).context("PKCS#8")?;
            let alg = info.algorithm.oid;
            if alg == oid::ED25519 || alg == oid::ED448 {
                // RFC 8410 7: the key is itself an OCTET STRING inside privateKey.
                let inner = <&OctetStringRef>::from_der(info.private_key.as_bytes())
                    .context("RFC 8410 CurvePrivateKey")?;
                let curve = if alg == oid::ED25519 {
                    Curve::ED25519
                } else {
                    Curve::ED448
                };
                return PrivateKey::from_bytes(curve, inner.as_bytes()).context("EdDSA key");
            }
            if alg != oid::EC_PUBLIC_KEY {
                return Err(CliError::msg(format!(
                    "PKCS#8 key algorithm {alg} is neither id-ecPublicKey, Ed25519 nor Ed448"
                )));
            }
            let named = info
                .algorithm
                .parameters
                .ok_or_else(|| CliError::msg("PKCS#8 EC key without a named curve"))?
                .decode_as::<ObjectIdentifier>()
                .context("PKCS#8 EC parameters are not a named curve")?;
            let ec = sec1::EcPrivateKey::try_from(info.private_key.as_bytes())
                .context("SEC1 key inside PKCS#8")?;
            ec_key(named_curve(named)?, ec.private_key)
        }
        "EC PRIVATE KEY" => {
            let ec = sec1::EcPrivateKey::try_from(der.as_slice()).context("SEC1")?;
            let Some(sec1::EcParameters::NamedCurve(named)) = ec.parameters else {
                return Err(CliError::msg(
                    "SEC1 key without named-curve parameters (use PKCS#8)",
                ));
            };
            ec_key(named_curve(named)?, ec.private_key)
        }
        other => Err(CliError::msg(format!(
            "PEM label {other:?}: expected PRIVATE KEY or EC PRIVATE KEY"
        ))),
    }
}

/// An EC key from its SEC1 scalar, left-padded to the curve's length (some encoders drop
/// leading zero bytes).
fn ec_key(curve: Curve, scalar: &[u8]) -> CliResult<PrivateKey> {
    let len = curve
        .coordinate_len()
        .ok_or_else(|| CliError::msg(format!("curve {curve} has no scalar length")))?;
    if scalar.len() > len {
        return Err(CliError::msg(format!(
            "{curve} private key of {} bytes",
            scalar.len()
        )));
    }
    let mut d = Zeroizing::new(vec![0u8; len - scalar.len()]);
    d.extend_from_slice(scalar);
    PrivateKey::from_bytes(curve, &d).with_context(|| format!("{curve} private key"))
}

/// The reader's ephemeral private key for `mdl verify`: a COSE_Key with `d`, or the raw
/// private key on the curve of `expected` (the transcript's EReaderKey), which it must match.
pub(crate) fn read_e_reader_key(
    bytes: &[u8],
    expected: &CoseKey,
) -> CliResult<EphemeralPrivateKey> {
    let looks_like_map = bytes.first().is_some_and(|b| (0xa0..=0xbf).contains(b));
    let key = match PrivateKey::from_cose_bytes(bytes) {
        Ok(k) => EphemeralPrivateKey::from_bytes(k.curve(), k.expose_secret()),
        Err(e) if looks_like_map => {
            return Err(e).context("--e-reader-key: COSE_Key with d");
        }
        Err(_) => EphemeralPrivateKey::from_bytes(expected.curve, bytes),
    }
    .with_context(|| format!("--e-reader-key: not a {} private key", expected.curve))?;
    let public = key
        .public_key()
        .context("--e-reader-key: public key of the private key")?;
    if &public != expected {
        return Err(CliError::msg(
            "--e-reader-key does not belong to the transcript's EReaderKey",
        ));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`; SEC1 is the
    // same key through `openssl ec`; its public x from `openssl ec -pubout`.
    const PKCS8_P256: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgzqr2ePo81wspIgBr
k9l0mGi04qSKdqMsdf1WFBlUWoShRANCAARJlfXVr3O04LK3ib95qMv/MEY5Ruwq
etkObHbPBLP4WliNy0LDiuI6wndArRcZDQeF6LCFFm5HacUR84CQ8LOr
-----END PRIVATE KEY-----
";
    const SEC1_P256: &str = "-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIM6q9nj6PNcLKSIAa5PZdJhotOKkinajLHX9VhQZVFqEoAoGCCqGSM49
AwEHoUQDQgAESZX11a9ztOCyt4m/eajL/zBGOUbsKnrZDmx2zwSz+FpYjctCw4ri
OsJ3QK0XGQ0HheiwhRZuR2nFEfOAkPCzqw==
-----END EC PRIVATE KEY-----
";
    const P256_X: &str = "4995f5d5af73b4e0b2b789bf79a8cbff30463946ec2a7ad90e6c76cf04b3f85a";
    const PKCS8_P384: &str = "-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDBaMaidpRK9stczt4YF
AtbLhAvWAEvcvkJx5NtdzLlTncwP76sF7FBq4aBxebOufXqhZANiAAR4/a4lV6WM
Qp3cWMii9/7hGHu7Q5EZXM6UJn8MNHaN8zVKOeExU1kw8hNrBBcRlmBvW7K3TmKI
2BsDyTsIqTOSkbXPfqzTLWXPIA055ocprAZhRCR463bXIQ69MRAhHXM=
-----END PRIVATE KEY-----
";
    const PKCS8_ED25519: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIMnt2gU6K9hK4xnG2jol3jGLDiKEp9q5aglcVxQjxa6+
-----END PRIVATE KEY-----
";

    fn x(key: &PrivateKey) -> Vec<u8> {
        match &key.public_key().params {
            mdl_proximity::crypto::KeyParams::Ec2 { x, .. } => x.clone(),
            mdl_proximity::crypto::KeyParams::Okp { x } => x.clone(),
        }
    }

    #[test]
    fn pem_keys_from_openssl() {
        let pkcs8 = read_private_key(PKCS8_P256.as_bytes()).expect("PKCS#8 P-256");
        assert_eq!(pkcs8.curve(), Curve::P256);
        assert_eq!(hex::encode(x(&pkcs8)), P256_X);
        let sec1 = read_private_key(SEC1_P256.as_bytes()).expect("SEC1 P-256");
        assert_eq!(sec1.public_key(), pkcs8.public_key());
        let p384 = read_private_key(PKCS8_P384.as_bytes()).expect("PKCS#8 P-384");
        assert_eq!(p384.curve(), Curve::P384);
        let ed = read_private_key(PKCS8_ED25519.as_bytes()).expect("PKCS#8 Ed25519");
        assert_eq!(ed.curve(), Curve::ED25519);
    }

    #[test]
    fn cose_key_round_trips_binary_and_hex() {
        let key = read_private_key(PKCS8_P256.as_bytes()).expect("PKCS#8 P-256");
        let cose = key.to_cose_bytes();
        let again = read_private_key(&cose).expect("COSE_Key");
        assert_eq!(again.public_key(), key.public_key());
        let hex = hex::encode(&*cose);
        let again = read_private_key(hex.as_bytes()).expect("hex COSE_Key");
        assert_eq!(again.public_key(), key.public_key());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(read_private_key(b"hello").is_err());
        assert!(
            read_private_key(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
                .is_err()
        );
    }

    #[test]
    fn e_reader_key_raw_or_cose() {
        let key = PrivateKey::from_bytes(Curve::P256, &[7u8; 32]).expect("key");
        let public = key.public_key().clone();
        assert!(read_e_reader_key(&[7u8; 32], &public).is_ok());
        assert!(read_e_reader_key(&key.to_cose_bytes(), &public).is_ok());
        assert!(read_e_reader_key(&[8u8; 32], &public).is_err());
    }
}
