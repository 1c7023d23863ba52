use std::{
    cell::Cell,
    fmt::{self, Write},
    time::{Duration, Instant, SystemTime},
};

/// "Thu, 01 Jan 1970 00:00:00 GMT".len()
pub(crate) const DATE_VALUE_LENGTH: usize = 29;

#[derive(Clone, Copy)]
pub(crate) struct Date {
    pub(crate) bytes: [u8; DATE_VALUE_LENGTH],
    pos: usize,
}

impl Date {
    fn new() -> Date {
        let mut date = Date {
            bytes: [0; DATE_VALUE_LENGTH],
            pos: 0,
        };
        date.update();
        date
    }

    fn update(&mut self) {
        self.pos = 0;
        write!(self, "{}", httpdate::HttpDate::from(SystemTime::now())).unwrap();
    }
}

impl fmt::Write for Date {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let len = s.len();
        self.bytes[self.pos..self.pos + len].copy_from_slice(s.as_bytes());
        self.pos += len;
        Ok(())
    }
}

/// How long a formatted date is reused (the header's resolution is a second).
const DATE_REUSED_FOR: Duration = Duration::from_millis(500);

/// The date for the `Date` header, formatted again when it is [`DATE_REUSED_FOR`] old.
///
/// Patched for Vigie (see `vendor/actix-http/VIGIE.md`): upstream refreshes it from a task
/// woken every 500 ms on every worker, for the whole life of the server, which was almost all of
/// an idle Vigie's CPU and wake-ups. Here it is refreshed when a response needs it, so an idle
/// server is never woken; and `now()` reads the clock (a vDSO call) instead of the last tick.
pub(crate) struct DateService {
    current: Cell<(Date, Instant)>,
}

impl DateService {
    pub(crate) fn new() -> Self {
        DateService {
            current: Cell::new((Date::new(), Instant::now())),
        }
    }

    pub(crate) fn now(&self) -> Instant {
        Instant::now()
    }

    pub(crate) fn with_date<F: FnMut(&Date)>(&self, mut f: F) {
        let (mut date, at) = self.current.get();
        let now = Instant::now();
        if now.saturating_duration_since(at) >= DATE_REUSED_FOR {
            date = Date::new();
            self.current.set((date, now));
        }
        f(&date);
    }
}

impl fmt::Debug for DateService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DateService").finish_non_exhaustive()
    }
}
