//! Keeps each device's poller alive (see [`crate::supervisor`]): a poller that panics (a bug of
//! ours on some agent's answer) is logged with its device, recorded as an error event, counted,
//! shown as the device's `lastError`, and started again after a backoff, instead of leaving the
//! device frozen in its last state.

use std::future::Future;
use std::time::Duration;

use super::task::Task;
use crate::shown::Shown;
use crate::store::logs::Severity;

/// Runs `task` with `run` (its poll loop: [`Task::run`]) until it is cancelled, restarting it
/// after each panic.
pub(super) async fn supervise<F, Fut>(task: Task, run: F)
where
    F: Fn(Task) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut restart = false;
    let make = || {
        let mut this = task.clone();
        if restart {
            // A restart polls as soon as its backoff is over, then keeps its turns.
            this.at_once = true;
        }
        restart = true;
        run(this)
    };
    // The report is boxed: this future is held by every device for its whole life, the report
    // (1 KB of state) runs only after a panic.
    let report = |message, backoff| Box::pin(report(&task, message, backoff));
    crate::supervisor::supervise(task.cancel.clone(), make, report).await;
}

async fn report(task: &Task, message: String, backoff: Duration) {
    let c = &task.device.config;
    log::error!(
        "Device {} ({}:{}): its poller failed ({message}); it starts again in {} s.",
        Shown(&c.name),
        Shown(&c.host),
        c.port,
        backoff.as_secs()
    );
    task.stats.panicked();
    let text = format!("{}: Vigie's poller failed on this device ({message}) and starts again", c.name);
    task.sink.event(Some(&task.device.id), Severity::Error, text, Vec::new());
    task.record_failure_now(Duration::ZERO, format!("Vigie's poller failed ({message}); it starts again")).await;
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    use super::*;
    use crate::device::DeviceConfig;
    use crate::logs::Sink;
    use crate::store::Store;

    #[tokio::test(start_paused = true)]
    async fn a_panicking_poller_is_told_counted_and_started_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path(), crate::store::Retention::default()).unwrap());
        let config = DeviceConfig::v2c("r1", "127.0.0.1", 1161, "public");
        let device = store.add_device(config).unwrap();
        let task = Task {
            device: device.clone(),
            store: store.clone(),
            stats: Arc::default(),
            sink: Sink::new(),
            writer: Arc::new(crate::poller::writer::StoreWriter::start(store.clone(), Sink::new()).unwrap()),
            target: crate::poller::writer::Target::polled(&store, &device.id, Arc::from("r1")),
            cancel: tokio_util::sync::CancellationToken::new(),
            poke: Arc::default(),
            first_turn: tokio::time::Instant::now(),
            at_once: false,
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
}
