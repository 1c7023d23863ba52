use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;

use super::*;
use crate::sim::{AgentSpec, Fleet};
use crate::snmp::if_mib::COUNTER_COLUMNS;
use crate::snmp::oids::if_mib::*;
use crate::snmp::{Credentials, Value};

const CAPPED: usize = 1472;

/// An agent whose counters stand still (no traffic), so that two walks read the same values.
fn still(name: &str, interfaces: u32, max_reply_bytes: usize) -> AgentSpec {
    AgentSpec { rate_bps: 0.0, max_reply_bytes, ..AgentSpec::new(name, interfaces) }
}

async fn open(addr: SocketAddr) -> Session {
    let credentials = Credentials::V2c { community: "public".into() };
    Session::open(&addr.ip().to_string(), addr.port(), &credentials, 2_000, 1).await.unwrap()
}

type Walked = (Vec<Option<Value>>, Vec<Column>);

/// A walk of `columns` with ifNumber as a scalar, and the requests it took.
async fn walk(session: &mut Session, fleet: &Fleet, columns: &[&[u32]], hint: Option<u32>) -> (Walked, u64) {
    let before = fleet.stats().requests.load(Ordering::Relaxed);
    let walked = session.walk_columns_with(&[IF_NUMBER], columns, hint).await.unwrap();
    (walked, fleet.stats().requests.load(Ordering::Relaxed) - before)
}

/// What a new session (which knows nothing yet, so walks sequentially) reads from `fleet`.
async fn sequential(fleet: &Fleet, columns: &[&[u32]], hint: Option<u32>) -> Walked {
    let mut fresh = open(fleet.agents()[0].addr).await;
    let (walked, _) = walk(&mut fresh, fleet, columns, hint).await;
    assert_eq!(fresh.learned.sent_together, 0);
    walked
}

fn indexes(walked: &Walked) -> Vec<Vec<u32>> {
    walked.1.iter().map(|column| column.indexes().collect()).collect()
}

#[tokio::test]
async fn a_capped_steady_walk_sends_its_chunks_together_and_reads_the_same() {
    for (interfaces, columns) in
        [(48, &COUNTER_COLUMNS[..]), (150, &[IF_HC_IN_OCTETS, IF_HC_OUT_OCTETS][..]), (200, &COUNTER_COLUMNS[..])]
    {
        let fleet =
            Fleet::start(vec![still("capped", interfaces, CAPPED)], Ipv4Addr::LOCALHOST.into(), 0).await.unwrap();
        let mut session = open(fleet.agents()[0].addr).await;
        let (first, sequential_requests) = walk(&mut session, &fleet, columns, Some(interfaces)).await;
        assert_eq!(session.learned.sent_together, 0, "the first walk is sequential");
        assert!(sequential_requests > 2, "{sequential_requests} replies: {:?}", indexes(&first));
        for _ in 0..3 {
            let together = session.learned.sent_together;
            let (steady, requests) = walk(&mut session, &fleet, columns, Some(interfaces)).await;
            assert_eq!(steady, first, "{interfaces} interfaces, {} columns", columns.len());
            assert_eq!(session.learned.sent_together - together, requests, "every request sent together");
            println!("{interfaces} interfaces × {} columns: {sequential_requests} requests one after the other, {requests} together", columns.len());
        }
        assert_eq!(indexes(&first), vec![(1..=interfaces).collect::<Vec<u32>>(); columns.len()]);
        assert_eq!(first.0, [Some(Value::Integer(interfaces as i32))]);
        fleet.shutdown().await;
    }
}

#[tokio::test]
async fn an_uncapped_walk_that_fits_one_reply_stays_one_request() {
    let fleet = Fleet::start(vec![still("sw", 48, 8_000)], Ipv4Addr::LOCALHOST.into(), 0).await.unwrap();
    let mut session = open(fleet.agents()[0].addr).await;
    let (first, _) = walk(&mut session, &fleet, &COUNTER_COLUMNS, Some(48)).await;
    let (steady, requests) = walk(&mut session, &fleet, &COUNTER_COLUMNS, Some(48)).await;
    assert_eq!((steady, requests, session.learned.sent_together), (first, 1, 0));
    fleet.shutdown().await;
}

#[tokio::test]
async fn columns_with_other_rows_are_merged_as_walked() {
    // No 64-bit counters: the HC columns are empty, the 32-bit ones full.
    let spec = AgentSpec { hc: false, ..still("old", 48, CAPPED) };
    let fleet = Fleet::start(vec![spec], Ipv4Addr::LOCALHOST.into(), 0).await.unwrap();
    let mut session = open(fleet.agents()[0].addr).await;
    let columns = [IF_HC_IN_OCTETS, IF_IN_OCTETS, IF_OPER_STATUS, IF_HC_OUT_OCTETS, IF_OUT_OCTETS];
    let (first, _) = walk(&mut session, &fleet, &columns, Some(48)).await;
    let (steady, _) = walk(&mut session, &fleet, &columns, Some(48)).await;
    assert!(session.learned.sent_together > 0);
    assert_eq!(steady, first);
    assert_eq!(indexes(&steady).iter().map(Vec::len).collect::<Vec<_>>(), [0, 48, 48, 0, 48]);
    fleet.shutdown().await;
}

#[tokio::test]
async fn a_table_that_changed_since_the_last_walk_is_walked_whole() {
    let fleet = Fleet::start(vec![still("r", 48, CAPPED)], Ipv4Addr::LOCALHOST.into(), 0).await.unwrap();
    let addr = fleet.agents()[0].addr;
    let mut session = open(addr).await;
    walk(&mut session, &fleet, &COUNTER_COLUMNS, Some(48)).await;
    let mut fleet = Some(fleet);
    // Interfaces removed, added, then far more: the same agent, restarted on its port.
    for interfaces in [40, 48, 56, 30, 300] {
        fleet.take().unwrap().shutdown().await;
        let restarted = Fleet::start(vec![still("r", interfaces, CAPPED)], addr.ip(), addr.port()).await.unwrap();
        let expected = sequential(&restarted, &COUNTER_COLUMNS, Some(interfaces)).await;
        let together = session.learned.sent_together;
        let (changed, _) = walk(&mut session, &restarted, &COUNTER_COLUMNS, Some(interfaces)).await;
        assert!(session.learned.sent_together > together, "{interfaces}: sent together");
        assert_eq!(changed, expected, "{interfaces} interfaces");
        assert_eq!(indexes(&changed)[0], (1..=interfaces).collect::<Vec<u32>>());
        fleet = Some(restarted);
    }
    fleet.unwrap().shutdown().await;
}

#[tokio::test]
async fn replies_cut_shorter_than_learned_are_walked_on_and_relearned() {
    let fleet = Fleet::start(vec![still("r", 48, CAPPED)], Ipv4Addr::LOCALHOST.into(), 0).await.unwrap();
    let addr = fleet.agents()[0].addr;
    let mut session = open(addr).await;
    let (first, _) = walk(&mut session, &fleet, &COUNTER_COLUMNS, Some(48)).await;
    let learned = session.learned.reply_varbinds.unwrap();
    // The agent now cuts its replies at 1,000 bytes.
    fleet.shutdown().await;
    let fleet = Fleet::start(vec![still("r", 48, 1_000)], addr.ip(), addr.port()).await.unwrap();
    let (cut, _) = walk(&mut session, &fleet, &COUNTER_COLUMNS, Some(48)).await;
    assert_eq!(cut, first);
    let relearned = session.learned.reply_varbinds.unwrap();
    assert!(relearned < learned, "{relearned} < {learned}");
    let together = session.learned.sent_together;
    let (steady, requests) = walk(&mut session, &fleet, &COUNTER_COLUMNS, Some(48)).await;
    assert_eq!(steady, first);
    assert_eq!(session.learned.sent_together - together, requests);
    fleet.shutdown().await;
}

#[tokio::test]
async fn lost_requests_and_replies_are_sent_again_and_the_walk_reads_the_same() {
    // A fifth of the requests go unanswered: each is sent again, by itself, after its timeout;
    // 8 attempts leave a request unanswered once in 400,000.
    let spec = AgentSpec { loss_percent: 20.0, ..still("lossy", 48, CAPPED) };
    let fleet = Fleet::start(vec![spec], Ipv4Addr::LOCALHOST.into(), 0).await.unwrap();
    let addr = fleet.agents()[0].addr;
    let credentials = Credentials::V2c { community: "public".into() };
    let mut session = Session::open(&addr.ip().to_string(), addr.port(), &credentials, 100, 7).await.unwrap();
    let (first, _) = walk(&mut session, &fleet, &COUNTER_COLUMNS, Some(48)).await;
    assert_eq!(indexes(&first), vec![(1..=48).collect::<Vec<u32>>(); COUNTER_COLUMNS.len()]);
    for _ in 0..5 {
        let (steady, _) = walk(&mut session, &fleet, &COUNTER_COLUMNS, Some(48)).await;
        assert_eq!(steady, first);
    }
    assert!(session.learned.sent_together > 0);
    fleet.shutdown().await;
}

#[test]
fn chunks_fit_a_reply_and_the_last_sees_the_end() {
    let learned = Learned { indexes: (1..=48).collect(), reply_varbinds: Some(40), ..Learned::default() };
    // 40 - 40/16 = 38 varbinds: 5 rows of 7 columns, 5 in the first too (2 scalars).
    let mut plan = learned.plan(7, 2).unwrap();
    let mut chunks = Vec::new();
    while let Some(chunk) = plan.next(&learned.indexes) {
        chunks.push((chunk.first, chunk.lo, chunk.hi, chunk.repetitions));
    }
    let mut expected = vec![(true, None, Some(5), 5)];
    expected.extend((1..9).map(|k| (false, Some(5 * k), Some(5 * k + 5), 5)));
    expected.push((false, Some(45), None, 4));
    assert_eq!(chunks, expected);
    // Whatever fits one reply, or nothing known: sequential.
    assert!(Learned { reply_varbinds: Some(400), ..learned }.plan(7, 2).is_none());
    assert!(Learned { indexes: (1..=48).collect(), ..Learned::default() }.plan(7, 2).is_none());
}
