//! Tests of the CBOR layer: every way peer bytes can be bad, and the guarantees that hold.

use super::*;

fn check(bytes: &[u8]) -> Result<Value, DecodeError> {
    value_from_slice(bytes, &Limits::default())
}

#[test]
fn accepts_a_simple_map() {
    let v = check(&[0xa1, 0x61, b'a', 0x01]).expect("valid");
    assert_eq!(
        v,
        Value::Map(vec![(Value::Text("a".into()), Value::Integer(1.into()))])
    );
}

#[test]
fn empty_input_is_truncated() {
    assert_eq!(check(&[]), Err(DecodeError::Truncated { offset: 0 }));
}

#[test]
fn truncated_inside_header_argument() {
    // uint with a 4-byte argument, only 2 present
    assert_eq!(
        check(&[0x1a, 0x00, 0x01]),
        Err(DecodeError::Truncated { offset: 0 })
    );
}

#[test]
fn truncated_inside_array_reports_declared_length() {
    // array of 3, one member present: 3 members cannot fit in 1 byte
    assert_eq!(
        check(&[0x83, 0x01]),
        Err(DecodeError::LengthExceedsInput {
            offset: 0,
            declared: 3,
            remaining: 1
        })
    );
}

#[test]
fn truncated_last_member() {
    // array of 2: uint, then a bstr of 4 with only 1 byte
    assert_eq!(
        check(&[0x82, 0x01, 0x44, 0x00]),
        Err(DecodeError::LengthExceedsInput {
            offset: 2,
            declared: 4,
            remaining: 1
        })
    );
}

#[test]
fn trailing_bytes_rejected() {
    assert_eq!(
        check(&[0x01, 0x02, 0x03]),
        Err(DecodeError::TrailingBytes {
            offset: 1,
            count: 2
        })
    );
}

#[test]
fn huge_declared_byte_string_rejected_without_allocation() {
    // bstr declaring 2^64-1 bytes: must fail on the length check, not try to allocate.
    let bytes = [0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00];
    assert!(matches!(
        check(&bytes),
        Err(DecodeError::LengthExceedsInput {
            declared: u64::MAX,
            remaining: 1,
            ..
        })
    ));
}

#[test]
fn huge_declared_array_and_map_rejected() {
    let array = [0x9b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00];
    assert!(matches!(
        check(&array),
        Err(DecodeError::LengthExceedsInput {
            declared: 0x1_0000_0000,
            ..
        })
    ));
    // A map of n pairs needs at least 2n bytes; 2n overflowing u64 must not wrap.
    let map = [0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00];
    assert!(matches!(
        check(&map),
        Err(DecodeError::LengthExceedsInput {
            declared: u64::MAX,
            ..
        })
    ));
}

#[test]
fn deep_nesting_rejected() {
    let limits = Limits {
        max_depth: 4,
        ..Limits::default()
    };
    let mut bytes = vec![0x81; 5];
    bytes.push(0x00);
    assert!(matches!(
        value_from_slice(&bytes, &limits),
        Err(DecodeError::TooDeep { limit: 4, .. })
    ));
    bytes.remove(0);
    assert!(value_from_slice(&bytes, &limits).is_ok());
}

#[test]
fn deep_tag_nesting_rejected() {
    // 100 nested tags: a stack-exhaustion attempt through tags rather than arrays.
    let mut bytes = vec![0xc6; 100];
    bytes.push(0x00);
    assert!(matches!(check(&bytes), Err(DecodeError::TooDeep { .. })));
}

#[test]
fn message_size_limit() {
    let limits = Limits {
        max_message_size: 4,
        ..Limits::default()
    };
    assert_eq!(
        value_from_slice(&[0x45, 1, 2, 3, 4, 5], &limits),
        Err(DecodeError::MessageTooLarge { size: 6, limit: 4 })
    );
}

#[test]
fn item_count_limit() {
    let limits = Limits {
        max_items: 3,
        ..Limits::default()
    };
    assert!(matches!(
        value_from_slice(&[0x83, 1, 2, 3], &limits),
        Err(DecodeError::TooManyItems { limit: 3, .. })
    ));
    assert!(value_from_slice(&[0x82, 1, 2], &limits).is_ok());
}

#[test]
fn duplicate_text_key_rejected() {
    let bytes = [0xa2, 0x61, b'a', 0x01, 0x61, b'a', 0x02];
    assert_eq!(check(&bytes), Err(DecodeError::DuplicateKey { offset: 4 }));
}

#[test]
fn duplicate_int_key_in_another_encoding_rejected() {
    // {1: 0, 1 (as 0x18 0x01): 0}: the same key even though the bytes differ.
    let bytes = [0xa2, 0x01, 0x00, 0x18, 0x01, 0x00];
    assert_eq!(check(&bytes), Err(DecodeError::DuplicateKey { offset: 3 }));
}

#[test]
fn duplicate_key_in_large_map_rejected() {
    let mut bytes = vec![0xb8, 40];
    for i in 0..39u8 {
        bytes.extend_from_slice(&[0x18, 100 + i, 0xf6]);
    }
    bytes.extend_from_slice(&[0x18, 100, 0xf6]);
    assert!(matches!(
        check(&bytes),
        Err(DecodeError::DuplicateKey { .. })
    ));
}

#[test]
fn indefinite_text_key_duplicates_definite_key() {
    // {"a": 1, (_ "a"): 2}: ciborium decodes both keys to "a" (issue 9 item 4).
    let bytes = [0xa2, 0x61, b'a', 0x01, 0x7f, 0x61, b'a', 0xff, 0x02];
    assert_eq!(check(&bytes), Err(DecodeError::DuplicateKey { offset: 4 }));
    // Split into two chunks, and the other way round.
    let bytes = [0xa2, 0x7f, 0x60, 0x61, b'a', 0xff, 0x01, 0x61, b'a', 0x02];
    assert_eq!(check(&bytes), Err(DecodeError::DuplicateKey { offset: 7 }));
}

#[test]
fn bignum_key_duplicates_integer_key() {
    // {1: 1, 2(h'01'): 2} and {-1: 1, 3(h'0000'): 2}: bignums that ciborium decodes to integers.
    let bytes = [0xa2, 0x01, 0x01, 0xc2, 0x41, 0x01, 0x02];
    assert_eq!(check(&bytes), Err(DecodeError::DuplicateKey { offset: 3 }));
    let bytes = [0xa2, 0x20, 0x01, 0xc3, 0x42, 0x00, 0x00, 0x02];
    assert_eq!(check(&bytes), Err(DecodeError::DuplicateKey { offset: 3 }));
    // 2(h'0100') is 256, not 1: distinct keys.
    assert!(check(&[0xa2, 0x01, 0x01, 0xc2, 0x42, 0x01, 0x00, 0x02]).is_ok());
}

#[test]
fn float_keys_compare_by_value() {
    // {1.0 (half): 0, 1.0 (double): 0}.
    let mut bytes = vec![0xa2, 0xf9, 0x3c, 0x00, 0x00, 0xfb];
    bytes.extend_from_slice(&1.0f64.to_be_bytes());
    bytes.push(0x00);
    assert_eq!(check(&bytes), Err(DecodeError::DuplicateKey { offset: 5 }));
}

#[test]
fn indefinite_key_duplicate_in_large_map_rejected() {
    // The hash-set path: 20 distinct keys, then (_ "k0").
    let mut bytes = vec![0xb5];
    for i in 0..20u8 {
        bytes.extend_from_slice(&[0x62, b'k', b'a' + i, 0xf6]);
    }
    bytes.extend_from_slice(&[0x7f, 0x61, b'k', 0x61, b'a', 0xff, 0xf6]);
    assert!(matches!(
        check(&bytes),
        Err(DecodeError::DuplicateKey { offset: 81 })
    ));
}

#[test]
fn array_or_map_inside_a_key_rejected() {
    assert!(matches!(
        check(&[0xa1, 0x80, 0x00]),
        Err(DecodeError::Malformed { offset: 1, .. })
    ));
    // Hidden under a tag.
    assert!(matches!(
        check(&[0xa1, 0xc6, 0xa0, 0x00]),
        Err(DecodeError::Malformed { offset: 2, .. })
    ));
    // Arrays and maps as values are of course fine.
    assert!(check(&[0xa1, 0x01, 0xa1, 0x02, 0x80]).is_ok());
}

#[test]
fn every_decoded_map_has_unique_keys() {
    // What the check accepts, ciborium decodes without merging keys: the lookup rule of
    // `Fields` (first match) is then the only match.
    let bytes = [
        0xa3, 0x61, b'a', 0x01, 0x7f, 0x61, b'b', 0xff, 0x02, 0xc2, 0x41, 0x05, 0x03,
    ];
    let Value::Map(entries) = check(&bytes).expect("accepted") else {
        panic!("a map")
    };
    let keys: Vec<_> = entries.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(
        keys,
        vec![
            Value::Text("a".into()),
            Value::Text("b".into()),
            Value::Integer(5.into())
        ]
    );
}

#[test]
fn negative_and_positive_same_magnitude_are_distinct_keys() {
    assert!(check(&[0xa2, 0x01, 0x00, 0x20, 0x00]).is_ok()); // {1: 0, -1: 0}
}

#[test]
fn indefinite_lengths_accepted() {
    // [_ 1, 2], {_ "a": h'' (chunked _ h'01', h'02')}
    assert_eq!(
        check(&[0x9f, 0x01, 0x02, 0xff]).expect("valid"),
        Value::Array(vec![Value::Integer(1.into()), Value::Integer(2.into())])
    );
    let v = check(&[0xbf, 0x61, b'a', 0x5f, 0x41, 0x01, 0x41, 0x02, 0xff, 0xff]).expect("valid");
    assert_eq!(
        v,
        Value::Map(vec![(Value::Text("a".into()), Value::Bytes(vec![1, 2]))])
    );
}

#[test]
fn indefinite_map_duplicate_rejected() {
    assert!(matches!(
        check(&[0xbf, 0x01, 0x00, 0x01, 0x00, 0xff]),
        Err(DecodeError::DuplicateKey { .. })
    ));
}

#[test]
fn unterminated_indefinite_array_truncated() {
    assert!(matches!(
        check(&[0x9f, 0x01]),
        Err(DecodeError::Truncated { .. })
    ));
}

#[test]
fn malformed_items_rejected() {
    for (bytes, reason) in [
        (&[0x1c][..], "reserved"),
        (&[0xff][..], "unexpected break"),
        (&[0x1f][..], "indefinite length on an integer"),
        (&[0x5f, 0x61, b'a', 0xff][..], "another major type"),
        (&[0x5f, 0x5f, 0xff, 0xff][..], "nested indefinite"),
        (&[0x62, 0xc3, 0x28][..], "UTF-8"),
        (&[0xf8, 0x10][..], "simple value below 32"),
    ] {
        match check(bytes) {
            Err(DecodeError::Malformed { reason: r, .. }) => {
                assert!(r.contains(reason), "{bytes:02x?}: {r}")
            }
            other => panic!("{bytes:02x?}: expected Malformed({reason}), got {other:?}"),
        }
    }
}

#[test]
fn non_preferred_integer_encoding_accepted() {
    assert_eq!(
        check(&[0x19, 0x00, 0x01]).expect("valid"),
        Value::Integer(1.into())
    );
}

#[test]
fn encoding_is_preferred_and_definite() {
    let v = Value::Array(vec![
        Value::Integer(1.into()),
        Value::Integer(500.into()),
        Value::Float(1.5),
    ]);
    assert_eq!(
        value_to_vec(&v),
        vec![0x83, 0x01, 0x19, 0x01, 0xf4, 0xf9, 0x3e, 0x00]
    );
}

#[derive(Debug, PartialEq)]
struct Sample {
    name: String,
    count: u8,
    tags: Option<Vec<u64>>,
}

impl CborCodec for Sample {
    fn from_cbor(value: Value) -> Result<Self, DecodeError> {
        let mut f = Fields::new(value)?;
        Ok(Self {
            name: f.required("name")?,
            count: f.required("count")?,
            tags: f.optional("tags")?,
        })
    }
    fn to_cbor(&self) -> Value {
        MapBuilder::new()
            .field("name", &self.name)
            .field("count", &self.count)
            .optional("tags", self.tags.as_ref())
            .build()
    }
}

#[test]
fn typed_round_trip_and_unknown_keys_ignored() {
    let s = Sample {
        name: "x".into(),
        count: 3,
        tags: Some(vec![1, 2]),
    };
    let bytes = to_vec(&s);
    assert_eq!(from_slice::<Sample>(&bytes).expect("decodes"), s);
    // {"name": "x", "count": 3, "future": 1}: unknown key ignored
    let mut with_unknown = vec![0xa3];
    with_unknown.extend_from_slice(&bytes[1..bytes.len() - 8]);
    let mut extra = vec![
        0xa3, 0x64, b'n', b'a', b'm', b'e', 0x61, b'x', 0x65, b'c', b'o', b'u', b'n', b't', 0x03,
    ];
    extra.extend_from_slice(&[0x66, b'f', b'u', b't', b'u', b'r', b'e', 0x01]);
    assert_eq!(
        from_slice::<Sample>(&extra).expect("decodes"),
        Sample {
            name: "x".into(),
            count: 3,
            tags: None
        }
    );
}

#[test]
fn missing_field_and_wrong_type_name_the_path() {
    let missing = value_to_vec(&MapBuilder::new().field("name", &"x".to_owned()).build());
    assert_eq!(
        from_slice::<Sample>(&missing),
        Err(DecodeError::MissingField {
            path: String::new(),
            field: "count".into()
        })
    );
    let wrong = value_to_vec(
        &MapBuilder::new()
            .field("name", &"x".to_owned())
            .field("count", &1u8)
            .raw(
                "tags",
                Value::Array(vec![Value::Integer(1.into()), Value::Text("no".into())]),
            )
            .build(),
    );
    let err = from_slice::<Sample>(&wrong).expect_err("wrong type");
    assert_eq!(err.path(), Some("tags[1]"));
    assert!(matches!(
        err,
        DecodeError::WrongType {
            expected: "integer",
            found: "text string",
            ..
        }
    ));
}

#[test]
fn integer_out_of_range_is_invalid() {
    let bytes = value_to_vec(
        &MapBuilder::new()
            .field("name", &"x".to_owned())
            .field("count", &300u16)
            .build(),
    );
    let err = from_slice::<Sample>(&bytes).expect_err("out of range");
    assert!(
        matches!(err, DecodeError::InvalidValue { ref path, .. } if path == "count"),
        "{err:?}"
    );
}

#[test]
fn tag24_keeps_received_bytes() {
    // Inner item encoded non-preferred (0x18 0x05 for 5): the stored bytes stay as sent.
    let inner = vec![0x18, 0x05];
    let tagged = value_to_vec(&Value::Tag(24, Box::new(Value::Bytes(inner.clone()))));
    let t: Tag24<u8> = from_slice(&tagged).expect("decodes");
    assert_eq!(*t.value(), 5);
    assert_eq!(t.inner_bytes(), &inner[..]);
    assert_eq!(t.tagged_bytes(), tagged);
    assert_eq!(to_vec(&t), tagged);
}

#[test]
fn tag24_new_and_header_sizes() {
    for len in [0usize, 23, 24, 255, 256, 70_000] {
        let t = Tag24::new(Bstr(vec![7; len]));
        let tagged = t.tagged_bytes();
        assert_eq!(tagged, to_vec(&t), "length {len}");
        assert_eq!(
            Tag24::<Bstr>::from_tagged_slice(&tagged)
                .expect("decodes")
                .value()
                .0
                .len(),
            len
        );
    }
}

#[test]
fn tag24_wrong_tag_and_content() {
    let wrong_tag = value_to_vec(&Value::Tag(25, Box::new(Value::Bytes(vec![0x01]))));
    assert!(matches!(
        from_slice::<Tag24<u8>>(&wrong_tag),
        Err(DecodeError::WrongTag {
            expected: 24,
            found: Some(25),
            ..
        })
    ));
    let untagged = value_to_vec(&Value::Bytes(vec![0x01]));
    assert!(matches!(
        from_slice::<Tag24<u8>>(&untagged),
        Err(DecodeError::WrongTag { found: None, .. })
    ));
    let not_bytes = value_to_vec(&Value::Tag(24, Box::new(Value::Integer(1.into()))));
    assert!(matches!(
        from_slice::<Tag24<u8>>(&not_bytes),
        Err(DecodeError::WrongType { .. })
    ));
    // Embedded bytes with trailing garbage are rejected like any message.
    let trailing = value_to_vec(&Value::Tag(24, Box::new(Value::Bytes(vec![0x01, 0x02]))));
    assert!(matches!(
        from_slice::<Tag24<u8>>(&trailing),
        Err(DecodeError::TrailingBytes { .. })
    ));
}

#[test]
fn non_empty_rejects_empty_array() {
    assert!(matches!(
        from_slice::<NonEmpty<u8>>(&[0x80]),
        Err(DecodeError::InvalidValue { .. })
    ));
    assert_eq!(
        from_slice::<NonEmpty<u8>>(&[0x81, 0x01])
            .expect("one")
            .first(),
        &1
    );
}

#[test]
fn unassigned_simple_values_and_undefined_are_rejected() {
    // No 18013-5 structure uses them and the value tree cannot represent them faithfully.
    for bytes in [&[0xf7][..], &[0xf0][..], &[0xf8, 0x20][..]] {
        assert!(
            matches!(check(bytes), Err(DecodeError::Malformed { offset: 0, .. })),
            "{bytes:02x?}"
        );
    }
}

#[test]
fn every_prefix_of_a_valid_message_fails_cleanly() {
    let s = Sample {
        name: "prefix".into(),
        count: 9,
        tags: Some(vec![1, 1000, 100_000]),
    };
    let bytes = to_vec(&s);
    for end in 0..bytes.len() {
        assert!(
            from_slice::<Sample>(&bytes[..end]).is_err(),
            "prefix of {end} bytes decoded"
        );
    }
}

#[test]
fn error_paths_join_fields_and_indexes() {
    let e = DecodeError::invalid("x")
        .within("itemsRequest")
        .within("[0]")
        .within("docRequests");
    assert_eq!(e.path(), Some("docRequests[0].itemsRequest"));
    let e = DecodeError::invalid("x")
        .within("[2]")
        .within("[1]")
        .within("a");
    assert_eq!(e.path(), Some("a[1][2]"));
}

#[test]
fn embedded_items_share_the_callers_item_budget() {
    // [24(<<[1, 2, 3]>>), 24(<<[1, 2, 3]>>)]: 1 + 2×(tag + bstr) = 5 outer items, 4 inside each.
    let inner = [0x83, 1, 2, 3];
    let mut bytes = vec![0x82];
    for _ in 0..2 {
        bytes.extend_from_slice(&[0xd8, 0x18, 0x44]);
        bytes.extend_from_slice(&inner);
    }
    let decode = |max_items| {
        let limits = Limits {
            max_items,
            ..Limits::default()
        };
        from_slice_with::<Vec<Tag24<Vec<u8>>>>(&bytes, &limits)
    };
    assert!(decode(13).is_ok());
    // A fresh budget per embedded item (the old behaviour) would accept 12: 5 ≤ 12 and 4 ≤ 12.
    assert!(matches!(decode(12), Err(DecodeError::TooManyItems { .. })));
}

#[test]
fn embedded_items_obey_the_callers_depth() {
    // 24(<<[[[[1]]]]>>): depth 4 inside, 1 outside.
    let inner = [0x81, 0x81, 0x81, 0x81, 0x01];
    let mut bytes = vec![0xd8, 0x18, 0x45];
    bytes.extend_from_slice(&inner);
    let limits = Limits {
        max_depth: 3,
        ..Limits::default()
    };
    // The default limits inside (the old behaviour) allowed depth 32.
    assert!(matches!(
        from_slice_with::<Tag24<Value>>(&bytes, &limits),
        Err(DecodeError::TooDeep { limit: 3, .. })
    ));
    assert!(from_slice_with::<Tag24<Value>>(&bytes, &Limits::default()).is_ok());
}

#[test]
fn tag24_keeps_a_non_preferred_outer_header() {
    let inner = [0x83, 1, 2, 3];
    for received in [
        vec![0xd8, 0x18, 0x58, 0x04],       // 1-byte length for 4
        vec![0xd8, 0x18, 0x5a, 0, 0, 0, 4], // 4-byte length
        vec![0xd9, 0x00, 0x18, 0x44],       // tag 24 in two bytes
    ] {
        let mut bytes = received.clone();
        bytes.extend_from_slice(&inner);
        let t: Tag24<Vec<u8>> = from_slice(&bytes).expect("decodes");
        assert_eq!(t.tagged_bytes(), bytes);
        assert_eq!(t.inner_bytes(), inner);
    }
    // Indefinite-length chunks: the bytes as received, chunk headers included.
    let bytes = [0xd8, 0x18, 0x5f, 0x42, 0x83, 1, 0x42, 2, 3, 0xff];
    let t: Tag24<Vec<u8>> = from_slice(&bytes).expect("decodes");
    assert_eq!(t.tagged_bytes(), bytes);
    assert_eq!(t.inner_bytes(), inner);
    // Preferred form: rebuilt, identical.
    let bytes = [0xd8, 0x18, 0x44, 0x83, 1, 2, 3];
    let t: Tag24<Vec<u8>> = from_slice(&bytes).expect("decodes");
    assert_eq!(t.tagged_bytes(), bytes);
}

#[test]
fn same_content_with_different_headers_keeps_each() {
    // [24(h'...' as 58 04), 24(h'...' preferred)]: each item gets its own bytes back.
    let bytes = [
        0x82, 0xd8, 0x18, 0x58, 0x04, 0x83, 1, 2, 3, 0xd8, 0x18, 0x44, 0x83, 1, 2, 3,
    ];
    let v: Vec<Tag24<Vec<u8>>> = from_slice(&bytes).expect("decodes");
    assert_eq!(v[0].tagged_bytes(), bytes[1..9]);
    assert_eq!(v[1].tagged_bytes(), bytes[9..]);
}
