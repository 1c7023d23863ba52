//! Each device's state history, `devices/<id>/states.jsonl`: one line per change of state
//! (`{"at":1764075000,"state":"unreachable"}`), appended when the state changes, and the
//! availability figures computed from it.
//!
//! Time in `unknown` is excluded from availability: Vigie appends `unknown` when it stops, so
//! the time it was not running counts for nothing either way. The file is compacted when it
//! grows past [`COMPACT_AFTER_LINES`]: lines older than a year (the longest window) are folded
//! into one line at the window's start, and repeated states are merged.

use std::path::Path;

use super::files;
use crate::device::DeviceState;

/// Compaction rewrites the file once it holds more lines than this.
pub const COMPACT_AFTER_LINES: usize = 20_000;
/// The longest availability window, and what compaction keeps.
pub const YEAR_SECS: i64 = 365 * 86_400;

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Transition {
    pub at: i64,
    pub state: DeviceState,
}

/// Percentages of time up over the last day, week, 30 days and 365 days; `None` for a window
/// with no known time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Availability {
    pub day: Option<f64>,
    pub week: Option<f64>,
    pub month: Option<f64>,
    pub year: Option<f64>,
}

/// Availability at `now` from `history` (ordered by time): up time / (up + snmp_down +
/// unreachable time) within each window, unknown time left out.
pub fn availability(history: &[Transition], now: i64) -> Availability {
    let window = |secs: i64| percent_up(history, now - secs, now);
    Availability { day: window(86_400), week: window(7 * 86_400), month: window(30 * 86_400), year: window(YEAR_SECS) }
}

fn percent_up(history: &[Transition], from: i64, to: i64) -> Option<f64> {
    let (mut up, mut known) = (0i64, 0i64);
    for (i, t) in history.iter().enumerate() {
        let end = history.get(i + 1).map_or(to, |next| next.at).min(to);
        let start = t.at.max(from);
        if end <= start {
            continue;
        }
        match t.state {
            DeviceState::Up => {
                up += end - start;
                known += end - start;
            }
            DeviceState::SnmpDown | DeviceState::Unreachable => known += end - start,
            DeviceState::Unknown => {}
        }
    }
    (known > 0).then(|| 100.0 * up as f64 / known as f64)
}

/// The history in `path`, ordered as written (torn or corrupt lines skipped).
pub fn read(path: &Path) -> std::io::Result<Vec<Transition>> {
    let mut history = Vec::new();
    files::read_lines(path, |t: Transition| history.push(t))?;
    Ok(history)
}

/// `history` folded for a rewrite: what ended before `now - YEAR_SECS` is one line at that
/// time, and a line repeating the state before it is dropped.
pub fn compacted(history: &[Transition], now: i64) -> Vec<Transition> {
    let horizon = now - YEAR_SECS;
    let mut out: Vec<Transition> = Vec::new();
    for (i, t) in history.iter().enumerate() {
        let ends = history.get(i + 1).map(|n| n.at);
        if ends.is_some_and(|end| end <= horizon) {
            continue;
        }
        let t = Transition { at: t.at.max(horizon), state: t.state };
        if out.last().map(|l| l.state) != Some(t.state) {
            out.push(t);
        }
    }
    out
}

/// Transitions a device's history keeps in memory, at most (16 bytes each).
pub const MEMORY_LINES: usize = 1024;

/// A device's state history in memory, so that availability is computed without reading its
/// file: the last year's transitions, repeats merged, at most [`MEMORY_LINES`]. A device that
/// changed state more often than that within a year is read from its file instead (`None`)
/// until the next start.
#[derive(Debug, Default)]
pub struct History {
    kept: Option<Vec<Transition>>,
}

impl History {
    /// The history of `path` as of `now` (an unreadable file: nothing kept, read again when asked).
    pub fn load(path: &Path, now: i64) -> History {
        match read(path) {
            Ok(lines) => History::from_lines(&lines, now),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => History { kept: Some(Vec::new()) },
            Err(_) => History { kept: None },
        }
    }

    fn from_lines(lines: &[Transition], now: i64) -> History {
        let kept = compacted(lines, now);
        History { kept: (kept.len() <= MEMORY_LINES).then_some(kept) }
    }

    /// Adds a transition written to the file.
    pub fn push(&mut self, t: Transition) {
        let Some(kept) = &mut self.kept else { return };
        if kept.last().map(|l| l.state) == Some(t.state) {
            return;
        }
        kept.push(t);
        if kept.len() > MEMORY_LINES {
            *self = History::from_lines(kept, t.at);
        }
    }

    /// Availability at `now`, or None when the history is too long to be kept in memory.
    pub fn availability(&self, now: i64) -> Option<Availability> {
        self.kept.as_ref().map(|kept| availability(kept, now))
    }
}

pub fn line(t: &Transition) -> String {
    serde_json::to_string(t).expect("a transition serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn t(at: i64, state: DeviceState) -> Transition {
        Transition { at, state }
    }

    #[test]
    fn availability_counts_known_time_only() {
        let now = 100 * DAY;
        // Up for the last day but 6 hours unreachable and 6 hours stopped (unknown).
        let history = vec![
            t(now - 10 * DAY, DeviceState::Up),
            t(now - 18 * 3600, DeviceState::Unreachable),
            t(now - 12 * 3600, DeviceState::Unknown),
            t(now - 6 * 3600, DeviceState::Up),
        ];
        let a = availability(&history, now);
        // Day: 6 h up + 6 h up, 6 h unreachable, 6 h unknown left out: 12 / 18.
        assert!((a.day.unwrap() - 100.0 * 12.0 / 18.0).abs() < 1e-9, "{a:?}");
        // Week: 7 days minus 6 h unknown, of which 6 h unreachable.
        let known = (7 * DAY - 6 * 3600) as f64;
        assert!((a.week.unwrap() - 100.0 * (known - 6.0 * 3600.0) / known).abs() < 1e-9);
        // The history starts 10 days ago: the month and year windows count from there.
        assert_eq!(a.month, a.year);
        assert_eq!(availability(&[], now), Availability::default());
        assert_eq!(availability(&[t(now - DAY, DeviceState::Unknown)], now).day, None);
        assert_eq!(availability(&[t(now - DAY, DeviceState::SnmpDown)], now).day, Some(0.0));
    }

    #[test]
    fn the_history_in_memory_agrees_with_the_file_and_gives_up_past_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("states.jsonl");
        let now = 1000 * DAY;
        let lines = [t(now - 500 * DAY, DeviceState::Up), t(now - 3 * DAY, DeviceState::Unreachable)];
        std::fs::write(&path, lines.iter().map(|l| line(l) + "\n").collect::<String>()).unwrap();
        let mut history = History::load(&path, now);
        assert_eq!(history.availability(now), Some(availability(&lines, now)));
        history.push(t(now - DAY, DeviceState::Up));
        history.push(t(now - DAY / 2, DeviceState::Up)); // a repeat changes nothing
        let all = [lines[0], lines[1], t(now - DAY, DeviceState::Up)];
        assert_eq!(history.availability(now), Some(availability(&all, now)));
        assert_eq!(History::load(&dir.path().join("none"), now).availability(now), Some(Availability::default()));
        // A device flapping past the bound within the year: no longer kept.
        for i in 0..MEMORY_LINES as i64 {
            let state = if i % 2 == 0 { DeviceState::SnmpDown } else { DeviceState::Up };
            history.push(t(now - DAY / 4 + i, state));
        }
        assert_eq!(history.availability(now), None);
    }

    #[test]
    fn compaction_keeps_the_year_and_merges_repeats() {
        let now = 1000 * DAY;
        let history = vec![
            t(now - 500 * DAY, DeviceState::Up),
            t(now - 400 * DAY, DeviceState::Unreachable),
            t(now - 300 * DAY, DeviceState::Up),
            t(now - 200 * DAY, DeviceState::Up),
            t(now - DAY, DeviceState::SnmpDown),
        ];
        let kept = compacted(&history, now);
        assert_eq!(
            kept,
            vec![
                t(now - YEAR_SECS, DeviceState::Unreachable),
                t(now - 300 * DAY, DeviceState::Up),
                t(now - DAY, DeviceState::SnmpDown)
            ]
        );
        assert_eq!(availability(&kept, now), availability(&history, now));
    }
}
