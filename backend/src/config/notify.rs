//! `[notify]`: how notifications are delivered and retried, how much may wait, and where
//! command channels' programs may live.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::notify::{NotifySettings, RetryPolicy};

/// `[notify]` in the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySection {
    pub retry_hours: Option<i64>,
    pub retry_first_secs: Option<i64>,
    pub retry_max_secs: Option<i64>,
    pub outbox_mb: Option<i64>,
    pub timeout_secs: Option<i64>,
    pub command_dir: Option<PathBuf>,
}

/// The settings, each from the file or its default, within its range.
pub fn load(file: &NotifySection, problems: &mut Vec<String>) -> NotifySettings {
    let d = NotifySettings::default();
    let mut bounded = |key: &str, value: Option<i64>, default: u64, max: i64| -> u64 {
        match value {
            None => default,
            Some(v) if (1..=max).contains(&v) => v as u64,
            Some(v) => {
                problems.push(format!("notify.{key}: {v} is out of range (1 to {max})"));
                default
            }
        }
    };
    let retry = RetryPolicy {
        give_up_after: Duration::from_secs(
            3600 * bounded("retry_hours", file.retry_hours, d.retry.give_up_after.as_secs() / 3600, 24 * 30),
        ),
        first_wait: Duration::from_secs(bounded(
            "retry_first_secs",
            file.retry_first_secs,
            d.retry.first_wait.as_secs(),
            86_400,
        )),
        max_wait: Duration::from_secs(bounded(
            "retry_max_secs",
            file.retry_max_secs,
            d.retry.max_wait.as_secs(),
            86_400,
        )),
    };
    let outbox_mb = bounded("outbox_mb", file.outbox_mb, (d.outbox_max_bytes / (1024 * 1024)) as u64, 65_536);
    let timeout_secs = bounded("timeout_secs", file.timeout_secs, d.attempt_timeout.as_secs(), 300);
    if retry.first_wait > retry.max_wait {
        problems.push("notify.retry_first_secs: must not exceed notify.retry_max_secs".to_string());
    }
    if let Some(dir) = file.command_dir.as_ref().filter(|dir| !dir.is_absolute() || !dir.is_dir()) {
        problems.push(format!("notify.command_dir: {} is not an absolute path to a directory", dir.display()));
    }
    NotifySettings {
        retry,
        outbox_max_bytes: outbox_mb as usize * 1024 * 1024,
        attempt_timeout: Duration::from_secs(timeout_secs),
        command_dir: file.command_dir.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let mut problems = Vec::new();
        assert_eq!(load(&NotifySection::default(), &mut problems), NotifySettings::default());
        assert!(problems.is_empty());
        let bad = NotifySection {
            retry_hours: Some(0),
            retry_first_secs: Some(700),
            command_dir: Some("relative/dir".into()),
            ..NotifySection::default()
        };
        load(&bad, &mut problems);
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("notify.retry_hours"), "{problems:?}");
    }
}
