//! On a primary: the pollers that reported, for `/status` (name, shard, last report, devices,
//! remote-write lag). Bounded: at most [`MAX_POLLERS`] are kept, the longest silent forgotten first.

use std::collections::HashMap;
use std::sync::Mutex;

/// Pollers kept at most.
pub const MAX_POLLERS: usize = 256;

#[derive(Clone, Debug, PartialEq)]
pub struct PollerEntry {
    pub name: String,
    pub shard: String,
    /// Unix seconds of its last report.
    pub last_report_at: i64,
    pub devices: u64,
    pub polls_total: u64,
    pub remote_write_lag_secs: Option<f64>,
}

#[derive(Default)]
pub struct PollerBoard {
    pollers: Mutex<HashMap<(String, String), PollerEntry>>,
}

impl PollerBoard {
    /// Notes a report (a poller is its name and its shard).
    pub fn note(&self, entry: PollerEntry) {
        let mut pollers = self.pollers.lock().unwrap_or_else(|e| e.into_inner());
        let key = (entry.name.clone(), entry.shard.clone());
        if !pollers.contains_key(&key) && pollers.len() >= MAX_POLLERS {
            let oldest = pollers.iter().min_by_key(|(_, p)| p.last_report_at).map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                pollers.remove(&oldest);
            }
        }
        pollers.insert(key, entry);
    }

    /// Every poller, ordered by shard then name.
    pub fn list(&self) -> Vec<PollerEntry> {
        let pollers = self.pollers.lock().unwrap_or_else(|e| e.into_inner());
        let mut list: Vec<PollerEntry> = pollers.values().cloned().collect();
        list.sort_by(|a, b| (&a.shard, &a.name).cmp(&(&b.shard, &b.name)));
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, at: i64) -> PollerEntry {
        PollerEntry {
            name: name.into(),
            shard: "0/2".into(),
            last_report_at: at,
            devices: 1,
            polls_total: 1,
            remote_write_lag_secs: None,
        }
    }

    #[test]
    fn a_poller_is_kept_once_and_the_board_is_bounded() {
        let board = PollerBoard::default();
        board.note(entry("a", 1));
        board.note(entry("a", 2));
        assert_eq!(board.list(), [entry("a", 2)]);
        for i in 0..MAX_POLLERS + 5 {
            board.note(entry(&format!("p{i:03}"), 10 + i as i64));
        }
        let list = board.list();
        assert_eq!(list.len(), MAX_POLLERS);
        assert!(!list.iter().any(|p| p.name == "a"), "the longest silent went first");
    }
}
