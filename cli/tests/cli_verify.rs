//! `mdl verify` offline on the Annex D DeviceResponse: it verifies completely at 2021-01-01
//! with the Annex D IACA and EReaderKey, and a tampered copy fails with the failure printed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value as Json;

const MDL: &str = env!("CARGO_BIN_EXE_mdl");
const AT: &str = "2021-01-01T00:00:00Z";

fn vector(name: &str) -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/annex-d.json"
    ))
    .expect("Annex D vectors");
    let json: Json = serde_json::from_str(&text).expect("vectors are JSON");
    json[name]["hex"].as_str().expect(name).to_owned()
}

/// Scratch files for one test: the Annex D IACA as PEM, and whatever else is written.
struct Files {
    dir: PathBuf,
}

impl Files {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("mdl-cli-verify-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let der = hex::decode(vector("iaca_cert")).unwrap();
        let pem = der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &der).unwrap();
        std::fs::write(dir.join("iaca.pem"), pem).unwrap();
        Self { dir }
    }

    /// Writes `contents` and returns `@PATH`.
    fn write(&self, name: &str, contents: &[u8]) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).unwrap();
        format!("@{}", path.display())
    }

    fn iaca(&self) -> String {
        self.dir.join("iaca.pem").to_str().unwrap().to_owned()
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn verify(files: &Files, response: &str, extra: &[&str]) -> Output {
    let transcript = files.write(
        "transcript.hex",
        vector("session_transcript_bytes").as_bytes(),
    );
    let iaca = files.iaca();
    let mut args = vec![
        "verify",
        "--response",
        response,
        "--transcript",
        &transcript,
        "--trust",
        &iaca,
    ];
    args.extend_from_slice(extra);
    Command::new(MDL)
        .args(&args)
        .output()
        .expect("run mdl verify")
}

fn show(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn annex_d_response_verifies_completely() {
    let files = Files::new("pass");
    let response = files.write("response.hex", vector("device_response").as_bytes());
    let key = files.write(
        "e-reader-key.bin",
        &hex::decode(vector("e_reader_key_d")).unwrap(),
    );
    let out = verify(&files, &response, &["--e-reader-key", &key, "--at", AT]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "document org.iso.18013.5.1.mDL: VALID",
        "IACA: C=US,CN=utopia iaca",
        "family_name         Doe",
        "portrait            <1042 bytes JPEG>",
        "ok  issuer certificate chain trusted",
        "ok  deviceMac valid",
        "failures: none",
        "response: VALID (status 0, 1 document)",
    ] {
        assert!(
            text.contains(expected),
            "missing {expected:?}: {}",
            show(&out)
        );
    }
}

#[test]
fn annex_d_as_hex_arguments_and_json() {
    let files = Files::new("json");
    let response = vector("device_response");
    let key = vector("e_reader_key_d");
    let out = verify(
        &files,
        &response,
        &["--e-reader-key", &key, "--at", AT, "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let json: Json = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["valid"], true);
    assert_eq!(
        json["documents"][0]["elements"]["org.iso.18013.5.1"]["document_number"],
        "123456789"
    );
    assert_eq!(json["at"], 1_609_459_200);
}

#[test]
fn tampered_response_fails_with_the_failure_printed() {
    let files = Files::new("tampered");
    let mut bytes = hex::decode(vector("device_response")).unwrap();
    // "Doe", the family_name value inside its IssuerSignedItem, becomes "Dog".
    let at = bytes
        .windows(4)
        .position(|w| w == b"cDoe")
        .expect("family_name value");
    bytes[at + 3] = b'g';
    let response = files.write("tampered.cbor", &bytes);
    let key = vector("e_reader_key_d");
    let out = verify(&files, &response, &["--e-reader-key", &key, "--at", AT]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("FAILED  digest mismatch for org.iso.18013.5.1/family_name"),
        "{}",
        show(&out)
    );
    assert!(text.contains("response: INVALID"), "{}", show(&out));
}

#[test]
fn device_mac_needs_the_e_reader_key() {
    let files = Files::new("nokey");
    let out = verify(&files, &vector("device_response"), &["--at", AT]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("deviceMac not checked: no EReaderKey private key supplied"),
        "{}",
        show(&out)
    );
}

#[test]
fn a_key_that_is_not_the_transcripts_e_reader_key_is_refused() {
    let files = Files::new("wrongkey");
    let wrong = vector("e_device_key_d");
    let out = verify(
        &files,
        &vector("device_response"),
        &["--e-reader-key", &wrong, "--at", AT],
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("does not belong to the transcript's EReaderKey"),
        "{}",
        show(&out)
    );
}

#[test]
fn validity_is_checked_at_the_given_time() {
    let files = Files::new("expired");
    let key = vector("e_reader_key_d");
    let out = verify(
        &files,
        &vector("device_response"),
        &["--e-reader-key", &key, "--at", "2030-01-01T00:00:00Z"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("expired"),
        "{}",
        show(&out)
    );
    let out = verify(&files, &vector("device_response"), &["--at", "not a time"]);
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
}

#[test]
fn strict_annex_d_still_verifies_and_json_lists_no_warnings() {
    // Annex D's elements follow 2021 Table 5, so --strict changes nothing for them.
    let files = Files::new("strict");
    let key = vector("e_reader_key_d");
    let out = verify(
        &files,
        &vector("device_response"),
        &["--e-reader-key", &key, "--at", AT, "--json", "--strict"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let json: Json = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["documents"][0]["warnings"], serde_json::json!([]));
}
