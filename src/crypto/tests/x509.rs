use coset::CborSerializable as _;
use der::Decode as _;

use super::annex_d_vectors as v;
use super::util::{hex, TestRng};
use crate::crypto::{
    certificate_public_key, cose_key_from_spki_der, sign1_x5chain, spki_der_from_cose_key,
    verify_certificate_signature, verify_sign1, verify_sign1_detached, CryptoError, Curve, EcY,
    KeyParams, Signer, SoftwareSigner,
};

fn key_of(cert_hex: &str) -> crate::crypto::CoseKey {
    certificate_public_key(&x509_cert::Certificate::from_der(&hex(cert_hex)).unwrap()).unwrap()
}

#[test]
fn annex_d_certificate_chains_verify() {
    let root = key_of(v::READER_ROOT_CERT);
    assert_eq!(root.curve, Curve::P256);
    verify_certificate_signature(&hex(v::READER_CERT), &root).unwrap();
    verify_certificate_signature(&hex(v::READER_ROOT_CERT), &root).unwrap();
    let iaca = key_of(v::IACA_CERT);
    verify_certificate_signature(&hex(v::DS_CERT), &iaca).unwrap();
    // Wrong issuer.
    assert!(matches!(
        verify_certificate_signature(&hex(v::DS_CERT), &root),
        Err(CryptoError::InvalidSignature)
    ));
}

#[test]
fn annex_d_tampered_certificate_fails() {
    let iaca = key_of(v::IACA_CERT);
    let mut ds = hex(v::DS_CERT);
    // Flip a bit inside the TBSCertificate's validity/subject area.
    ds[200] ^= 0x01;
    assert!(verify_certificate_signature(&ds, &iaca).is_err());
}

#[test]
fn annex_d_reader_auth_and_issuer_auth_verify() {
    let reader_auth = coset::CoseSign1::from_slice(&hex(v::READER_AUTH)).unwrap();
    let chain = sign1_x5chain(&reader_auth).unwrap();
    assert_eq!(chain, vec![hex(v::READER_CERT)]);
    verify_sign1_detached(
        &reader_auth,
        &key_of(v::READER_CERT),
        &hex(v::READER_AUTHENTICATION_BYTES),
    )
    .unwrap();

    let issuer_auth = coset::CoseSign1::from_slice(&hex(v::ISSUER_AUTH)).unwrap();
    assert_eq!(sign1_x5chain(&issuer_auth).unwrap(), vec![hex(v::DS_CERT)]);
    verify_sign1(&issuer_auth, &key_of(v::DS_CERT)).unwrap();
}

#[test]
fn spki_round_trip_on_every_signature_curve() {
    let mut rng = TestRng::new(40);
    for curve in Curve::SIGNATURE {
        if !cfg!(feature = "openssl")
            && (curve == Curve::BRAINPOOL_P320R1 || curve == Curve::BRAINPOOL_P512R1)
        {
            continue;
        }
        let key = SoftwareSigner::generate(curve, &mut rng)
            .unwrap()
            .public_key();
        let der = spki_der_from_cose_key(&key).unwrap();
        assert_eq!(cose_key_from_spki_der(&der).unwrap(), key, "{curve}");
    }
}

#[test]
fn spki_compressed_point_and_off_curve_point() {
    let mut rng = TestRng::new(41);
    let key = SoftwareSigner::generate(Curve::P256, &mut rng)
        .unwrap()
        .public_key();
    let KeyParams::Ec2 {
        x,
        y: EcY::Coordinate(y),
    } = key.params.clone()
    else {
        panic!()
    };
    let compressed = crate::crypto::CoseKey {
        curve: Curve::P256,
        params: KeyParams::Ec2 {
            x: x.clone(),
            y: EcY::Sign(y[31] & 1 == 1),
        },
    };
    let der = spki_der_from_cose_key(&compressed).unwrap();
    assert_eq!(cose_key_from_spki_der(&der).unwrap(), compressed);

    let mut bad_y = y.clone();
    bad_y[31] ^= 1;
    let off = crate::crypto::CoseKey::ec2(Curve::P256, x, bad_y);
    assert!(matches!(
        spki_der_from_cose_key(&off),
        Err(CryptoError::InvalidPublicKey { .. })
    ));
}

#[test]
fn spki_unknown_algorithm_is_unsupported() {
    // An RSA SubjectPublicKeyInfo (rsaEncryption, tiny modulus).
    let der = hex("301c300d06092a864886f70d0101010500030b003008020300c0ff020103");
    assert!(matches!(
        cose_key_from_spki_der(&der),
        Err(CryptoError::UnsupportedAlgorithm(_))
    ));
}
