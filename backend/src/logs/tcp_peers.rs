//! Who may hold a syslog TCP connection: limits in total and per source address, and when full,
//! the longest-idle connection makes room for the newcomer (an idle crowd cannot lock out a
//! real sender). Counters for `/status`, and one aggregated warning per interval instead of a
//! line per refused peer.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

/// A connection idle for less than this is not closed to make room: the newcomer is refused.
const MIN_IDLE_TO_EVICT: Duration = Duration::from_secs(1);

/// Limits of the TCP receiver.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TcpLimits {
    /// Connections at once, in total.
    pub max_peers: usize,
    /// Connections at once from one source address.
    pub max_peers_per_addr: usize,
    /// A connection that completes no message for this long is closed.
    pub idle: Duration,
    /// A message must arrive whole within this from its first byte.
    pub frame_deadline: Duration,
}

impl Default for TcpLimits {
    fn default() -> Self {
        TcpLimits {
            max_peers: 256,
            max_peers_per_addr: 16,
            idle: Duration::from_secs(30),
            frame_deadline: Duration::from_secs(10),
        }
    }
}

/// What the TCP receiver has done since start.
#[derive(Default, Debug)]
pub struct TcpCounters {
    /// Connections open now.
    pub open: AtomicU64,
    pub accepted: AtomicU64,
    /// Refused: full, and no connection idle long enough to make room.
    pub refused: AtomicU64,
    /// Closed to make room for a newcomer (the longest idle).
    pub evicted: AtomicU64,
    pub closed_idle: AtomicU64,
    /// Closed because a message did not arrive whole within the frame deadline.
    pub closed_deadline: AtomicU64,
    /// Frames longer than the largest message, cut.
    pub frames_cut: AtomicU64,
    /// Bytes held now in buffers of frames in progress.
    pub buffered_bytes: AtomicU64,
}

struct Slot {
    ip: IpAddr,
    last_active: Instant,
    close: CancellationToken,
}

/// The connections open now.
#[derive(Default)]
pub struct PeerTable {
    slots: HashMap<u64, Slot>,
    next_id: u64,
}

/// The answer to a new connection.
#[derive(Debug, PartialEq)]
pub enum Admission {
    /// Serve it as peer `id` until `close` is cancelled; `evicted` says whether another
    /// connection was closed to make room.
    Admitted {
        id: u64,
        close: CancellationToken,
        evicted: bool,
    },
    Refused,
}

impl PeerTable {
    pub fn shared() -> Arc<Mutex<PeerTable>> {
        Arc::new(Mutex::new(PeerTable::default()))
    }

    /// Admits a connection from `ip`, making room by closing the longest-idle connection (of
    /// the same address when that address is at its limit) if needed.
    pub fn admit(&mut self, ip: IpAddr, limits: &TcpLimits, now: Instant) -> Admission {
        let same_addr = self.slots.values().filter(|s| s.ip == ip).count();
        let victim = if same_addr >= limits.max_peers_per_addr {
            Some(self.longest_idle(|s| s.ip == ip))
        } else if self.slots.len() >= limits.max_peers {
            Some(self.longest_idle(|_| true))
        } else {
            None
        };
        let evicted = match victim {
            None => false,
            Some(Some((id, last_active))) if now.saturating_duration_since(last_active) >= MIN_IDLE_TO_EVICT => {
                if let Some(slot) = self.slots.remove(&id) {
                    slot.close.cancel();
                }
                true
            }
            Some(_) => return Admission::Refused,
        };
        let id = self.next_id;
        self.next_id += 1;
        let close = CancellationToken::new();
        self.slots.insert(id, Slot { ip, last_active: now, close: close.clone() });
        Admission::Admitted { id, close, evicted }
    }

    fn longest_idle(&self, of: impl Fn(&Slot) -> bool) -> Option<(u64, Instant)> {
        self.slots.iter().filter(|(_, s)| of(s)).min_by_key(|(_, s)| s.last_active).map(|(id, s)| (*id, s.last_active))
    }

    /// Peer `id` completed a message.
    pub fn touch(&mut self, id: u64, now: Instant) {
        if let Some(slot) = self.slots.get_mut(&id) {
            slot.last_active = now;
        }
    }

    pub fn remove(&mut self, id: u64) {
        self.slots.remove(&id);
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

/// One warning per interval summing up what the limits did, instead of a line per peer.
pub struct Warnings {
    last: [u64; 5],
}

impl Default for Warnings {
    fn default() -> Self {
        Self::new()
    }
}

impl Warnings {
    pub fn new() -> Warnings {
        Warnings { last: [0; 5] }
    }

    /// Logs what happened since the last call, if anything did.
    pub fn flush(&mut self, counters: &TcpCounters, limits: &TcpLimits, every: Duration) {
        let read = |n: &AtomicU64| n.load(Ordering::Relaxed);
        let now = [
            read(&counters.refused),
            read(&counters.evicted),
            read(&counters.closed_idle),
            read(&counters.closed_deadline),
            read(&counters.frames_cut),
        ];
        let delta: Vec<u64> = now.iter().zip(self.last).map(|(n, l)| n - l).collect();
        self.last = now;
        if delta.iter().all(|&d| d == 0) {
            return;
        }
        log::warn!(
            "Syslog TCP in the last {}s: {} connection(s) refused and {} idle one(s) closed to make room \
             (limits: {} in total, {} per address), {} closed idle, {} closed for a message unfinished \
             after {}s, {} oversize message(s) cut.",
            every.as_secs(),
            delta[0],
            delta[1],
            limits.max_peers,
            limits.max_peers_per_addr,
            delta[2],
            delta[3],
            limits.frame_deadline.as_secs(),
            delta[4],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> TcpLimits {
        TcpLimits { max_peers: 3, max_peers_per_addr: 2, ..TcpLimits::default() }
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn when_full_the_longest_idle_makes_room_and_busy_peers_are_kept() {
        let mut table = PeerTable::default();
        let t0 = Instant::now();
        let admitted = |a: Admission| match a {
            Admission::Admitted { id, close, evicted } => (id, close, evicted),
            Admission::Refused => panic!("refused"),
        };
        let (a, a_close, _) = admitted(table.admit(ip(1), &limits(), t0));
        let (b, _, _) = admitted(table.admit(ip(2), &limits(), t0));
        let (c, _, _) = admitted(table.admit(ip(3), &limits(), t0));
        // Full and everyone just arrived: refused, nobody closed.
        assert_eq!(table.admit(ip(4), &limits(), t0 + Duration::from_millis(10)), Admission::Refused);
        // Later, `b` and `c` send messages; `a` stays idle: `a` goes.
        table.touch(b, t0 + Duration::from_secs(5));
        table.touch(c, t0 + Duration::from_secs(4));
        let (_, _, evicted) = admitted(table.admit(ip(4), &limits(), t0 + Duration::from_secs(5)));
        assert!(evicted && a_close.is_cancelled() && table.len() == 3);
        table.remove(a); // its task ends; removing twice is harmless
        assert_eq!(table.len(), 3);
    }

    #[test]
    fn one_address_cannot_take_every_slot() {
        let mut table = PeerTable::default();
        let t0 = Instant::now();
        for _ in 0..2 {
            assert!(matches!(table.admit(ip(9), &limits(), t0), Admission::Admitted { evicted: false, .. }));
        }
        let later = t0 + Duration::from_secs(2);
        assert!(matches!(table.admit(ip(9), &limits(), later), Admission::Admitted { evicted: true, .. }));
        assert!(matches!(table.admit(ip(1), &limits(), later), Admission::Admitted { evicted: false, .. }));
        assert_eq!(table.len(), 3, "the address's third connection replaced its own oldest");
    }
}
