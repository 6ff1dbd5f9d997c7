//! The engagement as a QR code in the terminal: two modules per character cell with the
//! Unicode half blocks, light modules drawn as blocks so it scans on a dark terminal.

use qrcode::render::unicode::Dense1x2;
use qrcode::{EcLevel, QrCode};

/// The QR code of `uri` as lines of text, or why it cannot be made (too long for a QR code).
pub(crate) fn render(uri: &str) -> Result<String, qrcode::types::QrError> {
    // Level L: the URI is shown beside the code and a terminal is not a crumpled sticker, so
    // the smallest symbol is the best one.
    let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::L)?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_half_blocks() {
        let text = render("mdoc:owBjMS4wAYIB2BhYS6QBAiABIVgg").unwrap_or_default();
        assert!(text.lines().count() > 10);
        assert!(text.contains('\u{2588}') || text.contains('\u{2580}'));
    }
}
