//! One agent's request/response exchange over UDP: encoding a request, request ids, timeouts,
//! retries, and the reply's header. It knows nothing of tables or of what the values mean.
//!
//! The socket is connected to the agent, so the kernel reports "ICMP port unreachable" as
//! `ConnectionRefused` and a closed port is seen at once rather than after the timeout. Replies
//! with another request id (late answers to an earlier attempt) and replies that cannot be
//! decoded are dropped and the wait goes on; buffers are reused from one exchange to the next.

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::ber::{self, tag, BerError, Header, Reader};
use super::SnmpError;

/// The largest UDP payload; an agent may answer a GETBULK with up to this much.
const MAX_DATAGRAM: usize = 65_535;
/// SNMPv2c's version field.
const VERSION_2C: i64 = 1;

/// error-status values (RFC 3416 §3) a client acts upon.
pub const TOO_BIG: i64 = 1;
pub const NO_SUCH_NAME: i64 = 2;

/// A decoded reply: its error fields and its varbinds, read lazily from the reply's bytes.
pub struct Reply<'a> {
    pub error_status: i64,
    pub error_index: i64,
    pub varbinds: Reader<'a>,
}

/// What to ask: GET of the OIDs, or GETBULK of them: GETNEXT of the first `non_repeaters`,
/// then that many repetitions of the others.
#[derive(Clone, Copy, Debug)]
pub enum Request {
    Get,
    GetBulk { non_repeaters: u32, max_repetitions: u32 },
}

pub struct Transport {
    socket: UdpSocket,
    target: SocketAddr,
    community: Vec<u8>,
    timeout: Duration,
    retries: u32,
    request_id: i32,
    varbinds: Vec<u8>,
    request: Vec<u8>,
    reply: Vec<u8>,
}

impl Transport {
    pub async fn connect(
        target: SocketAddr,
        community: &[u8],
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
        Ok(Transport {
            socket,
            target,
            community: community.to_vec(),
            timeout,
            retries,
            request_id: rand::random_range(1..i32::MAX / 2),
            varbinds: Vec::new(),
            request: Vec::new(),
            reply: Vec::new(),
        })
    }

    pub fn target(&self) -> SocketAddr {
        self.target
    }

    /// Sends the request for `oids` and waits for its reply, resending after each timeout.
    /// Each OID is given as a prefix and an optional last arc, so a walk's cursor needs no OID
    /// of its own.
    pub async fn exchange<'o>(
        &mut self,
        request: Request,
        oids: impl Iterator<Item = (&'o [u32], Option<u32>)>,
    ) -> Result<Reply<'_>, SnmpError> {
        self.encode(request, oids);
        self.await_reply().await?;
        Ok(parse_reply(&self.reply).expect("decoded once already").1)
    }

    async fn await_reply(&mut self) -> Result<(), SnmpError> {
        let mut undecodable: Option<BerError> = None;
        for _attempt in 0..=self.retries {
            self.send().await?;
            let deadline = Instant::now() + self.timeout;
            while let Ok(received) = tokio::time::timeout_at(deadline, self.receive()).await {
                received?;
                match parse_reply(&self.reply) {
                    Ok((id, _)) if id == i64::from(self.request_id) => return Ok(()),
                    Ok(_) => {} // an answer to an earlier attempt or poll
                    Err(e) => {
                        log::debug!("Dropped an undecodable reply from {}: {e}", self.target);
                        undecodable = Some(e);
                    }
                }
            }
        }
        Err(match undecodable {
            Some(e) => SnmpError::Protocol { target: self.target, reason: format!("undecodable reply ({e})") },
            None => SnmpError::Timeout {
                target: self.target,
                after_ms: self.timeout.as_millis() as u64 * (u64::from(self.retries) + 1),
                attempts: self.retries + 1,
                timeout_ms: self.timeout.as_millis() as u64,
            },
        })
    }

    /// Encodes the message into `self.request` with a new request id.
    fn encode<'o>(&mut self, request: Request, oids: impl Iterator<Item = (&'o [u32], Option<u32>)>) {
        self.request_id = if self.request_id >= i32::MAX - 1 { 1 } else { self.request_id + 1 };
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
        let (pdu_type, field_a, field_b) = match request {
            Request::Get => (tag::GET, 0, 0),
            Request::GetBulk { non_repeaters, max_repetitions } => {
                (tag::GET_BULK, i64::from(non_repeaters), i64::from(max_repetitions))
            }
        };
        let header = Header {
            version: VERSION_2C,
            community: &self.community,
            pdu_type,
            request_id: i64::from(self.request_id),
            field_a,
            field_b,
        };
        ber::write_message(&mut self.request, &header, &self.varbinds);
    }

    async fn send(&self) -> Result<(), SnmpError> {
        match self.socket.send(&self.request).await {
            Ok(_) => Ok(()),
            Err(e) => Err(self.io_error(e)),
        }
    }

    /// Receives one datagram into `self.reply`.
    async fn receive(&mut self) -> Result<(), SnmpError> {
        self.reply.clear();
        self.reply.reserve(MAX_DATAGRAM);
        match self.socket.recv_buf(&mut self.reply).await {
            Ok(_) => Ok(()),
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

/// The request id and contents of an SNMPv2c Response.
pub(super) fn parse_reply(packet: &[u8]) -> Result<(i64, Reply<'_>), BerError> {
    let message = ber::parse_message(packet)?;
    if message.pdu_type != tag::RESPONSE {
        return Err(BerError::UnexpectedTag { found: message.pdu_type, at: 0 });
    }
    let reply = Reply { error_status: message.field_a, error_index: message.field_b, varbinds: message.varbinds };
    Ok((message.request_id, reply))
}
