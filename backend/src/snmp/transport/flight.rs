//! Several requests to one agent in flight at once: each encoded with its own request id and
//! waiting on the shared socket under it, all sent before any reply is awaited, then each
//! reply awaited in turn with the same timeout, retries and poll deadline as a lone exchange
//! (a request whose reply is late is sent again by itself). Replies that come while another is
//! awaited wait in their ticket. SNMPv1 and v2c over a socket only: an SNMPv3 exchange may
//! rediscover or resynchronise its engine half-way, which changes how the next request is sealed.
//!
//! The flight keeps its buffers from one walk to the next: a steady poll's requests allocate
//! nothing but each waiter's place on the socket.

use std::sync::Arc;

use tokio::time::Instant;

use super::{parse_reply, Link, Reply, Request, Transport};
use crate::snmp::socket_pool::Ticket;
use crate::snmp::SnmpError;

/// Requests one flight holds at most.
pub const MAX_IN_FLIGHT: usize = 16;

/// The requests of one flight and their replies, by their place in it.
#[derive(Default)]
pub struct Flight {
    slots: Vec<Slot>,
    /// Slots in use, at the front.
    used: usize,
    /// The kernel refused to cut this agent's requests in segments: sent one datagram each.
    unsegmented: bool,
}

#[derive(Default)]
struct Slot {
    request: Vec<u8>,
    reply: Vec<u8>,
    ticket: Option<Ticket>,
    /// Where the first sending left the request: when its attempt ends, or why it failed.
    sent: Option<std::io::Result<Option<Instant>>>,
}

impl Flight {
    /// Empties the flight; a reply still awaited no longer is.
    fn clear(&mut self) {
        for slot in &mut self.slots[..self.used] {
            slot.ticket = None;
            slot.sent = None;
        }
        self.used = 0;
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

    /// Adds a request for `oids` to the flight, with an id of its own, to be sent by
    /// [`Transport::send_flight`]. False if the flight is full or this transport cannot fly.
    pub fn add_to_flight<'o>(
        &mut self,
        request: Request,
        oids: impl Iterator<Item = (&'o [u32], Option<u32>)>,
    ) -> bool {
        let Link::Udp(socket) = &self.link else { return false };
        if self.engine.is_some() || self.flight.used >= MAX_IN_FLIGHT {
            return false;
        }
        let socket = socket.clone();
        self.encode_varbinds(oids);
        let id = socket.allocate_id(self.target);
        if self.flight.slots.len() == self.flight.used {
            self.flight.slots.push(Slot::default());
        }
        let mut slot = std::mem::take(&mut self.flight.slots[self.flight.used]);
        self.write_community_message(request, id, &mut slot.request);
        slot.ticket = Some(socket.wait_for(self.target, id, false, std::mem::take(&mut slot.reply)));
        self.flight.slots[self.flight.used] = slot;
        self.flight.used += 1;
        true
    }

    /// Sends every request of the flight at once, by one system call mostly (none after the
    /// poll's deadline).
    pub fn send_flight(&mut self) {
        let Link::Udp(socket) = &self.link else { return };
        let socket = socket.clone();
        let used = self.flight.used;
        let sent = match self.past_poll_deadline() {
            true => Ok(None),
            false => {
                let requests: [&[u8]; MAX_IN_FLIGHT] =
                    std::array::from_fn(|at| self.flight.slots.get(at).map_or(&[][..], |slot| &slot.request[..]));
                match socket.send_many(&requests[..used], self.target, !self.flight.unsegmented) {
                    Ok(unsegmented) => {
                        self.flight.unsegmented |= unsegmented;
                        Ok(Some(self.attempt_deadline()))
                    }
                    Err(e) => Err(e),
                }
            }
        };
        for slot in &mut self.flight.slots[..used] {
            slot.sent = Some(match &sent {
                Ok(ends) => Ok(*ends),
                Err(e) => Err(copy_error(e)),
            });
        }
    }

    /// Waits for the reply to the flight's request `at` (sent by [`Transport::send_flight`]),
    /// sending it again after each timeout while retries are left.
    pub async fn flight_reply(&mut self, at: usize) -> Result<Reply<'_>, SnmpError> {
        let socket = match &self.link {
            Link::Udp(socket) => Arc::clone(socket),
            Link::Scripted(_) => return Err(SnmpError::protocol(self.target, "no flight on a scripted link".into())),
        };
        let slot = self.flight.slots.get_mut(at).filter(|_| at < self.flight.used);
        let Some((ticket, sent)) = slot.and_then(|slot| Some((slot.ticket.take()?, slot.sent.take()?))) else {
            return Err(SnmpError::protocol(self.target, format!("no request {at} in flight")));
        };
        let request = std::mem::take(&mut self.flight.slots[at].request);
        let (reply, outcome) = self.await_sent(&socket, &request, ticket, sent).await;
        let slot = &mut self.flight.slots[at];
        (slot.request, slot.reply) = (request, reply);
        outcome?;
        let target = self.target;
        parse_reply(&self.flight.slots[at].reply).map(|(_, reply)| reply).map_err(|e| SnmpError::undecodable(target, e))
    }
}

/// The same error again, for each request a failed sending was for.
fn copy_error(error: &std::io::Error) -> std::io::Error {
    match error.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code),
        None => std::io::Error::new(error.kind(), error.to_string()),
    }
}
