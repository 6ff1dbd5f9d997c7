//! mdoc authentication (2021 9.1.3 / 2nd ed. 12.4): deviceSignature or deviceMac over
//! DeviceAuthenticationBytes with the MSO's device key, and keyAuthorizations for the
//! device-signed elements.

use crate::crypto::{verify_device_mac, CryptoError, EMacKey, EphemeralPrivateKey};
use crate::msg::mso::KeyAuthorizations;
use crate::msg::response::DeviceAuth;
use crate::msg::{Document, MobileSecurityObject, SessionTranscriptBytes};

use super::report::{Check, DocumentReport, Elements, Failure};
use super::VerifyOptions;

/// `#6.24(bstr .cbor ["DeviceAuthentication", SessionTranscript, DocType,
/// DeviceNameSpacesBytes])`, assembled from the transcript's and the document's bytes as held
/// (2021 9.1.3.4), so no re-encoding can change what is verified.
pub fn device_authentication_bytes(transcript: &SessionTranscriptBytes, doc: &Document) -> Vec<u8> {
    crate::msg::DeviceAuthentication::bytes(
        transcript,
        &doc.doc_type,
        &doc.device_signed.name_spaces,
    )
}

fn key_failure(e: CryptoError, otherwise: Failure) -> Failure {
    match e {
        CryptoError::UnsupportedCurve(_)
        | CryptoError::InvalidPublicKey { .. }
        | CryptoError::CurveMismatch { .. } => Failure::DeviceKeyUnusable {
            reason: e.to_string(),
        },
        _ => otherwise,
    }
}

/// Whether keyAuthorizations allow the device key to sign `namespace`/`element`
/// (2021 9.1.2.4: a whole namespace, or the element listed under its namespace).
fn authorized(auth: Option<&KeyAuthorizations>, namespace: &str, element: &str) -> bool {
    let Some(auth) = auth else { return false };
    auth.name_spaces
        .as_ref()
        .is_some_and(|ns| ns.iter().any(|n| n == namespace))
        || auth
            .data_elements
            .as_ref()
            .and_then(|de| de.get(namespace))
            .is_some_and(|elems| elems.iter().any(|e| e == element))
}

/// Runs mdoc authentication for `doc` against the MSO's device key.
pub(crate) fn verify(
    doc: &Document,
    mso: &MobileSecurityObject,
    transcript: &SessionTranscriptBytes,
    e_reader_key: Option<&EphemeralPrivateKey>,
    options: &VerifyOptions<'_>,
    report: &mut DocumentReport,
) {
    let provider = options.provider;
    let payload = device_authentication_bytes(transcript, doc);
    let device_key = &mso.device_key_info.device_key;
    let authenticated = match &doc.device_signed.device_auth {
        DeviceAuth::Signature(sig) => {
            match provider.verify_sign1_detached(sig.inner(), device_key, &payload) {
                Ok(()) => {
                    report.pass(Check::DeviceSignature);
                    true
                }
                Err(e) => {
                    report.fail(key_failure(e, Failure::DeviceSignatureInvalid));
                    false
                }
            }
        }
        DeviceAuth::Mac(mac) => match e_reader_key {
            // Without EReaderKey the MAC cannot be recomputed: never accept it unchecked.
            None => {
                report.fail(Failure::DeviceMacKeyUnavailable);
                false
            }
            Some(e_reader_key) => {
                let result = EMacKey::for_reader_with(
                    provider,
                    e_reader_key,
                    device_key,
                    &transcript.tagged_bytes(),
                )
                .and_then(|key| verify_device_mac(&key, mac.inner(), &payload));
                match result {
                    Ok(()) => {
                        report.pass(Check::DeviceMac);
                        true
                    }
                    Err(e) => {
                        report.fail(key_failure(e, Failure::DeviceMacInvalid));
                        false
                    }
                }
            }
        },
    };

    let auth = mso.device_key_info.key_authorizations.as_ref();
    let mut elements = Elements::new();
    let mut all_authorized = true;
    for (ns, elems) in doc.device_signed.name_spaces.value() {
        for (element, value) in elems {
            if authorized(auth, ns, element) {
                elements
                    .entry(ns.clone())
                    .or_default()
                    .insert(element.clone(), value.clone());
            } else {
                all_authorized = false;
                report.fail(Failure::ElementNotAuthorized {
                    namespace: ns.clone(),
                    element: element.clone(),
                });
            }
        }
    }
    if all_authorized {
        report.pass(Check::KeyAuthorizations);
    }
    if authenticated {
        report.device_elements = elements;
    }
}
