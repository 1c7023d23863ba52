//! Device logs on the wire.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::store::logs::{LogEntry, LogSource};

/// Where a log entry came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(example = "syslog")]
pub enum LogSourceView {
    Syslog,
    Trap,
    Event,
    Audit,
}

impl From<LogSourceView> for LogSource {
    fn from(s: LogSourceView) -> Self {
        match s {
            LogSourceView::Syslog => LogSource::Syslog,
            LogSourceView::Trap => LogSource::Trap,
            LogSourceView::Event => LogSource::Event,
            LogSourceView::Audit => LogSource::Audit,
        }
    }
}

impl From<LogSource> for LogSourceView {
    fn from(s: LogSource) -> Self {
        match s {
            LogSource::Syslog => LogSourceView::Syslog,
            LogSource::Trap => LogSourceView::Trap,
            LogSource::Event => LogSourceView::Event,
            LogSource::Audit => LogSourceView::Audit,
        }
    }
}

/// Filters of a log query; all optional.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogsQuery {
    /// Only this device's entries (on `/logs`; `/devices/{id}/logs` names the device in its
    /// path and refuses this parameter).
    #[param(example = "3f9a2c1b")]
    pub device_id: Option<String>,
    /// Only entries from this source.
    #[param(inline)]
    pub source: Option<LogSourceView>,
    /// Only entries at least this severe (syslog scale: 0 emergency … 7 debug; 4 keeps
    /// warnings and worse).
    #[param(example = 4, minimum = 0, maximum = 7)]
    pub min_severity: Option<u8>,
    /// Case-insensitive substring of the message, app name or host name.
    #[param(example = "link")]
    pub q: Option<String>,
    /// Received at or after, Unix seconds.
    #[param(example = 1764071460, minimum = 0, maximum = 17179869184_i64)]
    pub from: Option<f64>,
    /// Received at or before, Unix seconds.
    #[param(example = 1764075060, minimum = 0, maximum = 17179869184_i64)]
    pub to: Option<f64>,
    /// Entries per page (1 to 1000); default 100.
    #[param(example = 100, minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
    /// The `nextCursor` of the previous page: continue with older entries.
    #[param(example = 1234, minimum = 0, maximum = 9223372036854775807_i64)]
    pub cursor: Option<u64>,
}

/// A named value of an entry: a syslog structured-data parameter (`sdId.name`) or a trap
/// variable binding (its OID).
#[derive(Debug, Serialize, ToSchema)]
pub struct LogFieldView {
    /// Parameter name or OID.
    #[schema(example = "1.3.6.1.2.1.2.2.1.1.2")]
    pub name: String,
    /// Value as text.
    #[schema(example = "2")]
    pub value: String,
}

/// One log entry: a syslog message, an SNMP trap, or one of Vigie's own events.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogEntryView {
    /// Grows with every entry; the cursor of pagination.
    #[schema(example = 1234)]
    pub id: u64,
    /// When Vigie received it, Unix seconds (ms precision).
    #[schema(example = 1764075060.125)]
    pub received_at: f64,
    /// The device's own time, where the message carried one.
    #[schema(example = 1764075060.0)]
    pub timestamp: Option<f64>,
    pub source: LogSourceView,
    /// The device whose address sent it; null when unattributed.
    #[schema(example = "3f9a2c1b")]
    pub device_id: Option<String>,
    /// `ip:port` it came from; null for Vigie's own events.
    #[schema(example = "192.0.2.1:49152")]
    pub source_addr: Option<String>,
    /// 0 emergency, 1 alert, 2 critical, 3 error, 4 warning, 5 notice, 6 info, 7 debug.
    #[schema(example = 3)]
    pub severity: u8,
    /// Syslog facility (kern, user, local7…).
    #[schema(example = "local7")]
    pub facility: Option<String>,
    /// Syslog APP-NAME / tag; `snmptrap` for traps, `vigie` for events.
    #[schema(example = "sshd")]
    pub app_name: Option<String>,
    /// Host name in the message.
    #[schema(example = "core-sw1")]
    pub hostname: Option<String>,
    /// The message.
    #[schema(example = "linkDown: interface eth1 (ifIndex 2)")]
    pub message: String,
    /// The message was cut: it was over 64 KiB when received. In the live stream (`/events`),
    /// also when it is over 2 KiB: the whole message is in `/logs`.
    #[schema(example = false)]
    pub truncated: bool,
    /// Structured data or variable bindings.
    pub fields: Vec<LogFieldView>,
}

impl From<LogEntry> for LogEntryView {
    fn from(e: LogEntry) -> Self {
        let n = e.entry;
        LogEntryView {
            id: e.id,
            received_at: n.received_at,
            timestamp: n.timestamp,
            source: n.source.into(),
            device_id: n.device_id.map(|d| d.0),
            source_addr: n.source_addr,
            severity: n.severity.code(),
            facility: n.facility,
            app_name: n.app_name,
            hostname: n.hostname,
            message: n.message,
            truncated: n.truncated,
            fields: n.fields.into_iter().map(|f| LogFieldView { name: f.name, value: f.value }).collect(),
        }
    }
}

/// A page of log entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogPageView {
    pub entries: Vec<LogEntryView>,
    /// Pass as `cursor` for the next (older) page; null when every older entry was looked at.
    #[schema(example = 1134)]
    pub next_cursor: Option<u64>,
    /// The query spent its time budget before the page was full: `entries` holds what was
    /// found so far (maybe none) and `nextCursor` continues the search where it stopped.
    #[schema(example = false)]
    pub partial: bool,
}
