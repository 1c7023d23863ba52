//! A shared socket received on the runtime of the exchanges that wait on it (the poller's): a
//! task registered with that runtime's reactor reads every datagram waiting when the socket
//! becomes readable, a batch per system call, and hands each reply to its waiter on the same
//! thread. A reply thus costs one wake-up of the poller's thread (its epoll), as a connected
//! socket's did, where a receiver thread cost two (the receiver's, then the poller's); and one
//! system call serves a batch of replies. ICMP errors come as the socket's error readiness.
//!
//! A task drains at most [`MOST_BATCHES`] batches before letting the runtime's other tasks run;
//! a panic (a bug of ours) is logged and the task starts again after a backoff, as the thread
//! receiver does.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::Arc;

use tokio::io::unix::AsyncFd;
use tokio::io::{Interest, Ready};

use super::batch::Batch;
use super::receiver::{after_failure, drain_errors, panic_message, receive_waiting, RESTART_MIN};
use super::SharedSocket;

/// Batches read in one turn of the task before it yields to the runtime's other tasks.
const MOST_BATCHES: usize = 8;

/// The socket as the reactor knows it.
struct Registered(Arc<SharedSocket>);

impl AsRawFd for Registered {
    fn as_raw_fd(&self) -> RawFd {
        self.0.socket.as_raw_fd()
    }
}

/// Starts the receiver of `socket` as a task of the current runtime.
pub(super) fn start(socket: Arc<SharedSocket>) {
    tokio::spawn(supervise(socket));
}

async fn supervise(socket: Arc<SharedSocket>) {
    let mut backoff = RESTART_MIN;
    loop {
        let what = match tokio::spawn(serve(socket.clone())).await {
            Ok(Err(e)) => format!("the runtime's reactor: {e}"),
            Err(e) if e.is_panic() => panic_message(&*e.into_panic()),
            Ok(Ok(())) | Err(_) => return, // never returns Ok; cancelled: the runtime stops
        };
        tokio::time::sleep(after_failure(&what, &mut backoff)).await;
    }
}

/// Waits for datagrams and errors and routes them, for as long as the runtime runs: registered
/// with the reactor until datagrams arrive, then read on the beat while replies trickle in.
async fn serve(socket: Arc<SharedSocket>) -> io::Result<()> {
    let mut batch = Batch::new();
    let most_a_beat = socket.receive_buffer / 4;
    loop {
        first_arrival(&socket, &mut batch).await?;
        // Not registered: what arrives waits in the socket until the next beat.
        loop {
            // The exchanges just answered run first, and send their next requests.
            tokio::task::yield_now().await;
            if !socket.awaits_replies() {
                break;
            }
            tokio::time::sleep(beat()).await;
            let bytes = drain(&socket, &mut batch).await;
            if bytes == 0 || bytes > most_a_beat {
                break;
            }
        }
    }
}

fn beat() -> std::time::Duration {
    static BEAT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();
    *BEAT.get_or_init(|| {
        let ms = std::env::var("VIGIE_TEST_BEAT_MS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
        std::time::Duration::from_millis(ms)
    })
}

/// Waits, registered with the runtime's reactor, until datagrams arrive, and reads them all
/// (ICMP errors are read as they come). Leaves the reactor on return.
async fn first_arrival(socket: &Arc<SharedSocket>, batch: &mut Batch) -> io::Result<()> {
    let interest = Interest::READABLE | Interest::ERROR;
    // SAFETY: the socket's descriptor stays open and the same while registered: `Registered`
    // holds the socket, which closes it only when dropped.
    let registered = unsafe { AsyncFd::register_with_interest(Registered(socket.clone()), interest)? };
    loop {
        let mut ready = registered.ready(interest).await?;
        if ready.ready().is_error() {
            drain_errors(socket);
            ready.clear_ready_matching(Ready::ERROR);
        }
        if !ready.ready().is_readable() {
            continue;
        }
        let drained = receive_waiting(socket, batch, MOST_BATCHES);
        if drained.emptied {
            // A datagram come since is a new readiness event, which this does not clear.
            ready.clear_ready();
        }
        drop(ready);
        if !drained.emptied {
            drain(socket, batch).await;
            return Ok(());
        }
        if drained.bytes > 0 {
            return Ok(());
        }
    }
}

/// Reads every datagram waiting, [`MOST_BATCHES`] batches a turn, the runtime's other tasks run
/// between; answers the bytes read.
async fn drain(socket: &SharedSocket, batch: &mut Batch) -> usize {
    let mut bytes = 0;
    loop {
        let drained = receive_waiting(socket, batch, MOST_BATCHES);
        bytes += drained.bytes;
        if drained.emptied {
            return bytes;
        }
        tokio::task::yield_now().await;
    }
}
