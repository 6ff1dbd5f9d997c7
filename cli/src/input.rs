//! Reading a message argument: `HEX`, `@FILE`, `-` (stdin) or an `mdoc:` URI.

use std::io::Read as _;
use std::path::Path;

/// A message as given on the command line, before type detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Input {
    /// Raw bytes (from hex, or a binary file).
    Bytes(Vec<u8>),
    /// A QR engagement payload, `mdoc:` + base64url.
    MdocUri(String),
    /// DER certificates taken out of a PEM file.
    Pem(Vec<Vec<u8>>),
}

/// Why an argument could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InputError {
    /// The argument is neither a file, stdin, a URI nor valid hex.
    #[error("not hex: {0} (give hex, @FILE, - for stdin, or an mdoc: URI)")]
    Hex(String),
    /// The file or stdin could not be read.
    #[error("cannot read {what}: {source}")]
    Io {
        /// The file name or `stdin`.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Nothing to decode.
    #[error("empty input")]
    Empty,
    /// A PEM file that does not hold certificates.
    #[error("PEM: {0}")]
    Pem(String),
}

/// Reads an argument of the form `HEX`, `@FILE`, `-` or `mdoc:…`.
pub(crate) fn read_arg(arg: &str) -> Result<Input, InputError> {
    if arg == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|source| InputError::Io {
                what: "stdin".into(),
                source,
            })?;
        return from_contents(buf);
    }
    if let Some(path) = arg.strip_prefix('@') {
        let buf = std::fs::read(Path::new(path)).map_err(|source| InputError::Io {
            what: path.to_owned(),
            source,
        })?;
        return from_contents(buf);
    }
    let trimmed = arg.trim();
    if trimmed.starts_with(mdl_proximity::engagement::qr::QR_URI_PREFIX) {
        return Ok(Input::MdocUri(trimmed.to_owned()));
    }
    parse_hex(trimmed).map(Input::Bytes)
}

/// Interprets the contents of a file or of stdin: an `mdoc:` URI, PEM, hex text, or binary.
pub(crate) fn from_contents(buf: Vec<u8>) -> Result<Input, InputError> {
    if buf.is_empty() {
        return Err(InputError::Empty);
    }
    if let Ok(text) = std::str::from_utf8(&buf) {
        let t = text.trim();
        if t.starts_with(mdl_proximity::engagement::qr::QR_URI_PREFIX) {
            return Ok(Input::MdocUri(t.to_owned()));
        }
        if t.starts_with("-----BEGIN") {
            return parse_pem(t.as_bytes()).map(Input::Pem);
        }
        // Hex text: only hex digits and whitespace, an even number of digits. A binary file
        // made only of ASCII hex digits is vanishingly unlikely for CBOR, DER or NDEF.
        if !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_hexdigit() || b.is_ascii_whitespace())
        {
            if let Ok(bytes) = parse_hex(t) {
                return Ok(Input::Bytes(bytes));
            }
        }
    }
    Ok(Input::Bytes(buf))
}

fn parse_pem(pem: &[u8]) -> Result<Vec<Vec<u8>>, InputError> {
    use der::Encode as _;
    let certs = x509_cert::Certificate::load_pem_chain(pem)
        .map_err(|e| InputError::Pem(format!("not a certificate chain: {e}")))?;
    certs
        .iter()
        .map(|c| c.to_der().map_err(|e| InputError::Pem(e.to_string())))
        .collect()
}

/// Decodes hex, allowing whitespace anywhere and an optional `0x` prefix; errors say which
/// character broke it.
pub(crate) fn parse_hex(text: &str) -> Result<Vec<u8>, InputError> {
    let body = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    let mut digits = Vec::with_capacity(body.len());
    for (pos, ch) in body.char_indices() {
        if ch.is_whitespace() {
            continue;
        }
        match ch.to_digit(16) {
            // A hex digit is below 16, so it fits a byte.
            Some(d) => digits.push(d as u8),
            None => {
                return Err(InputError::Hex(format!(
                    "invalid character {ch:?} at position {pos}"
                )))
            }
        }
    }
    if digits.is_empty() {
        return Err(InputError::Empty);
    }
    if digits.len() % 2 != 0 {
        return Err(InputError::Hex(format!(
            "odd number of hex digits ({})",
            digits.len()
        )));
    }
    Ok(digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_with_whitespace_and_prefix() {
        assert_eq!(
            parse_hex("0xA1 0b\n\t0c").ok(),
            Some(vec![0xa1, 0x0b, 0x0c])
        );
    }

    #[test]
    fn hex_errors_name_the_character() {
        let err = parse_hex("a1zz").err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("not hex: invalid character 'z' at position 2 (give hex, @FILE, - for stdin, or an mdoc: URI)")
        );
        assert!(matches!(parse_hex("abc"), Err(InputError::Hex(_))));
        assert!(matches!(parse_hex("  "), Err(InputError::Empty)));
    }

    #[test]
    fn contents_detection() {
        assert_eq!(
            from_contents(b"a0\n".to_vec()).ok(),
            Some(Input::Bytes(vec![0xa0]))
        );
        assert_eq!(
            from_contents(b"mdoc:owBjMS4w\n".to_vec()).ok(),
            Some(Input::MdocUri("mdoc:owBjMS4w".into()))
        );
        assert_eq!(
            from_contents(vec![0xa0, 0xff]).ok(),
            Some(Input::Bytes(vec![0xa0, 0xff]))
        );
        assert!(matches!(from_contents(Vec::new()), Err(InputError::Empty)));
    }
}
