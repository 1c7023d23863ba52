//! What a supervised device is: its identity, how to reach it, and its health as Vigie sees it.
//! Validation rules live here, once, for the API and the config alike.

mod credentials;
mod state;

use std::net::IpAddr;

use crate::snmp::Credentials;

pub use credentials::{MAX_CONTEXT_LEN, MAX_PASSWORD_LEN, MAX_USER_LEN, MIN_PASSWORD_LEN};
pub use state::{decide, DeviceState, DeviceStatus, Echo, EchoStatus, UnreachableParent, Verdict};

/// A stable, server-assigned device id (8 hex digits).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct DeviceId(pub String);

impl DeviceId {
    pub fn random() -> DeviceId {
        DeviceId(format!("{:08x}", rand::random::<u32>()))
    }

    /// Whether `text` can be an id at all; also keeps ids safe as directory names.
    pub fn parse(text: &str) -> Option<DeviceId> {
        (text.len() == 8 && text.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
            .then(|| DeviceId(text.to_string()))
    }
}

impl std::fmt::Display for DeviceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub const DEFAULT_PORT: u16 = 161;
pub const DEFAULT_POLL_INTERVAL_SECS: u32 = 60;
pub const DEFAULT_TIMEOUT_MS: u32 = 1000;
pub const DEFAULT_RETRIES: u32 = 1;
const MAX_POLL_INTERVAL_SECS: u32 = 86_400;
const MAX_TIMEOUT_MS: u32 = 60_000;
const MAX_RETRIES: u32 = 10;
const MAX_NAME_LEN: usize = 200;
pub const DEFAULT_PING_INTERVAL_SECS: u32 = 30;
/// A ping interval is 0 (off) or between these.
const MIN_PING_INTERVAL_SECS: u32 = 2;
const MAX_PING_INTERVAL_SECS: u32 = 3_600;
pub const MAX_TAGS: usize = 16;
pub const MAX_TAG_LEN: usize = 32;

/// How to reach and poll a device.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceConfig {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub credentials: Credentials,
    pub poll_interval_secs: u32,
    pub timeout_ms: u32,
    pub retries: u32,
    /// Seconds between two rounds of echo requests; 0: not pinged.
    pub ping_interval_secs: u32,
    /// The device this one is reached through: when it is unreachable, so is this one.
    pub parent_id: Option<DeviceId>,
    /// Short labels (alert scopes, filters), sorted and unique.
    pub tags: Vec<String>,
}

impl DeviceConfig {
    /// An SNMPv2c device polled with the defaults (every 60 s, 1,000 ms timeout, 1 retry).
    pub fn v2c(name: &str, host: &str, port: u16, community: &str) -> DeviceConfig {
        DeviceConfig {
            name: name.into(),
            host: host.into(),
            port,
            credentials: Credentials::V2c { community: community.into() },
            poll_interval_secs: DEFAULT_POLL_INTERVAL_SECS,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            retries: DEFAULT_RETRIES,
            ping_interval_secs: DEFAULT_PING_INTERVAL_SECS,
            parent_id: None,
            tags: Vec::new(),
        }
    }
}

/// A device as stored: config plus identity.
#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    pub id: DeviceId,
    pub created_at: i64,
    pub config: DeviceConfig,
}

/// A rule a device field breaks. `field` is the JSON path the API user wrote, e.g. `snmp.community`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InvalidField {
    pub field: &'static str,
    pub reason: String,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> InvalidField {
    InvalidField { field, reason: reason.into() }
}

impl DeviceConfig {
    /// Checks every rule; the first broken one is reported, naming its field.
    pub fn validate(&self) -> Result<(), InvalidField> {
        // The host first: a name left out defaults to the host, so an empty host is the fault.
        validate_host(&self.host)?;
        if self.name.trim().is_empty() {
            return Err(invalid("name", "must not be empty"));
        }
        if self.name.chars().count() > MAX_NAME_LEN {
            return Err(invalid("name", format!("must be at most {MAX_NAME_LEN} characters")));
        }
        free_text("name", &self.name)?;
        if self.port == 0 {
            return Err(invalid("port", "must be between 1 and 65535"));
        }
        credentials::validate(&self.credentials)?;
        if !(1..=MAX_POLL_INTERVAL_SECS).contains(&self.poll_interval_secs) {
            return Err(invalid("pollIntervalSecs", format!("must be between 1 and {MAX_POLL_INTERVAL_SECS}")));
        }
        if !(10..=MAX_TIMEOUT_MS).contains(&self.timeout_ms) {
            return Err(invalid("timeoutMs", format!("must be between 10 and {MAX_TIMEOUT_MS}")));
        }
        if self.retries > MAX_RETRIES {
            return Err(invalid("retries", format!("must be between 0 and {MAX_RETRIES}")));
        }
        let ping = self.ping_interval_secs;
        if ping != 0 && !(MIN_PING_INTERVAL_SECS..=MAX_PING_INTERVAL_SECS).contains(&ping) {
            return Err(invalid(
                "pingIntervalSecs",
                format!("must be 0 (off) or between {MIN_PING_INTERVAL_SECS} and {MAX_PING_INTERVAL_SECS}"),
            ));
        }
        validate_tags(&self.tags)
    }

    /// How long one poll may go unanswered before the device counts as down.
    pub fn answer_deadline_ms(&self) -> u64 {
        u64::from(self.timeout_ms) * (u64::from(self.retries) + 1)
    }
}

/// Free text shown in the UI and written to logs: no control characters (newlines, NUL,
/// terminal escapes) and no invisible bidirectional or zero-width controls.
pub fn free_text(field: &'static str, text: &str) -> Result<(), InvalidField> {
    match text.chars().find(|&c| c.is_control() || is_invisible_format(c)) {
        Some(c) => Err(invalid(field, format!("must not contain control characters (found U+{:04X})", c as u32))),
        None => Ok(()),
    }
}

/// Zero-width and bidirectional controls: invisible, yet they change how text reads.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Tags: at most [`MAX_TAGS`], each 1 to [`MAX_TAG_LEN`] characters among letters, digits and
/// `-_.:/`, no duplicates (they name alert scopes and filters, and appear in URLs).
fn validate_tags(tags: &[String]) -> Result<(), InvalidField> {
    if tags.len() > MAX_TAGS {
        return Err(invalid("tags", format!("at most {MAX_TAGS} tags")));
    }
    for tag in tags {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "-_.:/".contains(c);
        if tag.is_empty() || tag.chars().count() > MAX_TAG_LEN || !tag.chars().all(allowed) {
            return Err(invalid(
                "tags",
                format!("'{}' must be 1 to {MAX_TAG_LEN} letters, digits or -_.:/", tag.escape_debug()),
            ));
        }
    }
    let mut sorted: Vec<&String> = tags.iter().collect();
    sorted.sort();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(invalid("tags", "must not repeat a tag"));
    }
    Ok(())
}

/// An IP literal (v4 or v6) or a DNS name (RFC 1123 labels).
fn validate_host(host: &str) -> Result<(), InvalidField> {
    if host.is_empty() {
        return Err(invalid("host", "must not be empty"));
    }
    if host.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let all_numeric = name.split('.').all(|l| l.bytes().all(|b| b.is_ascii_digit()));
    if name.len() > 253 || all_numeric || !name.split('.').all(label_ok) {
        return Err(invalid("host", format!("'{host}' is neither an IP address nor a valid DNS name")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> DeviceConfig {
        DeviceConfig {
            name: "core-sw1".into(),
            host: "192.0.2.1".into(),
            port: 161,
            credentials: Credentials::V2c { community: "public".into() },
            poll_interval_secs: 60,
            timeout_ms: 1000,
            retries: 1,
            ping_interval_secs: 30,
            parent_id: None,
            tags: vec!["core".into()],
        }
    }

    #[test]
    fn hosts_are_ip_literals_or_dns_names() {
        for good in ["192.0.2.1", "2001:db8::1", "core-sw1", "sw1.example.net", "sw1.example.net."] {
            let c = DeviceConfig { host: good.into(), ..config() };
            assert_eq!(c.validate(), Ok(()), "{good}");
        }
        for bad in ["", "bad host", "-sw", "300.1.2.3", "sw_1.example", "a..b"] {
            let c = DeviceConfig { host: bad.into(), ..config() };
            assert_eq!(c.validate().unwrap_err().field, "host", "{bad}");
        }
    }

    #[test]
    fn each_rule_names_its_field() {
        let cases: Vec<(DeviceConfig, &str)> = vec![
            (DeviceConfig { name: " ".into(), ..config() }, "name"),
            (DeviceConfig { name: "a\u{0}b".into(), ..config() }, "name"),
            (DeviceConfig { name: "core\nsw1".into(), ..config() }, "name"),
            (DeviceConfig { name: "sw\u{1b}[2J".into(), ..config() }, "name"),
            (DeviceConfig { name: "sw\u{202e}1".into(), ..config() }, "name"),
            (DeviceConfig { port: 0, ..config() }, "port"),
            (DeviceConfig { credentials: Credentials::V2c { community: "".into() }, ..config() }, "snmp.community"),
            (DeviceConfig { poll_interval_secs: 0, ..config() }, "pollIntervalSecs"),
            (DeviceConfig { timeout_ms: 0, ..config() }, "timeoutMs"),
            (DeviceConfig { retries: 99, ..config() }, "retries"),
            (DeviceConfig { ping_interval_secs: 1, ..config() }, "pingIntervalSecs"),
            (DeviceConfig { ping_interval_secs: 86_400, ..config() }, "pingIntervalSecs"),
            (DeviceConfig { tags: vec!["".into()], ..config() }, "tags"),
            (DeviceConfig { tags: vec!["a b".into()], ..config() }, "tags"),
            (DeviceConfig { tags: vec!["x".into(), "x".into()], ..config() }, "tags"),
            (DeviceConfig { tags: vec!["t".repeat(33)], ..config() }, "tags"),
            (DeviceConfig { tags: (0..17).map(|i| i.to_string()).collect(), ..config() }, "tags"),
        ];
        for (c, field) in cases {
            assert_eq!(c.validate().unwrap_err().field, field);
        }
    }

    #[test]
    fn ids_are_eight_lowercase_hex_digits() {
        assert!(DeviceId::parse(&DeviceId::random().0).is_some());
        assert!(DeviceId::parse("../etc/x").is_none());
        assert!(DeviceId::parse("ABCDEF01").is_none());
    }
}
