//! The session transcript (2021 9.1.5.1 / 2nd ed. 12.2.1): what binds session keys, device
//! authentication and reader authentication to one engagement.
//!
//! ```cddl
//! SessionTranscript = [DeviceEngagementBytes, EReaderKeyBytes, Handover]
//! Handover = QRHandover / NFCHandover
//! QRHandover = null
//! NFCHandover = [HandoverSelect: bstr, HandoverRequest: bstr / null]
//! SessionTranscriptBytes = #6.24(bstr .cbor SessionTranscript)
//! ```

use crate::cbor::{Bstr, CborCodec, DecodeError, ResultExt, Tag24, Value};
use crate::crypto::CoseKey;

use super::engagement::{fixed_array, DeviceEngagementBytes};

/// `#6.24(bstr .cbor SessionTranscript)`: SHA-256 of its tagged bytes is the HKDF salt of the
/// session keys (2021 9.1.1.5).
pub type SessionTranscriptBytes = Tag24<SessionTranscript>;

/// How the engagement was handed over.
#[derive(Debug, Clone, PartialEq)]
pub enum Handover {
    /// QR engagement: `null`.
    Qr,
    /// NFC static handover: `[Handover Select message, null]`.
    NfcStatic {
        /// The complete NDEF Handover Select message.
        select: Bstr,
    },
    /// NFC negotiated handover: `[Handover Select message, Handover Request message]`.
    NfcNegotiated {
        /// The complete NDEF Handover Select message.
        select: Bstr,
        /// The complete NDEF Handover Request message.
        request: Bstr,
    },
    /// Another form (for example from ISO/IEC 18013-7), kept as received.
    Other(Value),
}

impl CborCodec for Handover {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        Ok(match value {
            Value::Null => Self::Qr,
            Value::Array(items) => match <[Value; 2]>::try_from(items) {
                Ok([Value::Bytes(select), Value::Null]) => Self::NfcStatic {
                    select: Bstr(select),
                },
                Ok([Value::Bytes(select), Value::Bytes(request)]) => Self::NfcNegotiated {
                    select: Bstr(select),
                    request: Bstr(request),
                },
                Ok(pair) => Self::Other(Value::Array(pair.into())),
                Err(items) => Self::Other(Value::Array(items)),
            },
            other => Self::Other(other),
        })
    }

    fn to_cbor(&self) -> Value {
        match self {
            Self::Qr => Value::Null,
            Self::NfcStatic { select } => Value::Array(vec![select.to_cbor(), Value::Null]),
            Self::NfcNegotiated { select, request } => {
                Value::Array(vec![select.to_cbor(), request.to_cbor()])
            }
            Self::Other(v) => v.clone(),
        }
    }
}

/// The session transcript. Its two embedded XBytes keep the bytes as received.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionTranscript {
    /// `DeviceEngagementBytes`.
    pub device_engagement: DeviceEngagementBytes,
    /// `EReaderKeyBytes`: the reader's ephemeral key as sent in SessionEstablishment.
    pub e_reader_key: Tag24<CoseKey>,
    /// The handover.
    pub handover: Handover,
}

impl SessionTranscript {
    /// The untagged array encoding, as embedded in DeviceAuthentication and
    /// ReaderAuthentication (2021 9.1.3.4, 9.1.4.4).
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::cbor::to_vec(self)
    }

    /// `SessionTranscriptBytes` (`d8 18 ...`): what the session-key salt hashes.
    pub fn to_tagged_bytes(&self) -> Vec<u8> {
        Tag24::new(self.clone()).tagged_bytes()
    }
}

impl CborCodec for SessionTranscript {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let [de, rk, h] = fixed_array::<3>(value)?;
        Ok(Self {
            device_engagement: Tag24::from_cbor(de).within("[0]")?,
            e_reader_key: Tag24::from_cbor(rk).within("[1]")?,
            handover: Handover::from_cbor(h).within("[2]")?,
        })
    }

    fn to_cbor(&self) -> Value {
        Value::Array(vec![
            self.device_engagement.to_cbor(),
            self.e_reader_key.to_cbor(),
            self.handover.to_cbor(),
        ])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::msg::vectors::{annex_d, assert_round_trip, decode_err, decode_value};

    #[test]
    fn annex_d_transcript_round_trips_in_both_forms() {
        let tagged = annex_d("session_transcript_bytes");
        let st = assert_round_trip::<SessionTranscriptBytes>(&tagged);
        assert_eq!(st.tagged_bytes(), tagged);
        assert_eq!(st.value().to_tagged_bytes(), tagged);
        let plain = assert_round_trip::<SessionTranscript>(&annex_d("session_transcript"));
        assert_eq!(plain.to_bytes(), annex_d("session_transcript"));
        assert_eq!(
            plain.device_engagement.tagged_bytes(),
            annex_d("device_engagement_bytes_nfc")
        );
        assert_eq!(
            plain.e_reader_key.tagged_bytes(),
            annex_d("e_reader_key_bytes")
        );
        match &plain.handover {
            Handover::NfcNegotiated { select, request } => {
                assert_eq!(select.0, annex_d("nfc_handover_select"));
                assert_eq!(request.0, annex_d("nfc_handover_request"));
            }
            other => panic!("expected negotiated handover, got {other:?}"),
        }
    }

    #[test]
    fn handover_forms_round_trip() {
        let forms = [
            Handover::Qr,
            Handover::NfcStatic {
                select: Bstr(vec![1, 2]),
            },
            Handover::NfcNegotiated {
                select: Bstr(vec![1]),
                request: Bstr(vec![2]),
            },
            Handover::Other(Value::Array(vec![
                Value::Text("OpenID4VPHandover".into()),
                Value::Bytes(vec![9]),
            ])),
            Handover::Other(Value::Array(vec![
                Value::Bytes(vec![1]),
                Value::Bytes(vec![2]),
                Value::Null,
            ])),
        ];
        for h in forms {
            let back: Handover = decode_value(h.to_cbor()).unwrap();
            assert_eq!(back, h);
        }
    }

    #[test]
    fn bad_transcripts_are_rejected_with_paths() {
        let plain = annex_d("session_transcript");
        assert!(matches!(
            decode_err::<SessionTranscript>(&plain[..100]),
            DecodeError::Truncated { .. } | DecodeError::LengthExceedsInput { .. }
        ));
        let mut trailing = plain.clone();
        trailing.push(0);
        assert!(matches!(
            decode_err::<SessionTranscript>(&trailing),
            DecodeError::TrailingBytes { .. }
        ));
        // Two items instead of three.
        let st: SessionTranscript = crate::cbor::from_slice(&plain).unwrap();
        let two = Value::Array(vec![
            st.device_engagement.to_cbor(),
            st.e_reader_key.to_cbor(),
        ]);
        assert!(matches!(
            decode_value::<SessionTranscript>(two),
            Err(DecodeError::InvalidValue { .. })
        ));
        // EReaderKeyBytes without tag 24.
        let untagged = Value::Array(vec![
            st.device_engagement.to_cbor(),
            Value::Bytes(st.e_reader_key.inner_bytes().to_vec()),
            Value::Null,
        ]);
        let err = decode_value::<SessionTranscript>(untagged).unwrap_err();
        assert!(matches!(
            err,
            DecodeError::WrongTag {
                expected: 24,
                found: None,
                ..
            }
        ));
        assert_eq!(err.path(), Some("[1]"));
        // Wrong tag on the whole SessionTranscriptBytes.
        let mut tag25 = annex_d("session_transcript_bytes");
        tag25[1] = 25;
        assert!(matches!(
            decode_err::<SessionTranscriptBytes>(&tag25),
            DecodeError::WrongTag {
                found: Some(25),
                ..
            }
        ));
    }
}
