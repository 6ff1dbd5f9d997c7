//! Issuing an mdoc (2021 9.1.2): IssuerSignedItems with random salts, the Mobile Security
//! Object over their digests, and issuerAuth signed by a Document Signer.

use indexmap::IndexMap;
use rand_core::CryptoRng;
use sha2::{Digest as _, Sha256, Sha384, Sha512};

use crate::cbor::{Bstr, CborCodec as _, NonEmpty, Tag24, Value};
use crate::crypto::{sign1_embedded, CoseKey, CryptoError, Signer};
use crate::msg::{
    mso::{DeviceKeyInfo, DigestAlgorithm, DigestIds, KeyAuthorizations, ValidityInfo},
    response::{IssuerNameSpaces, IssuerSigned},
    CoseSign1, FullDate, IssuerSignedItem, MobileSecurityObject, TDate, Version,
};

use super::IssueError;

pub use crate::msg::{MDL_DOC_TYPE, MDL_NAMESPACE};
/// A real 1042-byte JPEG portrait (the one of 18013-5 Annex D), for sample credentials.
pub const SAMPLE_PORTRAIT_JPEG: &[u8] = include_bytes!("portrait.jpg");

/// How digest IDs are assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DigestIdOrder {
    /// 0, 1, 2, … in the order elements are given (reproducible, easy to read).
    Sequential,
    /// A random permutation of 0..n, so IDs say nothing about which element is which
    /// (2021 9.1.2.5 recommends IDs that reveal no information about the element).
    #[default]
    Shuffled,
}

/// The validity of the MSO, in Unix seconds (2021 9.1.2.4 ValidityInfo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MdocValidity {
    /// `signed`.
    pub signed: i64,
    /// `validFrom` (not before `signed`).
    pub valid_from: i64,
    /// `validUntil` (after `validFrom`).
    pub valid_until: i64,
    /// `expectedUpdate`.
    pub expected_update: Option<i64>,
}

/// What to issue.
#[derive(Debug, Clone)]
pub struct MdocRequest {
    /// The document type, e.g. [`MDL_DOC_TYPE`].
    pub doc_type: String,
    /// Namespace → element identifier → value, in the order to issue them.
    pub name_spaces: IndexMap<String, IndexMap<String, Value>>,
    /// The holder's SDeviceKey.Pub.
    pub device_key: CoseKey,
    /// What the device key may sign in DeviceNameSpaces.
    pub key_authorizations: Option<KeyAuthorizations>,
    /// The MSO's validity.
    pub validity: MdocValidity,
    /// SHA-256, SHA-384 or SHA-512.
    pub digest_algorithm: DigestAlgorithm,
    /// How digest IDs are assigned.
    pub digest_ids: DigestIdOrder,
}

fn digest(alg: &DigestAlgorithm, bytes: &[u8]) -> Result<Vec<u8>, IssueError> {
    Ok(match alg {
        DigestAlgorithm::Sha256 => Sha256::digest(bytes).to_vec(),
        DigestAlgorithm::Sha384 => Sha384::digest(bytes).to_vec(),
        DigestAlgorithm::Sha512 => Sha512::digest(bytes).to_vec(),
        DigestAlgorithm::Other(name) => {
            return Err(IssueError::InvalidInput(format!(
                "digest algorithm {name:?} (2021 9.1.2.5 allows SHA-256/384/512)"
            )))
        }
    })
}

fn tdate(unix: i64, what: &str) -> Result<TDate, IssueError> {
    TDate::from_unix(unix).ok_or_else(|| IssueError::InvalidInput(format!("{what} out of range")))
}

/// A uniform draw from `0..bound` (rejection sampling, no modulo bias).
fn below<R: CryptoRng + ?Sized>(rng: &mut R, bound: u64) -> u64 {
    let zone = u64::MAX - u64::MAX % bound;
    loop {
        let v = rng.next_u64();
        if v < zone {
            return v % bound;
        }
    }
}

/// Issues an mdoc: each element becomes an IssuerSignedItem with a fresh 32-byte salt
/// (`random`, 2021 9.1.2.5: at least 16 bytes), its digest goes into the MSO, and the MSO is
/// signed by `ds_signer` as issuerAuth (COSE_Sign1, payload = MobileSecurityObjectBytes,
/// x5chain = `ds_certificate`).
///
/// The items are stored as [`Tag24`], so the bytes that were digested are the bytes that
/// will be presented.
pub fn issue_mdoc<S: Signer + ?Sized, R: CryptoRng + ?Sized>(
    request: &MdocRequest,
    ds_signer: &S,
    ds_certificate: &[u8],
    rng: &mut R,
) -> Result<IssuerSigned, IssueError> {
    let v = &request.validity;
    if v.valid_from < v.signed || v.valid_until <= v.valid_from {
        return Err(IssueError::InvalidInput(
            "validity must satisfy signed <= validFrom < validUntil".into(),
        ));
    }
    let count: usize = request.name_spaces.values().map(IndexMap::len).sum();
    if count == 0 {
        return Err(IssueError::InvalidInput("no data elements to issue".into()));
    }
    let mut ids: Vec<u64> = (0..count as u64).collect();
    if request.digest_ids == DigestIdOrder::Shuffled {
        // Fisher–Yates.
        for i in (1..ids.len()).rev() {
            let j = below(rng, i as u64 + 1) as usize;
            ids.swap(i, j);
        }
    }
    let mut ids = ids.into_iter();
    let mut name_spaces = IssuerNameSpaces::new();
    let mut value_digests = IndexMap::new();
    for (ns, elements) in &request.name_spaces {
        let mut items = Vec::with_capacity(elements.len());
        let mut digests = IndexMap::new();
        for (identifier, value) in elements {
            let Some(digest_id) = ids.next() else {
                // `ids` has exactly one entry per element.
                unreachable!("one digest ID per element");
            };
            let mut random = vec![0u8; 32];
            rng.fill_bytes(&mut random);
            let item = Tag24::new(IssuerSignedItem {
                digest_id,
                random: Bstr(random),
                element_identifier: identifier.clone(),
                element_value: value.clone(),
            });
            digests.insert(
                digest_id,
                Bstr(digest(&request.digest_algorithm, &item.tagged_bytes())?),
            );
            items.push(item);
        }
        if let Some(items) = NonEmpty::new(items) {
            name_spaces.insert(ns.clone(), items);
            value_digests.insert(ns.clone(), DigestIds(digests));
        }
    }
    let mso = MobileSecurityObject {
        version: Version::v1_0(),
        digest_algorithm: request.digest_algorithm.clone(),
        value_digests,
        device_key_info: DeviceKeyInfo {
            device_key: request.device_key.clone(),
            key_authorizations: request.key_authorizations.clone(),
            key_info: None,
        },
        doc_type: request.doc_type.clone(),
        validity_info: ValidityInfo {
            signed: tdate(v.signed, "signed")?,
            valid_from: tdate(v.valid_from, "validFrom")?,
            valid_until: tdate(v.valid_until, "validUntil")?,
            expected_update: v
                .expected_update
                .map(|t| tdate(t, "expectedUpdate"))
                .transpose()?,
        },
    };
    // 2021 9.1.2.4: the payload is MobileSecurityObjectBytes, i.e. #6.24(bstr .cbor MSO).
    let payload = Tag24::new(mso).tagged_bytes();
    let sign1 = sign1_embedded(ds_signer, payload, &[ds_certificate.to_vec()])?;
    let issuer_auth = CoseSign1::new(sign1)
        .map_err(|_| CryptoError::MalformedCose("COSE_Sign1 not encodable"))?;
    Ok(IssuerSigned {
        name_spaces: Some(name_spaces),
        issuer_auth,
    })
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn date(y: u16, m: u8, d: u8) -> Value {
    // Literal dates below are valid calendar dates.
    FullDate::new(y, m, d).map_or(Value::Null, |d| d.to_cbor())
}

/// Realistic `org.iso.18013.5.1` elements of a fictional holder (2021 7.2.1 Table 5): names,
/// birth date 1985-04-12 (so both age_over_18 and age_over_21 are true), the given issue and
/// expiry dates, a real JPEG portrait, driving privileges for categories B and A with their
/// own dates, and an address in Utopia (`UT`).
pub fn sample_mdl_elements(issue_date: FullDate, expiry_date: FullDate) -> IndexMap<String, Value> {
    let privilege = |code: &str, from: Value| {
        Value::Map(vec![
            (text("vehicle_category_code"), text(code)),
            (text("issue_date"), from),
            (text("expiry_date"), expiry_date.to_cbor()),
        ])
    };
    let elements: Vec<(&str, Value)> = vec![
        ("family_name", text("Mustermann")),
        ("given_name", text("Erika")),
        ("birth_date", date(1985, 4, 12)),
        ("issue_date", issue_date.to_cbor()),
        ("expiry_date", expiry_date.to_cbor()),
        ("issuing_country", text("UT")),
        (
            "issuing_authority",
            text("Utopia Department of Motor Vehicles"),
        ),
        ("document_number", text("UT-4711-0815")),
        ("portrait", Value::Bytes(SAMPLE_PORTRAIT_JPEG.to_vec())),
        (
            "driving_privileges",
            Value::Array(vec![
                privilege("B", date(2003, 6, 1)),
                privilege("A", date(2010, 3, 15)),
            ]),
        ),
        ("un_distinguishing_sign", text("UTO")),
        ("administrative_number", text("A-123456789")),
        ("sex", Value::Integer(2.into())),
        ("height", Value::Integer(168.into())),
        ("weight", Value::Integer(61.into())),
        ("eye_colour", text("green")),
        ("hair_colour", text("brown")),
        ("birth_place", text("Utopia City")),
        ("resident_address", text("1 Main Street, Utopia City")),
        ("resident_city", text("Utopia City")),
        ("resident_postal_code", text("12345")),
        ("resident_country", text("UT")),
        ("age_birth_year", Value::Integer(1985.into())),
        ("age_over_18", Value::Bool(true)),
        ("age_over_21", Value::Bool(true)),
        ("issuing_jurisdiction", text("UT-01")),
        ("nationality", text("UT")),
        ("family_name_national_character", text("Mustermann")),
        ("given_name_national_character", text("Erika")),
    ];
    elements
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

/// [`sample_mdl_elements`] under [`MDL_NAMESPACE`], ready for [`MdocRequest::name_spaces`].
pub fn sample_mdl_name_spaces(
    issue_date: FullDate,
    expiry_date: FullDate,
) -> IndexMap<String, IndexMap<String, Value>> {
    IndexMap::from([(
        MDL_NAMESPACE.to_owned(),
        sample_mdl_elements(issue_date, expiry_date),
    )])
}
