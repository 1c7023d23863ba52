//! Free loopback ports for the servers the tests start (Vigie, snmpd, Prometheus, receivers).
//!
//! A port found by binding port 0 and letting go can be handed out again by the next bind to
//! port 0, in this test or one running beside it: that once gave Vigie's HTTP listener and its
//! syslog receiver the same number. So ports come from a counter below Linux's ephemeral range
//! (32768–60999 by default), where no bind to port 0 lands. Each is handed out once per process,
//! after checking it is free right now; the counter starts at an offset drawn from the process
//! id, so two suites run side by side seldom try the same ports.
#![allow(dead_code)] // shared test support: not every test uses every helper

use std::net::{TcpListener, UdpSocket};
use std::sync::atomic::{AtomicU32, Ordering};

const FIRST: u32 = 20_000;
const COUNT: u32 = 12_000;

static NEXT: AtomicU32 = AtomicU32::new(u32::MAX);

/// A port free for TCP on 127.0.0.1, never handed out before in this process.
pub fn free_tcp_port() -> u16 {
    take(|port| TcpListener::bind(("127.0.0.1", port)).is_ok())
}

/// A port free for UDP on 127.0.0.1, never handed out before in this process.
pub fn free_udp_port() -> u16 {
    take(|port| UdpSocket::bind(("127.0.0.1", port)).is_ok())
}

/// A port free for both TCP and UDP (syslog listens on both with one number).
pub fn free_tcp_and_udp_port() -> u16 {
    take(|port| TcpListener::bind(("127.0.0.1", port)).is_ok() && UdpSocket::bind(("127.0.0.1", port)).is_ok())
}

fn take(free: impl Fn(u16) -> bool) -> u16 {
    let start = std::process::id().wrapping_mul(7_919) % COUNT;
    let _ = NEXT.compare_exchange(u32::MAX, start, Ordering::Relaxed, Ordering::Relaxed);
    for _ in 0..COUNT {
        let port = (FIRST + NEXT.fetch_add(1, Ordering::Relaxed) % COUNT) as u16;
        if free(port) {
            return port;
        }
    }
    panic!("no free port on 127.0.0.1 between {FIRST} and {}", FIRST + COUNT - 1);
}

#[test]
fn ports_are_never_handed_out_twice_and_are_free() {
    let ports: Vec<u16> =
        (0..200).map(|i| if i % 2 == 0 { free_tcp_port() } else { free_tcp_and_udp_port() }).collect();
    let distinct: std::collections::HashSet<u16> = ports.iter().copied().collect();
    assert_eq!(distinct.len(), ports.len(), "a port handed out twice: {ports:?}");
    for port in ports {
        assert!((FIRST..FIRST + COUNT).contains(&u32::from(port)), "{port} outside the test range");
        TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{port} not free: {e}"));
    }
}
