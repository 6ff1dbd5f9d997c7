//! The certificate path cache skips signature verification for a path it has verified, and
//! never turns an invalid chain valid: not once expired or not yet valid, not after its anchor
//! is removed, not for other certificate bytes, not for a chain that failed. Reader (Document
//! Signer paths) and holder (reader certificate paths) sides.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mdl_proximity::cbor::{self, Tag24};
use mdl_proximity::crypto::{CryptoProvider, Curve, EphemeralPrivateKey, SeededRng};
use mdl_proximity::issuer::{sample_mdl_credential, SampleMdl};
use mdl_proximity::msg::{DeviceRequest, DeviceResponse, DocRequest, SessionTranscriptBytes};
use mdl_proximity::verify::{
    self, CertPosition, Check, Failure, PathCache, PathCacheStats, ReaderIdentity, TrustAnchor,
    TrustAnchors, VerificationReport, VerifyOptions,
};

mod common;
use common::annex_d;

const JAN_2021: i64 = 1_609_459_200;
/// 2025-01-01: after the Annex D Document Signer and reader certificates expired.
const JAN_2025: i64 = 1_735_689_600;
/// 2019-01-01: before any Annex D certificate was valid.
const JAN_2019: i64 = 1_546_300_800;

fn transcript() -> SessionTranscriptBytes {
    Tag24::from_tagged_slice(&annex_d("session_transcript_bytes")).unwrap()
}

fn iaca() -> TrustAnchors {
    TrustAnchors::from_der(&annex_d("iaca_cert")).unwrap()
}

fn response(bytes: &[u8]) -> DeviceResponse {
    cbor::from_slice(bytes).unwrap()
}

fn verify_with(
    response: &DeviceResponse,
    anchors: &TrustAnchors,
    at: i64,
    cache: &PathCache,
) -> VerificationReport {
    let key = EphemeralPrivateKey::from_bytes(Curve::P256, &annex_d("e_reader_key_d")).unwrap();
    let options = VerifyOptions::default().with_path_cache(cache);
    verify::response_with(response, &transcript(), anchors, Some(&key), at, &options)
}

fn doc_failures(report: &VerificationReport) -> Vec<Failure> {
    report.documents()[0].failures().to_vec()
}

fn stats(hits: u64, misses: u64) -> PathCacheStats {
    PathCacheStats {
        hits,
        misses,
        evictions: 0,
    }
}

#[test]
fn a_repeated_document_signer_is_a_cache_hit_with_the_same_report() {
    let cache = PathCache::default();
    let r = response(&annex_d("device_response"));
    let cold = verify_with(&r, &iaca(), JAN_2021, &cache);
    assert!(cold.is_valid(), "{cold}");
    assert_eq!(cache.stats(), stats(0, 1));
    assert_eq!(cache.len(), 1);
    let warm = verify_with(&r, &iaca(), JAN_2021 + 86_400, &cache);
    assert_eq!(cache.stats(), stats(1, 1));
    assert!(warm.is_valid(), "{warm}");
    let (c, w) = (&cold.documents()[0], &warm.documents()[0]);
    assert_eq!(c.checks(), w.checks());
    assert!(w.checks().contains(&Check::IssuerCertificateChain));
    assert_eq!(c.issuer_elements(), w.issuer_elements());
    assert_eq!(format!("{cold}"), format!("{warm}"));
    // Equal anchors loaded again have the same fingerprint: still a hit.
    verify_with(&r, &iaca(), JAN_2021, &cache);
    assert_eq!(cache.stats(), stats(2, 1));
}

#[test]
fn an_expired_path_is_not_served_from_the_cache() {
    let cache = PathCache::default();
    let r = response(&annex_d("device_response"));
    assert!(verify_with(&r, &iaca(), JAN_2021, &cache).is_valid());
    let late = verify_with(&r, &iaca(), JAN_2025, &cache);
    assert!(!late.is_valid());
    assert!(doc_failures(&late).contains(&Failure::CertificateExpired {
        which: CertPosition::Leaf
    }));
    let early = verify_with(&r, &iaca(), JAN_2019, &cache);
    assert!(
        doc_failures(&early).contains(&Failure::CertificateNotYetValid {
            which: CertPosition::Leaf
        })
    );
    assert_eq!(cache.stats(), stats(0, 3));
    // Still served inside the window afterwards.
    assert!(verify_with(&r, &iaca(), JAN_2021, &cache).is_valid());
    assert_eq!(cache.stats(), stats(1, 3));
}

#[test]
fn removing_the_anchor_invalidates_the_path() {
    let cache = PathCache::default();
    let r = response(&annex_d("device_response"));
    assert!(verify_with(&r, &iaca(), JAN_2021, &cache).is_valid());
    // Removed: no anchor at all, or only an unrelated one.
    for anchors in [
        TrustAnchors::new(),
        TrustAnchors::from_der(&annex_d("reader_root_cert")).unwrap(),
    ] {
        let report = verify_with(&r, &anchors, JAN_2021, &cache);
        assert!(!report.is_valid());
        assert!(
            doc_failures(&report)
                .iter()
                .any(|f| matches!(f, Failure::UntrustedIssuer { .. })),
            "{report}"
        );
    }
    assert_eq!(cache.stats(), stats(0, 3));
}

#[test]
fn any_change_of_the_anchors_misses_then_warms_again() {
    let cache = PathCache::default();
    let r = response(&annex_d("device_response"));
    assert!(verify_with(&r, &iaca(), JAN_2021, &cache).is_valid());
    let mut more = iaca();
    more.add_certificate(&annex_d("reader_root_cert")).unwrap();
    assert_ne!(more.fingerprint(), iaca().fingerprint());
    assert!(verify_with(&r, &more, JAN_2021, &cache).is_valid());
    assert_eq!(cache.stats(), stats(0, 2));
    assert!(verify_with(&r, &more, JAN_2021, &cache).is_valid());
    assert_eq!(cache.stats(), stats(1, 2));
    // A docType restriction is a change too, and is applied on the (cold) path.
    let restricted: TrustAnchors = [TrustAnchor::from_der(&annex_d("iaca_cert"))
        .unwrap()
        .with_doc_types(vec!["org.example.other".into()])]
    .into_iter()
    .collect();
    let report = verify_with(&r, &restricted, JAN_2021, &cache);
    assert!(doc_failures(&report)
        .iter()
        .any(|f| matches!(f, Failure::DocTypeNotAllowedByAnchor { .. })));
    assert_eq!(cache.stats(), stats(1, 3));
}

/// The response with one byte flipped inside the Document Signer certificate's signature.
fn other_ds_bytes() -> Vec<u8> {
    let ds = annex_d("ds_cert");
    let mut bytes = annex_d("device_response");
    let at = bytes
        .windows(ds.len())
        .position(|w| w == ds)
        .expect("the DS certificate is in the response");
    let last = at + ds.len() - 1;
    bytes[last] ^= 0x01;
    bytes
}

#[test]
fn other_document_signer_bytes_are_validated_in_full() {
    let cache = PathCache::default();
    assert!(verify_with(
        &response(&annex_d("device_response")),
        &iaca(),
        JAN_2021,
        &cache
    )
    .is_valid());
    let report = verify_with(&response(&other_ds_bytes()), &iaca(), JAN_2021, &cache);
    assert!(!report.is_valid());
    assert!(
        doc_failures(&report).iter().any(|f| matches!(
            f,
            Failure::CertificateInvalid {
                which: CertPosition::Leaf,
                ..
            }
        )),
        "{report}"
    );
    assert_eq!(cache.stats(), stats(0, 2));
}

#[test]
fn a_failing_chain_is_never_stored() {
    let cache = PathCache::default();
    let r = response(&other_ds_bytes());
    for _ in 0..3 {
        assert!(!verify_with(&r, &iaca(), JAN_2021, &cache).is_valid());
    }
    assert_eq!(cache.stats(), stats(0, 3));
    assert!(cache.is_empty());
}

#[test]
fn the_cache_skips_the_chain_but_not_the_mso_signature() {
    // A warm path, then a response whose MSO signature is broken: still rejected.
    let cache = PathCache::default();
    let good = annex_d("device_response");
    assert!(verify_with(&response(&good), &iaca(), JAN_2021, &cache).is_valid());
    let issuer_auth = annex_d("issuer_auth");
    let mut bad = good.clone();
    let at = bad
        .windows(issuer_auth.len())
        .position(|w| w == issuer_auth)
        .unwrap();
    bad[at + issuer_auth.len() - 1] ^= 0x01; // last byte of the signature
    let report = verify_with(&response(&bad), &iaca(), JAN_2021, &cache);
    assert_eq!(cache.stats(), stats(1, 1));
    assert!(
        doc_failures(&report).contains(&Failure::IssuerSignatureInvalid),
        "{report}"
    );
}

#[test]
fn the_cache_is_bounded_and_evicts_the_least_recently_used() {
    let cache = PathCache::new(1);
    let annex = response(&annex_d("device_response"));
    assert!(verify_with(&annex, &iaca(), JAN_2021, &cache).is_valid());
    // A second Document Signer path (a freshly issued sample mDL) against its own IACA.
    let mut rng = SeededRng::new(9);
    let (credential, pki) = sample_mdl_credential(&SampleMdl::p256(JAN_2021), &mut rng).unwrap();
    let anchors = TrustAnchors::from_der(pki.iaca.der()).unwrap();
    let chain =
        mdl_proximity::crypto::sign1_x5chain(credential.issuer_signed.issuer_auth.inner()).unwrap();
    let options = VerifyOptions::default().with_path_cache(&cache);
    for expected_hits in [0, 1] {
        let doc = mdl_proximity::msg::Document {
            doc_type: credential.doc_type.clone(),
            issuer_signed: credential.issuer_signed.clone(),
            device_signed: annex
                .documents
                .as_ref()
                .unwrap()
                .first()
                .device_signed
                .clone(),
            errors: None,
        };
        let report =
            verify::document_with(&doc, &transcript(), &anchors, None, JAN_2021 + 60, &options);
        assert!(
            report.checks().contains(&Check::IssuerCertificateChain),
            "{chain:?}"
        );
        assert_eq!(cache.stats().hits, expected_hits);
    }
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.stats().evictions, 1);
    // The Annex D path was evicted: a miss again.
    assert!(verify_with(&annex, &iaca(), JAN_2021, &cache).is_valid());
    assert_eq!(cache.stats().misses, 3);
    assert_eq!(cache.stats().evictions, 2);
    // Capacity 0 stores nothing.
    let none = PathCache::new(0);
    verify_with(&annex, &iaca(), JAN_2021, &none);
    verify_with(&annex, &iaca(), JAN_2021, &none);
    assert_eq!(none.stats(), stats(0, 2));
}

// ---- the holder's side: reader certificate paths -----------------------------------------------

fn doc_request(bytes: &[u8]) -> DocRequest {
    let request: DeviceRequest = cbor::from_slice(bytes).unwrap();
    request.doc_requests.first().clone()
}

fn reader_roots() -> TrustAnchors {
    TrustAnchors::from_der(&annex_d("reader_root_cert")).unwrap()
}

#[test]
fn reader_certificate_paths_are_cached_on_the_holder_side() {
    let cache = PathCache::default();
    let options = VerifyOptions::default()
        .with_provider(CryptoProvider::RUST_CRYPTO)
        .with_path_cache(&cache);
    let request = doc_request(&annex_d("device_request"));
    let check = |roots: &TrustAnchors, at| {
        verify::reader_auth_with(&request, &transcript(), roots, at, &options)
    };
    assert!(check(&reader_roots(), JAN_2021).is_authenticated());
    assert!(check(&reader_roots(), JAN_2021).is_authenticated());
    assert_eq!(cache.stats(), stats(1, 1));
    // Expired, or the root removed: not authenticated, whatever the cache holds.
    assert_eq!(
        check(&reader_roots(), JAN_2025),
        ReaderIdentity::Invalid {
            reason: Failure::CertificateExpired {
                which: CertPosition::Leaf
            }
        }
    );
    assert!(matches!(
        check(&iaca(), JAN_2021),
        ReaderIdentity::Untrusted { .. }
    ));
    assert_eq!(cache.stats(), stats(1, 3));
}

#[test]
fn a_warm_reader_path_does_not_vouch_for_a_tampered_request() {
    let cache = PathCache::default();
    let options = VerifyOptions::default().with_path_cache(&cache);
    let good = doc_request(&annex_d("device_request"));
    assert!(
        verify::reader_auth_with(&good, &transcript(), &reader_roots(), JAN_2021, &options)
            .is_authenticated()
    );
    // The same reader certificate over other ItemsRequest bytes: the signature still fails.
    // IntentToRetain of one element flipped inside ItemsRequestBytes (f4 <-> f5).
    let items = annex_d("items_request");
    let mut bytes = annex_d("device_request");
    let at = bytes.windows(items.len()).position(|w| w == items).unwrap();
    let flag = items.iter().position(|b| *b == 0xf5 || *b == 0xf4).unwrap();
    bytes[at + flag] ^= 0x01;
    let tampered = doc_request(&bytes);
    assert_eq!(
        verify::reader_auth_with(
            &tampered,
            &transcript(),
            &reader_roots(),
            JAN_2021,
            &options
        ),
        ReaderIdentity::Invalid {
            reason: Failure::ReaderSignatureInvalid
        }
    );
    assert_eq!(cache.stats(), stats(1, 1));
}
