//! The crypto providers agree with each other and with published vectors, and each turns bad
//! peer input (points, scalars, signatures, ciphertexts) into the same typed error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use coset::iana::Algorithm;
use mdl_proximity::crypto::{
    CoseKey, CryptoError, CryptoProvider, Curve, EcY, EphemeralPrivateKey, KeyParams, Role,
    SeededRng, SessionKeys, Signer as _, SoftwareDeviceKey, SoftwareSigner,
};

fn providers() -> &'static [CryptoProvider] {
    CryptoProvider::all()
}

fn usable(curve: Curve) -> bool {
    cfg!(feature = "openssl") || !matches!(curve, Curve::BRAINPOOL_P320R1 | Curve::BRAINPOOL_P512R1)
}

#[test]
fn every_provider_has_a_name() {
    let names: Vec<_> = providers().iter().map(|p| p.name()).collect();
    assert!(names.contains(&"RustCrypto"));
    assert_eq!(cfg!(feature = "aws-lc"), names.contains(&"aws-lc-rs"));
    assert_eq!(format!("{}", CryptoProvider::RUST_CRYPTO), "RustCrypto");
}

// ---- published vectors ------------------------------------------------------------------------

#[test]
fn sha256_hmac_and_hkdf_match_their_rfcs_on_every_provider() {
    for p in providers() {
        // FIPS 180-2 B.1.
        assert_eq!(
            hex::encode(p.sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "{p}"
        );
        // RFC 4231 test case 2.
        assert_eq!(
            hex::encode(p.hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            "{p}"
        );
        // RFC 5869 test case 1 (its first 32 bytes of OKM).
        let okm = p.hkdf_sha256(
            &[0x0b; 22],
            &hex::decode("000102030405060708090a0b0c").unwrap(),
            &hex::decode("f0f1f2f3f4f5f6f7f8f9").unwrap(),
        );
        assert_eq!(
            hex::encode(*okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf",
            "{p}"
        );
    }
}

// ---- keys, key agreement and signatures across providers --------------------------------------

/// A valid private key of the curve's length (P-521: the top byte holds one bit).
fn scalar(curve: Curve) -> Vec<u8> {
    let mut d = vec![0x11u8; curve.coordinate_len().unwrap()];
    if curve == Curve::P521 {
        d[0] = 0x01;
    }
    d
}

#[test]
fn the_same_private_bytes_give_the_same_public_key_on_every_provider() {
    for curve in Curve::KEY_AGREEMENT.into_iter().filter(|c| usable(*c)) {
        let d = scalar(curve);
        let publics: Vec<CoseKey> = providers()
            .iter()
            .map(|p| {
                EphemeralPrivateKey::from_bytes_with(*p, curve, &d)
                    .unwrap()
                    .public_key()
                    .unwrap()
            })
            .collect();
        assert!(publics.windows(2).all(|w| w[0] == w[1]), "{curve}");
    }
    for curve in Curve::SIGNATURE.into_iter().filter(|c| usable(*c)) {
        let d = scalar(curve);
        let publics: Vec<CoseKey> = providers()
            .iter()
            .map(|p| {
                SoftwareSigner::from_bytes_with(*p, curve, &d)
                    .unwrap()
                    .public_key()
            })
            .collect();
        assert!(publics.windows(2).all(|w| w[0] == w[1]), "{curve}");
    }
}

#[test]
fn key_agreement_across_providers_gives_one_secret() {
    let mut rng = SeededRng::new(2);
    for curve in Curve::KEY_AGREEMENT.into_iter().filter(|c| usable(*c)) {
        for a in providers() {
            for b in providers() {
                let ka = EphemeralPrivateKey::generate_with(*a, curve, &mut rng).unwrap();
                let kb = SoftwareDeviceKey::generate_with(*b, curve, &mut rng).unwrap();
                use mdl_proximity::crypto::DeviceKeyAgreement as _;
                let z1 = ka.agree(&kb.public_key()).unwrap();
                let z2 = kb.agree(&ka.public_key().unwrap()).unwrap();
                assert_eq!(z1.expose_secret(), z2.expose_secret(), "{curve} {a} {b}");
            }
        }
    }
}

#[test]
fn a_compressed_peer_point_gives_the_same_secret_on_every_provider() {
    let mut rng = SeededRng::new(3);
    for curve in [
        Curve::P256,
        Curve::P384,
        Curve::P521,
        Curve::BRAINPOOL_P256R1,
    ] {
        for p in providers() {
            let ours = EphemeralPrivateKey::generate_with(*p, curve, &mut rng).unwrap();
            let theirs = EphemeralPrivateKey::generate_with(*p, curve, &mut rng).unwrap();
            let full = theirs.public_key().unwrap();
            let KeyParams::Ec2 {
                x,
                y: EcY::Coordinate(y),
            } = &full.params
            else {
                panic!("uncompressed")
            };
            let odd = y.last().is_some_and(|b| b & 1 == 1);
            let compressed = CoseKey {
                curve,
                params: KeyParams::Ec2 {
                    x: x.clone(),
                    y: EcY::Sign(odd),
                },
            };
            assert_eq!(
                ours.agree(&full).unwrap().expose_secret(),
                ours.agree(&compressed).unwrap().expose_secret(),
                "{curve} {p}"
            );
        }
    }
}

#[test]
fn signatures_verify_across_providers_on_every_curve() {
    let mut rng = SeededRng::new(4);
    let msg = b"MobileSecurityObjectBytes";
    for curve in Curve::SIGNATURE.into_iter().filter(|c| usable(*c)) {
        for signer_provider in providers() {
            let signer = SoftwareSigner::generate_with(*signer_provider, curve, &mut rng).unwrap();
            let sig = signer.sign(msg).unwrap();
            for verifier in providers() {
                verifier
                    .verify_signature(&signer.public_key(), signer.algorithm(), msg, &sig)
                    .unwrap_or_else(|e| panic!("{curve}: {signer_provider} → {verifier}: {e}"));
                assert!(matches!(
                    verifier.verify_signature(
                        &signer.public_key(),
                        signer.algorithm(),
                        b"other",
                        &sig
                    ),
                    Err(CryptoError::InvalidSignature)
                ));
            }
        }
    }
}

#[test]
fn session_encryption_across_providers() {
    let mut rng = SeededRng::new(5);
    let transcript = b"\xd8\x18\x41\x00";
    for a in providers() {
        for b in providers() {
            let reader_key = EphemeralPrivateKey::generate_with(*a, Curve::P256, &mut rng).unwrap();
            let holder_key = EphemeralPrivateKey::generate_with(*b, Curve::P256, &mut rng).unwrap();
            let z_reader = reader_key.agree(&holder_key.public_key().unwrap()).unwrap();
            let z_holder = holder_key.agree(&reader_key.public_key().unwrap()).unwrap();
            let reader_keys = SessionKeys::derive_with(*a, &z_reader, transcript, Role::Reader);
            let holder_keys = SessionKeys::derive_with(*b, &z_holder, transcript, Role::Holder);
            assert_eq!(
                reader_keys.expose_sk_reader(),
                holder_keys.expose_sk_reader()
            );
            let mut reader = reader_keys.into_cipher();
            let mut holder = holder_keys.into_cipher();
            let sent = reader.encrypt(b"DeviceRequest").unwrap();
            assert_eq!(holder.decrypt(&sent).unwrap(), b"DeviceRequest", "{a} {b}");
            let mut back = holder.encrypt(b"DeviceResponse").unwrap();
            back[0] ^= 1;
            assert!(
                matches!(reader.decrypt(&back), Err(CryptoError::Decrypt)),
                "{a} {b}"
            );
            // Truncated below the tag length.
            assert!(
                matches!(reader.decrypt(&[0u8; 5]), Err(CryptoError::Decrypt)),
                "{a} {b}"
            );
        }
    }
}

// ---- bad input from a peer, on every provider ---------------------------------------------------

fn off_curve(curve: Curve) -> CoseKey {
    let len = curve.coordinate_len().unwrap();
    CoseKey::ec2(curve, vec![1; len], vec![2; len])
}

#[test]
fn bad_peer_points_are_invalid_public_keys_on_every_provider() {
    let mut rng = SeededRng::new(6);
    for p in providers() {
        for curve in [Curve::P256, Curve::P384, Curve::P521] {
            let key = EphemeralPrivateKey::generate_with(*p, curve, &mut rng).unwrap();
            let len = curve.coordinate_len().unwrap();
            for (what, peer) in [
                ("off the curve", off_curve(curve)),
                (
                    "short x",
                    CoseKey::ec2(curve, vec![1; len - 1], vec![2; len]),
                ),
                (
                    "the identity (zeros)",
                    CoseKey::ec2(curve, vec![0; len], vec![0; len]),
                ),
                ("OKP on an EC2 curve", CoseKey::okp(curve, vec![9; len])),
            ] {
                assert!(
                    matches!(key.agree(&peer), Err(CryptoError::InvalidPublicKey { .. })),
                    "{p} {curve}: {what}: {:?}",
                    key.agree(&peer)
                );
            }
            let other = if curve == Curve::P256 {
                Curve::P384
            } else {
                Curve::P256
            };
            assert!(matches!(
                key.agree(&off_curve(other)),
                Err(CryptoError::CurveMismatch { .. })
            ));
            // A signature check with an off-curve key is an invalid key, not a panic.
            let alg = mdl_proximity::crypto::signature_algorithm(curve).unwrap();
            assert!(matches!(
                p.verify_signature(&off_curve(curve), alg, b"m", &vec![1; 2 * len]),
                Err(CryptoError::InvalidPublicKey { .. })
            ));
        }
        // X25519: the all-zero u-coordinate is of low order (RFC 7748 6.1); wrong lengths fail.
        let key = EphemeralPrivateKey::generate_with(*p, Curve::X25519, &mut rng).unwrap();
        for peer in [
            CoseKey::okp(Curve::X25519, vec![0; 32]),
            CoseKey::okp(Curve::X25519, vec![9; 31]),
        ] {
            assert!(
                matches!(key.agree(&peer), Err(CryptoError::InvalidPublicKey { .. })),
                "{p}: {:?}",
                key.agree(&peer)
            );
        }
    }
}

/// The group orders, big-endian: a scalar equal to n is invalid, as is 0.
const P256_N: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
const P384_N: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973";

#[test]
fn bad_private_scalars_are_invalid_private_keys_on_every_provider() {
    for p in providers() {
        for (curve, n) in [(Curve::P256, P256_N), (Curve::P384, P384_N)] {
            let n = hex::decode(n).unwrap();
            let len = n.len();
            for (what, d) in [
                ("zero", vec![0u8; len]),
                ("the order", n.clone()),
                ("all ones", vec![0xff; len]),
                ("short", vec![1u8; len - 1]),
            ] {
                assert!(
                    matches!(
                        EphemeralPrivateKey::from_bytes_with(*p, curve, &d),
                        Err(CryptoError::InvalidPrivateKey { .. })
                    ),
                    "{p} {curve} ECDH: {what}"
                );
                assert!(
                    matches!(
                        SoftwareSigner::from_bytes_with(*p, curve, &d),
                        Err(CryptoError::InvalidPrivateKey { .. })
                    ),
                    "{p} {curve} ECDSA: {what}"
                );
            }
        }
        assert!(matches!(
            SoftwareSigner::from_bytes_with(*p, Curve::ED25519, &[1; 31]),
            Err(CryptoError::InvalidPrivateKey { .. })
        ));
        assert!(matches!(
            SoftwareSigner::from_bytes_with(*p, Curve::X25519, &[1; 32]),
            Err(CryptoError::UnsupportedCurve(_))
        ));
    }
}

#[test]
fn bad_signatures_are_invalid_on_every_provider() {
    let mut rng = SeededRng::new(7);
    for p in providers() {
        for curve in [Curve::P256, Curve::P384, Curve::P521, Curve::ED25519] {
            let signer = SoftwareSigner::generate_with(*p, curve, &mut rng).unwrap();
            let (key, alg) = (signer.public_key(), signer.algorithm());
            let sig = signer.sign(b"m").unwrap();
            let half = sig.len() / 2;
            let mut high_s = sig.clone();
            high_s[half..].fill(0xff); // s above the group order
            let mut zero_r = sig.clone();
            zero_r[..half].fill(0);
            for (what, bad) in [
                ("empty", vec![]),
                ("one byte short", sig[..sig.len() - 1].to_vec()),
                ("one byte long", [sig.as_slice(), &[0]].concat()),
                ("all zero", vec![0; sig.len()]),
                ("s out of range", high_s),
                ("r zero", zero_r),
            ] {
                assert!(
                    matches!(
                        p.verify_signature(&key, alg, b"m", &bad),
                        Err(CryptoError::InvalidSignature)
                    ),
                    "{p} {curve}: {what}"
                );
            }
        }
        // The algorithm must fit the curve (ES256 with a P-384 key).
        let p384 = SoftwareSigner::generate_with(*p, Curve::P384, &mut rng).unwrap();
        let sig = p384.sign(b"m").unwrap();
        assert!(matches!(
            p.verify_signature(&p384.public_key(), Algorithm::ES256, b"m", &sig),
            Err(CryptoError::UnsupportedAlgorithm(_))
        ));
    }
}

/// Ed25519 verification is strict with every provider: a small-order public key (here the
/// identity, y = 1) is refused even with a signature that the cofactorless equation accepts.
#[test]
fn ed25519_small_order_keys_are_refused_on_every_provider() {
    let mut identity = vec![0u8; 32];
    identity[0] = 1;
    let key = CoseKey::okp(Curve::ED25519, identity.clone());
    // R = identity, S = 0: R + H·A = identity for A = identity.
    let sig = [identity, vec![0u8; 32]].concat();
    for p in providers() {
        assert!(
            p.verify_signature(&key, Algorithm::EdDSA, b"anything", &sig)
                .is_err(),
            "{p}"
        );
    }
}
