//! The time access control reads: the system clock in service, a hand-moved one in tests, so
//! session expiry and rate-limit windows are tested without sleeping.

/// Unix seconds now.
pub trait Clock: Send + Sync {
    fn now_secs(&self) -> i64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_secs(&self) -> i64 {
        crate::store::now_secs()
    }
}

/// A clock that moves only when told.
#[cfg(test)]
pub struct ManualClock(pub std::sync::atomic::AtomicI64);

#[cfg(test)]
impl ManualClock {
    pub fn at(secs: i64) -> std::sync::Arc<ManualClock> {
        std::sync::Arc::new(ManualClock(std::sync::atomic::AtomicI64::new(secs)))
    }
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(test)]
impl Clock for ManualClock {
    fn now_secs(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}
