//! The log: syslog messages, SNMP traps and Vigie's own events, as JSON lines in daily files
//! (`logs/<date>.jsonl`), with retention by age and by total size. Every entry gets an id that
//! only grows, so a cursor (`id < cursor`, newest first) never skips nor repeats an entry while
//! new ones arrive. The newest entries are also kept in memory for the common queries.

mod entry;
mod recent;
mod scan;

use std::fs::File;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use entry::{cut_at_char, LogEntry, LogField, LogFilter, LogSource, NewLogEntry, Severity, TextQuery};
pub use recent::RecentUsage;

use super::files::{last_line, Appender};
use super::segments::{self, DAY_SECS};
use recent::{Hit, Recent};

/// Default bytes of entries kept in memory.
pub const DEFAULT_RECENT_BYTES: usize = 32 * 1024 * 1024;
/// Lines read between two looks at the clock during a scan.
const LINES_PER_CLOCK_CHECK: u32 = 64;

/// One day file's share of an append: its path, the lines, and each entry with its line's
/// offset in the text.
type FileBatch = (PathBuf, String, Vec<(LogEntry, u64)>);

/// A page of a query: the entries found, newest first, and where to continue.
#[derive(Debug, Default)]
pub struct LogPage {
    pub entries: Vec<LogEntry>,
    /// Continue with ids below this; `None` when every entry was looked at.
    pub next_cursor: Option<u64>,
    /// The time budget ran out before the page was full: `next_cursor` continues the scan.
    pub partial: bool,
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
    recent: Recent,
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
            state: Mutex::new(LogState { next_id: last_id + 1, recent: Recent::new(DEFAULT_RECENT_BYTES) }),
        })
    }

    /// Sets the bytes of entries kept in memory.
    pub fn set_recent_max_bytes(&self, max_bytes: usize) {
        self.state.lock().expect("log lock").recent.set_max_bytes(max_bytes);
    }

    pub fn recent_usage(&self) -> RecentUsage {
        self.state.lock().expect("log lock").recent.usage()
    }

    fn day_file(&self, received_at: f64) -> PathBuf {
        segments::path_for(&self.dir, received_at.floor() as i64, DAY_SECS)
    }

    /// Appends entries in order; answers them with their ids, as memory keeps them (big
    /// messages as a prefix, marked `truncated`).
    pub fn append(&self, batch: Vec<NewLogEntry>) -> std::io::Result<Vec<LogEntry>> {
        let mut state = self.state.lock().expect("log lock");
        let mut by_file: Vec<FileBatch> = Vec::new();
        for entry in batch {
            let entry = LogEntry { id: state.next_id, entry };
            state.next_id += 1;
            let path = self.day_file(entry.entry.received_at);
            let line = serde_json::to_string(&entry).expect("log entries serialize");
            match by_file.last_mut() {
                Some((p, text, entries)) if *p == path => {
                    text.push('\n');
                    entries.push((entry, text.len() as u64));
                    text.push_str(&line);
                }
                _ => by_file.push((path, line, vec![(entry, 0)])),
            }
        }
        let mut stored = Vec::new();
        for (path, text, entries) in by_file {
            let start = self.appender.append_at(&path, &text)?;
            for (entry, offset) in entries {
                stored.push(state.recent.push(entry, start + offset));
            }
        }
        Ok(stored)
    }

    /// Up to `limit` entries matching `filter`, newest first: from memory, then from the day
    /// files newest first, reading each backwards and stopping as soon as the page is full or
    /// `budget` is spent (then the page is `partial` and its cursor continues the scan).
    pub fn query(&self, filter: &LogFilter, limit: usize, budget: Duration) -> std::io::Result<LogPage> {
        let deadline = Instant::now() + budget;
        let text = filter.text.as_deref().map(TextQuery::new);
        let text = text.as_ref();
        let mut page = LogPage::default();
        let mut below = filter.before_id.unwrap_or_else(|| self.state.lock().expect("log lock").next_id);
        // Memory, a step at a time: the lock is never held while a big entry is read from disk.
        loop {
            let step =
                self.state.lock().expect("log lock").recent.step(filter, text, below, limit - page.entries.len());
            below = step.lowest_examined.unwrap_or(below);
            for hit in step.hits {
                match hit {
                    Hit::Whole(e) => page.entries.push(e),
                    Hit::Clipped(prefix, offset) => {
                        let whole = self.whole_entry(prefix, offset);
                        if filter.matches(&whole, text) {
                            page.entries.push(whole);
                        }
                    }
                }
            }
            if page.entries.len() >= limit {
                page.next_cursor = page.entries.last().map(|e| e.id);
                return Ok(page);
            }
            if step.exhausted {
                break;
            }
            // Checked after a step that looked at entries, so that every page moves on.
            if Instant::now() >= deadline {
                page.partial = true;
                page.next_cursor = Some(below);
                return Ok(page);
            }
        }
        self.scan_files(filter, text, limit, deadline, below, &mut page)?;
        Ok(page)
    }

    /// The whole entry a memory prefix stands for, read from its day file; the prefix itself
    /// (marked `truncated`) when the file no longer holds it.
    fn whole_entry(&self, prefix: LogEntry, offset: u64) -> LogEntry {
        scan::line_at(&self.day_file(prefix.entry.received_at), offset)
            .ok()
            .and_then(|line| serde_json::from_slice::<LogEntry>(&line).ok())
            .filter(|whole| whole.id == prefix.id)
            .unwrap_or(prefix)
    }

    /// The disk part of [`LogStore::query`]: entries with ids below `below`.
    fn scan_files(
        &self,
        filter: &LogFilter,
        text: Option<&TextQuery>,
        limit: usize,
        deadline: Instant,
        mut below: u64,
        page: &mut LogPage,
    ) -> std::io::Result<()> {
        let to = filter.to.map_or(i64::MAX / 2, |t| t.ceil() as i64);
        let from = filter.from.map_or(i64::MIN / 2, |f| f.floor() as i64);
        let mut lines = 0u32;
        let start_below = below;
        for path in segments::overlapping(&self.dir, from, to, DAY_SECS).into_iter().rev() {
            // The budget is checked once the scan has moved on, so that every page does.
            if below < start_below && Instant::now() >= deadline {
                page.partial = true;
                page.next_cursor = Some(below);
                return Ok(());
            }
            let mut file = match File::open(&path) {
                Ok(file) => file,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue, // gone to retention
                Err(e) => return Err(e),
            };
            let len = file.metadata()?.len();
            let end = scan::end_before_id(&mut file, len, below)?;
            scan::lines_backwards(&mut file, end, |line| {
                lines += 1;
                if lines.is_multiple_of(LINES_PER_CLOCK_CHECK) && below < start_below && Instant::now() >= deadline {
                    page.partial = true;
                    return ControlFlow::Break(());
                }
                // Cheap checks first: the id at the line's start, then the text in the raw bytes.
                let id = scan::line_id(line);
                if id.is_some_and(|id| id >= below) {
                    return ControlFlow::Continue(());
                }
                if let Some(id) = id {
                    below = id;
                }
                if text.is_some_and(|q| !q.may_match_line(line)) {
                    return ControlFlow::Continue(());
                }
                let Ok(e) = serde_json::from_slice::<LogEntry>(line) else { return ControlFlow::Continue(()) };
                if id.is_none() {
                    if e.id >= below {
                        return ControlFlow::Continue(());
                    }
                    below = e.id;
                }
                if filter.matches(&e, text) {
                    page.entries.push(e);
                    if page.entries.len() >= limit {
                        return ControlFlow::Break(());
                    }
                }
                ControlFlow::Continue(())
            })?;
            if page.partial || page.entries.len() >= limit {
                page.next_cursor = Some(below);
                return Ok(());
            }
        }
        Ok(())
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
            source_addr: Some("127.0.0.1:5000".into()),
            ..NewLogEntry::new(at, LogSource::Syslog, Severity::from_code(severity).unwrap(), message.into())
        }
    }

    const BUDGET: Duration = Duration::from_secs(30);

    fn retention() -> LogRetention {
        LogRetention { max_age_secs: 30 * DAY_SECS, max_total_bytes: 1 << 30 }
    }

    #[test]
    fn pages_never_skip_nor_repeat_while_entries_arrive() {
        let dir = tempfile::tempdir().unwrap();
        let log = LogStore::open(dir.path(), retention()).unwrap();
        log.append((0..25).map(|i| entry(1000.0 + f64::from(i), &format!("m{i}"), 6)).collect()).unwrap();
        let mut seen = Vec::new();
        let mut filter = LogFilter { before_id: Some(26), ..LogFilter::default() };
        loop {
            let page = log.query(&filter, 10, BUDGET).unwrap();
            // New entries arrive between pages.
            log.append(vec![entry(2000.0, "late", 6)]).unwrap();
            seen.extend(page.entries.iter().map(|e| e.entry.message.clone()));
            let Some(next) = page.next_cursor else { break };
            filter.before_id = Some(next);
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
        let filter =
            LogFilter { text: Some("link down".into()), min_severity: Some(Severity::Warning), ..Default::default() };
        let found = log.query(&filter, 10, BUDGET).unwrap().entries;
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

    #[test]
    fn big_messages_are_prefixes_in_memory_and_whole_in_answers() {
        let dir = tempfile::tempdir().unwrap();
        let log = LogStore::open(dir.path(), retention()).unwrap();
        log.set_recent_max_bytes(64 * 1024);
        let big = |i: usize| format!("big{i} {}", "z".repeat(50_000));
        let kept = log.append((0..40).map(|i| entry(5000.0, &big(i), 6)).collect()).unwrap();
        assert!(kept.iter().all(|e| e.entry.truncated && e.entry.message.len() <= recent::KEPT_TEXT_BYTES));
        let usage = log.recent_usage();
        assert!(usage.bytes <= 64 * 1024 && usage.evicted > 0, "{usage:?}");
        // The text filter looks past the kept prefix, in memory and on disk alike.
        for i in [39, 0] {
            let filter = LogFilter { text: Some(format!("big{i} zzz")), ..Default::default() };
            let page = log.query(&filter, 5, BUDGET).unwrap();
            assert_eq!(page.entries.len(), 1);
            assert_eq!((page.entries[0].entry.message.clone(), page.entries[0].entry.truncated), (big(i), false));
        }
        let filter = LogFilter { text: Some("zzz".into()), ..Default::default() };
        assert_eq!(log.query(&filter, 100, BUDGET).unwrap().entries.len(), 40);
    }

    #[test]
    fn a_spent_budget_answers_a_cursor_that_continues_the_scan() {
        let dir = tempfile::tempdir().unwrap();
        let log = LogStore::open(dir.path(), retention()).unwrap();
        log.set_recent_max_bytes(4096);
        for day in 0..3 {
            log.append((0..2000).map(|i| entry((day * DAY_SECS + i) as f64, &format!("d{day} n{i}"), 6)).collect())
                .unwrap();
        }
        let mut filter = LogFilter { text: Some("n7".into()), ..Default::default() };
        let page = log.query(&filter, 1000, Duration::ZERO).unwrap();
        assert!(page.partial && page.next_cursor.is_some(), "{page:?}");
        // Page after page, each with no time at all, still reaches the end, once each.
        let mut found = page.entries.len();
        filter.before_id = page.next_cursor;
        for _ in 0..100_000 {
            let page = log.query(&filter, 1000, Duration::ZERO).unwrap();
            found += page.entries.len();
            match page.next_cursor {
                Some(next) => {
                    assert!(next < filter.before_id.unwrap(), "every page moves on");
                    filter.before_id = Some(next);
                }
                None => break,
            }
        }
        assert_eq!(found, 3 * 111, "n7, n70-n79, n700-n799 on each day");
    }

    #[test]
    fn a_cursor_far_below_memory_reads_little() {
        let dir = tempfile::tempdir().unwrap();
        let log = LogStore::open(dir.path(), retention()).unwrap();
        log.set_recent_max_bytes(4096);
        log.append((0..50_000).map(|i| entry(100.0 + i as f64 / 1000.0, &format!("n{i}"), 6)).collect()).unwrap();
        let filter = LogFilter { before_id: Some(43), ..Default::default() };
        let page = log.query(&filter, 1, BUDGET).unwrap();
        assert_eq!((page.entries[0].id, page.next_cursor, page.partial), (42, Some(42), false));
    }
}
