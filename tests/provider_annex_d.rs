//! ISO/IEC 18013-5 Annex D replayed on every crypto provider compiled in, byte for byte: keys,
//! the shared secrets, session keys, the reader's SessionEstablishment, the holder's SessionData,
//! the certificate and COSE signatures, EMacKey and the deviceMac tag, and the whole inspection
//! procedure. (`tests/annex_d.rs` covers every vector on the default provider.)
#![allow(clippy::disallowed_methods, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use mdl_proximity::cbor::{self, Tag24};
use mdl_proximity::crypto::{
    create_device_mac, CoseKey, CryptoProvider, Curve, DeviceKeyAgreement as _, EMacKey,
    EphemeralPrivateKey, Role, SessionKeys, SoftwareDeviceKey,
};
use mdl_proximity::msg::{
    DeviceAuthentication, DeviceEngagementBytes, DeviceRequest, DeviceResponse, Handover,
    SessionTranscriptBytes,
};
use mdl_proximity::session::{
    HolderConfig, HolderEvent, HolderSession, Input, Output, ReaderConfig, ReaderEvent,
    ReaderSession, Session,
};
use mdl_proximity::verify::{self, TrustAnchors, VerifyOptions};
use x509_cert::der::Decode;

mod common;
use common::annex_d as v;

const JAN_2021: i64 = 1_609_459_200;

fn p256_public(x: &str, y: &str) -> CoseKey {
    CoseKey::ec2(Curve::P256, v(x), v(y))
}

fn engagement() -> DeviceEngagementBytes {
    cbor::from_slice(&v("device_engagement_bytes_nfc")).unwrap()
}

fn handover() -> Handover {
    Handover::NfcNegotiated {
        select: cbor::Bstr(v("nfc_handover_select")),
        request: cbor::Bstr(v("nfc_handover_request")),
    }
}

fn transcript() -> SessionTranscriptBytes {
    Tag24::from_tagged_slice(&v("session_transcript_bytes")).unwrap()
}

fn key(p: CryptoProvider, name: &str) -> EphemeralPrivateKey {
    EphemeralPrivateKey::from_bytes_with(p, Curve::P256, &v(name)).unwrap()
}

#[test]
fn keys_secrets_and_session_keys() {
    for p in CryptoProvider::all().iter().copied() {
        let e_reader = key(p, "e_reader_key_d");
        let e_device = key(p, "e_device_key_d");
        assert_eq!(
            e_reader.public_key().unwrap(),
            p256_public("e_reader_key_x", "e_reader_key_y"),
            "{p}"
        );
        assert_eq!(
            e_device.public_key().unwrap(),
            p256_public("e_device_key_x", "e_device_key_y"),
            "{p}"
        );
        let s_device =
            SoftwareDeviceKey::from_bytes_with(p, Curve::P256, &v("s_device_key_d")).unwrap();
        assert_eq!(
            s_device.public_key(),
            p256_public("s_device_key_x", "s_device_key_y")
        );
        let z = e_reader
            .agree(&p256_public("e_device_key_x", "e_device_key_y"))
            .unwrap();
        assert_eq!(z.expose_secret(), &v("zab_session")[..], "{p}");
        let z2 = e_device
            .agree(&p256_public("e_reader_key_x", "e_reader_key_y"))
            .unwrap();
        assert_eq!(z2.expose_secret(), &v("zab_session")[..], "{p}");
        let st = v("session_transcript_bytes");
        assert_eq!(p.sha256(&st).to_vec(), v("session_key_salt"), "{p}");
        let keys = SessionKeys::derive_with(p, &z, &st, Role::Reader);
        assert_eq!(keys.expose_sk_reader().to_vec(), v("sk_reader"), "{p}");
        assert_eq!(keys.expose_sk_device().to_vec(), v("sk_device"), "{p}");
    }
}

#[test]
fn session_messages_byte_for_byte() {
    for p in CryptoProvider::all().iter().copied() {
        let now = Instant::now();
        // Reader: the SessionEstablishment of Annex D.
        let config = ReaderConfig {
            provider: p,
            ..ReaderConfig::default()
        };
        let mut reader = ReaderSession::new(
            config,
            key(p, "e_reader_key_d"),
            engagement(),
            handover(),
            now,
        )
        .unwrap();
        let request: DeviceRequest = cbor::from_slice(&v("device_request")).unwrap();
        reader.request(now, &request).unwrap();
        let Output::Transmit(sent) = reader.poll_output() else {
            panic!("{p}: a message")
        };
        assert_eq!(
            hex::encode(sent),
            hex::encode(v("session_establishment")),
            "{p}"
        );

        // Holder: decrypts it and encrypts the Annex D response to its SessionData.
        let config = HolderConfig {
            provider: p,
            ..HolderConfig::default()
        };
        let mut holder = HolderSession::new(
            config,
            key(p, "e_device_key_d"),
            engagement(),
            handover(),
            now,
        )
        .unwrap();
        holder.handle_input(Input::Message(now, &v("session_establishment")));
        assert!(matches!(
            holder.poll_output(),
            Output::Event(HolderEvent::Established)
        ));
        let Output::Event(HolderEvent::Request(req)) = holder.poll_output() else {
            panic!("{p}: the request")
        };
        assert_eq!(req.bytes, v("device_request"), "{p}");
        let response: DeviceResponse = cbor::from_slice(&v("device_response")).unwrap();
        holder.respond(now, &response).unwrap();
        let Output::Transmit(sent) = holder.poll_output() else {
            panic!("{p}: a message")
        };
        assert_eq!(hex::encode(sent), hex::encode(v("session_data")), "{p}");

        // Reader: decrypts the SessionData.
        reader.handle_input(Input::Message(now, &v("session_data")));
        let Output::Event(ReaderEvent::Response(r)) = reader.poll_output() else {
            panic!("{p}: the response")
        };
        assert_eq!(r.bytes, v("device_response"), "{p}");
    }
}

#[test]
fn signatures_mac_and_the_inspection_procedure() {
    let iaca = x509_cert::Certificate::from_der(&v("iaca_cert")).unwrap();
    let iaca_key = mdl_proximity::crypto::certificate_public_key(&iaca).unwrap();
    let root = x509_cert::Certificate::from_der(&v("reader_root_cert")).unwrap();
    let root_key = mdl_proximity::crypto::certificate_public_key(&root).unwrap();
    let response: DeviceResponse = cbor::from_slice(&v("device_response")).unwrap();
    let doc = response.documents.as_ref().unwrap().first().clone();
    let request: DeviceRequest = cbor::from_slice(&v("device_request")).unwrap();
    let doc_request = request.doc_requests.first();
    for p in CryptoProvider::all().iter().copied() {
        p.verify_certificate_signature(&v("ds_cert"), &iaca_key)
            .unwrap();
        p.verify_certificate_signature(&v("reader_cert"), &root_key)
            .unwrap();
        p.verify_certificate_signature(&v("reader_root_cert"), &root_key)
            .unwrap();
        // A certificate is not signed by a key of another issuer.
        assert!(p
            .verify_certificate_signature(&v("ds_cert"), &root_key)
            .is_err());

        // EMacKey and the deviceMac tag.
        let st = v("session_transcript_bytes");
        let reader_key = EMacKey::for_reader_with(
            p,
            &key(p, "e_reader_key_d"),
            &p256_public("s_device_key_x", "s_device_key_y"),
            &st,
        )
        .unwrap();
        assert_eq!(reader_key.expose_secret().to_vec(), v("emac_key"), "{p}");
        let dab = DeviceAuthentication::bytes(
            &transcript(),
            &doc.doc_type,
            &doc.device_signed.name_spaces,
        );
        assert_eq!(
            create_device_mac(&reader_key, &dab).tag,
            v("device_mac_tag"),
            "{p}"
        );

        // The whole inspection procedure and reader authentication.
        let options = VerifyOptions::default().with_provider(p);
        let report = verify::response_with(
            &response,
            &transcript(),
            &TrustAnchors::from_der(&v("iaca_cert")).unwrap(),
            Some(&key(p, "e_reader_key_d")),
            JAN_2021,
            &options,
        );
        assert!(report.is_valid(), "{p}:\n{report}");
        let reader = verify::reader_auth_with(
            doc_request,
            &transcript(),
            &TrustAnchors::from_der(&v("reader_root_cert")).unwrap(),
            JAN_2021,
            &options,
        );
        assert!(reader.is_authenticated(), "{p}: {reader:?}");
    }
}
