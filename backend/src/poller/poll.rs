//! One poll of one device: the sysUpTime/ifNumber probe, the inventory when needed, and the
//! traffic counters. Testable alone against any agent; knows nothing of schedules or storage.

use std::time::Instant;

use crate::snmp::if_mib::{self, CounterRow, InterfaceInfo};
use crate::snmp::system::{self, Probe, SystemInfo};
use crate::snmp::{Session, SnmpError};
use crate::store::now_ms;

/// The inventory (names, speeds, aliases) and system group are walked again this often even
/// when nothing suggests a change. Every poll already tells a changed interface table (ifNumber,
/// an unknown ifIndex), a reboot and each interface's oper status; what only this walk sees is
/// a renamed or re-described interface, a new speed, an admin status. It costs about four usual
/// polls, on the device's agent too: every 10 minutes it added 15–30 % to Vigie's polling CPU
/// on the 2,000-device fleet; hourly (the default interval of Zabbix's discovery) 3–5 %.
pub const INVENTORY_REFRESH_SECS: i64 = 3600;

/// What a poll must fetch beyond the counters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PollPlan {
    pub walk_inventory: bool,
    pub want_32bit: bool,
    pub known_if_number: Option<u32>,
    /// When the poll must end; every exchange stops waiting then.
    pub deadline: Option<tokio::time::Instant>,
}

/// What one poll saw, before any rate is computed.
#[derive(Clone, Debug)]
pub struct PollOutcome {
    pub at_ms: i64,
    pub duration_ms: u64,
    pub uptime_ticks: u32,
    pub if_number: Option<u32>,
    pub system: Option<SystemInfo>,
    pub inventory: Option<Vec<InterfaceInfo>>,
    pub counters: Vec<CounterRow>,
}

/// Polls one device once. Usually one walk: the probe (sysUpTime, ifNumber) rides in the
/// counters' first request. When the inventory is due, or the probe shows the interface table
/// changed, the system group and the inventory are walked, then the counters again (with the
/// 32-bit columns: which interfaces lack the 64-bit ones is not known yet).
pub async fn poll_once(session: &mut Session, plan: &PollPlan) -> Result<PollOutcome, SnmpError> {
    let started = Instant::now();
    let outcome = |probe: Probe, system, inventory, counters| PollOutcome {
        at_ms: now_ms(),
        duration_ms: started.elapsed().as_millis() as u64,
        uptime_ticks: probe.uptime_ticks,
        if_number: probe.if_number,
        system,
        inventory,
        counters,
    };
    session.begin_poll(plan.deadline);
    if !plan.walk_inventory {
        match if_mib::walk_counters_and_probe(session, plan.want_32bit, plan.known_if_number).await {
            Ok((probe, counters)) if probe.if_number == plan.known_if_number => {
                return Ok(outcome(probe, None, None, counters));
            }
            // More rows than the last ifNumber allows: the table changed, or the agent is broken;
            // the long way below asks ifNumber again and walks within what it says now.
            Ok(_) | Err(SnmpError::TooManyRows { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let probe = system::probe(session).await?;
    let system = system::get_system(session).await?;
    let inventory = if_mib::walk_inventory(session, probe.if_number).await?;
    let counters = if_mib::walk_counters(session, true, probe.if_number).await?;
    Ok(outcome(probe, Some(system), Some(inventory), counters))
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;
    use crate::sim::{AgentSpec, Fleet, Misbehave};
    use crate::snmp::Credentials;

    /// One poll of a fresh device (inventory included) and one steady poll after it, against an
    /// agent with `fault`.
    async fn poll_agent(fault: Option<Misbehave>) -> (Result<PollOutcome, SnmpError>, Result<PollOutcome, SnmpError>) {
        let spec = AgentSpec { misbehave: fault, ..AgentSpec::new("hostile", 4) };
        let fleet = Fleet::start(vec![spec], Ipv4Addr::LOCALHOST.into(), 0).await.unwrap();
        let addr = fleet.agents()[0].addr;
        let credentials = Credentials::V2c { community: "public".into() };
        let mut session = Session::open(&addr.ip().to_string(), addr.port(), &credentials, 200, 1).await.unwrap();
        let first = poll_once(&mut session, &PollPlan { walk_inventory: true, ..PollPlan::default() }).await;
        let steady = PollPlan { known_if_number: Some(4), ..PollPlan::default() };
        let second = poll_once(&mut session, &steady).await;
        fleet.shutdown().await;
        (first, second)
    }

    #[tokio::test]
    async fn every_planted_fault_fails_the_poll_with_its_own_reason() {
        for fault in [
            Misbehave::ExtraVarbinds,
            Misbehave::EndlessColumns,
            Misbehave::RepeatedOids,
            Misbehave::Garbage,
            Misbehave::WrongRequestIds,
            Misbehave::HugeLengths,
        ] {
            let (first, second) = poll_agent(Some(fault)).await;
            let error = first.expect_err(fault.as_str());
            let ok = match fault {
                Misbehave::ExtraVarbinds => error.to_string().contains("more values than the 2 asked for"),
                Misbehave::EndlessColumns => matches!(error, SnmpError::TooManyRows { limit: 68, .. }),
                Misbehave::RepeatedOids => matches!(error, SnmpError::NotIncreasing { .. }),
                Misbehave::WrongRequestIds => matches!(error, SnmpError::WrongRequestId { replies: 2, .. }),
                _ => error.to_string().contains("undecodable reply"),
            };
            assert!(ok, "{}: {error}", fault.as_str());
            // A steady poll (no inventory, GETBULK only) fails too, but for the fault planted in
            // GET answers only; it never loops nor panics.
            match (fault, second) {
                (Misbehave::ExtraVarbinds, steady) => assert_eq!(steady.unwrap().counters.len(), 4),
                (Misbehave::EndlessColumns, Err(SnmpError::TooManyRows { limit: 68, .. })) => {}
                (Misbehave::EndlessColumns, steady) => panic!("endless columns: {steady:?}"),
                (_, steady) => assert!(steady.is_err(), "{}", fault.as_str()),
            }
        }
    }

    #[tokio::test]
    async fn replies_capped_at_one_datagram_still_give_every_counter() {
        let spec = AgentSpec { max_reply_bytes: 1472, ..AgentSpec::new("capped", 48) };
        let fleet = Fleet::start(vec![spec], Ipv4Addr::LOCALHOST.into(), 0).await.unwrap();
        let addr = fleet.agents()[0].addr;
        let credentials = Credentials::V2c { community: "public".into() };
        let mut session = Session::open(&addr.ip().to_string(), addr.port(), &credentials, 1000, 1).await.unwrap();
        let first = poll_once(&mut session, &PollPlan { walk_inventory: true, ..PollPlan::default() }).await.unwrap();
        assert_eq!(first.inventory.unwrap().len(), 48);
        let steady = PollPlan { known_if_number: Some(48), ..PollPlan::default() };
        let second = poll_once(&mut session, &steady).await.unwrap();
        let indexes: Vec<u32> = second.counters.iter().map(|c| c.if_index).collect();
        assert_eq!(indexes, (1..=48).collect::<Vec<u32>>());
        let replies = fleet.stats().responses.load(std::sync::atomic::Ordering::Relaxed);
        assert!(replies > 4, "more than one reply per walk: {replies}");
        fleet.shutdown().await;
    }

    #[tokio::test]
    async fn a_partial_system_group_is_null_not_a_failure() {
        let (first, second) = poll_agent(Some(Misbehave::PartialSystem)).await;
        let first = first.unwrap();
        let system = first.system.unwrap();
        assert_eq!((system.sys_name, system.sys_descr, system.sys_contact), (None, None, None));
        assert!(system.sys_up_time_ticks > 0 || first.uptime_ticks == 0);
        assert_eq!(first.counters.len(), 4);
        assert_eq!(second.unwrap().counters.len(), 4);
        let (honest, _) = poll_agent(None).await;
        assert_eq!(honest.unwrap().system.unwrap().sys_name.as_deref(), Some("hostile"));
    }

    #[tokio::test]
    async fn a_scripted_session_handles_replies_without_a_socket() {
        let reply = |extra: bool| {
            let mut varbinds = Vec::new();
            let uptime = [6, 8, 0x2b, 6, 1, 2, 1, 1, 3, 0];
            crate::snmp::ber::write_varbind(&mut varbinds, &uptime, &[0x43, 1, 42]);
            if extra {
                crate::snmp::ber::write_varbind(&mut varbinds, &uptime, &[5, 0]);
            }
            let header = crate::snmp::ber::Header {
                version: 1,
                community: b"public",
                pdu_type: crate::snmp::ber::tag::RESPONSE,
                request_id: 7,
                field_a: 0,
                field_b: 0,
            };
            let mut out = Vec::new();
            crate::snmp::ber::write_message(&mut out, &header, &varbinds);
            out
        };
        let mut session = Session::scripted(vec![reply(false), reply(true)]);
        assert_eq!(session.get(&[Probe::OIDS[0]]).await.unwrap(), [crate::snmp::Value::TimeTicks(42)]);
        let extra = session.get(&[Probe::OIDS[0]]).await.unwrap_err();
        assert!(extra.to_string().contains("more values than the 1 asked for"), "{extra}");
        assert!(matches!(session.get(&[Probe::OIDS[0]]).await, Err(SnmpError::Timeout { .. })));
    }
}
