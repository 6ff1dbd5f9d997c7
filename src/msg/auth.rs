//! The structures that mdoc and reader authentication MAC or sign (2021 9.1.3.4, 9.1.4.4 /
//! 2nd ed. 12.4, 12.5).
//!
//! ```cddl
//! DeviceAuthentication = ["DeviceAuthentication", SessionTranscript, DocType, DeviceNameSpacesBytes]
//! ReaderAuthentication = ["ReaderAuthentication", SessionTranscript, ItemsRequestBytes]
//! ```
//! The detached payload is `#6.24(bstr .cbor X)` of these arrays. Inside them the
//! SessionTranscript is the untagged array, and the embedded XBytes keep their bytes as received.

use crate::cbor::{CborCodec, DecodeError, ResultExt, Tag24, Value};

use super::engagement::fixed_array;
use super::request::ItemsRequest;
use super::response::DeviceNameSpaces;
use super::{SessionTranscript, SessionTranscriptBytes};

/// The context string of DeviceAuthentication.
pub const DEVICE_AUTHENTICATION: &str = "DeviceAuthentication";
/// The context string of ReaderAuthentication.
pub const READER_AUTHENTICATION: &str = "ReaderAuthentication";

fn context(value: Value, expected: &str) -> Result<(), DecodeError> {
    let text = String::from_cbor(value)?;
    if text == expected {
        Ok(())
    } else {
        Err(DecodeError::invalid(format!(
            "context {text:?}, expected {expected:?}"
        )))
    }
}

/// What deviceSignature / deviceMac authenticates.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceAuthentication {
    /// The session transcript.
    pub session_transcript: SessionTranscript,
    /// The document type.
    pub doc_type: String,
    /// DeviceNameSpacesBytes, as sent in the Document.
    pub device_name_spaces: Tag24<DeviceNameSpaces>,
}

impl DeviceAuthentication {
    /// `DeviceAuthenticationBytes`: the detached payload of deviceSignature / deviceMac.
    ///
    /// Re-encodes the decoded transcript; for verification and signing prefer
    /// [`DeviceAuthentication::bytes`], which splices the transcript's bytes as held.
    pub fn to_tagged_bytes(&self) -> Vec<u8> {
        Tag24::new(self.clone()).tagged_bytes()
    }

    /// `DeviceAuthenticationBytes` assembled from the bytes as held (2021 9.1.3.4): the
    /// transcript's embedded bytes and DeviceNameSpacesBytes are spliced in unchanged, so no
    /// re-encoding can change what is signed, MACed or verified.
    pub fn bytes(
        transcript: &SessionTranscriptBytes,
        doc_type: &str,
        device_name_spaces: &Tag24<DeviceNameSpaces>,
    ) -> Vec<u8> {
        let mut inner = vec![0x84]; // array of 4
        inner.extend(crate::cbor::value_to_vec(&Value::Text(
            DEVICE_AUTHENTICATION.into(),
        )));
        inner.extend_from_slice(transcript.inner_bytes());
        inner.extend(crate::cbor::value_to_vec(&Value::Text(doc_type.into())));
        inner.extend(device_name_spaces.tagged_bytes());
        tag24_bytes(inner)
    }
}

/// `#6.24(bstr)` around already encoded bytes.
pub(crate) fn tag24_bytes(inner: Vec<u8>) -> Vec<u8> {
    crate::cbor::value_to_vec(&Value::Tag(
        crate::cbor::TAG_ENCODED_CBOR,
        Box::new(Value::Bytes(inner)),
    ))
}

impl CborCodec for DeviceAuthentication {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let [ctx, st, dt, ns] = fixed_array::<4>(value)?;
        context(ctx, DEVICE_AUTHENTICATION).within("[0]")?;
        Ok(Self {
            session_transcript: SessionTranscript::from_cbor(st).within("[1]")?,
            doc_type: String::from_cbor(dt).within("[2]")?,
            device_name_spaces: Tag24::from_cbor(ns).within("[3]")?,
        })
    }

    fn to_cbor(&self) -> Value {
        Value::Array(vec![
            Value::Text(DEVICE_AUTHENTICATION.to_owned()),
            self.session_transcript.to_cbor(),
            self.doc_type.to_cbor(),
            self.device_name_spaces.to_cbor(),
        ])
    }
}

/// What a DocRequest's readerAuth signs.
#[derive(Debug, Clone, PartialEq)]
pub struct ReaderAuthentication {
    /// The session transcript.
    pub session_transcript: SessionTranscript,
    /// ItemsRequestBytes, as sent in the DocRequest.
    pub items_request: Tag24<ItemsRequest>,
}

impl ReaderAuthentication {
    /// `ReaderAuthenticationBytes`: the detached payload of readerAuth.
    ///
    /// Re-encodes the decoded transcript; for verification and signing prefer
    /// [`ReaderAuthentication::bytes`].
    pub fn to_tagged_bytes(&self) -> Vec<u8> {
        Tag24::new(self.clone()).tagged_bytes()
    }

    /// `ReaderAuthenticationBytes` assembled from the bytes as held (2021 9.1.4.4): the
    /// transcript's embedded bytes and ItemsRequestBytes are spliced in unchanged.
    pub fn bytes(
        transcript: &SessionTranscriptBytes,
        items_request: &Tag24<ItemsRequest>,
    ) -> Vec<u8> {
        let mut inner = vec![0x83]; // array of 3
        inner.extend(crate::cbor::value_to_vec(&Value::Text(
            READER_AUTHENTICATION.into(),
        )));
        inner.extend_from_slice(transcript.inner_bytes());
        inner.extend(items_request.tagged_bytes());
        tag24_bytes(inner)
    }
}

impl CborCodec for ReaderAuthentication {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let [ctx, st, ir] = fixed_array::<3>(value)?;
        context(ctx, READER_AUTHENTICATION).within("[0]")?;
        Ok(Self {
            session_transcript: SessionTranscript::from_cbor(st).within("[1]")?,
            items_request: Tag24::from_cbor(ir).within("[2]")?,
        })
    }

    fn to_cbor(&self) -> Value {
        Value::Array(vec![
            Value::Text(READER_AUTHENTICATION.to_owned()),
            self.session_transcript.to_cbor(),
            self.items_request.to_cbor(),
        ])
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::msg::vectors::{annex_d, assert_round_trip, decode_value};
    use crate::msg::{DeviceRequest, DeviceResponse};

    #[test]
    fn annex_d_device_authentication_bytes_are_reproduced() {
        let expected = annex_d("device_authentication_bytes");
        let decoded = assert_round_trip::<Tag24<DeviceAuthentication>>(&expected);
        assert_eq!(decoded.tagged_bytes(), expected);
        // Rebuilt from the transcript and the response's own DeviceNameSpacesBytes.
        let st: SessionTranscript =
            crate::cbor::from_slice(&annex_d("session_transcript")).unwrap();
        let resp: DeviceResponse = crate::cbor::from_slice(&annex_d("device_response")).unwrap();
        let doc = resp.documents.unwrap().into_vec().remove(0);
        let da = DeviceAuthentication {
            session_transcript: st,
            doc_type: doc.doc_type,
            device_name_spaces: doc.device_signed.name_spaces,
        };
        assert_eq!(da.to_tagged_bytes(), expected);
    }

    #[test]
    fn annex_d_reader_authentication_bytes_are_reproduced() {
        let expected = annex_d("reader_authentication_bytes");
        assert_round_trip::<Tag24<ReaderAuthentication>>(&expected);
        let st: SessionTranscript =
            crate::cbor::from_slice(&annex_d("session_transcript")).unwrap();
        let req: DeviceRequest = crate::cbor::from_slice(&annex_d("device_request")).unwrap();
        let ra = ReaderAuthentication {
            session_transcript: st,
            items_request: req.doc_requests.into_vec().remove(0).items_request,
        };
        assert_eq!(ra.to_tagged_bytes(), expected);
    }

    #[test]
    fn wrong_context_and_shape_are_rejected() {
        let st: SessionTranscript =
            crate::cbor::from_slice(&annex_d("session_transcript")).unwrap();
        let ra = ReaderAuthentication {
            session_transcript: st,
            items_request: Tag24::from_bytes(annex_d("items_request")).unwrap(),
        };
        let mut v = ra.to_cbor();
        if let Value::Array(items) = &mut v {
            items[0] = Value::Text(DEVICE_AUTHENTICATION.into());
        }
        let err = decode_value::<ReaderAuthentication>(v).unwrap_err();
        assert_eq!(err.path(), Some("[0]"));
        assert!(decode_value::<DeviceAuthentication>(ra.to_cbor()).is_err());
    }
}
