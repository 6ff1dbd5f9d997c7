//! A device key that lives "in secure hardware": the holder's credential holds only an object
//! that signs or agrees a key on request and never exposes its scalar (issue 11 item 1). The
//! response it produces verifies like any other, for deviceSignature and for deviceMac.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use coset::iana::Algorithm;
use mdl_proximity::cbor::{self, Tag24};
use mdl_proximity::crypto::{
    CoseKey, CryptoError, Curve, DeviceKeyAgreement, EphemeralPrivateKey, SharedSecret, Signer,
    SoftwareDeviceKey, SoftwareSigner,
};
use mdl_proximity::holder::{ApproveAll, DeviceKey, MdocCredential, Presenter};
use mdl_proximity::issuer::{
    issue_mdoc, pki::IssuerPki, sample_mdl_name_spaces, DigestIdOrder, MdocRequest, MdocValidity,
    MDL_DOC_TYPE,
};
use mdl_proximity::msg::{mso::DigestAlgorithm, response::DeviceAuth, FullDate, SessionTranscript};
use mdl_proximity::reader::RequestBuilder;
use mdl_proximity::verify::{self, TrustAnchors};

use mdl_proximity::crypto::SeededRng as TestRng;

const NOW: i64 = 1_767_225_600;

mod common;
use common::annex_d;

/// A stand-in for a secure element: the private key is a private field of a type that only
/// implements the operations, and every use is counted. Nothing reads the scalar back.
struct SecureElement<K> {
    key: K,
    uses: Arc<AtomicUsize>,
}

impl Signer for SecureElement<SoftwareSigner> {
    fn algorithm(&self) -> Algorithm {
        self.key.algorithm()
    }
    fn public_key(&self) -> CoseKey {
        self.key.public_key()
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.uses.fetch_add(1, Ordering::SeqCst);
        self.key.sign(msg)
    }
}

impl DeviceKeyAgreement for SecureElement<SoftwareDeviceKey> {
    fn curve(&self) -> Curve {
        self.key.curve()
    }
    fn public_key(&self) -> CoseKey {
        DeviceKeyAgreement::public_key(&self.key)
    }
    fn agree(&self, peer: &CoseKey) -> Result<SharedSecret, CryptoError> {
        self.uses.fetch_add(1, Ordering::SeqCst);
        self.key.agree(peer)
    }
}

/// Issues a test mDL to `device_public` and wraps it with `device_key`.
fn credential(
    device_public: CoseKey,
    device_key: DeviceKey,
    rng: &mut TestRng,
) -> (MdocCredential, IssuerPki) {
    let pki = IssuerPki::generate(Curve::P256, "UT", NOW, rng).unwrap();
    let issuer_signed = issue_mdoc(
        &MdocRequest {
            doc_type: MDL_DOC_TYPE.into(),
            name_spaces: sample_mdl_name_spaces(
                FullDate::new(2026, 1, 1).unwrap(),
                FullDate::new(2031, 1, 1).unwrap(),
            ),
            device_key: device_public,
            key_authorizations: None,
            validity: MdocValidity {
                signed: NOW,
                valid_from: NOW,
                valid_until: NOW + 86_400 * 365,
                expected_update: None,
            },
            digest_algorithm: DigestAlgorithm::Sha256,
            digest_ids: DigestIdOrder::Shuffled,
        },
        &pki.ds_key.signer().unwrap(),
        pki.ds.der(),
        rng,
    )
    .unwrap();
    (
        MdocCredential::new(MDL_DOC_TYPE, issuer_signed, device_key),
        pki,
    )
}

/// transcript and EReaderKey); returns how often the device key was used.
fn present_and_verify(
    device_public: CoseKey,
    device_key: DeviceKey,
    uses: &AtomicUsize,
    mac: bool,
) {
    let mut rng = TestRng::new(11);
    let (cred, pki) = credential(device_public, device_key, &mut rng);
    let st =
        Tag24::new(cbor::from_slice::<SessionTranscript>(&annex_d("session_transcript")).unwrap());
    let e_reader_key =
        EphemeralPrivateKey::from_bytes(Curve::P256, &annex_d("e_reader_key_d")).unwrap();
    let request = RequestBuilder::new()
        .mdl(&[("family_name", false), ("age_over_18", false)])
        .build()
        .unwrap();
    let trust = TrustAnchors::from_der(pki.iaca.der()).unwrap();
    let mut presenter = Presenter::new(vec![cred], ApproveAll, TrustAnchors::new());
    for round in 1..=2 {
        let response = presenter.respond(&request, &st, NOW).unwrap();
        let doc = response.documents.as_ref().unwrap().first();
        assert_eq!(
            matches!(doc.device_signed.device_auth, DeviceAuth::Mac(_)),
            mac,
            "the key's kind decides the method"
        );
        let report = verify::response(&response, &st, &trust, Some(&e_reader_key), NOW + 60);
        assert!(report.is_valid(), "{report}");
        assert_eq!(
            uses.load(Ordering::SeqCst),
            round,
            "one key operation per response"
        );
    }
}

#[test]
fn a_signer_that_never_exposes_its_scalar_presents_with_device_signature() {
    let uses = Arc::new(AtomicUsize::new(0));
    let key = SoftwareSigner::generate(Curve::P256, &mut TestRng::new(1)).unwrap();
    let public = key.public_key();
    let element = SecureElement {
        key,
        uses: Arc::clone(&uses),
    };
    present_and_verify(public, DeviceKey::signer(element), &uses, false);
}

#[test]
fn a_key_agreement_key_that_never_exposes_its_scalar_presents_with_device_mac() {
    let uses = Arc::new(AtomicUsize::new(0));
    let key = SoftwareDeviceKey::generate(Curve::P256, &mut TestRng::new(2)).unwrap();
    let public = DeviceKeyAgreement::public_key(&key);
    let element = SecureElement {
        key,
        uses: Arc::clone(&uses),
    };
    present_and_verify(public, DeviceKey::key_agreement(element), &uses, true);
}

#[test]
fn a_failing_device_key_is_a_respond_error_not_a_panic() {
    struct Broken;
    impl Signer for Broken {
        fn algorithm(&self) -> Algorithm {
            Algorithm::ES256
        }
        fn public_key(&self) -> CoseKey {
            SoftwareSigner::generate(Curve::P256, &mut TestRng::new(3))
                .unwrap()
                .public_key()
        }
        fn sign(&self, _msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
            Err(CryptoError::Decrypt)
        }
    }
    let mut rng = TestRng::new(12);
    let (cred, _) = credential(Broken.public_key(), DeviceKey::signer(Broken), &mut rng);
    let st =
        Tag24::new(cbor::from_slice::<SessionTranscript>(&annex_d("session_transcript")).unwrap());
    let request = RequestBuilder::new()
        .mdl(&[("family_name", false)])
        .build()
        .unwrap();
    let mut presenter = Presenter::new(vec![cred], ApproveAll, TrustAnchors::new());
    assert!(presenter.respond(&request, &st, NOW).is_err());
}
