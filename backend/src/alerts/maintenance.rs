//! Maintenance windows: times when a device's incidents are marked `inMaintenance` and nobody is
//! told of them. One-off (from, to) or weekly (days, a start time and a duration). Weekly times
//! are UTC: a server's zone and its daylight-saving jumps would make a window move twice a year
//! without anyone changing it; the UI shows the UTC time beside the local one.

use serde::{Deserialize, Serialize};

use super::rule::Scope;
use crate::device::{free_text, DeviceId, InvalidField};

/// Windows at most.
pub const MAX_WINDOWS: usize = 256;
const MINUTES_PER_WEEK: i64 = 7 * 1440;

/// A stable, server-assigned window id (8 hex digits).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WindowId(pub String);

impl WindowId {
    pub fn random() -> WindowId {
        WindowId(format!("{:08x}", rand::random::<u32>()))
    }

    pub fn parse(text: &str) -> Option<WindowId> {
        (text.len() == 8 && text.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
            .then(|| WindowId(text.to_string()))
    }
}

/// A day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    fn index(self) -> i64 {
        self as i64
    }
}

/// When a window is active.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum Schedule {
    /// From `from` (included) to `to` (excluded), Unix seconds.
    OneOff { from: i64, to: i64 },
    /// On each of `days`, from `start` ("HH:MM", UTC) for `durationMins` minutes (it may run into
    /// the next day).
    Weekly {
        days: Vec<Weekday>,
        start: String,
        // Named here as well: the OpenAPI document does not follow `rename_all_fields`.
        #[serde(rename = "durationMins")]
        duration_mins: u32,
    },
}

/// A maintenance window as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    pub id: WindowId,
    pub name: String,
    pub created_at: i64,
    pub scope: Scope,
    pub schedule: Schedule,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> InvalidField {
    InvalidField { field, reason: reason.into() }
}

/// Minutes after midnight of "HH:MM".
fn start_minute(start: &str) -> Option<i64> {
    let (h, m) = start.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

impl Window {
    pub fn validate(&self) -> Result<(), InvalidField> {
        if self.name.trim().is_empty() || self.name.chars().count() > 200 {
            return Err(invalid("name", "must be 1 to 200 characters"));
        }
        free_text("name", &self.name)?;
        match &self.schedule {
            Schedule::OneOff { from, to } if to <= from => Err(invalid("schedule.to", "must be after from")),
            Schedule::Weekly { days, .. } if days.is_empty() => Err(invalid("schedule.days", "must name a day")),
            Schedule::Weekly { start, .. } if start_minute(start).is_none() => {
                Err(invalid("schedule.start", "must be a UTC time as HH:MM"))
            }
            Schedule::Weekly { duration_mins, .. } if !(1..=MINUTES_PER_WEEK as u32).contains(duration_mins) => {
                Err(invalid("schedule.durationMins", "must be between 1 and 10080 (a week)"))
            }
            _ => Ok(()),
        }
    }

    /// Whether the window is on at `now` (Unix seconds).
    pub fn active_at(&self, now: i64) -> bool {
        match &self.schedule {
            Schedule::OneOff { from, to } => (*from..*to).contains(&now),
            Schedule::Weekly { days, start, duration_mins } => {
                let Some(start) = start_minute(start) else { return false };
                // 1970-01-01 was a Thursday: Monday-based minute of the week.
                let minute_of_week = (now.div_euclid(60) + 3 * 1440).rem_euclid(MINUTES_PER_WEEK);
                days.iter().any(|day| {
                    let opens = day.index() * 1440 + start;
                    (minute_of_week - opens).rem_euclid(MINUTES_PER_WEEK) < i64::from(*duration_mins)
                })
            }
        }
    }

    /// Whether the window covers a device with these tags at `now`.
    pub fn covers(&self, device: &DeviceId, tags: &[String], now: i64) -> bool {
        self.scope.covers(device, tags) && self.active_at(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekly(days: Vec<Weekday>, start: &str, duration_mins: u32) -> Window {
        Window {
            id: WindowId("0000000a".into()),
            name: "w".into(),
            created_at: 0,
            scope: Scope::All,
            schedule: Schedule::Weekly { days, start: start.into(), duration_mins },
        }
    }

    // 2026-11-30 is a Monday; 00:00 UTC.
    const MONDAY: i64 = 1_795_996_800;

    #[test]
    fn monday_constant_is_a_monday() {
        // 1970-01-05 was a Monday; every 604800 s later is one too.
        assert_eq!((MONDAY - 4 * 86_400).rem_euclid(604_800), 0);
    }

    #[test]
    fn weekly_window_opens_on_its_days_in_utc_and_runs_past_midnight() {
        let w = weekly(vec![Weekday::Sun], "23:00", 120);
        let sunday_2300 = MONDAY + 6 * 86_400 + 23 * 3600;
        assert!(!w.active_at(sunday_2300 - 1));
        assert!(w.active_at(sunday_2300));
        // Into Monday 00:59, then closed at 01:00.
        assert!(w.active_at(MONDAY + 7 * 86_400 + 59 * 60));
        assert!(!w.active_at(MONDAY + 7 * 86_400 + 3600));
        assert!(!weekly(vec![Weekday::Tue], "23:00", 120).active_at(sunday_2300));
    }

    #[test]
    fn one_off_is_half_open_and_validated() {
        let mut w = weekly(vec![], "00:00", 1);
        w.schedule = Schedule::OneOff { from: 100, to: 200 };
        assert!(!w.active_at(99) && w.active_at(100) && w.active_at(199) && !w.active_at(200));
        w.schedule = Schedule::OneOff { from: 200, to: 200 };
        assert_eq!(w.validate().unwrap_err().field, "schedule.to");
        assert_eq!(weekly(vec![Weekday::Mon], "24:00", 5).validate().unwrap_err().field, "schedule.start");
        assert_eq!(weekly(vec![], "10:00", 5).validate().unwrap_err().field, "schedule.days");
    }
}
