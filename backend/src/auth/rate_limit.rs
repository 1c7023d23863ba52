//! Failed logins, counted per source address and per username in a sliding window: past the
//! limit, logins from that address or for that name are refused until the oldest failure leaves
//! the window. Memory is bounded: at most `limit` timestamps per key and `max_keys` keys per
//! table (when full, keys with no failure left in the window go first, then the stalest key).

use std::collections::{HashMap, VecDeque};

/// Failures allowed per window, per key.
pub const FAILURES_PER_WINDOW: usize = 10;
pub const WINDOW_SECS: i64 = 60;
/// Keys kept per table (addresses, usernames): about 10 000 × 100 bytes.
pub const MAX_KEYS: usize = 10_000;

/// One table of failures: key → their times, oldest first.
pub struct FailureWindow {
    limit: usize,
    window_secs: i64,
    max_keys: usize,
    failures: HashMap<String, VecDeque<i64>>,
}

impl FailureWindow {
    pub fn new(limit: usize, window_secs: i64, max_keys: usize) -> FailureWindow {
        FailureWindow { limit, window_secs, max_keys, failures: HashMap::new() }
    }

    /// Seconds until `key` may try again, or None when it may now.
    pub fn retry_after(&mut self, key: &str, now: i64) -> Option<u64> {
        let times = self.failures.get_mut(key)?;
        while times.front().is_some_and(|t| *t <= now - self.window_secs) {
            times.pop_front();
        }
        if times.len() < self.limit {
            return None;
        }
        times.front().map(|oldest| (oldest + self.window_secs - now).max(1) as u64)
    }

    pub fn record(&mut self, key: &str, now: i64) {
        if !self.failures.contains_key(key) && self.failures.len() >= self.max_keys {
            self.make_room(now);
        }
        let times = self.failures.entry(key.to_string()).or_default();
        if times.len() >= self.limit {
            times.pop_front();
        }
        times.push_back(now);
    }

    fn make_room(&mut self, now: i64) {
        let horizon = now - self.window_secs;
        self.failures.retain(|_, times| times.back().is_some_and(|t| *t > horizon));
        if self.failures.len() >= self.max_keys {
            let stalest = self.failures.iter().min_by_key(|(_, times)| times.back().copied()).map(|(k, _)| k.clone());
            if let Some(key) = stalest {
                self.failures.remove(&key);
            }
        }
    }
}

/// The two tables a login checks.
pub struct LoginLimiter {
    pub by_address: FailureWindow,
    pub by_username: FailureWindow,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        let table = || FailureWindow::new(FAILURES_PER_WINDOW, WINDOW_SECS, MAX_KEYS);
        LoginLimiter { by_address: table(), by_username: table() }
    }
}

impl LoginLimiter {
    /// Seconds to wait when either the address or the username is over the limit.
    pub fn retry_after(&mut self, address: &str, username: &str, now: i64) -> Option<u64> {
        let a = self.by_address.retry_after(address, now);
        let u = self.by_username.retry_after(username, now);
        a.max(u)
    }

    pub fn record_failure(&mut self, address: &str, username: &str, now: i64) {
        self.by_address.record(address, now);
        self.by_username.record(username, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eleventh_failure_in_a_minute_waits_until_the_first_leaves_the_window() {
        let mut limiter = LoginLimiter::default();
        for i in 0..10 {
            assert_eq!(limiter.retry_after("10.0.0.1", "admin", 1000 + i), None, "attempt {}", i + 1);
            limiter.record_failure("10.0.0.1", "admin", 1000 + i);
        }
        assert_eq!(limiter.retry_after("10.0.0.1", "admin", 1010), Some(50));
        assert_eq!(limiter.retry_after("10.0.0.2", "admin", 1010), Some(50), "per username too");
        assert_eq!(limiter.retry_after("10.0.0.1", "bob", 1010), Some(50), "per address too");
        assert_eq!(limiter.retry_after("10.0.0.2", "bob", 1010), None);
        assert_eq!(limiter.retry_after("10.0.0.1", "admin", 1060), None, "the first failure left the window");
    }

    #[test]
    fn memory_stays_bounded_when_every_attempt_names_a_new_key() {
        let mut table = FailureWindow::new(10, 60, 100);
        for i in 0..10_000 {
            table.record(&format!("user{i}"), 1000);
        }
        assert!(table.failures.len() <= 100, "{}", table.failures.len());
        for _ in 0..1000 {
            table.record("one", 1000);
        }
        assert_eq!(table.failures["one"].len(), 10, "at most `limit` times per key");
    }

    #[test]
    fn a_full_table_drops_expired_keys_before_live_ones() {
        let mut table = FailureWindow::new(1, 60, 2);
        table.record("old", 0);
        table.record("live", 100);
        table.record("new", 110);
        assert!(table.retry_after("live", 110).is_some(), "the live key was kept");
        assert!(!table.failures.contains_key("old"));
    }
}
