//! Issued mdocs: item digests match the MSO, issuerAuth verifies, the credential file
//! round-trips.
#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use mdl_proximity::cbor::{self, Tag24};
use mdl_proximity::crypto::{sign1_x5chain, verify_sign1, Curve};
use mdl_proximity::issuer::{
    issue_mdoc, pki::IssuerPki, sample_mdl_name_spaces, Credential, DeviceAuthMethod,
    DigestIdOrder, MdocRequest, MdocValidity, PrivateKey, MDL_DOC_TYPE, MDL_NAMESPACE,
    SAMPLE_PORTRAIT_JPEG,
};
use mdl_proximity::msg::{
    mso::DigestAlgorithm, response::IssuerSigned, FullDate, MobileSecurityObject,
};
use sha2::{Digest, Sha256, Sha384, Sha512};

use mdl_proximity::crypto::SeededRng as TestRng;

const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn request(device_key: &PrivateKey, alg: DigestAlgorithm, order: DigestIdOrder) -> MdocRequest {
    MdocRequest {
        doc_type: MDL_DOC_TYPE.into(),
        name_spaces: sample_mdl_name_spaces(
            FullDate::new(2026, 1, 1).unwrap(),
            FullDate::new(2031, 1, 1).unwrap(),
        ),
        device_key: device_key.public_key().clone(),
        key_authorizations: None,
        validity: MdocValidity {
            signed: NOW,
            valid_from: NOW,
            valid_until: NOW + 365 * 86_400,
            expected_update: None,
        },
        digest_algorithm: alg,
        digest_ids: order,
    }
}

fn mso_of(signed: &IssuerSigned) -> MobileSecurityObject {
    let payload = signed.issuer_auth.inner().payload.as_deref().unwrap();
    cbor::from_slice::<Tag24<MobileSecurityObject>>(payload)
        .unwrap()
        .into_value()
}

fn check_digests(signed: &IssuerSigned, mso: &MobileSecurityObject) {
    let mut ids = HashSet::new();
    for (ns, items) in signed.name_spaces.as_ref().unwrap() {
        for item in items {
            let bytes = item.tagged_bytes();
            let digest = match mso.digest_algorithm {
                DigestAlgorithm::Sha256 => Sha256::digest(&bytes).to_vec(),
                DigestAlgorithm::Sha384 => Sha384::digest(&bytes).to_vec(),
                DigestAlgorithm::Sha512 => Sha512::digest(&bytes).to_vec(),
                DigestAlgorithm::Other(_) => unreachable!(),
            };
            let id = item.value().digest_id;
            assert!(ids.insert(id), "digest ID {id} is unique");
            assert_eq!(mso.value_digests[ns].0[&id].0, digest, "{ns} {id}");
            assert_eq!(item.value().random.0.len(), 32);
        }
    }
    let total: usize = mso.value_digests.values().map(|d| d.0.len()).sum();
    assert_eq!(total, ids.len(), "the MSO has exactly one digest per item");
}

#[test]
fn issued_mdl_digests_match_and_issuer_auth_verifies_per_curve() {
    let mut curves = vec![
        Curve::P256,
        Curve::P384,
        Curve::P521,
        Curve::ED25519,
        Curve::ED448,
        Curve::BRAINPOOL_P256R1,
    ];
    if cfg!(feature = "openssl") {
        curves.push(Curve::BRAINPOOL_P512R1);
    }
    for curve in curves {
        let mut rng = TestRng::new(curve.0 as u64);
        let pki = IssuerPki::generate(curve, "UT", NOW, &mut rng).unwrap();
        let device_key = PrivateKey::generate(Curve::P256, &mut rng).unwrap();
        let signed = issue_mdoc(
            &request(
                &device_key,
                DigestAlgorithm::Sha256,
                DigestIdOrder::Shuffled,
            ),
            &pki.ds_key.signer().unwrap(),
            pki.ds.der(),
            &mut rng,
        )
        .unwrap();
        verify_sign1(signed.issuer_auth.inner(), pki.ds_key.public_key()).unwrap();
        assert!(verify_sign1(signed.issuer_auth.inner(), pki.iaca_key.public_key()).is_err());
        assert_eq!(
            sign1_x5chain(signed.issuer_auth.inner()).unwrap(),
            vec![pki.ds.der().to_vec()]
        );
        let mso = mso_of(&signed);
        assert_eq!(mso.doc_type, MDL_DOC_TYPE);
        assert_eq!(&mso.device_key_info.device_key, device_key.public_key());
        assert_eq!(mso.validity_info.signed.as_str(), "2026-01-01T00:00:00Z");
        assert_eq!(
            mso.validity_info.valid_until.unix_seconds(),
            NOW + 365 * 86_400
        );
        check_digests(&signed, &mso);
    }
}

#[test]
fn sha384_sha512_and_sequential_ids() {
    let mut rng = TestRng::new(11);
    let pki = IssuerPki::generate(Curve::P256, "UT", NOW, &mut rng).unwrap();
    let device_key = PrivateKey::generate(Curve::P256, &mut rng).unwrap();
    for alg in [DigestAlgorithm::Sha384, DigestAlgorithm::Sha512] {
        let signed = issue_mdoc(
            &request(&device_key, alg.clone(), DigestIdOrder::Sequential),
            &pki.ds_key.signer().unwrap(),
            pki.ds.der(),
            &mut rng,
        )
        .unwrap();
        let mso = mso_of(&signed);
        assert_eq!(mso.digest_algorithm, alg);
        check_digests(&signed, &mso);
        let ids: Vec<u64> = signed.name_spaces.as_ref().unwrap()[MDL_NAMESPACE]
            .iter()
            .map(|i| i.value().digest_id)
            .collect();
        assert_eq!(ids, (0..ids.len() as u64).collect::<Vec<_>>());
    }
    let bad = issue_mdoc(
        &request(
            &device_key,
            DigestAlgorithm::Other("MD5".into()),
            DigestIdOrder::Sequential,
        ),
        &pki.ds_key.signer().unwrap(),
        pki.ds.der(),
        &mut rng,
    );
    assert!(bad.is_err());
}

#[test]
fn sample_elements_are_realistic() {
    let ns = sample_mdl_name_spaces(
        FullDate::new(2026, 1, 1).unwrap(),
        FullDate::new(2031, 1, 1).unwrap(),
    );
    let els = &ns[MDL_NAMESPACE];
    for required in [
        "family_name",
        "given_name",
        "birth_date",
        "issue_date",
        "expiry_date",
        "issuing_country",
        "issuing_authority",
        "document_number",
        "portrait",
        "driving_privileges",
        "un_distinguishing_sign",
    ] {
        assert!(els.contains_key(required), "{required}");
    }
    // full-date elements carry tag 1004.
    assert!(matches!(els["birth_date"], ciborium::Value::Tag(1004, _)));
    assert!(SAMPLE_PORTRAIT_JPEG.starts_with(&[0xff, 0xd8]) && SAMPLE_PORTRAIT_JPEG.len() == 1042);
    assert_eq!(els["age_over_18"], ciborium::Value::Bool(true));
}

#[test]
fn credential_file_round_trips_and_checks_the_device_key() {
    let mut rng = TestRng::new(12);
    let pki = IssuerPki::generate(Curve::P384, "UT", NOW, &mut rng).unwrap();
    let device_key = PrivateKey::generate(Curve::P256, &mut rng).unwrap();
    let signed = issue_mdoc(
        &request(
            &device_key,
            DigestAlgorithm::Sha256,
            DigestIdOrder::Shuffled,
        ),
        &pki.ds_key.signer().unwrap(),
        pki.ds.der(),
        &mut rng,
    )
    .unwrap();
    let credential = Credential {
        doc_type: MDL_DOC_TYPE.into(),
        issuer_signed: signed.clone(),
        device_key,
        device_auth: DeviceAuthMethod::Mac,
    };
    let bytes = credential.to_bytes();
    let back = Credential::from_bytes(&bytes).unwrap();
    // Byte-identical IssuerSigned after the trip through the file.
    assert!(cbor::to_vec(&back.issuer_signed) == cbor::to_vec(&signed));
    assert_eq!(
        back.device_key.public_key(),
        credential.device_key.public_key()
    );
    assert_eq!(
        back.device_key.expose_secret(),
        credential.device_key.expose_secret()
    );
    assert_eq!(back.device_auth, DeviceAuthMethod::Mac);
    assert_eq!(&back.to_bytes()[..], &bytes[..]);
    // Items keep their bytes through the file.
    let a = &signed.name_spaces.as_ref().unwrap()[MDL_NAMESPACE];
    let b = &back.issuer_signed.name_spaces.as_ref().unwrap()[MDL_NAMESPACE];
    for (x, y) in a.iter().zip(b.iter()) {
        assert_eq!(x.tagged_bytes(), y.tagged_bytes());
    }
    // A device key that is not the MSO's is refused.
    let other = PrivateKey::generate(Curve::P256, &mut rng).unwrap();
    let wrong = Credential {
        doc_type: MDL_DOC_TYPE.into(),
        issuer_signed: signed,
        device_key: other,
        device_auth: DeviceAuthMethod::Signature,
    };
    assert!(Credential::from_bytes(&wrong.to_bytes()).is_err());
    // Private keys round-trip as COSE_Key with d on every kind of curve.
    for curve in [
        Curve::P521,
        Curve::ED448,
        Curve::X25519,
        Curve::BRAINPOOL_P384R1,
    ] {
        let k = PrivateKey::generate(curve, &mut rng).unwrap();
        let back = PrivateKey::from_cose_bytes(&k.to_cose_bytes()).unwrap();
        assert_eq!(back.public_key(), k.public_key());
        assert!(format!("{k:?}").contains("redacted"));
    }
}
