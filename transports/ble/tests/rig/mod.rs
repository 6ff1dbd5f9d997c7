//! The BLE test rigs (`MDL_BLE_RIG`): `bluezoo` starts a private dbus-daemon and BlueZoo with
//! two adapters per scenario (stopped by PID on drop); `vm` uses the real bluetoothd of the VM
//! rig (`.ci/rig-ble-vm.sh`) on its system bus with btvirt's hci0 and hci1. Unset: the rig
//! tests print why and pass without running (CI always sets it).
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// One scenario at a time: BlueZoo scenarios set the process's `DBUS_SYSTEM_BUS_ADDRESS`, and
/// the VM's two adapters are shared.
static SERIAL: Mutex<()> = Mutex::new(());

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BlueZoo,
    Vm,
}

/// A running rig; dropping it stops what it started.
pub struct Rig {
    pub kind: Kind,
    children: Vec<Child>,
    dir: Option<PathBuf>,
    test: String,
    started: Instant,
    _serial: MutexGuard<'static, ()>,
}

/// Adapter the holder uses.
pub const HOLDER_ADAPTER: &str = "hci1";
/// Adapter the reader uses.
pub const READER_ADAPTER: &str = "hci0";

impl Rig {
    /// The rig `MDL_BLE_RIG` names, or `None` (with a note on stderr) when it is unset.
    pub async fn start(test: &str) -> Option<Rig> {
        let kind = match std::env::var("MDL_BLE_RIG").ok().as_deref() {
            None | Some("") => {
                eprintln!("{test}: skipped, MDL_BLE_RIG is not set (CI sets it: .ci/rig-ble.sh)");
                return None;
            }
            Some("bluezoo") => Kind::BlueZoo,
            Some("vm") => Kind::Vm,
            Some(other) => panic!("MDL_BLE_RIG={other}: expected bluezoo or vm"),
        };
        if std::env::var_os(CHILD).is_none() {
            // The VM's two adapters are shared: its scenarios run one after another.
            let _serial =
                (kind == Kind::Vm).then(|| SERIAL.lock().unwrap_or_else(|p| p.into_inner()));
            run_in_child();
            return None;
        }
        let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
        let mut rig = Rig {
            kind,
            children: Vec::new(),
            dir: None,
            test: test.to_owned(),
            started: Instant::now(),
            _serial: serial,
        };
        if kind == Kind::BlueZoo {
            rig.start_bluezoo(test).await;
        } else {
            rig.reset_vm().await;
        }
        eprintln!("{test}: rig {kind:?} up in {:?}", rig.started.elapsed());
        Some(rig)
    }

    async fn start_bluezoo(&mut self, test: &str) {
        let bluezoo = std::env::var("MDL_BLUEZOO").unwrap_or_else(|_| "bluezoo".into());
        // libdbus reads DBUS_SYSTEM_BUS_ADDRESS once per process and keeps it: every scenario
        // of this process gets a fresh dbus-daemon on the same socket path.
        let dir = std::env::temp_dir().join(format!("mdl-ble-rig-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("rig dir");
        let sock = dir.join("bus.sock");
        let logs = dir.join(test);
        let _ = std::fs::create_dir_all(&logs);
        let log = |name: &str| {
            std::fs::File::create(logs.join(name))
                .map(Stdio::from)
                .unwrap_or(Stdio::null())
        };
        let bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address=unix:path={}", sock.display()))
            .stdout(log("dbus.log"))
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (apt-get install dbus)");
        self.children.push(bus);
        let t0 = Instant::now();
        while !sock.exists() {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "dbus-daemon did not start"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Scenarios are serialised by SERIAL, and the value is the same for all of them.
        std::env::set_var(
            "DBUS_SYSTEM_BUS_ADDRESS",
            format!("unix:path={}", sock.display()),
        );
        let zoo = Command::new(&bluezoo)
            .args(["--auto-enable", "--scan-interval", "1"])
            .args(["-a", "00:11:22:33:44:55", "-a", "00:AA:BB:CC:DD:EE"])
            .stdout(log("bluezoo.log"))
            .stderr(log("bluezoo.err"))
            .spawn()
            .unwrap_or_else(|e| panic!("{bluezoo}: {e} (run .ci/rig-ble.sh)"));
        self.children.push(zoo);
        self.dir = Some(dir);
        wait_powered(&[READER_ADAPTER, HOLDER_ADAPTER]).await;
    }

    /// The VM's adapters outlive scenarios: drop what an earlier one left connected.
    async fn reset_vm(&mut self) {
        wait_powered(&[READER_ADAPTER, HOLDER_ADAPTER]).await;
        let Ok(session) = bluer::Session::new().await else {
            return;
        };
        for name in [READER_ADAPTER, HOLDER_ADAPTER] {
            let Ok(adapter) = session.adapter(name) else {
                continue;
            };
            for addr in adapter.device_addresses().await.unwrap_or_default() {
                let _ = adapter.remove_device(addr).await;
            }
        }
    }

    /// Switches an adapter off (for the powered-off test).
    pub async fn power(&self, adapter: &str, on: bool) {
        let session = bluer::Session::new().await.expect("bus");
        session
            .adapter(adapter)
            .expect("adapter")
            .set_powered(on)
            .await
            .expect("Powered");
    }
}

/// The longest a scenario may take, rig start included.
const SCENARIO_LIMIT: Duration = Duration::from_secs(150);

/// Set in the child process that runs one scenario.
const CHILD: &str = "MDL_BLE_RIG_CHILD";

/// Runs the calling test again in a child process of this test binary, alone, and fails if it
/// fails. Each scenario gets a fresh process: libdbus keeps its first bus address and some
/// D-Bus state per process, and a scenario must not inherit an earlier one's connections.
fn run_in_child() {
    let thread = std::thread::current();
    let test = thread
        .name()
        .expect("libtest names the test thread")
        .to_owned();
    let exe = std::env::current_exe().expect("test binary");
    let dir = std::env::temp_dir().join(format!("mdl-ble-rig-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("output dir");
    let out_path = dir.join(format!("{test}.out"));
    let out_file = std::fs::File::create(&out_path).expect("output file");
    let err_file = out_file.try_clone().expect("output file");
    let mut child = Command::new(exe)
        .args([
            test.as_str(),
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD, "1")
        .stdout(out_file)
        .stderr(err_file)
        .spawn()
        .expect("child test process");
    // Every wait inside a scenario has its own deadline; this one catches a stack that hangs.
    let t0 = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("child status") {
            break Some(status);
        }
        if t0.elapsed() > SCENARIO_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    eprintln!("--- {test} (child process)\n{stdout}");
    let status = status.unwrap_or_else(|| panic!("{test} hung: killed after {SCENARIO_LIMIT:?}"));
    assert!(
        status.success(),
        "{test} failed in its child process: {status}"
    );
    assert!(
        stdout.contains("1 passed"),
        "{test} did not run in the child process"
    );
}

async fn wait_powered(names: &[&str]) {
    let t0 = Instant::now();
    loop {
        let mut ok = false;
        if let Ok(session) = bluer::Session::new().await {
            ok = true;
            for n in names {
                let powered = match session.adapter(n) {
                    Ok(a) => a.is_powered().await.unwrap_or(false),
                    Err(_) => false,
                };
                ok &= powered;
            }
        }
        if ok {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(15),
            "adapters {names:?} not powered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        eprintln!(
            "{}: scenario done after {:?}",
            self.test,
            self.started.elapsed()
        );
        // BlueZoo first, then its bus; by PID (Child::kill), never by name.
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(dir) = &self.dir {
            if !std::thread::panicking() {
                let _ = std::fs::remove_dir_all(dir);
            } else {
                eprintln!("rig logs kept in {}", dir.display());
            }
        }
    }
}
