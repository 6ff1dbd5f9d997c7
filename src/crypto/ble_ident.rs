//! The BLE Ident characteristic value (2021 8.3.3.1.1.4).

use hkdf::Hkdf;
use sha2::Sha256;

/// Ident = HKDF-SHA256(IKM = EDeviceKeyBytes, no salt, info "BLEIdent", 16 bytes).
///
/// `e_device_key_bytes_tagged` is EDeviceKeyBytes *including* its tag-24 wrapper (`d8 18 ...`),
/// as it appears in the DeviceEngagement. The mdoc compares the reader's value with its own
/// and terminates on a mismatch.
pub fn ble_ident(e_device_key_bytes_tagged: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    // 16 bytes is far below HKDF-SHA256's limit of 255·32, so `expand` cannot fail.
    #[allow(clippy::expect_used)]
    Hkdf::<Sha256>::new(None, e_device_key_bytes_tagged)
        .expand(b"BLEIdent", &mut out)
        .expect("16 <= 255 * 32");
    out
}
