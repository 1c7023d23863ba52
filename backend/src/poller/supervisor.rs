//! Keeps each device's poller alive: a poller that panics (a bug of ours on some agent's
//! answer) is logged with its device, recorded as an error event, counted, shown as the
//! device's `lastError`, and started again after a backoff, instead of leaving the device frozen
//! in its last state.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::task::Task;

/// The first restart waits this long, each next one twice as long, up to the maximum.
const RESTART_MIN: Duration = Duration::from_secs(1);
const RESTART_MAX: Duration = Duration::from_secs(300);
/// A poller that ran this long before it panicked starts again from the shortest backoff.
const STABLE_AFTER: Duration = Duration::from_secs(600);

/// Runs `task` with `run` (its poll loop: [`Task::run`]) until it is cancelled, restarting it
/// after each panic.
pub(super) async fn supervise<F, Fut>(task: Task, run: F)
where
    F: Fn(Task) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut backoff = RESTART_MIN;
    let mut next = task.clone();
    loop {
        let started = Instant::now();
        let outcome = tokio::spawn(run(next)).await;
        let Err(error) = outcome else { return }; // cancelled: it returned
        if !error.is_panic() {
            return; // the runtime is shutting down
        }
        if started.elapsed() >= STABLE_AFTER {
            backoff = RESTART_MIN;
        }
        report(&task, &panic_message(error.into_panic()), backoff).await;
        tokio::select! {
            _ = task.cancel.cancelled() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(RESTART_MAX);
        next = Task { first_delay: Duration::ZERO, ..task.clone() };
    }
}

async fn report(task: &Task, message: &str, backoff: Duration) {
    let c = &task.device.config;
    log::error!(
        "Device {} ({}:{}): its poller failed ({message}); it starts again in {} s.",
        c.name,
        c.host,
        c.port,
        backoff.as_secs()
    );
    task.stats.panicked();
    let text = format!("{}: Vigie's poller failed on this device ({message}) and starts again", c.name);
    task.sink.event(Some(&task.device.id), 3, text, Vec::new());
    task.record_failure(Duration::ZERO, format!("Vigie's poller failed ({message}); it starts again")).await;
}

/// The text a panic was raised with.
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => payload.downcast_ref::<&str>().map_or_else(|| "a panic".into(), |text| text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    use super::*;
    use crate::device::DeviceConfig;
    use crate::logs::Sink;
    use crate::snmp::Credentials;
    use crate::store::Store;

    #[tokio::test(start_paused = true)]
    async fn a_panicking_poller_is_told_counted_and_started_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), crate::store::Retention::default()).unwrap());
        let config = DeviceConfig {
            name: "r1".into(),
            host: "127.0.0.1".into(),
            port: 1161,
            credentials: Credentials::V2c { community: "public".into() },
            poll_interval_secs: 60,
            timeout_ms: 1000,
            retries: 1,
        };
        let device = store.add_device(config).unwrap();
        let task = Task {
            device: device.clone(),
            store: store.clone(),
            stats: Arc::default(),
            sink: Sink::new(),
            cancel: tokio_util::sync::CancellationToken::new(),
            poke: Arc::default(),
            first_delay: Duration::ZERO,
        };
        // Panics on its first two runs, then polls until cancelled.
        let runs = Arc::new(AtomicU32::new(0));
        let counted = runs.clone();
        let supervised = tokio::spawn(supervise(task.clone(), move |t: Task| {
            let run = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                assert!(run >= 2, "planted failure {run}");
                t.cancel.cancelled().await;
            }
        }));
        while runs.load(Ordering::SeqCst) < 3 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(task.stats.counts().polls_panicked, 2);
        let status = store.latest(&device.id).unwrap().status;
        assert!(status.last_error.unwrap().contains("planted failure 1"), "the last panic is the lastError");
        task.cancel.cancel();
        supervised.await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 3, "no restart after a cancellation");
    }

    #[test]
    fn panic_messages_are_read_whatever_their_type() {
        let text = std::panic::catch_unwind(|| panic!("index {} out of range", 3)).unwrap_err();
        assert_eq!(panic_message(text), "index 3 out of range");
        let literal = std::panic::catch_unwind(|| panic!("boom")).unwrap_err();
        assert_eq!(panic_message(literal), "boom");
        let other = std::panic::catch_unwind(|| std::panic::panic_any(42)).unwrap_err();
        assert_eq!(panic_message(other), "a panic");
    }
}
