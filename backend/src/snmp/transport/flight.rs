//! Several requests to one agent in flight at once, as one round: all sent before any reply is
//! awaited, their waiters entered on the shared socket in one lock (see
//! `socket_pool::round`), the polling task woken once when every reply of the round is there
//! (or an error came), and one timer for the round: when it fires, the requests not answered
//! are sent again together, while retries are left and the poll's deadline allows (the same
//! timeout, retries and deadline as a lone exchange). SNMPv1 and v2c over a socket only: an
//! SNMPv3 exchange may rediscover or resynchronise its engine half-way, which changes how the
//! next request is sealed.
//!
//! The flight keeps its request buffers and its signal from one walk to the next: a steady
//! poll's requests allocate nothing. Its reply buffers are lent by the thread's pool for the
//! walk (see `reply_buffers`).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::time::Instant;

use super::{parse_reply, reply_buffers, Link, Reply, Request, Transport};
use crate::snmp::socket_pool::{Entering, Leftover, RoundSignal, SharedSocket, MOST_IN_ROUND};
use crate::snmp::SnmpError;

/// Requests one flight holds at most.
pub const MAX_IN_FLIGHT: usize = 16;
const _: () = assert!(MAX_IN_FLIGHT <= MOST_IN_ROUND);

/// The requests of one flight and their replies, by their place in it.
#[derive(Default)]
pub struct Flight {
    slots: Vec<Slot>,
    /// Slots in use, at the front.
    used: usize,
    /// The kernel refused to cut this agent's requests in segments: sent one datagram each.
    unsegmented: bool,
    /// What the round's waiters on the socket tell.
    signal: Arc<RoundSignal>,
    /// A bit for each slot whose waiter is in the socket's table, on `on`.
    waiting: u32,
    on: Option<(Arc<SharedSocket>, SocketAddr)>,
    /// When the round's attempt ends (its one timer); `None` when the round was not sent (the
    /// poll's deadline had passed, or the sending failed: `send_failed`).
    attempt_ends: Option<Instant>,
    send_failed: Option<std::io::Error>,
    retries_left: u32,
}

#[derive(Default)]
struct Slot {
    kind: Option<Request>,
    varbinds: Vec<u8>,
    request: Vec<u8>,
    id: i32,
    /// Its reply, in a buffer lent by the thread's pool for the walk.
    reply: Vec<u8>,
    outcome: Outcome,
}

/// Where a slot's request stands.
#[derive(Default)]
enum Outcome {
    #[default]
    Waiting,
    /// Its reply is in the slot's `reply`.
    Replied,
    Failed(SnmpError),
    /// Its reply or error was handed to the walk.
    Taken,
}

impl Flight {
    /// Empties the flight; replies still awaited no longer are (their waiters leave the table
    /// in one lock).
    fn clear(&mut self) {
        if let Some((socket, target)) = self.on.take() {
            if self.waiting != 0 {
                let slots = &mut self.slots;
                let ids = Flight::ids_of(slots, self.used, self.waiting);
                socket.leave_round(target, ids, |at, left| slots[at].reply = left.buffer);
            }
        }
        for slot in &mut self.slots[..self.used] {
            slot.outcome = Outcome::Waiting;
        }
        self.waiting = 0;
        self.used = 0;
        self.send_failed = None;
        self.signal.reset();
    }

    /// Empties the flight and gives its reply buffers, back from the table, to the thread's
    /// pool.
    pub(super) fn give_back_buffers(&mut self) {
        self.clear();
        for slot in &mut self.slots {
            reply_buffers::give_back(&mut slot.reply);
        }
    }

    /// The bytes of reply buffers its slots hold.
    #[cfg(test)]
    pub(super) fn reply_bytes_held(&self) -> usize {
        self.slots.iter().map(|slot| slot.reply.capacity()).sum()
    }
}

impl Drop for Flight {
    /// A walk cancelled mid-round (its poll's task stopped) leaves the table too.
    fn drop(&mut self) {
        self.give_back_buffers();
    }
}

impl Transport {
    /// Whether this transport can have several requests in flight: SNMPv1 or v2c over a socket.
    pub fn can_fly(&self) -> bool {
        self.engine.is_none() && matches!(self.link, Link::Udp(_))
    }

    /// Empties the flight: its replies not awaited yet no longer are.
    pub fn clear_flight(&mut self) {
        self.flight.clear();
    }

    /// Adds a request for `oids` to the flight, to be given an id and sent by
    /// [`Transport::send_flight`]. False if the flight is full or this transport cannot fly.
    pub fn add_to_flight<'o>(
        &mut self,
        request: Request,
        oids: impl Iterator<Item = (&'o [u32], Option<u32>)>,
    ) -> bool {
        if !self.can_fly() || self.flight.used >= MAX_IN_FLIGHT || self.flight.on.is_some() {
            return false;
        }
        if self.flight.slots.len() == self.flight.used {
            self.flight.slots.push(Slot::default());
        }
        let slot = &mut self.flight.slots[self.flight.used];
        std::mem::swap(&mut self.varbinds, &mut slot.varbinds);
        self.encode_varbinds(oids);
        let slot = &mut self.flight.slots[self.flight.used];
        std::mem::swap(&mut self.varbinds, &mut slot.varbinds);
        slot.kind = Some(request);
        self.flight.used += 1;
        true
    }

    /// Sends every request of the flight at once, by one system call mostly (none after the
    /// poll's deadline): their waiters enter the socket's table in one lock, which gives each
    /// its id.
    pub fn send_flight(&mut self) {
        let Link::Udp(socket) = &self.link else { return };
        let socket = socket.clone();
        let used = self.flight.used;
        if used == 0 || self.flight.on.is_some() {
            return;
        }
        let entering = self.flight.slots[..used]
            .iter_mut()
            .map(|slot| Entering { id: &mut slot.id, buffer: reply_buffers::lend(&mut slot.reply) });
        socket.enter_round(self.target, &self.flight.signal, entering);
        self.flight.on = Some((socket.clone(), self.target));
        self.flight.waiting = (1u32 << used) - 1;
        self.flight.retries_left = self.retries;
        for at in 0..used {
            let mut slot = std::mem::take(&mut self.flight.slots[at]);
            let request = slot.kind.unwrap_or(Request::GetNext);
            self.write_community_message(request, slot.id, &slot.varbinds, &mut slot.request);
            self.flight.slots[at] = slot;
        }
        self.send_waiting(&socket);
    }

    /// Sends the flight's requests still waiting, and starts the round's attempt.
    fn send_waiting(&mut self, socket: &SharedSocket) {
        let now = Instant::now();
        self.flight.attempt_ends = None;
        if self.poll_deadline.is_some_and(|d| now >= d) {
            return;
        }
        let waiting = self.flight.waiting;
        let mut requests: [&[u8]; MAX_IN_FLIGHT] = [&[]; MAX_IN_FLIGHT];
        let mut count = 0;
        for (at, slot) in self.flight.slots[..self.flight.used].iter().enumerate() {
            if waiting & 1 << at != 0 {
                requests[count] = &slot.request;
                count += 1;
            }
        }
        match socket.send_many(&requests[..count], self.target, !self.flight.unsegmented) {
            Ok(unsegmented) => {
                self.flight.unsegmented |= unsegmented;
                let ends = self.poll_deadline.map_or(now + self.timeout, |d| d.min(now + self.timeout));
                self.flight.attempt_ends = Some(ends);
            }
            Err(e) => self.flight.send_failed = Some(e),
        }
    }

    /// Waits for the reply to the flight's request `at` (sent by [`Transport::send_flight`]):
    /// the round's replies are taken together when all came, its unanswered requests sent
    /// again after each timeout while retries are left.
    pub async fn flight_reply(&mut self, at: usize) -> Result<Reply<'_>, SnmpError> {
        let socket = match &self.link {
            Link::Udp(socket) => Arc::clone(socket),
            Link::Scripted(_) => return Err(SnmpError::protocol(self.target, "no flight on a scripted link".into())),
        };
        if at >= self.flight.used || self.flight.on.is_none() {
            return Err(SnmpError::protocol(self.target, format!("no request {at} in flight")));
        }
        while matches!(self.flight.slots[at].outcome, Outcome::Waiting) {
            self.await_round(&socket).await;
        }
        match std::mem::replace(&mut self.flight.slots[at].outcome, Outcome::Taken) {
            Outcome::Replied => {}
            Outcome::Failed(e) => return Err(e),
            Outcome::Waiting | Outcome::Taken => {
                return Err(SnmpError::protocol(self.target, format!("the reply to request {at} was taken")))
            }
        }
        let target = self.target;
        parse_reply(&self.flight.slots[at].reply).map(|(_, reply)| reply).map_err(|e| SnmpError::undecodable(target, e))
    }

    /// Waits until every request of the round still waiting has its reply (or an error came,
    /// or the attempt ended), and takes what came; after an attempt's end, sends the requests
    /// still waiting again, or gives them up.
    async fn await_round(&mut self, socket: &SharedSocket) {
        let (want, signal) = (self.flight.waiting, &self.flight.signal);
        let timed_out = match self.flight.attempt_ends {
            Some(ends) => {
                let mut timer = std::pin::pin!(tokio::time::sleep_until(ends));
                std::future::poll_fn(|cx| {
                    if signal.poll_ready(want, cx).is_ready() {
                        return std::task::Poll::Ready(false);
                    }
                    timer.as_mut().poll(cx).map(|()| true)
                })
                .await
            }
            None => true,
        };
        self.take_arrived(socket);
        if !timed_out || self.flight.waiting == 0 {
            return;
        }
        let can_retry = self.flight.attempt_ends.is_some() && self.flight.retries_left > 0;
        if can_retry && !self.past_poll_deadline() {
            self.flight.retries_left -= 1;
            self.send_waiting(socket);
            if self.flight.attempt_ends.is_some() {
                return;
            }
        }
        self.give_up(socket);
    }

    /// Takes the round's replies and errors that came out of the socket's table, in one lock.
    fn take_arrived(&mut self, socket: &SharedSocket) {
        let arrived = self.flight.signal.arrived() & self.flight.waiting;
        if arrived != 0 {
            self.leave(socket, arrived);
        }
    }

    /// Takes every request of the round still waiting out of the table: those answered since
    /// the last look with their reply, the others with the error of their silence (or of the
    /// failed sending).
    fn give_up(&mut self, socket: &SharedSocket) {
        self.leave(socket, self.flight.waiting);
    }

    /// Takes the slots of `mask` out of the socket's table, in one lock: each one's outcome is
    /// its reply if it came, else its error.
    fn leave(&mut self, socket: &SharedSocket, mask: u32) {
        let Some((_, target)) = &self.flight.on else { return };
        let target = *target;
        let mut left: [Option<Leftover>; MAX_IN_FLIGHT] = [const { None }; MAX_IN_FLIGHT];
        socket.leave_round(target, self.flight.ids(mask), |at, leftover| left[at] = Some(leftover));
        // Marked under the table's lock: every waiter that left answered has its bit.
        let arrived = self.flight.signal.arrived();
        for (at, leftover) in left.into_iter().enumerate().filter(|(at, _)| mask & 1 << at != 0) {
            self.flight.waiting &= !(1 << at);
            let Some(leftover) = leftover else {
                self.flight.slots[at].outcome = Outcome::Failed(self.silence(None, 0));
                continue;
            };
            self.received_bytes = self.received_bytes.saturating_add(leftover.bytes);
            let Leftover { buffer, failed, mismatched, undecodable, .. } = leftover;
            let outcome = match (failed, arrived & 1 << at != 0, &self.flight.send_failed) {
                (Some(e), _, _) => Outcome::Failed(self.io_error(e)),
                (None, true, _) => Outcome::Replied,
                (None, false, Some(e)) => Outcome::Failed(self.io_error(copy_error(e))),
                (None, false, None) => Outcome::Failed(self.silence(undecodable, mismatched)),
            };
            let slot = &mut self.flight.slots[at];
            slot.reply = buffer;
            slot.outcome = outcome;
        }
    }
}

impl Flight {
    /// The places and ids of the slots of `mask`.
    fn ids(&self, mask: u32) -> impl Iterator<Item = (usize, i32)> + use<> {
        Flight::ids_of(&self.slots, self.used, mask)
    }

    /// The places and ids of `slots` (`used` of them) in `mask`, copied out.
    fn ids_of(slots: &[Slot], used: usize, mask: u32) -> impl Iterator<Item = (usize, i32)> + use<> {
        let ids: [i32; MAX_IN_FLIGHT] = std::array::from_fn(|at| slots.get(at).map_or(0, |slot| slot.id));
        ids.into_iter().enumerate().take(used).filter(move |(at, _)| mask & 1 << at != 0)
    }
}

/// The same error again, for each request a failed sending was for.
fn copy_error(error: &std::io::Error) -> std::io::Error {
    match error.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => std::io::Error::new(error.kind(), error.to_string()),
    }
}

#[cfg(test)]
mod tests;
