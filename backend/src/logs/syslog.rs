//! Syslog parsing: RFC 5424 and RFC 3164 (through syslog_loose), and lines without a PRI as
//! devices really send them (`%LINK-3-UPDOWN: ...`), which are kept, not dropped.

use syslog_loose::{parse_message, Variant};

use crate::store::logs::{LogField, LogSource, NewLogEntry, Severity};

/// Severity given to a message without a PRI: notice, as RFC 3164 §4.3.3 suggests for a relay.
const DEFAULT_SEVERITY: Severity = Severity::Notice;

/// Parses one syslog message (one datagram, or one TCP frame).
pub fn parse(bytes: &[u8], received_at: f64, source_addr: String) -> NewLogEntry {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_end_matches(['\r', '\n', '\0']);
    let mut message = parse_message(text, Variant::Either);
    // Without a PRI, syslog_loose still guesses fields from free text; keep the line whole.
    let has_pri = text.starts_with('<');
    if !has_pri {
        message.msg = text;
        message.hostname = None;
        message.appname = None;
        message.timestamp = None;
        message.structured_data.clear();
    }
    let fields = message
        .structured_data
        .iter()
        .flat_map(|element| {
            element.params.iter().map(move |(name, value)| LogField {
                name: format!("{}.{}", element.id, name),
                value: value.to_string(),
            })
        })
        .collect();
    let mut text_message = message.msg.to_string();
    let truncated = super::cut(&mut text_message);
    NewLogEntry {
        received_at,
        timestamp: message.timestamp.map(|t| t.timestamp_millis() as f64 / 1000.0),
        source: LogSource::Syslog,
        device_id: None,
        source_addr: Some(source_addr),
        severity: message.severity.and_then(|s| Severity::from_code(s as u8)).unwrap_or(DEFAULT_SEVERITY),
        facility: message.facility.map(|f| f.as_str().to_string()),
        app_name: message.appname.map(str::to_string),
        hostname: message.hostname.map(str::to_string),
        message: text_message,
        truncated,
        fields,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> NewLogEntry {
        parse(text.as_bytes(), 1_795_611_861.0, "192.0.2.7:514".into())
    }

    #[test]
    fn rfc5424_as_logger_sends_it() {
        let e = parsed(
            r#"<13>1 2026-11-25T13:44:01.123456+00:00 sw1 app 123 - [timeQuality tzKnown="1" isSynced="0"] Link up"#,
        );
        assert_eq!((e.severity, e.facility.as_deref()), (Severity::Notice, Some("user")));
        assert_eq!(e.hostname.as_deref(), Some("sw1"));
        assert_eq!(e.app_name.as_deref(), Some("app"));
        assert_eq!(e.message, "Link up");
        assert_eq!(e.timestamp, Some(1_795_614_241.123));
        assert_eq!(e.fields[0], LogField { name: "timeQuality.tzKnown".into(), value: "1".into() });
    }

    #[test]
    fn rfc3164_with_a_padded_day() {
        let e = parsed("<187>Nov  5 10:00:01 core-sw1 sshd[42]: Failed password for root");
        assert_eq!((e.severity, e.facility.as_deref()), (Severity::Error, Some("local7")));
        assert_eq!(e.hostname.as_deref(), Some("core-sw1"));
        assert_eq!(e.app_name.as_deref(), Some("sshd"));
        assert_eq!(e.message, "Failed password for root");
        assert!(e.timestamp.is_some());
    }

    #[test]
    fn a_line_without_pri_is_kept_whole() {
        let line = "%LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down";
        let e = parsed(line);
        assert_eq!(e.message, line);
        assert_eq!(e.severity, DEFAULT_SEVERITY);
        assert_eq!(e.hostname, None);
    }

    #[test]
    fn garbage_and_huge_messages_never_panic() {
        for bytes in [&b""[..], b"<", b"<999>", b"<13>1 \xff\xfe", b"\0\0\0", b"<13>1 - - - - - ["] {
            let _ = parse(bytes, 0.0, "x".into());
        }
        let huge = format!("<13>{}", "é".repeat(40_000));
        let e = parsed(&huge);
        assert!(e.truncated && e.message.len() <= crate::logs::MAX_MESSAGE_BYTES);
    }
}
