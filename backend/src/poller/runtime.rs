//! The pollers' own tokio runtime, on a thread of its own: polling never waits behind an HTTP
//! handler, and a slow poll never delays the API. It lives on a thread that owns it, so that it
//! can be shut down from async code (a runtime must not be dropped inside another one).
//!
//! One thread, not one per core: a poll costs tens of microseconds, so one core polls tens of
//! thousands of devices, and with a single thread a poll's wake-ups (its turn, its reply) never
//! wake a second runtime thread to look for work or steal it, which cost more CPU than the polls
//! themselves on the fleet benchmark. Its SNMP sockets are its own, received by a task on it
//! (`snmp::socket_pool`): a reply wakes this thread alone. Nothing on it may block: store writes go to the pollers'
//! writer thread, other blocking work to the runtime's blocking pool.

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
    /// Starts a single-threaded runtime on a thread named `vigie-poller` (its blocking pool's
    /// threads are named so too).
    pub fn start() -> std::io::Result<PollerRuntime> {
        let runtime = tokio::runtime::Builder::new_current_thread().thread_name("vigie-poller").enable_all().build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        // The runtime runs its tasks while this thread is in `block_on`, until told to stop. Its
        // SNMP replies are received on it, not by the process's receiver threads.
        std::thread::Builder::new().name("vigie-poller".into()).spawn(move || {
            crate::snmp::socket_pool::receive_on_this_thread();
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
