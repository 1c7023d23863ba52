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

/// How often the date and the instant [`DateService`] answers move on, as upstream's timer did.
const UPDATE_EVERY: Duration = Duration::from_millis(500);

/// The date for the `Date` header and the instant deadlines are counted from, both as of the
/// last [`UPDATE_EVERY`] tick since the service started.
///
/// Patched for Vigie (see `vendor/actix-http/VIGIE.md`): upstream moves them on from a task
/// woken every 500 ms on every worker, for the whole life of the server, which was almost all of
/// an idle Vigie's CPU and wake-ups. Here they are brought up to date when asked for, to the
/// tick that task would have had last, so what callers see is the same (an instant up to 500 ms
/// behind the clock: keep-alive deadlines, for one, fall 4.5 to 5 s after a response, as
/// upstream's do) and an idle server is never woken.
pub(crate) struct DateService {
    started: Instant,
    current: Cell<(Date, Instant)>,
}

impl DateService {
    pub(crate) fn new() -> Self {
        let started = Instant::now();
        DateService {
            started,
            current: Cell::new((Date::new(), started)),
        }
    }

    /// The date and the instant of the latest tick, formatting the date again when a tick has
    /// passed since it was last formatted.
    fn current(&self) -> (Date, Instant) {
        let now = Instant::now();
        let (date, tick) = self.current.get();
        if now.saturating_duration_since(tick) < UPDATE_EVERY {
            return (date, tick);
        }
        let period = UPDATE_EVERY.as_nanos();
        let ticks = now.saturating_duration_since(self.started).as_nanos() / period;
        let tick = self.started + Duration::from_nanos((ticks * period) as u64);
        let fresh = (Date::new(), tick);
        self.current.set(fresh);
        fresh
    }

    pub(crate) fn now(&self) -> Instant {
        self.current().1
    }

    pub(crate) fn with_date<F: FnMut(&Date)>(&self, mut f: F) {
        f(&self.current().0);
    }
}

impl fmt::Debug for DateService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DateService").finish_non_exhaustive()
    }
}
