//! `mdl holder --ble …` and `mdl reader --engagement URI` over BLE as two real processes on
//! BlueZoo (the BlueZ D-Bus mock, `.ci/rig-ble.sh`): each scenario starts its own private
//! dbus-daemon and BlueZoo with two adapters (hci0 for the reader, hci1 for the holder), given
//! to the `mdl` processes only through `DBUS_SYSTEM_BUS_ADDRESS`, and stops them by PID. The
//! reader must exit 0 with a VALID report over the BLE mode asked for.
//!
//! Skipped only when `MDL_BLE_RIG` is unset; `MDL_BLE_RIG=vm` (the QEMU rig) is not run here.
#![cfg(feature = "ble")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const MDL: &str = env!("CARGO_BIN_EXE_mdl");

/// How long one reader run may take (scan, connect, transfer, verify).
const READER_DEADLINE: Duration = Duration::from_secs(90);

/// A private dbus-daemon + BlueZoo, and a scratch directory with a fresh `mdl issue`.
struct Rig {
    dir: PathBuf,
    bus: String,
    children: Vec<Child>,
}

impl Rig {
    fn start(name: &str) -> Option<Self> {
        match std::env::var("MDL_BLE_RIG").as_deref() {
            Err(_) => {
                eprintln!("MDL_BLE_RIG unset: skipping (eval \"$(.ci/rig-ble.sh)\")");
                return None;
            }
            Ok("bluezoo") => {}
            Ok(other) => {
                eprintln!("MDL_BLE_RIG={other}: these CLI scenarios run on BlueZoo only");
                return None;
            }
        }
        let bluezoo = std::env::var("MDL_BLUEZOO").unwrap_or_else(|_| "bluezoo".into());
        let dir = std::env::temp_dir().join(format!("mdl-cli-ble-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("bus.sock");
        let mut rig = Self {
            bus: format!("unix:path={}", sock.display()),
            dir,
            children: Vec::new(),
        };
        rig.children.push(
            Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--nopidfile"])
                .arg(format!("--address={}", rig.bus))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("dbus-daemon (apt-get install dbus)"),
        );
        let t0 = Instant::now();
        while !sock.exists() {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "dbus-daemon did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        rig.children.push(
            Command::new(&bluezoo)
                .args(["--auto-enable", "--scan-interval", "1"])
                .args(["-a", "00:11:22:33:44:55", "-a", "00:AA:BB:CC:DD:EE"])
                .env("DBUS_SYSTEM_BUS_ADDRESS", &rig.bus)
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(rig.dir.join("bluezoo.err")).unwrap())
                .spawn()
                .unwrap_or_else(|e| panic!("{bluezoo}: {e} (run .ci/rig-ble.sh)")),
        );
        // BlueZoo registers and powers its adapters a moment after it starts: wait until the
        // holder's adapter reports Powered on the bus (dbus-send, from the dbus package).
        let t0 = Instant::now();
        loop {
            let out = Command::new("dbus-send")
                .args([
                    "--system",
                    "--print-reply",
                    "--dest=org.bluez",
                    "/org/bluez/hci1",
                ])
                .args([
                    "org.freedesktop.DBus.Properties.Get",
                    "string:org.bluez.Adapter1",
                ])
                .arg("string:Powered")
                .env("DBUS_SYSTEM_BUS_ADDRESS", &rig.bus)
                .output()
                .expect("dbus-send");
            if String::from_utf8_lossy(&out.stdout).contains("boolean true") {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(15),
                "BlueZoo adapters not powered"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let out = Command::new(MDL)
            .args(["issue", "--out", rig.dir.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "issue: {out:?}");
        Some(rig)
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_owned()
    }

    /// Starts `mdl holder --ble …` on hci1; returns it and the first `mdoc:` URI it prints.
    fn holder(&mut self, extra: &[&str]) -> String {
        let mut child = Command::new(MDL)
            .args(["holder", "--credential", &self.path("credential.cbor")])
            .args(["--adapter", "hci1", "--approve", "all", "--no-qr"])
            .args(extra)
            .env("DBUS_SYSTEM_BUS_ADDRESS", &self.bus)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(self.dir.join("holder.err")).unwrap())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        self.children.push(child);
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        assert!(
            line.starts_with("mdoc:"),
            "holder printed {line:?}: {}",
            self.holder_log()
        );
        line.trim().to_owned()
    }

    fn holder_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("holder.err")).unwrap_or_default()
    }

    /// Runs `mdl reader --engagement URI` on hci0 to its end.
    fn read(&self, uri: &str, extra: &[&str]) -> Output {
        let mut child = Command::new(MDL)
            .args([
                "reader",
                "--engagement",
                uri,
                "--trust",
                &self.path("iaca.pem"),
            ])
            .args(["--adapter", "hci0"])
            .args(extra)
            .env("DBUS_SYSTEM_BUS_ADDRESS", &self.bus)
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

    fn assert_valid(&self, out: &Output, over: &str) {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stdout.contains("VALID") && !stdout.contains("INVALID"),
            "reader: {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}\nholder:\n{}",
            out.status,
            self.holder_log()
        );
        assert!(
            stdout.contains(&format!("read from {over}")),
            "expected a read over {over}:\n{stdout}"
        );
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        // The mdl processes first, then BlueZoo, then the bus: in reverse order of start.
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

#[test]
fn peripheral_server_mode() {
    let Some(mut rig) = Rig::start("peripheral") else {
        return;
    };
    let uri = rig.holder(&["--ble", "peripheral"]);
    let out = rig.read(&uri, &[]);
    rig.assert_valid(&out, "ble:peripheral-server");
}

#[test]
fn central_client_mode() {
    let Some(mut rig) = Rig::start("central") else {
        return;
    };
    let uri = rig.holder(&["--ble", "central"]);
    let out = rig.read(&uri, &[]);
    rig.assert_valid(&out, "ble:central-client");
}

/// `--ble both` beside `--listen tcp:…`: the engagement offers three carriers, and the reader
/// takes BLE by default.
#[test]
fn both_modes_beside_tcp() {
    let Some(mut rig) = Rig::start("both") else {
        return;
    };
    let uri = rig.holder(&["--ble", "both", "--listen", "tcp:127.0.0.1:0"]);
    let out = rig.read(&uri, &[]);
    rig.assert_valid(&out, "ble:");
    let log = rig.holder_log();
    assert!(
        log.contains("offering BLE mdoc peripheral server mode"),
        "{log}"
    );
    assert!(
        log.contains("offering BLE mdoc central client mode"),
        "{log}"
    );
    assert!(log.contains("offering tcp:127.0.0.1:"), "{log}");
}
