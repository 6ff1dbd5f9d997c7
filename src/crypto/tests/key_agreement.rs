use super::util::{hex, ka_curves, TestRng};
use crate::crypto::{CoseKey, CryptoError, Curve, EcY, EphemeralPrivateKey, KeyParams};

#[test]
fn both_directions_agree_on_every_curve() {
    let mut rng = TestRng::new(1);
    for curve in ka_curves() {
        let a = EphemeralPrivateKey::generate(curve, &mut rng).unwrap();
        let b = EphemeralPrivateKey::generate(curve, &mut rng).unwrap();
        assert_eq!(a.curve(), curve);
        let za = a.agree(&b.public_key().unwrap()).unwrap();
        let zb = b.agree(&a.public_key().unwrap()).unwrap();
        assert_eq!(za.expose_secret(), zb.expose_secret(), "{curve}");
        assert_eq!(
            za.expose_secret().len(),
            curve.coordinate_len().unwrap(),
            "{curve}"
        );
    }
}

#[test]
fn public_keys_have_curve_lengths_and_kty() {
    let mut rng = TestRng::new(2);
    for curve in ka_curves() {
        let k = EphemeralPrivateKey::generate(curve, &mut rng)
            .unwrap()
            .public_key()
            .unwrap();
        let len = curve.coordinate_len().unwrap();
        match k.params {
            KeyParams::Ec2 {
                x,
                y: EcY::Coordinate(y),
            } => {
                assert!(curve != Curve::X25519 && curve != Curve::X448);
                assert_eq!((x.len(), y.len()), (len, len), "{curve}");
            }
            KeyParams::Okp { x } => {
                assert!(curve == Curve::X25519 || curve == Curve::X448);
                assert_eq!(x.len(), len);
            }
            other => panic!("{curve}: {other:?}"),
        }
    }
}

#[test]
fn annex_d_p256_shared_secret() {
    let device = EphemeralPrivateKey::from_bytes(
        Curve::P256,
        &hex("c1917a1579949a042f1ba9fc53a2df9b1bc47adf31c10f813ed75702d1c1f136"),
    )
    .unwrap();
    let reader = EphemeralPrivateKey::from_bytes(
        Curve::P256,
        &hex("de3b4b9e5f72dd9b58406ae3091434da48a6f9fd010d88fcb0958e2cebec947c"),
    )
    .unwrap();
    let z = device.agree(&reader.public_key().unwrap()).unwrap();
    assert_eq!(
        z.expose_secret(),
        hex("6423502f843d8cda01fbd9fa46cb397534a740ab1ec3d1076fbcb12e1dca2589")
    );
    // Annex D EDeviceKey public x.
    let KeyParams::Ec2 { x, .. } = device.public_key().unwrap().params else {
        panic!()
    };
    assert_eq!(
        x,
        hex("5a88d182bce5f42efa59943f33359d2e8a968ff289d93e5fa444b624343167fe")
    );
}

#[test]
fn x25519_rfc7748_vector() {
    // RFC 7748 6.1.
    let alice = EphemeralPrivateKey::from_bytes(
        Curve::X25519,
        &hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
    )
    .unwrap();
    let bob_pub = CoseKey::okp(
        Curve::X25519,
        hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"),
    );
    let KeyParams::Okp { x } = alice.public_key().unwrap().params else {
        panic!()
    };
    assert_eq!(
        x,
        hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
    );
    assert_eq!(
        alice.agree(&bob_pub).unwrap().expose_secret(),
        hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
    );
}

#[test]
fn x448_rfc7748_vector() {
    let alice = EphemeralPrivateKey::from_bytes(
        Curve::X448,
        &hex("9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391006382a6f127ab1d9ac2d8c0a598726b"),
    )
    .unwrap();
    let bob_pub = CoseKey::okp(
        Curve::X448,
        hex("3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972fc3e34fb4232a13ca706dcb57aec3dae07bdc1c67bf33609"),
    );
    assert_eq!(
        alice.agree(&bob_pub).unwrap().expose_secret(),
        hex("07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a449a5037514a879d")
    );
}

#[test]
fn wrong_curve_is_curve_mismatch() {
    let mut rng = TestRng::new(3);
    let a = EphemeralPrivateKey::generate(Curve::P256, &mut rng).unwrap();
    let b = EphemeralPrivateKey::generate(Curve::P384, &mut rng).unwrap();
    assert!(matches!(
        a.agree(&b.public_key().unwrap()),
        Err(CryptoError::CurveMismatch {
            ours: Curve::P256,
            theirs: Curve::P384
        })
    ));
}

#[test]
fn point_not_on_curve_is_rejected() {
    let mut rng = TestRng::new(4);
    for curve in ka_curves()
        .into_iter()
        .filter(|c| *c != Curve::X25519 && *c != Curve::X448)
    {
        let a = EphemeralPrivateKey::generate(curve, &mut rng).unwrap();
        let mut peer = EphemeralPrivateKey::generate(curve, &mut rng)
            .unwrap()
            .public_key()
            .unwrap();
        if let KeyParams::Ec2 {
            y: EcY::Coordinate(y),
            ..
        } = &mut peer.params
        {
            let last = y.len() - 1;
            y[last] ^= 1;
        }
        assert!(
            matches!(a.agree(&peer), Err(CryptoError::InvalidPublicKey { curve: c, .. }) if c == curve),
            "{curve}"
        );
    }
}

#[test]
fn compressed_peer_point_is_accepted() {
    let mut rng = TestRng::new(5);
    for curve in ka_curves()
        .into_iter()
        .filter(|c| *c != Curve::X25519 && *c != Curve::X448)
    {
        let a = EphemeralPrivateKey::generate(curve, &mut rng).unwrap();
        let b = EphemeralPrivateKey::generate(curve, &mut rng).unwrap();
        let full = b.public_key().unwrap();
        let KeyParams::Ec2 {
            x,
            y: EcY::Coordinate(y),
        } = full.params.clone()
        else {
            panic!()
        };
        let odd = y.last().unwrap() & 1 == 1;
        let compressed = CoseKey {
            curve,
            params: KeyParams::Ec2 {
                x,
                y: EcY::Sign(odd),
            },
        };
        assert_eq!(
            a.agree(&compressed).unwrap().expose_secret(),
            a.agree(&full).unwrap().expose_secret(),
            "{curve}"
        );
    }
}

#[test]
fn wrong_coordinate_length_is_rejected() {
    let mut rng = TestRng::new(6);
    let a = EphemeralPrivateKey::generate(Curve::P256, &mut rng).unwrap();
    let peer = CoseKey::ec2(Curve::P256, vec![1; 31], vec![2; 32]);
    assert!(matches!(
        a.agree(&peer),
        Err(CryptoError::InvalidPublicKey { .. })
    ));
    let x = EphemeralPrivateKey::generate(Curve::X25519, &mut rng).unwrap();
    let peer = CoseKey::okp(Curve::X25519, vec![9; 31]);
    assert!(matches!(
        x.agree(&peer),
        Err(CryptoError::InvalidPublicKey { .. })
    ));
}

#[test]
fn wrong_kty_is_rejected() {
    let mut rng = TestRng::new(7);
    let a = EphemeralPrivateKey::generate(Curve::P256, &mut rng).unwrap();
    let peer = CoseKey::okp(Curve::P256, vec![1; 32]);
    assert!(matches!(
        a.agree(&peer),
        Err(CryptoError::InvalidPublicKey { .. })
    ));
    let x = EphemeralPrivateKey::generate(Curve::X25519, &mut rng).unwrap();
    let peer = CoseKey::ec2(Curve::X25519, vec![9; 32], vec![9; 32]);
    assert!(matches!(
        x.agree(&peer),
        Err(CryptoError::InvalidPublicKey { .. })
    ));
}

#[test]
fn low_order_montgomery_points_are_rejected() {
    let mut rng = TestRng::new(8);
    let a = EphemeralPrivateKey::generate(Curve::X25519, &mut rng).unwrap();
    for u in [vec![0u8; 32], {
        let mut one = vec![0u8; 32];
        one[0] = 1;
        one
    }] {
        assert!(matches!(
            a.agree(&CoseKey::okp(Curve::X25519, u)),
            Err(CryptoError::InvalidPublicKey { .. })
        ));
    }
    let b = EphemeralPrivateKey::generate(Curve::X448, &mut rng).unwrap();
    assert!(matches!(
        b.agree(&CoseKey::okp(Curve::X448, vec![0u8; 56])),
        Err(CryptoError::InvalidPublicKey { .. })
    ));
}

#[test]
fn unknown_and_signature_only_curves_are_unsupported() {
    let mut rng = TestRng::new(9);
    for curve in [Curve(42), Curve::ED25519, Curve::ED448] {
        assert!(matches!(
            EphemeralPrivateKey::generate(curve, &mut rng),
            Err(CryptoError::UnsupportedCurve(c)) if c == curve
        ));
    }
    assert!(matches!(
        EphemeralPrivateKey::from_bytes(Curve(42), &[1; 32]),
        Err(CryptoError::UnsupportedCurve(_))
    ));
}

#[cfg(not(feature = "openssl"))]
#[test]
fn brainpool_320_512_without_openssl_are_unsupported() {
    let mut rng = TestRng::new(10);
    for curve in [Curve::BRAINPOOL_P320R1, Curve::BRAINPOOL_P512R1] {
        assert!(matches!(
            EphemeralPrivateKey::generate(curve, &mut rng),
            Err(CryptoError::UnsupportedCurve(_))
        ));
    }
}

#[test]
fn invalid_private_scalars_are_rejected() {
    assert!(matches!(
        EphemeralPrivateKey::from_bytes(Curve::P256, &[0; 32]),
        Err(CryptoError::InvalidPrivateKey { .. })
    ));
    assert!(matches!(
        EphemeralPrivateKey::from_bytes(Curve::P256, &[0xff; 32]),
        Err(CryptoError::InvalidPrivateKey { .. })
    ));
    assert!(matches!(
        EphemeralPrivateKey::from_bytes(Curve::P521, &[1; 32]),
        Err(CryptoError::InvalidPrivateKey { .. })
    ));
}

#[test]
fn debug_is_redacted() {
    let k = EphemeralPrivateKey::from_bytes(
        Curve::P256,
        &hex("c1917a1579949a042f1ba9fc53a2df9b1bc47adf31c10f813ed75702d1c1f136"),
    )
    .unwrap();
    let s = format!("{k:?}");
    assert!(s.contains("redacted") && !s.contains("c1917a"), "{s}");
}
