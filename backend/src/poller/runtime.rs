//! The pollers' own tokio runtime, on threads of its own: polling never waits behind an HTTP
//! handler, and a slow poll never delays the API. It lives on a thread that owns it, so that it
//! can be shut down from async code (a runtime must not be dropped inside another one).

use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// How long the runtime's thread waits for blocking work (store writes) when it stops.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

pub struct PollerRuntime {
    handle: Handle,
    stop: Option<oneshot::Sender<()>>,
}

impl PollerRuntime {
    /// Starts a multi-threaded runtime with one worker per core, named `vigie-poller`.
    pub fn start() -> std::io::Result<PollerRuntime> {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("vigie-poller")
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new().name("vigie-pollers".into()).spawn(move || {
            runtime.block_on(async {
                let _ = stopped.await;
            });
            runtime.shutdown_timeout(SHUTDOWN_GRACE);
        })?;
        Ok(PollerRuntime { handle, stop: Some(stop) })
    }

    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl Drop for PollerRuntime {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
