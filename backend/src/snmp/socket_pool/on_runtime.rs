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

/// Waits for datagrams and errors and routes them, for as long as the runtime runs.
async fn serve(socket: Arc<SharedSocket>) -> io::Result<()> {
    let interest = Interest::READABLE | Interest::ERROR;
    // SAFETY: the socket's descriptor stays open and the same while registered: `Registered`
    // holds the socket, which closes it only when dropped.
    let registered = unsafe { AsyncFd::register_with_interest(Registered(socket.clone()), interest)? };
    let mut batch = Batch::new();
    loop {
        let mut ready = registered.ready(interest).await?;
        if ready.ready().is_error() {
            drain_errors(&socket);
            ready.clear_ready_matching(Ready::ERROR);
        }
        if !ready.ready().is_readable() {
            continue;
        }
        if receive_waiting(&socket, &mut batch, MOST_BATCHES) {
            // A datagram come since is a new readiness event, which this does not clear.
            ready.clear_ready();
        } else {
            drop(ready);
            tokio::task::yield_now().await;
        }
    }
}
