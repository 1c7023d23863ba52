//! Several requests to one agent that wait as one round: their waiters enter the socket's table
//! in one lock (ids handed out in the same lock), their replies are kept in the table and
//! marked in the round's [`RoundSignal`], which wakes the one task waiting on it once every
//! reply it waits for is there (or an error came), and the arrived ones leave the table in one
//! lock. Replies to a round thus cost one wake-up of the polling task and two locks of the table
//! however many arrive in the same batch, where a waiter each cost a channel, two or three locks
//! and a wake-up each.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;

use super::{lock, Leftover, SharedSocket, Waiter, Waiting};

/// Requests one round holds at most (a bit each).
pub(crate) const MOST_IN_ROUND: usize = 32;

/// Where a waiter's reply or error goes.
pub(super) enum Recipient {
    /// A lone exchange's channel.
    Alone(tokio::sync::oneshot::Sender<super::Arrival>),
    /// Kept in the waiter (its buffer, or its `failed`), marked at this place of the round.
    Round(Arc<RoundSignal>, u8),
}

/// What a round's waiters tell the task waiting on it: which of them got their reply or an
/// error, and when to wake it.
#[derive(Default)]
pub(crate) struct RoundSignal {
    /// A bit for each place of the round whose reply or error came.
    arrived: AtomicU32,
    /// An error came (ICMP): the task need not wait for the rest.
    failed: AtomicBool,
    /// The places the task waits for: it is woken when all of them arrived.
    want: AtomicU32,
    waker: AtomicWaker,
}

impl RoundSignal {
    /// Starts a new round: nothing arrived. Only while no waiter of the last round is in a table.
    pub(crate) fn reset(&self) {
        self.arrived.store(0, Ordering::SeqCst);
        self.failed.store(false, Ordering::SeqCst);
        self.want.store(0, Ordering::SeqCst);
    }

    /// The places whose reply or error came.
    pub(crate) fn arrived(&self) -> u32 {
        self.arrived.load(Ordering::SeqCst)
    }

    /// Ready once every place of `want` arrived, or one of them with an error; else wakes the
    /// task of `cx` when that happens.
    pub(crate) fn poll_ready(&self, want: u32, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_ready(want) {
            return Poll::Ready(());
        }
        self.want.store(want, Ordering::SeqCst);
        self.waker.register(cx.waker());
        // What arrived between the first look and the registration.
        match self.is_ready(want) {
            true => Poll::Ready(()),
            false => Poll::Pending,
        }
    }

    /// Every place of `want` arrived, or one of them failed.
    fn is_ready(&self, want: u32) -> bool {
        let arrived = self.arrived() & want;
        arrived == want || (arrived != 0 && self.failed.load(Ordering::SeqCst))
    }

    fn arrive(&self, at: u8) {
        let arrived = self.arrived.fetch_or(1 << at, Ordering::SeqCst) | 1 << at;
        let want = self.want.load(Ordering::SeqCst);
        if want != 0 && arrived & want == want {
            self.waker.wake();
        }
    }

    fn fail(&self, at: u8) {
        self.arrived.fetch_or(1 << at, Ordering::SeqCst);
        self.failed.store(true, Ordering::SeqCst);
        self.waker.wake();
    }
}

impl Recipient {
    /// Hands `waiter`'s reply (already in its buffer) over.
    pub(super) fn reply(self, waiter: &mut Waiter) {
        match self {
            Recipient::Alone(slot) => {
                let _ = slot.send(super::Arrival::Reply(std::mem::take(&mut waiter.buffer)));
                // a dropped ticket no longer waits
            }
            Recipient::Round(signal, at) => signal.arrive(at),
        }
    }

    /// Hands an error over to `waiter`'s exchange.
    pub(super) fn fail(self, waiter: &mut Waiter, error: io::Error) {
        match self {
            Recipient::Alone(slot) => {
                let _ = slot.send(super::Arrival::Failed(error));
            }
            Recipient::Round(signal, at) => {
                waiter.failed = Some(error);
                signal.fail(at);
            }
        }
    }
}

/// A request of a round, as it enters the table: its place gets an id, and lends its buffer.
pub(crate) struct Entering<'a> {
    pub id: &'a mut i32,
    pub buffer: Vec<u8>,
}

impl SharedSocket {
    /// Has the requests of a round to `target` wait, in one lock of the table: each gets an id
    /// that no exchange in flight with `target` waits for, and lends its reply buffer. Their
    /// replies and errors are marked in `signal` at their place (at most [`MOST_IN_ROUND`]).
    pub(crate) fn enter_round<'a>(
        &self,
        target: SocketAddr,
        signal: &Arc<RoundSignal>,
        requests: impl Iterator<Item = Entering<'a>>,
    ) {
        let mut waiting = lock(&self.waiting);
        let Waiting { by_source, spare, next_id } = &mut *waiting;
        let waiters = by_source.entry(target).or_insert_with(|| spare.pop().unwrap_or_default());
        for (at, request) in requests.take(MOST_IN_ROUND).enumerate() {
            let id = loop {
                let id = *next_id;
                *next_id = if id >= i32::MAX - 1 { 1 } else { id + 1 };
                if !waiters.iter().any(|w| w.id == i64::from(id)) {
                    break id;
                }
            };
            *request.id = id;
            let to = Some(Recipient::Round(signal.clone(), at as u8));
            waiters.push(Waiter::new(i64::from(id), false, to, request.buffer));
        }
    }

    /// Takes the waiters of ids `ids` with `target` out of the table, in one lock, and hands
    /// each one's place among `ids` and what it leaves (its reply in the buffer if it came) to
    /// `each`. An id not in the table is skipped.
    pub(crate) fn leave_round(
        &self,
        target: SocketAddr,
        ids: impl Iterator<Item = (usize, i32)>,
        mut each: impl FnMut(usize, Leftover),
    ) {
        let mut waiting = lock(&self.waiting);
        let Some(waiters) = waiting.by_source.get_mut(&target) else { return };
        for (at, id) in ids {
            if let Some(found) = waiters.iter().position(|w| w.id == i64::from(id)) {
                each(at, waiters.swap_remove(found).leftover());
            }
        }
        waiting.forget_if_empty(target);
    }
}
