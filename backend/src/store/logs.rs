//! The log: syslog messages, SNMP traps and Vigie's own events, as JSON lines in daily files
//! (`logs/<date>.jsonl`), with retention by age and by total size. Every entry gets an id that
//! only grows, so a cursor (`id < cursor`, newest first) never skips nor repeats an entry while
//! new ones arrive. The newest entries are also kept in memory for the common queries.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::files::{last_line, read_lines, Appender};
use super::segments::{self, DAY_SECS};
use crate::device::DeviceId;

/// Entries answered from memory before reading files.
const RECENT_CAPACITY: usize = 50_000;

/// Where an entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogSource {
    Syslog,
    Trap,
    Event,
}

/// One named value: a syslog structured-data parameter or a trap variable binding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogField {
    pub name: String,
    pub value: String,
}

/// An entry before the log gives it an id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewLogEntry {
    /// Unix seconds (ms precision) when Vigie received it.
    pub received_at: f64,
    /// The device's own time, where the message carried one.
    pub timestamp: Option<f64>,
    pub source: LogSource,
    pub device_id: Option<DeviceId>,
    /// Address the message came from (`ip:port`); null for Vigie's own events.
    pub source_addr: Option<String>,
    /// Syslog severity, 0 (emergency) to 7 (debug); traps and events are mapped onto it.
    pub severity: u8,
    pub facility: Option<String>,
    pub app_name: Option<String>,
    pub hostname: Option<String>,
    pub message: String,
    /// The message was longer than the limit and was cut.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<LogField>,
}

/// A stored entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub id: u64,
    #[serde(flatten)]
    pub entry: NewLogEntry,
}

/// What a query asks for; every filter is optional.
#[derive(Clone, Debug, Default)]
pub struct LogFilter {
    pub device_id: Option<DeviceId>,
    pub source: Option<LogSource>,
    /// Keep entries at least this severe: severity ≤ this.
    pub min_severity: Option<u8>,
    /// Case-insensitive substring of the message (or app name, or host name).
    pub text: Option<String>,
    pub from: Option<f64>,
    pub to: Option<f64>,
    /// Only entries with an id below this (the previous page's `nextCursor`).
    pub before_id: Option<u64>,
}

impl LogFilter {
    fn matches(&self, e: &LogEntry, lowered: Option<&str>) -> bool {
        let n = &e.entry;
        self.before_id.is_none_or(|c| e.id < c)
            && self.device_id.as_ref().is_none_or(|d| n.device_id.as_ref() == Some(d))
            && self.source.is_none_or(|s| n.source == s)
            && self.min_severity.is_none_or(|s| n.severity <= s)
            && self.from.is_none_or(|f| n.received_at >= f)
            && self.to.is_none_or(|t| n.received_at <= t)
            && lowered.is_none_or(|q| {
                n.message.to_lowercase().contains(q)
                    || n.app_name.as_deref().is_some_and(|a| a.to_lowercase().contains(q))
                    || n.hostname.as_deref().is_some_and(|h| h.to_lowercase().contains(q))
            })
    }
}

/// Retention of the log.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogRetention {
    pub max_age_secs: i64,
    pub max_total_bytes: u64,
}

pub struct LogStore {
    dir: PathBuf,
    retention: LogRetention,
    appender: Appender,
    state: Mutex<LogState>,
}

struct LogState {
    next_id: u64,
    recent: VecDeque<LogEntry>,
}

impl LogStore {
    pub fn open(dir: &Path, retention: LogRetention) -> std::io::Result<LogStore> {
        std::fs::create_dir_all(dir)?;
        let newest = segments::overlapping(dir, i64::MIN / 2, i64::MAX / 2, DAY_SECS).pop();
        let last_id = match newest {
            Some(path) => {
                last_line(&path)?.and_then(|bytes| serde_json::from_slice::<LogEntry>(&bytes).ok()).map_or(0, |e| e.id)
            }
            None => 0,
        };
        Ok(LogStore {
            dir: dir.to_path_buf(),
            retention,
            appender: Appender::default(),
            state: Mutex::new(LogState { next_id: last_id + 1, recent: VecDeque::new() }),
        })
    }

    /// Appends entries in order; answers them with their ids.
    pub fn append(&self, batch: Vec<NewLogEntry>) -> std::io::Result<Vec<LogEntry>> {
        let mut state = self.state.lock().expect("log lock");
        let mut by_file: Vec<(PathBuf, String)> = Vec::new();
        let mut stored = Vec::with_capacity(batch.len());
        for entry in batch {
            let entry = LogEntry { id: state.next_id, entry };
            state.next_id += 1;
            let path = segments::path_for(&self.dir, entry.entry.received_at.floor() as i64, DAY_SECS);
            let line = serde_json::to_string(&entry).expect("log entries serialize");
            match by_file.last_mut() {
                Some((p, text)) if *p == path => {
                    text.push('\n');
                    text.push_str(&line);
                }
                _ => by_file.push((path, line)),
            }
            stored.push(entry);
        }
        for (path, text) in by_file {
            self.appender.append(&path, &text)?;
        }
        for entry in &stored {
            if state.recent.len() == RECENT_CAPACITY {
                state.recent.pop_front();
            }
            state.recent.push_back(entry.clone());
        }
        Ok(stored)
    }

    /// Up to `limit` entries matching `filter`, newest first.
    pub fn query(&self, filter: &LogFilter, limit: usize) -> std::io::Result<Vec<LogEntry>> {
        let lowered = filter.text.as_ref().map(|t| t.to_lowercase());
        let lowered = lowered.as_deref();
        let (mut found, oldest_in_memory) = {
            let state = self.state.lock().expect("log lock");
            let found: Vec<LogEntry> =
                state.recent.iter().rev().filter(|e| filter.matches(e, lowered)).take(limit).cloned().collect();
            (found, state.recent.front().map(|e| e.id))
        };
        // Older entries than memory holds come from the files, newest file first.
        let below = oldest_in_memory.unwrap_or(u64::MAX);
        if found.len() < limit && below > 1 {
            let to = filter.to.map_or(i64::MAX / 2, |t| t.ceil() as i64);
            let from = filter.from.map_or(i64::MIN / 2, |f| f.floor() as i64);
            for path in segments::overlapping(&self.dir, from, to, DAY_SECS).into_iter().rev() {
                let mut in_file = Vec::new();
                read_lines::<LogEntry>(&path, |e| {
                    if e.id < below && filter.matches(&e, lowered) {
                        in_file.push(e)
                    }
                })?;
                found.extend(in_file.into_iter().rev().take(limit - found.len()));
                if found.len() >= limit {
                    break;
                }
            }
        }
        Ok(found)
    }

    /// Deletes whole days past the age limit, then the oldest days while over the size limit
    /// (never today's); answers the bytes freed.
    pub fn enforce_retention(&self, now: i64) -> u64 {
        let mut freed = segments::delete_before(&self.dir, now - self.retention.max_age_secs, DAY_SECS);
        let mut files: Vec<(PathBuf, u64)> = segments::overlapping(&self.dir, i64::MIN / 2, i64::MAX / 2, DAY_SECS)
            .into_iter()
            .map(|p| {
                let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                (p, len)
            })
            .collect();
        let mut total: u64 = files.iter().map(|(_, len)| len).sum();
        let today = segments::path_for(&self.dir, now, DAY_SECS);
        files.retain(|(p, _)| *p != today);
        for (path, len) in files {
            if total <= self.retention.max_total_bytes {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= len;
                freed += len;
            }
        }
        freed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at: f64, message: &str, severity: u8) -> NewLogEntry {
        NewLogEntry {
            received_at: at,
            timestamp: None,
            source: LogSource::Syslog,
            device_id: None,
            source_addr: Some("127.0.0.1:5000".into()),
            severity,
            facility: None,
            app_name: None,
            hostname: None,
            message: message.into(),
            truncated: false,
            fields: Vec::new(),
        }
    }

    fn retention() -> LogRetention {
        LogRetention { max_age_secs: 30 * DAY_SECS, max_total_bytes: 1 << 30 }
    }

    #[test]
    fn pages_never_skip_nor_repeat_while_entries_arrive() {
        let dir = tempfile::tempdir().unwrap();
        let log = LogStore::open(dir.path(), retention()).unwrap();
        log.append((0..25).map(|i| entry(1000.0 + f64::from(i), &format!("m{i}"), 6)).collect()).unwrap();
        let mut seen = Vec::new();
        let mut filter = LogFilter::default();
        loop {
            let page = log.query(&filter, 10).unwrap();
            // New entries arrive between pages.
            log.append(vec![entry(2000.0, "late", 6)]).unwrap();
            let Some(last) = page.last() else { break };
            filter.before_id = Some(last.id);
            seen.extend(page.iter().map(|e| e.entry.message.clone()));
        }
        let expected: Vec<String> = (0..25).rev().map(|i| format!("m{i}")).collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn ids_continue_after_a_restart_and_old_entries_come_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        LogStore::open(dir.path(), retention()).unwrap().append(vec![entry(10.0, "Link DOWN", 3)]).unwrap();
        let log = LogStore::open(dir.path(), retention()).unwrap();
        let stored = log.append(vec![entry(DAY_SECS as f64 + 5.0, "next day", 6)]).unwrap();
        assert_eq!(stored[0].id, 2);
        let filter = LogFilter { text: Some("link down".into()), min_severity: Some(4), ..Default::default() };
        let found = log.query(&filter, 10).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, 1);
    }

    #[test]
    fn retention_by_size_drops_the_oldest_days_first() {
        let dir = tempfile::tempdir().unwrap();
        let log =
            LogStore::open(dir.path(), LogRetention { max_age_secs: 1000 * DAY_SECS, max_total_bytes: 400 }).unwrap();
        for day in 0..5 {
            log.append((0..3).map(|i| entry((day * DAY_SECS + i) as f64, "x", 6)).collect()).unwrap();
        }
        assert!(log.enforce_retention(4 * DAY_SECS + 10) > 0);
        let left = segments::overlapping(dir.path(), 0, 10 * DAY_SECS, DAY_SECS);
        assert!(left.len() < 5 && left.last().unwrap().ends_with("1970-01-05.jsonl"), "{left:?}");
    }
}
