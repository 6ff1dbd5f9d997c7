//! `mdl holder` and `mdl reader` as two real processes over TCP on 127.0.0.1: the holder
//! prints its `mdoc:` URI, the reader engages with it, requests, verifies and exits 0 only if
//! everything verified. Credentials come from `mdl issue`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use mdl_proximity::cbor::{self, Tag24};
use mdl_proximity::msg::{
    DeviceRequest, DeviceResponse, SessionData, SessionEstablishment, SessionTranscript,
};
use serde_json::Value as Json;

const MDL: &str = env!("CARGO_BIN_EXE_mdl");

/// A scratch directory with a fresh `mdl issue` in it.
struct Setup {
    dir: PathBuf,
}

impl Setup {
    fn new(name: &str, issue_args: &[&str]) -> Self {
        let dir = std::env::temp_dir().join(format!("mdl-cli-hr-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut args = vec!["issue", "--out", dir.to_str().unwrap()];
        args.extend_from_slice(issue_args);
        let out = Command::new(MDL).args(&args).output().unwrap();
        assert!(out.status.success(), "issue: {out:?}");
        Self { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A running `mdl holder`, killed when dropped. Its stderr goes to `holder.err` in the scratch
/// directory (read it with [`Holder::log`]).
struct Holder {
    child: Child,
    uris: mpsc::Receiver<String>,
    log: PathBuf,
}

impl Holder {
    fn start(setup: &Setup, extra: &[&str]) -> Self {
        Self::start_with_stdin(setup, extra, None)
    }

    /// Starts the holder with `stdin` as its terminal input (for `--approve ask`).
    fn start_with_stdin(setup: &Setup, extra: &[&str], stdin: Option<&str>) -> Self {
        let log = setup.dir.join("holder.err");
        let credential = setup.path("credential.cbor");
        let mut args = vec![
            "holder",
            "--credential",
            &credential,
            "--listen",
            "tcp:127.0.0.1:0",
            "--no-qr",
        ];
        args.extend_from_slice(extra);
        let mut child = Command::new(MDL)
            .args(&args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("spawn holder");
        if let Some(text) = stdin {
            // The answer waits in the pipe until the holder prompts; the pipe then closes.
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(text.as_bytes()).unwrap();
        }
        let stdout: ChildStdout = child.stdout.take().unwrap();
        let (tx, uris) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("mdoc:") && tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, uris, log }
    }

    /// The next engagement URI the holder prints (one per connection).
    fn next_uri(&self) -> String {
        self.uris
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("no mdoc: URI from the holder ({e}): {}", self.log()))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The holder's log once it has reported the end of connection `n`.
    fn log_after_connection(&self, n: usize) -> String {
        let marker = format!("connection {n} ended");
        for _ in 0..200 {
            let log = self.log();
            if log.contains(&marker) {
                return log;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("holder never reported {marker:?}: {}", self.log())
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn reader(setup: &Setup, uri: &str, extra: &[&str]) -> Output {
    let trust = setup.path("iaca.pem");
    let mut args = vec!["reader", "--engagement", uri, "--trust", &trust];
    args.extend_from_slice(extra);
    Command::new(MDL).args(&args).output().expect("run reader")
}

fn show(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Whether the human-readable output lists `element` with `value` (columns are padded).
fn has_element(text: &str, element: &str, value: &str) -> bool {
    text.lines().any(|line| {
        line.trim_start()
            .strip_prefix(element)
            .is_some_and(|rest| rest.starts_with(' ') && rest.trim() == value)
    })
}

fn assert_verified(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", show(out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    for expected in [
        "document org.iso.18013.5.1.mDL: VALID",
        "ok  issuer signature valid",
        "response: VALID",
    ] {
        assert!(
            text.contains(expected),
            "missing {expected:?}: {}",
            show(out)
        );
    }
    for (element, value) in [
        ("family_name", "Mustermann"),
        ("portrait", "<1042 bytes JPEG>"),
        ("age_over_18", "true"),
    ] {
        assert!(
            has_element(&text, element, value),
            "missing {element} = {value}: {}",
            show(out)
        );
    }
    text
}

#[test]
fn presentation_without_reader_authentication() {
    let setup = Setup::new("plain", &[]);
    let holder = Holder::start(&setup, &["--approve", "all"]);
    let out = reader(&setup, &holder.next_uri(), &[]);
    let text = assert_verified(&out);
    assert!(text.contains("unsigned"), "{text}");
    assert!(text.contains("ok  deviceSignature valid"), "{text}");
    let log = holder.log_after_connection(1);
    assert!(log.contains("unauthenticated (no readerAuth)"), "{log}");
}

#[test]
fn presentation_with_reader_authentication_trusted_by_the_holder() {
    let setup = Setup::new("readerauth", &[]);
    let root = setup.path("reader-root.pem");
    let holder = Holder::start(&setup, &["--approve", "all", "--trust-reader", &root]);
    let (key, cert) = (setup.path("reader-key.cose"), setup.path("reader.pem"));
    let out = reader(
        &setup,
        &holder.next_uri(),
        &["--reader-key", &key, "--reader-cert", &cert, "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let json: Json = serde_json::from_slice(&out.stdout).expect("reader --json");
    assert_eq!(json["valid"], true);
    assert_eq!(json["request"]["readerAuth"], true);
    let elements = &json["documents"][0]["elements"]["org.iso.18013.5.1"];
    assert_eq!(elements["given_name"], "Erika");
    assert_eq!(elements["portrait"]["length"], 1042);
    let log = holder.log_after_connection(1);
    assert!(
        log.contains("authenticated: CN=Test reader,O=mdl-proximity tests"),
        "{log}"
    );
}

#[test]
fn holder_requiring_reader_authentication_releases_nothing_to_an_unsigned_request() {
    let setup = Setup::new("refused", &[]);
    let root = setup.path("reader-root.pem");
    let holder = Holder::start(&setup, &["--approve", "all", "--trust-reader", &root]);
    let out = reader(&setup, &holder.next_uri(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("not returned (error code 0)"),
        "{}",
        show(&out)
    );
    assert!(text.contains("response: INVALID"), "{}", show(&out));
    let log = holder.log_after_connection(1);
    assert!(log.contains("refused"), "{log}");
}

#[test]
fn approve_list_releases_only_the_listed_elements() {
    let setup = Setup::new("listed", &[]);
    let holder = Holder::start(&setup, &["--approve", "family_name,age_over_18"]);
    let out = reader(&setup, &holder.next_uri(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(has_element(&text, "family_name", "Mustermann"), "{text}");
    assert!(has_element(&text, "age_over_18", "true"), "{text}");
    assert!(!text.contains("<1042 bytes JPEG>"), "{text}");
    assert!(text.contains("portrait (error code 0)"), "{text}");
}

#[test]
fn holder_serves_connection_after_connection_with_fresh_engagements() {
    let setup = Setup::new("twice", &[]);
    let holder = Holder::start(&setup, &["--approve", "all"]);
    let first = holder.next_uri();
    assert_verified(&reader(&setup, &first, &[]));
    let second = holder.next_uri();
    assert_ne!(first, second, "a new EDeviceKey per connection");
    assert_verified(&reader(&setup, &second, &["--request", "all"]));
    holder.log_after_connection(2);
}

#[test]
fn device_mac_credential_over_tcp() {
    let setup = Setup::new("mac", &["--device-auth", "mac", "--curve", "P-384"]);
    let holder = Holder::start(&setup, &["--approve", "all"]);
    let text = assert_verified(&reader(&setup, &holder.next_uri(), &[]));
    assert!(text.contains("ok  deviceMac valid"), "{text}");
}

fn decode_dump(dir: &Path, role_sent_first: bool) {
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (first, second, third) = if role_sent_first {
        (
            "001-sent-SessionEstablishment.cbor",
            "002-received-SessionData.cbor",
            "003-sent-SessionData.cbor",
        )
    } else {
        (
            "001-received-SessionEstablishment.cbor",
            "002-sent-SessionData.cbor",
            "003-received-SessionData.cbor",
        )
    };
    let _: SessionEstablishment = cbor::from_slice(&read(first)).unwrap();
    let response_message: SessionData = cbor::from_slice(&read(second)).unwrap();
    assert!(response_message.data().is_some());
    let termination: SessionData = cbor::from_slice(&read(third)).unwrap();
    assert_eq!(termination.status().map(|s| s.0), Some(20));
    let _: Tag24<SessionTranscript> =
        Tag24::from_tagged_slice(&read("session-transcript.cbor")).unwrap();
    let request: DeviceRequest = cbor::from_slice(&read("device-request.cbor")).unwrap();
    assert!(request.doc_requests.first().reader_auth.is_some());
    let response: DeviceResponse = cbor::from_slice(&read("device-response.cbor")).unwrap();
    assert_eq!(response.status.0, 0);
}

#[test]
fn dump_on_both_sides_writes_the_same_session() {
    let setup = Setup::new("dump", &[]);
    let (holder_dump, reader_dump) = (setup.dir.join("hdump"), setup.dir.join("rdump"));
    let holder = Holder::start(
        &setup,
        &["--approve", "all", "--dump", holder_dump.to_str().unwrap()],
    );
    let (key, cert) = (setup.path("reader-key.cose"), setup.path("reader.pem"));
    let out = reader(
        &setup,
        &holder.next_uri(),
        &[
            "--reader-key",
            &key,
            "--reader-cert",
            &cert,
            "--dump",
            reader_dump.to_str().unwrap(),
        ],
    );
    assert_verified(&out);
    holder.log_after_connection(1);
    let holder_dump = holder_dump.join("connection-1");
    decode_dump(&reader_dump, true);
    decode_dump(&holder_dump, false);
    for name in [
        "session-transcript.cbor",
        "device-request.cbor",
        "device-response.cbor",
    ] {
        assert_eq!(
            std::fs::read(reader_dump.join(name)).unwrap(),
            std::fs::read(holder_dump.join(name)).unwrap(),
            "{name} differs between holder and reader"
        );
    }
    // The reader's dump verifies offline, deviceSignature needing no EReaderKey.
    let response = format!("@{}", reader_dump.join("device-response.cbor").display());
    let transcript = format!("@{}", reader_dump.join("session-transcript.cbor").display());
    let trust = setup.path("iaca.pem");
    let out = Command::new(MDL)
        .args([
            "verify",
            "--response",
            &response,
            "--transcript",
            &transcript,
            "--trust",
            &trust,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
}

#[test]
fn reader_dump_of_a_mac_session_verifies_offline_with_its_e_reader_key() {
    let setup = Setup::new("macdump", &["--device-auth", "mac"]);
    let dump = setup.dir.join("rdump");
    let holder = Holder::start(&setup, &["--approve", "all"]);
    assert_verified(&reader(
        &setup,
        &holder.next_uri(),
        &["--dump", dump.to_str().unwrap()],
    ));
    let arg = |name: &str| format!("@{}", dump.join(name).display());
    let trust = setup.path("iaca.pem");
    let verify = |with_key: bool| {
        let mut args = vec![
            "verify".to_owned(),
            "--response".into(),
            arg("device-response.cbor"),
            "--transcript".into(),
            arg("session-transcript.cbor"),
            "--trust".into(),
            trust.clone(),
        ];
        if with_key {
            args.extend(["--e-reader-key".into(), arg("e-reader-key.cose")]);
        }
        Command::new(MDL).args(&args).output().unwrap()
    };
    let out = verify(true);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok  deviceMac valid"));
    let out = verify(false);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("deviceMac not checked"));
}

#[test]
fn reader_reports_a_holder_that_is_not_there() {
    let setup = Setup::new("nobody", &[]);
    let holder = Holder::start(&setup, &["--approve", "all"]);
    let uri = holder.next_uri();
    drop(holder);
    let out = reader(&setup, &uri, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("error: connecting to tcp:127.0.0.1:"),
        "{}",
        show(&out)
    );
}

#[test]
fn approve_ask_prompts_and_releases_what_the_holder_answers() {
    let setup = Setup::new("ask", &[]);
    let holder = Holder::start_with_stdin(
        &setup,
        &["--approve", "ask"],
        Some("given_name, age_over_18\n"),
    );
    let out = reader(&setup, &holder.next_uri(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(has_element(&text, "given_name", "Erika"), "{text}");
    assert!(has_element(&text, "age_over_18", "true"), "{text}");
    assert!(text.contains("family_name (error code 0)"), "{text}");
    let log = holder.log_after_connection(1);
    assert!(log.contains("release? [a]ll, [n]one"), "{log}");
    assert!(log.contains("    portrait (will not retain)"), "{log}");
}

#[test]
fn approve_ask_without_an_answer_releases_nothing() {
    let setup = Setup::new("ask-eof", &[]);
    let holder = Holder::start_with_stdin(&setup, &["--approve", "ask"], Some(""));
    let out = reader(&setup, &holder.next_uri(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let log = holder.log_after_connection(1);
    assert!(log.contains("no answer: nothing released"), "{log}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_holder_with_status_0() {
    let setup = Setup::new("sigint", &[]);
    let mut holder = Holder::start(&setup, &["--approve", "all"]);
    let _ = holder.next_uri();
    let pid = holder.child.id().to_string();
    let status = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(status.success());
    let mut exit = None;
    for _ in 0..200 {
        if let Some(s) = holder.child.try_wait().unwrap() {
            exit = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let exit = exit.unwrap_or_else(|| panic!("holder still running: {}", holder.log()));
    assert_eq!(exit.code(), Some(0), "{}", holder.log());
    assert!(holder.log().contains("holder: stopped"), "{}", holder.log());
}

#[test]
fn holder_keeps_serving_when_its_stdout_reader_goes_away() {
    // `mdl holder … | head -1`: the URI is taken, the pipe closes, the holder goes on.
    let setup = Setup::new("closed-stdout", &[]);
    let log = setup.dir.join("holder.err");
    let credential = setup.path("credential.cbor");
    let mut child = Command::new(MDL)
        .args([
            "holder",
            "--credential",
            &credential,
            "--listen",
            "tcp:127.0.0.1:0",
            "--no-qr",
            "--approve",
            "all",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut uri = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut uri).unwrap();
    drop(stdout);
    let out = reader(&setup, uri.trim(), &[]);
    let result = std::panic::catch_unwind(|| {
        assert_verified(&out);
        for _ in 0..200 {
            if std::fs::read_to_string(&log)
                .unwrap_or_default()
                .contains("waiting for a reader (connection 2)")
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let alive = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    result.unwrap();
    assert!(
        alive,
        "holder died: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_holder_even_while_it_asks_for_consent() {
    let setup = Setup::new("sigint-ask", &[]);
    let log = setup.dir.join("holder.err");
    let credential = setup.path("credential.cbor");
    let mut child = Command::new(MDL)
        .args([
            "holder",
            "--credential",
            &credential,
            "--listen",
            "tcp:127.0.0.1:0",
            "--no-qr",
            "--approve",
            "ask",
        ])
        // Kept open and never written: the prompt waits.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut uri = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut uri)
        .unwrap();
    let trust = setup.path("iaca.pem");
    let reader = Command::new(MDL)
        .args(["reader", "--engagement", uri.trim(), "--trust", &trust])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let prompted = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("release?")
    });
    let pid = child.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let exit = (0..200).find_map(|_| {
        std::thread::sleep(Duration::from_millis(50));
        child.try_wait().unwrap()
    });
    let _ = child.kill();
    let _ = child.wait();
    let reader_out = reader.wait_with_output().unwrap();
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(prompted, "never prompted: {log}");
    assert_eq!(exit.and_then(|e| e.code()), Some(0), "{log}");
    assert!(log.contains("holder: stopped"), "{log}");
    // The reader sees the link go and fails rather than hangs.
    assert_eq!(reader_out.status.code(), Some(1), "{}", show(&reader_out));
}

#[test]
fn reader_connects_where_told_and_explains_an_engagement_without_tcp() {
    let setup = Setup::new("connect", &[]);
    let holder = Holder::start(&setup, &["--approve", "all"]);
    let uri = holder.next_uri();
    let port = holder
        .log()
        .lines()
        .find_map(|l| l.strip_prefix("holder: listening on tcp:127.0.0.1:"))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("listening line")
        .to_owned();
    let connect = format!("tcp:127.0.0.1:{port}");
    assert_verified(&reader(&setup, &uri, &["--connect", &connect]));

    // Annex D's QR engagement offers BLE only.
    let vectors: Json = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/annex-d.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let ble_only = vectors["device_engagement_qr"]["hex"].as_str().unwrap();
    let out = reader(&setup, ble_only, &[]);
    if cfg!(feature = "ble") {
        // With BLE built in the reader takes the BLE carrier; with no BlueZ here (no system
        // D-Bus, or no holder advertising) it fails with the BLE mode named, exit 1.
        assert_eq!(out.status.code(), Some(1), "{}", show(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("BLE (mdoc central client mode)"),
            "{}",
            show(&out)
        );
        return;
    }
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no TCP retrieval method"),
        "{}",
        show(&out)
    );
}

#[test]
fn reader_key_must_be_the_key_of_its_certificate() {
    let (a, b) = (Setup::new("key-a", &[]), Setup::new("key-b", &[]));
    let (key, cert) = (a.path("reader-key.cose"), b.path("reader.pem"));
    // Refused before any connection is attempted.
    let out = reader(
        &a,
        "mdoc:owBjMS4w",
        &["--reader-key", &key, "--reader-cert", &cert],
    );
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("--reader-key is not the key of the --reader-cert leaf certificate"),
        "{}",
        show(&out)
    );
}
