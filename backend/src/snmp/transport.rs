//! One agent's request/response exchange over UDP: encoding a request, request ids, timeouts,
//! retries, and the reply's header. It knows nothing of tables or of what the values mean.
//!
//! SNMPv1 and v2c put a community in each message; SNMPv3 goes through the agent's
//! [`Engine`]: discovery on the first exchange, a sealed request, and the reply opened, with
//! one resynchronisation on notInTimeWindow and one rediscovery on unknownEngineID before a
//! refusal becomes the exchange's error.
//!
//! Requests go out on one of the process's few shared sockets ([`super::socket_pool`]), which
//! hands out request ids and routes each reply back by source address and id; "ICMP port
//! unreachable" comes back as `ConnectionRefused`, so a closed port is seen at once rather than
//! after the timeout. Replies with another request id (late answers to an earlier attempt) and
//! replies that cannot be decoded are dropped and the wait goes on; buffers are reused from one
//! exchange to the next, and reply buffers are lent by the thread's pool ([`reply_buffers`])
//! for a walk's or GET's exchanges only.
//!
//! A transport can also be *scripted*: it answers each exchange with the next of a list of
//! datagrams, whatever was asked, so that fuzzing and tests drive the whole reply handling
//! without a socket.

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::ber::{self, tag, BerError, Header, Reader};
use super::engine::Engine;
use super::socket_pool::{self, Arrival, SharedSocket, Ticket};
use super::usm::message as v3;
use super::SnmpError;

mod flight;
mod reply_buffers;
mod usm;

use flight::Flight;
pub use flight::MAX_IN_FLIGHT;

/// The version field of SNMPv1 and SNMPv2c messages.
pub const VERSION_1: i64 = 0;
pub const VERSION_2C: i64 = 1;

/// error-status values (RFC 3416 §3) a client acts upon.
pub const TOO_BIG: i64 = 1;
pub const NO_SUCH_NAME: i64 = 2;
pub const AUTHORIZATION_ERROR: i64 = 16;

/// A decoded reply: its error fields and its varbinds, read lazily from the reply's bytes.
pub struct Reply<'a> {
    pub error_status: i64,
    pub error_index: i64,
    pub varbinds: Reader<'a>,
}

/// What to ask: GET of the OIDs, GETNEXT of them, or GETBULK of them: GETNEXT of the first
/// `non_repeaters`, then that many repetitions of the others.
#[derive(Clone, Copy, Debug)]
pub enum Request {
    Get,
    GetNext,
    GetBulk { non_repeaters: u32, max_repetitions: u32 },
}

impl Request {
    /// The PDU's type and its two integer fields (error-status and error-index in a reply).
    fn pdu_fields(self) -> (u8, i64, i64) {
        match self {
            Request::Get => (tag::GET, 0, 0),
            Request::GetNext => (tag::GET_NEXT, 0, 0),
            Request::GetBulk { non_repeaters, max_repetitions } => {
                (tag::GET_BULK, i64::from(non_repeaters), i64::from(max_repetitions))
            }
        }
    }
}

/// How messages are secured: a community (SNMPv1, v2c) or a USM user (SNMPv3).
pub enum Security {
    Community { version: i64, community: Vec<u8> },
    Usm(Box<Engine>),
}

/// Where requests go and replies come from.
enum Link {
    /// The shared socket for this agent's address.
    Udp(Arc<SharedSocket>),
    /// Replies given in advance, one per datagram awaited; none left is a timeout.
    Scripted(VecDeque<Vec<u8>>),
}

pub struct Transport {
    link: Link,
    target: SocketAddr,
    community: Option<(i64, Vec<u8>)>,
    engine: Option<Box<Engine>>,
    timeout: Duration,
    retries: u32,
    request_id: i32,
    varbinds: Vec<u8>,
    /// Room for encoding one OID of a request.
    oid: Vec<u8>,
    request: Vec<u8>,
    /// The last exchange's reply, in a buffer lent by the thread's pool until
    /// [`Transport::give_back_buffers`].
    reply: Vec<u8>,
    /// An SNMPv3 reply's plaintext scoped PDU.
    plain: Vec<u8>,
    /// Bytes of every datagram received since [`Transport::take_received_bytes`].
    received_bytes: u64,
    /// When the current poll must end: no exchange waits past it.
    poll_deadline: Option<Instant>,
    /// Requests sent together (see [`flight`]).
    flight: Flight,
}

impl Transport {
    pub async fn connect(
        target: SocketAddr,
        security: Security,
        timeout: Duration,
        retries: u32,
    ) -> Result<Transport, SnmpError> {
        let socket =
            socket_pool::socket_for(target).map_err(|e| SnmpError::Network { target, reason: e.to_string() })?;
        Ok(Transport::new(Link::Udp(socket), target, security, timeout, retries))
    }

    /// A transport that answers each exchange with the next of `replies`, whatever it asked.
    pub fn scripted(replies: Vec<Vec<u8>>, security: Security, timeout: Duration, retries: u32) -> Transport {
        let target = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 161);
        Transport::new(Link::Scripted(replies.into()), target, security, timeout, retries)
    }

    fn new(link: Link, target: SocketAddr, security: Security, timeout: Duration, retries: u32) -> Transport {
        let (community, engine) = match security {
            Security::Community { version, community } => (Some((version, community)), None),
            Security::Usm(engine) => (None, Some(engine)),
        };
        Transport {
            link,
            target,
            community,
            engine,
            timeout,
            retries,
            request_id: rand::random_range(1..i32::MAX / 2),
            varbinds: Vec::new(),
            oid: Vec::new(),
            request: Vec::new(),
            reply: Vec::new(),
            plain: Vec::new(),
            received_bytes: 0,
            poll_deadline: None,
            flight: Flight::default(),
        }
    }

    pub fn target(&self) -> SocketAddr {
        self.target
    }

    /// Whether this transport speaks SNMPv1 (no GETBULK, no Counter64).
    pub fn is_v1(&self) -> bool {
        matches!(self.community, Some((VERSION_1, _)))
    }

    /// Sets when the current poll must end: an exchange still waiting then fails at once.
    pub fn set_poll_deadline(&mut self, deadline: Option<Instant>) {
        self.poll_deadline = deadline;
    }

    /// Gives the reply buffers back to the thread's pool (see [`reply_buffers`]): the walk or
    /// GET that read the replies is over. The flight's requests still awaited no longer are.
    pub fn give_back_buffers(&mut self) {
        reply_buffers::give_back(&mut self.reply);
        self.flight.give_back_buffers();
    }

    /// The bytes of reply buffers this transport holds (none between walks).
    #[cfg(test)]
    pub fn reply_bytes_held(&self) -> usize {
        self.reply.capacity() + self.flight.reply_bytes_held()
    }

    /// The bytes received since the last call, and starts counting again.
    pub fn take_received_bytes(&mut self) -> u64 {
        std::mem::take(&mut self.received_bytes)
    }

    /// Sends the request for `oids` and waits for its reply, resending after each timeout.
    /// Each OID is given as a prefix and an optional last arc, so a walk's cursor needs no OID
    /// of its own.
    pub async fn exchange<'o>(
        &mut self,
        request: Request,
        oids: impl Iterator<Item = (&'o [u32], Option<u32>)>,
    ) -> Result<Reply<'_>, SnmpError> {
        self.encode_varbinds(oids);
        if self.engine.is_some() {
            let (pdu_type, field_a, field_b) = request.pdu_fields();
            return self.exchange_v3(pdu_type, (field_a, field_b)).await;
        }
        self.next_request_id();
        let mut message = std::mem::take(&mut self.request);
        self.write_community_message(request, self.request_id, &self.varbinds, &mut message);
        self.request = message;
        self.await_reply().await?;
        parse_reply(&self.reply).map(|(_, reply)| reply).map_err(|e| self.undecodable(e))
    }

    /// Writes an SNMPv1 or v2c message of `request` with id `request_id` and `varbinds` into
    /// `out`.
    fn write_community_message(&self, request: Request, request_id: i32, varbinds: &[u8], out: &mut Vec<u8>) {
        let (pdu_type, field_a, field_b) = request.pdu_fields();
        let (version, community) = self.community.as_ref().map_or((VERSION_2C, &[][..]), |(v, c)| (*v, c.as_slice()));
        let header = Header { version, community, pdu_type, request_id: i64::from(request_id), field_a, field_b };
        ber::write_message(out, &header, varbinds);
    }

    /// Sends the request and waits for the reply to its request id, resending after each
    /// timeout, into `self.reply`.
    async fn await_reply(&mut self) -> Result<(), SnmpError> {
        match &self.link {
            Link::Udp(socket) => {
                let socket = socket.clone();
                self.await_shared(&socket).await
            }
            Link::Scripted(_) => self.await_scripted().await,
        }
    }

    async fn await_shared(&mut self, socket: &Arc<SharedSocket>) -> Result<(), SnmpError> {
        let buffer = reply_buffers::lend(&mut self.reply);
        let ticket = socket.wait_for(self.target, self.request_id, self.engine.is_some(), buffer);
        let request = std::mem::take(&mut self.request);
        let sent = match self.past_poll_deadline() {
            true => Ok(None),
            false => socket.send_to(&request, self.target).map(|()| Some(self.attempt_deadline())),
        };
        let (reply, outcome) = self.await_sent(socket, &request, ticket, sent).await;
        (self.request, self.reply) = (request, reply);
        outcome
    }

    /// Waits for the reply to `request`, whose first sending `sent` gave when its attempt ends
    /// (`None`: not sent, the poll's deadline has passed), sending it again after each timeout
    /// while retries are left. Answers the reply, or the lent buffer and why no reply came.
    async fn await_sent(
        &mut self,
        socket: &SharedSocket,
        request: &[u8],
        mut ticket: Ticket,
        sent: std::io::Result<Option<Instant>>,
    ) -> (Vec<u8>, Result<(), SnmpError>) {
        let mut failed = None;
        let mut attempt_ends = match sent {
            Ok(ends) => ends,
            Err(e) => {
                failed = Some(e);
                None
            }
        };
        let mut retries = self.retries;
        while let Some(ends) = attempt_ends {
            match tokio::time::timeout_at(ends, &mut ticket.arrival).await {
                Err(_elapsed) if retries == 0 || self.past_poll_deadline() => break,
                Err(_elapsed) => {
                    retries -= 1;
                    if let Err(e) = socket.send_to(request, self.target) {
                        failed = Some(e);
                        break;
                    }
                    attempt_ends = Some(self.attempt_deadline());
                }
                Ok(Ok(Arrival::Reply(reply))) => {
                    self.received_bytes = self.received_bytes.saturating_add(ticket.finish().bytes);
                    return (reply, Ok(()));
                }
                Ok(Ok(Arrival::Failed(e))) => {
                    failed = Some(e);
                    break;
                }
                Ok(Err(_)) => break, // never: the table keeps the sender until the ticket leaves
            }
        }
        let left = ticket.finish();
        self.received_bytes = self.received_bytes.saturating_add(left.bytes);
        let error = match failed {
            Some(e) => self.io_error(e),
            None => self.silence(left.undecodable, left.mismatched),
        };
        (left.buffer, Err(error))
    }

    /// The scripted link's exchange: each datagram awaited is the script's next, whatever its id.
    async fn await_scripted(&mut self) -> Result<(), SnmpError> {
        let mut undecodable: Option<BerError> = None;
        for _attempt in 0..=self.retries {
            if self.past_poll_deadline() {
                break;
            }
            while let Ok(received) = tokio::time::timeout_at(self.attempt_deadline(), self.receive()).await {
                if !received {
                    break; // a script with no reply left: as if the agent stayed silent
                }
                match self.reply_id() {
                    Ok(_) => return Ok(()),
                    Err(e) => {
                        log::debug!("Dropped an undecodable reply from {}: {e}", self.target);
                        undecodable = Some(e);
                    }
                }
            }
        }
        Err(self.silence(undecodable, 0))
    }

    fn past_poll_deadline(&self) -> bool {
        self.poll_deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// When the attempt starting now ends: after the timeout, or at the poll's deadline.
    fn attempt_deadline(&self) -> Instant {
        let attempt_ends = Instant::now() + self.timeout;
        self.poll_deadline.map_or(attempt_ends, |d| d.min(attempt_ends))
    }

    /// The error for an exchange that got no reply to its request id.
    fn silence(&self, undecodable: Option<BerError>, mismatched: u32) -> SnmpError {
        match undecodable {
            Some(e) => self.undecodable(e),
            None if mismatched > 0 => SnmpError::WrongRequestId { target: self.target, replies: mismatched },
            None if self.past_poll_deadline() => SnmpError::PollDeadline { target: self.target },
            None => SnmpError::Timeout {
                target: self.target,
                after_ms: self.timeout.as_millis() as u64 * (u64::from(self.retries) + 1),
                attempts: self.retries + 1,
                timeout_ms: self.timeout.as_millis() as u64,
            },
        }
    }

    fn undecodable(&self, error: BerError) -> SnmpError {
        SnmpError::Protocol { target: self.target, reason: format!("undecodable reply ({error})") }
    }

    /// The request id a reply answers: SNMPv3's msgID, or the PDU's request-id.
    fn reply_id(&self) -> Result<i64, BerError> {
        match self.engine {
            Some(_) => v3::parse(&self.reply).map(|message| message.msg_id),
            None => parse_reply(&self.reply).map(|(id, _)| id),
        }
    }

    /// The next request's id: the shared socket's, unique among the exchanges in flight on it.
    fn next_request_id(&mut self) {
        self.request_id = match &self.link {
            Link::Udp(socket) => socket.allocate_id(self.target),
            Link::Scripted(_) => {
                if self.request_id >= i32::MAX - 1 {
                    1
                } else {
                    self.request_id + 1
                }
            }
        };
    }

    /// Encodes the varbinds of a request (each OID with a NULL value) into `self.varbinds`.
    fn encode_varbinds<'o>(&mut self, oids: impl Iterator<Item = (&'o [u32], Option<u32>)>) {
        self.varbinds.clear();
        let oid = &mut self.oid;
        for (prefix, last) in oids {
            oid.clear();
            ber::encode_oid_contents(prefix, oid);
            if let Some(arc) = last {
                ber::push_base128(oid, u64::from(arc));
            }
            ber::write_header(&mut self.varbinds, tag::SEQUENCE, ber::tlv_len(oid.len()) + 2);
            ber::write_bytes(&mut self.varbinds, tag::OID, oid);
            self.varbinds.extend_from_slice(&[tag::NULL, 0]);
        }
    }

    /// Takes the script's next datagram into `self.reply`; false when none is left.
    async fn receive(&mut self) -> bool {
        let Link::Scripted(replies) = &mut self.link else { return false };
        let Some(reply) = replies.pop_front() else { return false };
        self.reply = reply;
        self.received_bytes = self.received_bytes.saturating_add(self.reply.len() as u64);
        true
    }

    fn io_error(&self, error: std::io::Error) -> SnmpError {
        match error.kind() {
            ErrorKind::ConnectionRefused => SnmpError::Refused { target: self.target },
            _ => SnmpError::Network { target: self.target, reason: error.to_string() },
        }
    }
}

/// The request id and contents of an SNMPv1 or v2c Response.
pub(super) fn parse_reply(packet: &[u8]) -> Result<(i64, Reply<'_>), BerError> {
    let message = ber::parse_message(packet)?;
    if message.pdu_type != tag::RESPONSE {
        return Err(BerError::UnexpectedTag { found: message.pdu_type, at: 0 });
    }
    let reply = Reply { error_status: message.field_a, error_index: message.field_b, varbinds: message.varbinds };
    Ok((message.request_id, reply))
}
