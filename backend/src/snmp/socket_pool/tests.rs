//! The shared socket against real loopback sockets: replies routed by source and id, strays
//! dropped and counted, ICMP port unreachable handed to the exchange that sent there; each case
//! with both receivers, a thread of its own and a task of the test's runtime.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use super::*;
use crate::snmp::ber::{self, tag, Header};

/// Who receives on a socket.
#[derive(Clone, Copy)]
enum Kind {
    Thread,
    Runtime,
}

/// Each case run with each receiver.
macro_rules! with_both_receivers {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test]
            async fn on_a_thread() {
                super::$case(super::Kind::Thread).await
            }
            #[tokio::test]
            async fn on_the_runtime() {
                super::$case(super::Kind::Runtime).await
            }
        }
    )*};
}

with_both_receivers!(
    two_agents_answering_with_the_same_request_id_reach_their_own_exchange,
    ids_handed_out_are_unique_among_the_exchanges_in_flight,
    a_stranger_is_dropped_and_counted_and_another_id_is_counted_against_the_agent,
    a_closed_port_is_refused_at_once_while_other_exchanges_go_on,
    replies_coming_faster_than_a_batch_all_reach_their_exchanges,
    a_round_wakes_its_task_once_when_all_its_replies_came,
    a_round_to_a_closed_port_fails_at_once,
);

/// A fresh shared socket with its receiver (not the process's pool, which other tests share).
fn shared(kind: Kind) -> (Arc<SharedSocket>, SocketAddr) {
    let socket = Arc::new(SharedSocket::open(false).unwrap());
    match kind {
        Kind::Thread => receiver::start(socket.clone()).unwrap(),
        Kind::Runtime => on_runtime::start(socket.clone()),
    }
    let port = socket.socket.local_addr().unwrap().port();
    (socket, SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port))
}

fn agent() -> (UdpSocket, SocketAddr) {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = socket.local_addr().unwrap();
    (socket, addr)
}

/// A v2c Response with `request_id` whose community names who sent it.
fn response(request_id: i32, from: &str) -> Vec<u8> {
    let header = Header {
        version: 1,
        community: from.as_bytes(),
        pdu_type: tag::RESPONSE,
        request_id: i64::from(request_id),
        field_a: 0,
        field_b: 0,
    };
    let mut message = Vec::new();
    ber::write_message(&mut message, &header, &[]);
    message
}

async fn arrival(ticket: &mut Ticket) -> Arrival {
    // Bounded, not a timing: the answer is on loopback already.
    tokio::time::timeout(Duration::from_secs(10), &mut ticket.arrival).await.expect("an arrival").expect("a sender")
}

fn community(reply: &[u8]) -> String {
    String::from_utf8(ber::parse_message(reply).unwrap().community.to_vec()).unwrap()
}

async fn two_agents_answering_with_the_same_request_id_reach_their_own_exchange(kind: Kind) {
    let (socket, local) = shared(kind);
    let ((a, a_addr), (b, b_addr)) = (agent(), agent());
    let id = socket.allocate_id(a_addr);
    let mut for_a = socket.wait_for(a_addr, id, false, Vec::new());
    let mut for_b = socket.wait_for(b_addr, id, false, Vec::new());
    b.send_to(&response(id, "b"), local).unwrap();
    a.send_to(&response(id, "a"), local).unwrap();
    let Arrival::Reply(reply_a) = arrival(&mut for_a).await else { panic!("a refusal for a") };
    let Arrival::Reply(reply_b) = arrival(&mut for_b).await else { panic!("a refusal for b") };
    assert_eq!((community(&reply_a), community(&reply_b)), ("a".to_string(), "b".to_string()));
    assert!(lock(&socket.waiting).by_source.contains_key(&a_addr), "a's ticket waits until finished");
    let left = for_a.finish();
    assert_eq!((left.mismatched, left.undecodable), (0, None));
    drop(for_b);
    assert!(lock(&socket.waiting).by_source.is_empty(), "a dropped ticket leaves the table");
    assert_eq!(lock(&socket.waiting).spare.len(), 2, "the agents' emptied lists are kept");
    let again = socket.wait_for(b_addr, socket.allocate_id(b_addr), false, Vec::new());
    let waiting = lock(&socket.waiting);
    assert_eq!(waiting.spare.len(), 1, "and the next exchange takes one");
    drop(waiting);
    drop(again);
}

async fn ids_handed_out_are_unique_among_the_exchanges_in_flight(kind: Kind) {
    let (socket, _) = shared(kind);
    let (_a, a_addr) = agent();
    let tickets: Vec<Ticket> =
        (0..1_000).map(|_| socket.wait_for(a_addr, socket.allocate_id(a_addr), false, vec![])).collect();
    let mut ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 1_000);
    // After a wrap-around, an id still waited for is skipped.
    lock(&socket.waiting).next_id = ids[0] as i32;
    assert_ne!(i64::from(socket.allocate_id(a_addr)), ids[0]);
}

async fn a_stranger_is_dropped_and_counted_and_another_id_is_counted_against_the_agent(kind: Kind) {
    let (socket, local) = shared(kind);
    let ((a, a_addr), (stranger, _)) = (agent(), agent());
    let id = socket.allocate_id(a_addr);
    let mut ticket = socket.wait_for(a_addr, id, false, Vec::with_capacity(64));
    let strays = stats().stray_datagrams;
    // The stranger knows the id: it still is not the agent.
    stranger.send_to(&response(id, "stranger"), local).unwrap();
    a.send_to(&response(id.wrapping_add(7), "late"), local).unwrap();
    a.send_to(b"\x30\x03noise", local).unwrap();
    a.send_to(&response(id, "a"), local).unwrap();
    let Arrival::Reply(reply) = arrival(&mut ticket).await else { panic!("a refusal") };
    assert_eq!(community(&reply), "a");
    let left = ticket.finish();
    assert_eq!(left.mismatched, 1, "the answer with another id");
    assert!(left.undecodable.is_some(), "the noise");
    // The stranger's datagram came first on the same path (loopback keeps the order).
    assert!(stats().stray_datagrams > strays);
}

async fn a_closed_port_is_refused_at_once_while_other_exchanges_go_on(kind: Kind) {
    let (socket, _) = shared(kind);
    let (closed, closed_addr) = agent();
    drop(closed); // nothing listens there now: the kernel answers ICMP port unreachable
    let (a, a_addr) = agent();
    let mut waiting = socket.wait_for(a_addr, socket.allocate_id(a_addr), false, Vec::new());
    let mut refused = socket.wait_for(closed_addr, socket.allocate_id(closed_addr), false, Vec::new());
    socket.send_to(b"hello?", closed_addr).unwrap();
    match arrival(&mut refused).await {
        Arrival::Failed(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}"),
        Arrival::Reply(_) => panic!("a reply from a closed port"),
    }
    // The next send on the socket is not refused for the other agent's sake.
    socket.send_to(b"hello", a_addr).unwrap();
    let mut buffer = [0u8; 16];
    let (len, from) = a.recv_from(&mut buffer).unwrap();
    assert_eq!(&buffer[..len], b"hello");
    a.send_to(&response(waiting.id as i32, "a"), from).unwrap();
    assert!(matches!(arrival(&mut waiting).await, Arrival::Reply(_)));
}

async fn replies_coming_faster_than_a_batch_all_reach_their_exchanges(kind: Kind) {
    let (socket, local) = shared(kind);
    let (a, a_addr) = agent();
    // More than the runtime's task reads in one turn: it yields, then goes on.
    let count = 3 * batch::BATCH * 8 + 5;
    let mut tickets: Vec<Ticket> =
        (0..count).map(|_| socket.wait_for(a_addr, socket.allocate_id(a_addr), false, Vec::new())).collect();
    for ticket in &tickets {
        a.send_to(&response(ticket.id as i32, "a"), local).unwrap();
    }
    for ticket in &mut tickets {
        assert!(matches!(arrival(ticket).await, Arrival::Reply(_)));
    }
    for ticket in tickets {
        assert_eq!(ticket.finish().mismatched, 0);
    }
}

#[tokio::test]
async fn a_thread_that_receives_on_its_runtime_has_sockets_of_its_own() {
    let (a, a_addr) = agent();
    let process = socket_for(a_addr).unwrap();
    let own = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        receive_on_this_thread();
        runtime.block_on(async move {
            let own = socket_for(a_addr).unwrap();
            assert!(Arc::ptr_eq(&own, &socket_for(a_addr).unwrap()), "opened once");
            let mut ticket = own.wait_for(a_addr, own.allocate_id(a_addr), false, Vec::new());
            own.send_to(b"hello", a_addr).unwrap();
            let mut buffer = [0u8; 16];
            let (_, from) = a.recv_from(&mut buffer).unwrap();
            a.send_to(&response(ticket.id as i32, "a"), from).unwrap();
            assert!(matches!(arrival(&mut ticket).await, Arrival::Reply(_)));
            own
        })
    });
    let own = own.join().unwrap();
    assert!(!Arc::ptr_eq(&own, &process), "not the process's socket");
    assert!(Arc::ptr_eq(&process, &socket_for(a_addr).unwrap()), "other threads keep the process's");
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Counting(std::sync::atomic::AtomicUsize);

impl std::task::Wake for Counting {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Waits (bounded, not a timing: what it waits for is on loopback already) until `done`.
async fn until(mut done: impl FnMut() -> bool) {
    for _ in 0..10_000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("never came");
}

/// Has `count` requests of a round to `target` wait on `socket`; answers their ids.
fn enter(socket: &SharedSocket, target: SocketAddr, signal: &Arc<RoundSignal>, count: usize) -> Vec<i32> {
    let mut ids = vec![0; count];
    socket.enter_round(target, signal, ids.iter_mut().map(|id| Entering { id, buffer: Vec::new() }));
    ids
}

async fn a_round_wakes_its_task_once_when_all_its_replies_came(kind: Kind) {
    let (socket, local) = shared(kind);
    let (a, a_addr) = agent();
    let signal = Arc::new(RoundSignal::default());
    let ids = enter(&socket, a_addr, &signal, 3);
    assert_eq!(lock(&socket.waiting).by_source[&a_addr].len(), 3, "entered together");
    let counting = Arc::new(Counting::default());
    let waker = std::task::Waker::from(counting.clone());
    let mut cx = std::task::Context::from_waker(&waker);
    assert!(signal.poll_ready(0b111, &mut cx).is_pending());
    // Two of the three replies, and one with another id: no wake-up yet.
    a.send_to(&response(ids[1], "a1"), local).unwrap();
    a.send_to(&response(ids[0].wrapping_add(100), "late"), local).unwrap();
    a.send_to(&response(ids[0], "a0"), local).unwrap();
    until(|| signal.arrived() == 0b011).await;
    assert_eq!(counting.0.load(Ordering::SeqCst), 0, "woken before the round's replies all came");
    // The first two leave the table together; the third is still awaited.
    let mut left = Vec::new();
    socket.leave_round(a_addr, [(0, ids[0]), (1, ids[1])].into_iter(), |at, l| left.push((at, l)));
    assert_eq!(left.len(), 2);
    assert!(left.iter().all(|(at, l)| community(&l.buffer) == format!("a{at}") && l.failed.is_none()));
    assert!(signal.poll_ready(0b100, &mut cx).is_pending());
    a.send_to(&response(ids[2], "a2"), local).unwrap();
    until(|| counting.0.load(Ordering::SeqCst) > 0).await;
    assert_eq!(counting.0.load(Ordering::SeqCst), 1);
    assert!(signal.poll_ready(0b100, &mut cx).is_ready());
    let mut last = None;
    socket.leave_round(a_addr, [(2, ids[2])].into_iter(), |_, l| last = Some(l));
    let last = last.expect("the third waiter");
    assert_eq!(community(&last.buffer), "a2");
    assert_eq!(left.iter().map(|(_, l)| l.mismatched).sum::<u32>() + last.mismatched, 1, "the other id");
    let waiting = lock(&socket.waiting);
    assert!(waiting.by_source.is_empty(), "the round left the table");
    assert_eq!(waiting.spare.len(), 1, "its list is kept");
}

async fn a_round_to_a_closed_port_fails_at_once(kind: Kind) {
    let (socket, _) = shared(kind);
    let (closed, closed_addr) = agent();
    drop(closed); // nothing listens there now: the kernel answers ICMP port unreachable
    let signal = Arc::new(RoundSignal::default());
    let ids = enter(&socket, closed_addr, &signal, 2);
    socket.send_to(b"hello?", closed_addr).unwrap();
    let counting = Arc::new(Counting::default());
    let waker = std::task::Waker::from(counting.clone());
    let mut cx = std::task::Context::from_waker(&waker);
    until(|| signal.poll_ready(0b11, &mut cx).is_ready()).await;
    let mut left = Vec::new();
    socket.leave_round(closed_addr, ids.iter().copied().enumerate(), |_, l| left.push(l));
    assert_eq!(left.len(), 2);
    for l in left {
        let failed = l.failed.expect("refused");
        assert_eq!(failed.kind(), io::ErrorKind::ConnectionRefused, "{failed}");
    }
}
