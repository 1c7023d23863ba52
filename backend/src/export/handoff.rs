//! The hand-off from the store's accept path to the remote-write exporter: what a poll or an
//! echo round gave, kept in memory until the exporter (once a second) takes it to the targets'
//! queues. Bounded in bytes; when full, the newest is refused and its samples counted, and the
//! caller (a poller) never waits. The store's event bus is not used for this: it skips ahead
//! when a listener lags, which would lose samples without counting them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::series::Accepted;

pub struct Handoff {
    pending: Mutex<Pending>,
    max_bytes: usize,
    dropped_samples: AtomicU64,
}

#[derive(Default)]
struct Pending {
    items: Vec<Accepted>,
    bytes: usize,
}

impl Handoff {
    pub fn new(max_bytes: usize) -> Handoff {
        Handoff { pending: Mutex::new(Pending::default()), max_bytes, dropped_samples: AtomicU64::new(0) }
    }

    /// Hands `accepted` on, unless that would pass the bound (then it is counted dropped).
    pub fn offer(&self, accepted: Accepted) {
        let bytes = accepted.bytes();
        let mut pending = self.pending.lock().expect("hand-off lock");
        if pending.bytes + bytes > self.max_bytes {
            drop(pending);
            self.dropped_samples.fetch_add(accepted.samples() as u64, Ordering::Relaxed);
            return;
        }
        pending.bytes += bytes;
        pending.items.push(accepted);
    }

    /// Everything handed on since the last call, oldest first.
    pub fn take(&self) -> Vec<Accepted> {
        let mut pending = self.pending.lock().expect("hand-off lock");
        pending.bytes = 0;
        std::mem::take(&mut pending.items)
    }

    /// Samples refused because the hand-off was full, since start.
    pub fn dropped_samples(&self) -> u64 {
        self.dropped_samples.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{Device, DeviceConfig, DeviceId};

    #[test]
    fn past_its_bound_the_newest_is_refused_and_counted() {
        let device =
            Device { id: DeviceId("0000abcd".into()), created_at: 0, config: DeviceConfig::v2c("sw1", "h", 161, "c") };
        let cache = super::super::series::LabelCache::default();
        let one = || super::super::series::failed_poll(&device, 1, &cache);
        let size = one().bytes();
        let handoff = Handoff::new(size * 3);
        for _ in 0..5 {
            handoff.offer(one());
        }
        assert_eq!(handoff.dropped_samples(), 2);
        assert_eq!(handoff.take().len(), 3);
        assert!(handoff.take().is_empty());
        handoff.offer(one());
        assert_eq!(handoff.take().len(), 1, "taking frees the room");
    }
}
