//! VICAL (18013-5 Annex C) verification and docType-restricted trust anchors, with a test PKI
//! (tests/data/vical) and the Annex D IACA and response.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(clippy::disallowed_methods)] // an application stand-in: it may read the clock and files

use mdl_proximity::cbor::{self, Bstr, NonEmpty, Tag24, Value};
use mdl_proximity::crypto::{sign1_embedded, Curve, EphemeralPrivateKey, SoftwareSigner};
use mdl_proximity::msg::{CoseSign1, DeviceResponse, TDate};
use mdl_proximity::verify::vical::{self, CertificateInfo, Vical};
use mdl_proximity::verify::{self, CertPosition, Failure, TrustAnchors};

const JAN_2021: i64 = 1_609_459_200;
const JAN_2028: i64 = 1_830_297_600;

mod common;
use common::annex_d;

fn signer() -> SoftwareSigner {
    let d = hex::decode(include_str!("data/vical/signer_key_d.hex").trim()).unwrap();
    SoftwareSigner::from_bytes(Curve::P256, &d).unwrap()
}

fn roots() -> TrustAnchors {
    TrustAnchors::from_der(include_bytes!("data/vical/root.der")).unwrap()
}

fn vical_listing_iaca(doc_type: &str) -> Vical {
    Vical {
        version: "1.0".into(),
        provider: "test provider".into(),
        date: TDate::from_unix(JAN_2028 - 86_400).unwrap(),
        issue_id: Some(7),
        next_update: None,
        certificate_infos: vec![CertificateInfo {
            certificate: Bstr(annex_d("iaca_cert")),
            serial_number: Value::Integer(1.into()),
            ski: Bstr(vec![0x54, 0xfa]),
            doc_types: NonEmpty::one(doc_type.into()),
            certificate_profiles: None,
            issuing_authority: Some("utopia".into()),
            issuing_country: Some("US".into()),
            state_or_province_name: None,
            not_before: None,
            not_after: None,
        }],
    }
}

fn sign(vical: &Vical, signer: &SoftwareSigner, chain: &[Vec<u8>]) -> Vec<u8> {
    let sign1 = sign1_embedded(signer, cbor::to_vec(vical), chain).unwrap();
    cbor::to_vec(&CoseSign1::new(sign1).unwrap())
}

fn signer_chain() -> Vec<Vec<u8>> {
    vec![include_bytes!("data/vical/signer.der").to_vec()]
}

fn annex_d_report(trust: &TrustAnchors) -> verify::VerificationReport {
    let response: DeviceResponse = cbor::from_slice(&annex_d("device_response")).unwrap();
    let transcript = Tag24::from_tagged_slice(&annex_d("session_transcript_bytes")).unwrap();
    let key = EphemeralPrivateKey::from_bytes(Curve::P256, &annex_d("e_reader_key_d")).unwrap();
    verify::response(&response, &transcript, trust, Some(&key), JAN_2021)
}

#[test]
fn signed_vical_yields_anchors_that_verify_annex_d() {
    let listed = vical_listing_iaca("org.iso.18013.5.1.mDL");
    let signed = sign(&listed, &signer(), &signer_chain());
    let vical = vical::verify(&signed, &roots(), JAN_2028).unwrap();
    assert_eq!(vical, listed);
    let anchors = vical.trust_anchors().unwrap();
    assert_eq!(anchors.len(), 1);
    assert_eq!(
        anchors.iter().next().unwrap().doc_types(),
        Some(&["org.iso.18013.5.1.mDL".to_owned()][..])
    );
    let report = annex_d_report(&anchors);
    assert!(report.is_valid(), "{report}");
}

#[test]
fn vical_doc_type_restriction_is_applied() {
    let signed = sign(
        &vical_listing_iaca("org.iso.23220.photoid.1"),
        &signer(),
        &signer_chain(),
    );
    let anchors = vical::verify(&signed, &roots(), JAN_2028)
        .unwrap()
        .trust_anchors()
        .unwrap();
    let report = annex_d_report(&anchors);
    assert_eq!(
        report.documents()[0].failures(),
        [Failure::DocTypeNotAllowedByAnchor {
            doc_type: "org.iso.18013.5.1.mDL".into()
        }]
    );
}

#[test]
fn tampered_vical_is_invalid() {
    let mut signed = sign(
        &vical_listing_iaca("org.iso.18013.5.1.mDL"),
        &signer(),
        &signer_chain(),
    );
    let at = signed
        .windows(13)
        .position(|w| w == b"test provider")
        .unwrap();
    signed[at] ^= 0x01;
    let failures = vical::verify(&signed, &roots(), JAN_2028).unwrap_err();
    assert!(
        matches!(failures.as_slice(), [Failure::VicalInvalid { .. }]),
        "{failures:?}"
    );
    assert!(vical::verify(&[0xa0], &roots(), JAN_2028).is_err());
}

#[test]
fn vical_from_unknown_root_is_untrusted() {
    let signed = sign(
        &vical_listing_iaca("org.iso.18013.5.1.mDL"),
        &signer(),
        &signer_chain(),
    );
    let iaca = TrustAnchors::from_der(&annex_d("iaca_cert")).unwrap();
    let failures = vical::verify(&signed, &iaca, JAN_2028).unwrap_err();
    assert_eq!(
        failures,
        [Failure::UntrustedIssuer {
            issuer: "C=UT,CN=test vical root".into()
        }]
    );
}

#[test]
fn vical_signed_by_a_ca_certificate_has_the_wrong_profile() {
    // The IACA key signs directly: valid signature, but not a VICAL signer certificate.
    let iaca_key = SoftwareSigner::from_bytes(Curve::P256, &annex_d("iaca_private_key_d")).unwrap();
    let signed = sign(
        &vical_listing_iaca("org.iso.18013.5.1.mDL"),
        &iaca_key,
        &[annex_d("iaca_cert")],
    );
    let iaca = TrustAnchors::from_der(&annex_d("iaca_cert")).unwrap();
    let failures = vical::verify(&signed, &iaca, JAN_2021).unwrap_err();
    assert!(!failures.is_empty());
    assert!(failures.iter().all(|f| matches!(
        f,
        Failure::CertificateProfile {
            which: CertPosition::Leaf,
            ..
        }
    )));
}

#[test]
fn trust_anchors_load_from_pem_and_directories() {
    let pem = |der: &[u8]| {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    };
    let both = pem(&annex_d("iaca_cert")) + &pem(&annex_d("reader_root_cert"));
    let anchors = TrustAnchors::from_pem(&both).unwrap();
    assert_eq!(anchors.len(), 2);
    assert_eq!(anchors.iter().next().unwrap().der(), annex_d("iaca_cert"));

    let dir = std::env::temp_dir().join(format!("mdl-verify-anchors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.pem"), &both).unwrap();
    std::fs::write(dir.join("b.der"), include_bytes!("data/vical/root.der")).unwrap();
    let loaded = TrustAnchors::from_dir(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(loaded.len(), 3);
    assert!(TrustAnchors::from_pem("no certificate here").is_err());
    assert!(TrustAnchors::from_der(&[0x30, 0x00]).is_err());
}
