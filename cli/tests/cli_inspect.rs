//! `mdl inspect` and the command tree, run as the built binary on the Annex D vectors and on
//! malformed inputs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use serde_json::Value as Json;

const MDL: &str = env!("CARGO_BIN_EXE_mdl");

fn vectors() -> Json {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/data/annex-d.json"
    ))
    .expect("Annex D vectors");
    serde_json::from_str(&text).expect("vectors are JSON")
}

fn vector(name: &str) -> String {
    vectors()[name]["hex"].as_str().expect(name).to_owned()
}

fn run(args: &[&str]) -> Output {
    Command::new(MDL).args(args).output().expect("run mdl")
}

fn run_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(MDL)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn mdl");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// Runs `mdl inspect ARG`, expects success and returns the JSON.
fn inspect_ok(arg: &str) -> Json {
    let out = run(&["inspect", arg]);
    assert!(
        out.status.success(),
        "inspect failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// Runs `mdl inspect ARG`, expects exit status 1 and returns stderr.
fn inspect_err(arg: &str) -> String {
    let out = run(&["inspect", arg]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr).unwrap()
}

fn qr_uri(hex_engagement: &str) -> String {
    use base64::Engine as _;
    let bytes = hex::decode(hex_engagement).unwrap();
    format!(
        "mdoc:{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

#[test]
fn device_engagement_from_hex() {
    let j = inspect_ok(&vector("device_engagement_qr"));
    assert_eq!(j["type"], "DeviceEngagement");
    let v = &j["value"];
    assert_eq!(v["version"], "1.0");
    assert_eq!(v["security"]["cipherSuite"], 1);
    let key = &v["security"]["eDeviceKeyBytes"];
    assert_eq!(key["type"], "COSE_KeyBytes");
    assert_eq!(key["value"]["kty"], "EC2");
    assert_eq!(key["value"]["crv"], "P-256");
    assert_eq!(key["value"]["x"], vector("e_device_key_x"));
    let ble = &v["deviceRetrievalMethods"][0];
    assert_eq!(ble["transport"], "BLE");
    assert_eq!(ble["options"]["centralClientMode"], true);
    assert_eq!(ble["options"]["peripheralServerMode"], false);
    assert_eq!(
        ble["options"]["centralClientModeUuid"],
        "45efef74-2b2c-4837-a9a3-b0e1d05a6917"
    );
}

#[test]
fn device_engagement_from_mdoc_uri() {
    let hex_de = vector("device_engagement_qr");
    let j = inspect_ok(&qr_uri(&hex_de));
    assert_eq!(j["type"], "DeviceEngagement");
    assert_eq!(j["hex"], hex_de);
    assert_eq!(
        j["value"]["security"]["eDeviceKeyBytes"]["value"]["crv"],
        "P-256"
    );
}

#[test]
fn mdoc_uri_from_file_and_stdin() {
    let uri = qr_uri(&vector("device_engagement_qr"));
    let out = run_stdin(&["inspect", "-"], format!("{uri}\n").as_bytes());
    assert!(out.status.success());
    let j: Json = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["type"], "DeviceEngagement");
}

#[test]
fn session_establishment() {
    let j = inspect_ok(&vector("session_establishment"));
    assert_eq!(j["type"], "SessionEstablishment");
    let key = &j["value"]["eReaderKey"];
    assert_eq!(key["type"], "COSE_KeyBytes");
    assert_eq!(key["value"]["crv"], "P-256");
    assert_eq!(key["value"]["x"], vector("e_reader_key_x"));
    assert!(j["value"]["data"]["length"].as_u64().unwrap() > 16);
}

#[test]
fn session_data_and_termination() {
    let j = inspect_ok(&vector("session_data"));
    assert_eq!(j["type"], "SessionData");
    assert!(j["value"]["data"]["hex"].is_string());
    let j = inspect_ok(&vector("session_termination"));
    assert_eq!(j["type"], "SessionData");
    assert_eq!(j["value"]["status"]["code"], 20);
    assert_eq!(j["value"]["status"]["meaning"], "session termination");
}

#[test]
fn device_request() {
    let j = inspect_ok(&vector("device_request"));
    assert_eq!(j["type"], "DeviceRequest");
    assert_eq!(j["value"]["version"], "1.0");
    let doc = &j["value"]["docRequests"][0];
    assert_eq!(doc["itemsRequest"]["type"], "ItemsRequestBytes");
    let items = &doc["itemsRequest"]["value"];
    assert_eq!(items["docType"], "org.iso.18013.5.1.mDL");
    assert_eq!(
        items["nameSpaces"]["org.iso.18013.5.1"]["family_name"],
        true
    );
    assert_eq!(items["nameSpaces"]["org.iso.18013.5.1"]["portrait"], false);
    let auth = &doc["readerAuth"];
    assert_eq!(auth["structure"], "COSE_Sign1");
    assert_eq!(auth["protected"]["alg"], "ES256");
    assert!(auth["unprotected"]["x5chain"][0]["subject"].is_string());
}

#[test]
fn device_response() {
    let j = inspect_ok(&vector("device_response"));
    assert_eq!(j["type"], "DeviceResponse");
    let v = &j["value"];
    assert_eq!(v["version"], "1.0");
    assert_eq!(v["status"]["code"], 0);
    assert_eq!(v["status"]["meaning"], "OK");
    let doc = &v["documents"][0];
    assert_eq!(doc["docType"], "org.iso.18013.5.1.mDL");
    let items = doc["issuerSigned"]["nameSpaces"]["org.iso.18013.5.1"]
        .as_array()
        .unwrap();
    assert_eq!(items[0]["type"], "IssuerSignedItemBytes");
    assert_eq!(items[0]["value"]["elementIdentifier"], "family_name");
    assert_eq!(items[0]["value"]["elementValue"], "Doe");
    let auth = &doc["issuerSigned"]["issuerAuth"];
    assert_eq!(auth["structure"], "COSE_Sign1");
    assert_eq!(auth["protected"]["alg"], "ES256");
    let ds = &auth["unprotected"]["x5chain"][0];
    assert_eq!(ds["issuer"], "C=US,CN=utopia iaca");
    assert!(ds["validity"]["notAfter"].is_string());
    let mso = &auth["payload"];
    assert_eq!(mso["type"], "MobileSecurityObjectBytes");
    assert_eq!(mso["value"]["digestAlgorithm"], "SHA-256");
    assert_eq!(mso["value"]["deviceKeyInfo"]["deviceKey"]["crv"], "P-256");
    let mac = &doc["deviceSigned"]["deviceAuth"]["deviceMac"];
    assert_eq!(mac["structure"], "COSE_Mac0");
    assert_eq!(mac["protected"]["alg"], "HMAC 256/256");
    assert_eq!(mac["tag"], vector("device_mac_tag"));
}

#[test]
fn mso_bytes() {
    let j = inspect_ok(&vector("mso_bytes"));
    assert_eq!(j["type"], "MobileSecurityObjectBytes");
    assert_eq!(j["tag"], 24);
    let mso = &j["value"];
    assert_eq!(mso["docType"], "org.iso.18013.5.1.mDL");
    assert_eq!(
        mso["validityInfo"]["signed"]["tdate"],
        "2020-10-01T13:30:02Z"
    );
    assert!(mso["valueDigests"]["org.iso.18013.5.1"]["0"].is_string());
}

#[test]
fn issuer_signed_item_portrait() {
    let j = inspect_ok(&vector("issuer_signed_item_portrait"));
    assert_eq!(j["type"], "IssuerSignedItemBytes");
    assert_eq!(j["value"]["digestID"], 8);
    assert_eq!(j["value"]["elementIdentifier"], "portrait");
    assert_eq!(j["value"]["elementValue"], vector("portrait_jpeg"));
}

#[test]
fn certificate_der() {
    let j = inspect_ok(&vector("ds_cert"));
    assert_eq!(j["type"], "X.509 certificate");
    let c = &j["value"];
    assert_eq!(c["issuer"], "C=US,CN=utopia iaca");
    assert_eq!(c["signatureAlgorithm"], "ecdsa-with-SHA256");
    assert_eq!(c["subjectPublicKeyInfo"]["curve"], "P-256");
    let eku: Vec<&Json> = c["extensions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["id"] == "extKeyUsage")
        .collect();
    assert_eq!(eku[0]["value"][0], "mdlDS (1.0.18013.5.1.2)");
}

#[test]
fn nfc_handover_select() {
    let j = inspect_ok(&vector("nfc_handover_select"));
    assert_eq!(j["type"], "HandoverSelect");
    let v = &j["value"];
    assert_eq!(v["version"], "1.5");
    assert_eq!(v["alternativeCarriers"][0]["carrierDataReference"], "0");
    assert_eq!(
        v["alternativeCarriers"][0]["auxiliaryDataReferences"][0],
        "mdoc"
    );
    let records = v["records"].as_array().unwrap();
    let de = records.iter().find(|r| r["id"] == "mdoc").unwrap();
    assert_eq!(de["type"], "iso.org:18013:deviceengagement");
    assert_eq!(de["decoded"]["version"], "1.0");
    let ble = records.iter().find(|r| r["id"] == "0").unwrap();
    assert_eq!(
        ble["decoded"]["leRole"],
        "central only (mdoc central client mode)"
    );
}

#[test]
fn nfc_handover_request() {
    let j = inspect_ok(&vector("nfc_handover_request"));
    assert_eq!(j["type"], "HandoverRequest");
    assert_eq!(
        j["value"]["alternativeCarriers"].as_array().unwrap().len(),
        3
    );
}

#[test]
fn reader_auth() {
    let j = inspect_ok(&vector("reader_auth"));
    assert_eq!(j["type"], "COSE_Sign1");
    assert_eq!(j["value"]["protected"]["alg"], "ES256");
    assert!(j["value"]["payload"]
        .as_str()
        .unwrap()
        .starts_with("detached"));
    let cert = &j["value"]["unprotected"]["x5chain"][0];
    assert!(cert["subject"].is_string());
}

#[test]
fn session_transcript_with_negotiated_handover() {
    let j = inspect_ok(&vector("session_transcript"));
    assert_eq!(j["type"], "SessionTranscript");
    let v = &j["value"];
    assert_eq!(v["deviceEngagementBytes"]["type"], "DeviceEngagementBytes");
    assert_eq!(v["eReaderKeyBytes"]["type"], "COSE_KeyBytes");
    assert_eq!(v["handover"]["kind"], "NFC negotiated");
    assert_eq!(
        v["handover"]["handoverSelect"]["message"],
        "Handover Select (Hs)"
    );
    let j = inspect_ok(&vector("session_transcript_bytes"));
    assert_eq!(j["type"], "SessionTranscriptBytes");
}

#[test]
fn cose_key_and_authentication_structures() {
    let j = inspect_ok(&vector("e_device_key_cose"));
    assert_eq!(j["type"], "COSE_Key");
    assert_eq!(j["value"]["crv"], "P-256");
    let j = inspect_ok(&vector("device_authentication_bytes"));
    assert_eq!(j["type"], "DeviceAuthenticationBytes");
    assert_eq!(j["value"]["docType"], "org.iso.18013.5.1.mDL");
    let j = inspect_ok(&vector("reader_authentication_bytes"));
    assert_eq!(j["type"], "ReaderAuthenticationBytes");
}

#[test]
fn hex_with_whitespace_and_hex_file_and_binary_file() {
    let hex_ss = vector("session_termination");
    let spaced: String = hex_ss
        .as_bytes()
        .chunks(2)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(inspect_ok(&spaced)["type"], "SessionData");

    let dir = std::env::temp_dir().join(format!("mdl-cli-inspect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let hex_file = dir.join("response.hex");
    std::fs::write(&hex_file, format!("{}\n", vector("device_response"))).unwrap();
    let bin_file = dir.join("response.cbor");
    std::fs::write(&bin_file, hex::decode(vector("device_response")).unwrap()).unwrap();
    for f in [&hex_file, &bin_file] {
        let j = inspect_ok(&format!("@{}", f.display()));
        assert_eq!(j["type"], "DeviceResponse");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn generic_cbor_fallback() {
    let j = inspect_ok("a1 01 82 d8 18 41 a0 c1 1a 5f 75 d9 0a");
    assert_eq!(j["type"], "CBOR");
    assert_eq!(j["value"]["1"][0]["type"], "EncodedCBOR");
    assert_eq!(j["value"]["1"][1]["tag"], 1);
}

#[test]
fn truncated_input_names_the_byte() {
    let dr = vector("device_response");
    let err = inspect_err(&dr[..40]);
    assert_eq!(
        err.trim(),
        "error: malformed CBOR: item at byte 13 declares 9 but only 6 bytes remain"
    );
}

#[test]
fn trailing_bytes_are_rejected() {
    let err = inspect_err(&format!("{}00", vector("device_response")));
    assert_eq!(
        err.trim(),
        "error: malformed CBOR: 1 trailing bytes after the item, from byte 3562"
    );
}

#[test]
fn malformed_cbor_names_the_byte() {
    let err = inspect_err("a2616100ff");
    assert_eq!(
        err.trim(),
        "error: malformed CBOR at byte 4: unexpected break"
    );
}

#[test]
fn wrong_type_names_the_field_path() {
    // {"version": "1.0", "documents": [{"docType": "org.iso.18013.5.1.mDL",
    //   "issuerSigned": {"issuerAuth": {}}, "deviceSigned": {}}], "status": 0}
    let bad = "a36776657273696f6e63312e3069646f63756d656e747381a367646f6354797065756f72672e69736f2e31383031332e352e312e6d444c6c6973737565725369676e6564a16a69737375657241757468a06c6465766963655369676e6564a066737461747573 00";
    let err = inspect_err(bad);
    assert_eq!(
        err.trim(),
        "error: DeviceResponse.documents[0].issuerSigned.issuerAuth: expected array, found map"
    );
}

#[test]
fn broken_embedded_item_is_reported_with_its_path() {
    // #6.24(<< {"digestID": 0} >>): the wrapper is fine, the IssuerSignedItem inside is not.
    let out = run(&["inspect", "d8184ba168646967657374494400"]);
    assert_eq!(out.status.code(), Some(1));
    let j: Json = serde_json::from_slice(&out.stdout).expect("the wrapper is still shown");
    assert_eq!(j["type"], "IssuerSignedItemBytes");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err.trim(),
        "error: IssuerSignedItem: missing required field random"
    );
}

#[test]
fn non_hex_input() {
    let err = inspect_err("a1zz");
    assert!(
        err.starts_with("error: not hex: invalid character 'z' at position 2"),
        "{err}"
    );
    let err = inspect_err("abc");
    assert!(err.contains("odd number of hex digits (3)"), "{err}");
}

#[test]
fn bad_mdoc_uri_and_truncated_certificate() {
    let err = inspect_err("mdoc:!!");
    assert_eq!(
        err.trim(),
        "error: mdoc: URI: invalid value: QR payload is not base64url"
    );
    let cert = vector("ds_cert");
    let err = inspect_err(&cert[..200]);
    assert!(
        err.starts_with("error: malformed X.509 certificate: "),
        "{err}"
    );
}

#[test]
fn missing_file() {
    let err = inspect_err("@/nonexistent/mdl-cli-test");
    assert!(
        err.starts_with("error: cannot read /nonexistent/mdl-cli-test"),
        "{err}"
    );
}

#[test]
fn help_for_every_subcommand() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for sub in ["demo", "issue", "holder", "reader", "verify", "inspect"] {
        assert!(text.contains(sub), "--help lacks {sub}");
        let out = run(&[sub, "--help"]);
        assert!(out.status.success(), "{sub} --help failed");
        assert!(!out.stdout.is_empty());
    }
    let reader = String::from_utf8(run(&["reader", "--help"]).stdout).unwrap();
    for flag in [
        "--engagement",
        "--connect",
        "--trust",
        "--request",
        "--reader-key",
        "--reader-cert",
        "--json",
        "--at",
        "--dump",
    ] {
        assert!(reader.contains(flag), "reader --help lacks {flag}");
    }
    let holder = String::from_utf8(run(&["holder", "--help"]).stdout).unwrap();
    for flag in [
        "--credential",
        "--listen",
        "--trust-reader",
        "--approve",
        "--dump",
    ] {
        assert!(holder.contains(flag), "holder --help lacks {flag}");
    }
}

#[test]
fn wired_subcommands_name_the_input_they_cannot_read() {
    let cases: [(&[&str], &str); 3] = [
        (
            &[
                "holder",
                "--credential",
                "/nonexistent/c.cbor",
                "--listen",
                "tcp:127.0.0.1:0",
                "--approve",
                "all",
            ],
            "reading /nonexistent/c.cbor",
        ),
        (
            &[
                "reader",
                "--engagement",
                "mdoc:x",
                "--trust",
                "/nonexistent/iaca.pem",
                "--at",
                "2024-01-01T00:00:00Z",
            ],
            "--trust: reading /nonexistent/iaca.pem",
        ),
        (
            &[
                "verify",
                "--response",
                "a0",
                "--transcript",
                "a0",
                "--trust",
                "/nonexistent/iaca.pem",
            ],
            "--trust: reading /nonexistent/iaca.pem",
        ),
    ];
    for (args, expected) in cases {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} printed output");
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        run(&["holder", "--credential", "c", "--listen", "127.0.0.1:1"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&["reader", "--engagement", "mdoc:x"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&["issue", "--out", "d", "--curve", "P-999"])
            .status
            .code(),
        Some(2)
    );
    let out = run(&[
        "reader",
        "--engagement",
        "mdoc:x",
        "--trust",
        "t",
        "--at",
        "yesterday",
    ]);
    // `--at` is parsed by clap: a malformed time is a usage error like any bad value.
    assert_eq!(out.status.code(), Some(2));
}
