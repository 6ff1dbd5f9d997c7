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
///
/// Lenient on receipt (DESIGN §8): the scheme in any case (`MDOC:`, URI schemes are
/// case-insensitive, RFC 3986 3.1) and base64url with or without `=` padding.
pub fn from_qr_uri(uri: &str) -> Result<DeviceEngagementBytes, DecodeError> {
    const LENIENT_BASE64URL: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let b64 = uri
        .get(..QR_URI_PREFIX.len())
        .filter(|scheme| scheme.eq_ignore_ascii_case(QR_URI_PREFIX))
        .map(|_| &uri[QR_URI_PREFIX.len()..])
        .ok_or_else(|| DecodeError::invalid("QR payload lacks the mdoc: prefix"))?;
    let bytes = LENIENT_BASE64URL
        .decode(b64)
        .map_err(|_| DecodeError::invalid("QR payload is not base64url"))?;
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
        // Padding that does not belong is still an error.
        let mut padded = uri.clone();
        padded.push_str("===");
        assert!(from_qr_uri(&padded).is_err());
        // Valid base64 of a truncated engagement.
        let cut = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw[..raw.len() - 4]);
        assert!(from_qr_uri(&format!("mdoc:{cut}")).is_err());
    }

    #[test]
    fn qr_uri_with_padding_or_upper_case_scheme_is_accepted() {
        // DESIGN §8: some wallets pad their base64url and some scanners upper-case the scheme
        // (QR alphanumeric mode). Annex D's engagement is 91 bytes: base64 pads it with "=".
        let raw = annex_d("device_engagement_qr");
        let padded = base64::engine::general_purpose::URL_SAFE.encode(&raw);
        assert!(padded.ends_with('='), "{padded}");
        for uri in [
            format!("mdoc:{padded}"),
            format!("MDOC:{padded}"),
            format!("Mdoc:{}", padded.trim_end_matches('=')),
        ] {
            let back = from_qr_uri(&uri).unwrap();
            assert_eq!(back.inner_bytes(), raw, "{uri}");
            // We keep sending the canonical form.
            assert_eq!(
                qr_uri(&back),
                format!("mdoc:{}", padded.trim_end_matches('='))
            );
        }
        // Standard (non-url) base64 and a different scheme are still errors.
        let std_b64 = base64::engine::general_purpose::STANDARD.encode([0xfb_u8; 30]);
        assert!(from_qr_uri(&format!("mdoc:{std_b64}")).is_err());
        assert!(from_qr_uri(&format!("mdocx{padded}")).is_err());
        assert!(from_qr_uri("md").is_err());
        assert!(from_qr_uri("mdö:").is_err());
    }
}
