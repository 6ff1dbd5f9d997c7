//! COSE_Sign1 as 18013-5 uses it (2021 9.1.2.4, 9.1.3.6, 9.1.4): protected header `{1: alg}`,
//! certificates in x5chain (label 33), detached or embedded payload.

use coset::{
    cbor::value::Value, iana::Algorithm, CoseSign1, CoseSign1Builder, HeaderBuilder, Label,
    RegisteredLabelWithPrivate, SignatureContext,
};

use super::{CoseKey, CryptoError, CryptoProvider, Signer};

/// COSE header label of x5chain (RFC 9360).
pub const X5CHAIN_LABEL: i64 = 33;

fn build<S: Signer + ?Sized>(
    signer: &S,
    payload: Option<Vec<u8>>,
    detached: &[u8],
    x5chain: &[Vec<u8>],
) -> Result<CoseSign1, CryptoError> {
    let protected = HeaderBuilder::new().algorithm(signer.algorithm()).build();
    let mut unprotected = HeaderBuilder::new();
    match x5chain {
        [] => {}
        // One certificate: a bstr; several: an array of bstr (RFC 9360 2).
        [one] => unprotected = unprotected.value(X5CHAIN_LABEL, Value::Bytes(one.clone())),
        many => {
            unprotected = unprotected.value(
                X5CHAIN_LABEL,
                Value::Array(many.iter().map(|c| Value::Bytes(c.clone())).collect()),
            )
        }
    }
    let mut sign1 = CoseSign1Builder::new()
        .protected(protected)
        .unprotected(unprotected.build())
        .build();
    let data = coset::sig_structure_data(
        SignatureContext::CoseSign1,
        sign1.protected.clone(),
        None,
        &[],
        payload.as_deref().unwrap_or(detached),
    );
    sign1.signature = signer.sign(&data)?;
    sign1.payload = payload;
    Ok(sign1)
}

/// Signs with a detached payload (payload null), as for deviceSignature and readerAuth:
/// `detached_payload` is e.g. DeviceAuthenticationBytes. `x5chain` (leaf first) goes into the
/// unprotected header when not empty.
pub fn sign1_detached<S: Signer + ?Sized>(
    signer: &S,
    detached_payload: &[u8],
    x5chain: &[Vec<u8>],
) -> Result<CoseSign1, CryptoError> {
    build(signer, None, detached_payload, x5chain)
}

/// Signs with an embedded payload, as for issuerAuth (payload = MobileSecurityObjectBytes).
pub fn sign1_embedded<S: Signer + ?Sized>(
    signer: &S,
    payload: Vec<u8>,
    x5chain: &[Vec<u8>],
) -> Result<CoseSign1, CryptoError> {
    build(signer, Some(payload), &[], x5chain)
}

/// The algorithm of a COSE_Sign1, from its protected header (where 18013-5 requires it).
pub fn sign1_algorithm(sign1: &CoseSign1) -> Result<Algorithm, CryptoError> {
    match &sign1.protected.header.alg {
        Some(RegisteredLabelWithPrivate::Assigned(alg)) => Ok(*alg),
        Some(other) => Err(CryptoError::UnsupportedAlgorithm(format!("{other:?}"))),
        None => Err(CryptoError::MalformedCose("no alg in the protected header")),
    }
}

fn verify_over(
    provider: CryptoProvider,
    sign1: &CoseSign1,
    key: &CoseKey,
    payload: &[u8],
) -> Result<(), CryptoError> {
    let alg = sign1_algorithm(sign1)?;
    // The protected header is signed as received (coset keeps the original bytes).
    let data = coset::sig_structure_data(
        SignatureContext::CoseSign1,
        sign1.protected.clone(),
        None,
        &[],
        payload,
    );
    provider.verify_signature(key, alg, &data, &sign1.signature)
}

/// Verifies a COSE_Sign1 whose payload is detached (null) against `detached_payload`, on
/// [`CryptoProvider::default`] ([`CryptoProvider::verify_sign1_detached`] takes a provider).
pub fn verify_sign1_detached(
    sign1: &CoseSign1,
    key: &CoseKey,
    detached_payload: &[u8],
) -> Result<(), CryptoError> {
    verify_sign1_detached_with(CryptoProvider::default(), sign1, key, detached_payload)
}

pub(crate) fn verify_sign1_detached_with(
    provider: CryptoProvider,
    sign1: &CoseSign1,
    key: &CoseKey,
    detached_payload: &[u8],
) -> Result<(), CryptoError> {
    if sign1.payload.is_some() {
        return Err(CryptoError::MalformedCose(
            "payload is embedded, expected detached (null)",
        ));
    }
    verify_over(provider, sign1, key, detached_payload)
}

/// Verifies a COSE_Sign1 over its embedded payload, on [`CryptoProvider::default`]
/// ([`CryptoProvider::verify_sign1`] takes a provider).
pub fn verify_sign1(sign1: &CoseSign1, key: &CoseKey) -> Result<(), CryptoError> {
    verify_sign1_with(CryptoProvider::default(), sign1, key)
}

pub(crate) fn verify_sign1_with(
    provider: CryptoProvider,
    sign1: &CoseSign1,
    key: &CoseKey,
) -> Result<(), CryptoError> {
    let payload = sign1
        .payload
        .as_deref()
        .ok_or(CryptoError::MalformedCose("payload is detached (null)"))?;
    verify_over(provider, sign1, key, payload)
}

/// The certificates of x5chain (leaf first), from the unprotected or the protected header,
/// as one bstr or an array of bstr (both seen in the field). Empty if absent.
pub fn sign1_x5chain(sign1: &CoseSign1) -> Result<Vec<Vec<u8>>, CryptoError> {
    let find = |rest: &[(Label, Value)]| {
        rest.iter()
            .find(|(l, _)| *l == Label::Int(X5CHAIN_LABEL))
            .map(|(_, v)| v.clone())
    };
    let value = find(&sign1.unprotected.rest).or_else(|| find(&sign1.protected.header.rest));
    match value {
        None => Ok(Vec::new()),
        Some(Value::Bytes(cert)) => Ok(vec![cert]),
        Some(Value::Array(items)) if !items.is_empty() => items
            .into_iter()
            .map(|v| match v {
                Value::Bytes(b) => Ok(b),
                _ => Err(CryptoError::MalformedCose("x5chain array holds a non-bstr")),
            })
            .collect(),
        Some(_) => Err(CryptoError::MalformedCose(
            "x5chain is neither a bstr nor a non-empty array of bstr",
        )),
    }
}
