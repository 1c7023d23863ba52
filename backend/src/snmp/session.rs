//! One SNMP session to one agent: GET of scalars and GETBULK walks of table columns.
//!
//! Backed by csnmp (SNMPv2c). A session owns its own client and socket: csnmp drops replies whose
//! request-id it did not send, so sessions must never be shared between concurrent tasks.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use csnmp::message::BindingValue;
use csnmp::{ObjectIdentifier, ObjectValue, Snmp2cClient, SnmpClientError};

use super::Oid;

/// GETBULK repetitions asked for at first. csnmp reads replies into a 9,000-byte buffer, so a
/// reply with many wide columns must stay modest; on a reply too big to decode we halve it.
const MAX_REPETITIONS: u32 = 24;
const MIN_REPETITIONS: u32 = 2;
/// Varbinds per GETBULK reply we aim for, whatever the number of columns.
const VARBINDS_PER_REPLY: u32 = 160;

/// How Vigie authenticates to an agent. Secrets never appear in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    V2c { community: String },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::V2c { .. } => f.write_str("V2c { community: <secret> }"),
        }
    }
}

/// A decoded SNMP value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Integer(i32),
    Counter32(u32),
    Gauge32(u32),
    TimeTicks(u32),
    Counter64(u64),
    Bytes(Vec<u8>),
    ObjectId(Oid),
    IpAddress(std::net::Ipv4Addr),
}

impl Value {
    /// Any unsigned or non-negative integer value, widened.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Integer(v) => u64::try_from(v).ok(),
            Value::Counter32(v) | Value::Gauge32(v) | Value::TimeTicks(v) => Some(u64::from(v)),
            Value::Counter64(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Integer(v) => Some(i64::from(v)),
            _ => self.as_u64().and_then(|v| i64::try_from(v).ok()),
        }
    }

    /// Text for display; invalid UTF-8 is replaced, not rejected (devices send Latin-1 too).
    pub fn as_text(&self) -> String {
        match self {
            Value::Bytes(bytes) => String::from_utf8_lossy(bytes).trim_end_matches('\0').to_string(),
            Value::ObjectId(oid) => oid.to_string(),
            Value::IpAddress(ip) => ip.to_string(),
            other => other.as_i64().map(|v| v.to_string()).unwrap_or_default(),
        }
    }
}

impl From<ObjectValue> for Value {
    fn from(value: ObjectValue) -> Self {
        match value {
            ObjectValue::Integer(v) => Value::Integer(v),
            ObjectValue::String(v) | ObjectValue::Opaque(v) => Value::Bytes(v),
            ObjectValue::ObjectId(oid) => Value::ObjectId(Oid::from_slice(oid.as_slice())),
            ObjectValue::IpAddress(ip) => Value::IpAddress(ip),
            ObjectValue::Counter32(v) => Value::Counter32(v),
            ObjectValue::Unsigned32(v) => Value::Gauge32(v),
            ObjectValue::TimeTicks(v) => Value::TimeTicks(v),
            ObjectValue::Counter64(v) => Value::Counter64(v),
        }
    }
}

/// Why an SNMP exchange failed, in words a network admin understands.
#[derive(Debug, thiserror::Error)]
pub enum SnmpError {
    #[error("no SNMP answer from {target} within {after_ms} ms ({attempts} attempts of {timeout_ms} ms): the agent is unreachable, or the community is wrong")]
    Timeout { target: SocketAddr, after_ms: u64, attempts: u32, timeout_ms: u64 },
    #[error("cannot resolve host {host}: {reason}")]
    Resolve { host: String, reason: String },
    #[error("network error talking to {target}: {reason}")]
    Network { target: SocketAddr, reason: String },
    #[error("{target} sent an answer Vigie cannot use: {reason}")]
    Protocol { target: SocketAddr, reason: String },
    #[error("{target} has no object {oid}")]
    NoSuchObject { target: SocketAddr, oid: Oid },
    #[error("{target} refused SNMP: nothing listens on that port (ICMP port unreachable)")]
    Refused { target: SocketAddr },
}

/// A session with one agent.
pub struct Session {
    client: Snmp2cClient,
    target: SocketAddr,
    timeout_ms: u64,
    retries: u32,
    max_repetitions: u32,
    canary: Option<super::canary::Canary>,
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
        let bind: SocketAddr = match target.ip() {
            IpAddr::V4(_) => "0.0.0.0:0".parse().expect("valid literal"),
            IpAddr::V6(_) => "[::]:0".parse().expect("valid literal"),
        };
        let Credentials::V2c { community } = credentials;
        let client = Snmp2cClient::new(
            target,
            community.as_bytes().to_vec(),
            Some(bind),
            Some(Duration::from_millis(timeout_ms)),
            retries as usize,
        )
        .await
        .map_err(|e| SnmpError::Network { target, reason: e.to_string() })?;
        let canary = super::canary::Canary::open(target, community.as_bytes()).await;
        Ok(Session { client, target, timeout_ms, retries, max_repetitions: MAX_REPETITIONS, canary })
    }

    pub fn target(&self) -> SocketAddr {
        self.target
    }

    /// Resolves if the agent's port turns out closed; pends forever otherwise. Poll it beside an
    /// exchange to see a closed port at once rather than after the timeout.
    pub fn closed_port(&self) -> impl std::future::Future<Output = SnmpError> + 'static {
        let canary = self.canary.clone();
        async move {
            match canary {
                Some(canary) => canary.refused().await,
                None => std::future::pending().await,
            }
        }
    }

    /// GETs scalars; each OID must exist.
    pub async fn get(&self, oids: &[&[u32]]) -> Result<Vec<Value>, SnmpError> {
        let request: Vec<ObjectIdentifier> = oids.iter().map(|arcs| to_csnmp(arcs)).collect();
        let mut answer = self.client.get_multiple(request.clone()).await.map_err(|e| self.error(e))?;
        request
            .iter()
            .map(|oid| {
                answer.remove(oid).map(Value::from).ok_or_else(|| SnmpError::NoSuchObject {
                    target: self.target,
                    oid: Oid::from_slice(oid.as_slice()),
                })
            })
            .collect()
    }

    /// Walks several columns of a table indexed by one integer (such as ifTable) together with
    /// GETBULK, and answers, per column in the order asked, the values by row index.
    ///
    /// `rows_hint` (e.g. ifNumber) caps the repetitions so that a column running past its end
    /// cannot spill into the rows another column is fetching in the same request: csnmp rejects
    /// a reply that holds one OID twice. Should that still happen (a sparse table), each column
    /// is walked on its own.
    pub async fn walk_columns(
        &mut self,
        columns: &[&[u32]],
        rows_hint: Option<u32>,
    ) -> Result<Vec<BTreeMap<u32, Value>>, SnmpError> {
        match self.walk_together(columns, rows_hint).await {
            Err(BulkError::Overlap) => {
                let mut tables = Vec::with_capacity(columns.len());
                for column in columns {
                    match self.walk_together(&[column], rows_hint).await {
                        Ok(mut one) => tables.push(one.pop().expect("one column")),
                        Err(BulkError::Overlap) => unreachable!("a single column cannot overlap itself"),
                        Err(BulkError::Snmp(e)) => return Err(e),
                    }
                }
                Ok(tables)
            }
            Err(BulkError::Snmp(e)) => Err(e),
            Ok(tables) => Ok(tables),
        }
    }

    async fn walk_together(
        &mut self,
        columns: &[&[u32]],
        rows_hint: Option<u32>,
    ) -> Result<Vec<BTreeMap<u32, Value>>, BulkError> {
        let prefixes: Vec<Oid> = columns.iter().map(|arcs| Oid::from_slice(arcs)).collect();
        let mut tables: Vec<BTreeMap<u32, Value>> = vec![BTreeMap::new(); columns.len()];
        let mut cursors: Vec<Option<Oid>> = prefixes.iter().cloned().map(Some).collect();
        loop {
            let active: Vec<usize> = (0..columns.len()).filter(|&i| cursors[i].is_some()).collect();
            if active.is_empty() {
                return Ok(tables);
            }
            let request: Vec<ObjectIdentifier> =
                active.iter().map(|&i| to_csnmp(&cursors[i].as_ref().expect("active").0)).collect();
            let answer = self.get_bulk(&request, rows_hint).await?;
            // Each column got the same number of repetitions (or one fewer where the reply was
            // cut); a column with fewer rows than that has run past its end.
            let repetitions = answer.len() / active.len();
            for &i in &active {
                let cursor = cursors[i].take().expect("active");
                let depth = prefixes[i].0.len() + 1;
                let rows: Vec<(&Oid, &Value)> = answer
                    .iter()
                    .filter(|(oid, _)| oid.starts_with(&prefixes[i]) && *oid > cursor && oid.0.len() == depth)
                    .map(|(oid, value)| (oid, value))
                    .collect();
                let finished = rows.is_empty() || rows.len() < repetitions;
                for (oid, value) in rows {
                    tables[i].insert(oid.last().expect("row index"), value.clone());
                    cursors[i] = Some(oid.clone());
                }
                if finished {
                    cursors[i] = None;
                }
            }
        }
    }

    /// One GETBULK, retried with fewer repetitions when the reply is too big for the client.
    async fn get_bulk(
        &mut self,
        request: &[ObjectIdentifier],
        rows_hint: Option<u32>,
    ) -> Result<Vec<(Oid, Value)>, BulkError> {
        loop {
            let budget = (VARBINDS_PER_REPLY / request.len() as u32).max(MIN_REPETITIONS);
            let hint = rows_hint.filter(|&n| n > 0).unwrap_or(u32::MAX).max(MIN_REPETITIONS);
            let repetitions = self.max_repetitions.min(budget).min(hint);
            match self.client.get_bulk(request, 0, repetitions).await {
                Ok(result) => {
                    return Ok(result
                        .values
                        .into_iter()
                        .map(|(oid, value)| (Oid::from_slice(oid.as_slice()), Value::from(value)))
                        .collect())
                }
                Err(SnmpClientError::DecodingIncoming { .. }) if repetitions > MIN_REPETITIONS => {
                    self.max_repetitions = (repetitions / 2).max(MIN_REPETITIONS);
                    log::debug!(
                        "GETBULK reply from {} too big; now asking for {} repetitions",
                        self.target,
                        self.max_repetitions
                    );
                }
                Err(SnmpClientError::DuplicateValue { .. }) if request.len() > 1 => return Err(BulkError::Overlap),
                Err(e) => return Err(BulkError::Snmp(self.error(e))),
            }
        }
    }

    fn error(&self, error: SnmpClientError) -> SnmpError {
        let target = self.target;
        match error {
            SnmpClientError::TimedOut => SnmpError::Timeout {
                target,
                after_ms: self.timeout_ms * (u64::from(self.retries) + 1),
                attempts: self.retries + 1,
                timeout_ms: self.timeout_ms,
            },
            SnmpClientError::CreatingSocket { io_error }
            | SnmpClientError::Connecting { io_error }
            | SnmpClientError::Sending { io_error }
            | SnmpClientError::Receiving { io_error } => SnmpError::Network { target, reason: io_error.to_string() },
            SnmpClientError::FailedBinding { binding } => match binding.value {
                BindingValue::NoSuchObject | BindingValue::NoSuchInstance => {
                    SnmpError::NoSuchObject { target, oid: Oid::from_slice(binding.name.as_slice()) }
                }
                other => SnmpError::Protocol {
                    target,
                    reason: format!("{} answered {:?}", Oid::from_slice(binding.name.as_slice()), other),
                },
            },
            other => {
                // csnmp's messages can carry whole varbind lists: keep the gist.
                let mut reason = other.to_string();
                if reason.len() > 160 {
                    reason.truncate(reason.char_indices().nth(157).map_or(reason.len(), |(i, _)| i));
                    reason.push('…');
                }
                SnmpError::Protocol { target, reason }
            }
        }
    }
}

/// Why a GETBULK did not give values.
enum BulkError {
    /// Columns ran into each other's rows within one reply.
    Overlap,
    Snmp(SnmpError),
}

fn to_csnmp(arcs: &[u32]) -> ObjectIdentifier {
    ObjectIdentifier::try_from(arcs).expect("Vigie's OIDs are short and valid")
}

async fn resolve(host: &str, port: u16) -> Result<SocketAddr, SnmpError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let mut addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| SnmpError::Resolve { host: host.to_string(), reason: e.to_string() })?;
    addrs.next().ok_or_else(|| SnmpError::Resolve { host: host.to_string(), reason: "no address".into() })
}
