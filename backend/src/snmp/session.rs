//! One SNMP session to one agent: GET of scalars and GETBULK walks of table columns.
//!
//! SNMPv2c over our own zero-copy BER codec ([`super::ber`]): a walk reads each row's index and
//! value straight from the reply's bytes, and numbers allocate nothing. csnmp used to answer
//! here; profiling the poller at 2,000 devices showed most of its time in csnmp's decoding
//! (520-byte OIDs copied through maps, simple_asn1, big integers), so the hot path is ours and
//! csnmp checks it in the tests instead. A session owns its socket: never share one between
//! concurrent tasks.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::transport::{self, Request, Transport};
use super::walk::{encoded, read_scalars, row_limit, Column, Cursor, Walk};
use super::{Credentials, Oid, SnmpError, Value};

/// GETBULK repetitions asked for at most, and at least after halving on a "tooBig" answer.
/// Agents trim a GETBULK reply to what fits their buffer, so asking much costs little.
const MAX_REPETITIONS: u32 = 50;
const MIN_REPETITIONS: u32 = 2;
/// What one poll may receive at most, in reply bytes and in varbinds, whatever the agent sends.
pub const MAX_POLL_BYTES: u64 = 64 * 1024 * 1024;
pub const MAX_POLL_VARBINDS: u64 = 2_500_000;
/// Varbinds per GETBULK reply we aim for, whatever the number of columns.
const VARBINDS_PER_REPLY: u32 = 400;

/// A session with one agent.
pub struct Session {
    transport: Transport,
    max_repetitions: u32,
    /// What the current poll has received so far (see [`Session::begin_poll`]).
    poll_bytes: u64,
    poll_varbinds: u64,
}

impl Session {
    /// Resolves `host` (an IP literal or a DNS name) and opens a socket for it.
    pub async fn open(
        host: &str,
        port: u16,
        credentials: &Credentials,
        timeout_ms: u64,
        retries: u32,
    ) -> Result<Session, SnmpError> {
        let target = resolve(host, port).await?;
        let community = match credentials {
            Credentials::V2c { community } => community,
            Credentials::V1 { .. } | Credentials::V3(_) => {
                return Err(SnmpError::VersionNotSupported { target, version: credentials.version_name() })
            }
        };
        let transport =
            Transport::connect(target, community.expose().as_bytes(), Duration::from_millis(timeout_ms), retries)
                .await?;
        Ok(Session::over(transport))
    }

    /// A session whose exchanges are answered by `replies` in turn, whatever was asked (any
    /// request id is accepted); when none is left, an exchange times out at once. For fuzzing
    /// and tests of the reply handling without a socket.
    #[doc(hidden)]
    pub fn scripted(replies: Vec<Vec<u8>>) -> Session {
        Session::over(Transport::scripted(replies, Duration::from_millis(1), 0))
    }

    fn over(transport: Transport) -> Session {
        Session { transport, max_repetitions: MAX_REPETITIONS, poll_bytes: 0, poll_varbinds: 0 }
    }

    pub fn target(&self) -> SocketAddr {
        self.transport.target()
    }

    /// Starts counting a new poll's bytes and varbinds against [`MAX_POLL_BYTES`] and
    /// [`MAX_POLL_VARBINDS`]; no exchange of the poll waits past `deadline`.
    pub fn begin_poll(&mut self, deadline: Option<tokio::time::Instant>) {
        (self.poll_bytes, self.poll_varbinds) = (0, 0);
        self.transport.take_received_bytes();
        self.transport.set_poll_deadline(deadline);
    }

    /// Counts what an exchange brought against the poll's budget.
    fn spend(&mut self, varbinds: usize) -> Result<(), SnmpError> {
        let target = self.target();
        self.poll_bytes = self.poll_bytes.saturating_add(self.transport.take_received_bytes());
        self.poll_varbinds = self.poll_varbinds.saturating_add(varbinds as u64);
        if self.poll_bytes > MAX_POLL_BYTES {
            return Err(SnmpError::OverBudget { target, what: "bytes of replies", limit: MAX_POLL_BYTES });
        }
        if self.poll_varbinds > MAX_POLL_VARBINDS {
            return Err(SnmpError::OverBudget { target, what: "varbinds", limit: MAX_POLL_VARBINDS });
        }
        Ok(())
    }

    /// GETs scalars; each OID must exist.
    pub async fn get(&mut self, oids: &[&[u32]]) -> Result<Vec<Value>, SnmpError> {
        let target = self.target();
        let values = self.get_optional(oids).await?;
        let missing = values.iter().position(Option::is_none);
        if let Some(at) = missing {
            return Err(SnmpError::NoSuchObject { target, oid: Oid::from_slice(oids[at]) });
        }
        Ok(values.into_iter().flatten().collect())
    }

    /// GETs scalars; those the agent does not have (noSuchObject, noSuchInstance) are `None`.
    /// The answer holds exactly one value per OID asked, in order, or the exchange fails.
    pub async fn get_optional(&mut self, oids: &[&[u32]]) -> Result<Vec<Option<Value>>, SnmpError> {
        let target = self.target();
        let reply = self.transport.exchange(Request::Get, oids.iter().map(|oid| (*oid, None))).await?;
        match reply.error_status {
            0 => {}
            transport::NO_SUCH_NAME => {
                let at = usize::try_from(reply.error_index.max(1) - 1).unwrap_or(0).min(oids.len().saturating_sub(1));
                return Err(SnmpError::NoSuchObject {
                    target,
                    oid: Oid::from_slice(oids.get(at).copied().unwrap_or(&[])),
                });
            }
            status => return Err(SnmpError::protocol(target, format!("error-status {status} for a GET"))),
        }
        let mut values = Vec::with_capacity(oids.len());
        for varbind in reply.varbinds {
            if values.len() == oids.len() {
                return Err(SnmpError::protocol(target, format!("more values than the {} asked for", oids.len())));
            }
            let (_, value) = varbind.map_err(|e| SnmpError::undecodable(target, e))?;
            values.push(Value::decode(value).map_err(|e| SnmpError::undecodable(target, e))?);
        }
        self.spend(values.len())?;
        if values.len() != oids.len() {
            return Err(SnmpError::protocol(target, format!("{} values for {} OIDs", values.len(), oids.len())));
        }
        Ok(values)
    }

    /// Walks several columns of a table indexed by one integer (such as ifTable) together with
    /// GETBULK, and answers one [`Column`] per column, in the order asked.
    ///
    /// `rows_hint` (e.g. ifNumber) sizes the repetitions so that one reply can hold a whole
    /// column and its end. Each varbind is matched to its column by its place in the reply
    /// (RFC 3416 §4.2.3), so a column running past its end into another is simply ended.
    pub async fn walk_columns(&mut self, columns: &[&[u32]], rows_hint: Option<u32>) -> Result<Vec<Column>, SnmpError> {
        Ok(self.walk_columns_with(&[], columns, rows_hint).await?.1)
    }

    /// [`Session::walk_columns`], with scalars (given with their instance, e.g. sysUpTime.0)
    /// fetched in the same first request as GETBULK non-repeaters, which saves a round trip.
    /// A scalar the agent does not have comes back `None`.
    pub async fn walk_columns_with(
        &mut self,
        scalars: &[&[u32]],
        columns: &[&[u32]],
        rows_hint: Option<u32>,
    ) -> Result<(Vec<Option<Value>>, Vec<Column>), SnmpError> {
        let target = self.target();
        let prefixes: Vec<Vec<u8>> = columns.iter().map(|arcs| encoded(arcs)).collect();
        let mut scalar_values: Option<Vec<Option<Value>>> = None;
        let rows = rows_hint.unwrap_or(0).min(4_096) as usize;
        let mut tables: Vec<Column> = columns.iter().map(|_| Column(Vec::with_capacity(rows))).collect();
        let mut cursors = vec![Cursor::Start; columns.len()];
        let limit = row_limit(rows_hint);
        loop {
            let active: Vec<usize> = (0..columns.len()).filter(|&i| cursors[i] != Cursor::Done).collect();
            let asked_scalars = if scalar_values.is_none() { scalars } else { &[] };
            if active.is_empty() && asked_scalars.is_empty() {
                return Ok((scalar_values.unwrap_or_default(), tables));
            }
            let repetitions = self.repetitions(active.len().max(1), rows_hint);
            // GETNEXT of a scalar's object (its OID without the instance) answers the scalar.
            let scalar_oids = asked_scalars.iter().map(|oid| (&oid[..oid.len().saturating_sub(1)], None));
            let column_oids = active.iter().map(|&i| match cursors[i] {
                Cursor::After(index) => (columns[i], Some(index)),
                _ => (columns[i], None),
            });
            let request = Request::GetBulk { non_repeaters: asked_scalars.len() as u32, max_repetitions: repetitions };
            let reply = self.transport.exchange(request, scalar_oids.chain(column_oids)).await?;
            match reply.error_status {
                0 => {}
                transport::TOO_BIG if repetitions > MIN_REPETITIONS => {
                    self.max_repetitions = (repetitions / 2).max(MIN_REPETITIONS);
                    log::debug!("GETBULK too big for {target}; now asking for {} repetitions", self.max_repetitions);
                    continue;
                }
                status => return Err(SnmpError::protocol(target, format!("error-status {status} for a GETBULK"))),
            }
            let mut varbinds = reply.varbinds;
            if !asked_scalars.is_empty() {
                let values =
                    read_scalars(&mut varbinds, asked_scalars).map_err(|e| SnmpError::undecodable(target, e))?;
                scalar_values =
                    Some(values.ok_or_else(|| {
                        SnmpError::protocol(target, "a GETBULK reply without its non-repeaters".into())
                    })?);
            }
            if active.is_empty() {
                continue;
            }
            let asked = active.len() * repetitions as usize;
            let walk = Walk { columns, prefixes: &prefixes, active: &active, asked };
            let rows =
                walk.read_rows(varbinds, &mut cursors, &mut tables).map_err(|e| e.at(target, columns, &cursors))?;
            if rows == 0 {
                return Err(SnmpError::protocol(target, "an empty GETBULK reply".into()));
            }
            self.spend(rows)?;
            if let Some(at) = tables.iter().position(|column| column.0.len() > limit) {
                let column = Oid::from_slice(columns[at]);
                return Err(SnmpError::TooManyRows { target, column, limit, if_number: rows_hint });
            }
        }
    }

    fn repetitions(&self, columns: usize, rows_hint: Option<u32>) -> u32 {
        let budget = (VARBINDS_PER_REPLY / columns as u32).max(MIN_REPETITIONS);
        // One more than the rows expected, to see each column's end in the same reply.
        let hint = rows_hint.filter(|&n| n > 0).map_or(u32::MAX, |n| n.saturating_add(1)).max(MIN_REPETITIONS);
        self.max_repetitions.min(budget).min(hint)
    }
}

pub async fn resolve(host: &str, port: u16) -> Result<SocketAddr, SnmpError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let mut addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| SnmpError::Resolve { host: host.to_string(), reason: e.to_string() })?;
    addrs.next().ok_or_else(|| SnmpError::Resolve { host: host.to_string(), reason: "no address".into() })
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::sim::{AgentSpec, Behaviour, Fleet};
    use crate::snmp::ber::{self, tag, Header};
    use crate::snmp::oids::{if_mib::*, system::*};

    use crate::snmp::if_mib::COUNTER_COLUMNS as COUNTERS;

    async fn open(addr: SocketAddr, timeout_ms: u64) -> Session {
        let credentials = Credentials::V2c { community: "public".into() };
        Session::open(&addr.ip().to_string(), addr.port(), &credentials, timeout_ms, 1).await.unwrap()
    }

    async fn agent(spec: AgentSpec) -> (Fleet, Session) {
        let fleet = Fleet::start(vec![spec], Ipv4Addr::LOCALHOST.into(), 0).await.unwrap();
        let session = open(fleet.agents()[0].addr, 2_000).await;
        (fleet, session)
    }

    #[tokio::test]
    async fn a_walk_reads_every_row_of_every_column_whatever_the_hint() {
        let (_fleet, mut session) = agent(AgentSpec::new("sw", 48)).await;
        for hint in [None, Some(48), Some(3), Some(1_000)] {
            let columns = session.walk_columns(&COUNTERS, hint).await.unwrap();
            for column in &columns {
                assert_eq!(column.indexes().collect::<Vec<_>>(), (1..=48).collect::<Vec<_>>(), "hint {hint:?}");
            }
            assert!(matches!(columns[0].get(48), Some(Value::Counter64(_))));
            assert!(matches!(columns[2].get(1), Some(Value::Integer(1))), "ifIndex 1 is up");
        }
    }

    #[tokio::test]
    async fn scalars_ride_in_the_first_request_of_a_walk() {
        let (fleet, mut session) = agent(AgentSpec::new("sw", 48)).await;
        let missing: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 99, 0];
        let (scalars, columns) =
            session.walk_columns_with(&[SYS_UP_TIME, missing, IF_NUMBER], &COUNTERS, Some(48)).await.unwrap();
        assert!(matches!(scalars[..], [Some(Value::TimeTicks(_)), None, Some(Value::Integer(48))]), "{scalars:?}");
        assert!(columns.iter().all(|column| column.indexes().count() == 48));
        let requests = fleet.stats().requests.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(requests, 1, "one GETBULK: 7 × 49 small simulated values fit in 8,000 bytes; no GET");
        let (scalars, columns) = session.walk_columns_with(&[IF_NUMBER], &[], None).await.unwrap();
        assert_eq!((scalars, columns.len()), (vec![Some(Value::Integer(48))], 0));
    }

    #[tokio::test]
    async fn a_huge_table_is_walked_whole_over_cut_replies() {
        let (_fleet, mut session) = agent(AgentSpec::new("core", 3_000)).await;
        let [names, traffic]: [Column; 2] =
            session.walk_columns(&[IF_NAME, IF_HC_IN_OCTETS], Some(3_000)).await.unwrap().try_into().unwrap();
        assert_eq!(names.indexes().count(), 3_000);
        assert_eq!(traffic.indexes().last(), Some(3_000));
        assert_eq!(names.get(2_999).map(Value::as_text).as_deref(), Some("ge-0/0/2999"));
    }

    #[tokio::test]
    async fn an_agent_without_64_bit_counters_has_empty_hc_columns() {
        let (_fleet, mut session) = agent(AgentSpec { hc: false, ..AgentSpec::new("old", 8) }).await;
        let columns = session.walk_columns(&[IF_HC_IN_OCTETS, IF_IN_OCTETS], Some(8)).await.unwrap();
        assert_eq!(columns[0].indexes().count(), 0);
        assert_eq!(columns[1].indexes().count(), 8);
        assert!(matches!(columns[1].get(8), Some(Value::Counter32(_))));
    }

    #[tokio::test]
    async fn get_answers_in_order_and_names_a_missing_object() {
        let (_fleet, mut session) = agent(AgentSpec::new("sw", 4)).await;
        let values = session.get(&[IF_NUMBER, SYS_NAME]).await.unwrap();
        assert_eq!(values, [Value::Integer(4), Value::Bytes(b"sw".to_vec())]);
        let missing: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 99, 0];
        match session.get(&[SYS_NAME, missing]).await {
            Err(SnmpError::NoSuchObject { oid, .. }) => assert_eq!(oid, Oid::from_slice(missing)),
            other => panic!("expected noSuchObject, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_closed_port_is_refused_and_a_dead_agent_times_out() {
        let specs = vec![
            AgentSpec { behaviour: Behaviour::Closed, ..AgentSpec::new("closed", 1) },
            AgentSpec { behaviour: Behaviour::Dead, ..AgentSpec::new("dead", 1) },
        ];
        let fleet = Fleet::start(specs, Ipv4Addr::LOCALHOST.into(), 0).await.unwrap();
        // A 60-second timeout: only the kernel's "port unreachable" can end this one.
        let mut closed = open(fleet.agents()[0].addr, 60_000).await;
        assert!(matches!(closed.get(&[SYS_UP_TIME]).await, Err(SnmpError::Refused { .. })));
        let mut dead = open(fleet.agents()[1].addr, 100).await;
        let error = dead.get(&[SYS_UP_TIME]).await.unwrap_err();
        assert!(matches!(error, SnmpError::Timeout { attempts: 2, after_ms: 200, .. }), "{error}");
    }

    /// An agent that answers each request with noise, then an answer to another request id, then
    /// the real answer (sysUpTime = 42) — or with noise only.
    async fn noisy_agent(answer: bool) -> SocketAddr {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = vec![0; 2_000];
            while let Ok((len, from)) = socket.recv_from(&mut buf).await {
                let request = ber::parse_message(&buf[..len]).unwrap();
                let reply = |request_id| {
                    let mut varbinds = Vec::new();
                    ber::write_varbind(&mut varbinds, &[6, 8, 0x2b, 6, 1, 2, 1, 1, 3, 0], &[tag::TIME_TICKS, 1, 42]);
                    let header = Header { request_id, ..request.response_header() };
                    let mut out = Vec::new();
                    ber::write_message(&mut out, &header, &varbinds);
                    out
                };
                socket.send_to(&[0x30, 0x03, 0xff, 0xff], from).await.unwrap();
                if answer {
                    socket.send_to(&reply(request.request_id + 1), from).await.unwrap();
                    socket.send_to(&reply(request.request_id), from).await.unwrap();
                }
            }
        });
        addr
    }

    #[tokio::test]
    async fn stale_and_garbled_replies_are_dropped_and_told() {
        let mut session = open(noisy_agent(true).await, 2_000).await;
        assert_eq!(session.get(&[SYS_UP_TIME]).await.unwrap(), [Value::TimeTicks(42)]);
        assert_eq!(session.get(&[SYS_UP_TIME]).await.unwrap(), [Value::TimeTicks(42)], "the next request too");
        let mut session = open(noisy_agent(false).await, 100).await;
        let error = session.get(&[SYS_UP_TIME]).await.unwrap_err();
        assert!(error.to_string().contains("undecodable reply"), "{error}");
    }
}
