//! `--dump DIR`: every session message as sent or received, numbered in order, plus the
//! session transcript and the decrypted request and response.
//!
//! Files (all CBOR):
//! - `NNN-sent-SessionEstablishment.cbor`, `NNN-received-SessionData.cbor`, …: each message
//!   exactly as it crossed the transport, numbered from 001 in the order it did;
//! - `session-transcript.cbor`: SessionTranscriptBytes, `#6.24(bstr .cbor SessionTranscript)`,
//!   the bytes the session keys and every signature and MAC are computed over;
//! - `device-request.cbor`, `device-response.cbor`: the decrypted DeviceRequest and
//!   DeviceResponse (a second request in the same session is `device-request-2.cbor`, …);
//! - reader only: `e-reader-key.cose`, the reader's ephemeral private key as a COSE_Key with
//!   `d`, so that `mdl verify --e-reader-key @…` can check a deviceMac offline.

use std::path::{Path, PathBuf};

use mdl_proximity::cbor::{value_from_slice, Limits, Value};
use mdl_proximity::driver::Direction;

use crate::error::{CliResult, Context as _};

/// Creates `dir` (and parents) if needed.
pub(crate) fn create_dir(dir: &Path) -> CliResult<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("--dump: creating {}", dir.display()))
}

/// Writes one file of a dump.
pub(crate) fn write(dir: &Path, name: &str, bytes: &[u8]) -> CliResult<()> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).with_context(|| format!("--dump: writing {}", path.display()))
}

/// `name.cbor` for the first of its kind in a session, `name-N.cbor` for the N-th.
pub(crate) fn numbered(name: &str, n: usize) -> String {
    if n <= 1 {
        format!("{name}.cbor")
    } else {
        format!("{name}-{n}.cbor")
    }
}

/// The session message type of `bytes`: SessionEstablishment carries `eReaderKey`; anything
/// else that is a map is SessionData (2021 9.1.1.4).
fn message_type(bytes: &[u8]) -> &'static str {
    match value_from_slice(bytes, &Limits::default()) {
        Ok(Value::Map(entries))
            if entries
                .iter()
                .any(|(k, _)| matches!(k, Value::Text(t) if t == "eReaderKey")) =>
        {
            "SessionEstablishment"
        }
        Ok(Value::Map(_)) => "SessionData",
        _ => "unknown",
    }
}

/// The transport tap of a dump: numbers and writes every message; the first write error is
/// kept for the end of the run (a tap cannot fail the session).
#[derive(Debug)]
pub(crate) struct MessageDump {
    dir: PathBuf,
    count: usize,
    error: Option<crate::error::CliError>,
}

impl MessageDump {
    /// A dump into `dir`, which must exist.
    pub(crate) fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            count: 0,
            error: None,
        }
    }

    /// Records one message.
    pub(crate) fn record(&mut self, direction: Direction, bytes: &[u8]) {
        self.count += 1;
        let dir = match direction {
            Direction::Sent => "sent",
            Direction::Received => "received",
        };
        let name = format!("{:03}-{dir}-{}.cbor", self.count, message_type(bytes));
        if let Err(e) = write(&self.dir, &name, bytes) {
            self.error.get_or_insert(e);
        }
    }

    /// The first write error, if any.
    pub(crate) fn finish(self) -> CliResult<()> {
        self.error.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_types() {
        // {"eReaderKey": h'', "data": h''} and {"status": 20}
        let est = [
            0xa2, 0x6a, b'e', b'R', b'e', b'a', b'd', b'e', b'r', b'K', b'e', b'y', 0x40, 0x64,
            b'd', b'a', b't', b'a', 0x40,
        ];
        assert_eq!(message_type(&est), "SessionEstablishment");
        let status = [0xa1, 0x66, b's', b't', b'a', b't', b'u', b's', 0x14];
        assert_eq!(message_type(&status), "SessionData");
        assert_eq!(message_type(&[0xff]), "unknown");
        assert_eq!(numbered("device-request", 1), "device-request.cbor");
        assert_eq!(numbered("device-request", 2), "device-request-2.cbor");
    }
}
