//! COSE_Sign1 and COSE_Mac0 (RFC 9052) as 18013-5 carries them (2021 9.1.2.4, 9.1.3, 9.1.4).
//!
//! 18013-5 sends these structures untagged; on receipt we accept them with or without their
//! RFC 9052 tag (18 for COSE_Sign1, 17 for COSE_Mac0), as seen in the field (DESIGN §8). The
//! structure's CBOR value is kept as received, so a re-encoding is byte-identical even when the
//! peer's unprotected header is not in the order `coset` would write it.

use coset::{AsCborValue, CoseError};

use crate::cbor::{CborCodec, DecodeError, Value};

/// The RFC 9052 tag of COSE_Sign1.
pub const TAG_COSE_SIGN1: u64 = 18;
/// The RFC 9052 tag of COSE_Mac0.
pub const TAG_COSE_MAC0: u64 = 17;

macro_rules! cose_wrapper {
    ($name:ident, $inner:ty, $tag:expr, $what:literal) => {
        #[doc = concat!("A ", $what, " with its untagged CBOR value, as received or as built.")]
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            inner: $inner,
            value: Value,
        }

        impl $name {
            #[doc = concat!("Wraps a ", $what, " built locally; fails only if `coset` cannot encode its headers.")]
            pub fn new(inner: $inner) -> Result<Self, CoseError> {
                let value = inner.clone().to_cbor_value()?;
                Ok(Self { inner, value })
            }

            #[doc = concat!("The decoded ", $what, ".")]
            pub fn inner(&self) -> &$inner {
                &self.inner
            }

            #[doc = concat!("The decoded ", $what, ", dropping the kept value.")]
            pub fn into_inner(self) -> $inner {
                self.inner
            }
        }

        impl CborCodec for $name {
            fn from_cbor(value: Value) -> Result<Self, DecodeError> {
                let value = match value {
                    Value::Tag(t, inner) if t == $tag => *inner,
                    Value::Tag(found, _) => {
                        return Err(DecodeError::WrongTag { path: String::new(), expected: $tag, found: Some(found) })
                    }
                    other => other,
                };
                if !matches!(value, Value::Array(_)) {
                    return Err(DecodeError::wrong_type("array", &value));
                }
                let inner = <$inner>::from_cbor_value(value.clone())
                    .map_err(|e| DecodeError::invalid(format!("not a {}: {e}", $what)))?;
                Ok(Self { inner, value })
            }

            fn to_cbor(&self) -> Value {
                self.value.clone()
            }
        }
    };
}

cose_wrapper!(CoseSign1, coset::CoseSign1, TAG_COSE_SIGN1, "COSE_Sign1");
cose_wrapper!(CoseMac0, coset::CoseMac0, TAG_COSE_MAC0, "COSE_Mac0");

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::msg::vectors::{annex_d, assert_round_trip, decode_err};

    #[test]
    fn annex_d_issuer_and_reader_auth_round_trip() {
        let issuer = assert_round_trip::<CoseSign1>(&annex_d("issuer_auth"));
        assert!(issuer.inner().payload.is_some());
        let reader = assert_round_trip::<CoseSign1>(&annex_d("reader_auth"));
        assert!(reader.inner().payload.is_none(), "reader auth is detached");
    }

    #[test]
    fn tag_18_is_accepted_and_dropped_on_send() {
        let untagged = annex_d("reader_auth");
        let mut tagged = vec![0xd2];
        tagged.extend_from_slice(&untagged);
        let sig: CoseSign1 = crate::cbor::from_slice(&tagged).unwrap();
        assert_eq!(crate::cbor::to_vec(&sig), untagged);
    }

    #[test]
    fn wrong_tag_and_shape_are_rejected() {
        let mut tagged17 = vec![0xd1];
        tagged17.extend_from_slice(&annex_d("reader_auth"));
        assert!(matches!(
            decode_err::<CoseSign1>(&tagged17),
            DecodeError::WrongTag { expected: 18, .. }
        ));
        assert!(matches!(
            decode_err::<CoseSign1>(&[0xa0]),
            DecodeError::WrongType { .. }
        ));
        // Three items instead of four.
        assert!(matches!(
            decode_err::<CoseSign1>(&[0x83, 0x40, 0xa0, 0x40]),
            DecodeError::InvalidValue { .. }
        ));
        assert!(matches!(
            decode_err::<CoseMac0>(&[0xd2, 0x80]),
            DecodeError::WrongTag { expected: 17, .. }
        ));
    }

    #[test]
    fn built_mac0_encodes_like_coset() {
        let mac = coset::CoseMac0Builder::new()
            .protected(
                coset::HeaderBuilder::new()
                    .algorithm(coset::iana::Algorithm::HMAC_256_256)
                    .build(),
            )
            .tag(vec![7; 32])
            .build();
        let wrapped = CoseMac0::new(mac.clone()).unwrap();
        let back: CoseMac0 = crate::cbor::from_slice(&crate::cbor::to_vec(&wrapped)).unwrap();
        assert_eq!(back.inner().tag, mac.tag);
        assert_eq!(crate::cbor::to_vec(&back), crate::cbor::to_vec(&wrapped));
    }
}
