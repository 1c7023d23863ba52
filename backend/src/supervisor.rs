//! Keeps background tasks alive: a task that panics (a bug of ours on some input) is reported
//! and started again after a backoff, instead of vanishing with whatever it served. Every
//! long-lived task of the process runs under [`supervise`]: each device's poller (which adds its
//! own report, see `poller::supervisor`), the receivers, the log writer and retention.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The first restart waits this long, each next one twice as long, up to the maximum.
const RESTART_MIN: Duration = Duration::from_secs(1);
const RESTART_MAX: Duration = Duration::from_secs(300);
/// A task that ran this long before it panicked starts again from the shortest backoff.
const STABLE_AFTER: Duration = Duration::from_secs(600);

/// Restarts of the process's own tasks (not the pollers': see `poller.pollsPanicked`).
static RESTARTS: AtomicU64 = AtomicU64::new(0);

/// How many of the process's own tasks were restarted after a panic since start.
pub fn restarts() -> u64 {
    RESTARTS.load(Ordering::Relaxed)
}

/// Counts a restart made outside [`supervise`] (a thread that supervises itself, such as a shared
/// SNMP socket's receiver).
pub fn count_restart() {
    RESTARTS.fetch_add(1, Ordering::Relaxed);
}

/// Runs the task `make` builds until it returns or `cancel` fires; after a panic, calls
/// `on_panic` with the panic's message and the wait before the restart, waits, and builds it
/// again.
pub async fn supervise<F, Fut, R, RFut>(cancel: CancellationToken, mut make: F, mut on_panic: R)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
    R: FnMut(String, Duration) -> RFut,
    RFut: Future<Output = ()>,
{
    let mut backoff = RESTART_MIN;
    loop {
        let started = Instant::now();
        let Err(error) = tokio::spawn(make()).await else { return };
        if !error.is_panic() {
            return; // the runtime is shutting down
        }
        if started.elapsed() >= STABLE_AFTER {
            backoff = RESTART_MIN;
        }
        on_panic(panic_message(error.into_panic()), backoff).await;
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(RESTART_MAX);
    }
}

/// Spawns a task of the process under [`supervise`], its panics logged with `name` and counted.
pub fn spawn<F, Fut>(name: &'static str, cancel: CancellationToken, make: F) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(supervise(cancel, make, move |message, backoff| {
        log::error!("The {name} failed ({message}); it starts again in {} s.", backoff.as_secs());
        RESTARTS.fetch_add(1, Ordering::Relaxed);
        std::future::ready(())
    }))
}

/// The text a panic was raised with.
pub fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => payload.downcast_ref::<&str>().map_or_else(|| "a panic".into(), |text| text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;
    use std::sync::Arc;

    use super::*;

    #[test]
    fn panic_messages_are_read_whatever_their_type() {
        let text = std::panic::catch_unwind(|| panic!("index {} out of range", 3)).unwrap_err();
        assert_eq!(panic_message(text), "index 3 out of range");
        let literal = std::panic::catch_unwind(|| panic!("boom")).unwrap_err();
        assert_eq!(panic_message(literal), "boom");
        let other = std::panic::catch_unwind(|| std::panic::panic_any(42)).unwrap_err();
        assert_eq!(panic_message(other), "a panic");
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_panics_starts_again_with_a_growing_backoff_until_it_returns() {
        let runs = Arc::new(AtomicU32::new(0));
        let counted = runs.clone();
        let started = Instant::now();
        let before = restarts();
        spawn("test task", CancellationToken::new(), move || {
            let run = counted.fetch_add(1, Ordering::SeqCst);
            async move { assert!(run >= 3, "planted failure {run}") }
        })
        .await
        .unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 4, "three panics, then a run that returns");
        assert!(restarts() >= before + 3);
        assert_eq!(started.elapsed().as_secs(), 1 + 2 + 4, "backoffs of 1, 2 and 4 s");
    }
}
