//! One SNMP session to one agent: GET of scalars and GETBULK walks of table columns (GETNEXT
//! walks in SNMPv1, which has no GETBULK; there a noSuchName ends a column or marks a scalar
//! missing). SNMPv3 sessions are secured by the transport's engine; this module sees PDUs only.
//!
//! SNMPv2c over our own zero-copy BER codec ([`super::ber`]): a walk reads each row's index and
//! value straight from the reply's bytes, and numbers allocate nothing. csnmp used to answer
//! here; profiling the poller at 2,000 devices showed most of its time in csnmp's decoding
//! (520-byte OIDs copied through maps, simple_asn1, big integers), so the hot path is ours and
//! csnmp checks it in the tests instead. A session owns its buffers and SNMPv3 engine (never
//! share one between concurrent tasks); its datagrams go through the process's few shared
//! sockets ([`super::socket_pool`]).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::engine::Engine;
use super::transport::{self, Request, Security, Transport};
use super::walk::{read_scalars, row_limit, Column, Cursor, Walk, WalkBuffers, Walked};
use super::Credentials;
use super::{Oid, SnmpError, Value};
use together::Learned;

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
    /// What the last walk taught for sending the next one's requests together.
    learned: Learned,
}

impl Session {
    /// Resolves `host` (an IP literal or a DNS name) and picks the shared socket for it.
    pub async fn open(
        host: &str,
        port: u16,
        credentials: &Credentials,
        timeout_ms: u64,
        retries: u32,
    ) -> Result<Session, SnmpError> {
        let target = resolve(host, port).await?;
        let transport =
            Transport::connect(target, security(credentials), Duration::from_millis(timeout_ms), retries).await?;
        Ok(Session::over(transport))
    }

    /// A session whose exchanges are answered by `replies` in turn, whatever was asked (any
    /// request id is accepted); when none is left, an exchange times out at once. For fuzzing
    /// and tests of the reply handling without a socket.
    #[doc(hidden)]
    pub fn scripted(replies: Vec<Vec<u8>>) -> Session {
        let community = Credentials::V2c { community: "public".into() };
        Session::scripted_with(replies, &community)
    }

    /// [`Session::scripted`] with any credentials (an SNMPv3 session's first reply answers its
    /// discovery).
    #[doc(hidden)]
    pub fn scripted_with(replies: Vec<Vec<u8>>, credentials: &Credentials) -> Session {
        Session::over(Transport::scripted(replies, security(credentials), Duration::from_millis(1), 0))
    }

    fn over(transport: Transport) -> Session {
        Session {
            transport,
            max_repetitions: MAX_REPETITIONS,
            poll_bytes: 0,
            poll_varbinds: 0,
            learned: Learned::default(),
        }
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

    /// GETs scalars; those the agent does not have (noSuchObject, noSuchInstance, or SNMPv1's
    /// noSuchName) are `None`. The answer holds exactly one value per OID asked, in order, or
    /// the exchange fails.
    pub async fn get_optional(&mut self, oids: &[&[u32]]) -> Result<Vec<Option<Value>>, SnmpError> {
        let values = self.get_all(oids).await;
        self.transport.give_back_buffers();
        values
    }

    /// [`Session::get_optional`], the reply buffers kept.
    async fn get_all(&mut self, oids: &[&[u32]]) -> Result<Vec<Option<Value>>, SnmpError> {
        let mut values = vec![None; oids.len()];
        // SNMPv1 answers a GET with one missing object with noSuchName and no values: ask again
        // without it.
        let mut asked: Vec<usize> = (0..oids.len()).collect();
        while let Some(missing) = self.get_some(oids, &asked, &mut values).await? {
            asked.remove(missing);
            if asked.is_empty() {
                break;
            }
        }
        Ok(values)
    }

    /// GETs `oids[i]` for each `i` in `asked` into `values[i]`; answers the place in `asked` an
    /// SNMPv1 agent named with noSuchName, if it did.
    async fn get_some(
        &mut self,
        oids: &[&[u32]],
        asked: &[usize],
        values: &mut [Option<Value>],
    ) -> Result<Option<usize>, SnmpError> {
        let (target, v1) = (self.target(), self.transport.is_v1());
        let reply = self.transport.exchange(Request::Get, asked.iter().map(|&i| (oids[i], None))).await?;
        match reply.error_status {
            0 => {}
            transport::NO_SUCH_NAME => {
                let at = usize::try_from(reply.error_index.max(1) - 1).unwrap_or(0).min(asked.len().saturating_sub(1));
                if v1 {
                    return Ok(Some(at));
                }
                let oid = asked.get(at).map_or(&[][..], |&i| oids[i]);
                return Err(SnmpError::NoSuchObject { target, oid: Oid::from_slice(oid) });
            }
            status => return Err(status_error(target, status, "a GET")),
        }
        let mut count = 0;
        for varbind in reply.varbinds {
            let Some(&i) = asked.get(count) else {
                return Err(SnmpError::protocol(target, format!("more values than the {} asked for", asked.len())));
            };
            let (_, value) = varbind.map_err(|e| SnmpError::undecodable(target, e))?;
            values[i] = Value::decode(value).map_err(|e| SnmpError::undecodable(target, e))?;
            count += 1;
        }
        self.spend(count)?;
        if count != asked.len() {
            return Err(SnmpError::protocol(target, format!("{count} values for {} OIDs", asked.len())));
        }
        Ok(None)
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
        Ok(self.walk_columns_kept(scalars, columns, rows_hint).await?.into_owned())
    }

    /// [`Session::walk_columns_with`], answering buffers taken from the thread's pool (see
    /// [`Walked`]), which go back to it when dropped: a steady poll's walk allocates nothing.
    pub async fn walk_columns_kept(
        &mut self,
        scalars: &[&[u32]],
        columns: &[&[u32]],
        rows_hint: Option<u32>,
    ) -> Result<Walked, SnmpError> {
        // A walk that fails, or is dropped half-way, gives its buffers back all the same.
        let mut walked = Walked::start(columns, rows_hint.unwrap_or(0).min(4_096) as usize);
        let walk = self.walk_into(walked.buffers(), scalars, columns, rows_hint).await;
        // Its replies are read: their buffers go back to the thread's pool, failed or not.
        self.transport.give_back_buffers();
        walk.map(|()| walked)
    }

    async fn walk_into(
        &mut self,
        buffers: &mut WalkBuffers,
        scalars: &[&[u32]],
        columns: &[&[u32]],
        rows_hint: Option<u32>,
    ) -> Result<(), SnmpError> {
        let target = self.target();
        let limit = row_limit(rows_hint);
        let v1 = self.transport.is_v1();
        self.learned.start(columns);
        let mut scalars_read = match v1 {
            true => false,
            false => self.walk_together(buffers, scalars, columns, rows_hint).await?,
        };
        let WalkBuffers { scalars: scalar_values, tables, prefixes, cursors, active, arcs, .. } = buffers;
        let (prefixes, tables) = (&prefixes[..columns.len()], &mut tables[..columns.len()]);
        if v1 && !scalars.is_empty() {
            *scalar_values = self.get_next_scalars(scalars).await?;
            scalars_read = true;
        }
        loop {
            active.clear();
            active.extend((0..columns.len()).filter(|&i| cursors[i] != Cursor::Done));
            let asked_scalars = if scalars_read { &[] } else { scalars };
            if active.is_empty() && asked_scalars.is_empty() {
                self.learned.remember_rows(tables);
                return Ok(());
            }
            let repetitions = if v1 { 1 } else { self.repetitions(active.len().max(1), rows_hint) };
            // GETNEXT of a scalar's object (its OID without the instance) answers the scalar.
            let scalar_oids = asked_scalars.iter().map(|oid| (&oid[..oid.len().saturating_sub(1)], None));
            let column_oids = active.iter().map(|&i| match cursors[i] {
                Cursor::After(index) => (columns[i], Some(index)),
                _ => (columns[i], None),
            });
            let request = match v1 {
                true => Request::GetNext,
                false => Request::GetBulk { non_repeaters: asked_scalars.len() as u32, max_repetitions: repetitions },
            };
            let reply = self.transport.exchange(request, scalar_oids.chain(column_oids)).await?;
            match reply.error_status {
                0 => {}
                // SNMPv1: the column at error-index ran past the end of the agent's view.
                transport::NO_SUCH_NAME if v1 => {
                    let at = usize::try_from(reply.error_index.max(1) - 1).unwrap_or(0);
                    let column = active.get(at).copied().ok_or_else(|| status_error(target, 2, "a GETNEXT"))?;
                    cursors[column] = Cursor::Done;
                    continue;
                }
                transport::TOO_BIG if repetitions > MIN_REPETITIONS => {
                    self.max_repetitions = (repetitions / 2).max(MIN_REPETITIONS);
                    log::debug!("GETBULK too big for {target}; now asking for {} repetitions", self.max_repetitions);
                    continue;
                }
                status => return Err(status_error(target, status, "a GETBULK or GETNEXT")),
            }
            let mut varbinds = reply.varbinds;
            if !asked_scalars.is_empty() {
                let complete = read_scalars(&mut varbinds, asked_scalars, scalar_values)
                    .map_err(|e| SnmpError::undecodable(target, e))?;
                if !complete {
                    return Err(SnmpError::protocol(target, "a GETBULK reply without its non-repeaters".into()));
                }
                scalars_read = true;
            }
            if active.is_empty() {
                continue;
            }
            let asked = active.len() * repetitions as usize;
            let walk = Walk { columns, prefixes, active, asked };
            let rows = walk.read_rows(varbinds, cursors, tables, arcs).map_err(|e| e.at(target, columns, cursors))?;
            if rows == 0 {
                return Err(SnmpError::protocol(target, "an empty GETBULK reply".into()));
            }
            if !v1 && rows < asked && active.iter().any(|&i| cursors[i] != Cursor::Done) {
                self.learned.cut_reply(rows + asked_scalars.len());
            }
            self.spend(rows)?;
            if let Some(at) = tables.iter().position(|column| column.0.len() > limit) {
                let column = Oid::from_slice(columns[at]);
                return Err(SnmpError::TooManyRows { target, column, limit, if_number: rows_hint });
            }
        }
    }

    /// SNMPv1's answer to GETBULK non-repeaters: GETNEXT of each scalar's object, those past the
    /// end of the view (noSuchName) asked again without them.
    async fn get_next_scalars(&mut self, scalars: &[&[u32]]) -> Result<Vec<Option<Value>>, SnmpError> {
        let target = self.target();
        let mut values = vec![None; scalars.len()];
        let mut asked: Vec<usize> = (0..scalars.len()).collect();
        while !asked.is_empty() {
            let objects = asked.iter().map(|&i| (&scalars[i][..scalars[i].len().saturating_sub(1)], None));
            let reply = self.transport.exchange(Request::GetNext, objects).await?;
            match reply.error_status {
                0 => {}
                transport::NO_SUCH_NAME => {
                    let at = usize::try_from(reply.error_index.max(1) - 1).unwrap_or(0).min(asked.len() - 1);
                    asked.remove(at);
                    continue;
                }
                status => return Err(status_error(target, status, "a GETNEXT")),
            }
            let wanted: Vec<&[u32]> = asked.iter().map(|&i| scalars[i]).collect();
            let mut varbinds = reply.varbinds;
            let mut found = Vec::with_capacity(wanted.len());
            let complete =
                read_scalars(&mut varbinds, &wanted, &mut found).map_err(|e| SnmpError::undecodable(target, e))?;
            if !complete {
                return Err(SnmpError::protocol(target, "a GETNEXT reply with too few values".into()));
            }
            self.spend(found.len())?;
            for (&i, value) in asked.iter().zip(found) {
                values[i] = value;
            }
            break;
        }
        Ok(values)
    }

    fn repetitions(&self, columns: usize, rows_hint: Option<u32>) -> u32 {
        let budget = (VARBINDS_PER_REPLY / columns as u32).max(MIN_REPETITIONS);
        // One more than the rows expected, to see each column's end in the same reply.
        let hint = rows_hint.filter(|&n| n > 0).map_or(u32::MAX, |n| n.saturating_add(1)).max(MIN_REPETITIONS);
        self.max_repetitions.min(budget).min(hint)
    }
}

/// How the transport secures messages for these credentials. An SNMPv3 user's master keys are
/// computed here (once per password in the process).
fn security(credentials: &Credentials) -> Security {
    let community = |version, community: &crate::secret::Secret| Security::Community {
        version,
        community: community.expose().as_bytes().to_vec(),
    };
    match credentials {
        Credentials::V1 { community: c } => community(transport::VERSION_1, c),
        Credentials::V2c { community: c } => community(transport::VERSION_2C, c),
        Credentials::V3(usm) => Security::Usm(Box::new(Engine::new(usm))),
    }
}

/// The error for an error-status other than those a request handles itself.
fn status_error(target: SocketAddr, status: i64, request: &str) -> SnmpError {
    match status {
        transport::AUTHORIZATION_ERROR => SnmpError::NotAuthorized { target },
        _ => SnmpError::protocol(target, format!("error-status {status} for {request}")),
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

mod together;

#[cfg(test)]
mod tests;
