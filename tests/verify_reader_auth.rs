//! Reader authentication (holder side) on ISO/IEC 18013-5 Annex D's DeviceRequest.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mdl_proximity::cbor::{self, Tag24};
use mdl_proximity::msg::{DeviceRequest, DocRequest, SessionTranscriptBytes};
use mdl_proximity::verify::{self, CertPosition, Failure, ReaderIdentity, TrustAnchors};

const JAN_2021: i64 = 1_609_459_200;

mod common;
use common::annex_d;

fn transcript() -> SessionTranscriptBytes {
    Tag24::from_tagged_slice(&annex_d("session_transcript_bytes")).unwrap()
}

fn doc_request(bytes: &[u8]) -> DocRequest {
    let request: DeviceRequest = cbor::from_slice(bytes).unwrap();
    request.doc_requests.into_vec().remove(0)
}

fn roots() -> TrustAnchors {
    TrustAnchors::from_der(&annex_d("reader_root_cert")).unwrap()
}

fn flipped(needle: &[u8], offset: usize) -> Vec<u8> {
    let mut bytes = annex_d("device_request");
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    bytes[at + offset] ^= 0x01;
    bytes
}

#[test]
fn annex_d_reader_is_authenticated() {
    let request = doc_request(&annex_d("device_request"));
    assert_eq!(
        verify::reader_authentication_bytes(&transcript(), &request),
        annex_d("reader_authentication_bytes")
    );
    let identity = verify::reader_auth(&request, &transcript(), &roots(), JAN_2021);
    assert_eq!(
        identity,
        ReaderIdentity::Authenticated {
            subject: "CN=reader".into(),
            chain: vec![annex_d("reader_cert")],
        }
    );
}

#[test]
fn another_root_is_untrusted() {
    let request = doc_request(&annex_d("device_request"));
    let iaca = TrustAnchors::from_der(&annex_d("iaca_cert")).unwrap();
    assert_eq!(
        verify::reader_auth(&request, &transcript(), &iaca, JAN_2021),
        ReaderIdentity::Untrusted {
            reason: Failure::UntrustedIssuer {
                issuer: "CN=reader root".into()
            }
        }
    );
    assert_eq!(
        verify::reader_auth(&request, &transcript(), &TrustAnchors::new(), JAN_2021),
        ReaderIdentity::Untrusted {
            reason: Failure::UntrustedIssuer {
                issuer: "CN=reader root".into()
            }
        }
    );
}

#[test]
fn tampered_items_request_is_invalid() {
    // Flip IntentToRetain of one element inside ItemsRequestBytes (f4 <-> f5).
    let items = annex_d("items_request");
    let at = items.iter().position(|b| *b == 0xf5 || *b == 0xf4).unwrap();
    let request = doc_request(&flipped(&items, at));
    assert_eq!(
        verify::reader_auth(&request, &transcript(), &roots(), JAN_2021),
        ReaderIdentity::Invalid {
            reason: Failure::ReaderSignatureInvalid
        }
    );
}

#[test]
fn tampered_signature_is_invalid() {
    let reader_auth = annex_d("reader_auth");
    let request = doc_request(&flipped(&reader_auth, reader_auth.len() - 1));
    assert_eq!(
        verify::reader_auth(&request, &transcript(), &roots(), JAN_2021),
        ReaderIdentity::Invalid {
            reason: Failure::ReaderSignatureInvalid
        }
    );
}

#[test]
fn tampered_reader_certificate_is_invalid() {
    let cert = annex_d("reader_cert");
    let request = doc_request(&flipped(&cert, cert.len() - 1));
    assert!(matches!(
        verify::reader_auth(&request, &transcript(), &roots(), JAN_2021),
        ReaderIdentity::Invalid {
            reason: Failure::CertificateInvalid {
                which: CertPosition::Leaf,
                ..
            }
        }
    ));
}

#[test]
fn expired_reader_certificate_is_invalid() {
    let request = doc_request(&annex_d("device_request"));
    assert_eq!(
        verify::reader_auth(&request, &transcript(), &roots(), 1_735_689_600),
        ReaderIdentity::Invalid {
            reason: Failure::CertificateExpired {
                which: CertPosition::Leaf
            }
        }
    );
}

#[test]
fn no_reader_auth_is_unauthenticated() {
    let mut request = doc_request(&annex_d("device_request"));
    request.reader_auth = None;
    assert_eq!(
        verify::reader_auth(&request, &transcript(), &roots(), JAN_2021),
        ReaderIdentity::Unauthenticated
    );
}
