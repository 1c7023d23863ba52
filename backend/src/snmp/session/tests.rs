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

#[tokio::test]
async fn a_session_holds_no_reply_buffer_between_walks() {
    // Replies capped at one frame: from the second walk on, chunks are sent together, each
    // request of a round with a reply buffer of its own.
    let capped = AgentSpec { max_reply_bytes: 1472, ..AgentSpec::new("capped", 48) };
    let dead = AgentSpec { behaviour: Behaviour::Dead, ..AgentSpec::new("dead", 1) };
    let fleet = Fleet::start(vec![capped, dead], Ipv4Addr::LOCALHOST.into(), 0).await.unwrap();
    let mut session = open(fleet.agents()[0].addr, 2_000).await;
    for walk in 0..3 {
        let columns = session.walk_columns(&COUNTERS, Some(48)).await.unwrap();
        assert!(columns.iter().all(|column| column.len() == 48), "walk {walk}");
        assert_eq!(session.transport.reply_bytes_held(), 0, "after walk {walk}");
    }
    assert!(session.learned.sent_together > 1, "the later walks sent rounds");
    session.get(&[SYS_NAME]).await.unwrap();
    assert_eq!(session.transport.reply_bytes_held(), 0, "after a GET");
    // A walk that fails gives back the buffer it was lent (by the pool the walks above filled).
    let mut dead = open(fleet.agents()[1].addr, 50).await;
    assert!(matches!(dead.walk_columns(&COUNTERS, Some(1)).await, Err(SnmpError::Timeout { .. })));
    assert_eq!(dead.transport.reply_bytes_held(), 0, "after a failed walk");
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

/// An SNMPv3 noAuthNoPriv message from engine `engine` holding a `pdu_type` PDU with one varbind.
fn v3_reply(engine: &[u8], pdu_type: u8, oid: &[u32], value: &[u8]) -> Vec<u8> {
    use crate::snmp::usm::message::{self as v3, Outgoing};
    let mut oid_contents = Vec::new();
    ber::encode_oid_contents(oid, &mut oid_contents);
    let mut oid_tlv = Vec::new();
    ber::write_bytes(&mut oid_tlv, tag::OID, &oid_contents);
    let mut varbinds = Vec::new();
    ber::write_varbind(&mut varbinds, &oid_tlv, value);
    let header = Header { version: 3, community: b"", pdu_type, request_id: 1, field_a: 0, field_b: 0 };
    let mut scoped = Vec::new();
    v3::write_scoped_pdu(&mut scoped, engine, b"", &header, &varbinds);
    let outgoing = Outgoing {
        msg_id: 1,
        flags: 0,
        engine_id: engine,
        boots: 1,
        time: 10,
        user: b"plain",
        auth_len: 0,
        privacy: b"",
    };
    let mut out = Vec::new();
    v3::write(&mut out, &outgoing, &scoped);
    out
}

fn plain_user() -> Credentials {
    Credentials::V3(crate::snmp::UsmCredentials {
        user: "plain".into(),
        level: crate::snmp::SecurityLevel::NoAuthNoPriv,
        auth_protocol: None,
        auth_password: None,
        priv_protocol: None,
        priv_password: None,
        context_name: String::new(),
    })
}

const UNKNOWN_ENGINE_IDS: &[u32] = &[1, 3, 6, 1, 6, 3, 15, 1, 1, 4, 0];
const NOT_IN_TIME_WINDOWS: &[u32] = &[1, 3, 6, 1, 6, 3, 15, 1, 1, 2, 0];
const COUNTER_1: &[u8] = &[tag::COUNTER32, 1, 1];

#[tokio::test]
async fn an_unknown_engine_id_report_rediscovers_once_and_the_request_goes_through() {
    let replies = vec![
        v3_reply(b"\x80engine-1", tag::REPORT, UNKNOWN_ENGINE_IDS, COUNTER_1), // discovery
        v3_reply(b"\x80engine-2", tag::REPORT, UNKNOWN_ENGINE_IDS, COUNTER_1), // the agent changed
        v3_reply(b"\x80engine-2", tag::REPORT, UNKNOWN_ENGINE_IDS, COUNTER_1), // discovery again
        v3_reply(b"\x80engine-2", tag::RESPONSE, SYS_UP_TIME, &[tag::TIME_TICKS, 1, 42]),
    ];
    let mut session = Session::scripted_with(replies, &plain_user());
    assert_eq!(session.get(&[SYS_UP_TIME]).await.unwrap(), [Value::TimeTicks(42)]);
}

#[tokio::test]
async fn reports_that_persist_after_one_retry_are_errors() {
    let time_window = |engine: &[u8]| v3_reply(engine, tag::REPORT, NOT_IN_TIME_WINDOWS, COUNTER_1);
    let replies = vec![
        v3_reply(b"\x80e", tag::REPORT, UNKNOWN_ENGINE_IDS, COUNTER_1),
        time_window(b"\x80e"),
        time_window(b"\x80e"),
    ];
    let mut session = Session::scripted_with(replies, &plain_user());
    assert!(matches!(session.get(&[SYS_UP_TIME]).await, Err(SnmpError::NotInTimeWindow { .. })));
    let unknown = |engine: &[u8]| v3_reply(engine, tag::REPORT, UNKNOWN_ENGINE_IDS, COUNTER_1);
    let replies = vec![unknown(b"\x80a"), unknown(b"\x80b"), unknown(b"\x80c"), unknown(b"\x80d")];
    let mut session = Session::scripted_with(replies, &plain_user());
    assert!(matches!(session.get(&[SYS_UP_TIME]).await, Err(SnmpError::UnknownEngineId { .. })));
    let replies =
        vec![unknown(b"\x80a"), v3_reply(b"\x80a", tag::REPORT, &[1, 3, 6, 1, 6, 3, 15, 1, 1, 3, 0], COUNTER_1)];
    let mut session = Session::scripted_with(replies, &plain_user());
    let error = session.get(&[SYS_UP_TIME]).await.unwrap_err();
    assert!(error.to_string().contains("does not know the SNMPv3 user \"plain\""), "{error}");
}
