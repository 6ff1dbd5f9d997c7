use super::util::{ka_curves, TestRng};
use crate::crypto::{CryptoError, EphemeralPrivateKey, Role, SessionCipher, SessionKeys};

const TRANSCRIPT: &[u8] = b"\xd8\x18\x43\x83\xf6\xf6";

fn pair(curve: crate::crypto::Curve, seed: u64) -> (SessionCipher, SessionCipher) {
    let mut rng = TestRng::new(seed);
    let device = EphemeralPrivateKey::generate(curve, &mut rng).unwrap();
    let reader = EphemeralPrivateKey::generate(curve, &mut rng).unwrap();
    let zh = device.agree(&reader.public_key().unwrap()).unwrap();
    let zr = reader.agree(&device.public_key().unwrap()).unwrap();
    (
        SessionKeys::derive(&zh, TRANSCRIPT, Role::Holder).into_cipher(),
        SessionKeys::derive(&zr, TRANSCRIPT, Role::Reader).into_cipher(),
    )
}

#[test]
fn round_trip_both_directions_on_every_curve() {
    for (i, curve) in ka_curves().into_iter().enumerate() {
        let (mut holder, mut reader) = pair(curve, 100 + i as u64);
        for n in 1..=3u64 {
            let req = reader.encrypt(b"request").unwrap();
            assert_eq!(req.len(), 7 + 16);
            assert_eq!(holder.decrypt(&req).unwrap(), b"request", "{curve}");
            let rsp = holder.encrypt(b"response").unwrap();
            assert_eq!(reader.decrypt(&rsp).unwrap(), b"response", "{curve}");
            assert_eq!(
                (
                    reader.sent(),
                    reader.received(),
                    holder.sent(),
                    holder.received()
                ),
                (n, n, n, n)
            );
        }
    }
}

#[test]
fn counters_advance_so_ciphertexts_differ() {
    let (_, mut reader) = pair(crate::crypto::Curve::P256, 1);
    assert_ne!(
        reader.encrypt(b"same").unwrap(),
        reader.encrypt(b"same").unwrap()
    );
}

#[test]
fn replay_fails() {
    let (mut holder, mut reader) = pair(crate::crypto::Curve::P256, 2);
    let req = reader.encrypt(b"request").unwrap();
    holder.decrypt(&req).unwrap();
    assert!(matches!(holder.decrypt(&req), Err(CryptoError::Decrypt)));
}

#[test]
fn reordered_messages_fail() {
    let (mut holder, mut reader) = pair(crate::crypto::Curve::P256, 3);
    let _first = reader.encrypt(b"one").unwrap();
    let second = reader.encrypt(b"two").unwrap();
    assert!(matches!(holder.decrypt(&second), Err(CryptoError::Decrypt)));
}

#[test]
fn tampered_ciphertext_fails() {
    let (mut holder, mut reader) = pair(crate::crypto::Curve::P256, 4);
    let mut req = reader.encrypt(b"request").unwrap();
    req[0] ^= 0x80;
    assert!(matches!(holder.decrypt(&req), Err(CryptoError::Decrypt)));
    assert!(matches!(
        holder.decrypt(&[0u8; 5]),
        Err(CryptoError::Decrypt)
    ));
}

#[test]
fn own_messages_do_not_decrypt_as_peer_messages() {
    // Separate keys and IV identifiers per direction: a reflected message fails.
    let (_, mut reader) = pair(crate::crypto::Curve::P256, 5);
    let req = reader.encrypt(b"request").unwrap();
    assert!(matches!(reader.decrypt(&req), Err(CryptoError::Decrypt)));
}

#[test]
fn counter_exhaustion() {
    let (mut holder, mut reader) = pair(crate::crypto::Curve::P256, 6);
    reader.set_next_counters(u64::from(u32::MAX), 1);
    holder.set_next_counters(1, u64::from(u32::MAX));
    let last = reader.encrypt(b"last").unwrap();
    assert_eq!(holder.decrypt(&last).unwrap(), b"last");
    assert!(matches!(
        reader.encrypt(b"one more"),
        Err(CryptoError::CounterExhausted)
    ));
    assert!(matches!(
        holder.decrypt(&last),
        Err(CryptoError::CounterExhausted)
    ));
}

#[test]
fn keys_debug_is_redacted() {
    let mut rng = TestRng::new(7);
    let k = EphemeralPrivateKey::generate(crate::crypto::Curve::P256, &mut rng).unwrap();
    let z = k.agree(&k.public_key().unwrap()).unwrap();
    let keys = SessionKeys::derive(&z, TRANSCRIPT, Role::Reader);
    let dbg = format!("{keys:?} {z:?}");
    assert!(
        !dbg.contains(&format!("{:?}", keys.expose_sk_reader())),
        "{dbg}"
    );
    let cipher = keys.into_cipher();
    assert!(format!("{cipher:?}").contains("Reader"));
}
