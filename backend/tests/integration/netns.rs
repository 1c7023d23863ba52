//! A host that can vanish: a network namespace joined to this one by a veth pair, with an IPv4
//! /30 and an IPv6 /64 (unique local addresses) on each end. Traffic to it stays inside the pair:
//! `cut()` sets the host's end down, so ours loses its carrier but keeps its connected routes, and
//! blackhole routes for both prefixes catch anything should those routes go (setting OUR end down
//! would remove them, and the echoes would follow the default route out of the machine).
//! `restore()` brings the host back. Needs root; everything is deleted on drop.
#![allow(dead_code)] // shared test support

use std::net::IpAddr;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// Whether this process may create namespaces (root).
pub fn available() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

pub struct NetnsHost {
    name: String,
    link: String,
    peer: String,
    /// The prefixes blackholed as a guard (v4, v6).
    guards: [String; 2],
    /// Our end's IPv4 address and the host's.
    pub local_v4: IpAddr,
    pub host_v4: IpAddr,
    pub host_v6: IpAddr,
}

fn ip(args: &[&str]) {
    let output = Command::new("ip").args(args).output().expect("run ip");
    assert!(output.status.success(), "ip {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr));
}

impl NetnsHost {
    /// Creates the namespace `vigie-<pid>-<n>` and its link; addresses come from 10.203.0.0/16
    /// and fd00:203::/32, distinct per namespace of this process and per process.
    pub fn create() -> NetnsHost {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        let name = format!("vigie-{pid}-{n}");
        let link = format!("vg{}h{n}", pid % 100_000);
        let peer = format!("{link}p");
        // A /30 per namespace: 64 per third octet, the third octet from the pid.
        let (third, fourth) = ((pid % 200) as u8, ((n % 64) * 4) as u8);
        let (local_v4, host_v4) = (format!("10.203.{third}.{}", fourth + 1), format!("10.203.{third}.{}", fourth + 2));
        let prefix_v6 = format!("fd00:203:{:x}:{n:x}", pid & 0xffff);
        let guards = [format!("10.203.{third}.{fourth}/30"), format!("{prefix_v6}::/64")];
        let host = NetnsHost {
            name: name.clone(),
            link: link.clone(),
            peer: peer.clone(),
            guards: guards.clone(),
            local_v4: local_v4.parse().unwrap(),
            host_v4: host_v4.parse().unwrap(),
            host_v6: format!("{prefix_v6}::2").parse().unwrap(),
        };
        ip(&["route", "add", "blackhole", &guards[0], "metric", "4000"]);
        ip(&["-6", "route", "add", "blackhole", &guards[1], "metric", "4000"]);
        ip(&["netns", "add", &name]);
        ip(&["link", "add", &link, "type", "veth", "peer", "name", &peer]);
        ip(&["link", "set", &peer, "netns", &name]);
        ip(&["addr", "add", &format!("{local_v4}/30"), "dev", &link]);
        ip(&["-6", "addr", "add", &format!("{prefix_v6}::1/64"), "dev", &link, "nodad"]);
        ip(&["link", "set", &link, "up"]);
        ip(&["netns", "exec", &name, "ip", "addr", "add", &format!("{host_v4}/30"), "dev", &peer]);
        ip(&["netns", "exec", &name, "ip", "-6", "addr", "add", &format!("{prefix_v6}::2/64"), "dev", &peer, "nodad"]);
        // A link set down drops its IPv6 addresses unless told to keep them (for `restore`).
        let keep = format!("echo 1 > /proc/sys/net/ipv6/conf/{peer}/keep_addr_on_down");
        ip(&["netns", "exec", &name, "sh", "-c", &keep]);
        ip(&["netns", "exec", &name, "ip", "link", "set", &peer, "up"]);
        ip(&["netns", "exec", &name, "ip", "link", "set", "lo", "up"]);
        host
    }

    /// Sets the host's end of the link down: the host stops answering.
    pub fn cut(&self) {
        ip(&["netns", "exec", &self.name, "ip", "link", "set", &self.peer, "down"]);
    }

    /// Brings the host's end back up.
    pub fn restore(&self) {
        ip(&["netns", "exec", &self.name, "ip", "link", "set", &self.peer, "up"]);
    }

    /// Runs `program` inside the namespace (e.g. an SNMP agent on the host's address).
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name, program]);
        command
    }
}

impl Drop for NetnsHost {
    fn drop(&mut self) {
        // Deleting our end deletes its peer too; then the namespace.
        let _ = Command::new("ip").args(["link", "del", &self.link]).output();
        let _ = Command::new("ip").args(["netns", "del", &self.name]).output();
        let _ = Command::new("ip").args(["route", "del", "blackhole", &self.guards[0]]).output();
        let _ = Command::new("ip").args(["-6", "route", "del", "blackhole", &self.guards[1]]).output();
    }
}
