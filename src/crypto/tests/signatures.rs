use coset::iana::Algorithm;

use super::util::TestRng;
use crate::crypto::{
    sign1_detached, sign1_embedded, sign1_x5chain, verify_sign1, verify_sign1_detached,
    verify_signature, CoseKey, CryptoError, Curve, Signer, SoftwareSigner,
};

fn sig_curves() -> Vec<Curve> {
    Curve::SIGNATURE
        .into_iter()
        .filter(|c| {
            cfg!(feature = "openssl")
                || (*c != Curve::BRAINPOOL_P320R1 && *c != Curve::BRAINPOOL_P512R1)
        })
        .collect()
}

#[test]
fn sign_verify_round_trip_on_every_curve() {
    let mut rng = TestRng::new(20);
    for curve in sig_curves() {
        let signer = SoftwareSigner::generate(curve, &mut rng).unwrap();
        let alg = signer.algorithm();
        let sig = signer.sign(b"message").unwrap();
        let expected_len = match curve {
            Curve::ED25519 => 64,
            Curve::ED448 => 114,
            c => 2 * c.coordinate_len().unwrap(),
        };
        assert_eq!(sig.len(), expected_len, "{curve}");
        verify_signature(&signer.public_key(), alg, b"message", &sig).unwrap();
        let mut bad = sig.clone();
        bad[3] ^= 0x01;
        assert!(
            matches!(
                verify_signature(&signer.public_key(), alg, b"message", &bad),
                Err(CryptoError::InvalidSignature)
            ),
            "{curve}"
        );
        assert!(matches!(
            verify_signature(&signer.public_key(), alg, b"messagf", &sig),
            Err(CryptoError::InvalidSignature)
        ));
    }
}

#[test]
fn algorithms_follow_the_curve() {
    let mut rng = TestRng::new(21);
    let expected = [
        (Curve::P256, Algorithm::ES256),
        (Curve::BRAINPOOL_P256R1, Algorithm::ES256),
        (Curve::P384, Algorithm::ES384),
        (Curve::BRAINPOOL_P384R1, Algorithm::ES384),
        (Curve::P521, Algorithm::ES512),
        (Curve::ED25519, Algorithm::EdDSA),
        (Curve::ED448, Algorithm::EdDSA),
    ];
    for (curve, alg) in expected {
        assert_eq!(
            SoftwareSigner::generate(curve, &mut rng)
                .unwrap()
                .algorithm(),
            alg
        );
    }
}

#[test]
fn mismatched_algorithm_is_rejected() {
    let mut rng = TestRng::new(22);
    let signer = SoftwareSigner::generate(Curve::P384, &mut rng).unwrap();
    let sig = signer.sign(b"m").unwrap();
    assert!(matches!(
        verify_signature(&signer.public_key(), Algorithm::ES256, b"m", &sig),
        Err(CryptoError::UnsupportedAlgorithm(_))
    ));
    assert!(matches!(
        verify_signature(&signer.public_key(), Algorithm::EdDSA, b"m", &sig),
        Err(CryptoError::UnsupportedAlgorithm(_))
    ));
}

#[test]
fn key_agreement_only_curves_cannot_sign() {
    let mut rng = TestRng::new(23);
    for curve in [Curve::X25519, Curve::X448, Curve(99)] {
        assert!(matches!(
            SoftwareSigner::generate(curve, &mut rng),
            Err(CryptoError::UnsupportedCurve(_))
        ));
    }
}

#[test]
fn wrong_length_signature_is_invalid() {
    let mut rng = TestRng::new(24);
    let signer = SoftwareSigner::generate(Curve::P521, &mut rng).unwrap();
    let sig = signer.sign(b"m").unwrap();
    assert_eq!(sig.len(), 132);
    assert!(matches!(
        verify_signature(&signer.public_key(), Algorithm::ES512, b"m", &sig[..130]),
        Err(CryptoError::InvalidSignature)
    ));
}

#[test]
fn ed25519_rfc8032_test_1() {
    let sk =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").unwrap();
    let signer = SoftwareSigner::from_bytes(Curve::ED25519, &sk).unwrap();
    assert_eq!(
        signer.public_key(),
        CoseKey::okp(
            Curve::ED25519,
            hex::decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
                .unwrap()
        )
    );
    assert_eq!(
        hex::encode(signer.sign(b"").unwrap()),
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
    );
}

#[test]
fn sign1_detached_round_trip_with_x5chain() {
    let mut rng = TestRng::new(25);
    let signer = SoftwareSigner::generate(Curve::P256, &mut rng).unwrap();
    let chain = vec![vec![0x30, 0x01, 0x02], vec![0x30, 0x03, 0x04]];
    let sign1 = sign1_detached(&signer, b"detached", &chain).unwrap();
    assert_eq!(
        sign1.protected.clone().header.alg,
        Some(coset::RegisteredLabelWithPrivate::Assigned(
            Algorithm::ES256
        ))
    );
    assert!(sign1.payload.is_none());
    // Through the wire and back.
    use coset::CborSerializable as _;
    let bytes = sign1.to_vec().unwrap();
    assert_eq!(&bytes[..5], &[0x84, 0x43, 0xa1, 0x01, 0x26]);
    let received = coset::CoseSign1::from_slice(&bytes).unwrap();
    assert_eq!(sign1_x5chain(&received).unwrap(), chain);
    verify_sign1_detached(&received, &signer.public_key(), b"detached").unwrap();
    assert!(matches!(
        verify_sign1_detached(&received, &signer.public_key(), b"detachee"),
        Err(CryptoError::InvalidSignature)
    ));
    assert!(matches!(
        verify_sign1(&received, &signer.public_key()),
        Err(CryptoError::MalformedCose(_))
    ));

    let one = sign1_detached(&signer, b"x", &chain[..1]).unwrap();
    assert!(matches!(
        &one.unprotected.rest[0].1,
        coset::cbor::value::Value::Bytes(_)
    ));
    assert_eq!(sign1_x5chain(&one).unwrap(), chain[..1]);
    assert!(sign1_x5chain(&sign1_detached(&signer, b"x", &[]).unwrap())
        .unwrap()
        .is_empty());
}

#[test]
fn sign1_embedded_round_trip_and_tamper() {
    let mut rng = TestRng::new(26);
    let signer = SoftwareSigner::generate(Curve::ED25519, &mut rng).unwrap();
    let mut sign1 = sign1_embedded(&signer, b"mso".to_vec(), &[]).unwrap();
    verify_sign1(&sign1, &signer.public_key()).unwrap();
    assert!(matches!(
        verify_sign1_detached(&sign1, &signer.public_key(), b"mso"),
        Err(CryptoError::MalformedCose(_))
    ));
    sign1.payload = Some(b"msp".to_vec());
    assert!(matches!(
        verify_sign1(&sign1, &signer.public_key()),
        Err(CryptoError::InvalidSignature)
    ));
}

#[test]
fn x5chain_in_protected_header_is_found() {
    let mut sign1 = coset::CoseSign1Builder::new()
        .protected(
            coset::HeaderBuilder::new()
                .value(33, coset::cbor::value::Value::Bytes(vec![1, 2]))
                .build(),
        )
        .build();
    assert_eq!(sign1_x5chain(&sign1).unwrap(), vec![vec![1, 2]]);
    sign1.protected.header.rest[0].1 = coset::cbor::value::Value::Text("no".into());
    assert!(matches!(
        sign1_x5chain(&sign1),
        Err(CryptoError::MalformedCose(_))
    ));
}

#[test]
fn signer_debug_is_redacted() {
    let signer = SoftwareSigner::from_bytes(Curve::ED25519, &[7; 32]).unwrap();
    assert_eq!(format!("{signer:?}"), "SoftwareSigner(Ed25519, <redacted>)");
}
