//! `mdl holder --nfc vpcd:…` and `mdl reader --nfc pcsc:…` as two real processes on the
//! PC/SC rig (a private pcscd with the vsmartcard vpcd driver, `.ci/rig-nfc.sh`): the holder is
//! the virtual card, the reader waits for the tap on PC/SC, engages by static or negotiated
//! handover, retrieves over NFC or TCP, verifies and must exit 0 with a VALID report.
//!
//! Skipped only when `MDL_NFC_RIG` is unset (`.ci/run` sets it). The rig's vpcd listens on
//! `MDL_NFC_VPCD_PORT` (reader `Virtual PCD 00 00`) and the next port (`Virtual PCD 00 01`);
//! each test takes one slot so that they run in parallel.
#![cfg(feature = "nfc")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const MDL: &str = env!("CARGO_BIN_EXE_mdl");

/// How long one reader run may take (a tap, engagement, retrieval, verification).
const READER_DEADLINE: Duration = Duration::from_secs(90);

/// The rig's vpcd port and PC/SC reader name for `slot` (0 or 1), or `None` without the rig.
fn rig(slot: u16) -> Option<(u16, String)> {
    if std::env::var_os("MDL_NFC_RIG").is_none() {
        eprintln!("MDL_NFC_RIG unset: skipping (run under .ci/rig-nfc.sh)");
        return None;
    }
    let port: u16 = std::env::var("MDL_NFC_VPCD_PORT")
        .expect("MDL_NFC_RIG is set but MDL_NFC_VPCD_PORT is not")
        .parse()
        .expect("MDL_NFC_VPCD_PORT is a port");
    Some((port + slot, format!("Virtual PCD 00 {slot:02}")))
}

/// A scratch directory with a fresh `mdl issue` in it, removed unless the test failed.
struct Setup {
    dir: PathBuf,
}

impl Setup {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("mdl-cli-nfc-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let out = Command::new(MDL)
            .args(["issue", "--out", dir.to_str().unwrap()])
            .output()
            .unwrap();
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

/// A running `mdl holder --nfc`, killed when dropped; stderr in `holder.err`.
struct Holder {
    child: Child,
    log: PathBuf,
}

impl Holder {
    fn start(setup: &Setup, port: u16, extra: &[&str]) -> Self {
        let log = setup.dir.join("holder.err");
        let vpcd = format!("vpcd:127.0.0.1:{port}");
        let mut args = vec![
            "holder",
            "--credential",
            setup.dir.join("credential.cbor").to_str().unwrap(),
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
        args.extend(
            ["--nfc", &vpcd, "--approve", "all", "--no-qr"]
                .iter()
                .chain(extra)
                .map(|s| (*s).to_owned()),
        );
        let child = Command::new(MDL)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Self { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `mdl reader --nfc pcsc:READER --trust iaca.pem EXTRA…` to its end (killed after
/// [`READER_DEADLINE`]).
fn read(setup: &Setup, reader: &str, extra: &[&str]) -> Output {
    let pcsc = format!("pcsc:{reader}");
    let mut child = Command::new(MDL)
        .args(["reader", "--nfc", &pcsc, "--trust", &setup.path("iaca.pem")])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > READER_DEADLINE {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn assert_valid(out: &Output, holder: &Holder, over: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("VALID") && !stdout.contains("INVALID"),
        "reader: {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}\nholder:\n{}",
        out.status,
        holder.log()
    );
    assert!(
        stdout.contains(&format!("read from {over}")),
        "expected a read over {over}:\n{stdout}"
    );
    assert!(stdout.contains("family_name"), "{stdout}");
}

/// Static handover, NFC retrieval, two taps in a row on one holder (tap after tap); the second
/// reader dumps `apdu.log`, which `mdl inspect` annotates.
#[test]
fn static_handover_nfc_retrieval_tap_after_tap() {
    let Some((port, reader)) = rig(0) else { return };
    let setup = Setup::new("static");
    let holder = Holder::start(
        &setup,
        port,
        &["--handover", "static", "--retrieval", "nfc"],
    );

    let first = read(&setup, &reader, &[]);
    assert_valid(&first, &holder, &format!("nfc:{reader}"));

    let dump = setup.dir.join("dump");
    let second = read(&setup, &reader, &["--dump", dump.to_str().unwrap()]);
    assert_valid(&second, &holder, &format!("nfc:{reader}"));
    let log = holder.log();
    assert!(log.contains("tap 1: engaged by static handover"), "{log}");
    assert!(log.contains("tap 2: engaged by static handover"), "{log}");

    let trace = std::fs::read_to_string(dump.join("apdu.log")).unwrap();
    assert!(trace.lines().any(|l| l.starts_with("C: ")), "{trace}");
    assert!(dump.join("session-transcript.cbor").exists());
    inspect_trace(&dump.join("apdu.log"));
}

/// `mdl inspect @apdu.log` names the commands of the trace: the NDEF application, the CC and
/// NDEF files, the mdoc application and its ENVELOPEs.
fn inspect_trace(path: &Path) {
    let out = Command::new(MDL)
        .args(["inspect", &format!("@{}", path.display())])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "inspect: {out:?}");
    assert!(stdout.contains("\"type\": \"APDU trace\""), "{stdout}");
    for expected in ["NDEF", "ENVELOPE"] {
        assert!(stdout.contains(expected), "no {expected} in:\n{stdout}");
    }
}

/// Negotiated handover (TNEP, the reader's Hr): first with NFC retrieval, then (a second
/// holder on the same vpcd slot) offering only TCP, so that the tap engages and the data goes
/// over the TCP test transport the DeviceEngagement carries.
#[test]
fn negotiated_handover_nfc_then_tcp_retrieval() {
    let Some((port, reader)) = rig(1) else { return };
    let setup = Setup::new("negotiated");
    {
        let holder = Holder::start(&setup, port, &["--handover", "negotiated"]);
        let out = read(&setup, &reader, &[]);
        assert_valid(&out, &holder, &format!("nfc:{reader}"));
        let log = holder.log();
        assert!(log.contains("engaged by negotiated handover"), "{log}");
    }
    // The default handover is negotiated.
    let holder = Holder::start(&setup, port, &["--retrieval", "tcp:127.0.0.1:0"]);
    let out = read(&setup, &reader, &[]);
    assert_valid(&out, &holder, "tcp:127.0.0.1:");
    let log = holder.log();
    assert!(log.contains("engaged by negotiated handover"), "{log}");
    assert!(log.contains("data retrieval over TCP"), "{log}");
}
