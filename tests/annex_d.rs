//! Golden tests: every value of ISO/IEC 18013-5 Annex D (tests/data/annex-d.json) reproduced
//! through the public API, byte for byte. Each vector is named in at least one test; the last
//! test checks that none is forgotten.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::disallowed_methods)] // an application stand-in: it may read the clock and files

use std::time::Instant;

use coset::{sig_structure_data, SignatureContext};
use mdl_proximity::cbor::{self, Tag24, Value};
use mdl_proximity::crypto::{
    ble_ident, create_device_mac, session_salt, sign1_x5chain, verify_certificate_signature,
    verify_device_mac, verify_sign1, verify_sign1_detached, CoseKey, Curve, DeviceKeyAgreement,
    EMacKey, EphemeralPrivateKey, Role, SessionKeys, SoftwareDeviceKey,
};
use mdl_proximity::engagement::carrier::DeviceRetrievalMethod;
use mdl_proximity::engagement::nfc::handover::{HandoverMessage, LeRole};
use mdl_proximity::engagement::qr::{from_qr_uri, qr_uri};
use mdl_proximity::msg::response::DeviceAuth;
use mdl_proximity::msg::{
    DeviceAuthentication, DeviceEngagement, DeviceEngagementBytes, DeviceRequest, DeviceResponse,
    Handover, IssuerSignedItem, ItemsRequest, MobileSecurityObject, ReaderAuthentication,
    SessionData, SessionEstablishment, SessionStatus, SessionTranscript,
};
use mdl_proximity::session::{
    CloseReason, HolderConfig, HolderEvent, HolderSession, Input, Output, ReaderConfig,
    ReaderEvent, ReaderSession, Session,
};
use x509_cert::der::Decode;

const VECTORS: &str = include_str!("data/annex-d.json");

mod common;
use common::annex_d as v;

/// Decodes a vector as `T`, re-encodes it, and checks the bytes are unchanged.
fn round_trip<T: cbor::CborCodec>(name: &str) -> T {
    let bytes = v(name);
    let value: T = cbor::from_slice(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        hex::encode(cbor::to_vec(&value)),
        hex::encode(&bytes),
        "{name} re-encodes"
    );
    value
}

fn p256_public(x: &str, y: &str) -> CoseKey {
    CoseKey::ec2(Curve::P256, v(x), v(y))
}

fn engagement() -> DeviceEngagementBytes {
    round_trip("device_engagement_bytes_nfc")
}

fn handover() -> Handover {
    Handover::NfcNegotiated {
        select: cbor::Bstr(v("nfc_handover_select")),
        request: cbor::Bstr(v("nfc_handover_request")),
    }
}

fn e_reader_key() -> EphemeralPrivateKey {
    EphemeralPrivateKey::from_bytes(Curve::P256, &v("e_reader_key_d")).unwrap()
}

fn e_device_key() -> EphemeralPrivateKey {
    EphemeralPrivateKey::from_bytes(Curve::P256, &v("e_device_key_d")).unwrap()
}

fn transcript() -> Tag24<SessionTranscript> {
    Tag24::from_tagged_slice(&v("session_transcript_bytes")).unwrap()
}

fn at() -> Instant {
    Instant::now()
}

// ---- engagement ---------------------------------------------------------------------------

#[test]
fn qr_device_engagement() {
    let de: DeviceEngagement = round_trip("device_engagement_qr");
    assert_eq!(
        de.security.e_device_key.value(),
        &round_trip::<CoseKey>("e_device_key_cose")
    );
    let methods = de
        .device_retrieval_methods
        .as_ref()
        .expect("QR engagement lists methods");
    let [DeviceRetrievalMethod::Ble(ble)] = methods.as_slice() else {
        panic!("one BLE method")
    };
    assert!(ble.central_client_mode && !ble.peripheral_server_mode);
    assert_eq!(
        ble.central_client_uuid.as_ref().map(|u| u.0.to_vec()),
        Some(v("ble_uuid_qr_central_client"))
    );
    // QR URI: mdoc: + base64url, and back to the same bytes.
    let bytes = Tag24::<DeviceEngagement>::from_bytes(v("device_engagement_qr")).unwrap();
    let uri = qr_uri(&bytes);
    assert!(uri.starts_with("mdoc:") && !uri.contains('='));
    assert_eq!(
        from_qr_uri(&uri).unwrap().inner_bytes(),
        &v("device_engagement_qr")[..]
    );
}

#[test]
fn nfc_negotiated_handover_messages() {
    let hs = HandoverMessage::parse(&v("nfc_handover_select")).unwrap();
    assert_eq!(hs.encode(), v("nfc_handover_select"));
    assert_eq!(
        hs.device_engagement(),
        Some(&v("device_engagement_nfc")[..])
    );
    let hr = HandoverMessage::parse(&v("nfc_handover_request")).unwrap();
    assert_eq!(hr.encode(), v("nfc_handover_request"));
    let (_, ble) = hr.ble_carriers().next().unwrap();
    let ble = ble.unwrap();
    assert_eq!(ble.role(), Some(LeRole::BOTH_PERIPHERAL_PREFERRED));
    assert_eq!(
        ble.service_uuid().unwrap().to_vec(),
        v("ble_uuid_handover_request")
    );
}

#[test]
fn nfc_device_engagement_and_its_bytes() {
    let de: DeviceEngagement = round_trip("device_engagement_nfc");
    assert!(
        de.device_retrieval_methods.is_none(),
        "the carrier comes from the NDEF records"
    );
    let bytes = engagement();
    assert_eq!(bytes.inner_bytes(), &v("device_engagement_nfc")[..]);
    assert_eq!(bytes.value(), &de);
}

// ---- keys -----------------------------------------------------------------------------------

#[test]
fn ephemeral_device_key() {
    let key = e_device_key();
    let public = key.public_key().unwrap();
    assert_eq!(public, p256_public("e_device_key_x", "e_device_key_y"));
    assert_eq!(cbor::to_vec(&public), v("e_device_key_cose"));
    assert_eq!(Tag24::new(public).tagged_bytes(), v("e_device_key_bytes"));
    let sec1 = [vec![0x04], v("e_device_key_x"), v("e_device_key_y")].concat();
    assert_eq!(sec1, v("e_device_key_pub_sec1"));
    let from_engagement = engagement().value().security.e_device_key.clone();
    assert_eq!(from_engagement.tagged_bytes(), v("e_device_key_bytes"));
}

#[test]
fn ephemeral_reader_key() {
    let public = e_reader_key().public_key().unwrap();
    assert_eq!(public, p256_public("e_reader_key_x", "e_reader_key_y"));
    assert_eq!(Tag24::new(public).tagged_bytes(), v("e_reader_key_bytes"));
    let sec1 = [vec![0x04], v("e_reader_key_x"), v("e_reader_key_y")].concat();
    assert_eq!(sec1, v("e_reader_key_pub_sec1"));
}

#[test]
fn static_device_key() {
    let key = SoftwareDeviceKey::from_bytes(Curve::P256, &v("s_device_key_d")).unwrap();
    assert_eq!(
        key.public_key(),
        p256_public("s_device_key_x", "s_device_key_y")
    );
}

#[test]
fn ble_ident_characteristic() {
    assert_eq!(ble_ident(&v("e_device_key_bytes")).to_vec(), v("ble_ident"));
}

// ---- session establishment -----------------------------------------------------------------

#[test]
fn session_transcript_from_its_parts() {
    let rebuilt = SessionTranscript {
        device_engagement: engagement(),
        e_reader_key: Tag24::from_tagged_slice(&v("e_reader_key_bytes")).unwrap(),
        handover: handover(),
    };
    assert_eq!(rebuilt.to_tagged_bytes(), v("session_transcript_bytes"));
    assert_eq!(rebuilt.to_bytes(), v("session_transcript"));
    let _: SessionTranscript = round_trip("session_transcript");
}

#[test]
fn session_keys() {
    let st = v("session_transcript_bytes");
    assert_eq!(session_salt(&st).to_vec(), v("session_key_salt"));
    let z = e_reader_key()
        .agree(&p256_public("e_device_key_x", "e_device_key_y"))
        .unwrap();
    assert_eq!(z.expose_secret(), &v("zab_session")[..]);
    let z2 = e_device_key()
        .agree(&p256_public("e_reader_key_x", "e_reader_key_y"))
        .unwrap();
    assert_eq!(z2.expose_secret(), &v("zab_session")[..]);
    let keys = SessionKeys::derive(&z, &st, Role::Reader);
    assert_eq!(keys.expose_sk_reader().to_vec(), v("sk_reader"));
    assert_eq!(keys.expose_sk_device().to_vec(), v("sk_device"));
}

#[test]
fn initialization_vectors() {
    assert_eq!(
        [Role::Reader.iv_identifier().to_vec(), vec![0, 0, 0, 1]].concat(),
        v("iv_reader_msg1")
    );
    assert_eq!(
        [Role::Holder.iv_identifier().to_vec(), vec![0, 0, 0, 1]].concat(),
        v("iv_device_msg1")
    );
}

#[test]
fn reader_session_produces_the_session_establishment() {
    let mut reader = ReaderSession::new(
        ReaderConfig::default(),
        e_reader_key(),
        engagement(),
        handover(),
        at(),
    )
    .unwrap();
    assert_eq!(
        reader.transcript().tagged_bytes(),
        v("session_transcript_bytes")
    );
    let request: DeviceRequest = round_trip("device_request");
    reader.request(at(), &request).unwrap();
    let Output::Transmit(sent) = reader.poll_output() else {
        panic!("a message")
    };
    assert_eq!(hex::encode(sent), hex::encode(v("session_establishment")));
    let _: SessionEstablishment = round_trip("session_establishment");
}

#[test]
fn holder_session_decrypts_the_request_and_produces_the_session_data() {
    let mut holder = HolderSession::new(
        HolderConfig::default(),
        e_device_key(),
        engagement(),
        handover(),
        at(),
    )
    .unwrap();
    holder.handle_input(Input::Message(at(), &v("session_establishment")));
    assert!(matches!(
        holder.poll_output(),
        Output::Event(HolderEvent::Established)
    ));
    let Output::Event(HolderEvent::Request(req)) = holder.poll_output() else {
        panic!("the request")
    };
    assert_eq!(req.bytes, v("device_request"));
    assert_eq!(
        holder.transcript().unwrap().tagged_bytes(),
        v("session_transcript_bytes")
    );
    let response: DeviceResponse = round_trip("device_response");
    holder.respond(at(), &response).unwrap();
    let Output::Transmit(sent) = holder.poll_output() else {
        panic!("a message")
    };
    assert_eq!(hex::encode(sent), hex::encode(v("session_data")));
    let _: SessionData = round_trip("session_data");
}

#[test]
fn reader_session_decrypts_the_response_then_the_termination() {
    let mut reader = ReaderSession::new(
        ReaderConfig::default(),
        e_reader_key(),
        engagement(),
        handover(),
        at(),
    )
    .unwrap();
    reader.request_bytes(at(), &v("device_request")).unwrap();
    let _ = reader.poll_output();
    reader.handle_input(Input::Message(at(), &v("session_data")));
    let Output::Event(ReaderEvent::Response(r)) = reader.poll_output() else {
        panic!("the response")
    };
    assert_eq!(r.bytes, v("device_response"));
    let termination: SessionData = round_trip("session_termination");
    assert_eq!(
        termination.status(),
        Some(SessionStatus::SESSION_TERMINATION)
    );
    assert!(termination.data().is_none());
    reader.handle_input(Input::Message(at(), &v("session_termination")));
    let Output::Event(ReaderEvent::Closed(reason)) = reader.poll_output() else {
        panic!("closed")
    };
    assert!(matches!(
        reason,
        CloseReason::PeerStatus(SessionStatus::SESSION_TERMINATION)
    ));
}

// ---- request and reader authentication ----------------------------------------------------

#[test]
fn device_request_and_reader_authentication() {
    let request: DeviceRequest = round_trip("device_request");
    let doc = request.doc_requests.first();
    let items: ItemsRequest = round_trip("items_request");
    assert_eq!(doc.items_request.inner_bytes(), &v("items_request")[..]);
    assert_eq!(doc.items_request.value(), &items);
    assert_eq!(items.doc_type, "org.iso.18013.5.1.mDL");
    let reader_auth = doc.reader_auth.as_ref().expect("readerAuth present");
    assert_eq!(cbor::to_vec(reader_auth), v("reader_auth"));
    let _: mdl_proximity::msg::CoseSign1 = round_trip("reader_auth");

    // ReaderAuthenticationBytes from the transcript and the ItemsRequestBytes as received.
    let rab = ReaderAuthentication {
        session_transcript: transcript().into_value(),
        items_request: doc.items_request.clone(),
    }
    .to_tagged_bytes();
    assert_eq!(rab, v("reader_authentication_bytes"));
    assert_eq!(
        ReaderAuthentication::bytes(&transcript(), &doc.items_request),
        rab,
        "spliced form"
    );
    let sign1 = reader_auth.inner();
    let sig_structure = sig_structure_data(
        SignatureContext::CoseSign1,
        sign1.protected.clone(),
        None,
        &[],
        &rab,
    );
    assert_eq!(sig_structure, v("reader_sig_structure"));

    // The x5chain leaf is the reader certificate; it chains to the reader root.
    let chain = sign1_x5chain(sign1).unwrap();
    assert_eq!(chain, vec![v("reader_cert")]);
    let reader_cert = x509_cert::Certificate::from_der(&v("reader_cert")).unwrap();
    let root = x509_cert::Certificate::from_der(&v("reader_root_cert")).unwrap();
    let root_key = mdl_proximity::crypto::certificate_public_key(&root).unwrap();
    verify_certificate_signature(&v("reader_cert"), &root_key).unwrap();
    verify_certificate_signature(&v("reader_root_cert"), &root_key).unwrap();
    let reader_key = mdl_proximity::crypto::certificate_public_key(&reader_cert).unwrap();
    verify_sign1_detached(sign1, &reader_key, &rab).unwrap();
}

// ---- response: issuer data authentication -------------------------------------------------

fn mso() -> Tag24<MobileSecurityObject> {
    Tag24::from_tagged_slice(&v("mso_bytes")).unwrap()
}

#[test]
fn issuer_authentication() {
    let response: DeviceResponse = round_trip("device_response");
    let doc = response.documents.as_ref().unwrap().first().clone();
    let issuer_auth = doc.issuer_signed.issuer_auth.inner();
    assert_eq!(
        cbor::to_vec(&doc.issuer_signed.issuer_auth),
        v("issuer_auth")
    );
    let _: mdl_proximity::msg::CoseSign1 = round_trip("issuer_auth");
    assert_eq!(issuer_auth.payload.as_deref(), Some(&v("mso_bytes")[..]));
    let sig_structure = sig_structure_data(
        SignatureContext::CoseSign1,
        issuer_auth.protected.clone(),
        None,
        &[],
        &v("mso_bytes"),
    );
    assert_eq!(sig_structure, v("issuer_sig_structure"));

    // DS certificate from x5chain, issued by the IACA; the MSO signed by the DS key.
    assert_eq!(sign1_x5chain(issuer_auth).unwrap(), vec![v("ds_cert")]);
    let iaca = x509_cert::Certificate::from_der(&v("iaca_cert")).unwrap();
    let iaca_key = mdl_proximity::crypto::certificate_public_key(&iaca).unwrap();
    verify_certificate_signature(&v("ds_cert"), &iaca_key).unwrap();
    let ds = x509_cert::Certificate::from_der(&v("ds_cert")).unwrap();
    let ds_key = mdl_proximity::crypto::certificate_public_key(&ds).unwrap();
    verify_sign1(issuer_auth, &ds_key).unwrap();

    // The 2nd-edition draft's IACA private key matches the certificate.
    let iaca_private =
        SoftwareDeviceKey::from_bytes(Curve::P256, &v("iaca_private_key_d")).unwrap();
    assert_eq!(iaca_private.public_key(), iaca_key);

    // The MSO: device key = SDeviceKey, docType, digests.
    let mso = mso();
    assert_eq!(mso.tagged_bytes(), v("mso_bytes"));
    assert_eq!(mso.value().doc_type, doc.doc_type);
    assert_eq!(
        mso.value().device_key_info.device_key,
        p256_public("s_device_key_x", "s_device_key_y")
    );
}

#[test]
fn every_disclosed_item_matches_its_digest_and_expected_value() {
    use sha2::{Digest, Sha256};
    let mso = mso();
    let digests = &mso.value().value_digests["org.iso.18013.5.1"].0;
    let response: DeviceResponse = round_trip("device_response");
    let doc = response.documents.as_ref().unwrap().first().clone();
    let items = &doc.issuer_signed.name_spaces.as_ref().unwrap()["org.iso.18013.5.1"];
    for (item_vector, expected_vector, id) in [
        ("issuer_signed_item_family_name", "expected_family_name", 0),
        ("issuer_signed_item_issue_date", "expected_issue_date", 3),
        ("issuer_signed_item_expiry_date", "expected_expiry_date", 4),
        (
            "issuer_signed_item_document_number",
            "expected_document_number",
            7,
        ),
        ("issuer_signed_item_portrait", "expected_portrait", 8),
        (
            "issuer_signed_item_driving_privileges",
            "expected_driving_privileges",
            9,
        ),
    ] {
        let item: Tag24<IssuerSignedItem> = round_trip(item_vector);
        assert_eq!(item.value().digest_id, id, "{item_vector}");
        assert_eq!(
            Sha256::digest(item.tagged_bytes()).to_vec(),
            digests[&id].0,
            "{item_vector} digest"
        );
        assert_eq!(
            cbor::value_to_vec(&item.value().element_value),
            v(expected_vector),
            "{expected_vector}"
        );
        assert!(
            items.iter().any(|i| i.tagged_bytes() == v(item_vector)),
            "{item_vector} is in the response"
        );
    }
    assert_eq!(
        v("driving_privileges_example"),
        v("expected_driving_privileges")
    );
    let Value::Bytes(portrait) =
        cbor::value_from_slice(&v("expected_portrait"), &Default::default()).unwrap()
    else {
        panic!("portrait is a bstr")
    };
    assert_eq!(portrait, v("portrait_jpeg"));
    assert_eq!(&portrait[..2], &[0xff, 0xd8], "a JPEG");
}

// ---- response: device authentication (deviceMac) ------------------------------------------

#[test]
fn device_mac() {
    let response: DeviceResponse = round_trip("device_response");
    let doc = response.documents.as_ref().unwrap().first().clone();
    let DeviceAuth::Mac(mac) = &doc.device_signed.device_auth else {
        panic!("deviceMac")
    };
    assert_eq!(
        cbor::to_vec(&doc.device_signed.device_auth),
        v("device_auth")
    );
    let _: DeviceAuth = round_trip("device_auth");

    let dab = DeviceAuthentication {
        session_transcript: transcript().into_value(),
        doc_type: doc.doc_type.clone(),
        device_name_spaces: doc.device_signed.name_spaces.clone(),
    }
    .to_tagged_bytes();
    assert_eq!(dab, v("device_authentication_bytes"));
    let spliced =
        DeviceAuthentication::bytes(&transcript(), &doc.doc_type, &doc.device_signed.name_spaces);
    assert_eq!(spliced, dab, "spliced form");
    let mac_structure = coset::mac_structure_data(
        coset::MacContext::CoseMac0,
        mac.inner().protected.clone(),
        &[],
        &dab,
    );
    assert_eq!(mac_structure, v("mac_structure"));

    let st = v("session_transcript_bytes");
    let s_device = SoftwareDeviceKey::from_bytes(Curve::P256, &v("s_device_key_d")).unwrap();
    let e_reader_public = p256_public("e_reader_key_x", "e_reader_key_y");
    assert_eq!(
        s_device.agree(&e_reader_public).unwrap().expose_secret(),
        &v("zab_emac")[..]
    );
    let holder_key = EMacKey::for_holder(&s_device, &e_reader_public, &st).unwrap();
    let reader_key = EMacKey::for_reader(&e_reader_key(), &s_device.public_key(), &st).unwrap();
    assert_eq!(holder_key.expose_secret().to_vec(), v("emac_key"));
    assert_eq!(reader_key.expose_secret().to_vec(), v("emac_key"));
    assert_eq!(
        create_device_mac(&holder_key, &dab).tag,
        v("device_mac_tag")
    );
    verify_device_mac(&reader_key, mac.inner(), &dab).unwrap();
}

// ---- coverage -------------------------------------------------------------------------------

#[test]
fn every_vector_is_named_in_a_test() {
    let json: serde_json::Value = serde_json::from_str(VECTORS).unwrap();
    let this_file = include_str!("annex_d.rs");
    let mut missing = vec![];
    for name in json
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with('_'))
    {
        if !this_file.contains(&format!("\"{name}\"")) {
            missing.push(name.clone());
        }
    }
    assert!(missing.is_empty(), "vectors not covered: {missing:?}");
    assert_eq!(json.as_object().unwrap().len(), 68, "67 vectors and _about");
}
