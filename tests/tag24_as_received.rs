//! Tag 24 bytes are kept as received, outer `#6.24(bstr)` header included (issue 8 item 4): a
//! peer that wrote a non-shortest length header on IssuerSignedItemBytes, ItemsRequestBytes or
//! DeviceNameSpacesBytes still verifies, because digests, signatures and MACs cover the bytes
//! exactly as received.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mdl_proximity::cbor::{self, Tag24};
use mdl_proximity::crypto::{sign1_detached, sign1_embedded, Curve, SeededRng};
use mdl_proximity::holder::{build_response, ReaderIdentity, ReviewRequest, Selection};
use mdl_proximity::issuer::{
    pki::ReaderPki, sample_mdl_credential, Credential, SampleMdl, MDL_DOC_TYPE, MDL_NAMESPACE,
};
use mdl_proximity::msg::mso::DigestAlgorithm;
use mdl_proximity::msg::response::DeviceAuth;
use mdl_proximity::msg::{
    CoseSign1, DeviceRequest, DeviceResponse, MobileSecurityObject, SessionTranscript,
    SessionTranscriptBytes,
};
use mdl_proximity::reader::RequestBuilder;
use mdl_proximity::verify::{self, TrustAnchors};
use sha2::{Digest, Sha256};

mod common;
use common::annex_d;

const NOW: i64 = 1_767_225_600;

fn transcript() -> SessionTranscriptBytes {
    let st: SessionTranscript = cbor::from_slice(&annex_d("session_transcript")).unwrap();
    Tag24::new(st)
}

/// `d8 18 58 LL content` (preferred, 24 <= LL < 256) rewritten as `d8 18 59 00 LL content`.
fn widen(preferred: &[u8]) -> Vec<u8> {
    assert_eq!(
        &preferred[..3],
        &[0xd8, 0x18, 0x58],
        "a 24..255-byte tag 24 item"
    );
    let mut out = vec![0xd8, 0x18, 0x59, 0x00];
    out.extend_from_slice(&preferred[3..]);
    out
}

/// Replaces the one occurrence of `from` in `bytes` with `to`.
fn splice(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at: Vec<usize> = bytes
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "exactly one occurrence to splice");
    let mut out = bytes[..at[0]].to_vec();
    out.extend_from_slice(to);
    out.extend_from_slice(&bytes[at[0] + from.len()..]);
    out
}

fn issue() -> (Credential, mdl_proximity::issuer::pki::IssuerPki) {
    let mut rng = SeededRng::new(9);
    sample_mdl_credential(&SampleMdl::p256(NOW), &mut rng).unwrap()
}

fn response_for(credential: &Credential, elements: &[(&str, bool)]) -> DeviceResponse {
    let request: DeviceRequest = cbor::from_slice(&cbor::to_vec(
        &RequestBuilder::new().mdl(elements).build().unwrap(),
    ))
    .unwrap();
    let review = ReviewRequest::new(
        0,
        &request.doc_requests[0],
        ReaderIdentity::Unauthenticated,
        true,
    );
    build_response(
        &[credential.to_mdoc().unwrap()],
        &request,
        &[Selection::all_requested(&review)],
        &transcript(),
    )
    .unwrap()
}

#[test]
fn issuer_signed_item_with_non_shortest_header_verifies() {
    let (mut credential, pki) = issue();
    // The issuer wrote family_name's IssuerSignedItemBytes with a 2-byte length (59 00 LL) and
    // digested exactly those bytes.
    let items = credential.issuer_signed.name_spaces.as_ref().unwrap()[MDL_NAMESPACE].clone();
    let item = items
        .iter()
        .find(|i| i.value().element_identifier == "family_name")
        .unwrap();
    let preferred = item.tagged_bytes();
    let wide = widen(&preferred);
    let payload = credential
        .issuer_signed
        .issuer_auth
        .inner()
        .payload
        .clone()
        .unwrap();
    let mut mso = Tag24::<MobileSecurityObject>::from_tagged_slice(&payload)
        .unwrap()
        .into_value();
    assert_eq!(mso.digest_algorithm, DigestAlgorithm::Sha256);
    let digests = &mut mso.value_digests.get_mut(MDL_NAMESPACE).unwrap().0;
    digests.insert(
        item.value().digest_id,
        cbor::Bstr(Sha256::digest(&wide).to_vec()),
    );
    let signer = pki.ds_key.signer().unwrap();
    let sign1 = sign1_embedded(
        &signer,
        Tag24::new(mso).tagged_bytes(),
        &[pki.ds.der().to_vec()],
    )
    .unwrap();
    credential.issuer_signed.issuer_auth = CoseSign1::new(sign1).unwrap();

    let response = response_for(&credential, &[("family_name", false)]);
    let bytes = splice(&cbor::to_vec(&response), &preferred, &wide);
    let received: DeviceResponse = cbor::from_slice(&bytes).unwrap();
    let trust = TrustAnchors::from_der(pki.iaca.der()).unwrap();
    let report = verify::response(&received, &transcript(), &trust, None, NOW + 60);
    assert!(report.is_valid(), "{report}");
    let doc = report.document(MDL_DOC_TYPE).unwrap();
    assert!(doc.issuer_elements()[MDL_NAMESPACE].contains_key("family_name"));

    // The same item re-encoded in preferred form no longer matches the issuer's digest.
    let report = verify::response(&response, &transcript(), &trust, None, NOW + 60);
    assert!(!report.is_valid());
}

#[test]
fn device_name_spaces_with_non_shortest_header_verifies() {
    let (credential, pki) = issue();
    let mut response = response_for(&credential, &[("family_name", false)]);
    // DeviceNameSpacesBytes of an empty map: preferred d8 18 41 a0, received d8 18 58 01 a0.
    let (preferred, wide) = ([0xd8, 0x18, 0x41, 0xa0], [0xd8, 0x18, 0x58, 0x01, 0xa0]);
    let st = transcript();
    // DeviceAuthenticationBytes over the bytes as the holder sent them:
    // #6.24(bstr .cbor ["DeviceAuthentication", SessionTranscript, DocType, DeviceNameSpacesBytes]).
    let mut inner = vec![0x84, 0x74];
    inner.extend_from_slice(b"DeviceAuthentication");
    inner.extend_from_slice(st.inner_bytes());
    inner.extend(cbor::to_vec(&MDL_DOC_TYPE.to_owned()));
    inner.extend_from_slice(&wide);
    let mut payload_preferred = vec![0xd8, 0x18];
    payload_preferred.extend(cbor::to_vec(&cbor::Bstr(inner.clone())));
    let signer = credential.device_key.signer().unwrap();
    let sig = sign1_detached(&signer, &payload_preferred, &[]).unwrap();
    let docs = response.documents.as_mut().unwrap();
    let doc = &mut docs.as_mut_slice()[0];
    doc.device_signed.device_auth = DeviceAuth::Signature(CoseSign1::new(sig).unwrap());
    let bytes = splice(&cbor::to_vec(&response), &preferred, &wide);
    let received: DeviceResponse = cbor::from_slice(&bytes).unwrap();
    let trust = TrustAnchors::from_der(pki.iaca.der()).unwrap();
    let report = verify::response(&received, &st, &trust, None, NOW + 60);
    assert!(report.is_valid(), "{report}");
}

#[test]
fn items_request_with_non_shortest_header_verifies() {
    let mut rng = SeededRng::new(8);
    let pki = ReaderPki::generate(Curve::P256, NOW, &mut rng).unwrap();
    let request = RequestBuilder::new()
        .mdl(&[("family_name", false)])
        .build()
        .unwrap();
    let preferred = request.doc_requests[0].items_request.tagged_bytes();
    let wide = widen(&preferred);
    let st = transcript();
    // ReaderAuthenticationBytes over ItemsRequestBytes as the reader sent them.
    let mut inner = vec![0x83, 0x74];
    inner.extend_from_slice(b"ReaderAuthentication");
    inner.extend_from_slice(st.inner_bytes());
    inner.extend_from_slice(&wide);
    let mut payload = vec![0xd8, 0x18];
    payload.extend(cbor::to_vec(&cbor::Bstr(inner)));
    let sig = sign1_detached(
        &pki.reader_key.signer().unwrap(),
        &payload,
        &[pki.reader.der().to_vec()],
    )
    .unwrap();
    let mut signed = request.clone();
    signed.doc_requests.as_mut_slice()[0].reader_auth = Some(CoseSign1::new(sig).unwrap());
    let bytes = splice(&cbor::to_vec(&signed), &preferred, &wide);
    let received: DeviceRequest = cbor::from_slice(&bytes).unwrap();
    let roots = TrustAnchors::from_der(pki.root.der()).unwrap();
    let identity = verify::reader_auth(&received.doc_requests[0], &st, &roots, NOW + 60);
    assert!(identity.is_authenticated(), "{identity:?}");
}
