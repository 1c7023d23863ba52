//! A real net-snmp `snmpd` on a free loopback port, serving made-up interfaces whose counters the
//! test drives. The built-in interface modules are disabled and IF-MIB (`.1.3.6.1.2.1.2` and
//! `.1.3.6.1.2.1.31`) comes from `tests/fixtures/ifmib_pass.py`, a `pass_persist` script that
//! re-reads a JSON state file which `set_interfaces` replaces atomically. `restart` simulates a
//! device reboot (sysUpTime starts again at 0) on the same port. This module only runs the agent;
//! it knows nothing of Vigie, and everything it creates lives in its own temp dir.
#![allow(dead_code)] // shared test support: not every test uses every helper

use std::fs::{self, OpenOptions};
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tempfile::TempDir;

pub const COMMUNITY: &str = "public";
pub const SYS_NAME: &str = "vigie-test-agent";
pub const SYS_DESCR: &str = "Vigie test agent (net-snmp with made-up interfaces)";
pub const SYS_LOCATION: &str = "Test rack 42";
pub const SYS_CONTACT: &str = "tests@vigie.invalid";

const PASS_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ifmib_pass.py");
const READY_TIMEOUT: Duration = Duration::from_secs(10);
const READY_POLL: Duration = Duration::from_millis(50);
const PROBE_TIMEOUT: Duration = Duration::from_millis(200);

/// One made-up interface, as the pass_persist script serves it.
#[derive(Debug, Clone)]
pub struct Interface {
    pub if_index: u32,
    pub name: String,
    pub alias: String,
    pub speed_bps: u64,
    pub oper_up: bool,
    pub in_octets: u64,
    pub out_octets: u64,
    /// Growth of the octet counters from the moment `set_interfaces` writes them.
    pub in_octets_per_sec: u64,
    pub out_octets_per_sec: u64,
    /// Whether ifHCInOctets/ifHCOutOctets exist for this interface (absent rows otherwise).
    pub hc: bool,
}

impl Interface {
    /// A 1 Gbit/s interface, up, with 64-bit counters at 0.
    pub fn new(if_index: u32, name: impl Into<String>) -> Self {
        Interface {
            if_index,
            name: name.into(),
            alias: String::new(),
            speed_bps: 1_000_000_000,
            oper_up: true,
            in_octets: 0,
            out_octets: 0,
            in_octets_per_sec: 0,
            out_octets_per_sec: 0,
            hc: true,
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "ifIndex": self.if_index,
            "ifDescr": self.name,
            "ifName": self.name,
            "ifAlias": self.alias,
            "ifType": 6,
            "speedBps": self.speed_bps,
            "adminStatus": 1,
            "operStatus": if self.oper_up { 1 } else { 2 },
            "inOctets": self.in_octets,
            "outOctets": self.out_octets,
            "inOctetsPerSec": self.in_octets_per_sec,
            "outOctetsPerSec": self.out_octets_per_sec,
            "hc": self.hc,
        })
    }
}

/// A running snmpd; killed on drop.
pub struct Snmpd {
    dir: TempDir,
    port: u16,
    child: Option<Child>,
    /// Lines appended to the configuration (SNMPv3 users, v1-only communities).
    extra_config: String,
}

impl Snmpd {
    /// Starts snmpd on a free 127.0.0.1 UDP port and waits until it answers.
    pub fn start(interfaces: &[Interface]) -> Snmpd {
        Snmpd::start_with(interfaces, "")
    }

    /// [`Snmpd::start`] with `extra_config` appended to snmpd.conf (e.g. `createUser` and
    /// `rouser` lines: SNMP_PERSISTENT_DIR is the agent's own temp dir).
    pub fn start_with(interfaces: &[Interface], extra_config: &str) -> Snmpd {
        let dir = tempfile::tempdir().expect("create a temp dir for snmpd");
        let mut snmpd =
            Snmpd { dir, port: crate::ports::free_udp_port(), child: None, extra_config: extra_config.to_string() };
        snmpd.set_interfaces(interfaces);
        fs::create_dir(snmpd.path("persist")).expect("create snmpd's persistent dir");
        fs::write(snmpd.path("snmpd.conf"), snmpd.config()).expect("write snmpd.conf");
        snmpd.spawn();
        snmpd
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Replaces the served interfaces; the script sees the new file on its next request.
    pub fn set_interfaces(&self, interfaces: &[Interface]) {
        let epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs_f64();
        let state =
            json!({ "interfaces": interfaces.iter().map(Interface::to_json).collect::<Vec<_>>(), "epoch": epoch });
        let tmp = self.path("state.json.tmp");
        fs::write(&tmp, state.to_string()).expect("write interface state");
        fs::rename(&tmp, self.path("state.json")).expect("replace interface state");
    }

    /// Kills snmpd and starts it again on the same port, like a device reboot.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Kills snmpd and waits for it; the port no longer answers afterwards.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// snmpd's output followed by the pass_persist script's error log, for failure messages.
    pub fn log(&self) -> String {
        let read = |name| fs::read(self.path(name)).unwrap_or_default();
        let mut log = String::from_utf8_lossy(&read("snmpd.log")).into_owned();
        let script = read("ifmib_pass.log");
        if !script.is_empty() {
            log.push_str("\n--- ifmib_pass.log ---\n");
            log.push_str(&String::from_utf8_lossy(&script));
        }
        log
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn config(&self) -> String {
        let pass = |oid| {
            let state = self.path("state.json");
            format!("pass_persist {oid} /usr/bin/python3 {PASS_SCRIPT} {}\n", state.display())
        };
        format!(
            "agentAddress udp:127.0.0.1:{port}\n\
             rocommunity {COMMUNITY} 127.0.0.1\n\
             sysName {SYS_NAME}\n\
             sysDescr {SYS_DESCR}\n\
             sysLocation {SYS_LOCATION}\n\
             sysContact {SYS_CONTACT}\n\
             dontLogTCPWrappersConnects yes\n\
             {if_mib}{ifx_mib}{extra}\n",
            port = self.port,
            extra = self.extra_config,
            if_mib = pass(".1.3.6.1.2.1.2"),
            ifx_mib = pass(".1.3.6.1.2.1.31"),
        )
    }

    fn spawn(&mut self) {
        // Appending keeps the log of the previous run after a restart.
        let log = OpenOptions::new().create(true).append(true).open(self.path("snmpd.log")).expect("open snmpd.log");
        let child = Command::new("snmpd")
            .args(["-f", "-Lo", "-C", "-c"])
            .arg(self.path("snmpd.conf"))
            .arg("-p")
            .arg(self.path("snmpd.pid"))
            // No MIB files ship with Debian: loading them only fills the log with warnings.
            .args(["-m", ""])
            // Without this the built-in modules keep serving the host's real interfaces, and smux
            // would make parallel instances fight over TCP port 199.
            .args(["-I", "-smux,ifTable,ifXTable,interfaces"])
            // Keep engine state out of /var/lib/snmp, which parallel instances would share.
            .env("SNMP_PERSISTENT_DIR", self.path("persist"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the snmpd.log handle"))
            .stderr(log)
            .spawn()
            .expect("run snmpd (is it installed? see scripts/install-deps.sh)");
        self.child = Some(child);
        self.wait_until_answering();
    }

    fn wait_until_answering(&mut self) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let child = self.child.as_mut().expect("snmpd was spawned");
            if let Ok(Some(status)) = child.try_wait() {
                panic!("snmpd exited with {status} before answering:\n{}", self.log());
            }
            if probe(self.port) {
                return;
            }
            if Instant::now() > deadline {
                panic!("snmpd did not answer on port {} within {READY_TIMEOUT:?}:\n{}", self.port, self.log());
            }
            thread::sleep(READY_POLL);
        }
    }
}

impl Drop for Snmpd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// ifNumber.0 (1.3.6.1.2.1.2.1.0) as a BER OID.
const IF_NUMBER_OID: [u8; 10] = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x02, 0x01, 0x00];

/// SNMPv2c GetRequest, community "public", request-id 1, for sysUpTime.0 and ifNumber.0.
#[rustfmt::skip]
const PROBE_REQUEST: [u8; 54] = [
    0x30, 0x34,                                     // message
    0x02, 0x01, 0x01,                               //   version: v2c
    0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', //   community
    0xa0, 0x27,                                     //   GetRequest PDU
    0x02, 0x01, 0x01,                               //     request-id
    0x02, 0x01, 0x00,                               //     error-status
    0x02, 0x01, 0x00,                               //     error-index
    0x30, 0x1c,                                     //     varbinds
    0x30, 0x0c,                                     //       sysUpTime.0 = NULL
    0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00, 0x05, 0x00,
    0x30, 0x0c,                                     //       ifNumber.0 = NULL
    0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x02, 0x01, 0x00, 0x05, 0x00,
];

/// True once the agent answers and ifNumber.0 is an INTEGER, which proves the pass_persist script
/// runs too (a broken script yields noSuchObject/noSuchInstance instead).
fn probe(port: u16) -> bool {
    let mut reply = [0u8; 1500];
    let received = UdpSocket::bind("127.0.0.1:0").and_then(|socket| {
        socket.connect(("127.0.0.1", port))?;
        socket.set_read_timeout(Some(PROBE_TIMEOUT))?;
        socket.send(&PROBE_REQUEST)?;
        socket.recv(&mut reply)
    });
    let Ok(len) = received else { return false };
    reply[..len]
        .windows(IF_NUMBER_OID.len() + 1)
        .any(|w| w[..IF_NUMBER_OID.len()] == IF_NUMBER_OID && w[IF_NUMBER_OID.len()] == 0x02)
}
