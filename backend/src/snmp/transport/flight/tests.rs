//! A round against a plain loopback socket playing the agent: which requests come again after
//! the round's timeout, and what each request of the round ends with.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use super::*;
use crate::snmp::ber::{self, tag, Header};
use crate::snmp::transport::{Security, VERSION_2C};

/// An agent's socket, its reads bounded (not a timing: what it waits for is on its way).
fn listening() -> (UdpSocket, SocketAddr) {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

async fn transport(target: SocketAddr, timeout_ms: u64, retries: u32) -> Transport {
    let security = Security::Community { version: VERSION_2C, community: b"public".to_vec() };
    Transport::connect(target, security, Duration::from_millis(timeout_ms), retries).await.unwrap()
}

/// A round of `count` GETNEXTs, sent.
fn send_round(transport: &mut Transport, count: u32) {
    transport.clear_flight();
    for k in 0..count {
        let oid: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 10];
        assert!(transport.add_to_flight(Request::GetNext, [(oid, Some(k))].into_iter()));
    }
    transport.send_flight();
}

/// An agent, and a transport to it that sent it a round of `count` requests.
async fn round_to_an_agent(timeout_ms: u64, retries: u32, count: u32) -> (UdpSocket, Transport) {
    let (agent, addr) = listening();
    let mut transport = transport(addr, timeout_ms, retries).await;
    send_round(&mut transport, count);
    (agent, transport)
}

/// The next request the agent receives: its id, the arc it asks after, and who sent it.
fn receive(agent: &UdpSocket) -> (i64, u32, SocketAddr) {
    let mut buffer = [0u8; 2048];
    let (len, from) = agent.recv_from(&mut buffer).unwrap();
    let message = ber::parse_message(&buffer[..len]).unwrap();
    let mut varbinds = message.varbinds;
    let mut varbind = varbinds.enter(tag::SEQUENCE).unwrap();
    let mut arcs = Vec::new();
    ber::decode_oid(varbind.expect(tag::OID).unwrap().contents, &mut arcs).unwrap();
    (message.request_id, *arcs.last().unwrap(), from)
}

/// A Response to `request_id` with no varbinds and `error_status`.
fn response(request_id: i64, error_status: i64) -> Vec<u8> {
    let header = Header {
        version: VERSION_2C,
        community: b"public",
        pdu_type: tag::RESPONSE,
        request_id,
        field_a: error_status,
        field_b: 0,
    };
    let mut message = Vec::new();
    ber::write_message(&mut message, &header, &[]);
    message
}

#[tokio::test]
async fn a_round_sends_again_only_the_requests_not_answered() {
    let (agent, mut transport) = round_to_an_agent(2_000, 3, 4).await;
    // The agent answers the requests after arcs 0 and 2 (error-status their arc + 10, so that
    // each reply is known), a stranger answers for arc 1 with its id, and the agent repeats
    // its answer for arc 0. After the round's timeout, it answers what comes again.
    let agent = std::thread::spawn(move || {
        let first: Vec<(i64, u32, SocketAddr)> = (0..4).map(|_| receive(&agent)).collect();
        let (stranger, _) = listening();
        for &(id, arc, from) in &first {
            match arc {
                0 | 2 => agent.send_to(&response(id, i64::from(arc) + 10), from).map(drop).unwrap(),
                1 => stranger.send_to(&response(id, 99), from).map(drop).unwrap(),
                _ => {}
            }
        }
        let (id_0, _, from) = first.iter().copied().find(|r| r.1 == 0).unwrap();
        agent.send_to(&response(id_0, 10), from).unwrap();
        let again = [receive(&agent), receive(&agent)];
        for &(id, arc, from) in &again {
            agent.send_to(&response(id, i64::from(arc) + 10), from).unwrap();
        }
        (first, again)
    });
    let mut replies = Vec::new();
    for at in 0..4 {
        replies.push(transport.flight_reply(at).await.map(|reply| reply.error_status));
    }
    transport.clear_flight();
    let (first, again) = agent.join().unwrap();
    let mut arcs: Vec<u32> = first.iter().map(|r| r.1).collect();
    arcs.sort_unstable();
    assert_eq!(arcs, [0, 1, 2, 3], "sent in order");
    // Only arcs 1 and 3 came again, with the same ids.
    let mut arcs: Vec<u32> = again.iter().map(|r| r.1).collect();
    arcs.sort_unstable();
    assert_eq!(arcs, [1, 3]);
    for (id, arc, _) in again {
        assert_eq!(first.iter().find(|r| r.1 == arc).unwrap().0, id, "the same id");
    }
    for (at, reply) in replies.into_iter().enumerate() {
        assert_eq!(reply.unwrap(), i64::from(first[at].1) + 10, "request {at} got its own reply");
    }
}

#[tokio::test]
async fn a_round_never_answered_is_sent_each_retry_then_times_out() {
    let (agent, mut transport) = round_to_an_agent(100, 2, 3).await;
    // 3 requests, 3 attempts each.
    let agent = std::thread::spawn(move || {
        let received: Vec<(i64, u32, SocketAddr)> = (0..9).map(|_| receive(&agent)).collect();
        (agent, received)
    });
    for at in 0..3 {
        match transport.flight_reply(at).await {
            Err(SnmpError::Timeout { attempts: 3, .. }) => {}
            Err(e) => panic!("request {at}: {e}"),
            Ok(_) => panic!("request {at}: a reply from nowhere"),
        }
    }
    let (agent, received) = agent.join().unwrap();
    for arc in 0..3 {
        assert_eq!(received.iter().filter(|r| r.1 == arc).count(), 3, "arc {arc} sent 3 times");
    }
    // Left the table: a late answer is nobody's, and the next round starts afresh.
    let (id, _, from) = received[0];
    agent.send_to(&response(id, 0), from).unwrap();
    send_round(&mut transport, 1);
    let agent = std::thread::spawn(move || {
        let (id, arc, from) = receive(&agent);
        agent.send_to(&response(id, 42), from).unwrap();
        arc
    });
    assert_eq!(transport.flight_reply(0).await.unwrap().error_status, 42);
    assert_eq!(agent.join().unwrap(), 0);
}

#[tokio::test]
async fn a_round_to_a_closed_port_is_refused_at_once() {
    let (closed, addr) = listening();
    drop(closed); // nothing listens there now: the kernel answers ICMP port unreachable
                  // A timeout far past the test's bound: only the refusal can end the wait.
    let mut transport = transport(addr, 600_000, 0).await;
    send_round(&mut transport, 3);
    for at in 0..3 {
        let refused = tokio::time::timeout(Duration::from_secs(60), transport.flight_reply(at)).await;
        assert!(matches!(refused, Ok(Err(SnmpError::Refused { .. }))), "request {at}");
    }
}
