//! One agent's request/response exchange over UDP: encoding a request, request ids, timeouts,
//! retries, and the reply's header. It knows nothing of tables or of what the values mean.
//!
//! SNMPv1 and v2c put a community in each message; SNMPv3 goes through the agent's
//! [`Engine`]: discovery on the first exchange, a sealed request, and the reply opened, with
//! one resynchronisation on notInTimeWindow and one rediscovery on unknownEngineID before a
//! refusal becomes the exchange's error.
//!
//! The socket is connected to the agent, so the kernel reports "ICMP port unreachable" as
//! `ConnectionRefused` and a closed port is seen at once rather than after the timeout. Replies
//! with another request id (late answers to an earlier attempt) and replies that cannot be
//! decoded are dropped and the wait goes on; buffers are reused from one exchange to the next.
//!
//! A transport can also be *scripted*: it answers each exchange with the next of a list of
//! datagrams, whatever was asked, so that fuzzing and tests drive the whole reply handling
//! without a socket.

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::ber::{self, tag, BerError, Header, Reader};
use super::engine::Engine;
use super::usm::message as v3;
use super::SnmpError;

mod usm;

/// The largest UDP payload; an agent may answer a GETBULK with up to this much.
const MAX_DATAGRAM: usize = 65_535;
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

/// How messages are secured: a community (SNMPv1, v2c) or a USM user (SNMPv3).
pub enum Security {
    Community { version: i64, community: Vec<u8> },
    Usm(Box<Engine>),
}

/// Where requests go and replies come from.
enum Link {
    Udp(UdpSocket),
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
    request: Vec<u8>,
    reply: Vec<u8>,
    /// An SNMPv3 reply's plaintext scoped PDU.
    plain: Vec<u8>,
    /// Bytes of every datagram received since [`Transport::take_received_bytes`].
    received_bytes: u64,
    /// When the current poll must end: no exchange waits past it.
    poll_deadline: Option<Instant>,
}

impl Transport {
    pub async fn connect(
        target: SocketAddr,
        security: Security,
        timeout: Duration,
        retries: u32,
    ) -> Result<Transport, SnmpError> {
        let any: IpAddr = match target.ip() {
            IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
            IpAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
        };
        let network = |e: std::io::Error| SnmpError::Network { target, reason: e.to_string() };
        let socket = UdpSocket::bind(SocketAddr::new(any, 0)).await.map_err(network)?;
        socket.connect(target).await.map_err(network)?;
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
            request: Vec::new(),
            reply: Vec::new(),
            plain: Vec::new(),
            received_bytes: 0,
            poll_deadline: None,
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
        let (pdu_type, field_a, field_b) = match request {
            Request::Get => (tag::GET, 0, 0),
            Request::GetNext => (tag::GET_NEXT, 0, 0),
            Request::GetBulk { non_repeaters, max_repetitions } => {
                (tag::GET_BULK, i64::from(non_repeaters), i64::from(max_repetitions))
            }
        };
        if self.engine.is_some() {
            return self.exchange_v3(pdu_type, (field_a, field_b)).await;
        }
        self.next_request_id();
        let (version, community) = self.community.as_ref().map_or((VERSION_2C, &[][..]), |(v, c)| (*v, c.as_slice()));
        let header = Header { version, community, pdu_type, request_id: i64::from(self.request_id), field_a, field_b };
        ber::write_message(&mut self.request, &header, &self.varbinds);
        self.await_reply().await?;
        parse_reply(&self.reply).map(|(_, reply)| reply).map_err(|e| self.undecodable(e))
    }

    async fn await_reply(&mut self) -> Result<(), SnmpError> {
        let mut undecodable: Option<BerError> = None;
        let mut mismatched = 0u32;
        let scripted = matches!(self.link, Link::Scripted(_));
        let past_poll_deadline = |deadline: Option<Instant>| deadline.is_some_and(|d| Instant::now() >= d);
        for _attempt in 0..=self.retries {
            if past_poll_deadline(self.poll_deadline) {
                break;
            }
            self.send().await?;
            let attempt_ends = Instant::now() + self.timeout;
            let deadline = self.poll_deadline.map_or(attempt_ends, |d| d.min(attempt_ends));
            while let Ok(received) = tokio::time::timeout_at(deadline, self.receive()).await {
                if !received? {
                    break; // a script with no reply left: as if the agent stayed silent
                }
                match self.reply_id() {
                    Ok(id) if id == i64::from(self.request_id) || scripted => return Ok(()),
                    Ok(_) => mismatched = mismatched.saturating_add(1), // a late answer, or a broken agent
                    Err(e) => {
                        log::debug!("Dropped an undecodable reply from {}: {e}", self.target);
                        undecodable = Some(e);
                    }
                }
            }
        }
        Err(match undecodable {
            Some(e) => self.undecodable(e),
            None if mismatched > 0 => SnmpError::WrongRequestId { target: self.target, replies: mismatched },
            None if past_poll_deadline(self.poll_deadline) => SnmpError::PollDeadline { target: self.target },
            None => SnmpError::Timeout {
                target: self.target,
                after_ms: self.timeout.as_millis() as u64 * (u64::from(self.retries) + 1),
                attempts: self.retries + 1,
                timeout_ms: self.timeout.as_millis() as u64,
            },
        })
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

    fn next_request_id(&mut self) {
        self.request_id = if self.request_id >= i32::MAX - 1 { 1 } else { self.request_id + 1 };
    }

    /// Encodes the varbinds of a request (each OID with a NULL value) into `self.varbinds`.
    fn encode_varbinds<'o>(&mut self, oids: impl Iterator<Item = (&'o [u32], Option<u32>)>) {
        self.varbinds.clear();
        let mut oid = Vec::with_capacity(32);
        for (prefix, last) in oids {
            oid.clear();
            ber::encode_oid_contents(prefix, &mut oid);
            if let Some(arc) = last {
                ber::push_base128(&mut oid, u64::from(arc));
            }
            ber::write_header(&mut self.varbinds, tag::SEQUENCE, ber::tlv_len(oid.len()) + 2);
            ber::write_bytes(&mut self.varbinds, tag::OID, &oid);
            self.varbinds.extend_from_slice(&[tag::NULL, 0]);
        }
    }

    async fn send(&self) -> Result<(), SnmpError> {
        let Link::Udp(socket) = &self.link else { return Ok(()) };
        match socket.send(&self.request).await {
            Ok(_) => Ok(()),
            Err(e) => Err(self.io_error(e)),
        }
    }

    /// Receives one datagram into `self.reply`; false when a script has no reply left.
    async fn receive(&mut self) -> Result<bool, SnmpError> {
        self.reply.clear();
        let received = match &mut self.link {
            Link::Udp(socket) => {
                self.reply.reserve(MAX_DATAGRAM);
                socket.recv_buf(&mut self.reply).await
            }
            Link::Scripted(replies) => match replies.pop_front() {
                Some(reply) => {
                    self.reply = reply;
                    Ok(self.reply.len())
                }
                None => return Ok(false),
            },
        };
        match received {
            Ok(len) => {
                self.received_bytes = self.received_bytes.saturating_add(len as u64);
                Ok(true)
            }
            Err(e) => Err(self.io_error(e)),
        }
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
