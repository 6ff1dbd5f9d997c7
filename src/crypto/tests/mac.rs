use super::util::{ka_curves, TestRng};
use crate::crypto::{
    create_device_mac, verify_device_mac, CryptoError, Curve, DeviceKeyAgreement, EMacKey,
    EphemeralPrivateKey, SoftwareDeviceKey,
};

const ST: &[u8] = b"\xd8\x18\x43\x83\xf6\xf6";

#[test]
fn mac0_round_trip_on_every_curve() {
    let mut rng = TestRng::new(30);
    for curve in ka_curves() {
        let device = SoftwareDeviceKey::generate(curve, &mut rng).unwrap();
        let reader = EphemeralPrivateKey::generate(curve, &mut rng).unwrap();
        let hk = EMacKey::for_holder(&device, &reader.public_key().unwrap(), ST).unwrap();
        let rk = EMacKey::for_reader(&reader, &device.public_key(), ST).unwrap();
        let mac0 = create_device_mac(&hk, b"DeviceAuthenticationBytes");
        verify_device_mac(&rk, &mac0, b"DeviceAuthenticationBytes").unwrap();
    }
}

#[test]
fn mac0_shape() {
    let mut rng = TestRng::new(31);
    let device = SoftwareDeviceKey::generate(Curve::P256, &mut rng).unwrap();
    let k = EMacKey::for_holder(&device, &device.public_key(), ST).unwrap();
    let mac0 = create_device_mac(&k, b"p");
    use coset::CborSerializable as _;
    let bytes = mac0.to_vec().unwrap();
    // [h'a10105', {}, null, h'<32 bytes>']
    assert_eq!(
        &bytes[..8],
        &[0x84, 0x43, 0xa1, 0x01, 0x05, 0xa0, 0xf6, 0x58]
    );
    assert_eq!(bytes.len(), 8 + 1 + 32);
}

#[test]
fn mac0_tamper_fails() {
    let mut rng = TestRng::new(32);
    let device = SoftwareDeviceKey::generate(Curve::P256, &mut rng).unwrap();
    let k = EMacKey::for_holder(&device, &device.public_key(), ST).unwrap();
    let mut mac0 = create_device_mac(&k, b"payload");
    assert!(matches!(
        verify_device_mac(&k, &mac0, b"payloae"),
        Err(CryptoError::InvalidMac)
    ));
    mac0.tag[0] ^= 1;
    assert!(matches!(
        verify_device_mac(&k, &mac0, b"payload"),
        Err(CryptoError::InvalidMac)
    ));
    mac0.tag[0] ^= 1;
    mac0.payload = Some(b"payload".to_vec());
    assert!(matches!(
        verify_device_mac(&k, &mac0, b"payload"),
        Err(CryptoError::MalformedCose(_))
    ));
    let other = EMacKey::for_holder(&device, &device.public_key(), b"other transcript").unwrap();
    mac0.payload = None;
    assert!(matches!(
        verify_device_mac(&other, &mac0, b"payload"),
        Err(CryptoError::InvalidMac)
    ));
}

#[test]
fn device_key_curve_mismatch() {
    let mut rng = TestRng::new(33);
    let device = SoftwareDeviceKey::generate(Curve::P256, &mut rng).unwrap();
    let reader = EphemeralPrivateKey::generate(Curve::X25519, &mut rng).unwrap();
    assert!(matches!(
        EMacKey::for_holder(&device, &reader.public_key().unwrap(), ST),
        Err(CryptoError::CurveMismatch { .. })
    ));
    assert_eq!(device.curve(), Curve::P256);
    assert!(format!(
        "{device:?} {:?}",
        EMacKey::for_holder(&device, &device.public_key(), ST).unwrap()
    )
    .contains("redacted"));
}
