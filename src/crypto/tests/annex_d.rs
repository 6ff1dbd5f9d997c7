use coset::CborSerializable as _;

use super::annex_d_vectors as v;
use super::util::hex;
use crate::crypto::{
    ble_ident, create_device_mac, device_mac_bytes, verify_device_mac, Curve, DeviceKeyAgreement,
    EMacKey, EphemeralPrivateKey, Role, SessionKeys, SoftwareDeviceKey,
};

fn keys() -> (EphemeralPrivateKey, EphemeralPrivateKey) {
    (
        EphemeralPrivateKey::from_bytes(Curve::P256, &hex(v::E_DEVICE_KEY_D)).unwrap(),
        EphemeralPrivateKey::from_bytes(Curve::P256, &hex(v::E_READER_KEY_D)).unwrap(),
    )
}

#[test]
fn session_keys() {
    let (device, reader) = keys();
    let z = reader.agree(&device.public_key().unwrap()).unwrap();
    assert_eq!(z.expose_secret(), hex(v::ZAB_SESSION));
    let st = hex(v::SESSION_TRANSCRIPT_BYTES);
    let k = SessionKeys::derive(&z, &st, Role::Reader);
    assert_eq!(k.expose_sk_reader().as_slice(), hex(v::SK_READER));
    assert_eq!(k.expose_sk_device().as_slice(), hex(v::SK_DEVICE));
}

#[test]
fn ble_ident_value() {
    assert_eq!(
        ble_ident(&hex(v::E_DEVICE_KEY_BYTES)).as_slice(),
        hex(v::BLE_IDENT)
    );
}

#[test]
fn emac_key_and_device_mac() {
    let (_, reader) = keys();
    let st = hex(v::SESSION_TRANSCRIPT_BYTES);
    let sdevice = SoftwareDeviceKey::from_bytes(Curve::P256, &hex(v::S_DEVICE_KEY_D)).unwrap();
    let z = sdevice.agree(&reader.public_key().unwrap()).unwrap();
    assert_eq!(z.expose_secret(), hex(v::ZAB_EMAC));
    let holder_key = EMacKey::for_holder(&sdevice, &reader.public_key().unwrap(), &st).unwrap();
    let reader_key = EMacKey::for_reader(&reader, &sdevice.public_key(), &st).unwrap();
    assert_eq!(holder_key.expose_secret().as_slice(), hex(v::EMAC_KEY));
    assert_eq!(reader_key.expose_secret().as_slice(), hex(v::EMAC_KEY));

    let payload = hex(v::DEVICE_AUTHENTICATION_BYTES);
    let mac0 = create_device_mac(&holder_key, &payload);
    assert_eq!(mac0.tag, hex(v::DEVICE_MAC_TAG));
    // DeviceAuth = {"deviceMac": COSE_Mac0}: the Mac0 bytes follow the 11-byte map header and key.
    let device_auth = hex(v::DEVICE_AUTH);
    assert_eq!(device_mac_bytes(&mac0).unwrap(), device_auth[11..]);
    let received = coset::CoseMac0::from_slice(&device_auth[11..]).unwrap();
    verify_device_mac(&reader_key, &received, &payload).unwrap();
}
