//! QR engagement (2021 8.2.2.3 / 2nd ed. 10.1): the DeviceEngagement as an `mdoc:` URI.

use base64::Engine as _;

use crate::cbor::{DecodeError, Tag24};
use crate::msg::DeviceEngagementBytes;

/// The URI scheme prefix of a QR engagement (2021 8.2.2.3).
pub const QR_URI_PREFIX: &str = "mdoc:";
/// The QR payload of an engagement, from its stored bytes.
pub fn qr_uri(engagement: &DeviceEngagementBytes) -> String {
    let mut uri = QR_URI_PREFIX.to_owned();
    uri.push_str(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(engagement.inner_bytes()),
    );
    uri
}

/// Decodes a scanned QR payload, keeping the engagement bytes exactly as encoded in it.
pub fn from_qr_uri(uri: &str) -> Result<DeviceEngagementBytes, DecodeError> {
    let b64 = uri
        .strip_prefix(QR_URI_PREFIX)
        .ok_or_else(|| DecodeError::invalid("QR payload lacks the mdoc: prefix"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64)
        .map_err(|_| DecodeError::invalid("QR payload is not base64url without padding"))?;
    Tag24::from_bytes(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::msg::vectors::annex_d;
    use crate::msg::DeviceEngagement;

    #[test]
    fn qr_uri_round_trips_keeping_bytes() {
        let raw = annex_d("device_engagement_qr");
        let de: DeviceEngagement = crate::cbor::from_slice(&raw).unwrap();
        let uri = de.to_qr_uri();
        assert!(
            uri.starts_with("mdoc:")
                && !uri.contains('=')
                && !uri.contains('+')
                && !uri.contains('/')
        );
        let back = from_qr_uri(&uri).unwrap();
        assert_eq!(back.inner_bytes(), raw);
        assert_eq!(qr_uri(&back), uri);
        assert!(matches!(
            from_qr_uri("mdoc;abc"),
            Err(DecodeError::InvalidValue { .. })
        ));
        assert!(matches!(
            from_qr_uri("mdoc:a*b"),
            Err(DecodeError::InvalidValue { .. })
        ));
        let mut padded = uri.clone();
        padded.push('=');
        assert!(from_qr_uri(&padded).is_err());
        // Valid base64 of a truncated engagement.
        let cut = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw[..raw.len() - 4]);
        assert!(from_qr_uri(&format!("mdoc:{cut}")).is_err());
    }
}
