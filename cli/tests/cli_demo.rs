//! `mdl demo` and `mdl issue`, run as the built binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

use mdl_proximity::cbor::{self, Tag24};
use mdl_proximity::issuer::{Credential, DeviceAuthMethod, PrivateKey, MDL_DOC_TYPE};
use mdl_proximity::msg::{
    DeviceRequest, DeviceResponse, SessionData, SessionEstablishment, SessionTranscript,
};
use mdl_proximity::verify::TrustAnchors;
use serde_json::Value as Json;

const MDL: &str = env!("CARGO_BIN_EXE_mdl");

fn run(args: &[&str]) -> Output {
    Command::new(MDL).args(args).output().expect("run mdl")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `mdl ARGS`, expects exit 0 and returns stdout.
fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "mdl {args:?}\nstdout:\n{}\nstderr:\n{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mdl-cli-demo-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn demo_verifies_and_prints_elements_checks_identity_and_timings() {
    let text = ok(&["demo"]);
    for expected in [
        "family_name         Mustermann",
        "given_name          Erika",
        "birth_date          1985-04-12",
        "portrait            <1042 bytes JPEG>",
        "age_over_18         true",
        "driving_privileges  [{vehicle_category_code: \"B\"",
        "ok  issuer certificate chain trusted",
        "ok  issuer signature valid",
        "ok  all element digests match",
        "ok  deviceSignature valid",
        "failures: none",
        "reader as the holder saw it: authenticated: CN=Test reader",
        "response: VALID (status 0, 1 document)",
        "issuance",
        "engagement + establishment",
        "request/response",
        "verification",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn demo_json_parses_and_carries_the_same_outcome() {
    let out: Json = serde_json::from_str(&ok(&["demo", "--json"])).expect("JSON");
    assert_eq!(out["valid"], true);
    assert_eq!(out["deviceAuth"], "signature");
    assert_eq!(out["curves"]["session"], "P-256");
    let doc = &out["documents"][0];
    assert_eq!(doc["docType"], MDL_DOC_TYPE);
    let elements = &doc["elements"]["org.iso.18013.5.1"];
    assert_eq!(elements["family_name"], "Mustermann");
    assert_eq!(elements["age_over_18"], true);
    assert_eq!(elements["portrait"]["format"], "JPEG");
    assert_eq!(elements["portrait"]["length"], 1042);
    assert_eq!(elements.as_object().unwrap().len(), 6);
    let checks: Vec<&str> = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(checks.contains(&"DeviceSignature"), "{checks:?}");
    assert_eq!(doc["failures"].as_array().unwrap().len(), 0);
    assert_eq!(
        out["readerIdentitySeenByHolder"][0]["status"],
        "authenticated"
    );
    for phase in [
        "issuance",
        "engagementEstablishment",
        "requestResponse",
        "verification",
    ] {
        assert!(out["timingsMs"][phase].as_f64().unwrap() > 0.0, "{phase}");
    }
}

#[test]
fn demo_on_p384() {
    let out: Json =
        serde_json::from_str(&ok(&["demo", "--json", "--curve", "P-384"])).expect("JSON");
    assert_eq!(out["valid"], true);
    assert_eq!(out["curves"]["issuer"], "P-384");
    assert_eq!(out["curves"]["session"], "P-384");
}

#[test]
fn demo_with_device_mac() {
    let text = ok(&["demo", "--device-auth", "mac"]);
    assert!(text.contains("ok  deviceMac valid"), "{text}");
    assert!(!text.contains("deviceSignature valid"), "{text}");
}

#[test]
fn demo_on_the_25519_pair_with_device_mac() {
    let out: Json = serde_json::from_str(&ok(&[
        "demo",
        "--json",
        "--curve",
        "X25519",
        "--device-auth",
        "mac",
    ]))
    .expect("JSON");
    assert_eq!(out["valid"], true);
    assert_eq!(out["curves"]["issuer"], "Ed25519");
    assert_eq!(out["curves"]["session"], "X25519");
    assert_eq!(out["curves"]["deviceKey"], "X25519");
}

#[test]
fn demo_on_every_curve() {
    // deviceMac on one half, deviceSignature on the other: every curve signs or agrees keys in
    // some role of each run.
    for (i, curve) in [
        "P-521",
        "brainpoolP256r1",
        "brainpoolP320r1",
        "brainpoolP384r1",
        "brainpoolP512r1",
        "X448",
        "Ed25519",
    ]
    .into_iter()
    // brainpoolP320r1 and P512r1 come from OpenSSL (feature `openssl`).
    .filter(|c| cfg!(feature = "openssl") || !matches!(*c, "brainpoolP320r1" | "brainpoolP512r1"))
    .enumerate()
    {
        let auth = if i % 2 == 0 { "mac" } else { "signature" };
        let out = run(&["demo", "--json", "--curve", curve, "--device-auth", auth]);
        assert_eq!(out.status.code(), Some(0), "{curve} {auth}: {out:?}");
        let json: Json = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(json["valid"], true, "{curve} {auth}");
    }
}

#[test]
fn demo_without_reader_auth_is_seen_as_unauthenticated() {
    let text = ok(&["demo", "--no-reader-auth", "--request", "age_over_18"]);
    assert!(
        text.contains("reader as the holder saw it: unauthenticated"),
        "{text}"
    );
    assert!(text.contains("age_over_18  true"), "{text}");
    assert!(!text.contains("family_name"), "{text}");
}

#[test]
fn demo_dump_writes_messages_transcript_request_and_response() {
    let dir = scratch("dump");
    ok(&["demo", "--dump", dir.to_str().unwrap()]);
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let _: SessionEstablishment =
        cbor::from_slice(&read("001-sent-SessionEstablishment.cbor")).unwrap();
    let _: SessionData = cbor::from_slice(&read("002-received-SessionData.cbor")).unwrap();
    let _: SessionData = cbor::from_slice(&read("003-sent-SessionData.cbor")).unwrap();
    let _: Tag24<SessionTranscript> =
        Tag24::from_tagged_slice(&read("session-transcript.cbor")).unwrap();
    let request: DeviceRequest = cbor::from_slice(&read("device-request.cbor")).unwrap();
    assert!(request.doc_requests.first().reader_auth.is_some());
    let response: DeviceResponse = cbor::from_slice(&read("device-response.cbor")).unwrap();
    assert_eq!(response.status.0, 0);
    let _ = PrivateKey::from_cose_bytes(&read("e-reader-key.cose")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn issue_writes_the_pki_and_the_credential() {
    let dir = scratch("issue");
    let text = ok(&["issue", "--out", dir.to_str().unwrap()]);
    for name in [
        "iaca.pem",
        "ds.pem",
        "reader-root.pem",
        "reader.pem",
        "reader-key.cose",
        "credential.cbor",
    ] {
        assert!(text.contains(name), "{name} not reported:\n{text}");
        assert!(dir.join(name).is_file(), "{name} not written");
    }
    for pem in ["iaca.pem", "ds.pem", "reader-root.pem", "reader.pem"] {
        let text = std::fs::read_to_string(dir.join(pem)).unwrap();
        assert_eq!(TrustAnchors::from_pem(&text).unwrap().len(), 1, "{pem}");
    }
    let credential = Credential::from_bytes(&std::fs::read(dir.join("credential.cbor")).unwrap())
        .expect("credential decodes");
    assert_eq!(credential.doc_type, MDL_DOC_TYPE);
    assert_eq!(credential.device_auth, DeviceAuthMethod::Signature);
    let key = PrivateKey::from_cose_bytes(&std::fs::read(dir.join("reader-key.cose")).unwrap())
        .expect("reader key decodes");
    assert!(key.signer().is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn issue_with_a_seed_repeats_its_keys() {
    let key = |seed: &str, name: &str| {
        let dir = scratch(name);
        ok(&[
            "issue",
            "--out",
            dir.to_str().unwrap(),
            "--seed",
            seed,
            "--device-auth",
            "mac",
            "--curve",
            "P-521",
        ]);
        let credential =
            Credential::from_bytes(&std::fs::read(dir.join("credential.cbor")).unwrap()).unwrap();
        assert_eq!(credential.device_auth, DeviceAuthMethod::Mac);
        let key = std::fs::read(dir.join("reader-key.cose")).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        key
    };
    assert_eq!(key("7", "seed-a"), key("7", "seed-b"));
    assert_ne!(key("7", "seed-c"), key("8", "seed-d"));
}
