//! The test PKI: Annex B profiles, extensions and signatures on several curves.
#![allow(clippy::unwrap_used)]

use der::{Decode as _, DecodePem as _};
use mdl_proximity::crypto::{certificate_public_key, verify_certificate_signature, Curve};
use mdl_proximity::issuer::pki::{
    self, CertificateProfile, CertificateSpec, IssuerPki, ReaderPki, EKU_DOCUMENT_SIGNER,
    EKU_READER_AUTH,
};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, IssuerAltName, KeyUsage,
    SubjectKeyIdentifier,
};
use x509_cert::Certificate;

use mdl_proximity::crypto::SeededRng as TestRng;

const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn curves() -> Vec<Curve> {
    let mut c = vec![
        Curve::P256,
        Curve::P384,
        Curve::P521,
        Curve::ED25519,
        Curve::ED448,
        Curve::BRAINPOOL_P256R1,
        Curve::BRAINPOOL_P384R1,
    ];
    if cfg!(feature = "openssl") {
        c.push(Curve::BRAINPOOL_P320R1);
        c.push(Curve::BRAINPOOL_P512R1);
    }
    c
}

fn ext<'a, T: der::Decode<'a, Error = der::Error> + der::oid::AssociatedOid>(
    cert: &'a Certificate,
) -> (bool, T) {
    cert.tbs_certificate()
        .get_extension::<T>()
        .unwrap()
        .unwrap()
}

fn check_serial(cert: &Certificate) {
    let serial = cert.tbs_certificate().serial_number().as_bytes();
    assert!(!serial.is_empty() && serial.len() <= 20);
    assert_eq!(serial[0] & 0x80, 0, "serial is positive");
}

#[test]
fn iaca_and_document_signer_follow_annex_b_on_every_curve() {
    for curve in curves() {
        let mut rng = TestRng::new(curve.0 as u64);
        let pki = IssuerPki::generate(curve, "UT", NOW, &mut rng).unwrap();
        let iaca = Certificate::from_der(pki.iaca.der()).unwrap();
        let ds = Certificate::from_der(pki.ds.der()).unwrap();

        // Signatures: the IACA is self-signed, the DS is signed by the IACA.
        verify_certificate_signature(pki.iaca.der(), pki.iaca_key.public_key()).unwrap();
        verify_certificate_signature(pki.ds.der(), pki.iaca_key.public_key()).unwrap();
        assert!(verify_certificate_signature(pki.ds.der(), pki.ds_key.public_key()).is_err());
        assert_eq!(
            &certificate_public_key(&ds).unwrap(),
            pki.ds_key.public_key()
        );
        assert_eq!(
            &certificate_public_key(&iaca).unwrap(),
            pki.iaca_key.public_key()
        );

        // IACA: cA with pathLen 0, keyCertSign + cRLSign, SKI, issuerAltName, C.
        let (critical, bc) = ext::<BasicConstraints>(&iaca);
        assert!(
            critical && bc.ca && bc.path_len_constraint == Some(0),
            "{curve}"
        );
        let (critical, ku) = ext::<KeyUsage>(&iaca);
        assert!(critical && ku.key_cert_sign() && ku.crl_sign() && !ku.digital_signature());
        let (_, iaca_ski) = ext::<SubjectKeyIdentifier>(&iaca);
        ext::<IssuerAltName>(&iaca);
        let tbs = iaca.tbs_certificate();
        assert_eq!(tbs.subject(), tbs.issuer());
        assert_eq!(tbs.subject().country().unwrap().unwrap().as_str(), "UT");
        check_serial(&iaca);

        // DS: digitalSignature, EKU 1.0.18013.5.1.2 (critical), AKI = IACA's SKI, same C.
        let (critical, ku) = ext::<KeyUsage>(&ds);
        assert!(critical && ku.digital_signature() && !ku.key_cert_sign());
        let (critical, eku) = ext::<ExtendedKeyUsage>(&ds);
        assert!(critical);
        assert_eq!(eku.0, vec![EKU_DOCUMENT_SIGNER]);
        let (_, aki) = ext::<AuthorityKeyIdentifier>(&ds);
        assert_eq!(aki.key_identifier.unwrap(), iaca_ski.0);
        ext::<SubjectKeyIdentifier>(&ds);
        assert!(ds
            .tbs_certificate()
            .get_extension::<BasicConstraints>()
            .unwrap()
            .is_none());
        assert_eq!(
            ds.tbs_certificate().issuer(),
            iaca.tbs_certificate().subject()
        );
        assert_eq!(
            ds.tbs_certificate()
                .subject()
                .country()
                .unwrap()
                .unwrap()
                .as_str(),
            "UT"
        );
        check_serial(&ds);
        assert_ne!(
            ds.tbs_certificate().serial_number(),
            iaca.tbs_certificate().serial_number()
        );
    }
}

#[test]
fn reader_root_and_reader_certificate_carry_the_reader_eku() {
    for curve in [Curve::P256, Curve::P384, Curve::ED25519] {
        let mut rng = TestRng::new(7);
        let pki = ReaderPki::generate(curve, NOW, &mut rng).unwrap();
        let root = Certificate::from_der(pki.root.der()).unwrap();
        let reader = Certificate::from_der(pki.reader.der()).unwrap();
        verify_certificate_signature(pki.root.der(), pki.root_key.public_key()).unwrap();
        verify_certificate_signature(pki.reader.der(), pki.root_key.public_key()).unwrap();
        let (critical, bc) = ext::<BasicConstraints>(&root);
        assert!(critical && bc.ca);
        let (critical, eku) = ext::<ExtendedKeyUsage>(&reader);
        assert!(critical);
        assert_eq!(eku.0, vec![EKU_READER_AUTH]);
        let (_, ku) = ext::<KeyUsage>(&reader);
        assert!(ku.digital_signature());
        let (_, ski) = ext::<SubjectKeyIdentifier>(&root);
        let (_, aki) = ext::<AuthorityKeyIdentifier>(&reader);
        assert_eq!(aki.key_identifier.unwrap(), ski.0);
    }
}

#[test]
fn pem_output_parses_back_to_the_same_certificate() {
    let mut rng = TestRng::new(3);
    let pki = IssuerPki::generate(Curve::P256, "DE", NOW, &mut rng).unwrap();
    let pem = pki.ds.to_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
    let back = Certificate::from_pem(pem.as_bytes()).unwrap();
    assert_eq!(&back, pki.ds.certificate());
}

#[test]
fn validity_uses_utc_time_before_2050_and_generalized_time_after() {
    let mut rng = TestRng::new(4);
    let key = mdl_proximity::issuer::PrivateKey::generate(Curve::P256, &mut rng).unwrap();
    let spec = CertificateSpec {
        profile: CertificateProfile::Iaca,
        common_name: "Test, \"quoted\" IACA".into(),
        country: Some("UT".into()),
        organization: None,
        state_or_province: None,
        not_before: NOW,
        not_after: 2_556_144_000, // 2051-01-01
        issuer_alt_name_uri: Some("https://iaca.example.invalid".into()),
    };
    let cert = pki::self_signed(&spec, &key.signer().unwrap(), &mut rng).unwrap();
    let validity = cert.certificate().tbs_certificate().validity();
    assert!(matches!(
        validity.not_before,
        x509_cert::time::Time::UtcTime(_)
    ));
    assert!(matches!(
        validity.not_after,
        x509_cert::time::Time::GeneralTime(_)
    ));
    assert_eq!(validity.not_before.to_unix_duration().as_secs(), NOW as u64);
    let cn = cert
        .certificate()
        .tbs_certificate()
        .subject()
        .common_name()
        .unwrap();
    assert_eq!(cn.unwrap().value(), "Test, \"quoted\" IACA");
}

#[test]
fn profile_rules_are_enforced() {
    let mut rng = TestRng::new(5);
    let pki = IssuerPki::generate(Curve::P256, "UT", NOW, &mut rng).unwrap();
    let signer = pki.iaca_key.signer().unwrap();
    let mut spec = CertificateSpec {
        profile: CertificateProfile::DocumentSigner,
        common_name: "DS".into(),
        country: Some("FR".into()),
        organization: None,
        state_or_province: None,
        not_before: NOW,
        not_after: NOW + 1000,
        issuer_alt_name_uri: Some("https://x.invalid".into()),
    };
    // The DS's country must be the IACA's.
    assert!(pki::issue(&spec, pki.ds_key.public_key(), &pki.iaca, &signer, &mut rng).is_err());
    spec.country = Some("ut".into());
    assert!(pki::issue(&spec, pki.ds_key.public_key(), &pki.iaca, &signer, &mut rng).is_err());
    // A DS is never self-signed, an IACA never issued.
    spec.country = Some("UT".into());
    assert!(pki::self_signed(&spec, &signer, &mut rng).is_err());
    spec.profile = CertificateProfile::Iaca;
    assert!(pki::issue(&spec, pki.ds_key.public_key(), &pki.iaca, &signer, &mut rng).is_err());
    // issuerAlternativeName is mandatory for IACA.
    spec.issuer_alt_name_uri = None;
    assert!(pki::self_signed(&spec, &signer, &mut rng).is_err());
}
