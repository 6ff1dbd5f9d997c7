//! Session establishment and session data (2021 9.1.1.4 / 2nd ed. 12.2.4).
//!
//! ```cddl
//! SessionEstablishment = {"eReaderKey": EReaderKeyBytes, "data": bstr}
//! SessionData = {? "data": bstr, ? "status": uint}
//! ```

use crate::cbor::{Bstr, CborCodec, DecodeError, Fields, MapBuilder, Tag24, Value};
use crate::crypto::CoseKey;

/// The reader's first message: its ephemeral key and the encrypted DeviceRequest.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionEstablishment {
    /// `eReaderKey`: EReaderKeyBytes, kept as received (they go into the SessionTranscript).
    pub e_reader_key: Tag24<CoseKey>,
    /// `data`: the encrypted DeviceRequest.
    pub data: Bstr,
}

impl CborCodec for SessionEstablishment {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            e_reader_key: f.required("eReaderKey")?,
            data: f.required("data")?,
        })
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("eReaderKey", &self.e_reader_key)
            .field("data", &self.data)
            .build()
    }
}

/// A SessionData status code (2021 9.1.1.4 Table 20 / 2nd ed. Table 15); unknown codes are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionStatus(pub u64);

impl SessionStatus {
    /// 10: error, session encryption.
    pub const ENCRYPTION_ERROR: Self = Self(10);
    /// 11: error, CBOR decoding.
    pub const DECODING_ERROR: Self = Self(11);
    /// 20: session termination.
    pub const SESSION_TERMINATION: Self = Self(20);

    /// Whether this status reports an error, after which no data may follow (10 and 11).
    pub fn is_error(self) -> bool {
        self == Self::ENCRYPTION_ERROR || self == Self::DECODING_ERROR
    }
}

impl CborCodec for SessionStatus {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        u64::from_cbor(value).map(Self)
    }

    fn to_cbor(&self) -> Value {
        self.0.to_cbor()
    }
}

/// An encrypted message, a status, or both (data with status 20 ends the session after it).
///
/// Invariants, checked on decode and kept by the constructors: at least one field is present,
/// and an error status (10, 11) carries no data (2021 9.1.1.4).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionData {
    data: Option<Bstr>,
    status: Option<SessionStatus>,
}

impl SessionData {
    /// Encrypted data only.
    pub fn with_data(data: Vec<u8>) -> Self {
        Self {
            data: Some(Bstr(data)),
            status: None,
        }
    }

    /// A status only.
    pub fn with_status(status: SessionStatus) -> Self {
        Self {
            data: None,
            status: Some(status),
        }
    }

    /// Data and a status; `None` when the status is an error status, which carries no data.
    pub fn with_data_and_status(data: Vec<u8>, status: SessionStatus) -> Option<Self> {
        (!status.is_error()).then_some(Self {
            data: Some(Bstr(data)),
            status: Some(status),
        })
    }

    /// `data`: the encrypted message, if any.
    pub fn data(&self) -> Option<&[u8]> {
        self.data.as_ref().map(|b| b.0.as_slice())
    }

    /// `status`, if any.
    pub fn status(&self) -> Option<SessionStatus> {
        self.status
    }
}

impl CborCodec for SessionData {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        let data: Option<Bstr> = f.optional("data")?;
        let status: Option<SessionStatus> = f.optional("status")?;
        match (&data, status) {
            (None, None) => Err(DecodeError::invalid(
                "SessionData holds neither data nor status",
            )),
            (Some(_), Some(s)) if s.is_error() => Err(DecodeError::invalid(format!(
                "status {} is an error status and cannot carry data",
                s.0
            ))
            .within("status")),
            _ => Ok(Self { data, status }),
        }
    }

    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .optional("data", self.data.as_ref())
            .optional("status", self.status.as_ref())
            .build()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::msg::vectors::{annex_d, assert_round_trip, decode_err, decode_value};

    #[test]
    fn annex_d_session_messages_round_trip() {
        let est = assert_round_trip::<SessionEstablishment>(&annex_d("session_establishment"));
        assert_eq!(
            est.e_reader_key.tagged_bytes(),
            annex_d("e_reader_key_bytes")
        );
        let data = assert_round_trip::<SessionData>(&annex_d("session_data"));
        assert!(data.data().is_some() && data.status().is_none());
        let term = assert_round_trip::<SessionData>(&annex_d("session_termination"));
        assert_eq!(term.status(), Some(SessionStatus::SESSION_TERMINATION));
        assert_eq!(term.data(), None);
    }

    #[test]
    fn built_session_data_round_trips() {
        for sd in [
            SessionData::with_data(vec![1, 2, 3]),
            SessionData::with_status(SessionStatus::ENCRYPTION_ERROR),
            SessionData::with_status(SessionStatus(99)),
            SessionData::with_data_and_status(vec![4], SessionStatus::SESSION_TERMINATION).unwrap(),
        ] {
            let back: SessionData = crate::cbor::from_slice(&crate::cbor::to_vec(&sd)).unwrap();
            assert_eq!(back, sd);
        }
        assert!(
            SessionData::with_data_and_status(vec![4], SessionStatus::DECODING_ERROR).is_none()
        );
    }

    #[test]
    fn invalid_session_data_is_rejected() {
        assert!(matches!(
            decode_err::<SessionData>(&[0xa0]),
            DecodeError::InvalidValue { .. }
        ));
        for status in [10u64, 11] {
            let bad = Value::Map(vec![
                (Value::Text("data".into()), Value::Bytes(vec![1])),
                (Value::Text("status".into()), Value::Integer(status.into())),
            ]);
            let err = decode_value::<SessionData>(bad).unwrap_err();
            assert_eq!(err.path(), Some("status"), "{err}");
        }
        let wrong = Value::Map(vec![(
            Value::Text("status".into()),
            Value::Text("20".into()),
        )]);
        let err = decode_value::<SessionData>(wrong).unwrap_err();
        assert!(matches!(err, DecodeError::WrongType { .. }));
        assert_eq!(err.path(), Some("status"));
        let negative = Value::Map(vec![(
            Value::Text("status".into()),
            Value::Integer((-1).into()),
        )]);
        assert!(decode_value::<SessionData>(negative).is_err());
        // Unknown keys are ignored.
        let extra = Value::Map(vec![
            (Value::Text("status".into()), Value::Integer(20.into())),
            (Value::Text("future".into()), Value::Bool(true)),
        ]);
        assert_eq!(
            decode_value::<SessionData>(extra).unwrap().status(),
            Some(SessionStatus::SESSION_TERMINATION)
        );
    }

    #[test]
    fn invalid_session_establishment_is_rejected() {
        let bytes = annex_d("session_establishment");
        assert!(matches!(
            decode_err::<SessionEstablishment>(&bytes[..bytes.len() - 1]),
            DecodeError::Truncated { .. } | DecodeError::LengthExceedsInput { .. }
        ));
        let mut trailing = bytes.clone();
        trailing.push(0xf6);
        assert!(matches!(
            decode_err::<SessionEstablishment>(&trailing),
            DecodeError::TrailingBytes { .. }
        ));
        let est: SessionEstablishment = crate::cbor::from_slice(&bytes).unwrap();
        let missing = Value::Map(vec![(
            Value::Text("eReaderKey".into()),
            est.e_reader_key.to_cbor(),
        )]);
        assert!(matches!(
            decode_value::<SessionEstablishment>(missing),
            Err(DecodeError::MissingField { .. })
        ));
        let untagged = Value::Map(vec![
            (
                Value::Text("eReaderKey".into()),
                Value::Bytes(est.e_reader_key.inner_bytes().to_vec()),
            ),
            (Value::Text("data".into()), Value::Bytes(vec![])),
        ]);
        let err = decode_value::<SessionEstablishment>(untagged).unwrap_err();
        assert!(matches!(err, DecodeError::WrongTag { .. }));
        assert_eq!(err.path(), Some("eReaderKey"));
    }
}
