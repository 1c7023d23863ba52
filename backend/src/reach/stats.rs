//! What the reachability scheduler did since start, for `/status` and `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use super::IcmpMode;

#[derive(Default)]
pub struct ReachStats {
    /// The mode of each family once the pinger opened: (IPv4, IPv6).
    modes: OnceLock<(IcmpMode, IcmpMode)>,
    rounds_total: AtomicU64,
    /// Rounds with no reply at all.
    rounds_silent: AtomicU64,
    /// Rounds not started because the previous round of the device was still running, or the
    /// cap on rounds in flight was reached (they run at the next tick).
    rounds_deferred: AtomicU64,
    /// Hosts that could not be resolved.
    resolve_failures: AtomicU64,
}

/// A copy of the counters.
#[derive(Clone, Debug, PartialEq)]
pub struct ReachCounts {
    /// `None` until the pinger opened.
    pub modes: Option<(IcmpMode, IcmpMode)>,
    pub rounds_total: u64,
    pub rounds_silent: u64,
    pub rounds_deferred: u64,
    pub resolve_failures: u64,
}

impl ReachStats {
    pub(super) fn opened(&self, v4: IcmpMode, v6: IcmpMode) {
        let _ = self.modes.set((v4, v6));
    }

    pub(super) fn round(&self, answered: bool) {
        self.rounds_total.fetch_add(1, Ordering::Relaxed);
        if !answered {
            self.rounds_silent.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(super) fn deferred(&self) {
        self.rounds_deferred.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn resolve_failed(&self) {
        self.resolve_failures.fetch_add(1, Ordering::Relaxed);
    }

    pub fn counts(&self) -> ReachCounts {
        let read = |n: &AtomicU64| n.load(Ordering::Relaxed);
        ReachCounts {
            modes: self.modes.get().cloned(),
            rounds_total: read(&self.rounds_total),
            rounds_silent: read(&self.rounds_silent),
            rounds_deferred: read(&self.rounds_deferred),
            resolve_failures: read(&self.resolve_failures),
        }
    }
}
