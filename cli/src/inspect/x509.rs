//! X.509 certificates (IACA, document signer, reader authentication) as annotated JSON.

use der::{Decode as _, Encode as _};
use serde_json::{json, Value as Json};
use x509_cert::Certificate;

/// Parses one DER certificate (trailing bytes are an error).
pub(crate) fn parse(der_bytes: &[u8]) -> Result<Certificate, der::Error> {
    Certificate::from_der(der_bytes)
}

/// The readable summary of a certificate: names, validity, keys and extensions.
pub(crate) fn render(cert: &Certificate) -> Json {
    let tbs = cert.tbs_certificate();
    let spki = tbs.subject_public_key_info();
    let mut key = json!({ "algorithm": oid_name(&spki.algorithm.oid.to_string()) });
    if let Some(Ok(curve)) = spki
        .algorithm
        .parameters
        .as_ref()
        .map(|p| p.decode_as::<der::asn1::ObjectIdentifier>())
    {
        key["curve"] = json!(oid_name(&curve.to_string()));
    }
    key["publicKey"] = json!(hex::encode(spki.subject_public_key.raw_bytes()));
    let extensions: Vec<Json> = tbs
        .extensions()
        .map(|exts| exts.iter().map(extension).collect())
        .unwrap_or_default();
    json!({
        "subject": tbs.subject().to_string(),
        "issuer": tbs.issuer().to_string(),
        "serialNumber": hex::encode(tbs.serial_number().as_bytes()),
        "validity": {
            "notBefore": tbs.validity().not_before.to_date_time().to_string(),
            "notAfter": tbs.validity().not_after.to_date_time().to_string(),
        },
        "signatureAlgorithm": oid_name(&cert.signature_algorithm().oid.to_string()),
        "subjectPublicKeyInfo": key,
        "extensions": extensions,
        "length": cert.encoded_len().map(u32::from).unwrap_or_default(),
    })
}

fn extension(ext: &x509_cert::ext::Extension) -> Json {
    let oid = ext.extn_id.to_string();
    let mut out = json!({ "id": oid_name(&oid), "critical": ext.critical });
    // Extended key usage is what tells an IACA, a document signer and a reader apart
    // (2021 Annex B), so it is worth decoding; the rest are named only.
    if oid == "2.5.29.37" {
        if let Ok(eku) = x509_cert::ext::pkix::ExtendedKeyUsage::from_der(ext.extn_value.as_bytes())
        {
            out["value"] = eku
                .0
                .iter()
                .map(|o| json!(oid_name(&o.to_string())))
                .collect();
        }
    }
    out
}

/// A readable name for the object identifiers an mDL PKI uses; the dotted form otherwise.
fn oid_name(oid: &str) -> String {
    let name = match oid {
        "1.2.840.10045.2.1" => "id-ecPublicKey",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10045.3.1.7" => "P-256",
        "1.3.132.0.34" => "P-384",
        "1.3.132.0.35" => "P-521",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        "1.3.36.3.3.2.8.1.1.9" => "brainpoolP320r1",
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
        "2.5.29.14" => "subjectKeyIdentifier",
        "2.5.29.15" => "keyUsage",
        "2.5.29.17" => "subjectAltName",
        "2.5.29.18" => "issuerAltName",
        "2.5.29.19" => "basicConstraints",
        "2.5.29.31" => "cRLDistributionPoints",
        "2.5.29.35" => "authorityKeyIdentifier",
        "2.5.29.37" => "extKeyUsage",
        "1.0.18013.5.1.2" => "mdlDS (1.0.18013.5.1.2)",
        "1.0.18013.5.1.6" => "mdlReaderAuth (1.0.18013.5.1.6)",
        "1.0.18013.5.1.7" => "mdlJWS (1.0.18013.5.1.7)",
        other => return other.to_owned(),
    };
    name.to_owned()
}
