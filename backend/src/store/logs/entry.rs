//! What a log entry is (severity, source, fields), what it costs in memory, and which entries a
//! query wants. Pure data: no disk, no locks.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::device::DeviceId;

/// Syslog severity (RFC 5424 §6.2.1), most severe first. Stored and served as its number
/// (0 emergency … 7 debug), as syslog writes it; traps and Vigie's events are mapped onto it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Emergency = 0,
    Alert = 1,
    Critical = 2,
    Error = 3,
    Warning = 4,
    Notice = 5,
    Informational = 6,
    Debug = 7,
}

impl Severity {
    const ALL: [Severity; 8] = [
        Severity::Emergency,
        Severity::Alert,
        Severity::Critical,
        Severity::Error,
        Severity::Warning,
        Severity::Notice,
        Severity::Informational,
        Severity::Debug,
    ];

    /// The syslog number: 0 (emergency) to 7 (debug).
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The severity of a syslog number; `None` past 7.
    pub fn from_code(code: u8) -> Option<Severity> {
        Severity::ALL.get(usize::from(code)).copied()
    }
}

impl Serialize for Severity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for Severity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = u8::deserialize(deserializer)?;
        Severity::from_code(code).ok_or_else(|| serde::de::Error::custom(format!("severity {code} is not 0 to 7")))
    }
}

/// Where an entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogSource {
    Syslog,
    Trap,
    Event,
    /// Who did what: logins, user, token and device changes (never a password or token).
    Audit,
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
    pub severity: Severity,
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

impl NewLogEntry {
    /// An entry with only what every entry has; the optional fields are empty.
    pub fn new(received_at: f64, source: LogSource, severity: Severity, message: String) -> NewLogEntry {
        NewLogEntry {
            received_at,
            timestamp: None,
            source,
            device_id: None,
            source_addr: None,
            severity,
            facility: None,
            app_name: None,
            hostname: None,
            message,
            truncated: false,
            fields: Vec::new(),
        }
    }

    /// Bytes this entry holds in memory: the struct and its text (an estimate that never
    /// undercounts the text, which is what a hostile sender controls).
    pub fn memory_bytes(&self) -> usize {
        let text = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        std::mem::size_of::<LogEntry>()
            + self.message.len()
            + self.device_id.as_ref().map_or(0, |d| d.0.len())
            + text(&self.source_addr)
            + text(&self.facility)
            + text(&self.app_name)
            + text(&self.hostname)
            + self.fields.iter().map(|f| std::mem::size_of::<LogField>() + f.name.len() + f.value.len()).sum::<usize>()
    }

    /// Keeps at most `max_bytes` of text (message first, then whole fields); answers whether
    /// anything was cut.
    pub fn clip(&mut self, max_bytes: usize) -> bool {
        let mut cut = cut_at_char(&mut self.message, max_bytes);
        let mut left = max_bytes.saturating_sub(self.message.len());
        let before = self.fields.len();
        self.fields.retain(|f| {
            let size = f.name.len() + f.value.len();
            let keep = size <= left;
            left = if keep { left - size } else { 0 };
            keep
        });
        cut |= self.fields.len() != before;
        for text in
            [&mut self.hostname, &mut self.app_name, &mut self.facility, &mut self.source_addr].into_iter().flatten()
        {
            cut |= cut_at_char(text, 255);
        }
        cut
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary; answers whether it cut.
pub fn cut_at_char(text: &mut String, max: usize) -> bool {
    if text.len() <= max {
        return false;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    true
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
    /// Keep entries at least this severe.
    pub min_severity: Option<Severity>,
    /// Case-insensitive substring of the message (or app name, or host name).
    pub text: Option<String>,
    pub from: Option<f64>,
    pub to: Option<f64>,
    /// Only entries with an id below this (the previous page's `nextCursor`).
    pub before_id: Option<u64>,
}

impl LogFilter {
    /// Every condition but the text.
    pub fn matches_except_text(&self, e: &LogEntry) -> bool {
        let n = &e.entry;
        self.before_id.is_none_or(|c| e.id < c)
            && self.device_id.as_ref().is_none_or(|d| n.device_id.as_ref() == Some(d))
            && self.source.is_none_or(|s| n.source == s)
            && self.min_severity.is_none_or(|s| n.severity <= s)
            && self.from.is_none_or(|f| n.received_at >= f)
            && self.to.is_none_or(|t| n.received_at <= t)
    }

    pub fn matches(&self, e: &LogEntry, text: Option<&TextQuery>) -> bool {
        self.matches_except_text(e) && text.is_none_or(|q| q.matches(&e.entry))
    }
}

/// The `q` of a query, prepared once: a case-insensitive substring.
#[derive(Clone, Debug)]
pub struct TextQuery {
    lowered: String,
}

impl TextQuery {
    pub fn new(text: &str) -> TextQuery {
        TextQuery { lowered: text.to_lowercase() }
    }

    fn matches(&self, n: &NewLogEntry) -> bool {
        self.found_in(&n.message)
            || n.app_name.as_deref().is_some_and(|a| self.found_in(a))
            || n.hostname.as_deref().is_some_and(|h| self.found_in(h))
    }

    /// Whether the text holds the query, ignoring case; ASCII queries compare without
    /// allocating.
    fn found_in(&self, haystack: &str) -> bool {
        if self.lowered.is_ascii() {
            contains_ascii_nocase(haystack.as_bytes(), self.lowered.as_bytes())
        } else {
            haystack.to_lowercase().contains(&self.lowered)
        }
    }

    /// Whether a stored line may hold a match, from its raw bytes: false only when it surely
    /// does not. Holds for ASCII queries without characters JSON escapes (`"`, `\`, controls):
    /// those appear in the line as typed.
    pub fn may_match_line(&self, line: &[u8]) -> bool {
        let q = self.lowered.as_bytes();
        let plain = self.lowered.is_ascii() && !q.iter().any(|&b| b == b'"' || b == b'\\' || b < 0x20);
        !plain || contains_ascii_nocase(line, q)
    }
}

/// Whether `haystack` contains `lowered` (already lower case), ASCII letters compared without case.
fn contains_ascii_nocase(haystack: &[u8], lowered: &[u8]) -> bool {
    let Some((&first, rest)) = lowered.split_first() else { return true };
    let upper = first.to_ascii_uppercase();
    let mut from = 0;
    while let Some(at) = memchr::memchr2(first, upper, &haystack[from..]) {
        let start = from + at;
        let candidate = &haystack[start + 1..];
        if candidate.len() >= rest.len() && candidate[..rest.len()].eq_ignore_ascii_case(rest) {
            return true;
        }
        from = start + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_are_their_syslog_numbers_on_the_wire() {
        assert_eq!(serde_json::to_string(&Severity::Warning).unwrap(), "4");
        assert_eq!(serde_json::from_str::<Severity>("7").unwrap(), Severity::Debug);
        assert!(serde_json::from_str::<Severity>("8").is_err());
        assert!(Severity::Emergency < Severity::Debug, "more severe sorts first");
        assert_eq!(Severity::from_code(3), Some(Severity::Error));
    }

    #[test]
    fn text_queries_ignore_case_and_the_raw_prefilter_never_misses() {
        let q = TextQuery::new("Link DOWN");
        assert!(q.found_in("eth1: link down now"));
        assert!(!q.found_in("link dow"));
        assert!(q.may_match_line(br#"{"id":1,"message":"LINK down"}"#));
        assert!(!q.may_match_line(br#"{"id":1,"message":"link up"}"#));
        // Characters JSON escapes cannot be prefiltered: every line may match.
        assert!(TextQuery::new("a\"b").may_match_line(b"{}"));
        assert!(TextQuery::new("\u{e9}t\u{e9}").found_in("\u{c9}T\u{c9}"));
    }

    #[test]
    fn clipping_keeps_a_prefix_on_a_character_boundary() {
        let mut e = NewLogEntry {
            fields: vec![LogField { name: "a".into(), value: "b".repeat(500) }],
            ..NewLogEntry::new(0.0, LogSource::Syslog, Severity::Notice, "\u{e9}".repeat(1000))
        };
        let before = e.memory_bytes();
        assert!(e.clip(101));
        assert_eq!(e.message.len(), 100);
        assert!(e.fields.is_empty());
        assert!(e.memory_bytes() < before);
        assert!(!e.clip(101), "clipping twice cuts nothing more");
    }
}
